-- backtest_rpc.sweep: :BacktestSweep, one script over a grid of params (docs/sweeps.md).
--
-- A scratch buffer (backtest://sweep/<sweep_id>) follows the sweep: its counts and best run from
-- sweep/progress, one line per run with its status from run/status. When every run has ended, one `compare`
-- of its runs fills the buffer with them ranked by rank_by (best first, the ones without a value last, as the
-- server ranks), and vim.notify says how it went. <CR> on a run's line opens its log.
--
-- The server announces a sweep before it answers `sweep` (its first sweep/progress, the status of runs taken
-- from the cache at once), so events of a sweep not known yet are kept and replayed when its answer comes.

local M = {}

local core -- the plugin (backtest_rpc): set by attach(), as it requires this module itself
local S = {
  sweeps = {}, -- sweep_id -> { buf, script, rank_by, run_ids, statuses, progress, done, ranked }
  early = {},  -- sweep_id -> { progress, statuses } of a sweep whose answer has not come yet
}
M._state = S

function M.attach(plugin) core = plugin end

local function nilify(v) if v == vim.NIL then return nil end return v end

-- ---- words -------------------------------------------------------------------------------------------

-- "5" -> 5, "0.5" -> 0.5, "true" -> true, "null" -> null, anything else (or an array/object) -> the text.
local function scalar(text)
  local ok, v = pcall(vim.json.decode, text)
  if ok and (v == vim.NIL or type(v) == "number" or type(v) == "boolean" or type(v) == "string") then return v end
  return text
end

--- "fast=5,10 slow=50 --rank-by metrics.sharpe" words -> grid {fast = {5, 10}}, params {slow = 50},
--- options {rank_by = ..., cache = ...}, and the grid's names in the order given; nil and a message for a
--- word that is none of these.
function M.parse_words(words)
  local grid, params, opts, order = {}, {}, {}, {}
  local ngrid, nparams = 0, 0
  local i = 1
  while i <= #words do
    local w = words[i]
    local opt, val = w:match("^%-%-([%w-]+)=(.*)$")
    if not opt then opt = w:match("^%-%-([%w-]+)$") end
    if opt then
      if opt ~= "rank-by" and opt ~= "cache" then return nil, "unknown option --" .. opt end
      if not val then i = i + 1; val = words[i] end
      if not val or val == "" then return nil, "--" .. opt .. " needs a value" end
      -- The command splits at spaces: "--rank-by summary.total_pnl asc" is three words.
      local dir = opt == "rank-by" and words[i + 1] and words[i + 1]:lower()
      if dir == "asc" or dir == "desc" then i = i + 1; val = val .. " " .. words[i] end
      opts[opt:gsub("-", "_")] = val
    else
      local k, v = w:match("^([^=]+)=(.*)$")
      if not k then return nil, "not name=value[,value...]: " .. w end
      if grid[k] ~= nil or params[k] ~= nil then return nil, k .. " is given twice" end
      local values = vim.split(v, ",", { plain = true })
      if #values == 1 then
        params[k], nparams = scalar(values[1]), nparams + 1
      else
        for j, text in ipairs(values) do values[j] = scalar(text) end
        grid[k], ngrid = values, ngrid + 1
        table.insert(order, k)
      end
    end
    i = i + 1
  end
  if ngrid == 0 then return nil, "vary at least one param: name=v1,v2,..." end
  -- An empty table would be encoded as a JSON array: leave params out when there are none.
  return grid, nparams > 0 and params or nil, opts, order
end

--- The sweep's params as JSON text, the grid's members in the order given: the server makes the runs in
--- that order (the last name varying fastest), and a Lua table would encode them in any order.
function M.params_json(script, grid, order, params, opts)
  local members = { '"script":' .. vim.json.encode(script) }
  local cells = {}
  for _, name in ipairs(order) do
    table.insert(cells, vim.json.encode(name) .. ":" .. vim.json.encode(grid[name]))
  end
  table.insert(members, '"grid":{' .. table.concat(cells, ",") .. "}")
  if params then table.insert(members, '"params":' .. vim.json.encode(params)) end
  if opts.rank_by then table.insert(members, '"rank_by":' .. vim.json.encode(opts.rank_by)) end
  if opts.cache then table.insert(members, '"cache":' .. vim.json.encode(opts.cache)) end
  return "{" .. table.concat(members, ",") .. "}"
end

-- ---- which sweep an event belongs to ------------------------------------------------------------------

--- "20261127_120033_544__0004" -> "sweep_20261127_120033_544"; nil for a run not named as a sweep's.
function M.sweep_of_run(run_id)
  local stem = run_id:match("^(.+)__%d+$")
  return stem and ("sweep_" .. stem) or nil
end

--- True when the run's status notifications are the sweep view's (not one notification per run).
function M.owns(run_id) return M.sweep_of_run(run_id) ~= nil end

-- ---- the buffer --------------------------------------------------------------------------------------

local function fmt(v)
  v = nilify(v)
  if v == nil then return "" end
  if type(v) == "number" then
    if v == math.floor(v) and math.abs(v) < 1e15 then return string.format("%d", v) end
    return string.format("%.4g", v)
  end
  if type(v) == "table" then return vim.json.encode(v) end
  return tostring(v)
end

--- "4/6 ended (3 completed, 1 failed), 2 running, 0 queued; best metrics.sharpe 1.23 (RUN_ID)"
function M.describe(p)
  local ended = p.completed + p.failed + p.cancelled
  local parts = { p.completed .. " completed" }
  if p.failed > 0 then table.insert(parts, p.failed .. " failed") end
  if p.cancelled > 0 then table.insert(parts, p.cancelled .. " cancelled") end
  local text = string.format("%d/%d ended (%s), %d running, %d queued", ended, p.total,
    table.concat(parts, ", "), p.running, p.queued)
  local best = nilify(p.best)
  if best then text = text .. string.format("; best %s %s (%s)", best.metric, fmt(best.value), best.run_id) end
  return text
end

local function aligned(rows)
  local widths = {}
  for _, row in ipairs(rows) do
    for j, c in ipairs(row) do widths[j] = math.max(widths[j] or 0, #c) end
  end
  local out = {}
  for _, row in ipairs(rows) do
    local cells = {}
    for j, c in ipairs(row) do cells[j] = c .. string.rep(" ", widths[j] - #c) end
    table.insert(out, (table.concat(cells, "  "):gsub("%s+$", "")))
  end
  return out
end

local function lines_of(sw)
  local head = "-- sweep " .. sw.id .. ": " .. sw.script .. (sw.rank_by and ("  (rank by " .. sw.rank_by .. ")") or "")
  local lines = { head, sw.progress and M.describe(sw.progress) or "started", "" }
  if sw.ranked then
    for _, l in ipairs(sw.ranked) do table.insert(lines, l) end
    return lines
  end
  local rows = { { "run_id", "status" } }
  for _, id in ipairs(sw.run_ids) do table.insert(rows, { id, sw.statuses[id] or "queued" }) end
  for _, l in ipairs(aligned(rows)) do table.insert(lines, l) end
  return lines
end

local function render(sw)
  if not (sw.buf and vim.api.nvim_buf_is_valid(sw.buf)) then return end
  vim.api.nvim_buf_set_option(sw.buf, "modifiable", true)
  vim.api.nvim_buf_set_lines(sw.buf, 0, -1, false, lines_of(sw))
  vim.api.nvim_buf_set_option(sw.buf, "modifiable", false)
end

local function open_buffer(sw)
  local buf = vim.api.nvim_create_buf(true, true)
  vim.api.nvim_buf_set_name(buf, "backtest://sweep/" .. sw.id)
  vim.api.nvim_buf_set_option(buf, "bufhidden", "hide")
  vim.api.nvim_buf_set_var(buf, "backtest_sweep_id", sw.id)
  vim.api.nvim_buf_set_keymap(buf, "n", "<CR>", "<cmd>lua require('backtest_rpc').open_from_list()<CR>",
    { noremap = true, silent = true })
  sw.buf = buf
  vim.cmd(core.config.split .. " | buffer " .. buf)
end

-- ---- ranking (as the server ranks: descending unless "asc"; runs without a value last, in order) ----

--- "metrics.sharpe desc" -> the compare column ("params.x" is compare's "param.x") and ascending.
function M.rank_key(rank_by)
  if not rank_by then return nil end
  local field, dir = rank_by:match("^(%S+)%s*(%S*)$")
  if not field then return nil end
  local column = field:gsub("^params%.", "param.")
  return { field = field, column = column, ascending = dir:lower() == "asc" }
end

local function number(v)
  v = nilify(v)
  if type(v) == "string" then v = tonumber(v) end
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then return nil end
  return v
end

function M.rank(rows, rank_by)
  local key = M.rank_key(rank_by)
  if not key then return rows end
  local valued, rest = {}, {}
  for i, r in ipairs(rows) do
    local v = number(r[key.column])
    if v then table.insert(valued, { v = v, i = i, r = r }) else table.insert(rest, r) end
  end
  table.sort(valued, function(a, b)
    if a.v ~= b.v then if key.ascending then return a.v < b.v else return a.v > b.v end end
    return a.i < b.i
  end)
  local out = {}
  for _, t in ipairs(valued) do table.insert(out, t.r) end
  for _, r in ipairs(rest) do table.insert(out, r) end
  return out
end

local SHOWN_METRICS = { "metrics.total_return", "metrics.sharpe", "metrics.max_drawdown", "metrics.trades" }

--- The columns worth reading: run_id, status, the params that differ between the runs, the rank column,
--- then a few metrics (compare has them all).
local function columns(cmp, key)
  local cols = { "run_id", "status" }
  local rows = cmp.rows or {}
  for _, c in ipairs(cmp.columns or {}) do
    if c:match("^param%.") then
      local seen, n = {}, 0
      for _, r in ipairs(rows) do
        local k = fmt(r[c])
        if not seen[k] then seen[k], n = true, n + 1 end
      end
      if n > 1 or #rows < 2 then table.insert(cols, c) end
    end
  end
  local have = {}
  for _, c in ipairs(cmp.columns or {}) do have[c] = true end
  for _, c in ipairs(vim.list_extend({ key and key.column }, SHOWN_METRICS)) do
    if c and have[c] and not vim.tbl_contains(cols, c) then table.insert(cols, c) end
  end
  return cols
end

local function show_ranked(sw, cmp)
  local key = M.rank_key(sw.rank_by)
  local ranked = M.rank(cmp.rows or {}, sw.rank_by)
  local cols = columns(cmp, key)
  local rows = { cols }
  for _, r in ipairs(ranked) do
    local row = {}
    for j, c in ipairs(cols) do row[j] = fmt(r[c]) end
    table.insert(rows, row)
  end
  sw.ranked = aligned(rows)
  sw.ranked_ids = {}
  for _, r in ipairs(ranked) do table.insert(sw.ranked_ids, r.run_id) end
  render(sw)
end

-- ---- events ------------------------------------------------------------------------------------------

local function finished(sw)
  local p = sw.progress
  return p and p.queued == 0 and p.running == 0 and p.total >= #sw.run_ids
end

local function maybe_done(sw)
  if sw.done or not finished(sw) then return end
  sw.done = true
  core.request("compare", { run_ids = sw.run_ids }, function(err, cmp)
    if err or not cmp then
      core.notify("sweep " .. sw.id .. ": compare: " .. ((err and err.message) or "no answer"), vim.log.levels.ERROR)
    else
      show_ranked(sw, cmp)
    end
    local p = sw.progress
    core.notify("sweep " .. sw.id .. ": " .. M.describe(p),
      (p.failed > 0 or p.cancelled > 0) and vim.log.levels.WARN or vim.log.levels.INFO)
    if sw.on_done then sw.on_done(sw) end
  end)
end

function M.on_progress(p)
  local sw = S.sweeps[p.sweep_id]
  if not sw then
    S.early[p.sweep_id] = S.early[p.sweep_id] or { statuses = {} }
    S.early[p.sweep_id].progress = p
    return
  end
  sw.progress = p
  render(sw)
  maybe_done(sw)
end

function M.on_status(p)
  local sweep_id = M.sweep_of_run(p.run_id)
  local sw = sweep_id and S.sweeps[sweep_id]
  if not sw then
    if sweep_id then
      S.early[sweep_id] = S.early[sweep_id] or { statuses = {} }
      S.early[sweep_id].statuses[p.run_id] = p.status
    end
    return
  end
  sw.statuses[p.run_id] = p.status
  render(sw)
end

-- ---- commands ----------------------------------------------------------------------------------------

--- :BacktestSweep {script} {name=v1,v2...} [--rank-by FIELD] [--cache reuse|refresh|off]
--- cb(sweep) once every run has ended (tests), or cb(nil, err).
function M.start(script, words, cb)
  local grid, params, opts, order = M.parse_words(words or {})
  if not grid then
    core.notify("sweep " .. script .. ": " .. params, vim.log.levels.ERROR)
    if cb then cb(nil, { message = params }) end
    return
  end
  core.request_json("sweep", M.params_json(script, grid, order, params, opts), function(err, res)
    if err then
      core.notify("sweep " .. script .. ": " .. (err.message or "error") ..
        (nilify(err.data) and (" " .. vim.json.encode(err.data)) or ""), vim.log.levels.ERROR)
      if cb then cb(nil, err) end
      return
    end
    local sw = { id = res.sweep_id, script = script, rank_by = opts.rank_by, run_ids = res.run_ids,
      statuses = {}, on_done = cb }
    S.sweeps[sw.id] = sw
    local early = S.early[sw.id]
    S.early[sw.id] = nil
    if early then
      sw.progress = early.progress
      for id, st in pairs(early.statuses) do sw.statuses[id] = st end
    end
    core.notify(string.format("sweep %s: %d runs of %s", sw.id, #sw.run_ids, script))
    open_buffer(sw)
    render(sw)
    maybe_done(sw)
  end)
end

return M
