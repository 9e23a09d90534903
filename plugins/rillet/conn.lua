-- Connections: the connect flow (CONTRACT §2.3), sealed secrets and the connection JSON.
local crypto = require "levy.crypto"
local http = require "levy.http"
local json = require "levy.json"
local store = require "levy.store"
local jobs = require "levy.jobs"
local time = require "levy.time"
local log = require "levy.log"
local metrics = require "levy.metrics"
local config = require "levy.config"
local client = require "client"
local health = require "health"
local scope = require "scope"
local util = require "util"
local lutil = require "levy.util"
local audit = require "levy.audit"

local M = {}

M.PRODUCTION_URL = "https://api.rillet.com"
M.SANDBOX_URL = "https://sandbox.api.rillet.com"

local now_iso = lutil.now_iso

-- --rillet-url wins when it was set to something else than the production default.
function M.base_url(environment)
  local configured = config.rillet_url
  if configured and configured ~= "" and configured:gsub("/+$", "") ~= M.PRODUCTION_URL then
    return configured
  end
  if environment == "sandbox" then return M.SANDBOX_URL end
  return configured and configured ~= "" and configured or M.PRODUCTION_URL
end

function M.public_base()
  local base = config.public_url
  if not base or base == "" then base = "http://" .. tostring(config.listen or "127.0.0.1:8080") end
  return (base:gsub("/+$", ""))
end

function M.webhook_url(id) return M.public_base() .. "/webhooks/rillet/" .. id end

function M.get(id)
  if type(id) ~= "string" then return nil end
  return store.row("SELECT * FROM connections WHERE id = ? AND deleted_at IS NULL", id)
end

-- The columns the webhook intake reads of its connection (handler.lua intake: the signing
-- token, last_webhook_at; health.lua signature_failed / signature_verified /
-- delivery_verified: sig_*, silent_*), not the whole row: the intake reads it for every
-- delivery, and `SELECT *` made a Lua table of ~35 columns each time (issue 21). A column the
-- intake starts to read must be added here.
local INTAKE_SQL = [[SELECT id, signing_token_sealed, last_webhook_at, silent_count, silent_kinds,
  sig_fail_count, sig_warn_ms, ]] .. health.QUIET_SQL .. [[ AS quiet
  FROM connections WHERE id = ? AND deleted_at IS NULL]]

-- The host's fast path (handler.lua, the intake route's `fast`; core/host/fasthook.c) reads
-- this for every delivery it may answer in C: ?1 the connection id, ?2 the X-Rillet-Id. One
-- row for a live connection: the sealed signing token and the AAD it was sealed with (seal()
-- below), last_webhook_at, health.QUIET_SQL (0: the Lua intake takes the delivery), and
-- whether the id was ever accepted (inbox.seen's two lookups: a duplicate is answered from
-- this read).
M.FAST_SQL = [[SELECT signing_token_sealed, id || ':signing_token', last_webhook_at,
  ]] .. health.QUIET_SQL .. [[,
  CASE WHEN EXISTS (SELECT 1 FROM inbox WHERE delivery_id = ?2)
    OR EXISTS (SELECT 1 FROM inbox_seen WHERE delivery_id = ?2) THEN 1 ELSE 0 END
  FROM connections WHERE id = ?1 AND deleted_at IS NULL]]
function M.get_intake(id)
  if type(id) ~= "string" then return nil end
  return store.row(INTAKE_SQL, id)
end

function M.must(id)
  local row = M.get(id)
  if not row then http.error(404, "not_found", "connection not found") end
  return row
end

local function seal(id, field, plaintext) return crypto.seal(plaintext, id .. ":" .. field) end

-- The request budget (client.lua's rate bucket) of an API key: Rillet counts its 60 requests
-- per rolling minute per API key, so every connection that uses one key (two subsidiaries of
-- one organisation) shares one budget. Named by a digest of the base URL and the key, never
-- the key itself: "key_" + 128 bits of SHA-256 (the key is high-entropy; the digest is in
-- rillet_rate_log and log lines). The same key on another Rillet (sandbox) is another budget.
function M.key_bucket(base_url, key)
  return "key_" .. crypto.hex(crypto.sha256("levy.rillet.rate\0" .. tostring(base_url or "") ..
    "\0" .. key)):sub(1, 32)
end

-- Opened API keys and their rate buckets, remembered with the sealed bytes they came from
-- (see signing_keys below: a new seal always has new bytes, so a replaced key gets its own
-- bucket at once). Spares every write-back and page fetch an AES-GCM open.
local key_cache, key_cache_n = {}, 0

local function open_key(row)
  local sealed = row.api_key_sealed
  if not sealed then return nil end
  local e = key_cache[row.id]
  if e and e.sealed == sealed and e.base_url == row.base_url then return e end
  local key = crypto.open(sealed, row.id .. ":api_key")
  if not key then return nil end
  if not e then
    if key_cache_n >= 256 then key_cache, key_cache_n = {}, 0 end
    key_cache_n = key_cache_n + 1
  end
  e = { sealed = sealed, key = key, base_url = row.base_url, bucket = M.key_bucket(row.base_url, key) }
  key_cache[row.id] = e
  return e
end

function M.api_key(row)
  local e = open_key(row)
  return e and e.key or nil
end

-- The connection's rate bucket (its API key's), or nil when the key does not open.
function M.bucket(row)
  local e = open_key(row)
  return e and e.bucket or nil
end

function M.signing_token(row)
  if not row.signing_token_sealed then return nil end
  return crypto.open(row.signing_token_sealed, row.id .. ":signing_token")
end

-- Opened signing tokens and their HMAC keys, keyed by connection id and remembered with the
-- exact sealed bytes they came from: every seal uses a fresh random nonce, so a rotated token
-- (POST …/webhook-secret), an erased one (DELETE) or a re-sealed one (rotate-master-key)
-- changes the stored bytes and misses the cache. Spares the webhook intake an AES-GCM open
-- and the key derivation per delivery. Lives in this generation's Lua state only (a reload
-- starts empty); at most MAX_TOKEN_CACHE entries.
M.MAX_TOKEN_CACHE = 256
local token_cache, token_cache_n = {}, 0

-- Returns token, keys (list of HMAC keys for webhook.verify_keys) or nil when none is set.
function M.signing_keys(row, derive)
  local sealed = row.signing_token_sealed
  if not sealed then return nil end
  local e = token_cache[row.id]
  if e and e.sealed == sealed then return e.token, e.keys end
  local token = M.signing_token(row)
  if not token then return nil end
  if not e then
    if token_cache_n >= M.MAX_TOKEN_CACHE then token_cache, token_cache_n = {}, 0 end
    token_cache_n = token_cache_n + 1
  end
  e = { sealed = sealed, token = token, keys = derive(token) }
  token_cache[row.id] = e
  return e.token, e.keys
end

-- A rate-limited client for background work (bucket = its API key's, shared by every
-- connection that uses the key).
function M.client(row)
  local e = open_key(row)
  if not e then return nil, "connection has no usable API key" end
  return client.new { base_url = row.base_url, api_key = e.key, bucket = e.bucket, connection = row }
end

local function pick(t, fields)
  if type(t) ~= "table" then return json.null end
  local out = {}
  for _, f in ipairs(fields) do
    local v = lutil.nn(t[f])
    if v ~= nil then out[f] = v else out[f] = json.null end
  end
  return out
end
local ORG_FIELDS = { "id", "trade_name", "currency", "timezone" }

local function counts(id)
  local c = { customers = 0, products = 0, invoices = 0, credit_memos = 0 }
  for _, r in ipairs(store.rows("SELECT entity, count FROM sync_checkpoints WHERE connection_id = ?", id)) do
    if c[r.entity] ~= nil then c[r.entity] = r.count end
  end
  return c
end

-- Import progress (issue 20): Rillet's list endpoints carry no total (only
-- pagination.next_cursor), so while the import reads them levy knows how many records it has
-- read, not how many there are. Once documents are in, M is the connection's invoices and
-- credit memos and N those levy has decided (calculated, or held with a reason such as
-- customer_unknown): the UI's "N of M" with a bar and an estimate.
-- The counts are kept by triggers (migration 0025, rillet_conn_doc_counts: at most 16 rows a
-- type): counting the connection's documents in the index read every one, 140 ms at 1M.
local function doc_progress(id)
  local r = store.row("SELECT CAST(COALESCE(sum(docs), 0) AS BIGINT) AS m, CAST(COALESCE(sum(decided), 0) AS BIGINT) " ..
    "AS n FROM rillet_conn_doc_counts WHERE connection_id = ?", id)
  return r and r.m or 0, r and r.n or 0
end

local opt = lutil.orjnull

-- The connection object (CONTRACT §2.3). Never contains a secret.
function M.view(row)
  local subs = util.decode_obj(row.subsidiaries) or {}
  local list = {}
  local chosen = json.null
  for _, s in ipairs(subs) do
    local v = pick(s, ORG_FIELDS)
    list[#list + 1] = v
    if row.subsidiary_id and s.id == row.subsidiary_id then chosen = v end
  end
  local c = counts(row.id)
  local m, n = doc_progress(row.id)
  local out = {
    id = row.id,
    provider = row.provider,
    status = row.status,
    environment = row.environment,
    rillet_url = row.base_url or json.null,
    organization = pick(util.decode_obj(row.organization), ORG_FIELDS),
    subsidiaries = json.array(list),
    subsidiary = chosen,
    webhook_url = row.subsidiary_id and M.webhook_url(row.id) or json.null,
    created_at = row.created_at,
    import = {
      state = row.import_state,
      customers = c.customers, products = c.products,
      invoices = c.invoices, credit_memos = c.credit_memos,
      started_at = opt(row.import_started_at),
      finished_at = opt(row.import_finished_at),
      error = opt(row.import_error),
    },
    -- issue 20: the import's "N of M" (doc_progress above); outside `import`, whose fields
    -- the contract lists
    import_progress = { documents = m, decided = n },
    last_webhook_at = opt(row.last_webhook_at),
    last_sync_at = opt(row.last_sync_at),
    api_key_hint = row.api_key_hint or json.null,
    tax_scope = scope.view(row),
    -- issue 17: one state the API, the UI, the log and /metrics share (health.lua)
    health = health.compute(row),
  }
  if row.status == "error" then
    out.error = { code = row.error_code or "error", message = row.error_message or "" }
  end
  return out
end

local validation = lutil.invalid

-- The audit row of a connection's change (issue 20), in the caller's transaction. req: the
-- request (actor, id) or a {actor_kind, actor} table (the demo), or nil.
local function audit_conn(req, action, id, changes)
  audit.record(req, { action = action, object_kind = "connection", object_id = id,
                      label = "Rillet connection " .. id, changes = changes or {} })
end
M.audit_conn = audit_conn

local function scope_fields(row)
  local v = scope.view(row)
  v.books = nil -- levy's own reading of Rillet, not a setting
  return v
end

-- Turn a client error of the connect flow into the contract's answer.
local function upstream(err)
  if err.kind == "http" and (err.status == 401 or err.status == 403) then
    http.error(422, "invalid_api_key", "Rillet refused the API key")
  end
  if err.kind == "transport" then
    http.error(503, "unavailable", "Rillet is unreachable, try again", nil, { ["Retry-After"] = "5" })
  end
  if err.kind == "rate" or (err.kind == "http" and err.status == 429) then
    -- the key's budget is spent (by this key's other connections too) or Rillet said 429
    local s = tostring(math.max(1, (err.retry_after_ms or 5000) // 1000))
    http.error(503, "unavailable", "Rillet rate limit reached, try again", nil, { ["Retry-After"] = s })
  end
  http.error(502, "upstream_error", err.message or "Rillet error")
end

-- Another live connection that already connects subsidiary `sub_id` of organisation `org_id`
-- on this Rillet (same base URL): its row, else nil. Only connections past step 4 count (a
-- signing token stored: `connected`, or `error` after it), so an abandoned wizard never
-- blocks a new one; the first of two wizards racing for one subsidiary wins at step 4.
function M.connected_elsewhere(id, base_url, org_id, sub_id)
  if type(sub_id) ~= "string" then return nil end
  for _, r in ipairs(store.rows([[SELECT id, organization FROM connections WHERE deleted_at IS NULL
      AND id <> ? AND base_url = ? AND subsidiary_id = ? AND signing_token_sealed IS NOT NULL
      ORDER BY created_at, id]], id or "", base_url, sub_id)) do
    local org = util.decode_obj(r.organization) or {}
    if org.id == org_id then return r end
  end
  return nil
end

-- 409 already_connected naming the connection that holds the subsidiary (details[1].connection_id).
local function already_connected(other, sub_id)
  http.error(409, "already_connected", "this subsidiary is already connected in levy (connection " ..
    other.id .. "); use that connection, or disconnect it first",
    { { field = "subsidiary_id", message = "already connected (connection " .. other.id .. ")",
        connection_id = other.id, subsidiary_id = sub_id } })
end

local function org_id(row) return (util.decode_obj(row.organization) or {}).id end

-- A write that changes nothing (the nil UUID names no invoice): a read-only key is answered
-- 403 where Rillet checks the permission before looking the document up; 404 (or 400) says
-- nothing either way (docs/rillet-assumptions.md "Read-only API keys").
M.WRITE_PROBE_PATH = "/invoices/00000000-0000-0000-0000-000000000000/taxes"

-- Is the key read-only? GET /api-key's answer (`info`) when it says so (Rillet's OAS gives it
-- no schema; the simulator reports `read_only`), else the write probe above. Returns
-- why-text when read-only, false when known writable or unknown, and the requests sent.
function M.read_only(c, info)
  if type(info) == "table" then
    for _, f in ipairs({ "read_only", "readOnly", "is_read_only" }) do
      local v = lutil.nn(info[f])
      if v == true then return "GET /api-key reports " .. f .. ": true", 0 end
      if v == false then return false, 0 end
    end
  end
  local ok, err = c:post(M.WRITE_PROBE_PATH, { items = json.empty_array })
  if not ok and err.kind == "http" and err.status == 403 then
    return "Rillet refused a harmless test write with 403 (" .. tostring(err.message) .. ")", 1
  end
  if not ok and err.kind == "http" and err.status == 401 then upstream(err) end
  return false, 1
end

-- The connect flow's checks of a key: GET /api-key, /organizations/self, /subsidiaries and
-- the read-only check. Raises the contract's error; returns org, subsidiaries, read-only
-- why-text or false, and the number of requests sent.
function M.check_key(c)
  local info, err = c:get("/api-key", nil, { any_body = true })
  if not info then upstream(err) end
  local org
  org, err = c:get("/organizations/self")
  if not org then upstream(err) end
  local subs
  subs, err = c:get("/subsidiaries")
  if not subs then upstream(err) end
  local list = lutil.nn(subs.subsidiaries)
  if type(list) ~= "table" then list = {} end
  local ro, n = M.read_only(c, info)
  return org, list, ro, 3 + n
end

-- Step 1: POST /v1/connections
function M.create(body, opts, req)
  if not lutil.is_object(body) then http.error(400, "invalid_json", "body must be a JSON object") end
  local provider = lutil.nn(body.provider)
  if provider ~= nil and provider ~= "rillet" then validation("provider", "must be \"rillet\"") end
  local key = lutil.nn(body.api_key)
  if type(key) ~= "string" or key == "" then validation("api_key", "required string") end
  if #key > 4096 or key:find("[%c%s]") then validation("api_key", "not a valid API key") end
  local env = lutil.nn(body.environment) or "production"
  if env ~= "production" and env ~= "sandbox" then validation("environment", "must be \"production\" or \"sandbox\"") end
  for k in pairs(body) do
    if k ~= "provider" and k ~= "api_key" and k ~= "environment" and not scope.FIELDS[k] then
      validation(tostring(k), "unknown field")
    end
  end
  local scols = scope.parse(body)
  local base = (type(opts) == "table" and opts.base_url) or M.base_url(env)
  -- the connect flow draws on the key's budget like the connections that already use it
  local c = client.new { base_url = base, api_key = key, bucket = M.key_bucket(base, key) }
  local started = time.now_ms()
  local org, list, ro = M.check_key(c)
  local id = crypto.id("con_")
  local now = now_iso()
  local sub_id = (#list == 1) and list[1].id or nil
  if sub_id then
    -- the key's only subsidiary is chosen at once: refuse before storing anything
    local other = M.connected_elsewhere(nil, base, lutil.nn(org.id), sub_id)
    if other then already_connected(other, sub_id) end
  end
  store.transaction(function()
    store.exec([[INSERT INTO connections(id, provider, status, environment, base_url, organization,
      subsidiaries, subsidiary_id, api_key_sealed, api_key_hint, created_at, tax_from,
      tax_partially_paid, tax_partially_credited, manual_tax, line_amounts)
      VALUES (?, 'rillet', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)]],
      id, sub_id and "needs_webhook_secret" or "needs_subsidiary", env, base,
      util.encode(pick(org, ORG_FIELDS)), util.encode(json.array(list)), sub_id,
      seal(id, "api_key", key), "\u{2026}" .. key:sub(-4), now,
      scols.tax_from or scope.default_tax_from(started), scols.tax_partially_paid or 0,
      scols.tax_partially_credited or 0, scols.manual_tax or "respect_manual", scols.line_amounts or "net")
    if ro then health.key_replaced(id, true, ro) end
    local changes = audit.diff(nil, scope_fields(store.row("SELECT * FROM connections WHERE id = ?", id)))
    changes.api_key = { before = json.null, after = audit.secret("set", key:sub(-4)) }
    changes.environment = { before = json.null, after = env }
    if sub_id then changes.subsidiary_id = { before = json.null, after = sub_id } end
    audit_conn(req, "connection.created", id, changes)
  end)
  log.info("rillet connection created", { connection = id, subsidiaries = #list })
  if ro then health.refresh(id) end
  return M.view(M.get(id))
end

-- The connection (404 when there is none) and the one string field a connect step's body
-- carries (400 invalid_json: not an object; 422: missing or empty; with only, also any other
-- field).
local function step_input(id, body, field, only)
  local row = M.must(id)
  if not lutil.is_object(body) then http.error(400, "invalid_json", "body must be a JSON object") end
  if only then
    for k in pairs(body) do if k ~= field then validation(tostring(k), "unknown field") end end
  end
  local v = lutil.nn(body[field])
  if type(v) ~= "string" or v == "" then validation(field, "required string") end
  return row, v
end

-- Step 2: POST /v1/connections/{id}/subsidiary
function M.set_subsidiary(id, body, req)
  local row, sid = step_input(id, body, "subsidiary_id", true)
  if row.status == "connected" or (row.status == "error" and row.signing_token_sealed) then
    if row.subsidiary_id == sid then return M.view(row) end
    http.error(409, "conflict", "the subsidiary cannot change once the connection is connected")
  end
  local found = false
  for _, s in ipairs(util.decode_obj(row.subsidiaries) or {}) do
    if s.id == sid then found = true end
  end
  if not found then validation("subsidiary_id", "unknown subsidiary") end
  local other = M.connected_elsewhere(id, row.base_url, org_id(row), sid)
  if other then already_connected(other, sid) end
  store.transaction(function()
    store.exec("UPDATE connections SET subsidiary_id = ?, status = 'needs_webhook_secret' WHERE id = ?", sid, id)
    audit_conn(req, "connection.subsidiary_chosen", id,
      { subsidiary_id = { before = lutil.orjnull(row.subsidiary_id), after = sid } })
  end)
  return M.view(M.get(id))
end

-- Step 4: POST /v1/connections/{id}/webhook-secret
function M.set_secret(id, body, req)
  local row, token = step_input(id, body, "signing_token", true)
  if #token > 4096 or token:find("[%c]") then validation("signing_token", "not a valid signing token") end
  if not row.subsidiary_id then
    http.error(409, "conflict", "choose a subsidiary first (POST /v1/connections/{id}/subsidiary)")
  end
  -- another wizard connected the same subsidiary since step 2
  local other = M.connected_elsewhere(id, row.base_url, org_id(row), row.subsidiary_id)
  if other then already_connected(other, row.subsidiary_id) end
  local first = row.import_state == "pending"
  local replaced = row.signing_token_sealed ~= nil
  store.transaction(function()
    -- in place: the same connection and webhook URL; the old sealed token is overwritten
    store.exec([[UPDATE connections SET signing_token_sealed = ?,
      status = CASE WHEN status = 'error' THEN status ELSE 'connected' END WHERE id = ?]],
      seal(id, "signing_token", token), id)
    health.token_replaced(id)
    audit_conn(req, replaced and "connection.webhook_token_replaced" or "connection.connected", id,
      { signing_token = { before = replaced and "set" or json.null, after = replaced and audit.REPLACED or "set" } })
    if first then
      store.exec("UPDATE connections SET import_state = 'running', import_started_at = ? WHERE id = ?", now_iso(), id)
      jobs.enqueue { kind = "rillet.import", key = id, payload = { connection_id = id } }
    end
  end)
  if replaced then
    log.info("rillet signing token replaced (same webhook URL)", { connection = id })
  else
    log.info("rillet connection connected", { connection = id })
  end
  health.refresh(id)
  return M.view(M.get(id))
end

-- POST /v1/connections/{id}/api-key {"api_key"}: replace the key in place (issue 17). The
-- new key is checked with Rillet first (as in step 1, plus: same organization, the chosen
-- subsidiary still listed); only then is it sealed over the old one. Clears key_invalid /
-- the `error` status; a failed import resumes; documents whose write failed for the key are
-- re-checked (bulk run).
function M.set_api_key(id, body, req)
  local row, key = step_input(id, body, "api_key", true)
  if #key > 4096 or key:find("[%c%s]") then validation("api_key", "not a valid API key") end
  -- the check draws on the new key's request budget (shared by its connections)
  local c = client.new { base_url = row.base_url, api_key = key, bucket = M.key_bucket(row.base_url, key) }
  local org, list, ro = M.check_key(c)
  local had = util.decode_obj(row.organization)
  local new_org = type(org) == "table" and lutil.nn(org.id)
  if type(had) == "table" and lutil.nn(had.id) and new_org ~= had.id then
    validation("api_key", "this key belongs to another Rillet organization than the connection")
  end
  if row.subsidiary_id then
    local found = false
    for _, s in ipairs(list) do if type(s) == "table" and s.id == row.subsidiary_id then found = true end end
    if not found then validation("api_key", "this key does not see the connection's subsidiary") end
  end
  local resume = row.import_state == "failed" and row.subsidiary_id and row.signing_token_sealed
  local run
  store.transaction(function()
    store.exec([[UPDATE connections SET api_key_sealed = ?, api_key_hint = ?, error_code = NULL,
      error_message = NULL, status = CASE WHEN status = 'error' THEN 'connected' ELSE status END WHERE id = ?]],
      seal(id, "api_key", key), "\u{2026}" .. key:sub(-4), id)
    health.key_replaced(id, ro ~= false, ro or nil)
    local old4 = type(row.api_key_hint) == "string" and row.api_key_hint:sub(-4) or nil
    audit_conn(req, "connection.key_replaced", id,
      { api_key = { before = audit.secret("set", old4), after = audit.replaced(key:sub(-4)) } })
    if resume then M.queue_import(id, false) end
    -- documents whose write Rillet refused for the key (401/403) are tried again
    local n = 0
    for _, t in ipairs({ "invoices", "credit_memos" }) do
      n = n + store.exec("UPDATE " .. t .. [[ SET write_failures = 0 WHERE connection_id = ? AND tax_status = 'failed'
        AND (last_error LIKE 'Rillet answered 401%' OR last_error LIKE 'Rillet answered 403%'
          OR last_error LIKE 'not written: the API key%')]], id)
    end
    if n > 0 then run = true end
  end)
  if run and not ro then require("bulk").start("connection", id, true) end
  log.info("rillet API key replaced", { connection = id, read_only = ro and true or false })
  health.refresh(id)
  return M.view(M.get(id))
end

-- Queue the import (inside the caller's transaction): resume from the checkpoints, or, with
-- `fresh`, list everything again.
function M.queue_import(id, fresh)
  if fresh then
    store.exec([[DELETE FROM sync_checkpoints WHERE connection_id = ?
      AND entity IN ('customers', 'products', 'invoices', 'credit_memos')]], id)
  end
  store.exec([[UPDATE connections SET import_state = 'running', import_error = NULL, import_finished_at = NULL,
    import_started_at = CASE WHEN ? = 1 THEN ? ELSE COALESCE(import_started_at, ?) END WHERE id = ?]],
    fresh and 1 or 0, now_iso(), now_iso(), id)
  -- the user asked for it: an import backing off (Rillet was unreachable) runs now
  return jobs.enqueue { kind = "rillet.import", key = id, payload = { connection_id = id }, skip_backoff = true }
end

-- POST /v1/connections/{id}/import: resume a failed (or stalled) import where it stopped, or
-- run a finished one again from the start. 409 while one is running.
function M.import_now(id, _, req)
  local row = M.must(id)
  if not row.subsidiary_id or not row.signing_token_sealed then
    http.error(409, "conflict", "the connection is not connected yet")
  end
  local active = jobs.count { kind = "rillet.import", key = id, states = { "queued", "running" } } > 0
  if active and row.import_state == "running" then
    http.error(409, "conflict", "the import is running")
  end
  local fresh = row.import_state == "done"
  local jid
  store.transaction(function()
    jid = M.queue_import(id, fresh)
    audit_conn(req, "connection.import_requested", id,
      { import = { before = row.import_state, after = fresh and "running (from the start)" or "running (resumed)" } })
  end)
  log.info("rillet import requested", { connection = id, resume = not fresh })
  health.refresh(id)
  local out = M.view(M.get(id))
  return { status = "queued", connection_id = id, job_id = jid, resume = not fresh, import = out.import,
           health = out.health }
end

-- DELETE /v1/connections/{id}: erase secrets, keep imported data, webhook URL -> 404.
function M.delete(id, req)
  local row = M.must(id)
  store.transaction(function()
    store.exec([[UPDATE connections SET api_key_sealed = NULL, signing_token_sealed = NULL,
      deleted_at = ? WHERE id = ?]], now_iso(), id)
    audit_conn(req, "connection.deleted", id, {
      status = { before = row.status, after = "deleted" },
      api_key = { before = row.api_key_sealed and "set" or json.null, after = "erased" },
      signing_token = { before = row.signing_token_sealed and "set" or json.null, after = "erased" } })
  end)
  -- its series leave /metrics now (a scrape must not show a removed connection until a restart)
  health.gauge(id, nil)
  metrics.remove("levy_reconciliation_last_drift", { connection = id })
  log.info("rillet connection deleted", { connection = id })
end

-- POST /v1/connections/{id}/sync
function M.sync_now(id, _, req)
  local row = M.must(id)
  if row.status ~= "connected" and row.status ~= "error" then
    http.error(409, "conflict", "the connection is not connected yet")
  end
  -- Sync now: a sweep backing off (Rillet was unreachable) runs now, as the user asked; the
  -- job and the audit row of who asked (issue 20) commit together
  local jid = store.transaction(function()
    local j = jobs.enqueue { kind = "rillet.sweep", key = id, payload = { connection_id = id, products = true },
                             skip_backoff = true }
    audit_conn(req, "connection.sync_requested", id, { sync = { before = json.null, after = "queued" } })
    return j
  end)
  return { status = "queued", connection_id = id, job_id = jid }
end

-- PATCH /v1/connections/{id}: tax scope settings (scope.lua). A change re-evaluates the
-- connection's open documents in a bulk run (bulk.lua: a job re-checks them in batches); the
-- answer says at once how many (`queued`) and which run (`requeue`: {id, documents, state}).
function M.set_scope(id, body, req)
  local row = M.must(id)
  local changed = store.transaction(function()
    local c = scope.update(row, body)
    local diff = audit.diff(scope_fields(row), scope_fields(M.get(id)))
    if audit.changed(diff) then audit_conn(req, "connection.scope_changed", id, diff) end
    return c
  end)
  local run = { id = json.null, documents = 0, state = "done" }
  if changed then run = require("bulk").start("connection", id, true) end
  local out = M.view(M.get(id))
  out.queued = run.documents
  out.requeue = run
  return out
end

function M.list()
  local out = {}
  for _, r in ipairs(store.rows("SELECT * FROM connections WHERE deleted_at IS NULL ORDER BY created_at, id")) do
    out[#out + 1] = M.view(r)
  end
  return out
end

-- A background job found the key revoked.
function M.set_error(id, code, message)
  store.exec("UPDATE connections SET status = 'error', error_code = ?, error_message = ? WHERE id = ?",
    code, message, id)
  health.refresh(id)
end

return M
