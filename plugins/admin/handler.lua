-- admin plugin: the Rillet connect flow (CONTRACT §2.3) and the `levy demo --auto` flow.
-- The work is done by the rillet plugin (its exports); this plugin owns the routes.
local http = require "levy.http"
local json = require "levy.json"
local log = require "levy.log"
local plugin = require "levy.plugin"
local demo = require "demo"

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
    { method = "POST", path = "/v1/connections/{id}/sync", auth = "token",
      handler = function(req) return 202, rillet().connection_sync(req.params.id) end },
  },
  on_start = function()
    local ok, res = pcall(demo.run)
    if not ok then
      log.error("demo --auto connect flow failed", { error = type(res) == "table" and tostring(res.message) or tostring(res) })
      return "demo --auto: connect flow failed (see log)"
    end
    return res
  end,
}
