-- Helper module of the example plugin (loaded through the plugin-local require).
local M = {}

function M.greet(name)
  return "hello, " .. name
end

return M
