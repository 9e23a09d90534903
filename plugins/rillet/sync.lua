-- Import (after connecting), periodic sweep (updated.gt backstop; products hourly) and
-- the webhook inbox processor. Every page is committed with its checkpoint, so a restart
-- resumes where it stopped.
local json = require "levy.json"
local jobs = require "levy.jobs"
local log = require "levy.log"
local store = require "levy.store"
local time = require "levy.time"
local conn = require "conn"
local customers = require "customers"
local docs = require "docs"
local health = require "health"
local mapping = require "mapping"
local util = require "util"
local lutil = require "levy.util"
local watermark = require "watermark"
local webhook = require "webhook"

local M = {}

local nn = lutil.nn
local now_iso = lutil.now_iso

---------------------------------------------------------------- customers / products

-- Stores a customer (tax id and exemption from its Rillet data: customers.lua). Returns its
-- stored raw before (nil: new) and whether its tax data changed.
function M.apply_customer(c, cid)
  return customers.apply(c, cid)
end

function M.apply_product(p)
  if type(p) ~= "table" or type(nn(p.id)) ~= "string" then return false end
  local api = docs.api()
  if not api then error("api plugin not loaded") end
  local _, changed = api.upsert_product { id = p.id, name = nn(p.name), raw = p,
    updated_at = nn(p.updated_at), tax_code_hint = mapping.product_tax_code(p) }
  return changed
end

---------------------------------------------------------------- checkpoints

local function checkpoint(cid, entity)
  return store.row("SELECT * FROM sync_checkpoints WHERE connection_id = ? AND entity = ?", cid, entity)
    or { connection_id = cid, entity = entity, cursor = nil, done = 0, count = 0 }
end

local function save_checkpoint(cid, entity, cursor, done, add, extra)
  store.exec([[INSERT INTO sync_checkpoints(connection_id, entity, cursor, done, count, extra, updated_at)
    VALUES (?,?,?,?,?,?,?) ON CONFLICT(connection_id, entity) DO UPDATE SET cursor = excluded.cursor,
    done = excluded.done, count = sync_checkpoints.count + ?, extra = excluded.extra,
    updated_at = excluded.updated_at]], cid, entity, cursor, done and 1 or 0, add, extra, now_iso(), add)
end

-- A sweep has completed (or failed): the next one starts from its first entity.
local function clear_sweep(cid)
  store.exec("DELETE FROM sync_checkpoints WHERE connection_id = ? AND entity LIKE 'sweep:%'", cid)
end

-- Client error in a background job -> what the job returns (or raises).
local function job_error(job, crow, err, what)
  if err.kind == "rate" then return jobs.retry(err.retry_after_ms, "rate limit") end
  if err.kind == "http" and (err.status == 401 or err.status == 403) then
    conn.set_error(crow.id, "invalid_api_key", "Rillet refused the API key: " .. err.message)
    return "fatal", err.message
  end
  if err.retryable then
    -- a wait Rillet asked for (Retry-After) is not an attempt
    if err.retry_after_ms then
      log.info("rillet " .. what .. " will retry", { connection = crow.id, error = err.message,
                                                   delay_ms = err.retry_after_ms })
      return jobs.retry(err.retry_after_ms, what .. ": " .. err.message)
    end
    -- A failure is an attempt: the runner's back-off for the job kind (full jitter, doubling
    -- from its base_delay_ms up to its max_delay_ms) grows while Rillet keeps failing. An
    -- explicit delay would not count the attempt, so it would stay at the first step (0-2 s)
    -- for the whole outage, e.g. a gateway's 200 maintenance page, which the circuit breaker
    -- (transport errors and 5xx only) does not see.
    log.info("rillet " .. what .. " will retry", { connection = crow.id, error = err.message,
                                                 attempt = job.attempts })
    return jobs.retry(nil, what .. ": " .. err.message)
  end
  return "fatal", err.message
end

---------------------------------------------------------------- import

local ENTITIES = {
  -- swept: listed with updated.gt = the entity's watermark (watermark.lua) by every sweep
  { name = "customers", path = "/customers", key = "customers", swept = true },
  { name = "products", path = "/products", key = "products" },
  { name = "invoices", path = "/invoices", key = "invoices", doc_type = "invoice", sub = true, swept = true },
  { name = "credit_memos", path = "/credit-memos", key = "credit_memos", doc_type = "credit_memo", sub = true,
    swept = true },
}

-- webhook_silent (health.lua): a document a sweep brings in a newer version than levy holds,
-- changed in Rillet longer ago than the window, is a change no delivery announced (a delivery
-- would have brought that version first). Counted in job.silent for the current sweep.
local function note_silent(job, ent, item)
  local T = docs.TYPES[ent.doc_type]
  local id, updated_at = nn(item.id), nn(item.updated_at)
  local ums = type(updated_at) == "string" and time.parse_iso(updated_at)
  if type(id) ~= "string" or not ums or time.now_ms() - ums < job.silent_window_ms then return end
  local row = store.row("SELECT updated_ms FROM " .. T.table .. " WHERE id = ?", id)
  if row and row.updated_ms and row.updated_ms >= ums then return end
  -- a delivery levy holds but has not applied yet may be the one that announces it
  if store.row("SELECT 1 AS x FROM inbox WHERE connection_id = ? AND processed_at IS NULL LIMIT 1",
    job.payload.connection_id) then return end
  job.silent_n = (job.silent_n or 0) + 1
  job.silent_kinds = job.silent_kinds or {}
  job.silent_kinds[ent.doc_type] = true
  job.silent_ex = job.silent_ex or {}
  if #job.silent_ex < 3 then
    job.silent_ex[#job.silent_ex + 1] = ent.doc_type:gsub("_", " ") .. " " .. tostring(nn(item[T.number]) or id)
  end
end

local function apply_item(crow, ent, item, source, job)
  if ent.name == "customers" then
    local braw, changed = M.apply_customer(item, crow.id)
    -- a customer changed after the import (a sweep found it): its addresses, tax id or
    -- exemption may be a document's tax input (documents re-fingerprinted, changed ones queued)
    -- (a new one: every document naming it, forced: they waited for it, customer_unknown)
    if source ~= "import" and braw ~= "invalid" and changed then docs.requeue_customer(item.id, braw == nil) end
    return braw
  end
  if ent.name == "products" then return M.apply_product(item) end
  if source == "sweep" and job and job.silent_window_ms then note_silent(job, ent, item) end
  return docs.apply(crow, ent.doc_type, item, source)
end

-- Pages one job run applies before it re-queues itself at once (jobs.retry with an explicit
-- delay: not counted as a failure); the next run resumes from the committed checkpoint. A run
-- that pulled every page of a large import hit the instruction budget (about 30 pages of
-- 100 invoices), failed, and waited for its backoff before going on. Small, so that every
-- import of more than 3 pages (e2e_connector's too) goes through the continuation.
M.PAGES_PER_RUN = 3

-- Pages of one entity from the checkpoint on. Returns true when complete, or the job's
-- return values (retry) / "fatal", message.
local function pull(job, crow, c, ent, cp_name, base_params, source)
  while true do
    local cp = checkpoint(crow.id, cp_name)
    if cp.done == 1 then return true end
    job.pages = (job.pages or 0) + 1
    if job.pages > M.PAGES_PER_RUN then
      return false, jobs.retry(0, source .. ": continuing after " .. M.PAGES_PER_RUN .. " pages")
    end
    local params = {}
    for k, v in pairs(base_params) do params[k] = v end
    params.limit = tostring(100)
    params.cursor = cp.cursor
    local items, nc = c:page(ent.path, ent.key, params)
    if not items then return false, job_error(job, crow, nc, source .. " " .. ent.name) end
    if ent.name == "customers" then
      -- custom fields added in Rillet since levy read them: read them again first
      local fok, ferr = customers.ensure_fields(crow, c, items)
      if not fok then return false, job_error(job, crow, ferr, source .. " fields") end
    end
    store.transaction(function()
      for _, item in ipairs(items) do apply_item(crow, ent, item, source, job) end
      save_checkpoint(crow.id, cp_name, nc, nc == nil, #items, cp.extra)
      if job.silent_n and job.silent_n > 0 then
        -- the count survives the continuation runs of this sweep (connections.silent_pending)
        store.exec([[UPDATE connections SET silent_pending = silent_pending + ?,
          silent_pending_ex = COALESCE(silent_pending_ex, ?),
          silent_pending_kinds = CASE WHEN COALESCE(silent_pending_kinds, ',') LIKE ? THEN silent_pending_kinds
            ELSE COALESCE(silent_pending_kinds, ',') || ? END WHERE id = ?]],
          job.silent_n, table.concat(job.silent_ex, ", "), "%," .. ent.doc_type .. ",%", ent.doc_type .. ",", crow.id)
        job.silent_n, job.silent_ex, job.silent_kinds = 0, nil, nil
      end
    end)
  end
end

function M.import(job)
  local cid = (job.payload or {}).connection_id
  local crow = conn.get(cid)
  if not crow or not crow.api_key_sealed then return end
  local c, cerr = conn.client(crow)
  if not c then return jobs.dead(cerr) end
  if crow.import_state ~= "running" then
    store.exec("UPDATE connections SET import_state = 'running', import_started_at = COALESCE(import_started_at, ?) WHERE id = ?",
      now_iso(), cid)
  end
  -- custom fields first, so that customers resolve theirs by name as they are stored
  if checkpoint(cid, "fields").done ~= 1 then
    local ok, ferr = customers.refresh_fields(crow, c)
    if not ok then
      local a, b = job_error(job, crow, ferr, "import fields")
      if a == "fatal" then
        store.exec("UPDATE connections SET import_state = 'failed', import_error = ?, import_finished_at = ? WHERE id = ?",
          b, now_iso(), cid)
        return
      end
      return a, b
    end
    save_checkpoint(cid, "fields", nil, true, 0, nil)
  end
  for _, ent in ipairs(ENTITIES) do
    local params = {}
    if ent.sub then params.subsidiary_id = crow.subsidiary_id end
    local done, a, b = pull(job, crow, c, ent, ent.name, params, "import")
    if not done then
      if a == "fatal" then
        store.exec("UPDATE connections SET import_state = 'failed', import_error = ?, import_finished_at = ? WHERE id = ?",
          b, now_iso(), cid)
        log.warn("rillet import failed", { connection = cid, entity = ent.name, error = b })
        health.refresh(cid)
        return
      end
      return a, b
    end
  end
  local now = time.now_ms()
  store.transaction(function()
    store.exec([[UPDATE connections SET import_state = 'done', import_finished_at = ?, import_error = NULL,
      last_sync_at = ?, last_sync_ms = ?, last_products_sync_ms = ? WHERE id = ?]],
      time.iso(now), time.iso(now), now, now, cid)
    -- the first sweep lists what changed since the import started (minus the overlap)
    local r = store.row("SELECT import_started_at FROM connections WHERE id = ?", cid)
    local started = r and type(r.import_started_at) == "string" and time.parse_iso(r.import_started_at)
    if started then
      watermark.complete(cid, "customers", started, "import")
      watermark.complete(cid, "invoices", started, "import")
      watermark.complete(cid, "credit_memos", started, "import")
    end
  end)
  log.info("rillet import done", { connection = cid })
  health.refresh(cid)
end

---------------------------------------------------------------- sweep

-- Checkpoint `extra` of a sweep in progress: {"gt": updated.gt, "started_ms": levy's clock
-- when this sweep of the entity started}. A plain string is a checkpoint written before
-- watermarks existed (gt only; its completion does not move the watermark).
local function sweep_state(extra)
  if type(extra) ~= "string" then return nil, nil end
  local v = util.decode_obj(extra)
  if v then return lutil.nn(v.gt), math.tointeger(lutil.nn(v.started_ms)) end
  return extra, nil
end

-- A sweep runs over several job runs (PAGES_PER_RUN pages each, then it re-queues itself).
-- An entity it has completed keeps its checkpoint (done) until the whole sweep completes, so a
-- continuation run goes on with the next entity instead of listing the completed one again:
-- when the completed entities took exactly a run's pages (products + 2 pages of invoices, or
-- 3 pages of invoices), every run listed them afresh and stopped before the credit memos, for
-- ever; a credit memo whose deliveries were lost was never imported (month.py, seed-dependent).
function M.sweep(job)
  local p = job.payload or {}
  local cid = p.connection_id
  local crow = conn.get(cid)
  if not crow or not crow.api_key_sealed or not crow.subsidiary_id then return end
  if crow.import_state ~= "done" then return end -- the import is still the source of truth
  -- a scheduled sweep asked for while another sweep of the connection ran (a tick, on this
  -- replica or another, that fell in a sweep longer than the tick: the interval had passed,
  -- last_sync_ms is written when a sweep completes) is done once that sweep completed after
  -- the ask: it covered the interval (a second full sweep ran right after it)
  if p.asked_ms and crow.last_sync_ms and crow.last_sync_ms >= p.asked_ms then return end
  -- one sweep of a connection at a time (the job runner does not serialise one key's jobs:
  -- a sweep asked for while one runs would share its checkpoints)
  if jobs.count { kind = "rillet.sweep", key = job.key or cid, states = { "running" }, except = job.id or "" } > 0 then
    return jobs.retry(500, "another sweep of this connection is under way")
  end
  local c, cerr = conn.client(crow)
  if not c then return jobs.dead(cerr) end
  job.silent_window_ms = health.silent_window_ms(docs.api(), cid)
  local now = time.now_ms()
  local want_products = p.products or not crow.last_products_sync_ms or
    (now - crow.last_products_sync_ms) >= 3600000
  if customers.fields_due(cid, now) and checkpoint(cid, "sweep:fields").done ~= 1 then
    -- custom fields hourly (and once after a restart; a customer naming a value levy does not
    -- know reads them at once: customers.ensure_fields); when a known field or value changed,
    -- every customer's tax id and exemption are read again (customers.remap)
    local ok, res = customers.refresh_fields(crow, c) -- true, altered, changed | nil, err
    if not ok then
      local a, b = job_error(job, crow, res, "sweep fields")
      if a == "fatal" then log.warn("rillet sweep failed", { connection = cid, error = b }); return end
      return a, b
    end
    if res then customers.request_remap() end
    save_checkpoint(cid, "sweep:fields", nil, true, 0, nil)
  end
  local list = {}
  if want_products then list[#list + 1] = ENTITIES[2] end
  -- customers before the documents that may name them (issue 17: a customer created after
  -- the import whose webhook was lost, or with no Customer webhook subscribed)
  list[#list + 1] = ENTITIES[1]
  list[#list + 1] = ENTITIES[3]
  list[#list + 1] = ENTITIES[4]
  for _, ent in ipairs(list) do
    local ent_started
    local cp_name = "sweep:" .. ent.name
    local cp = checkpoint(crow.id, cp_name)
    local params = {}
    if ent.swept then
      if ent.sub then params.subsidiary_id = crow.subsidiary_id end
      -- updated.gt is the watermark of the last complete pull (watermark.lua), fixed with
      -- this sweep's start time when it starts (kept in the checkpoint, so a sweep cut short
      -- by a crash or a 429 resumes with both; only its completion moves the watermark)
      local gt, started = sweep_state(cp.extra)
      if not cp.cursor and cp.done == 0 and not started then
        gt, started = watermark.get(crow, ent.name), time.now_ms()
        store.exec([[INSERT INTO sync_checkpoints(connection_id, entity, cursor, done, count, extra, updated_at)
          VALUES (?,?,NULL,0,0,?,?) ON CONFLICT(connection_id, entity) DO UPDATE SET extra = excluded.extra]],
          cid, cp_name, util.encode({ gt = gt, started_ms = started }), now_iso())
      end
      params["updated.gt"] = gt
      ent_started = started
    end
    local was_done = cp.done == 1
    local done, a, b = pull(job, crow, c, ent, cp_name, params, "sweep")
    if not done then
      if a == "fatal" then
        clear_sweep(cid)
        store.exec("UPDATE connections SET silent_pending = 0, silent_pending_ex = NULL, silent_pending_kinds = NULL WHERE id = ?", cid)
        log.warn("rillet sweep failed", { connection = cid, error = b })
        return
      end
      return a, b
    end
    -- the entity's checkpoint stays done until the whole sweep has completed: a run that
    -- stopped after PAGES_PER_RUN pages resumes with the next entity instead of listing the
    -- completed ones again (with products, customers, invoices and credit memos a sweep
    -- restarted from the top every run and never finished)
    if ent.swept and ent_started and not was_done then watermark.complete(cid, ent.name, ent_started, "sweep") end
  end
  clear_sweep(cid)
  local fin = time.now_ms()
  store.exec("UPDATE connections SET last_sync_at = ?, last_sync_ms = ? WHERE id = ?", time.iso(fin), fin, cid)
  -- the complete sweep's finding: changes no delivery announced (webhook_silent), or none
  local sp = store.row("SELECT silent_pending, silent_pending_ex, silent_pending_kinds FROM connections WHERE id = ?", cid)
  store.exec("UPDATE connections SET silent_pending = 0, silent_pending_ex = NULL, silent_pending_kinds = NULL WHERE id = ?", cid)
  if sp and sp.silent_pending > 0 then
    health.sweep_result(cid, sp.silent_pending, { sp.silent_pending_ex }, sp.silent_pending_kinds)
  end
  if want_products then
    store.exec("UPDATE connections SET last_products_sync_ms = ? WHERE id = ?", fin, cid)
  end
end

-- Scheduled every --schedule-tick (default a minute): enqueue a sweep for each connection whose interval has passed.
-- The interval is the connection's own setting when it has one, else the global one.
local function sweep_minutes(api, cid)
  if api and api.settings then
    local ok, s = pcall(api.settings, cid)
    if ok and type(s) == "table" and math.type(s.sweep_interval_minutes) == "integer"
      and s.sweep_interval_minutes > 0 then
      return s.sweep_interval_minutes
    end
  end
  return 15
end

function M.tick()
  customers.remap_once()
  local api = docs.api()
  local now = time.now_ms()
  for _, r in ipairs(store.rows([[SELECT id, last_sync_ms FROM connections WHERE deleted_at IS NULL
      AND status IN ('connected', 'error') AND import_state = 'done' AND api_key_sealed IS NOT NULL]])) do
    if not r.last_sync_ms or now - r.last_sync_ms >= sweep_minutes(api, r.id) * 60000 then
      -- asked_ms: a sweep that completes after this moment covers the interval (see M.sweep).
      -- keep_payload: a sweep already queued keeps what it was asked with -- a user's Sync now
      -- (products = true, no asked_ms: never skipped as covered) must not become this tick's
      jobs.enqueue { kind = "rillet.sweep", key = r.id, payload = { connection_id = r.id, asked_ms = now },
                     keep_payload = true }
    end
  end
  -- a failed import is not terminal (issue 17): once a sweep interval has passed it resumes
  -- where it stopped, unless Rillet refuses the key (the user replaces it: POST …/api-key,
  -- which resumes it) — until it is done the connection shows import_failed and is not swept
  for _, r in ipairs(store.rows([[SELECT id, import_finished_at FROM connections WHERE deleted_at IS NULL
      AND status = 'connected' AND import_state = 'failed' AND key_problem IS NULL
      AND api_key_sealed IS NOT NULL AND subsidiary_id IS NOT NULL]])) do
    local at = type(r.import_finished_at) == "string" and time.parse_iso(r.import_finished_at)
    if not at or now - at >= sweep_minutes(api, r.id) * 60000 then
      log.info("rillet import failed earlier: resuming it", { connection = r.id })
      store.transaction(function() conn.queue_import(r.id, false) end)
    end
  end
  health.refresh_all()
end

---------------------------------------------------------------- inbox

local DOC_ENTITIES = { INVOICE = "invoice", CREDIT_MEMO = "credit_memo" }

-- An inbox row's body, decoded once per attempt (needs_fetch and process_one both read it: two
-- decodes of a ~2 KB body were ~210 k instructions of the ~890 k a stored INVOICE delivery
-- cost, bench/README.md "ingest — the processing's CPU"). false when it is not a JSON object.
-- A batch that rolled back forgets it (item.doc = nil): its retry decodes afresh.
local function item_doc(item)
  local d = item.doc
  if d == nil then
    d = util.decode_obj(item.body) or false
    item.doc = d
  end
  return d or nil
end

-- The three members of a document delivery's body that decide how it is applied — id,
-- subsidiary_id, items — read without decoding the document (levy.json.peek: decode's parse,
-- not its walk into Lua tables; issue 21: a ~2 KB invoice's decode was ~88 k instructions on
-- the loop, the parse ~25 k). item.pk = true (an object), false (valid JSON, not an object)
-- or nil (not JSON); kept per attempt like item_doc.
local function item_peek(item)
  if item.pk == nil and type(item.body) == "string" then
    local ok, id, sub, items = json.peek(item.body, util.LENIENT, "id", "subsidiary_id", "items")
    item.pk, item.pk_id, item.pk_sub, item.pk_items = ok, id, sub, items
  end
  return item.pk
end

-- docs.apply's first checks on the body itself (apply_doc: an object with a string id, a
-- subsidiary other than the connection's; items present, so the body is the document and
-- not a payment-shaped one to fetch): the outcome `other_subsidiary`, from the peek alone.
local function other_subsidiary(crow, item)
  if item_peek(item) ~= true or nn(item.pk_items) == nil or type(item.pk_id) ~= "string" then
    return false
  end
  local sub = nn(item.pk_sub)
  return (crow.subsidiary_id and sub and sub ~= crow.subsidiary_id) and true or false
end

-- Applies one inbox row; `done(outcome)` marks it processed inside the same transaction as
-- its effect (so a crash never applies a delivery twice or loses one). Returns the outcome,
-- or nil, err when a fetch from Rillet failed (the row stays unprocessed). May do HTTP
-- (PAYMENT_UPDATED with a payment-shaped body), so it is not inside a transaction itself.
local function process_one(crow, item, done)
  local doc_type = DOC_ENTITIES[item.entity]
  local ev = item.event
  local outcome
  if item.entity == "CUSTOMER" and ev ~= "DELETED" then
    local c = item_doc(item)
    if c then
      if customers.unknown_assignments(c, crow.id) then
        -- names a custom field or value levy has not read yet (needs_fetch: outside a batch)
        local cl, cerr = conn.client(crow)
        if cl then
          local fok, ferr = customers.ensure_fields(crow, cl, { c })
          if not fok then return nil, ferr end
        else
          log.warn("rillet customer fields not refreshed", { connection = crow.id, error = tostring(cerr) })
        end
      end
      store.transaction(function()
        local braw = M.apply_customer(c, crow.id)
        -- addresses of the customer may be a document's ship-to: re-fingerprint its documents
        -- (a customer levy did not have: every document naming it, forced: they waited for it)
        docs.requeue_customer(c.id, braw == nil)
        outcome = braw and "customer_updated" or "customer_created"
        done(outcome)
      end)
      return outcome
    end
    outcome = "invalid_body"
  elseif not doc_type then
    outcome = "ignored"
  elseif ev == "DELETED" then
    local id = webhook.deleted_id(item.body, json)
    if id then
      store.transaction(function() outcome = docs.mark_deleted(doc_type, id); done(outcome) end)
      return outcome
    end
    outcome = "invalid_body"
  elseif ev ~= "CREATED" and ev ~= "UPDATED" and ev ~= "PAYMENT_UPDATED" then
    outcome = "ignored"
  elseif other_subsidiary(crow, item) then
    outcome = "other_subsidiary" -- what docs.apply answers for it, before any write
  else
    local doc = item_doc(item)
    local raw_text = item.body
    if doc and nn(doc.items) == nil then
      raw_text = nil
      -- a payment-shaped body: re-fetch the document it names
      local id = nn(doc.invoice_id) or nn(doc.credit_memo_id) or nn(doc.id)
      if type(id) ~= "string" then
        doc = nil
      else
        local c, cerr = conn.client(crow)
        if not c then
          doc, outcome = nil, "error: " .. tostring(cerr)
        else
          local fetched, err = c:get(docs.TYPES[doc_type].path .. "/" .. id)
          if not fetched then return nil, err end
          doc = fetched
        end
      end
    end
    if doc then
      store.transaction(function() outcome = docs.apply(crow, doc_type, doc, "webhook " .. ev, raw_text); done(outcome) end)
      return outcome
    end
    outcome = outcome or "invalid_body"
  end
  done(outcome)
  return outcome
end

-- rillet.process_inbox (key = connection id; concurrency 1): deliveries in arrival order.
-- Does applying this delivery need a request to Rillet (a payment-shaped body)?
local function needs_fetch(item)
  if item.entity == "CUSTOMER" and item.event ~= "DELETED" then
    return customers.unknown_assignments(item_doc(item), item.connection_id)
  end
  if not DOC_ENTITIES[item.entity] then return false end
  if item.event ~= "CREATED" and item.event ~= "UPDATED" and item.event ~= "PAYMENT_UPDATED" then return false end
  -- a JSON object without items (or items null). An array body no longer counts: it was
  -- taken for a payment-shaped one, yet names no document (no string id), so process_one
  -- answers it `invalid_body` without a request either way; it is now applied in its batch
  return item_peek(item) == true and nn(item.pk_items) == nil
end

M.BATCH = 50
-- a delivery whose processing raised this many times is given up (outcome 'error: ...')
M.GIVE_UP_RAISES = 5

-- Marks inbox rows processed: `marks` = { {id, outcome}, ... } in the order they were decided
-- (a later mark of the same id wins), one UPDATE per distinct outcome. A batch's marks are
-- written once at its end, inside its commit (issue 21): an UPDATE per delivery was ~33 k
-- instructions of the loop each (SQLite rewriting the ~2 KB row and its two index entries,
-- plus the statement's own cost), one statement for the batch ~20 k per row.
-- One statement text for every mark, padded with NULL ids (which match no row): a text per
-- list length was up to 50 more prepared statements, evicting others from the store's cache.
local MARK_WIDTH = 50
local MARK_SQL = "UPDATE inbox SET processed_at = ?, outcome = ? WHERE id IN (" ..
  string.rep("?", MARK_WIDTH, ",") .. ")"
local NO_OUTCOME = {}
function M.mark_done(marks)
  local last, groups, outcomes = {}, {}, {}
  for i, m in ipairs(marks) do last[m[1]] = i end
  for i, m in ipairs(marks) do
    if last[m[1]] == i then
      local key = m[2] == nil and NO_OUTCOME or m[2] -- a nil outcome is stored NULL, as before
      local g = groups[key]
      if not g then
        g = {}
        groups[key] = g
        outcomes[#outcomes + 1] = key
      end
      g[#g + 1] = m[1]
    end
  end
  local now = now_iso()
  for _, o in ipairs(outcomes) do
    local ids = groups[o]
    if o == NO_OUTCOME then o = nil end
    for k = 1, #ids, MARK_WIDTH do
      store.exec(MARK_SQL, now, o, table.unpack(ids, k, k + MARK_WIDTH - 1)) -- padded with NULL
    end
  end
end

function M.process_inbox(job)
  local cid = (job.payload or {}).connection_id
  local crow = store.row("SELECT * FROM connections WHERE id = ?", cid)
  if not crow then return end
  local function done_for(item)
    return function(outcome) M.mark_done { { item.id, outcome } } end
  end
  for _ = 1, 200 do
    local items = store.rows([[SELECT id, connection_id, entity, event, body FROM inbox WHERE connection_id = ?
      AND processed_at IS NULL ORDER BY id LIMIT ?]], cid, M.BATCH)
    if #items == 0 then return end
    -- deliveries that need no request to Rillet are applied in one commit, in order. That
    -- commit does not wait for the disk (store.replayable, issue 21): each delivery's effect
    -- commits with its processed mark, and its inbox row was durable before it was answered,
    -- so a batch a power loss takes away is processed again (the job is then still queued or
    -- running after the restart: its done mark, also a commit that does not wait on SQLite,
    -- comes after the batch, and a power loss takes a suffix of the commits, core/host/jobs.c
    -- poll_jobs); the loop no longer blocks in its fsync
    -- The batch's done marks are collected and written by M.mark_done at its end, in the
    -- same commit (a raise rolls the batch back with them)
    local n = 0
    local ok, e = pcall(store.replayable, function()
      local marks = {}
      for _, item in ipairs(items) do
        if needs_fetch(item) then break end
        process_one(crow, item, function(outcome) marks[#marks + 1] = { item.id, outcome } end)
        n = n + 1
      end
      if #marks > 0 then M.mark_done(marks) end
    end)
    if not ok then
      n = 0 -- rolled back: redo one by one to isolate the failing delivery
      for _, item in ipairs(items) do item.doc, item.pk = nil, nil end
      log.warn("rillet inbox batch failed, retrying one by one", { connection = cid,
        error = type(e) == "table" and tostring(e.message) or tostring(e) })
    end
    if n == 0 then
      local item = items[1]
      local done = done_for(item)
      local ok1, outcome, err = pcall(process_one, crow, item, done)
      if not ok1 then
        local msg = type(outcome) == "table" and tostring(outcome.message) or tostring(outcome)
        -- Counted on the delivery's own row (process_one's transaction rolled back; this
        -- statement commits on its own), not by job.attempts: those also count the Rillet
        -- failures job_error retries, so after a long outage a delivery would be given up at
        -- its first raise.
        store.exec("UPDATE inbox SET raises = raises + 1 WHERE id = ?", item.id)
        local raises = tonumber(store.row("SELECT raises FROM inbox WHERE id = ?", item.id).raises)
        log.error("rillet inbox item failed", { connection = cid, inbox = item.id, error = msg,
                                                raises = raises, attempt = job.attempts })
        if raises < M.GIVE_UP_RAISES then error(outcome, 0) end
        -- a poison delivery must not block the ones behind it; the sweep is the backstop
        done("error: " .. msg:sub(1, 300))
      elseif outcome == nil and err then
        return job_error(job, crow, err, "inbox")
      end
    end
  end
  jobs.enqueue { kind = "rillet.process_inbox", key = cid, payload = { connection_id = cid } }
end

return M
