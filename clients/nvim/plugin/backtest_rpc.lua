-- Commands of the backtest_rpc plugin (the code is in lua/backtest_rpc/init.lua).
if vim.g.loaded_backtest_rpc then return end
vim.g.loaded_backtest_rpc = true

local function bt() return require("backtest_rpc") end

vim.api.nvim_create_user_command("BacktestRun", function(o)
  local args = vim.split(o.args, "%s+", { trimempty = true })
  if #args == 0 then
    return vim.notify("usage: :BacktestRun {script} {key=value...}", vim.log.levels.ERROR)
  end
  local script = table.remove(args, 1)
  bt().run(script, args)
end, { nargs = "+", complete = "file", desc = "Run a backtest script and follow its log" })

vim.api.nvim_create_user_command("BacktestSweep", function(o)
  local args = vim.split(o.args, "%s+", { trimempty = true })
  if #args < 2 then
    return vim.notify("usage: :BacktestSweep {script} {name=v1,v2...} [--rank-by FIELD] [--cache MODE]",
      vim.log.levels.ERROR)
  end
  local script = table.remove(args, 1)
  bt().sweep(script, args)
end, { nargs = "+", complete = "file", desc = "Run a script over a grid of params; follow and rank its runs" })

vim.api.nvim_create_user_command("BacktestList", function() bt().list() end,
  { nargs = 0, desc = "List backtest runs (<CR> opens one)" })

vim.api.nvim_create_user_command("BacktestCancel", function(o) bt().cancel(o.args) end,
  { nargs = "?", desc = "Cancel a run (default: this log buffer's, else the last one)" })

vim.api.nvim_create_user_command("BacktestOpen", function(o) bt().open_run(o.args) end,
  { nargs = 1, desc = "Open a run's log" })

vim.api.nvim_create_user_command("BacktestValidate", function(o) bt().validate(o.args) end,
  { nargs = "?", desc = "Validate a run's outputs into the quickfix list" })

vim.api.nvim_create_autocmd("VimLeavePre", { callback = function() pcall(function() bt().stop() end) end })
