-- admin plugin: the Rillet connect flow (CONTRACT §2.3) and the `levy demo --auto` flow.
-- The work is done by the rillet plugin (its exports); this plugin owns the routes.
local http = require "levy.http"
local json = require "levy.json"
local log = require "levy.log"
local plugin = require "levy.plugin"
local jobs = require "levy.jobs"
local demo = require "demo"

local function errmsg(e)
  if type(e) == "table" then return tostring(e.code or "") .. " " .. tostring(e.message) end
  return tostring(e)
end

local function rillet()
  local r = plugin("rillet")
  if not r then http.error(500, "internal", "rillet plugin not loaded") end
  return r
end

local function body(req)
  local b = req:json()
  if type(b) ~= "table" or (next(b) ~= nil and b[1] ~= nil) then
    http.error(400, "invalid_json", "body must be a JSON object")
  end
  return b
end

return {
  name = "admin",
  version = "0.1.0",
  tables = {}, -- none: it works through rillet's and api's exports
  routes = {
    { method = "POST", path = "/v1/connections", auth = "token",
      handler = function(req) return 201, rillet().connection_create(body(req)) end },
    { method = "GET", path = "/v1/connections", auth = "token",
      handler = function() return 200, { data = json.array(rillet().connection_list()), next_cursor = json.null } end },
    { method = "GET", path = "/v1/connections/{id}", auth = "token",
      handler = function(req) return 200, rillet().connection_get(req.params.id) end },
    { method = "DELETE", path = "/v1/connections/{id}", auth = "token",
      handler = function(req) rillet().connection_delete(req.params.id); return 204, "" end },
    { method = "POST", path = "/v1/connections/{id}/subsidiary", auth = "token",
      handler = function(req) return 200, rillet().connection_subsidiary(req.params.id, body(req)) end },
    { method = "POST", path = "/v1/connections/{id}/webhook-secret", auth = "token",
      handler = function(req) return 200, rillet().connection_secret(req.params.id, body(req)) end },
    { method = "POST", path = "/v1/connections/{id}/api-key", auth = "token",
      handler = function(req) return 200, rillet().connection_api_key(req.params.id, body(req)) end },
    { method = "POST", path = "/v1/connections/{id}/import", auth = "token",
      handler = function(req) return 202, rillet().connection_import(req.params.id) end },
    { method = "PATCH", path = "/v1/connections/{id}", auth = "token",
      handler = function(req) return 200, rillet().connection_scope(req.params.id, body(req)) end },
    { method = "POST", path = "/v1/connections/{id}/backfill", auth = "token",
      handler = function(req) return rillet().connection_backfill(req.params.id, body(req), req.query) end },
    { method = "GET", path = "/v1/connections/{id}/backfill", auth = "token",
      handler = function(req) return 200, rillet().connection_backfills(req.params.id) end },
    { method = "GET", path = "/v1/connections/{id}/backfill/previews/{preview_id}", auth = "token",
      handler = function(req)
        return 200, rillet().connection_backfill_preview(req.params.id, req.params.preview_id)
      end },
    { method = "POST", path = "/v1/connections/{id}/sync", auth = "token",
      handler = function(req) return 202, rillet().connection_sync(req.params.id) end },
    { method = "POST", path = "/v1/connections/{id}/reconcile", auth = "token",
      handler = function(req) return 202, rillet().connection_reconcile(req.params.id) end },
  },
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
