-- Connection health (issue 17): one state per connection, computed from signals levy has
-- verified (a refused or verified delivery, Rillet's answer to a request, a sweep's finding,
-- the import's outcome) and kept on the connection row (migration 0009). The API
-- (`health` on the connection object), the UI card, the log and /metrics all show this one
-- computation. Never holds or logs a secret.
local json = require "levy.json"
local log = require "levy.log"
local metrics = require "levy.metrics"
local store = require "levy.store"
local time = require "levy.time"
local lutil = require "levy.util"

local M = {}

-- Every state, worst first: the first that applies is the connection's state.
M.STATES = { "key_invalid", "key_read_only", "setup", "import_failed", "webhook_failing",
             "webhook_silent", "rate_limited", "awaiting_webhook", "connected" }

M.WARN_EVERY_MS = 60000        -- a refused delivery is logged at WARN once a minute per connection
M.RATE_SHOWN_MS = 60000        -- a 429 is shown this long after the block it caused has passed
M.SILENT_DEFAULT_MINUTES = 10  -- settings webhook_silent_minutes (keep it below sweep_interval_minutes)

local HEALTHY = { connected = true, awaiting_webhook = true, setup = true }

local now_iso = lutil.now_iso

local function api_path(id, tail) return "/v1/connections/" .. id .. tail end

local function plural(n, one, many) return n .. " " .. (n == 1 and one or many) end

-- The connection's health: {state, since, detail, count, sentence, action} where action is
-- {code, text, method, path} (method/path: the levy request that repairs it, when there is
-- one) or null. `row` is a connections row; `now_ms` optional.
function M.compute(row, now_ms)
  now_ms = now_ms or time.now_ms()
  local id = row.id
  local s
  if row.key_problem == "invalid" or (row.status == "error" and row.error_code == "invalid_api_key") then
    s = { state = "key_invalid", since = row.key_problem_at or row.health_since, count = row.key_problem_count or 0,
      detail = row.key_problem_detail or row.error_message,
      sentence = "Rillet refuses levy's API key, so levy can neither read new documents nor write tax.",
      action = { code = "replace_api_key", method = "POST", path = api_path(id, "/api-key"),
        text = "Create an API key in Rillet (Organization Settings \u{2192} API Access) and paste it with Replace API key." } }
  elseif row.key_problem == "read_only" then
    s = { state = "key_read_only", since = row.key_problem_at, count = row.key_problem_count or 0,
      detail = row.key_problem_detail,
      sentence = "The API key is read-only: levy imports and calculates, but Rillet refuses every tax write.",
      action = { code = "replace_api_key", method = "POST", path = api_path(id, "/api-key"),
        text = "Create an API key in Rillet without \u{201c}read-only\u{201d} and paste it with Replace API key." } }
  elseif row.status == "needs_subsidiary" or row.status == "needs_webhook_secret" then
    s = { state = "setup", since = row.created_at, count = 0,
      sentence = "The connection is not set up yet.",
      action = { code = "continue_setup", text = "Finish the setup: Continue setup on the Integrations page." } }
  elseif row.import_state == "failed" then
    s = { state = "import_failed", since = row.import_finished_at, count = 0, detail = row.import_error,
      sentence = "The import from Rillet stopped before it finished, so some documents are missing in levy.",
      action = { code = "retry_import", method = "POST", path = api_path(id, "/import"),
        text = "Retry the import: it resumes where it stopped." } }
  elseif (row.sig_fail_count or 0) > 0 then
    local n = row.sig_fail_count
    s = { state = "webhook_failing", since = row.sig_fail_first_at, count = n,
      detail = plural(n, "delivery", "deliveries") .. " refused (signature does not match) since " ..
        tostring(row.sig_fail_first_at) .. ", the last at " .. tostring(row.sig_fail_last_at) ..
        (row.last_webhook_at and ("; last verified delivery " .. row.last_webhook_at) or "; no delivery verified yet"),
      sentence = "levy refuses Rillet's webhook deliveries because its signing token does not match the webhook's token in Rillet.",
      action = { code = "replace_signing_token", method = "POST", path = api_path(id, "/webhook-secret"),
        text = "Copy the Webhook Token from the webhook's page in Rillet and paste it with Replace signing token " ..
          "(the webhook URL stays the same); re-enable the webhook in Rillet if it was disabled." } }
  elseif (row.silent_count or 0) > 0 then
    local n = row.silent_count
    s = { state = "webhook_silent", since = row.silent_since, count = n, detail = row.silent_detail,
      sentence = "The sweep found " .. plural(n, "changed document", "changed documents") ..
        " that no webhook delivery announced: Rillet's webhook is disabled or misses events.",
      action = { code = "check_webhook",
        text = "In Rillet (Organization Settings \u{2192} Webhooks), enable the webhook for this connection's URL " ..
          "and tick Created, Updated, Deleted and Payment Updated for Invoice and Credit Memo." } }
  elseif row.rate_limited_until_ms and now_ms < row.rate_limited_until_ms + M.RATE_SHOWN_MS then
    local n = row.rate_limited_count or 0
    s = { state = "rate_limited", since = row.rate_limited_at, count = n,
      detail = "Rillet answered 429 " .. plural(n, "time", "times") .. " (last at " .. tostring(row.rate_limited_at) ..
        "); levy waits until " .. time.iso(row.rate_limited_until_ms),
      sentence = "Rillet is limiting levy's requests, so imports and tax writes are delayed.",
      action = { code = "wait",
        text = "Nothing to do: levy waits and catches up. If it lasts, check other integrations that use the same API key." } }
  elseif row.status == "connected" and not row.last_webhook_at then
    s = { state = "awaiting_webhook", since = row.health_since or row.created_at, count = 0,
      sentence = "levy has not received a verified webhook delivery yet, so the signing token is not checked yet.",
      action = { code = "trigger_delivery",
        text = "Create or change an invoice in Rillet (levy's own tax writes also send one); this turns Connected " ..
          "when its delivery is verified." } }
  else
    s = { state = "connected", since = row.health_since or row.last_webhook_at or row.created_at, count = 0,
      sentence = "Rillet and levy are connected: deliveries are verified and tax is written.", action = json.null }
  end
  if row.health_state == s.state and row.health_since then s.since = row.health_since end
  if s.since == nil then s.since = json.null end
  if s.detail == nil then s.detail = json.null end
  return s
end

-- Recompute, record a change of state (health_state / health_since), log it once (WARN into
-- a problem, INFO out of one) and set the gauges. Returns the health object.
function M.refresh(id, row)
  row = row or store.row("SELECT * FROM connections WHERE id = ?", id)
  if not row then return nil end
  local h = M.compute(row)
  if row.health_state ~= h.state then
    local since = now_iso()
    store.exec("UPDATE connections SET health_state = ?, health_since = ? WHERE id = ?", h.state, since, id)
    h.since = since
    local fields = { connection = id, state = h.state, previous = row.health_state or "none",
                     detail = h.detail ~= json.null and h.detail or nil }
    if HEALTHY[h.state] then
      log.info("rillet connection health: " .. h.state, fields)
    else
      log.warn("rillet connection health: " .. h.state .. ": " .. h.sentence, fields)
    end
  end
  M.gauge(id, row.deleted_at == nil and h.state or nil)
  return h
end

-- levy_connection_health{connection, state}: 1 for the connection's state, 0 for the others;
-- a deleted connection's series are removed (state nil), not kept at 0 until a restart.
function M.gauge(id, state)
  if state == nil then
    metrics.remove("levy_connection_health", { connection = id })
    return
  end
  for _, s in ipairs(M.STATES) do
    metrics.set("levy_connection_health", { connection = id, state = s }, s == state and 1 or 0)
  end
end

-- Every schedule tick (sync.tick): states that change with time alone (rate_limited ends), gauges
-- after a restart.
function M.refresh_all()
  for _, r in ipairs(store.rows("SELECT * FROM connections")) do
    if r.deleted_at then
      -- its series removed once (and not re-created after a restart)
      if r.health_state ~= "deleted" then
        store.exec("UPDATE connections SET health_state = 'deleted', health_since = ? WHERE id = ?", now_iso(), r.id)
        M.gauge(r.id, nil)
      end
    else
      M.refresh(r.id, r)
    end
  end
end

---------------------------------------------------------------- signals

-- A delivery whose signature does not match (webhook intake). Counted with its time; a WARN
-- line at most once a minute per connection (delivery id, entity, event; never the token or
-- the signature).
-- A delivery needs none of the bookkeeping below (signature_verified, delivery_verified, the
-- first delivery's refresh in the intake) when this holds: no signature failures counted, no
-- silent kinds flagged, a delivery seen before. An SQL expression over `connections`, read by
-- the intake's connection read (conn.lua: column `quiet`) and by the host's fast path (the
-- route's `fast.lookup`, which leaves every other connection to the Lua intake).
M.QUIET_SQL = [[(CASE WHEN sig_fail_count = 0 AND silent_count = 0 AND last_webhook_at IS NOT NULL
  THEN 1 ELSE 0 END)]]

function M.signature_failed(crow, h)
  local now = time.now_ms()
  local at = time.iso(now)
  local warn = not crow.sig_warn_ms or now - crow.sig_warn_ms >= M.WARN_EVERY_MS
  store.exec([[UPDATE connections SET sig_fail_count = sig_fail_count + 1,
    sig_fail_first_at = COALESCE(sig_fail_first_at, ?), sig_fail_last_at = ?,
    sig_warn_ms = CASE WHEN ? = 1 THEN ? ELSE sig_warn_ms END WHERE id = ?]], at, at, warn and 1 or 0, now, crow.id)
  if warn then
    local r = store.row("SELECT sig_fail_count, sig_fail_first_at FROM connections WHERE id = ?", crow.id)
    log.warn("webhook delivery refused: the signature does not match the connection's signing token " ..
      "(paste the webhook's token again: POST /v1/connections/{id}/webhook-secret)",
      { connection = crow.id, delivery = h["x-rillet-id"], entity = h["x-rillet-entity"], event = h["x-rillet-event"],
        refused = r and r.sig_fail_count, since = r and r.sig_fail_first_at })
  end
  M.refresh(crow.id)
end

-- A delivery whose signature matched: the token works, the failures end. Cheap when nothing
-- was wrong (no write).
function M.signature_verified(crow)
  if (crow.sig_fail_count or 0) == 0 then return false end
  store.exec([[UPDATE connections SET sig_fail_count = 0, sig_fail_first_at = NULL, sig_fail_last_at = NULL
    WHERE id = ?]], crow.id)
  return true
end

-- Rillet refused the key: kind "invalid" (401, 403 on a read) or "read_only" (403 on a write).
function M.key_refused(id, kind, detail)
  store.exec([[UPDATE connections SET key_problem_count = CASE WHEN key_problem IS NOT DISTINCT FROM ? THEN key_problem_count + 1 ELSE 1 END,
    key_problem_at = CASE WHEN key_problem IS NOT DISTINCT FROM ? THEN key_problem_at ELSE ? END,
    key_problem = ?, key_problem_detail = ? WHERE id = ?]], kind, kind, now_iso(), kind, detail, id)
  M.refresh(id)
end

-- A request Rillet accepted: `write` true for POST/PUT/DELETE. Clears what it disproves (an
-- accepted write disproves read_only; any accepted request disproves invalid). Returns
-- whether anything changed.
function M.key_accepted(id, kind_now, write)
  if kind_now == "invalid" or (kind_now == "read_only" and write) then
    store.exec([[UPDATE connections SET key_problem = NULL, key_problem_at = NULL, key_problem_detail = NULL,
      key_problem_count = 0 WHERE id = ?]], id)
    -- the key works again (a refusal that passed): the `error` status it caused ends too
    store.exec([[UPDATE connections SET status = 'connected', error_code = NULL, error_message = NULL
      WHERE id = ? AND status = 'error' AND error_code = 'invalid_api_key']], id)
    M.refresh(id)
    return true
  end
  return false
end

-- Rillet answered 429: the connection waits `wait_ms`.
function M.rate_limited(id, wait_ms)
  local now = time.now_ms()
  store.exec([[UPDATE connections SET rate_limited_count = rate_limited_count + 1, rate_limited_at = ?,
    rate_limited_until_ms = CASE WHEN coalesce(rate_limited_until_ms, 0) > ? THEN rate_limited_until_ms ELSE ? END
    WHERE id = ?]], time.iso(now), now + wait_ms, now + wait_ms, id)
  M.refresh(id)
end

-- A request got through after 429s: the count starts again (the state ends with time).
function M.rate_ok(id)
  store.exec("UPDATE connections SET rate_limited_count = 0 WHERE id = ? AND rate_limited_count > 0", id)
end

-- The window (minutes) after which a change no delivery announced counts as missed.
-- cid: the connection (its own value when it sets one, else the global one).
function M.silent_window_ms(api, cid)
  local minutes = M.SILENT_DEFAULT_MINUTES
  if api and api.settings then
    local ok, st = pcall(api.settings, cid)
    if ok and type(st) == "table" and math.type(st.webhook_silent_minutes) == "integer"
      and st.webhook_silent_minutes > 0 then
      minutes = st.webhook_silent_minutes
    end
  end
  return minutes * 60000
end

-- A complete sweep of the connection's documents found `n` (> 0) changes no delivery
-- announced within the window (`examples`: a few "invoice <number or id>"; `kinds`:
-- ",invoice,credit_memo,"). The state lasts until a verified delivery of each of those kinds
-- (M.delivery_verified) or a new signing token: a quiet sweep proves nothing.
function M.sweep_result(id, n, examples, kinds)
  store.exec([[UPDATE connections SET silent_count = ?, silent_since = COALESCE(silent_since, ?),
    silent_detail = ?, silent_kinds = ? WHERE id = ?]], n, now_iso(),
    "the last sweep found " .. plural(n, "document", "documents") .. " changed in Rillet more than " ..
    "webhook_silent_minutes (settings) earlier that no delivery announced" ..
    (#examples > 0 and (": " .. table.concat(examples, ", ")) or ""), kinds, id)
  M.refresh(id)
end

local KIND_OF = { INVOICE = "invoice", CREDIT_MEMO = "credit_memo" }

-- A verified delivery of `entity` (normalised: INVOICE, CREDIT_MEMO) arrived: deliveries of
-- that kind flow again. Returns true when webhook_silent changed (the caller refreshes).
function M.delivery_verified(crow, entity)
  local kind = KIND_OF[entity]
  if (crow.silent_count or 0) == 0 or not kind then return false end
  local kinds = (crow.silent_kinds or ","):gsub("," .. kind .. ",", ",")
  if kinds == "," or kinds == "" then
    store.exec([[UPDATE connections SET silent_count = 0, silent_since = NULL, silent_detail = NULL,
      silent_kinds = NULL WHERE id = ?]], crow.id)
  else
    store.exec("UPDATE connections SET silent_kinds = ? WHERE id = ?", kinds, crow.id)
  end
  return true
end

-- A new signing token (in-place repair): the failures counted were against the old one.
function M.token_replaced(id)
  store.exec([[UPDATE connections SET sig_fail_count = 0, sig_fail_first_at = NULL, sig_fail_last_at = NULL,
    sig_warn_ms = NULL, silent_count = 0, silent_since = NULL, silent_detail = NULL, silent_kinds = NULL
    WHERE id = ?]], id)
end

-- A new API key (in-place repair), checked by Rillet: `read_only` when Rillet says so.
function M.key_replaced(id, read_only, detail)
  store.exec([[UPDATE connections SET key_problem = ?, key_problem_at = ?, key_problem_detail = ?,
    key_problem_count = ?, rate_limited_count = 0, rate_limited_until_ms = NULL WHERE id = ?]],
    read_only and "read_only" or nil, read_only and now_iso() or nil, read_only and detail or nil,
    read_only and 1 or 0, id)
end

return M
