-- Webhooks: subscriptions, durable signed deliveries (one levy.jobs job per delivery, enqueued
-- in the caller's transaction), retries in groups, auto-disable, delivery faults.
local json = require "levy.json"
local lutil = require "levy.util"
local store = require "levy.store"
local jobs = require "levy.jobs"
local http = require "levy.http"
local crypto = require "levy.crypto"
local time = require "levy.time"
local log = require "levy.log"
local state = require "state"
local db = require "db"
local docs = require "docs"

local M = {}

M.ENTITIES = {
  INVOICE = { CREATED = true, UPDATED = true, DELETED = true, PAYMENT_UPDATED = true },
  CREDIT_MEMO = { CREATED = true, UPDATED = true, DELETED = true, PAYMENT_UPDATED = true },
  CUSTOMER = { CREATED = true, UPDATED = true, DELETED = true },
}

-- Base64(HMAC-SHA256(key, ts.id.entity.event.body)); key = Base64-decoded token
-- (the token's text bytes when it is not valid Base64).
function M.sign(token, ts, id, entity, event, body)
  local key = crypto.b64decode(token)
  if not key then key = token end
  return crypto.b64encode(crypto.hmac_sha256(key, ts .. "." .. id .. "." .. entity .. "." .. event .. "." .. body))
end

function M.new_token()
  return crypto.b64encode(crypto.random(32))
end

-- Validate {"INVOICE":["CREATED",...],...}; returns normalised table or nil, errors.
function M.check_events(ev)
  local errs = {}
  if not lutil.is_object(ev) then return nil, { { field = "events", message = "must be an object of entity -> event list" } } end
  local out = {}
  for ent, list in pairs(ev) do
    local allowed = M.ENTITIES[ent]
    if not allowed then
      errs[#errs + 1] = { field = "events." .. tostring(ent), message = "unknown entity (INVOICE, CREDIT_MEMO, CUSTOMER)" }
    elseif not lutil.is_json_array(list) and not (type(list) == "table" and next(list) == nil) then
      errs[#errs + 1] = { field = "events." .. ent, message = "must be an array of events" }
    else
      local l = {}
      for i, e in ipairs(list) do
        if not allowed[e] then
          errs[#errs + 1] = { field = ("events.%s[%d]"):format(ent, i - 1), message = "unknown event" }
        else l[#l + 1] = e end
      end
      out[ent] = json.array(l)
    end
  end
  if #errs > 0 then return nil, errs end
  return out
end

function M.public(row, with_token)
  local o = {
    id = row.id, name = row.name, url = row.url, events = json.decode(row.events),
    enabled = row.enabled == 1, disabled_reason = row.disabled_reason or json.null,
    created_at = row.created_at,
  }
  if with_token then o.signing_token = row.token end
  return o
end

local function enqueue(seq, delay)
  jobs.enqueue { kind = "sim.deliver", key = "d" .. seq, payload = { seq = seq }, delay_ms = delay or 0 }
end

local function insert_delivery(hook_id, id, entity, event, entity_id, ts, body, st, note)
  -- RETURNING, not exec's last_insert_rowid (SQLite's; issue 22)
  return store.rows(
    "INSERT INTO sim_deliveries(id, webhook_id, entity, event, entity_id, ts, body, state, note, created_ms) "
    .. "VALUES (?,?,?,?,?,?,?,?,?,?) RETURNING seq", id, hook_id, entity, event, entity_id, ts, body, st, note,
    state.now())[1].seq
end

-- Queue deliveries of one change to every subscribed, enabled webhook. Call inside the
-- store.transaction that makes the change, so the change and its deliveries commit together.
function M.emit(entity, event, entity_id, body)
  local hooks = store.rows("SELECT id, events FROM sim_webhooks WHERE enabled = 1 ORDER BY created_at, id")
  if #hooks == 0 then return 0 end
  local faults, fchanged = state.faults(), false
  local n = 0
  for _, h in ipairs(hooks) do
    local ev = json.decode(h.events) or {}
    local wanted = false
    for _, e in ipairs(ev[entity] or {}) do if e == event then wanted = true end end
    if wanted then
      n = n + 1
      local id = docs.uuid()
      local ts = time.iso(state.now())
      if (faults.drop or 0) > 0 then
        faults.drop = faults.drop - 1; fchanged = true
        insert_delivery(h.id, id, entity, event, entity_id, ts, body, "dropped", "drop fault")
      elseif (faults.reorder or 0) > 0 then
        insert_delivery(h.id, id, entity, event, entity_id, ts, body, "held", "reorder fault")
        faults.reorder_held = (faults.reorder_held or 0) + 1; fchanged = true
        if faults.reorder_held >= faults.reorder then
          -- release the held deliveries newest first, spaced so they arrive in reverse order
          local held = store.rows("SELECT seq FROM sim_deliveries WHERE state = 'held' ORDER BY seq DESC")
          local gap = state.config().reorder_gap_ms
          for i, r in ipairs(held) do
            store.exec("UPDATE sim_deliveries SET state = 'pending' WHERE seq = ?", r.seq)
            enqueue(r.seq, (i - 1) * gap)
          end
          faults.reorder, faults.reorder_held = 0, 0
        end
      else
        enqueue(insert_delivery(h.id, id, entity, event, entity_id, ts, body, "pending"))
        if (faults.duplicate or 0) > 0 then
          faults.duplicate = faults.duplicate - 1; fchanged = true
          enqueue(insert_delivery(h.id, id, entity, event, entity_id, ts, body, "pending", "duplicate fault"), 50)
        end
      end
    end
  end
  if fchanged then state.set_faults(faults) end
  return n
end

local function retry_delay(cfg, attempts)
  local per = cfg.attempts_per_group
  if attempts % per ~= 0 then
    local l = cfg.retry_attempt_ms
    return l[math.min(attempts % per, #l)]
  end
  local l = cfg.retry_group_ms
  return l[math.min(attempts // per, #l)]
end

-- Job: one delivery attempt.
-- An object's change as a webhook: the object as the API shows it (an invoice rendered under
-- the line_amounts setting, docs.render_invoice), canonical JSON. Inside the transaction.
function M.emit_doc(entity, event, obj)
  if entity == "INVOICE" then obj = docs.render_invoice(obj) end
  return M.emit(entity, event, obj.id, json.canonical(obj))
end

local DOC_KINDS = {
  invoice = { entity = "INVOICE", totals = docs.invoice_totals },
  credit_memo = { entity = "CREDIT_MEMO", totals = docs.memo_totals },
}

-- A new invoice or credit memo (kind): totals computed, then in one transaction its number
-- (doc[number_field], number() when it has none), the document stored and its CREATED
-- webhook queued. Returns the document.
function M.create_doc(kind, doc, extra, cur, number_field, number)
  local K = DOC_KINDS[kind]
  K.totals(doc, extra, cur)
  store.transaction(function()
    doc[number_field] = doc[number_field] or number()
    db.insert(kind, doc, db.doc_cols(doc, cur), nil, extra)
    M.emit_doc(K.entity, "CREATED", doc)
  end)
  return doc
end

-- An edited invoice or credit memo (kind): totals recomputed, then in one transaction
-- opts.before() (changes stored ahead of it), the document stored (its updated_at set),
-- opts.after() and its opts.event webhook (default UPDATED). Returns the document.
function M.save_doc(kind, doc, extra, cur, opts)
  local K = DOC_KINDS[kind]
  opts = opts or {}
  K.totals(doc, extra, cur)
  store.transaction(function()
    if opts.before then opts.before() end
    db.update(kind, doc, db.doc_cols(doc, cur), extra)
    if opts.after then opts.after() end
    M.emit_doc(K.entity, opts.event or "UPDATED", doc)
  end)
  return doc
end

function M.run(job)
  local seq = job.payload and job.payload.seq
  local d = store.row("SELECT * FROM sim_deliveries WHERE seq = ?", seq)
  if not d or d.state ~= "pending" then return end
  local h = store.row("SELECT * FROM sim_webhooks WHERE id = ?", d.webhook_id)
  if not h or h.enabled ~= 1 then
    store.exec("UPDATE sim_deliveries SET state = 'skipped', note = 'webhook disabled or deleted' WHERE seq = ?", seq)
    return
  end
  local cfg = state.config()
  local sig = M.sign(h.token, d.ts, d.id, d.entity, d.event, d.body)
  local t0 = time.now_ms()
  local status, r2, r3 = http.request {
    method = "POST", url = h.url, body = d.body, timeout_ms = cfg.delivery_timeout_ms,
    headers = {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "levy-sim (Rillet webhook simulator)",
      ["X-Rillet-Timestamp"] = d.ts, ["X-Rillet-Id"] = d.id,
      ["X-Rillet-Entity"] = d.entity, ["X-Rillet-Event"] = d.event,
      ["X-Rillet-Signature"] = sig,
    },
  }
  local err
  if type(status) ~= "number" then err, status = tostring(r2) .. " (" .. tostring(r3) .. ")", nil end
  local attempts = d.attempts + 1
  local entry = { at = time.iso_ms(state.now()), attempt = attempts, duration_ms = time.now_ms() - t0,
                  status = status or json.null, error = err or json.null }
  local lg = json.decode(d.log) or {}
  lg = json.array(lg)
  lg[#lg + 1] = entry
  if status and status >= 200 and status < 300 then
    store.exec("UPDATE sim_deliveries SET state = 'delivered', attempts = ?, log = ? WHERE seq = ?",
               attempts, json.encode(lg), seq)
    return
  end
  local max = cfg.attempts_per_group * cfg.max_groups
  if attempts >= max then
    store.transaction(function()
      store.exec("UPDATE sim_deliveries SET state = 'failed', attempts = ?, log = ? WHERE seq = ?",
                 attempts, json.encode(lg), seq)
      store.exec("UPDATE sim_webhooks SET enabled = 0, disabled_reason = ? WHERE id = ?",
                 ("disabled after %d failed attempts of delivery %s"):format(attempts, d.id), h.id)
    end)
    log.warn("sim webhook disabled after repeated delivery failures", { webhook = h.id, attempts = attempts })
    return
  end
  -- the planned wait before the next attempt, in the log: the schedule is checkable without
  -- measuring the gaps between attempts (which a loaded machine stretches)
  local delay = retry_delay(cfg, attempts)
  entry.retry_in_ms = delay
  store.exec("UPDATE sim_deliveries SET attempts = ?, log = ? WHERE seq = ?", attempts, json.encode(lg), seq)
  return jobs.retry(delay, err or ("HTTP " .. tostring(status)))
end

return M
