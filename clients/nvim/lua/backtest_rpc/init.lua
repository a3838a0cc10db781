-- backtest_rpc: run and watch backtests from Neovim through a backtest-rpc server (JSON-RPC 2.0, NDJSON).
--
-- One server per Neovim, started with vim.fn.jobstart on first use (Neovim 0.7 has no vim.system).
-- Responses go to the callback waiting on their id; run/log lines are appended to the run's log buffer
-- as they come; run/status changes are shown with vim.notify; validation findings go to the quickfix list
-- (each once). Sweeps (:BacktestSweep) are followed by backtest_rpc.sweep in a buffer of their own.

local M = {}

M.config = {
  cmd = nil,        -- list or string: the server command; default $BACKTEST_RPC_BIN, else "backtest-rpc"
  workspace = nil,  -- default: the current directory when the server starts
  split = "split",  -- how a log buffer is opened ("split", "vsplit", "tabnew", "edit")
  timeout_ms = 30000,
}

-- Facts of the contract (error codes, run statuses, names), generated from protocol/openrpc.json by
-- clients/generate_contract.py: never repeated here by hand.
local contract = require("backtest_rpc.contract")
M.contract = contract

-- The statuses a run ends in, as a set.
local TERMINAL = {}
for _, s in ipairs(contract.terminal_statuses) do TERMINAL[s] = true end
M.terminal = TERMINAL

local S = {
  job = nil,
  next_id = 1,
  pending = {},   -- id -> callback(err, result)
  partial = "",   -- an incomplete stdout line carried to the next chunk
  runs = {},      -- run_id -> { buf, status, last_seq, nlines, holding, held, progress }
  last_run = nil,
  stderr = {},
}
M._state = S

local function nilify(v)
  -- vim.json.decode gives vim.NIL for null; callers want nil.
  if v == vim.NIL then return nil end
  return v
end

local function notify(msg, level)
  vim.notify(msg, level or vim.log.levels.INFO, { title = "backtest" })
end
M.notify = notify

local sweep = require("backtest_rpc.sweep")
sweep.attach(M)
M.sweeps = sweep

-- ---- transport --------------------------------------------------------------------------------------

local function server_cmd()
  local cmd = M.config.cmd or vim.env.BACKTEST_RPC_BIN or "backtest-rpc"
  if type(cmd) == "string" then cmd = { cmd } end
  cmd = vim.deepcopy(cmd)
  table.insert(cmd, "--workspace")
  table.insert(cmd, M.config.workspace or vim.fn.getcwd())
  return cmd
end

local dispatch

local function on_stdout(_, data)
  -- jobstart delivers chunks split at newlines: the first item continues the previous chunk's last one,
  -- and the last item is the start of a line still to come ("" when the chunk ended with a newline).
  if not data then return end
  data[1] = S.partial .. data[1]
  S.partial = table.remove(data)
  for _, line in ipairs(data) do
    line = line:gsub("\r$", "")
    if line ~= "" then
      local ok, msg = pcall(vim.json.decode, line)
      if ok and type(msg) == "table" then
        dispatch(msg)
      end
    end
  end
end

local function on_stderr(_, data)
  for _, l in ipairs(data or {}) do
    if l ~= "" then
      table.insert(S.stderr, l)
      if #S.stderr > 50 then table.remove(S.stderr, 1) end
    end
  end
end

local function on_exit(_, code)
  S.job = nil
  S.partial = ""
  local pending = S.pending
  S.pending = {}
  for _, cb in pairs(pending) do
    cb({ code = -1, message = "backtest-rpc exited with code " .. code }, nil)
  end
end

function M.start()
  if S.job then return S.job end
  local ok, job = pcall(vim.fn.jobstart, server_cmd(), {
    on_stdout = on_stdout, on_stderr = on_stderr, on_exit = on_exit,
  })
  if not ok or job <= 0 then
    notify("cannot start backtest-rpc (" .. table.concat(server_cmd(), " ") .. ")", vim.log.levels.ERROR)
    return nil
  end
  S.job = job
  M.request("initialize", {
    processId = vim.fn.getpid(), rootPath = M.config.workspace or vim.fn.getcwd(),
    clientInfo = { name = "backtest_rpc.nvim", version = "0.1.0" },
  }, function() end)
  return job
end

function M.stop()
  if S.job then
    local job = S.job
    M.request("shutdown", vim.NIL, function()
      pcall(vim.fn.chansend, job, vim.json.encode({ jsonrpc = "2.0", method = "exit" }) .. "\n")
    end)
  end
end

local function send_text(frame)
  if not M.start() then return false end
  vim.fn.chansend(S.job, frame .. "\n")
  return true
end

local function send(msg) return send_text(vim.json.encode(msg)) end

--- Sends a request whose params are JSON text already (for objects whose member order matters: a Lua
--- table has none); cb(err, result) as for request().
function M.request_json(method, params_json, cb)
  local id = S.next_id
  S.next_id = id + 1
  S.pending[id] = cb or function() end
  local frame = string.format('{"jsonrpc":"2.0","id":%d,"method":%s%s}', id, vim.json.encode(method),
    params_json and (',"params":' .. params_json) or "")
  if not send_text(frame) then
    S.pending[id] = nil
    if cb then cb({ code = -1, message = "no server" }, nil) end
  end
  return id
end

--- Sends a request; cb(err, result) runs when the answer comes (err = {code, message, data}).
function M.request(method, params, cb)
  return M.request_json(method, params ~= nil and vim.json.encode(params) or nil, cb)
end

--- Blocks (processing events) until the answer comes; returns result, err.
function M.request_sync(method, params, timeout_ms)
  local done, res, err = false, nil, nil
  M.request(method, params, function(e, r) done, res, err = true, r, e end)
  vim.wait(timeout_ms or M.config.timeout_ms, function() return done end, 10)
  if not done then return nil, { code = -2, message = method .. ": timed out" } end
  return res, err
end

-- ---- log buffers ------------------------------------------------------------------------------------

local function run_state(run_id)
  local r = S.runs[run_id]
  if not r then
    r = { last_seq = -1, nlines = 0, status = nil, held = {} }
    S.runs[run_id] = r
  end
  return r
end

local function append_lines(run_id, lines)
  local r = run_state(run_id)
  -- Without a buffer nothing is shown, so nothing counts as seen: opening the run later fetches it all.
  if not r.buf or not vim.api.nvim_buf_is_valid(r.buf) then return end
  local texts = {}
  for _, ln in ipairs(lines) do
    if ln.seq > r.last_seq then
      r.last_seq = ln.seq
      table.insert(texts, (ln.text:gsub("\n", " ")))
    end
  end
  if #texts == 0 then return end
  vim.api.nvim_buf_set_option(r.buf, "modifiable", true)
  if r.nlines == 0 then
    vim.api.nvim_buf_set_lines(r.buf, 0, -1, false, texts)
  else
    vim.api.nvim_buf_set_lines(r.buf, -1, -1, false, texts)
  end
  r.nlines = r.nlines + #texts
  vim.api.nvim_buf_set_option(r.buf, "modifiable", false)
  -- Follow the tail in windows showing the log, like `tail -f`.
  for _, win in ipairs(vim.fn.win_findbuf(r.buf)) do
    vim.api.nvim_win_set_cursor(win, { r.nlines, 0 })
  end
end

--- Fetches lines after the last one shown (all of them for a new buffer), then releases held batches.
local function fill(run_id, on_done)
  local r = run_state(run_id)
  r.holding = true
  local function page()
    local params = { run_id = run_id, limit = 1000 }
    if r.last_seq >= 0 then params.after_seq = r.last_seq end
    M.request("logs", params, function(err, res)
      if err or not res then
        r.holding = false
        if on_done then on_done() end
        return
      end
      append_lines(run_id, res.lines or {})
      if #(res.lines or {}) >= 1000 then return page() end
      r.holding = false
      local held = r.held
      r.held = {}
      for _, batch in ipairs(held) do append_lines(run_id, batch) end
      if on_done then on_done() end
    end)
  end
  page()
end

local function open_buffer(run_id, title)
  local r = run_state(run_id)
  if r.buf and vim.api.nvim_buf_is_valid(r.buf) then
    local wins = vim.fn.win_findbuf(r.buf)
    if #wins > 0 then vim.api.nvim_set_current_win(wins[1]) else vim.cmd(M.config.split .. " | buffer " .. r.buf) end
    return r.buf
  end
  local buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_name(buf, "backtest://" .. run_id)
  vim.api.nvim_buf_set_option(buf, "bufhidden", "hide")
  vim.api.nvim_buf_set_option(buf, "filetype", "backtestlog")
  vim.api.nvim_buf_set_var(buf, "backtest_run_id", run_id)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, { "-- " .. (title or run_id) .. " --" })
  vim.api.nvim_buf_set_option(buf, "modifiable", false)
  r.buf, r.nlines = buf, 1
  vim.cmd(M.config.split .. " | buffer " .. buf)
  return buf
end

-- ---- quickfix ---------------------------------------------------------------------------------------

--- One validation error/warning → {file, line, text}: accepts "pnl.csv:1043: text" strings and
--- {file, line, message} objects.
function M.parse_issue(item)
  if type(item) == "table" then
    return nilify(item.file), tonumber(nilify(item.line)), tostring(nilify(item.message) or nilify(item.text) or "")
  end
  local s = tostring(item)
  local file, line, text = s:match("^([^:%s]+):(%d+):%s*(.*)$")
  if file then return file, tonumber(line), text end
  file, text = s:match("^([^:%s]+%.%w+):%s*(.*)$")
  if file then return file, nil, text end
  return nil, nil, s
end

-- "trades.csv:12: pnl is empty" -> "pnl is empty" when the prefix is the finding's own file and line (the
-- server writes them into the message as well as into file and line).
local function strip_location(text, file, line)
  if not file then return text end
  local prefixes = { file .. ":" }
  if line then table.insert(prefixes, 1, file .. ":" .. line .. ":") end
  for _, p in ipairs(prefixes) do
    if text:sub(1, #p) == p then
      local rest = vim.trim(text:sub(#p + 1))
      if rest ~= "" then return rest end
    end
  end
  return text
end

--- A validation report's findings, each once: {severity, file, line, rule, message}. The server gives every
--- finding twice (a string in errors/warnings and a structured object in issues): the structured issues
--- are read; the strings only for a report without them (an older server).
function M.issues(report)
  local out = {}
  local structured = nilify(report.issues)
  if type(structured) == "table" and #structured > 0 then
    for _, it in ipairs(structured) do
      local file, line, text = M.parse_issue(it)
      local sev = type(it) == "table" and nilify(it.severity) or nil
      table.insert(out, { severity = sev or "error", file = file, line = line,
        rule = type(it) == "table" and (nilify(it.rule) or nilify(it.code)) or nil,
        message = strip_location(text, file, line) })
    end
    return out
  end
  for _, kind in ipairs({ { "errors", "error" }, { "warnings", "warning" } }) do
    for _, it in ipairs(nilify(report[kind[1]]) or {}) do
      local file, line, text = M.parse_issue(it)
      table.insert(out, { severity = kind[2], file = file, line = line, message = text })
    end
  end
  return out
end

local function resolve(file, record)
  if not file then return nil end
  if file:sub(1, 1) == "/" then return file end
  for _, dir in ipairs({ nilify(record.output_dir), nilify(record.run_dir) }) do
    if dir and vim.fn.filereadable(dir .. "/" .. file) == 1 then return dir .. "/" .. file end
  end
  return (nilify(record.output_dir) or ".") .. "/" .. file
end

--- Puts a validation report's findings into the quickfix list, each once; returns how many.
function M.set_quickfix(report, record, title)
  local items = {}
  for _, it in ipairs(M.issues(report)) do
    table.insert(items, {
      filename = resolve(it.file, record), lnum = it.line or 1,
      text = it.message .. (it.rule and (" [" .. it.rule .. "]") or ""),
      type = it.severity == "warning" and "W" or "E", valid = it.file and 1 or 0,
    })
  end
  vim.fn.setqflist({}, " ", { title = title or "backtest validation", items = items })
  return #items
end

local function quickfix_for(run_id, open)
  M.request("status", { run_id = run_id }, function(err, rec)
    if err or not rec then return end
    local v = nilify(rec.validation)
    if type(v) ~= "table" then return end
    local n = M.set_quickfix(v, rec, "backtest " .. run_id)
    if n > 0 and open then vim.cmd("copen") end
  end)
end

-- ---- notifications ----------------------------------------------------------------------------------

dispatch = function(msg)
  local id = nilify(msg.id)
  if id ~= nil and msg.method == nil then
    local cb = S.pending[id]
    S.pending[id] = nil
    if cb then cb(nilify(msg.error), nilify(msg.result)) end
    return
  end
  if id ~= nil then
    -- The server asks us something: we serve nothing, say so rather than leave it waiting.
    send({ jsonrpc = "2.0", id = id, error = { code = contract.error_codes.method_not_found,
      message = "method not found", data = { method = msg.method } } })
    return
  end
  local p = nilify(msg.params) or {}
  if msg.method == "sweep/progress" then return sweep.on_progress(p) end
  local run_id = p.run_id
  if not run_id then return end
  if msg.method == "run/status" and sweep.owns(run_id) then
    -- A sweep's runs show in its buffer: not one notification (and quickfix list) per run, unless the run's
    -- own log is open too.
    sweep.on_status(p)
    local r = S.runs[run_id]
    if not (r and r.buf and vim.api.nvim_buf_is_valid(r.buf)) then return end
  end
  if msg.method == "run/log" then
    local r = run_state(run_id)
    local lines = p.lines or {}
    local gap = #lines > 0 and lines[1].seq > r.last_seq + 1
    if r.holding then
      table.insert(r.held, lines)
    elseif gap or (nilify(p.dropped) or 0) > 0 then
      -- The server dropped lines for a slow reader (or we joined late): fetch the gap, then these.
      table.insert(r.held, lines)
      fill(run_id)
    else
      append_lines(run_id, lines)
    end
  elseif msg.method == "run/status" then
    local r = run_state(run_id)
    r.status = p.status
    local text = "run " .. run_id .. ": " .. p.status
    if nilify(p.failure) then text = text .. " (" .. p.failure .. ")" end
    if nilify(p.error_message) then text = text .. ": " .. p.error_message end
    local level = p.status == "failed" and vim.log.levels.ERROR
      or (p.status == "cancelled" and vim.log.levels.WARN) or vim.log.levels.INFO
    notify(text, level)
    if TERMINAL[p.status] then quickfix_for(run_id, p.status == "failed") end
  elseif msg.method == "run/progress" then
    local r = run_state(run_id)
    r.progress = p
    if r.buf and vim.api.nvim_buf_is_valid(r.buf) then
      pcall(vim.api.nvim_buf_set_var, r.buf, "backtest_progress", nilify(p.percent) or nilify(p.message))
    end
  end
end

-- ---- commands ---------------------------------------------------------------------------------------

--- "key=value" words → params: numbers, true/false/null and JSON arrays/objects as such, else strings.
function M.parse_params(words)
  local params, n = {}, 0
  for _, w in ipairs(words) do
    local k, v = w:match("^%-*([^=]+)=(.*)$")
    if not k then
      k, v = w:gsub("^%-+", ""), true
    else
      local ok, decoded = pcall(vim.json.decode, v)
      if ok and decoded ~= nil and (type(decoded) ~= "string") then v = decoded end
    end
    params[k] = v
    n = n + 1
  end
  return n > 0 and params or nil
end

--- :BacktestRun {script} {key=value...}
function M.run(script, words, cb)
  local params = M.parse_params(words or {})
  M.request("run", { script = script, params = params }, function(err, res)
    if err then
      notify("run " .. script .. ": " .. (err.message or "error") ..
        (err.data and err.data ~= vim.NIL and (" " .. vim.json.encode(err.data)) or ""), vim.log.levels.ERROR)
      if cb then cb(nil, err) end
      return
    end
    S.last_run = res.run_id
    local r = run_state(res.run_id)
    r.status = r.status or res.status
    open_buffer(res.run_id, res.run_id .. "  " .. script)
    if cb then cb(res.run_id) end
  end)
end

--- :BacktestSweep {script} {name=v1,v2...} [--rank-by FIELD] [--cache MODE]: a buffer follows the sweep and
--- ranks its runs at the end (backtest_rpc.sweep). cb(sweep) once every run has ended.
function M.sweep(script, words, cb) sweep.start(script, words, cb) end

--- Opens a run's log (from the start) and follows it if it is still going.
function M.open_run(run_id)
  S.last_run = run_id
  open_buffer(run_id)
  fill(run_id)
  M.request("status", { run_id = run_id }, function(err, rec)
    if err then return notify("run " .. run_id .. ": " .. err.message, vim.log.levels.ERROR) end
    run_state(run_id).status = rec.status
    if not TERMINAL[rec.status] then
      M.request("subscribe", { run_id = run_id }, function() fill(run_id) end)
    end
  end)
end

--- :BacktestList: a buffer of runs; <CR> on a line opens that run's log.
function M.list(cb)
  M.request("list", { limit = 100 }, function(err, res)
    if err then return notify("list: " .. err.message, vim.log.levels.ERROR) end
    local lines = { string.format("%-22s %-10s %-9s %-12s %s", "run_id", "status", "seconds", "failure", "script") }
    for _, rec in ipairs(res.runs or {}) do
      local dur = nilify(rec.duration_seconds)
      table.insert(lines, string.format("%-22s %-10s %-9s %-12s %s", rec.run_id, rec.status,
        dur and string.format("%.2f", dur) or "", nilify(rec.failure) or "", rec.script))
    end
    local buf = vim.fn.bufnr("backtest://runs")
    if buf == -1 then
      buf = vim.api.nvim_create_buf(true, true)
      vim.api.nvim_buf_set_name(buf, "backtest://runs")
      vim.api.nvim_buf_set_option(buf, "bufhidden", "hide")
      vim.api.nvim_buf_set_keymap(buf, "n", "<CR>", "<cmd>lua require('backtest_rpc').open_from_list()<CR>",
        { noremap = true, silent = true })
    end
    vim.api.nvim_buf_set_option(buf, "modifiable", true)
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
    vim.api.nvim_buf_set_option(buf, "modifiable", false)
    local wins = vim.fn.win_findbuf(buf)
    if #wins > 0 then vim.api.nvim_set_current_win(wins[1]) else vim.cmd(M.config.split .. " | buffer " .. buf) end
    if cb then cb(buf) end
  end)
end

function M.open_from_list()
  local id = vim.api.nvim_get_current_line():match("^(%d+_%d+_%d+[_%d]*)")
  if id then M.open_run(id) end
end

local function current_run(id)
  if id and id ~= "" then return id end
  local ok, v = pcall(vim.api.nvim_buf_get_var, 0, "backtest_run_id")
  if ok then return v end
  return S.last_run
end

--- :BacktestCancel [id] (default: the current log buffer's run, else the last run).
function M.cancel(id)
  id = current_run(id)
  if not id then return notify("no run to cancel", vim.log.levels.WARN) end
  M.request("cancel", { run_id = id }, function(err)
    if err then notify("cancel " .. id .. ": " .. err.message, vim.log.levels.ERROR) end
  end)
end

--- :BacktestValidate [id]: runs `validate` and puts its errors and warnings in the quickfix list.
function M.validate(id, cb)
  id = current_run(id)
  if not id then return notify("no run to validate", vim.log.levels.WARN) end
  M.request("validate", { run_id = id }, function(err, report)
    if err then
      notify("validate " .. id .. ": " .. err.message, vim.log.levels.ERROR)
      if cb then cb(nil, err) end
      return
    end
    M.request("status", { run_id = id }, function(_, rec)
      local n = M.set_quickfix(report, rec or {}, "backtest validate " .. id)
      notify(string.format("run %s: %s, %d issue(s)", id, report.valid and "valid" or "NOT valid", n),
        report.valid and vim.log.levels.INFO or vim.log.levels.WARN)
      if n > 0 then vim.cmd("copen") end
      if cb then cb(report) end
    end)
  end)
end

function M.setup(opts)
  M.config = vim.tbl_extend("force", M.config, opts or {})
end

return M
