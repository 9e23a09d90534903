-- Which documents levy may write, and why a document is (or is not) written (issue 16:
-- no silent back-taxing, manual tax policy, document reasons). docs/connector.md "Scope".
local http = require "levy.http"
local json = require "levy.json"
local log = require "levy.log"
local money = require "levy.money"
local store = require "levy.store"
local time = require "levy.time"
local mapping = require "mapping"
local util = require "util"
local lutil = require "levy.util"

local M = {}

local nn = lutil.nn

-- Every reason a document can carry (NULL while a calculation or write-back is pending).
M.REASONS = {
  written = true, no_tax_due = true, not_collecting = true, outside_window = true,
  paid_before_calculation = true, credited = true, voided = true, skipped_by_mapping = true,
  manual_tax_kept = true, closed_period = true, held = true, failed = true, drift = true,
}

M.MANUAL_POLICIES = { respect_manual = true, overwrite = true }

-- How long the last closed books period read from Rillet is trusted.
M.PERIOD_TTL_MS = 10 * 60 * 1000

-- Default "tax documents dated from": the connection's day counted at UTC-12 (the westernmost
-- zone), so that an invoice dated "today" in the organisation's own timezone, wherever it is,
-- is inside the window (Rillet's invoice_date is a local date; levy has no timezone database).
function M.default_tax_from(now_ms)
  return time.date((now_ms or time.now_ms()) - 12 * 3600 * 1000)
end

---------------------------------------------------------------- settings

function M.view(row)
  return {
    tax_documents_from = row.tax_from or json.null,
    tax_partially_paid = row.tax_partially_paid == 1,
    tax_partially_credited = row.tax_partially_credited == 1,
    manual_tax = row.manual_tax or "respect_manual",
    line_amounts = row.line_amounts or "net",
    books = {
      closed_through = row.closed_through or json.null,
      checked_at = row.closed_checked_ms and time.iso(row.closed_checked_ms) or json.null,
      error = row.closed_error or json.null,
    },
  }
end

M.FIELDS = { tax_documents_from = true, tax_partially_paid = true, tax_partially_credited = true,
             manual_tax = true, line_amounts = true }

-- How InvoiceItem.total_amount is read where a document's totals cannot tell (mapping.line_reading):
-- "net" = after the line's total_discount (the spec's reading; default), "gross" = before it.
M.LINE_AMOUNTS = { net = true, gross = true }

local invalid = lutil.invalid

-- The scope fields that take one of a set of names (the column has the field's name).
local ENUMS = {
  { field = "manual_tax", set = "MANUAL_POLICIES", message = "must be \"respect_manual\" or \"overwrite\"" },
  { field = "line_amounts", set = "LINE_AMOUNTS", message = "must be \"net\" or \"gross\"" },
}

-- Validates the scope fields present in `body` (others are ignored here; callers refuse
-- unknown fields). Returns { column = value } for the fields given.
function M.parse(body)
  local cols = {}
  local v = body.tax_documents_from
  if v ~= nil then
    if type(v) ~= "string" or not v:match("^%d%d%d%d%-%d%d%-%d%d$") or not time.valid_date(v) then
      invalid("tax_documents_from", "must be a date YYYY-MM-DD")
    end
    cols.tax_from = v
  end
  for _, f in ipairs({ "tax_partially_paid", "tax_partially_credited" }) do
    local b = body[f]
    if b ~= nil then
      if type(b) ~= "boolean" then invalid(f, "must be true or false") end
      cols[f] = b and 1 or 0
    end
  end
  for _, e in ipairs(ENUMS) do
    v = body[e.field]
    if v ~= nil then
      if type(v) ~= "string" or not M[e.set][v] then invalid(e.field, e.message) end
      cols[e.field] = v
    end
  end
  return cols
end

-- PATCH /v1/connections/{id}: the scope settings. Changing them re-evaluates the
-- connection's open documents (a calculation each; writes follow the new settings).
function M.update(crow, body)
  if not lutil.is_object(body) then http.error(400, "invalid_json", "body must be a JSON object") end
  for k in pairs(body) do
    if not M.FIELDS[k] then invalid(tostring(k), "unknown field") end
  end
  local cols = M.parse(body)
  local sets, args = {}, {}
  for _, k in ipairs({ "tax_from", "tax_partially_paid", "tax_partially_credited", "manual_tax", "line_amounts" }) do
    if cols[k] ~= nil then sets[#sets + 1] = k .. " = ?"; args[#args + 1] = cols[k] end
  end
  if #sets == 0 then return false end
  args[#args + 1] = crow.id
  local changed = false
  for k, v in pairs(cols) do if crow[k] ~= v then changed = true end end
  -- the books are read afresh for the re-evaluation that follows
  store.exec("UPDATE connections SET " .. table.concat(sets, ", ") .. ", closed_checked_ms = NULL WHERE id = ?",
    table.unpack(args))
  if not changed then return false end
  log.info("rillet connection scope changed", { connection = crow.id, tax_from = cols.tax_from,
    manual_tax = cols.manual_tax, line_amounts = cols.line_amounts })
  return true
end

---------------------------------------------------------------- what levy wrote

-- The last write levy made to this document that Rillet accepted: { total, at } or nil.
function M.last_write(doc_type, id)
  local r = store.row([[SELECT c.total_tax AS total, w.attempted_at AS at FROM writebacks w
    JOIN calculations c ON c.id = w.calculation_id WHERE w.doc_type = ? AND w.doc_id = ?
    AND w.outcome = 'written' ORDER BY w.id DESC LIMIT 1]], doc_type, id)
  return r
end

-- Did any calculation of this document come to `held` in total?
function M.levy_result_held(doc_type, id, held)
  for _, r in ipairs(store.rows([[SELECT DISTINCT total_tax FROM calculations WHERE doc_type = ? AND doc_id = ?
      AND total_tax IS NOT NULL]], doc_type, id)) do
    if money.is_decimal(r.total_tax) and money.is_decimal(held) and money.cmp(r.total_tax, held) == 0 then
      return true
    end
  end
  return false
end

local amt = lutil.decimal_or_zero

local function is_zero(v) return money.cmp(amt(v), "0") == 0 end

---------------------------------------------------------------- document status policy

-- Returns nil (may be written) or reason, detail for the document's Rillet status.
-- `wrote`: levy wrote this document before (then partially paid / credited documents are
-- kept in line whatever the switches say; paid, fully credited and voided ones never).
local function status_policy(crow, doc_type, status, wrote)
  if type(status) ~= "string" or status == "" then return nil end
  local s = status:upper()
  if s:find("VOID") or s:find("CANCEL") then
    return "voided", "voided in Rillet (status " .. status .. ")"
  end
  if doc_type == "invoice" then
    if s == "UNPAID" or s == "UNBILLED" then return nil end
    if s == "PAID" then return "paid_before_calculation", "paid in full in Rillet" end
    if s == "CREDITED" then return "credited", "fully credited in Rillet" end
    if s == "PARTIALLY_PAID" then
      if crow.tax_partially_paid == 1 or wrote then return nil end
      -- the setting as the Integrations page names it (issue 20: no field names on the pages)
      return "paid_before_calculation",
        "partially paid in Rillet (\"Also tax partially paid invoices\" is off: Integrations, Which documents levy writes)"
    end
    if s == "PARTIALLY_CREDITED" then
      if crow.tax_partially_credited == 1 or wrote then return nil end
      return "credited",
        "partially credited in Rillet (\"Also tax partially credited invoices\" is off: Integrations, Which documents levy writes)"
    end
    return "held", "unknown Rillet invoice status " .. status .. ": not written"
  end
  -- credit memos: UNAPPLIED, PARTIALLY_APPLIED, APPLIED are written (an applied memo's tax is
  -- what reverses the invoice's tax); REFUNDED means the money went back already
  if s == "UNAPPLIED" or s == "PARTIALLY_APPLIED" or s == "APPLIED" then return nil end
  if s == "REFUNDED" then return "paid_before_calculation", "refunded in Rillet" end
  return "held", "unknown Rillet credit memo status " .. status .. ": not written"
end
M.status_policy = status_policy

-- Before a write: may levy write `result` to this document? Returns
--   nil, info                 -> write (info.overwrite = the tax levy replaces, if manual)
--   reason, detail            -> do not write
-- The closed books period is checked by the write-back itself (it needs a request).
function M.decide(crow, doc_type, row, doc)
  local last = M.last_write(doc_type, row.id)
  local wrote = last ~= nil
  local reason, detail = status_policy(crow, doc_type, row.status or nn(doc.status), wrote)
  if reason then return reason, detail end
  local date = mapping.doc_date(doc_type, doc)
  if not wrote and crow.tax_from and type(date) == "string" and date < crow.tax_from
     and not M.in_backfill(crow.id, date) then
    return "outside_window", "dated " .. date .. ", before levy started taxing (" .. crow.tax_from .. ")"
  end
  if type(mapping.should_tax) == "function" then
    local ok, yes, why = pcall(mapping.should_tax, doc, doc_type)
    if not ok then
      return "failed", "mapping.should_tax failed: " .. tostring(type(yes) == "table" and yes.message or yes)
    end
    if yes == false then
      return "skipped_by_mapping", type(why) == "string" and why or "mapping.should_tax returned false"
    end
  end
  local held = util.amount(doc.taxed_amount)
  local info = {}
  if not wrote then
    if not is_zero(held) and M.levy_result_held(doc_type, row.id, held) then
      -- Rillet holds a total levy calculated for this document: a write whose record was
      -- lost (levy killed between Rillet's answer and its commit), not tax typed by hand
      wrote = true
    end
  end
  if not wrote then
    if not is_zero(held) then
      if (crow.manual_tax or "respect_manual") == "respect_manual" then
        return "manual_tax_kept", held
      end
      info.overwrite = held
    end
  elseif last and not is_zero(held) and money.cmp(amt(held), amt(last.total)) ~= 0 then
    -- levy wrote it before and someone changed the tax since: kept in line, said in history
    info.changed_outside = held
    info.last_written = last.total
  end
  return nil, info
end

-- Is `date` inside a confirmed backfill range of the connection?
function M.in_backfill(cid, date)
  if type(cid) ~= "string" then return false end
  return store.row([[SELECT 1 AS x FROM backfills WHERE connection_id = ? AND date_from <= ?
    AND date_to >= ? LIMIT 1]], cid, date, date) ~= nil
end

---------------------------------------------------------------- closed books periods

-- The end date of the last closed books period (nil when none was ever closed), read from
-- GET /books/periods/last-closed. The cached answer is used only where a period closing since
-- cannot change the decision: for a document dated this month (PERIOD_TTL_MS: its period is
-- open until the month ends) and for one dated inside the cached closed period (periods close
-- in order). A document dated before this month and after the cached boundary lies in the
-- period that may close next, so the answer is read afresh before every such write: a period
-- closed a moment ago is never written into (month.py found documents created right after a
-- close written within the old one-minute cache). Returns ok, closed_through, err: ok = false
-- when Rillet could not tell (err is the client error).
--
-- One read serves a burst (after a restart ~50 write-backs are due at once, and a read each
-- spent the key's 60 requests a minute in a second): the fresh reads of one connection are
-- gathered into batches. A write that needs one joins the batch that is still open, or opens
-- one and, as its leader, waits BOOKS_GATHER_MS for others to join and for the connection's
-- read in flight (if any) to answer, then makes the one read for all of them. A batch is closed
-- before its read is sent, so every write it answers had decided to write before the read
-- left: the guarantee is the same as a read per write (a close after the read is the race
-- every read-then-write has). Jobs share the generation's Lua state (plugin coroutines on one
-- loop), so the batches are module state; a member that waits longer than BOOKS_WAIT_MS for
-- its leader (killed, reloaded) reads for itself.
M.BOOKS_GATHER_MS = 50
M.BOOKS_POLL_MS = 20
M.BOOKS_WAIT_MS = 60000

local books = {} -- connection id -> { open = batch or nil, inflight = batch or nil }
M._books = books -- (specs)

local function sleep(ms)
  if type(time.sleep) == "function" then time.sleep(ms) end
end

local function read_closed(crow, client)
  local now = time.now_ms()
  local data, err = client:get("/books/periods/last-closed")
  if not data then
    if err.kind == "http" and err.status == 404 then
      -- Rillet: "When no period has ever been closed the API responds with HTTP 404"
      store.exec([[UPDATE connections SET closed_through = NULL, closed_checked_ms = ?,
        closed_error = NULL WHERE id = ?]], now, crow.id)
      crow.closed_through, crow.closed_checked_ms = nil, now
      return true, nil
    end
    if err.kind ~= "rate" then
      store.exec("UPDATE connections SET closed_error = ? WHERE id = ?",
        time.iso(now) .. ": " .. tostring(err.message), crow.id)
    end
    return false, nil, err
  end
  local stat = nn(data.status)
  local fin = nn(data["end"])
  if type(fin) ~= "string" or not time.valid_date(fin) or (stat ~= nil and stat ~= "CLOSED") then
    local msg = "GET /books/periods/last-closed answered an unexpected body (end " .. tostring(fin) ..
      ", status " .. tostring(stat) .. ")"
    store.exec("UPDATE connections SET closed_error = ? WHERE id = ?", time.iso(now) .. ": " .. msg, crow.id)
    return false, nil, { kind = "http", status = 200, retryable = true, message = msg }
  end
  store.exec([[UPDATE connections SET closed_through = ?, closed_checked_ms = ?, closed_error = NULL
    WHERE id = ?]], fin, now, crow.id)
  crow.closed_through, crow.closed_checked_ms = fin, now
  return true, fin
end

-- The answer of a read made after this call began (see above): the batch's, or its own.
local function fresh_closed(crow, client)
  local st = books[crow.id]
  if not st then st = {}; books[crow.id] = st end
  local b = st.open
  if b then -- a batch is gathering: its read leaves after this decision
    b.members = b.members + 1
    local waited = 0
    while not b.done and waited < M.BOOKS_WAIT_MS do
      sleep(M.BOOKS_POLL_MS); waited = waited + M.BOOKS_POLL_MS
    end
    if not b.done then return read_closed(crow, client) end
    if b.ok then crow.closed_through, crow.closed_checked_ms = b.fin, b.checked_ms end
    return b.ok, b.fin, b.err
  end
  b = { members = 1, done = false }
  st.open = b
  local ok, r1, r2, r3 = pcall(function()
    sleep(M.BOOKS_GATHER_MS)
    local waited = 0
    while st.inflight and not st.inflight.done and waited < M.BOOKS_WAIT_MS do
      sleep(M.BOOKS_POLL_MS); waited = waited + M.BOOKS_POLL_MS
    end
    if st.open == b then st.open = nil end -- closed: no member joins once the read is sent
    st.inflight = b
    return read_closed(crow, client)
  end)
  if st.open == b then st.open = nil end
  if st.inflight == b then st.inflight = nil end
  if not ok then
    b.ok, b.err, b.done = false, { kind = "transport", retryable = true, message = tostring(r1) }, true
    error(r1, 0)
  end
  b.ok, b.fin, b.err, b.checked_ms, b.done = r1, r2, r3, crow.closed_checked_ms, true
  return r1, r2, r3
end

function M.closed_through(crow, client, date)
  local now = time.now_ms()
  -- this month counted at UTC+14 (the easternmost zone): a month that has ended anywhere is
  -- not "this month"
  local month = time.date(now + 14 * 3600 * 1000):sub(1, 8) .. "01"
  local recent = type(date) == "string" and date >= month
  local inside = crow.closed_through and type(date) == "string" and date <= crow.closed_through
  local age = crow.closed_checked_ms and now - crow.closed_checked_ms
  if age and age < M.PERIOD_TTL_MS and (recent or inside) then
    return true, crow.closed_through
  end
  return fresh_closed(crow, client)
end

---------------------------------------------------------------- reasons in words

local LABELS = {
  written = "Written to Rillet",
  no_tax_due = "No tax due",
  not_collecting = "Not collecting in this region",
  outside_window = "Dated before levy started taxing",
  paid_before_calculation = "Paid before levy calculated tax",
  credited = "Credited in Rillet",
  voided = "Voided in Rillet",
  skipped_by_mapping = "Skipped by your mapping rules",
  manual_tax_kept = "Tax typed in Rillet kept",
  closed_period = "In a closed books period",
  held = "Held",
  failed = "Failed",
  drift = "Rillet differs from levy",
  customer_unknown = "Waiting for the customer from Rillet",
}
M.LABELS = LABELS

-- Sets the document's reason (inside a transaction or not).
function M.set(doc_type, id, reason, detail)
  local T = doc_type == "credit_memo" and "credit_memos" or "invoices"
  store.exec("UPDATE " .. T .. " SET reason = ?, reason_detail = ? WHERE id = ?", reason, detail, id)
end

return M
