-- `levy demo --auto`: perform the whole connect flow against the bundled simulator so that
-- invoices get taxed at once: API key -> subsidiary -> webhook created in the simulator
-- (POST /_sim/webhooks returns its signing token) -> signing token -> import; and subscribe
-- a few regions with tax calculation on.
local config = require "levy.config"
local http = require "levy.http"
local json = require "levy.json"
local log = require "levy.log"
local plugin = require "levy.plugin"

local M = {}

M.REGIONS = { "US-CA", "US-TX", "US-NY", "US-WA", "US-IL", "US-FL", "US-PA", "US-CO",
              "EU", "GB", "CA", "AU" }

M.EVENTS = {
  INVOICE = { "CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED" },
  CREDIT_MEMO = { "CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED" },
  CUSTOMER = { "CREATED", "UPDATED", "DELETED" },
}

-- who the audit log names for the demo's changes (levy.audit, issue 20)
local WHO = { actor_kind = "cli", actor = "levy demo --auto" }

-- the api plugin owns `regions`: the demo subscribes through its export
local function subscribe(code)
  local api = plugin("api")
  if not api then error("api plugin not loaded") end
  return api.set_region(code, { subscribed = true, tax_calculation = true }, WHO)
end

function M.run()
  local d = config.demo
  if type(d) ~= "table" or not d.auto then return nil end
  local sim = tostring(d.sim_url or ""):gsub("/+$", "")
  local rillet = plugin("rillet")
  if not rillet then error("rillet plugin not loaded") end
  -- already connected (e.g. a restart of the same data dir)?
  local con
  for _, c in ipairs(rillet.connection_list()) do
    if c.status == "connected" then return "demo --auto: already connected (" .. c.id .. ")" end
    con = con or c -- a half-finished earlier attempt: continue it
  end
  -- the demo organisation's history is the demo: tax it from the simulator's first document
  -- date (a real connection taxes from the day it is made; docs/connector.md "Scope")
  local from = "2026-01-01"
  local ist, _, ibody = http.request { method = "GET", url = sim .. "/_sim/info", timeout_ms = 5000 }
  local info = ist == 200 and json.decode(ibody or "") or nil
  if type(info) == "table" and type(info.documents_from) == "string" then from = info.documents_from end
  con = con or rillet.connection_create({ provider = "rillet", api_key = d.api_key, tax_documents_from = from },
                                        { base_url = sim }, WHO)
  if con.status == "needs_subsidiary" then
    -- the parent entity: same trade name (else currency) as the organisation
    local org = type(con.organization) == "table" and con.organization or {}
    local pick = con.subsidiaries[1]
    for _, s in ipairs(con.subsidiaries) do
      if s.currency == org.currency and pick.currency ~= org.currency then pick = s end
    end
    for _, s in ipairs(con.subsidiaries) do
      if s.trade_name == org.trade_name then pick = s end
    end
    con = rillet.connection_subsidiary(con.id, { subsidiary_id = pick.id }, WHO)
  end
  local status, _, body = http.request {
    method = "POST", url = sim .. "/_sim/webhooks",
    headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. d.api_key },
    body = json.encode { name = "levy", url = con.webhook_url, events = M.EVENTS, enabled = true },
  }
  if status ~= 200 and status ~= 201 then
    error("simulator refused the webhook: " .. tostring(status))
  end
  local hook = json.decode(body or "")
  if type(hook) ~= "table" or type(hook.signing_token) ~= "string" then
    error("simulator answered without a signing_token")
  end
  for _, code in ipairs(M.REGIONS) do
    local ok, e = pcall(subscribe, code)
    if not ok then log.warn("demo: could not subscribe region", { region = code, error = tostring(e) }) end
  end
  con = rillet.connection_secret(con.id, { signing_token = hook.signing_token }, WHO)
  log.info("demo --auto connected", { connection = con.id, subsidiary = con.subsidiary and con.subsidiary.id })
  return "demo --auto: connected " .. con.id .. " (" .. tostring(con.subsidiary and con.subsidiary.trade_name) ..
    "), import running; subscribed " .. table.concat(M.REGIONS, ", ")
end

return M
