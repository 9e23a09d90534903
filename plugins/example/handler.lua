-- Example plugin used by the host's tests: a small JSON route, a durable write that
-- enqueues a job, a route that yields on outbound HTTP, and routes that fail on purpose.
local http = require "levy.http"
local config = require "levy.config"
local util = require "util"
local metrics = require "levy.metrics"

local function store_mods()
  local ok, store = pcall(require, "levy.store")
  local ok2, jobs = pcall(require, "levy.jobs")
  if not ok or not ok2 then
    http.error(503, "unavailable", "the store is not built into this binary")
  end
  return store, jobs
end

local routes = {
  { method = "GET", path = "/v1/example/hello", handler = function(req)
      metrics.inc("levy_example_hellos_total", { who = req.query.name or "world" })
      return 200, { hello = util.greet(req.query.name or "world"), generation = config.generation }
    end },
  { method = "GET", path = "/example/public/{name}", auth = "none", handler = function(req)
      return 200, { name = req.params.name, q = req.query.q, method = req.method }
    end },
  { method = "POST", path = "/v1/example/echo", handler = function(req)
      local body = req:json()
      return 200, { got = body }
    end },
  { method = "POST", path = "/v1/example/things", handler = function(req)
      local body = req:json()
      if type(body.name) ~= "string" or body.name == "" then
        http.error(422, "validation_failed", "name is required",
                   { { field = "name", message = "required" } })
      end
      local store, jobs = store_mods()
      local id = body.id or ("thing_" .. tostring(math.random(1, 1 << 40)))
      local job_id = store.transaction(function()
        store.exec("INSERT INTO example_things(id, name, processed) VALUES (?, ?, 0)", id, body.name)
        return jobs.enqueue { kind = "example.thing", key = id, payload = { id = id } }
      end)
      return 201, { id = id, job = job_id }
    end },
  { method = "GET", path = "/v1/example/things/{id}", handler = function(req)
      local store = store_mods()
      local row = store.row("SELECT id, name, processed FROM example_things WHERE id = ?", req.params.id)
      if not row then http.error(404, "not_found", "no such thing") end
      return 200, row
    end },
  { method = "GET", path = "/v1/example/fetch", handler = function(req)
      local status, headers, body = http.request { url = req.query.url, timeout_ms = tonumber(req.query.timeout_ms) or 5000 }
      if not status then
        return 502, { error = { code = "upstream_error", message = headers, detail = body } }
      end
      return 200, { status = status, length = #body, content_type = headers["content-type"] }
    end },
  { method = "GET", path = "/v1/example/boom", handler = function()
      error("boom: this is a deliberate plugin error")
    end },
  { method = "GET", path = "/v1/example/conflict", handler = function()
      http.error(409, "conflict", "deliberate conflict", { { field = "x", message = "taken" } },
                 { ["X-Example"] = "yes" })
    end },
  { method = "GET", path = "/v1/example/spin", handler = function()
      local ok = pcall(function() while true do end end)
      while true do end
      return 200, { ok = ok }
    end },
  { method = "POST", path = "/v1/example/jobs/{kind}", handler = function(req)
      local _, jobs = store_mods()
      local kind = "example." .. req.params.kind
      return 202, { job = jobs.enqueue { kind = kind, payload = { n = 1 } } }
    end },
  { method = "GET", path = "/v1/example/text", auth = "none", handler = function()
      return 200, "plain text", { ["Content-Type"] = "text/plain" }
    end },
}

return {
  name = "example",
  version = "0.1.0",
  roles = { "serve" },
  routes = routes,
  jobs = {
    ["example.thing"] = {
      run = function(job)
        local store = store_mods()
        store.exec("UPDATE example_things SET processed = processed + 1 WHERE id = ?", job.payload.id)
      end,
      max_attempts = 3, concurrency = 2, base_delay_ms = 100, max_delay_ms = 1000,
    },
    -- fails its first run (retried with backoff), succeeds on the second
    ["example.flaky"] = {
      run = function(job)
        if job.attempts < 2 then error("flaky: first attempt fails") end
      end,
      max_attempts = 3, base_delay_ms = 50, max_delay_ms = 200,
    },
    -- always fails: dead after max_attempts
    ["example.broken"] = {
      run = function() error("broken job") end,
      max_attempts = 2, base_delay_ms = 20, max_delay_ms = 50,
    },
    -- gives up explicitly
    ["example.deadend"] = {
      run = function() return require("levy.jobs").dead("no way") end,
    },
  },
  schedule = {
    { name = "example.tick", every_ms = 100, run = function()
        metrics.inc("levy_example_ticks_total", {})
      end },
  },
  exports = { greet = util.greet },
}
