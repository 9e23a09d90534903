-- admin plugin: the `levy demo --auto` flow (the connection routes of CONTRACT §2.3 live in
-- plugins/rillet, which owns connections). It works through rillet's and api's exports.
local log = require "levy.log"
local jobs = require "levy.jobs"
local demo = require "demo"

local function errmsg(e)
  if type(e) == "table" then return tostring(e.code or "") .. " " .. tostring(e.message) end
  return tostring(e)
end

return {
  name = "admin",
  version = "0.1.0",
  tables = {}, -- none: it works through rillet's and api's exports
  jobs = {
    -- the simulator may still be starting: the demo flow is retried in the background
    ["admin.demo_connect"] = { max_attempts = 30, concurrency = 1, base_delay_ms = 500, max_delay_ms = 2000,
      run = function(job)
        local ok, res = pcall(demo.run)
        if ok then
          if res then log.info(res, {}) end
          return
        end
        log.warn("demo --auto connect flow failed, retrying", { error = errmsg(res), attempt = job.attempts })
        return jobs.retry(1000, errmsg(res))
      end },
  },
  on_start = function()
    local ok, res = pcall(demo.run)
    if ok then return res end
    log.warn("demo --auto connect flow failed, retrying in the background", { error = errmsg(res) })
    jobs.enqueue { kind = "admin.demo_connect", key = "demo", payload = {}, delay_ms = 1000 }
    return "demo --auto: connecting to the simulator in the background"
  end,
}
