-- Calculation (rillet.calculate jobs) and write-back (rillet.writeback jobs).
local config = require "levy.config"
local crypto = require "levy.crypto"
local json = require "levy.json"
local jobs = require "levy.jobs"
local log = require "levy.log"
local metrics = require "levy.metrics"
local money = require "levy.money"
local store = require "levy.store"
local time = require "levy.time"
local calc_rows = require "calc_rows"
local filing_sums = require "filing_sums"
local conn = require "conn"
local customers = require "customers"
local docs = require "docs"
local mapping = require "mapping"
local scope = require "scope"
local util = require "util"
local lutil = require "levy.util"

local M = {}

M.MAX_WRITE_ATTEMPTS = 6
-- A write-back still not through this long after its calculation (an outage that holds it
-- behind the circuit or the rate limit, where waits are not attempts) is given up: the document
-- becomes `failed` with the reason, visible in the API and the UI (dead letter).
M.GIVE_UP_MS = 3 * 86400 * 1000
M.MAX_WRITES_PER_HOUR = 10
M.BASE_DELAY_MS = 1000
M.MAX_DELAY_MS = 300000
-- A document that changed after a newer generation calculated it, picked up by a replica on an
-- older generation, waits this long for a replica on the newer one (or this one's reload).
M.GENERATION_WAIT_MS = 5000

local nn = lutil.nn

-- The reason a document waiting for a replica on the newer generation shows (last_error: the
-- API's `last_error`, the Documents page), until a calculation on the newer rules clears it.
M.GENERATION_WAIT_REASON = "waiting for a replica on the newer rules"

-- A document a newer generation calculated changed since, and this replica serves an older
-- one: nothing is decided here, the job waits (M.GENERATION_WAIT_MS, no attempt counted) for
-- a replica on the newer generation. Made visible once per wait: the reason on the document,
-- and at its first wait a WARN line and levy_documents_waiting_generation_total (a rollout
-- stuck half-way would otherwise wait forever in silence: only older replicas run).
local function wait_generation(T, doc_type, row, newer_seq, seq)
  local msg = M.GENERATION_WAIT_REASON .. ": the document changed since generation " ..
    tostring(newer_seq) .. " calculated it, and this replica serves generation " .. tostring(seq) ..
    " (GET /admin/generation lists what each replica serves)"
  local prev = type(row.last_error) == "string" and row.last_error or ""
  if prev ~= msg then
    store.exec("UPDATE " .. T.table .. " SET last_error = ? WHERE id = ?", msg, row.id)
  end
  if prev:sub(1, #M.GENERATION_WAIT_REASON) ~= M.GENERATION_WAIT_REASON then
    metrics.inc("levy_documents_waiting_generation_total", {})
    log.warn("rillet document waits for a replica on the newer rules: a newer generation calculated it, " ..
      "it changed since, and this replica serves an older generation (finish the rollout or reload: " ..
      "GET /admin/generation)", { document = row.id, doc_type = doc_type, generation_seq = seq,
        newer_seq = newer_seq })
  end
  return jobs.retry(M.GENERATION_WAIT_MS, "document changed since generation " .. tostring(newer_seq) ..
    "'s calculation; this replica serves generation " .. tostring(seq) ..
    ": waiting for a replica on the newer generation")
end

-- Full jitter: random(0, min(max, base * 2^attempt)), the job runner's own backoff.
function M.backoff_ms(attempt)
  return jobs.backoff_ms(attempt, M.BASE_DELAY_MS, M.MAX_DELAY_MS)
end

local function load_doc(doc_type, id)
  local T = docs.TYPES[doc_type]
  if not T or type(id) ~= "string" then return nil end
  return store.row("SELECT d.*, c.deleted_at AS conn_deleted FROM " .. T.table ..
    " d LEFT JOIN connections c ON c.id = d.connection_id WHERE d.id = ?", id)
end

-- The write of calculation calc_id was answered, but the document has a newer calculation by
-- now (a delivery or a re-read came in while the request was in flight): the newer one
-- decides the document's state. What Rillet answered is recorded, and the document is
-- calculated again on what levy holds now, so its state never rests on the older answer.
local function superseded_since(doc_type, id, calc_id)
  local r = load_doc(doc_type, id)
  return not r or r.deleted == 1 or r.calculation_id ~= calc_id
end

local amt = lutil.decimal_or_zero

-- Generations across replicas (issue 22). Hot reload is per replica: in a rollout one replica
-- may calculate on reloaded rules or rates while another still runs the previous ones. Each
-- calculation records its generation (levy.config.generation_info(): the content hash every
-- replica loading the same files and rate vintages shares, and seq, the store-issued order of
-- that content: higher = newer). A result of an older generation than one already stored for
-- the same document never replaces it in Rillet: this is the newest such calculation, or nil.
function M.newer_generation(doc_type, id, seq)
  if math.type(seq) ~= "integer" then return nil end
  return store.row([[SELECT id, generation_seq, generation_hash, fingerprint FROM calculations
    WHERE doc_type = ? AND doc_id = ? AND generation_seq > ?
    ORDER BY generation_seq DESC, created_ms DESC LIMIT 1]], doc_type, id, seq)
end

-- Records that calculation calc_id (generation seq) is not written to Rillet because newer
-- (a calculation row of a newer generation) exists: a `superseded` write-back and a history
-- entry, in the caller's transaction.
function M.supersede_by_generation(doc_type, id, calc_id, seq, newer)
  local msg = "not written to Rillet: calculated by an older generation (seq " .. tostring(seq) ..
    ") than calculation " .. tostring(newer.id) .. " (seq " .. tostring(newer.generation_seq) ..
    ", " .. tostring(newer.generation_hash):sub(1, 12) .. "): a replica serving older rules or rates"
  store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, request_id,
    http_status, outcome, response, attempted_at) VALUES (?,?,?,?,?,?,?,?,?)]],
    doc_type, id, calc_id, "", nil, nil, "superseded", msg, time.iso_ms(time.now_ms()))
  docs.history(doc_type, id, { kind = "writeback", calculation_id = calc_id, outcome = "superseded",
    message = msg })
  return msg
end

-- Does the result differ from the tax Rillet holds (per line and in total)?
function M.differs(doc, result)
  local by_id = {}
  for _, l in ipairs(result.lines or {}) do by_id[l.id] = l end
  for _, it in ipairs(nn(doc.items) or {}) do
    local l = by_id[nn(it.id)]
    local mine = l and amt(l.tax) or "0"
    if money.cmp(mine, amt(util.amount(it.taxed_amount))) ~= 0 then return true end
  end
  return money.cmp(amt(result.total_tax), amt(util.amount(doc.taxed_amount))) ~= 0
end

local function err_text(err)
  if type(err) ~= "table" then return tostring(err) end
  local s = tostring(err.code or "error") .. ": " .. tostring(err.message or "")
  if type(err.details) == "table" then
    for _, d in ipairs(err.details) do
      if type(d) == "table" then s = s .. "; " .. tostring(d.field) .. " " .. tostring(d.message) end
    end
  end
  return s
end

local function region_of(result, req)
  if type(result) == "table" and type(nn(result.region)) == "string" then return result.region end
  if type(req.ship_to) == "table" then
    local ok, r = pcall(function() return require("levy.tax").resolve(req.ship_to, req.date) end)
    if ok and type(r) == "table" and type(r.region) == "string" then return r.region end
  end
  return nil
end

-- Hash of what a write-back of this result sends (per line: id, tax, each jurisdiction).
function M.result_hash(result)
  local lines = {}
  for _, l in ipairs(result.lines or {}) do
    local taxes = {}
    for _, t in ipairs(l.taxes or {}) do
      taxes[#taxes + 1] = { t.jurisdiction, t.level, t.type, t.percentage, t.amount }
    end
    lines[#lines + 1] = { id = l.id, tax = l.tax, taxes = json.array(taxes), note = l.note }
  end
  return util.hash({ total = result.total_tax, lines = json.array(lines) })
end

-- Legal notes (mapping.legal_note: reverse charge, exemption certificate) on the result's
-- lines, as `note`, before the result is stored: part of what is written (a 0 % rate with the
-- note as its description) and of the result hash, so a new certificate number is written.
function M.annotate(result, req)
  local cert
  local cid = type(req.customer) == "table" and req.customer.id or nil
  local api = docs.api()
  for _, l in ipairs(result.lines or {}) do
    if l.taxability_reason == "customer_exempt" and cert == nil and api and type(result.exemption_certificate_id) == "string" then
      -- issue 20: the certificate on file that exempted the sale names its own number
      local ok, c = pcall(api.exemption_certificate, result.exemption_certificate_id)
      cert = (ok and type(c) == "table" and type(c.number) == "string") and c.number or nil
    end
    if l.taxability_reason == "customer_exempt" and cert == nil and api and type(cid) == "string" then
      local ok, c = pcall(api.customer, cid)
      cert = (ok and type(c) == "table" and type(c.exemption_certificate) == "string") and c.exemption_certificate or false
    end
    local ok, note = pcall(mapping.legal_note, l, { region = result.region, certificate = cert or nil })
    if ok and type(note) == "string" and note ~= "" then l.note = note end
  end
end

local function has_notes(result)
  for _, l in ipairs(result.lines or {}) do
    if type(l.note) == "string" then return true end
  end
  return false
end

-- Does the result carry legal notes that Rillet may not hold? Rillet's reads show only tax
-- totals, so a note (on a line whose tax is 0, like Rillet's) is known to be in Rillet only
-- when levy wrote this very result (same hash) and Rillet's answer was this version of the
-- document (`updated_at`): a later edit in Rillet (a full-replace update drops tax lines)
-- gets the note written again at the next calculation.
function M.note_unwritten(doc_type, id, doc, result, rhash)
  if not has_notes(result) then return false end
  local w = store.row([[SELECT w.doc_version FROM writebacks w JOIN calculations c ON c.id = w.calculation_id
    WHERE w.doc_type = ? AND w.doc_id = ? AND w.outcome = 'written' AND c.result_hash = ?
    ORDER BY w.id DESC LIMIT 1]], doc_type, id, rhash or M.result_hash(result))
  if not w then return true end
  local v = nn(doc.updated_at)
  return type(w.doc_version) == "string" and type(v) == "string" and w.doc_version ~= v
end

-- The answer's top-level `notes` (not the legal line notes above; issue 19: tax_id_invalid),
-- for the document's history: "; note tax_id_invalid: customer.tax_id is not a valid DE tax
-- id (...)".
local function notes_text(result)
  local out = {}
  for _, n in ipairs(type(result.notes) == "table" and result.notes or {}) do
    if type(n) == "table" and type(n.code) == "string" then
      out[#out + 1] = "; note " .. n.code .. (type(n.message) == "string" and (": " .. n.message) or "")
    end
  end
  -- issue 19: the rates are older than the document's date (a newer official file may apply)
  local rs = result.rates_stale
  if type(rs) == "table" and type(rs.message) == "string" then
    out[#out + 1] = "; rates_stale: " .. rs.message
  end
  return table.concat(out)
end

-- rillet.calculate
function M.calculate(job)
  local p = job.payload or {}
  local doc_type, id = p.doc_type, p.id
  local row = load_doc(doc_type, id)
  if not row or row.deleted == 1 or row.conn_deleted then return end
  local T = docs.TYPES[doc_type]
  local doc = util.decode_obj(row.raw)
  if not doc then return jobs.dead("stored document is not JSON") end
  local lconn = conn.get(row.connection_id) or {}
  -- a document naming a customer levy has not stored (created in Rillet after the import,
  -- its webhook lost or not subscribed) is never taxed without it: its tax id, exemption and
  -- addresses decide the tax. Fetch it first; until that works the document waits (pending,
  -- reason customer_unknown, shown with the error).
  local cust_id = nn(doc.customer_id)
  local fetched_customer = false
  if type(cust_id) == "string" and cust_id ~= "" and not docs.customer_known(cust_id) then
    local got, ferr = nil, { message = "connection not found" }
    if lconn.id then got, ferr = customers.fetch(lconn, cust_id) end
    if not got then
      local notfound = ferr.kind == "http" and ferr.status == 404
      local refused = ferr.kind == "http" and (ferr.status == 401 or ferr.status == 403)
      local waits = ferr.kind == "rate" or (ferr.retryable and not refused)
      local msg = "customer " .. cust_id .. (notfound and " not found in Rillet" or " could not be read from Rillet") ..
        ": " .. tostring(ferr.message) .. "; not taxed until levy has the customer"
      filing_sums.tx(doc_type, id, function()
        -- waiting (rate limit, outage: retried) stays pending; Rillet's 404 / a refused key /
        -- another error is failed (a Customer webhook or the sweep that brings the customer
        -- re-checks the document: docs.requeue_customer)
        store.exec("UPDATE " .. T.table .. " SET last_error = ?, tax_status = ? WHERE id = ?", msg,
          waits and row.tax_status or "failed", id)
        if row.reason ~= "customer_unknown" or row.reason_detail ~= msg then
          scope.set(doc_type, id, "customer_unknown", msg)
          docs.history(doc_type, id, { kind = "event", outcome = "customer_unknown", message = msg })
        end
      end)
      if refused then
        conn.set_error(lconn.id, "invalid_api_key", "Rillet refused the API key: " .. tostring(ferr.message))
      end
      if not waits then
        log.warn("rillet document not taxed: its customer could not be fetched",
          { document = id, customer = cust_id, error = tostring(ferr.message) })
        return
      end
      -- not counted as attempts: the client's rate window and circuit breaker pace these
      return jobs.retry(ferr.retry_after_ms or 5000, msg)
    end
    fetched_customer = true
  end
  local req, applied, lr = docs.build_request(doc_type, doc, lconn.line_amounts)
  local fp = docs.fingerprint(doc_type, req, applied, lr)
  if fetched_customer and fp ~= row.fingerprint then
    -- the stored fingerprint was taken without the customer: keep it in step, so the next
    -- copy of this document does not count as changed tax inputs
    store.exec("UPDATE " .. T.table .. " SET fingerprint = ?, fingerprint_version = ? WHERE id = ?", fp,
      docs.FP_VERSION, id)
  end
  local rtext = docs.reading_text(lr)
  local gen = config.generation_info() or {}
  local pre = M.newer_generation(doc_type, id, gen.seq)
  if pre and pre.fingerprint ~= fp then
    -- a newer generation calculated this document, and it changed since: this replica's older
    -- rules must not decide it. Nothing is stored; the job waits for a replica on the newer
    -- generation (any replica may claim it) or for this one's reload
    return wait_generation(T, doc_type, row, pre.generation_seq, gen.seq)
  end
  local api = docs.api()
  if not api then error("api plugin not loaded") end
  local started = time.now_ms()
  -- as the document's connection (legal entity): its own regions and settings (seller
  -- address, rounding) over the global ones
  local result, cerr = api.calculate(req, { connection_id = row.connection_id })
  if result then M.annotate(result, req) end
  metrics.observe("levy_calculation_duration_seconds", { source = "rillet" }, time.now_ms() - started)
  local now = time.now_ms()
  local calc_id = (result and type(result.calculation_id) == "string" and result.calculation_id)
    or crypto.id("calc_")
  local region = region_of(result, req)
  local rhash = result and M.result_hash(result) or nil
  local older -- set when a newer generation's calculation of this document is stored
  filing_sums.tx(doc_type, id, function()
    -- the document's row first: on PostgreSQL this holds its row lock until commit, so two
    -- replicas storing a calculation of one document at once take turns, and the check below
    -- sees the other's committed row (SQLite's write transaction is one at a time anyway)
    store.exec("UPDATE " .. T.table .. " SET calculation_id = calculation_id WHERE id = ?", id)
    local newer = M.newer_generation(doc_type, id, gen.seq)
    store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, error,
      total_tax, result_hash, region, generation, created_at, created_ms, generation_hash, generation_seq)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)]],
      calc_id, doc_type, id, fp, util.encode(req), result and util.encode(result) or nil,
      (not result) and err_text(cerr) or nil, result and result.total_tax or nil, rhash, region,
      result and type(result.rules) == "table" and math.type(result.rules.generation) == "integer"
        and result.rules.generation or nil,
      time.iso_ms(now), now, gen.hash, gen.seq)
    -- what the reports read, as rows (migration 0013)
    calc_rows.record(calc_id, req, result, result and result.total_tax or nil, region)
    if newer then
      -- kept as a record, never the document's calculation, never written
      older = { newer = newer, message = M.supersede_by_generation(doc_type, id, calc_id, gen.seq, newer) }
      return
    end
    if not result then
      local msg = "calculation failed: " .. err_text(cerr)
      store.exec("UPDATE " .. T.table .. [[ SET tax_status = 'failed', last_error = ?, calculation_id = ?,
        calculated_fingerprint = ?, region = COALESCE(?, region), levy_tax = NULL WHERE id = ?]],
        msg, calc_id, fp, region, id)
      scope.set(doc_type, id, "failed", msg)
      docs.history(doc_type, id, { kind = "calculation", calculation_id = calc_id, request_id = calc_id,
        outcome = "failed", message = msg })
      return
    end
    local status, outcome, message
    local reason, detail
    if api.not_collecting(result) then
      status, outcome = "not_collecting", "not_collecting"
      -- every line out of scope by the rule's law (issue 19: a supply made where a seller
      -- outside the region is established, a regime not yet in force): the note says why
      local why_note
      for _, n in ipairs(type(result.notes) == "table" and result.notes or {}) do
        if not why_note and (n.code == "place_of_supply" or n.code == "regime_not_in_force") then why_note = n end
      end
      message = type(result.territory) == "table" and result.territory.treatment == "out_of_scope"
        and ("ship-to in " .. tostring(result.territory.name) .. ": outside the VAT area (" ..
             tostring(result.territory.reason) .. ")")
        or why_note and ("outside the scope of the region's tax: " .. tostring(why_note.message))
        or "ship-to not in a subscribed region with tax calculation on"
      reason = "not_collecting"
    elseif M.differs(doc, result) or M.note_unwritten(doc_type, id, doc, result, rhash) then
      -- scope.lua: date window, document status, mapping.should_tax, manual tax policy
      local crow = conn.get(row.connection_id) or {}
      local why, info = scope.decide(crow, doc_type, row, doc)
      if why then
        status, outcome = "calculated", why
        reason, detail = why, info
        message = "not written to Rillet: " .. (scope.LABELS[why] or why) .. " (" .. tostring(info) .. ")"
        if why == "failed" then status = "failed" end
      else
        status, outcome = "calculated", "calculated"
        message = M.differs(doc, result)
          and ("differs from Rillet (" .. tostring(util.amount(doc.taxed_amount)) .. "): write-back queued")
          or "the legal wording (reverse charge / exemption) is not on the document in Rillet yet: write-back queued"
        jobs.enqueue { kind = "rillet.writeback", key = doc_type .. ":" .. id,
                       payload = { doc_type = doc_type, id = id, calculation_id = calc_id,
                                   manual = p.reason == "recalculate requested" } }
      end
    else
      status = row.written_at and "written" or "calculated"
      outcome = "unchanged"
      message = "Rillet already holds this tax"
      if money.cmp(amt(result.total_tax), "0") == 0 then reason = "no_tax_due" else reason = "written" end
    end
    store.exec("UPDATE " .. T.table .. [[ SET tax_status = ?, levy_tax = ?, calculation_id = ?,
      calculated_fingerprint = ?, region = ?, last_error = ?, write_failures = 0 WHERE id = ?]],
      status, result.total_tax, calc_id, fp, region, status == "failed" and detail or nil, id)
    scope.set(doc_type, id, reason, detail)
    docs.history(doc_type, id, { kind = "calculation", calculation_id = calc_id, request_id = calc_id,
      outcome = outcome, message = "total_tax " .. tostring(result.total_tax) ..
        (region and (" in " .. region) or "") .. "; " .. message ..
        (p.reason and ("; trigger: " .. tostring(p.reason)) or "") .. (rtext and ("; " .. rtext) or "") ..
        notes_text(result) })
  end)
  if older then
    metrics.inc("levy_writebacks_total", { result = "superseded" })
    log.warn("rillet calculation of an older generation not written: a newer generation's calculation of the " ..
      "document is stored (replicas serve different generations: GET /admin/generation)",
      { document = id, calculation = calc_id, generation_seq = gen.seq, newer = older.newer.id,
        newer_seq = older.newer.generation_seq })
    if older.newer.fingerprint ~= fp then
      -- the document changed since the newer generation calculated it: it needs a calculation
      -- of what levy holds now on the newer rules -- another replica, or this one once reloaded
      return wait_generation(T, doc_type, row, older.newer.generation_seq, gen.seq)
    end
  end
end

-- UpdateTaxesRequest for a document and a result.
function M.body(doc_type, doc, result, req, ts_ms) -- luacheck: no unused args (the shared signature)
  local currency = docs.currency(doc) or result.currency
  local country = type(req.ship_to) == "table" and req.ship_to.country or nil
  local by_id = {}
  for _, l in ipairs(result.lines or {}) do by_id[l.id] = l end
  local items = {}
  for _, it in ipairs(nn(doc.items) or {}) do
    local lid = nn(it.id)
    if type(lid) == "string" then
      items[#items + 1] = { id = lid, tax_rates = mapping.tax_rates(by_id[lid], country, currency) }
    end
  end
  return { taxes_calculated_at = time.iso(ts_ms), items = json.array(items) }
end

-- Derived from (document id, fingerprint, result hash), the document version Rillet reports
-- (`updated_at` of the copy levy writes against) and the number of earlier writes of this
-- calculation that Rillet acknowledged without holding the tax (`unverified`). Retries of one
-- version keep one key (a crash between Rillet's 200 and levy's record replays); a new
-- version always gets a new key, so A -> B -> A (a full-replace edit that cleared the tax,
-- then a revert) is written again instead of being answered from Rillet's stored response
-- for A; and a write Rillet acknowledged but does not hold is sent again under a fresh key.
function M.idempotency_key(id, fingerprint, result_hash, doc, unverified)
  local v = nn(doc.updated_at)
  local h = util.hash({ id = id, fp = fingerprint, r = result_hash,
                        v = type(v) == "string" and v or "", n = unverified or 0 })
  return "levy-" .. h:sub(1, 48)
end

-- Writes of a calculation Rillet acknowledged but did not hold, after which levy gives up
-- (the document becomes `failed` with the reason).
M.MAX_UNVERIFIED = 2

-- Does Rillet's answer to a write-back prove it holds the tax levy sent? nil when it does,
-- else the reason to re-read the document with GET. Copes with every reading of Rillet's
-- undocumented behaviour (docs/rillet-assumptions.md): a replay flagged by a header, a
-- replay without one (the answer's updated_at is not newer than the version levy wrote
-- against), an answer without the document, and a document whose tax is not what was sent.
function M.unverified(id, sent_doc, result, data, headers)
  local rep = headers and (headers["idempotent-replayed"] or headers["idempotency-replayed"])
  if rep ~= nil and tostring(rep):lower() ~= "false" then
    return "Rillet answered with a stored response (Idempotent-Replayed)"
  end
  if type(data) ~= "table" or nn(data.id) ~= id or type(nn(data.items)) ~= "table" then
    return "Rillet's answer holds no document"
  end
  if M.differs(data, result) then
    return "Rillet's answer holds " .. tostring(util.amount(data.taxed_amount)) .. " tax, levy sent " ..
      tostring(result.total_tax)
  end
  local v0 = type(nn(sent_doc.updated_at)) == "string" and time.parse_iso(sent_doc.updated_at)
  local v1 = type(nn(data.updated_at)) == "string" and time.parse_iso(data.updated_at)
  if v0 and v1 and v1 <= v0 then
    return "Rillet's answer is not newer than the version levy wrote against (updated_at " ..
      tostring(data.updated_at) .. "): it may be a stored answer to an earlier write"
  end
  return nil
end

-- taxes_calculated_at: the first calculation of this document version with this result, so
-- a re-calculation with the same outcome sends byte-identical bodies under the same key.
local function first_calculated_ms(calc)
  local r = store.row([[SELECT min(created_ms) AS ms FROM calculations WHERE doc_type = ? AND doc_id = ?
    AND fingerprint = ? AND result_hash = ?]], calc.doc_type, calc.doc_id, calc.fingerprint, calc.result_hash)
  return (r and r.ms) or calc.created_ms
end

local function fail(doc_type, id, message, extra)
  local T = docs.TYPES[doc_type]
  filing_sums.tx(doc_type, id, function()
    store.exec("UPDATE " .. T.table .. " SET tax_status = 'failed', last_error = ? WHERE id = ?", message, id)
    scope.set(doc_type, id, "failed", message)
  end)
  metrics.inc("levy_writebacks_total", { result = "failed" })
  log.warn("rillet write-back failed", { doc_type = doc_type, id = id, error = message })
  return extra
end

-- Rillet acknowledged a write-back (2xx) but its answer does not prove it holds the tax
-- (M.unverified gave `why`): re-read the document. `written` only when Rillet holds what levy
-- sent; a changed document is recalculated; otherwise the write is sent again under a fresh
-- Idempotency-Key, and after MAX_UNVERIFIED such answers the document is `failed` with the
-- reason. Returns the job's return values.
function M.check_after_write(c, crow, row, calc, result, ikey, rid, status, unverified, why)
  local doc_type, id = calc.doc_type, calc.doc_id
  local T = docs.TYPES[doc_type]
  local path = T.path .. "/" .. id
  local got, gerr = c:get(path)
  local now = time.now_ms()
  local at = time.iso_ms(now)
  if not got then
    -- cannot tell yet: the next run writes the same version under the same key (Rillet
    -- replays) and reads again
    filing_sums.tx(doc_type, id, function()
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = rid,
        http_status = status, outcome = "retry",
        message = why .. "; re-reading the document failed (" .. tostring(gerr.message) .. "): will check again" })
    end)
    if gerr.kind == "rate" then return jobs.retry(gerr.retry_after_ms, "rate limit") end
    return jobs.retry(gerr.retry_after_ms or M.backoff_ms(math.min((row.write_failures or 0) + 1, 8)),
      "write-back check: " .. tostring(gerr.message))
  end
  local outcome
  filing_sums.tx(doc_type, id, function()
    local holds = type(got) == "table" and nn(got.id) == id and not M.differs(got, result)
    local held = type(got) == "table" and tostring(util.amount(got.taxed_amount)) or "?"
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, request_id,
      http_status, outcome, response, attempted_at, doc_version) VALUES (?,?,?,?,?,?,?,?,?,?)]],
      doc_type, id, calc.id, ikey, rid, status, holds and "written" or "unverified", why, at,
      type(got) == "table" and type(nn(got.updated_at)) == "string" and got.updated_at or nil)
    local applied = (type(got) == "table" and nn(got.id) == id) and docs.apply(crow, doc_type, got, "write-back check") or nil
    if holds then
      outcome = "written"
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = rid,
        http_status = status, outcome = "written",
        message = why .. "; GET " .. path .. " shows Rillet holds " .. tostring(result.total_tax) ..
          " (Idempotency-Key " .. ikey .. ")" })
      store.exec("UPDATE " .. T.table .. [[ SET tax_status = 'written', written_at = ?, last_error = NULL,
        write_failures = 0 WHERE id = ?]], time.iso(now), id)
      scope.set(doc_type, id, "written", nil)
      metrics.inc("levy_writebacks_total", { result = "written" })
    elseif applied == "updated" then
      outcome = "superseded"
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = rid,
        http_status = status, outcome = "superseded",
        message = why .. "; the document changed in Rillet since levy's calculation: recalculating" })
    elseif unverified + 1 >= M.MAX_UNVERIFIED then
      outcome = "failed"
      local msg = string.format("Rillet accepted the tax %d times but does not hold it: Rillet shows %s " ..
        "tax, levy calculated %s (%s). Check the document in Rillet; POST .../recalculate to try again",
        unverified + 1, held, tostring(result.total_tax), why)
      fail(doc_type, id, msg)
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = rid,
        http_status = status, outcome = "failed", message = msg })
    else
      outcome = "again"
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = rid,
        http_status = status, outcome = "retry",
        message = why .. "; GET " .. path .. " shows Rillet holds " .. held .. ", not " ..
          tostring(result.total_tax) .. ": writing again under a new Idempotency-Key" })
      store.exec("UPDATE " .. T.table .. " SET tax_status = 'calculated', last_error = ? WHERE id = ?",
        "Rillet acknowledged the write-back but holds " .. held .. ": writing again", id)
    end
  end)
  if outcome == "again" then
    metrics.inc("levy_writebacks_total", { result = "unverified" })
    return jobs.retry(0, "write-back not held by Rillet: writing again")
  end
end

-- Rillet refused a write-back with 404 (the document is gone) or 400/409/422 (e.g. "not a
-- line of this document": an edit replaced the lines since the copy levy calculated, and the
-- delivery that said so was lost or is still queued). levy does not end `failed` on its own
-- stale copy: it re-reads the document with GET.
--   404 (on the write or the re-read) -> the document is marked deleted (history, reason).
--   a newer calculation exists, or the copy read differs in its tax inputs -> superseded: the
--     copy is applied (which queues the calculation of the current content), nothing failed.
--   the same content -> nil: the rejection stands (the caller fails or retries as before).
-- Returns nil, or a table of the job's return values.
function M.rejected(c, crow, calc, err, request_id, ikey, at)
  local doc_type, id = calc.doc_type, calc.doc_id
  local T = docs.TYPES[doc_type]
  local function record(outcome, message)
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, request_id,
      http_status, outcome, response, attempted_at) VALUES (?,?,?,?,?,?,?,?,?)]],
      doc_type, id, calc.id, ikey, request_id, err.status, outcome, err.message, at)
    docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = request_id,
      http_status = err.status, outcome = outcome, message = message })
  end
  local got, gerr
  if err.status ~= 404 then
    got, gerr = c:get(T.path .. "/" .. id)
    if not got and not (gerr.kind == "http" and gerr.status == 404) then
      -- cannot tell whether the rejection is about a stale copy: try again later
      filing_sums.tx(doc_type, id, function()
        record("retry", "Rillet refused the write (" .. tostring(err.message) .. "); re-reading the document " ..
          "failed (" .. tostring(gerr.message) .. "): will try again")
      end)
      if gerr.kind == "rate" then return { jobs.retry(gerr.retry_after_ms, "rate limit") } end
      local row = load_doc(doc_type, id) or {}
      return { jobs.retry(gerr.retry_after_ms or M.backoff_ms(math.min((row.write_failures or 0) + 1, 8)),
        "write-back re-read: " .. tostring(gerr.message)) }
    end
  end
  if not got then
    filing_sums.tx(doc_type, id, function()
      record("deleted", "Rillet answered " .. tostring(err.status) .. " (" .. tostring(err.message) ..
        ")" .. (err.status == 404 and "" or "; GET answers 404") .. ": the document no longer exists in Rillet")
      docs.mark_deleted(doc_type, id, "write-back: Rillet answers 404 for the document")
    end)
    metrics.inc("levy_writebacks_total", { result = "deleted" })
    return {}
  end
  local done = false
  filing_sums.tx(doc_type, id, function()
    if type(got) ~= "table" or nn(got.id) ~= id then return end
    local outcome = docs.apply(crow, doc_type, got, "write-back check")
    -- the calculation was for other tax inputs than Rillet's document has now: levy may hold
    -- the current copy already (a delivery applied while the write was in flight; for a paid
    -- invoice that starts no new calculation), so compare fingerprints, not only the outcome
    local now_row = load_doc(doc_type, id)
    if outcome == "updated" or superseded_since(doc_type, id, calc.id) or
        (now_row and now_row.fingerprint ~= calc.fingerprint) then
      done = true
      record("superseded", "Rillet refused the write (" .. tostring(err.message) .. "): GET shows the document " ..
        "changed since levy's calculation (version " .. tostring(nn(got.updated_at)) .. "); recalculating " ..
        "on what Rillet holds now")
    end
  end)
  if done then
    metrics.inc("levy_writebacks_total", { result = "superseded" })
    return {}
  end
  return nil
end

-- Is this failed write (a client.lua error) one of the document's own attempts
-- (M.MAX_WRITE_ATTEMPTS)? Not a wait for the rate limit or an open circuit, not Rillet's 429,
-- and not a transport error or 5xx that came while the key's requests were failing anyway (the
-- request or write before it failed too, nothing answered since: client.lua others_failing):
-- an outage gives up on no document before GIVE_UP_MS. A document Rillet keeps failing while
-- it answers the key's other requests still reaches the limit; a 4xx is always its own.
function M.own_failure(err)
  if err.kind == "rate" or (err.kind == "http" and err.status == 429) then return false end
  return not err.others_failing
end

-- Another write-back of the same document running now? Jobs of one (kind, key) are not
-- serialised by the job runner (a queued successor is enqueued while one runs, and
-- rillet.writeback runs 8 at a time); two writes of one document in flight at once let the
-- answer to the older calculation land last (a `failed` from its stale line ids, or its tax
-- recorded over the newer one's). A crash leaves no lock: jobs left running are re-queued.
local function other_write_running(job)
  if type(job.key) ~= "string" or type(job.id) ~= "string" then return false end
  return jobs.count { kind = "rillet.writeback", key = job.key, states = { "running" }, except = job.id } > 0
end

-- rillet.writeback
function M.writeback(job)
  local p = job.payload or {}
  local doc_type, id = p.doc_type, p.id
  local T = docs.TYPES[doc_type]
  local row = load_doc(doc_type, id)
  if not row or row.deleted == 1 or row.conn_deleted then return end
  if row.calculation_id ~= p.calculation_id then return end -- superseded by a newer calculation
  if other_write_running(job) then
    return jobs.retry(250, "another write-back of this document is under way")
  end
  local calc = store.row("SELECT * FROM calculations WHERE id = ?", p.calculation_id)
  if not calc or not calc.result then return end
  -- a result of an older generation than another calculation of the document never replaces
  -- it in Rillet (a calculation stored before generations were recorded has no seq: no order)
  local newer = M.newer_generation(doc_type, id, calc.generation_seq)
  if newer then
    filing_sums.tx(doc_type, id, function()
      M.supersede_by_generation(doc_type, id, calc.id, calc.generation_seq, newer)
      docs.enqueue_calc(doc_type, id, "write-back of an older generation's calculation superseded", true)
    end)
    metrics.inc("levy_writebacks_total", { result = "superseded" })
    return
  end
  local result = util.decode_obj(calc.result)
  local req = util.decode_obj(calc.request)
  local doc = util.decode_obj(row.raw)
  if not result or not req or not doc then return jobs.dead("stored calculation is not JSON") end
  if not M.differs(doc, result) and not M.note_unwritten(doc_type, id, doc, result, calc.result_hash) then
    filing_sums.tx(doc_type, id, function()
      store.exec("UPDATE " .. T.table .. " SET tax_status = ? WHERE id = ?",
        row.written_at and "written" or "calculated", id)
      scope.set(doc_type, id, money.cmp(amt(result.total_tax), "0") == 0 and "no_tax_due" or "written", nil)
    end)
    return
  end
  -- the document may have changed since the calculation (paid, voided, tax typed by hand):
  -- the scope decision is made again on what Rillet sent last
  local crow0 = conn.get(row.connection_id)
  if not crow0 then return end
  local why, info = scope.decide(crow0, doc_type, row, doc)
  if why then
    filing_sums.tx(doc_type, id, function()
      store.exec("UPDATE " .. T.table .. " SET tax_status = ?, last_error = ? WHERE id = ?",
        why == "failed" and "failed" or "calculated", why == "failed" and info or nil, id)
      scope.set(doc_type, id, why, info)
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, outcome = why,
        message = "not written to Rillet: " .. (scope.LABELS[why] or why) .. " (" .. tostring(info) .. ")" })
    end)
    return
  end
  p.overwrite, p.changed_outside, p.last_written = info.overwrite, info.changed_outside, info.last_written
  -- circuit breaker: a document written again and again means the tax inputs move with the
  -- tax itself (e.g. a line amount that includes tax); stop instead of looping with Rillet
  local recent = store.row([[SELECT count(*) AS n FROM writebacks WHERE doc_type = ? AND doc_id = ?
    AND outcome = 'written' AND attempted_at >= ?]], doc_type, id, time.iso_ms(time.now_ms() - 3600000)).n
  if recent >= M.MAX_WRITES_PER_HOUR and not p.manual then
    local msg = "write-back loop suspected: written " .. recent .. " times in the last hour; " ..
      "check mapping.lua (line amounts must exclude tax); POST .../recalculate to retry"
    filing_sums.tx(doc_type, id, function()
      fail(doc_type, id, msg)
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, outcome = "failed", message = msg })
    end)
    return
  end
  local body = M.body(doc_type, doc, result, req, first_calculated_ms(calc))
  if #body.items == 0 then return end
  -- acknowledged-but-not-held writes of this result since levy last saw one held (a
  -- recalculation with the same outcome keeps counting, so the key stays fresh)
  local unverified = store.row([[SELECT count(*) AS n FROM writebacks w JOIN calculations c
    ON c.id = w.calculation_id WHERE w.doc_type = ? AND w.doc_id = ? AND w.outcome = 'unverified'
    AND c.fingerprint = ? AND c.result_hash IS NOT DISTINCT FROM ? AND w.id > coalesce((SELECT max(id) FROM writebacks
    WHERE doc_type = ? AND doc_id = ? AND outcome = 'written'), 0)]],
    doc_type, id, calc.fingerprint, calc.result_hash, doc_type, id).n
  local ikey = M.idempotency_key(id, calc.fingerprint, calc.result_hash or M.result_hash(result), doc, unverified)
  local crow = conn.get(row.connection_id)
  if not crow then return end
  local c, cerr = conn.client(crow)
  if not c then
    filing_sums.tx(doc_type, id, function()
      fail(doc_type, id, "write-back impossible: " .. tostring(cerr))
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, outcome = "failed",
        message = tostring(cerr) })
    end)
    return
  end
  -- a key Rillet refused writes with (403 on a write, or reported read-only): no request per
  -- document that would only be refused again; the document says why, the connection's
  -- health says what to do, and replacing the key re-checks these documents (conn.set_api_key)
  if crow.key_problem == "read_only" then
    local msg = "not written: the API key is read-only (" .. tostring(crow.key_problem_detail) ..
      "); replace it: POST /v1/connections/" .. crow.id .. "/api-key"
    filing_sums.tx(doc_type, id, function()
      fail(doc_type, id, msg)
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, outcome = "failed", message = msg })
    end)
    metrics.inc("levy_writebacks_total", { result = "key_read_only" })
    return
  end
  -- never write into a closed books period; when Rillet cannot say, hold (never assume open)
  local date = mapping.doc_date(doc_type, doc)
  local pok, closed, perr = scope.closed_through(crow, c, date)
  if not pok then
    if perr.kind == "rate" then return jobs.retry(perr.retry_after_ms, "rate limit") end
    if time.now_ms() - (calc.created_ms or 0) < M.GIVE_UP_MS then
      local msg = "Rillet's last closed books period could not be read (" .. tostring(perr.message) ..
        "); nothing is written until it can"
      if row.reason ~= "held" or row.reason_detail ~= msg then
        filing_sums.tx(doc_type, id, function()
          scope.set(doc_type, id, "held", msg)
          store.exec("UPDATE " .. T.table .. " SET last_error = ? WHERE id = ?", msg, id)
          docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, outcome = "held", message = msg })
        end)
      end
      return jobs.retry(math.max(M.backoff_ms(math.min(job.attempts or 1, 6)), 5000), msg)
    end
    local msg = "gave up: Rillet's closed books period could not be read for " .. (M.GIVE_UP_MS // 86400000) ..
      " days (" .. tostring(perr.message) .. ")"
    filing_sums.tx(doc_type, id, function()
      fail(doc_type, id, msg)
      scope.set(doc_type, id, "failed", msg)
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, outcome = "failed", message = msg })
    end)
    return
  end
  if closed and type(date) == "string" and date <= closed then
    local msg = "dated " .. date .. ", in a books period Rillet has closed (through " .. closed .. ")"
    filing_sums.tx(doc_type, id, function()
      store.exec("UPDATE " .. T.table .. " SET tax_status = 'calculated', last_error = NULL WHERE id = ?", id)
      scope.set(doc_type, id, "closed_period", msg)
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, outcome = "closed_period",
        message = "not written: " .. msg })
    end)
    return
  end
  local request_id = crypto.id("req_")
  local path = T.path .. "/" .. id .. "/taxes"
  local data, st_or_err, rh = c:post(path, body, { idempotency_key = ikey, request_id = request_id })
  local now = time.now_ms()
  local at = time.iso_ms(now)
  if data then
    local status = st_or_err
    local rid = (rh and rh["x-request-id"]) or request_id
    local unproven = M.unverified(id, doc, result, data, rh)
    if unproven then
      return M.check_after_write(c, crow, row, calc, result, ikey, rid, status, unverified, unproven)
    end
    local stale = false
    filing_sums.tx(doc_type, id, function()
      store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, request_id,
        http_status, outcome, response, attempted_at, doc_version) VALUES (?,?,?,?,?,?,?,?,?,?)]],
        doc_type, id, calc.id, ikey, rid, status, "written", nil, at,
        type(nn(data.updated_at)) == "string" and data.updated_at or nil)
      if superseded_since(doc_type, id, calc.id) then
        stale = true
        docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = rid,
          http_status = status, outcome = "superseded",
          message = "POST " .. path .. " wrote " .. tostring(result.total_tax) .. " (Idempotency-Key " .. ikey ..
            "), but a newer calculation of the document exists: it decides; recalculating" })
        docs.apply(crow, doc_type, data, "write-back")
        docs.enqueue_calc(doc_type, id, "write-back of an earlier calculation answered", true)
        return
      end
      local prev = ""
      if p.overwrite then
        prev = "; replaced tax not written by levy: Rillet held " .. tostring(p.overwrite) ..
          " (manual tax policy: overwrite)"
      elseif p.changed_outside then
        prev = "; Rillet held " .. tostring(p.changed_outside) .. ", not levy's last write " ..
          tostring(p.last_written) .. " (changed outside levy): kept in line"
      end
      docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = rid,
        http_status = status, outcome = "written",
        message = "POST " .. path .. " wrote " .. tostring(result.total_tax) .. "; Rillet's answer holds it" ..
          " (Idempotency-Key " .. ikey .. ")" .. prev })
      scope.set(doc_type, id, "written", p.overwrite and ("replaced " .. tostring(p.overwrite) .. " typed in Rillet") or nil)
      store.exec("UPDATE " .. T.table .. [[ SET tax_status = 'written', written_at = ?, last_error = NULL,
        write_failures = 0 WHERE id = ?]], time.iso(now), id)
      docs.apply(crow, doc_type, data, "write-back")
    end)
    metrics.inc("levy_writebacks_total", { result = stale and "superseded" or "written" })
    return
  end
  local err = st_or_err
  if err.kind == "http" and (err.status == 404 or err.status == 400 or err.status == 409 or err.status == 422) then
    local handled = M.rejected(c, crow, calc, err, request_id, ikey, at)
    if handled then return table.unpack(handled) end
  end
  local too_old = now - (calc.created_ms or now) >= M.GIVE_UP_MS
  if err.kind == "rate" and not too_old then
    return jobs.retry(err.retry_after_ms, "rate limit")
  end
  local own = M.own_failure(err)
  local failures = (row.write_failures or 0) + (own and 1 or 0)
  local http_status = err.kind == "http" and err.status or nil
  local outcome, delay
  if not own and err.kind ~= "rate" and not too_old then
    err = { message = err.message .. " (not counted as an attempt of this document: " ..
      (err.status == 429 and "Rillet's rate limit" or "Rillet was failing the key's other requests too") .. ")",
      retryable = true, retry_after_ms = err.retry_after_ms }
  end
  if too_old then
    outcome = "failed"
    if err.kind == "rate" then request_id = nil end -- held back: this attempt sent nothing
    err = { message = string.format("gave up: no successful write-back %d days after the calculation " ..
      "(%s); last error: %s; POST .../recalculate to try again", M.GIVE_UP_MS // 86400000,
      time.iso_ms(calc.created_ms), err.message) }
  elseif err.retryable and (failures < M.MAX_WRITE_ATTEMPTS or not own) then
    outcome = "retry"
    delay = err.retry_after_ms or M.backoff_ms(math.max(failures, 1))
  else
    outcome = "failed"
  end
  filing_sums.tx(doc_type, id, function()
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, request_id,
      http_status, outcome, response, attempted_at) VALUES (?,?,?,?,?,?,?,?,?)]],
      doc_type, id, calc.id, ikey, request_id, http_status, outcome, err.message, at)
    docs.history(doc_type, id, { kind = "writeback", calculation_id = calc.id, request_id = request_id,
      http_status = http_status, outcome = outcome,
      message = err.message .. (delay and (" (retry in " .. delay .. " ms)") or "") })
    if outcome == "retry" then
      store.exec("UPDATE " .. T.table .. " SET write_failures = ?, last_error = ? WHERE id = ?",
        failures, err.message, id)
    else
      store.exec("UPDATE " .. T.table .. " SET write_failures = ? WHERE id = ?", failures, id)
      fail(doc_type, id, err.message)
      if http_status == 401 then
        conn.set_error(crow.id, "invalid_api_key", "Rillet refused the API key (revoked?)")
      end
    end
  end)
  if outcome == "retry" then
    metrics.inc("levy_writebacks_total", { result = "retry" })
    return jobs.retry(delay, "write-back: " .. err.message)
  end
end

return M
