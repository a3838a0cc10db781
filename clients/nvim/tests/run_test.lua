-- Headless test of the plugin against the real server:
--   BACKTEST_RPC_BIN=/path/to/backtest-rpc nvim --headless -u NONE -c 'luafile clients/nvim/tests/run_test.lua'
-- Exits 0 when every case passes, 1 otherwise; prints "N passed, M failed" on stdout.

local function out(s) io.stdout:write(s .. "\n") end

local this = debug.getinfo(1, "S").source:sub(2)
local plugin_dir = vim.fn.fnamemodify(this, ":p:h:h")
local repo = vim.fn.fnamemodify(plugin_dir, ":h:h")
local fixtures = repo .. "/Tests/Fixtures"

vim.opt.runtimepath:prepend(plugin_dir)
vim.cmd("runtime plugin/backtest_rpc.lua")
local bt = require("backtest_rpc")

local bin = vim.env.BACKTEST_RPC_BIN or (repo .. "/.build/debug/backtest-rpc")
if vim.fn.executable(bin) ~= 1 then
  out("no server binary at " .. bin)
  out("0 passed, 1 failed")
  vim.cmd("cquit 1")
end

-- A workspace with the fixture strategies under scripts/ (they import ../make_outputs.py).
local ws = vim.fn.tempname() .. "-nvim-ws"
vim.fn.mkdir(ws .. "/scripts", "p")
vim.fn.system({ "cp", fixtures .. "/make_outputs.py", ws .. "/" })
vim.fn.system({ "sh", "-c", "cp '" .. fixtures .. "'/scripts/*.py '" .. repo ..
  "'/clients/python/tests/scripts/*.py '" .. ws .. "/scripts/'" })
-- The docs' example strategy, for sweeps: sma_crossover.py fails (exit 2) when fast >= slow.
vim.fn.system({ "cp", repo .. "/docs/examples/sma_crossover.py", ws .. "/" })
bt.setup({ cmd = { bin }, workspace = ws, split = "split" })

-- Capture notifications instead of showing them.
local notes = {}
vim.notify = function(msg, level) table.insert(notes, { msg = msg, level = level }) end

local function wait_for(what, pred, ms)
  if not vim.wait(ms or 60000, pred, 20) then error("timed out waiting for " .. what, 2) end
end

local function buf_lines(buf) return vim.api.nvim_buf_get_lines(buf, 0, -1, false) end

local function contains(lines, pat)
  for _, l in ipairs(lines) do if l:find(pat, 1, true) then return true end end
  return false
end

local function noted(pat)
  for _, n in ipairs(notes) do if n.msg:find(pat, 1, true) then return true end end
  return false
end

local cases = {}
local function case(name, fn) table.insert(cases, { name = name, fn = fn }) end

local function run_cmd(cmdline)
  local before = bt._state.last_run
  vim.cmd(cmdline)
  wait_for("run to start", function() return bt._state.last_run ~= before end, 20000)
  return bt._state.last_run
end

case("run statuses and error codes come from the generated contract", function()
  local c = require("backtest_rpc.contract")
  assert(bt.contract == c, "the plugin uses contract.lua")
  assert(#c.all_statuses > 0 and #c.terminal_statuses > 0 and #c.methods > 0, "facts present")
  local terminal = {}
  for _, s in ipairs(c.terminal_statuses) do terminal[s] = true end
  for _, s in ipairs(c.all_statuses) do
    assert((bt.terminal[s] == true) == (terminal[s] == true), "terminal set differs at " .. s)
  end
  assert(bt.terminal.completed and bt.terminal.failed and bt.terminal.cancelled and not bt.terminal.running)
  assert(c.error_codes.method_not_found == -32601 and c.error_codes.run_not_found == 2001, "error codes")
end)

case("BacktestRun fills a log buffer live and notifies status", function()
  local id = run_cmd("BacktestRun scripts/strategy_analyzer.py start_date=2024-01-01 end_date=2024-01-31 trades=40 sleep=0.5")
  local r = bt._state.runs[id]
  assert(vim.api.nvim_get_current_buf() == r.buf, "the log buffer is shown")
  assert(vim.api.nvim_buf_get_name(r.buf):find("backtest://" .. id, 1, true), "buffer named after the run")
  -- Lines arrive while the run is still going (it sleeps 0.5 s over 23 days).
  wait_for("first lines", function() return contains(buf_lines(r.buf), "Starting backtest") end)
  local running_seen = r.status == "running"
  wait_for("completed", function() return r.status == "completed" end)
  assert(running_seen or noted("running"), "saw it running")
  local lines = buf_lines(r.buf)
  assert(contains(lines, "Processing day 23/23 (2024-01-31)"), "last progress line in buffer")
  assert(contains(lines, "Backtest complete"), "final line in buffer")
  assert(noted("run " .. id .. ": completed"), "completion notified")
end)

-- The quickfix list against the report the server gave: one entry per finding (the report carries each
-- twice: as a string in errors/warnings and as a structured issue), with its severity, file, line and rule.
local function check_quickfix(report, what)
  local issues = report.issues or {}
  local strings = #(report.errors or {}) + #(report.warnings or {})
  assert(#issues > 0, what .. ": the server reported findings")
  assert(#issues == strings, what .. ": the server's issues and strings differ in number")
  local qf = vim.fn.getqflist()
  assert(#qf == #issues, string.format("%s: %d quickfix entries for %d findings: %s", what, #qf, #issues,
    vim.inspect(qf)))
  local seen, warnings = {}, 0
  for i, it in ipairs(qf) do
    local issue = issues[i]
    local key = it.bufnr .. ":" .. it.lnum .. ":" .. it.text
    assert(not seen[key], what .. ": entry shown twice: " .. key)
    seen[key] = true
    assert(vim.fn.fnamemodify(vim.fn.bufname(it.bufnr), ":t") == vim.fn.fnamemodify(issue.file, ":t"),
      what .. ": file of entry " .. i)
    assert(it.lnum == ((issue.line ~= vim.NIL and issue.line) or 1), what .. ": line of entry " .. i)
    assert(it.type == (issue.severity == "warning" and "W" or "E"), what .. ": type of entry " .. i)
    assert(it.text:find("[" .. issue.rule .. "]", 1, true), what .. ": rule in " .. it.text)
    assert(not it.text:find(issue.file .. ":", 1, true), what .. ": location repeated in " .. it.text)
    if it.type == "W" then warnings = warnings + 1 end
  end
  assert(warnings == #(report.warnings or {}), what .. ": warnings")
  return qf
end

case("validation findings go to the quickfix list once each, with file, line and rule", function()
  vim.fn.setqflist({}, "r")
  local id = run_cmd("BacktestRun scripts/defective.py defect=null_pnl")
  local r = bt._state.runs[id]
  wait_for("failed", function() return r.status ~= nil and r.status ~= "queued" and r.status ~= "running"
    and r.status ~= "validating" end)
  assert(r.status == "failed", "status " .. tostring(r.status))
  wait_for("quickfix", function() return #vim.fn.getqflist() > 0 end, 10000)
  local rec, err = bt.request_sync("status", { run_id = id })
  assert(rec and not err, "status: " .. vim.inspect(err))
  local qf = check_quickfix(rec.validation, "null_pnl")
  assert(#qf == 3, "null_pnl writes three empty pnl cells: " .. #qf)
  local first = qf[1]
  assert(vim.fn.bufname(first.bufnr):match("trades%.csv$") and first.lnum == 12, vim.inspect(first))
  assert(first.text == "pnl is empty [trades.not_null]", first.text)
  assert(noted("failed"), "failure notified")
end)

case("BacktestValidate fills the quickfix list from the validate method, each finding once", function()
  vim.fn.setqflist({}, "r")
  local id = run_cmd("BacktestRun scripts/crash.py partial")
  local r = bt._state.runs[id]
  wait_for("failed", function() return r.status == "failed" end)
  vim.fn.setqflist({}, "r")
  local report
  bt.validate(id, function(rep) report = rep end)
  wait_for("validate", function() return report ~= nil end, 20000)
  check_quickfix(report, "crash partial")
  local files = {}
  for _, it in ipairs(vim.fn.getqflist()) do files[vim.fn.fnamemodify(vim.fn.bufname(it.bufnr), ":t")] = true end
  assert(files["summary.csv"] and files["pnl.csv"], "missing files listed: " .. vim.inspect(files))
  -- With warnings as well as errors (and findings without a line).
  vim.fn.setqflist({}, "r")
  id = run_cmd("BacktestRun scripts/defective.py defect=empty_trades")
  r = bt._state.runs[id]
  wait_for("failed", function() return r.status == "failed" end)
  report = nil
  bt.validate(id, function(rep) report = rep end)
  wait_for("validate", function() return report ~= nil end, 20000)
  assert(#report.warnings > 0 and #report.errors > 0, vim.inspect(report))
  check_quickfix(report, "empty_trades")
end)

case("BacktestCancel cancels the run of the current log buffer", function()
  local id = run_cmd("BacktestRun scripts/hang.py")
  local r = bt._state.runs[id]
  wait_for("hanging", function() return contains(buf_lines(r.buf), "hanging") end)
  vim.cmd("BacktestCancel")
  wait_for("cancelled", function() return r.status == "cancelled" end, 30000)
  assert(noted("run " .. id .. ": cancelled"), "cancel notified")
end)

case("BacktestList lists runs and <CR> opens one's log", function()
  local crash_id
  for id, r in pairs(bt._state.runs) do
    if r.buf and contains(buf_lines(r.buf), "crash.py") then crash_id = id end
  end
  assert(crash_id, "have a crash run")
  local listed
  bt.list(function(buf) listed = buf end)
  wait_for("list", function() return listed ~= nil end, 20000)
  local lines = buf_lines(listed)
  assert(lines[1]:match("^run_id"), "header")
  local row
  for i, l in ipairs(lines) do if l:find(crash_id, 1, true) then row = i end end
  assert(row, "crash run listed")
  assert(lines[row]:find("failed", 1, true), "with its status")
  -- Forget the run's buffer, as if it had been started by another client, then open it from the list.
  vim.api.nvim_buf_delete(bt._state.runs[crash_id].buf, { force = true })
  bt._state.runs[crash_id] = nil
  vim.api.nvim_set_current_buf(listed)
  vim.api.nvim_win_set_cursor(0, { row, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<CR>", true, false, true), "x", false)
  wait_for("log opened", function()
    local r = bt._state.runs[crash_id]
    return r and r.buf and contains(buf_lines(r.buf), "ERROR: simulated failure")
  end, 20000)
  assert(contains(buf_lines(bt._state.runs[crash_id].buf), "Processing day 1/10"), "whole log")
end)

case("BacktestSweep follows a sweep in its buffer, then ranks its runs", function()
  notes = {}
  vim.cmd("BacktestSweep sma_crossover.py fast=2,3,5 slow=4,10 days=40 --rank-by=metrics.sharpe --cache off")
  local sweeps = bt.sweeps._state.sweeps
  local sw
  wait_for("the sweep's answer", function() sw = select(2, next(sweeps)); return sw ~= nil end, 20000)
  assert(#sw.run_ids == 6, "six runs: " .. vim.inspect(sw.run_ids))
  assert(vim.api.nvim_get_current_buf() == sw.buf, "the sweep's buffer is shown")
  assert(vim.api.nvim_buf_get_name(sw.buf):find("backtest://sweep/" .. sw.id, 1, true), "named after the sweep")
  assert(noted("sweep " .. sw.id .. ": 6 runs of sma_crossover.py"), "start notified")
  wait_for("the ranked table", function() return sw.ranked ~= nil end, 120000)
  local lines = buf_lines(sw.buf)
  assert(lines[1] == "-- sweep " .. sw.id .. ": sma_crossover.py  (rank by metrics.sharpe)", lines[1])
  assert(lines[2]:find("^6/6 ended %(5 completed, 1 failed%), 0 running, 0 queued; best metrics%.sharpe "), lines[2])
  local header = vim.split(lines[4], "%s+", { trimempty = true })
  assert(table.concat(header, " ") == "run_id status param.fast param.slow metrics.sharpe metrics.total_return "
    .. "metrics.max_drawdown metrics.trades", lines[4])
  -- The order is the ranking of the records' metrics.sharpe: best first, the failed run (no metrics) last.
  local ids, sharpe = {}, {}
  for i = 5, #lines do
    local id = lines[i]:match("^(%S+)")
    table.insert(ids, id)
    local rec, e = bt.request_sync("status", { run_id = id })
    assert(rec, vim.inspect({ id, e }))
    local m = rec.metrics
    sharpe[id] = (m and m ~= vim.NIL) and m.sharpe or nil
  end
  assert(#ids == 6, vim.inspect(lines))
  -- The grid in the order given: the runs are (2,4), (2,10), (3,4), ... the last name varying fastest.
  local first = assert(bt.request_sync("status", { run_id = sw.run_ids[1] }))
  local second = assert(bt.request_sync("status", { run_id = sw.run_ids[2] }))
  assert(first.params.fast == 2 and first.params.slow == 4 and second.params.slow == 10 and
    first.params.days == 40, vim.inspect({ first.params, second.params }))
  for i = 2, 5 do assert(sharpe[ids[i - 1]] >= sharpe[ids[i]], "ranked by sharpe: " .. vim.inspect(lines)) end
  assert(sharpe[ids[6]] == nil and lines[10]:find("failed", 1, true), "the failed run last")
  assert(lines[2]:find("(" .. ids[1] .. ")", 1, true), "the server's best is the table's first")
  assert(noted("sweep " .. sw.id .. ": 6/6 ended"), "end notified")
  assert(not noted("run " .. ids[1] .. ": completed"), "no notification per run of a sweep")
  -- <CR> on a run opens its log.
  vim.api.nvim_set_current_buf(sw.buf)
  vim.api.nvim_win_set_cursor(0, { 5, 0 })
  vim.api.nvim_feedkeys(vim.api.nvim_replace_termcodes("<CR>", true, false, true), "x", false)
  wait_for("log opened", function()
    local r = bt._state.runs[ids[1]]
    return r and r.buf and contains(buf_lines(r.buf), "Backtest complete")
  end, 20000)
end)

case("BacktestSweep words: grids, fixed params, options, mistakes", function()
  local grid, params, opts = bt.sweeps.parse_words({ "fast=5,0.5,true,abc,null", "days=60", "name=x",
    "--rank-by", "summary.total_pnl asc", "--cache=refresh" })
  assert(vim.deep_equal(grid, { fast = { 5, 0.5, true, "abc", vim.NIL } }), vim.inspect(grid))
  assert(vim.deep_equal(params, { days = 60, name = "x" }), vim.inspect(params))
  assert(vim.deep_equal(opts, { rank_by = "summary.total_pnl asc", cache = "refresh" }), vim.inspect(opts))
  _, _, opts = bt.sweeps.parse_words({ "a=1,2", "--rank-by=metrics.max_drawdown", "ASC", "b=3" })
  assert(opts.rank_by == "metrics.max_drawdown ASC", vim.inspect(opts))
  local _, err = bt.sweeps.parse_words({ "days=60" })
  assert(err:find("vary at least one param"), err)
  _, err = bt.sweeps.parse_words({ "a=1,2", "a=3,4" })
  assert(err == "a is given twice", err)
  _, err = bt.sweeps.parse_words({ "a=1,2", "--rank-by" })
  assert(err == "--rank-by needs a value", err)
  _, err = bt.sweeps.parse_words({ "a=1,2", "--top=3" })
  assert(err == "unknown option --top", err)
  notes = {}
  local failed
  bt.sweep("nope.py", { "a=1,2" }, function(sw, e) failed = e end)
  wait_for("error", function() return failed ~= nil end, 20000)
  assert(failed.code == bt.contract.error_codes.script_not_found and noted("nope.py"), vim.inspect(failed))
  assert(notes[#notes].level == vim.log.levels.ERROR)
end)

case("an unknown script is reported", function()
  notes = {}
  bt.run("scripts/nope.py", {})
  wait_for("error", function() return noted("nope.py") end, 20000)
  assert(notes[1].level == vim.log.levels.ERROR)
end)

local passed, failed = 0, 0
for _, c in ipairs(cases) do
  local ok, err = pcall(c.fn)
  if ok then
    passed = passed + 1
    out("ok   " .. c.name)
  else
    failed = failed + 1
    out("FAIL " .. c.name .. ": " .. tostring(err))
  end
end
if failed > 0 and #bt._state.stderr > 0 then
  out("server stderr:\n  " .. table.concat(bt._state.stderr, "\n  "))
end
out(string.format("nvim: %d passed, %d failed", passed, failed))
vim.fn.system({ "rm", "-rf", ws })
if failed > 0 then vim.cmd("cquit 1") end
vim.cmd("qall!")
