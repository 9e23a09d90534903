-- Imported documents (invoices, credit memos): upsert from Rillet JSON, tax inputs,
-- fingerprints, and the decision to (re)calculate.
local json = require "levy.json"
local log = require "levy.log"
local store = require "levy.store"
local jobs = require "levy.jobs"
local time = require "levy.time"
local plugin = require "levy.plugin"
local mapping = require "mapping"
local util = require "util"
local lutil = require "levy.util"
local filing_sums = require "filing_sums"

local M = {}

M.TYPES = {
  invoice = { table = "invoices", path = "/invoices", list_key = "invoices",
              number = "invoice_number", date = "invoice_date" },
  credit_memo = { table = "credit_memos", path = "/credit-memos", list_key = "credit_memos",
                  number = "credit_memo_number", date = "credit_memo_date" },
}

local nn = lutil.nn

-- The fields levy adds to a document in the documents API (handler.lua doc_view). Lists
-- append them to the stored Rillet JSON without decoding it, so a Rillet document that
-- carried one of these names at its top level would list it twice (levy's value last, the
-- one JSON readers keep): apply() warns when one arrives. None of Rillet's schemas has one.
M.VIEW_KEYS = { "tax_status", "levy_tax", "rillet_taxed_amount", "calculation_id", "written_at",
                "last_error", "connection_id", "reason", "reason_detail", "region" }

function M.api()
  local ok, api = pcall(plugin, "api")
  if ok then return api end
  return nil
end

-- The stored customer ({raw, tax_id, exempt, ...}: the api plugin's row) or nil.
local function customer_row(id)
  local api = M.api()
  if not api or type(id) ~= "string" then return nil end
  local ok, c = pcall(api.customer, id)
  if not ok or type(c) ~= "table" then return nil end
  local raw = c.raw
  if type(raw) == "string" then raw = util.decode_obj(raw) end
  if type(raw) ~= "table" then return nil end
  c.raw = raw
  return c
end

local function customer_raw(id)
  local c = customer_row(id)
  return c and c.raw
end

-- Is the customer a document names stored in levy? (A document naming one that is not is
-- not calculated before levy has fetched it: writeback.lua.)
function M.customer_known(id)
  return customer_row(id) ~= nil
end

local function items_of(doc)
  local items = nn(doc.items)
  if type(items) ~= "table" then return {} end
  return items
end

-- Document currency: from its total / line amounts.
function M.currency(doc)
  local c = util.currency(doc.total) or util.currency(doc.net_amount) or util.currency(doc.taxed_amount)
  if c then return c end
  for _, it in ipairs(items_of(doc)) do
    c = util.currency(it.total_amount)
    if c then return c end
  end
  return nil
end

-- First application's invoice id (credit memos).
function M.applied_invoice_id(doc)
  local apps = nn(doc.applications)
  if type(apps) ~= "table" then return nil end
  for _, a in ipairs(apps) do
    local id = type(a) == "table" and nn(a.invoice_id)
    if type(id) == "string" and id ~= "" then return id end
  end
  return nil
end

-- The /v1/calculate request for a document (pure apart from store reads of the customer
-- and of an applied invoice), plus the id of the applied invoice used and how its line
-- amounts were read ({reading, how, why}: mapping.line_reading). line_amounts: the
-- connection's setting ("net" | "gross"), used where the document's totals cannot tell.
function M.build_request(doc_type, doc, line_amounts)
  local crow = customer_row(nn(doc.customer_id))
  local customer = crow and crow.raw
  local ship_to = mapping.ship_to(doc_type, doc, customer)
  local date = mapping.doc_date(doc_type, doc)
  local ship_from = mapping.ship_from(doc_type, doc)
  local applied
  if doc_type == "credit_memo" then
    local inv_id = M.applied_invoice_id(doc)
    if inv_id then
      local row = store.row("SELECT raw FROM invoices WHERE id = ?", inv_id)
      local inv = row and util.decode_obj(row.raw)
      if inv then
        applied = inv_id
        local icust = customer_raw(nn(inv.customer_id)) or customer
        ship_to = mapping.ship_to("invoice", inv, icust) or ship_to
        date = mapping.doc_date("invoice", inv) or date
        ship_from = mapping.ship_from("invoice", inv)
      end
    end
  end
  local reading, how, why = mapping.line_reading(doc_type, doc, line_amounts)
  local lines = {}
  for _, it in ipairs(items_of(doc)) do
    if type(it) == "table" then lines[#lines + 1] = mapping.line(doc_type, it, reading) end
  end
  local req = {
    currency = M.currency(doc),
    date = date,
    customer = { id = nn(doc.customer_id) },
    ship_to = ship_to,
    ship_from = ship_from,
    lines = json.array(lines),
  }
  -- the tax id in effect: what the customer's Rillet data gives (mapping.lua, resolved when
  -- the customer was stored: customers.lua) unless the user set one (PUT /v1/customers/{id})
  local tax_id = crow and crow.tax_id
  if type(tax_id) == "string" and tax_id ~= "" then req.customer.tax_id = tax_id end
  -- the Quebec QST number in effect, likewise (issue 19): with the setting qc_qst_regime =
  -- "specified" a registrant's CA-QC documents carry no QST (docs/rules.md section 2). Absent
  -- when none, so the fingerprints of other customers' documents stay as they were.
  local qst = crow and crow.qst_number
  if type(qst) == "string" and qst ~= "" then req.customer.qst_number = qst end
  return req, applied, { reading = reading, how = how, why = why, exempt = crow and crow.exempt == true or nil }
end

-- History text for how a document's line amounts were read (nil when it has no discount).
function M.reading_text(lr)
  if type(lr) ~= "table" or lr.how == "no_discount" then return nil end
  local src = lr.how == "totals" and "detected from the document's totals"
    or "connection setting line_amounts"
  return "line amounts read as " .. tostring(lr.reading) ..
    (lr.reading == "gross" and " (total_amount before total_discount; discount sent)"
      or " (total_amount after total_discount)") .. ": " .. src .. "; " .. tostring(lr.why)
end

-- The tax fingerprint: a hash of everything that affects tax (lines, amounts, quantities,
-- products, addresses, dates, customer, applied invoice) and of nothing else
-- (not taxed_amount, status, payments or updated_at).
-- lr: build_request's third result; an exempt customer (stored exemption, from the Rillet
-- data or set by the user) is part of the inputs (absent when not exempt, so the fingerprints
-- of documents of other customers stay as they were).
function M.fingerprint(doc_type, req, applied, lr)
  local x = type(lr) == "table" and lr.exempt or nil
  return util.hash({ t = doc_type, r = req, a = applied or json.null, x = x })
end

-- Stored fingerprints carry the version of the text they hash (migration 0012): 1 = the rillet
-- plugin's former Lua canonical encoder, 2 = levy.json.canonical (util.hash).
M.FP_VERSION = 2

-- The stored fingerprint of a document row {id, fingerprint, fingerprint_version[, raw]} as the
-- current version spells it, to compare with a fresh one (fp): a current one as stored; an
-- older one equal to fp as it is (the encoders agree on the text); otherwise the older one
-- was another encoder's spelling, so it is recomputed once from the stored document instead
-- of being compared byte for byte (an encoder change must not make every document look
-- changed, recalculated and written again). line_amounts: the connection's reading.
function M.stored_fingerprint(doc_type, row, fp, line_amounts)
  if row.fingerprint_version == M.FP_VERSION or row.fingerprint == fp then return row.fingerprint end
  local raw = row.raw
  if raw == nil then
    local r = store.row("SELECT raw FROM " .. M.TYPES[doc_type].table .. " WHERE id = ?", row.id)
    raw = r and r.raw
  end
  local doc = util.decode_obj(raw)
  if not doc then return row.fingerprint end
  local req, applied, lr = M.build_request(doc_type, doc, line_amounts)
  return M.fingerprint(doc_type, req, applied, lr)
end

local function product_ids(doc)
  local ids = {}
  for _, it in ipairs(items_of(doc)) do
    local p = type(it) == "table" and nn(it.product_id)
    if type(p) == "string" then ids[#ids + 1] = p end
  end
  if #ids == 0 then return nil end
  return "," .. table.concat(ids, ",") .. ","
end

-- Reasons that depend on the document's status only (scope.lua status_policy).
M.STATUS_REASONS = { paid_before_calculation = true, credited = true, voided = true, held = true }

function M.is_paid(doc_type, doc_status)
  return doc_type == "invoice" and doc_status == "PAID"
end

local function enqueue_calc(doc_type, id, reason, force)
  jobs.enqueue { kind = "rillet.calculate", key = doc_type .. ":" .. id,
                 payload = { doc_type = doc_type, id = id, reason = reason, force = force or false } }
end
M.enqueue_calc = enqueue_calc

-- Upsert one document from Rillet JSON. Must run inside store.transaction.
-- Returns an outcome: "created", "updated", "unchanged", "stale", "deleted",
-- "other_subsidiary", "invalid".
local function apply_doc(conn, doc_type, doc, source, raw_text)
  local T = M.TYPES[doc_type]
  if type(doc) ~= "table" or type(nn(doc.id)) ~= "string" then return "invalid" end
  local sub = nn(doc.subsidiary_id)
  if conn.subsidiary_id and sub and sub ~= conn.subsidiary_id then return "other_subsidiary" end
  local id = doc.id
  for _, k in ipairs(M.VIEW_KEYS) do
    if doc[k] ~= nil then
      log.warn("rillet document carries a field levy adds in its API; levy's value is listed after Rillet's",
        { doc_type = doc_type, id = id, field = k })
      break
    end
  end
  local updated_at = nn(doc.updated_at)
  local updated_ms = type(updated_at) == "string" and time.parse_iso(updated_at) or nil
  local row = store.row("SELECT id, updated_ms, fingerprint, fingerprint_version, deleted, tax_status, " ..
    "calculation_id, written_at, levy_tax, reason, status FROM " .. T.table .. " WHERE id = ?", id)
  if row and row.deleted == 1 then return "deleted" end
  if row and row.updated_ms and updated_ms and updated_ms < row.updated_ms then return "stale" end
  local req, applied, lr = M.build_request(doc_type, doc, conn.line_amounts)
  local fp = M.fingerprint(doc_type, req, applied, lr)
  -- before the upsert: an older-version fingerprint is recomputed from the stored document
  local stored_fp = row and M.stored_fingerprint(doc_type, row, fp, conn.line_amounts)
  local raw = raw_text or util.encode(doc) -- a webhook's exact bytes when given
  local status = nn(doc.status)
  local now = time.iso(time.now_ms())
  -- net_amount.amount as its own column (migration 0013; read without json_extract)
  local net = util.amount(doc.net_amount)
  if math.type(net) == "integer" then net = tostring(net) elseif type(net) ~= "string" then net = nil end
  local cols = {
    connection_id = conn.id, subsidiary_id = sub, number = nn(doc[T.number]),
    customer_id = nn(doc.customer_id), status = type(status) == "string" and status or nil,
    currency = M.currency(doc), doc_date = nn(doc[T.date]), total = util.amount(doc.total),
    rillet_taxed_amount = util.amount(doc.taxed_amount), product_ids = product_ids(doc),
    updated_at = updated_at, updated_ms = updated_ms, raw = raw, fingerprint = fp,
    fingerprint_version = M.FP_VERSION, net_amount = net,
  }
  if doc_type == "credit_memo" then cols.applied_invoice_id = M.applied_invoice_id(doc) end
  local order = { "connection_id", "subsidiary_id", "number", "customer_id", "status", "currency",
                  "doc_date", "total", "rillet_taxed_amount", "product_ids", "updated_at", "updated_ms",
                  "raw", "fingerprint", "fingerprint_version", "net_amount" }
  if doc_type == "credit_memo" then order[#order + 1] = "applied_invoice_id" end
  local sets, ph, binds = {}, {}, { id }
  for i, k in ipairs(order) do
    sets[i] = k .. " = excluded." .. k
    ph[i] = "?"
    binds[i + 1] = cols[k]
  end
  binds[#order + 2] = now
  store.exec("INSERT INTO " .. T.table .. " (id, " .. table.concat(order, ", ") .. ", imported_at) VALUES (?, " ..
    table.concat(ph, ", ") .. ", ?) ON CONFLICT(id) DO UPDATE SET " .. table.concat(sets, ", "),
    table.unpack(binds, 1, #order + 2))
  if not row then
    enqueue_calc(doc_type, id, source .. ": new document")
    return "created"
  end
  if stored_fp ~= fp then
    if M.is_paid(doc_type, status) and row.calculation_id then
      -- fully paid: not re-taxed. levy's last result is for earlier content, so the reason
      -- it gave then (`no_tax_due`, `written`...) no longer describes this document: say it
      -- was paid before levy calculated its current content, and say it in the status too:
      -- `written` means Rillet holds levy's tax for the document as it is, which nobody
      -- calculated (a full-replace edit also clears the tax in Rillet). A `failed` one keeps
      -- its error, a `drift` one its flag. The reconciliation still compares it with levy's last write (a difference
      -- becomes `drift`, counted as what Rillet holds).
      if row.tax_status ~= "failed" and row.tax_status ~= "drift" and
          (row.reason ~= "paid_before_calculation" or row.tax_status == "written") then
        store.exec("UPDATE " .. T.table .. " SET tax_status = CASE WHEN tax_status = 'written' " ..
          "THEN 'calculated' ELSE tax_status END, reason = 'paid_before_calculation', reason_detail = ? WHERE id = ?",
          "paid in full in Rillet; its tax inputs changed after levy's last calculation", id)
        M.history(doc_type, id, { kind = "event", outcome = "paid_before_calculation",
          message = "tax inputs changed on a paid document: not re-taxed (levy's last result is for earlier content)" })
      end
      return "updated"
    end
    enqueue_calc(doc_type, id, source .. ": tax inputs changed")
    return "updated"
  end
  if row.tax_status == "pending" and not row.calculation_id then
    enqueue_calc(doc_type, id, source .. ": pending")
  elseif row.status ~= cols.status and M.STATUS_REASONS[row.reason or ""] then
    -- left alone because of its status (paid, credited, voided, held) and the status changed
    -- (a credit memo removed, a payment reversed): decide again on the current status
    enqueue_calc(doc_type, id, source .. ": status " .. tostring(row.status) .. " -> " .. tostring(cols.status))
  elseif M.lost_written_tax(doc_type, row, status, cols.rillet_taxed_amount, source) then
    -- same tax inputs, but Rillet no longer holds the tax levy wrote (a full-replace update
    -- that cleared it): levy keeps the documents it wrote in line
    enqueue_calc(doc_type, id, source .. ": Rillet holds " .. tostring(cols.rillet_taxed_amount) ..
      " tax, levy wrote " .. tostring(row.levy_tax))
  end
  return "unchanged"
end

-- (the document's part of the filing summary's kept sums follows its copy: filing_sums.lua)
function M.apply(conn, doc_type, doc, source, raw_text)
  local outcome = apply_doc(conn, doc_type, doc, source, raw_text)
  if outcome == "created" or outcome == "updated" or outcome == "unchanged" then
    filing_sums.refresh(doc_type, doc.id)
  end
  return outcome
end

-- A document levy wrote (status `written`) whose copy from Rillet holds another tax total.
-- Not for the answers to levy's own writes (writeback.lua verifies those itself).
function M.lost_written_tax(doc_type, row, status, rillet_tax, source)
  if source == "write-back" or source == "write-back check" then return false end
  if row.tax_status ~= "written" or not row.written_at or type(row.levy_tax) ~= "string" then return false end
  if M.is_paid(doc_type, status) or type(rillet_tax) ~= "string" then return false end
  local money = require "levy.money"
  if not money.is_decimal(rillet_tax) or not money.is_decimal(row.levy_tax) then return false end
  return money.cmp(rillet_tax, row.levy_tax) ~= 0
end

-- DELETED event (or a 404 from Rillet for the document: `how` says which): keep the
-- document, mark it deleted. Inside a transaction.
function M.mark_deleted(doc_type, id, how)
  local T = M.TYPES[doc_type]
  local n = store.exec("UPDATE " .. T.table .. " SET deleted = 1, tax_status = 'deleted' WHERE id = ? AND deleted = 0", id)
  if n > 0 then
    filing_sums.refresh(doc_type, id)
    M.history(doc_type, id, { kind = "event", outcome = "deleted",
      message = "deleted in Rillet" .. (how and (" (" .. how .. ")") or "") })
  end
  return n > 0 and "deleted" or "unknown"
end

-- Append to the document's history (append-only table).
function M.history(doc_type, id, e)
  store.exec([[INSERT INTO history(doc_type, doc_id, at, kind, request_id, calculation_id,
    http_status, outcome, message) VALUES (?,?,?,?,?,?,?,?,?)]],
    doc_type, id, e.at or time.iso_ms(time.now_ms()), e.kind, e.request_id, e.calculation_id,
    e.http_status, e.outcome, e.message)
end

-- Re-check one document row {id, raw, fingerprint, fingerprint_version, status,
-- calculation_id} of doc_type: store its new fingerprint and enqueue its calculation when it
-- changed (or always, when force). A fingerprint of an older version (M.FP_VERSION) is stored
-- again in the current one; it counts as changed only when its text differs (the stored
-- document is what it was computed from, so it cannot be recomputed to tell an encoder's
-- spelling from a changed exemption: a differing one is recalculated, once).
-- Fully paid documents that were calculated are left alone. Returns true when enqueued.
-- Inside a transaction (bulk.lua runs it a batch at a time).
function M.recheck(doc_type, r, reason, force)
  if M.is_paid(doc_type, r.status) and r.calculation_id then return false end
  local doc = util.decode_obj(r.raw)
  if not doc then return false end
  local T = M.TYPES[doc_type]
  local req, applied, lr = M.build_request(doc_type, doc, r.line_amounts)
  local fp = M.fingerprint(doc_type, req, applied, lr)
  if fp ~= r.fingerprint or r.fingerprint_version ~= M.FP_VERSION then
    store.exec("UPDATE " .. T.table .. " SET fingerprint = ?, fingerprint_version = ? WHERE id = ?", fp,
      M.FP_VERSION, r.id)
  end
  if force or fp ~= r.fingerprint then
    enqueue_calc(doc_type, r.id, reason, force)
    return true
  end
  return false
end

-- Re-fingerprint open documents matching `where` and enqueue the changed (or all, when
-- force) for calculation, in the caller's run (for a sweep's few documents of one customer;
-- changes that touch many documents start a bulk run instead, bulk.lua). Returns the number
-- enqueued. Runs in its own transaction.
local function requeue(where, arg, reason, force)
  local n = 0
  store.transaction(function()
    for doc_type, T in pairs(M.TYPES) do
      local rows = store.rows("SELECT d.id, d.raw, d.fingerprint, d.fingerprint_version, d.status, d.calculation_id, " ..
        "c.line_amounts FROM " .. T.table ..
        " d JOIN connections c ON c.id = d.connection_id AND c.deleted_at IS NULL WHERE d.deleted = 0 AND " .. where, arg)
      for _, r in ipairs(rows) do
        if M.recheck(doc_type, r, reason, force) then n = n + 1 end
      end
    end
  end)
  return n
end


function M.requeue_customer(id, force)
  if type(id) ~= "string" or id == "" then return 0 end
  if force == nil then force = true end
  return requeue("d.customer_id = ?", id, "customer " .. id .. " changed", force)
end


return M
