-- The filing summary's sums kept on write (issue 20: a year of 10,000 or 50,000 invoices within
-- a request's budget; summing the documents' figure rows at read time cost 52-59 ms of CPU at
-- 10,000 against the 80 ms budget). Migration 0017.
--
-- What a document adds to the filing summary (report_rows.filing_sums: its basis, month,
-- region, currency and the calculation whose figures count) depends on the document's row
-- (date, deleted, currency, region, tax_status, calculation_id), its latest accepted
-- write-back and the latest reconciliation (a document in drift is restated by the report
-- from what Rillet holds, so it is not in the sums). Every writer of those calls
-- M.refresh(doc_type, id) in the same transaction (docs.lua apply / mark_deleted,
-- writeback.lua, reconcile.lua: through M.tx): refresh reads what the document added before
-- (rillet_filing_docs), subtracts it, works out what it adds now by the report's own rules
-- and adds that. A calculation's figure rows (calc_rows.lua) never change once written, so the
-- old part is read from the old calculation's rows: the sums cannot drift from the rows.
--
--   rillet_filing_docs: per counted document: doc_date, month, region, currency, calculation,
--     readable, bad (the report's per-document checks), odd (the date is not a day of its
--     month: a month's sums would not be the sums of the dates in it; the reader then sums
--     from the rows as before);
--   rillet_filing_sums: per kind and key (k: the key as text), additive columns:
--     docs  (month, type, region, currency): documents, bad (checks failed: not used);
--     lines (+ reason): lines n, sale (Σ amount - discount), taxable;
--     taxes (+ jurisdiction, level, tax_type, authority_code): documents, tax rows n, tax,
--           tax_null (tax rows without an amount: not used);
--     taxable (taxes key + reason): Σ taxable_amount (the reader leaves out the untaxed
--           reasons it is given);
--     rate  (taxes key + rate): documents with that rate (the distinct rates: docs > 0).
--   A row whose documents reach 0 is deleted.
--   rillet_filing_state: ready (1: every document refreshed: the sums are complete), the
--     rebuild's cursor, and the last check's outcome.
local audit = require "levy.audit"
local store = require "levy.store"
local json = require "levy.json"
local money = require "levy.money"
local log = require "levy.log"
local metrics = require "levy.metrics"
local time = require "levy.time"
local nc_docs = require "nc_docs"

local M = {}

local DOC_TABLE = { invoice = "invoices", credit_memo = "credit_memos" }

-- the key of a sums row as text (PostgreSQL's text holds no NUL: \30 = nil, \31 between)
local function key(...)
  local n = select("#", ...)
  local k = {}
  for i = 1, n do
    local v = select(i, ...)
    k[i] = v == nil and "\30" or tostring(v)
  end
  return table.concat(k, "\31")
end

-- report_rows' zero_sql in Lua: text holding a zero amount ("0", "0.00", "-0.0")
local function is_zero(x)
  if math.type(x) == "integer" then x = tostring(x) end
  if type(x) ~= "string" then return false end
  local a = x:gsub("%.", "")
  if a:gsub("^%-*", "") == "" then return false end
  return (a:gsub("%-", ""):gsub("^0*", "")) == ""
end

-- report_rows.filing_sums' per-document check: the date is YYYY-MM-DD... (digits where digits
-- go), region and currency known, the result readable
local function doc_bad(d, region, currency, readable)
  if region == nil or currency == nil or readable == 0 then return 1 end
  if #d < 10 or d:sub(5, 5) ~= "-" or d:sub(8, 8) ~= "-" then return 1 end
  if not (d:sub(1, 4) .. d:sub(6, 7) .. d:sub(9, 10)):match("^%d*$") then return 1 end
  return 0
end

local DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function last_day(y, m)
  if m == 2 and ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) then return 29 end
  return DAYS[m]
end
M.last_day = last_day

-- 0 when the date lies between the first and the last day of the month its first seven
-- characters name (then a month's sums are exactly the sums of the dates in it), else 1
local function odd(d)
  local y, m = d:match("^(%d%d%d%d)%-(%d%d)")
  y, m = tonumber(y), tonumber(m)
  if not y or m < 1 or m > 12 then return 1 end
  local p = d:sub(1, 7)
  if d < p .. "-01" or d > string.format("%s-%02d", p, last_day(y, m)) then return 1 end
  return 0
end

-- A document's row as both kinds of sums read it (doc_date, deleted, currency, region,
-- tax_status, calculation_id) with wid, its latest write-back Rillet accepted (nil: none);
-- nil when there is no such document.
local function doc_row(doc_type, id)
  return store.row("SELECT d.doc_date, d.deleted, d.currency, d.region, d.tax_status, d.calculation_id, " ..
    "(SELECT max(w2.id) FROM writebacks w2 WHERE w2.doc_type = ? AND w2.doc_id = d.id AND w2.outcome = 'written') " ..
    "AS wid FROM " .. DOC_TABLE[doc_type] .. " d WHERE d.id = ?", doc_type, id)
end

-- What the document adds now (report_rows.filing_parts for one document, without the ones the
-- report restates): {doc_date, month, region, currency, calculation_id, readable, bad, odd}, or nil.
local function member(doc_type, id)
  local d = doc_row(doc_type, id)
  if not d or d.deleted ~= 0 or type(d.doc_date) ~= "string" then return nil end
  local calc_id = d.calculation_id
  if d.wid ~= nil then
    local w = store.row("SELECT calculation_id FROM writebacks WHERE id = ?", d.wid)
    calc_id = w and w.calculation_id
  end
  if calc_id == nil then return nil end
  local h = store.row("SELECT has_result, readable, total_tax, region, result_currency, result_region " ..
    "FROM rillet_calc_heads WHERE calculation_id = ?", calc_id)
  if not h or h.has_result ~= 1 then return nil end
  if d.wid == nil and not is_zero(h.total_tax) then return nil end
  if d.wid ~= nil and d.tax_status == "drift" then
    local r = store.row("SELECT rillet_tax FROM reconciliation WHERE doc_type = ? AND doc_id = ? " ..
      "ORDER BY id DESC LIMIT 1", doc_type, id)
    if r and r.rillet_tax ~= nil then return nil end -- restated from what Rillet holds
  end
  local currency = d.currency
  if currency == nil then currency = h.result_currency end
  local region = h.region
  if region == nil then region = d.region end
  if region == nil then region = h.result_region end
  local readable = h.readable
  return { doc_date = d.doc_date, month = d.doc_date:sub(1, 7), region = region, currency = currency,
           calculation_id = calc_id, readable = readable,
           bad = doc_bad(d.doc_date, region, currency, readable), odd = odd(d.doc_date) }
end

local exps = {}
local function exponent(cur)
  local e = exps[cur or ""]
  if e == nil then
    e = type(cur) == "string" and cur:match("^%u%u%u$") and money.exponent(cur) or false
    exps[cur or ""] = e
  end
  return e
end

-- the rows of one document's part: {k, kind, reason, jurisdiction, level, tax_type,
-- authority_code, rate, docs, n, sale, taxable, tax, tax_null, bad}
local function parts(doc_type, m)
  local e = exponent(m.currency)
  local bad = m.bad + (e and 0 or 1)
  local function scale_ok(lo, hi)
    return (lo == 99 or lo == e) and (hi == -99 or hi == e)
  end
  local base = { m.month, doc_type, m.region, m.currency }
  local out = {}
  local function row(kind, f)
    local r = { kind = kind, docs = 1, n = f.n or 0, sale = f.sale or 0, taxable = f.taxable or 0, tax = f.tax or 0,
                tax_null = f.tax_null or 0, bad = 0, reason = f.reason, jurisdiction = f.jurisdiction,
                level = f.level, tax_type = f.tax_type, authority_code = f.authority_code, rate = f.rate }
    r.k = key(kind, base[1], base[2], base[3], base[4], r.reason, r.jurisdiction, r.level, r.tax_type,
      r.authority_code, r.rate)
    out[#out + 1] = r
    return r
  end
  for s in store.query("SELECT reason, lines, amount, discount, taxable, dp_lo, dp_hi FROM rillet_calc_sales " ..
      "WHERE calculation_id = ?", m.calculation_id) do
    if not scale_ok(s.dp_lo, s.dp_hi) then bad = bad + 1 end
    row("lines", { reason = s.reason, n = s.lines, sale = s.amount - s.discount, taxable = s.taxable })
  end
  local groups, rates, reasons = {}, {}, {}
  for t in store.query("SELECT reason, jurisdiction, level, type, authority_code, rate, n, amount, taxable, " ..
      "dp_lo, dp_hi FROM rillet_calc_taxes WHERE calculation_id = ?", m.calculation_id) do
    if not scale_ok(t.dp_lo, t.dp_hi) then bad = bad + 1 end
    local gk = key(t.jurisdiction, t.level, t.type, t.authority_code)
    local g = groups[gk]
    if not g then
      g = row("taxes", { jurisdiction = t.jurisdiction, level = t.level, tax_type = t.type,
                         authority_code = t.authority_code })
      groups[gk] = g
    end
    g.n = g.n + t.n
    if t.amount == nil then g.tax_null = g.tax_null + 1 else g.tax = g.tax + t.amount end
    local rk = gk .. "\31" .. t.reason
    local tr = reasons[rk]
    if not tr then
      tr = row("taxable", { jurisdiction = t.jurisdiction, level = t.level, tax_type = t.type,
                            authority_code = t.authority_code, reason = t.reason })
      reasons[rk] = tr
    end
    tr.taxable = tr.taxable + t.taxable
    if t.rate ~= nil then
      local ratek = gk .. "\31" .. t.rate
      if not rates[ratek] then
        rates[ratek] = row("rate", { jurisdiction = t.jurisdiction, level = t.level, tax_type = t.type,
                                     authority_code = t.authority_code, rate = t.rate })
      end
    end
  end
  local d = row("docs", {})
  d.bad = bad
  return out
end

local UPSERT = "INSERT INTO rillet_filing_sums(k, kind, month, type, region, currency, reason, jurisdiction, level, " ..
  "tax_type, authority_code, rate, docs, n, sale, taxable, tax, tax_null, bad) " ..
  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(k) DO UPDATE SET " ..
  "docs = rillet_filing_sums.docs + excluded.docs, n = rillet_filing_sums.n + excluded.n, " ..
  "sale = rillet_filing_sums.sale + excluded.sale, taxable = rillet_filing_sums.taxable + excluded.taxable, " ..
  "tax = rillet_filing_sums.tax + excluded.tax, tax_null = rillet_filing_sums.tax_null + excluded.tax_null, " ..
  "bad = rillet_filing_sums.bad + excluded.bad"

local function apply(doc_type, m, sign)
  for _, r in ipairs(parts(doc_type, m)) do
    store.exec(UPSERT, r.k, r.kind, m.month, doc_type, m.region, m.currency, r.reason, r.jurisdiction, r.level,
      r.tax_type, r.authority_code, r.rate, sign * r.docs, sign * r.n, sign * r.sale, sign * r.taxable,
      sign * r.tax, sign * r.tax_null, sign * r.bad)
    if sign < 0 then store.exec("DELETE FROM rillet_filing_sums WHERE k = ? AND docs = 0", r.k) end
  end
end

-- ---------------------------------------------------------------------------------------
-- The liability report's collected sums kept on write (issue 20: report_rows.collected_sums
-- walked every accepted write of the period: 400+ ms of CPU for a year of 100,000 documents).
-- The same table (rillet_filing_sums), kinds of their own, per month, document type,
-- currency and region, over the documents collected_sums counts (latest accepted write-back,
-- not deleted, not in drift, its calculation has a result), each with what it added in
-- rillet_liab_docs (migration 0020):
--   ltot  (month, type, currency, region): documents, taxable (Σ total_taxable in minor units), bad;
--   ltax  (+ jurisdiction, level, tax_type): documents, tax rows n, taxable, tax, bad;
--   lcode (+ authority_code, not NULL): documents, tax rows n (the group's authority code:
--         the one every row gave, or none when they disagree or one had none).
-- bad counts what collected_sums' checks refuse (a missing amount or name, decimals not the
-- currency's exponent, an unknown currency, a result that is not an object): the report
-- then decodes the results, as before.

-- What the document adds to the liability sums now, or nil.
local function liab_member(doc_type, id)
  local d = doc_row(doc_type, id)
  if not d or d.deleted ~= 0 or type(d.doc_date) ~= "string" or d.wid == nil or d.tax_status == "drift" then
    return nil
  end
  local w = store.row("SELECT calculation_id FROM writebacks WHERE id = ?", d.wid)
  if not w or w.calculation_id == nil then return nil end
  local h = store.row("SELECT has_result, region FROM rillet_calc_heads WHERE calculation_id = ?", w.calculation_id)
  if not h or h.has_result ~= 1 then return nil end
  local region = h.region
  if region == nil then region = d.region end
  return { doc_date = d.doc_date, month = d.doc_date:sub(1, 7), region = region, currency = d.currency,
           calculation_id = w.calculation_id, odd = odd(d.doc_date) }
end

local function liab_parts(doc_type, m)
  local e = exponent(m.currency)
  local out = {}
  local function row(kind, f)
    f.kind = kind
    f.k = key(kind, m.month, doc_type, m.currency, f.region, f.jurisdiction, f.level, f.tax_type, f.authority_code)
    f.docs, f.n, f.sale, f.taxable, f.tax, f.tax_null, f.bad = 1, f.n or 0, 0, f.taxable or 0, f.tax or 0, 0, f.bad or 0
    out[#out + 1] = f
    return f
  end
  local h = store.row("SELECT readable, result_object, total_taxable, total_taxable_minor, total_taxable_scale " ..
    "FROM rillet_calc_heads WHERE calculation_id = ?", m.calculation_id) or {}
  -- collected_sums' per-currency row: its checks, and the decimals of total_taxable
  local tbad = (m.currency == nil or m.region == nil or h.readable ~= 1 or h.result_object ~= 1 or not e) and 1 or 0
  if h.total_taxable ~= nil and (h.total_taxable_minor == nil or h.total_taxable_scale ~= e) then tbad = 1 end
  row("ltot", { region = m.region, taxable = h.total_taxable_minor or 0, bad = tbad })
  local groups, codes = {}, {}
  for x in store.query("SELECT jurisdiction, level, type, authority_code, n, amount, taxable, taxable_missing, " ..
      "dp_lo, dp_hi FROM rillet_calc_taxes WHERE calculation_id = ?", m.calculation_id) do
    local gk = key(x.jurisdiction, x.level, x.type)
    local g = groups[gk]
    if not g then
      g = row("ltax", { region = m.region, jurisdiction = x.jurisdiction, level = x.level, tax_type = x.type })
      groups[gk] = g
    end
    g.n = g.n + x.n
    g.taxable = g.taxable + x.taxable
    if x.amount ~= nil then g.tax = g.tax + x.amount end
    if x.amount == nil or x.taxable_missing > 0 or x.jurisdiction == nil or x.level == nil or x.type == nil or not e or
        (x.dp_lo ~= 99 and x.dp_lo ~= e) or (x.dp_hi ~= -99 and x.dp_hi ~= e) then
      g.bad = g.bad + 1
    end
    if x.authority_code ~= nil then
      local ck = gk .. "\31" .. x.authority_code
      local c = codes[ck]
      if not c then
        c = row("lcode", { region = m.region, jurisdiction = x.jurisdiction, level = x.level, tax_type = x.type,
                           authority_code = x.authority_code })
        codes[ck] = c
      end
      c.n = c.n + x.n
    end
  end
  return out
end

local function liab_apply(doc_type, m, sign)
  for _, r in ipairs(liab_parts(doc_type, m)) do
    store.exec(UPSERT, r.k, r.kind, m.month, doc_type, r.region, m.currency, nil, r.jurisdiction, r.level,
      r.tax_type, r.authority_code, nil, sign * r.docs, sign * r.n, 0, sign * r.taxable, sign * r.tax, 0, sign * r.bad)
    if sign < 0 then store.exec("DELETE FROM rillet_filing_sums WHERE k = ? AND docs = 0", r.k) end
  end
end

local function liab_refresh(doc_type, id)
  local old = store.row("SELECT doc_date, month, region, currency, calculation_id, odd FROM rillet_liab_docs " ..
    "WHERE doc_type = ? AND doc_id = ?", doc_type, id)
  local new = liab_member(doc_type, id)
  if old and new and old.doc_date == new.doc_date and old.region == new.region and old.currency == new.currency and
      old.calculation_id == new.calculation_id then
    return
  end
  if old then
    liab_apply(doc_type, old, -1)
    store.exec("DELETE FROM rillet_liab_docs WHERE doc_type = ? AND doc_id = ?", doc_type, id)
  end
  if new then
    liab_apply(doc_type, new, 1)
    store.exec("INSERT INTO rillet_liab_docs(doc_type, doc_id, doc_date, month, region, currency, calculation_id, odd) " ..
      "VALUES (?,?,?,?,?,?,?,?)", doc_type, id, new.doc_date, new.month, new.region, new.currency, new.calculation_id,
      new.odd)
  end
end

-- The kept collected sums of doc_type over the months [m1, m2] in report_rows.collected_sums'
-- form (groups, totals, bad), or nil when they cannot answer (not rebuilt yet, or a document
-- of those months has a date that is not a day of its month). raw: whatever the backfill and
-- the dates (the check compares them with every date of the month).
function M.read_liability(doc_type, m1, m2, region, raw)
  if not raw then
    if not M.liab_ready() then return nil end
    local o = store.row("SELECT count(*) AS n FROM rillet_liab_docs WHERE odd = 1 AND month >= ? AND month <= ?", m1, m2)
    if o and o.n > 0 then return nil end
  end
  local groups, order, totals, torder, codes, bad = {}, {}, {}, {}, {}, 0
  local sql = "SELECT kind, currency, region, jurisdiction, level, tax_type, authority_code, docs, n, taxable, tax, bad " ..
    "FROM rillet_filing_sums WHERE month >= ? AND month <= ? AND type = ? AND kind IN ('ltot', 'ltax', 'lcode') " ..
    "AND docs > 0" .. (region and " AND region = ?" or "")
  for r in store.query(sql, m1, m2, doc_type, table.unpack(region and { region } or {})) do
    if r.kind == "ltot" then
      local t = totals[r.currency or "\30"]
      if not t then
        t = { currency = r.currency, docs = 0, taxable = 0 }
        totals[r.currency or "\30"] = t
        torder[#torder + 1] = t
      end
      t.docs, t.taxable = t.docs + r.docs, t.taxable + r.taxable
      bad = bad + r.bad
    else
      local gk = key(r.currency, r.region, r.jurisdiction, r.level, r.tax_type)
      if r.kind == "ltax" then
        local g = groups[gk]
        if not g then
          g = { currency = r.currency, region = r.region, jurisdiction = r.jurisdiction, level = r.level,
                type = r.tax_type, n_code = 0, n = 0, taxable = 0, tax = 0, docs = 0, bad = 0 }
          groups[gk] = g
          order[#order + 1] = g
        end
        g.n, g.taxable, g.tax, g.docs = g.n + r.n, g.taxable + r.taxable, g.tax + r.tax, g.docs + r.docs
        g.bad = g.bad + r.bad
        bad = bad + r.bad
      else
        local c = codes[gk]
        if not c then c = { n = 0 }; codes[gk] = c end
        c.n = c.n + r.n
        if c.min == nil or r.authority_code < c.min then c.min = r.authority_code end
        if c.max == nil or r.authority_code > c.max then c.max = r.authority_code end
      end
    end
  end
  for gk, g in pairs(groups) do
    local c = codes[gk]
    if c then g.code_min, g.code_max, g.n_code = c.min, c.max, c.n end
  end
  return order, torder, bad
end

local function same(a, b)
  return a.doc_date == b.doc_date and a.region == b.region and a.currency == b.currency and
    a.calculation_id == b.calculation_id and a.readable == b.readable
end

-- While the check recomputes a month a part at a time (check_step, rillet_check_parts holds
-- that month's parts), a write to a document whose key (doc_date, id) lies in a part already
-- summed makes that part stale: its gen is bumped here, in the writer's transaction, for the
-- document's date before the write (what the kept rows say it added: rillet_filing_docs,
-- rillet_liab_docs) and after it (its row), and the check sums the part again before it
-- compares the month. No part: one read of an empty table.
local function mark_parts(doc_type, id)
  if not store.row("SELECT month FROM rillet_check_parts LIMIT 1") then return end
  local dates = {}
  for r in store.query("SELECT doc_date FROM rillet_filing_docs WHERE doc_type = ? AND doc_id = ? UNION " ..
      "SELECT doc_date FROM rillet_liab_docs WHERE doc_type = ? AND doc_id = ? UNION " ..
      "SELECT doc_date FROM " .. DOC_TABLE[doc_type] .. " WHERE id = ? AND doc_date IS NOT NULL",
      doc_type, id, doc_type, id, id) do
    dates[#dates + 1] = r.doc_date
  end
  for _, d in ipairs(dates) do
    store.exec("UPDATE rillet_check_parts SET gen = gen + 1 WHERE doc_type = ? AND ? >= month AND " ..
      "? <= month || '~' AND (lo_date IS NULL OR (lo_date, lo_id) < (?, ?)) AND " ..
      "(hi_date IS NULL OR (hi_date, hi_id) >= (?, ?))", doc_type, d, d, d, id, d, id)
  end
end

-- Brings the kept sums in line with the document's current state. Inside the transaction
-- that changed the document (its own savepoint when called outside one: a transaction).
function M.refresh(doc_type, id)
  if not DOC_TABLE[doc_type] or id == nil then return end
  store.transaction(function()
    mark_parts(doc_type, id)
    -- the not-collected candidates kept on write (nc_docs.lua) follow the same writers
    nc_docs.refresh(doc_type, id)
    liab_refresh(doc_type, id)
    local old = store.row("SELECT doc_date, month, region, currency, calculation_id, readable, bad, odd " ..
      "FROM rillet_filing_docs WHERE doc_type = ? AND doc_id = ?", doc_type, id)
    local new = member(doc_type, id)
    if old and new and same(old, new) then return end
    if old then
      apply(doc_type, old, -1)
      store.exec("DELETE FROM rillet_filing_docs WHERE doc_type = ? AND doc_id = ?", doc_type, id)
    end
    if new then
      apply(doc_type, new, 1)
      store.exec("INSERT INTO rillet_filing_docs(doc_type, doc_id, doc_date, month, region, currency, " ..
        "calculation_id, readable, bad, odd) VALUES (?,?,?,?,?,?,?,?,?,?)", doc_type, id, new.doc_date, new.month,
        new.region, new.currency, new.calculation_id, new.readable, new.bad, new.odd)
    end
  end)
end

-- fn(...) in a transaction, then the document's sums refreshed in it (what every writer of a
-- document's report state runs: an early return in fn still refreshes)
function M.tx(doc_type, id, fn, ...)
  local args = table.pack(...)
  return store.transaction(function()
    local r = table.pack(fn(table.unpack(args, 1, args.n)))
    M.refresh(doc_type, id)
    return table.unpack(r, 1, r.n)
  end)
end

-- ---------------------------------------------------------------------------------------
-- the rebuild (migration 0017 leaves ready = 0: the documents stored before it are brought
-- in by this job, the same code on SQLite and PostgreSQL; the reports sum from the rows until
-- it is done) and the check

M.REBUILD_BATCH = 200

local function state()
  return store.row("SELECT ready, phase, after_id, rebuild_started_at FROM rillet_filing_state WHERE id = 1") or
    { ready = 0 }
end

function M.ready()
  return state().ready == 1
end

-- Starts a rebuild (every document refreshed again, in batches); reset: the kept sums are
-- emptied first (an operator's answer to a mismatch the check found).
-- req (POST /v1/reports/filing/sums/rebuild): the audit row of who asked (issue 20), in the
-- rebuild's transaction; nil for levy's own rebuilds.
function M.start_rebuild(reset, req)
  store.transaction(function()
    if req then
      local st = state()
      audit.record(req, { action = "filing_sums.rebuild_requested", object_kind = "filing_sums",
                          label = "Filing sums",
                          changes = { sums = { before = st.ready == 1 and "ready" or "rebuilding",
                                               after = "rebuilding" } } })
    end
    if reset then
      store.exec("DELETE FROM rillet_filing_sums")
      store.exec("DELETE FROM rillet_filing_docs")
      store.exec("DELETE FROM rillet_liab_docs")
      store.exec("DELETE FROM rillet_nc_memo")
      store.exec("UPDATE rillet_filing_state SET liab_ready = 0, liab_phase = 'invoice', liab_after_id = NULL " ..
        "WHERE id = 1")
      store.exec("UPDATE rillet_filing_state SET ready = 0, phase = 'invoice', after_id = NULL, " ..
        "rebuild_started_at = ? WHERE id = 1", time.iso_ms(time.now_ms()))
    end
    require("levy.jobs").enqueue { kind = "rillet.filing_sums", key = "rebuild", payload = { op = "rebuild" } }
    if reset then
      require("levy.jobs").enqueue { kind = "rillet.filing_sums", key = "liab", payload = { op = "liab" } }
      -- and a check once both are rebuilt (it waits for them): the operator sees the repair
      -- confirmed, and the last check's mismatch is not shown after the sums were rebuilt
      M.start_check()
    end
  end)
end

local function rebuild_step()
  local st = state()
  if st.ready == 1 then return true end
  local phase = st.phase or "invoice"
  local t = DOC_TABLE[phase]
  local ids = {}
  local sql = "SELECT id FROM " .. t .. (st.after_id and " WHERE id > ?" or "") .. " ORDER BY id LIMIT " ..
    M.REBUILD_BATCH
  local args = st.after_id and { st.after_id } or {}
  for r in store.query(sql, table.unpack(args)) do ids[#ids + 1] = r.id end
  store.transaction(function()
    for _, id in ipairs(ids) do M.refresh(phase, id) end
    if #ids < M.REBUILD_BATCH then
      if phase == "invoice" then
        store.exec("UPDATE rillet_filing_state SET phase = 'credit_memo', after_id = NULL WHERE id = 1")
      else
        -- every document refreshed its kept candidate row (nc_docs.refresh); a row of a
        -- document that is no longer stored at all is removed here
        for dt, tt in pairs(DOC_TABLE) do
          store.exec("DELETE FROM rillet_nc_docs WHERE doc_type = ? AND NOT EXISTS (SELECT 1 FROM " .. tt ..
            " d WHERE d.id = rillet_nc_docs.doc_id)", dt)
        end
        -- and the not-collected sums kept per month are summed again (report_rows' memo)
        store.exec("DELETE FROM rillet_nc_memo")
        store.exec("UPDATE rillet_filing_state SET ready = 1, phase = NULL, after_id = NULL, rebuilt_at = ? " ..
          "WHERE id = 1", time.iso_ms(time.now_ms()))
      end
    else
      store.exec("UPDATE rillet_filing_state SET after_id = ? WHERE id = 1", ids[#ids])
    end
  end)
  return M.ready()
end

-- ---------------------------------------------------------------------------------------
-- reading

-- The kept sums of the months [m1, m2] (YYYY-MM) in report_rows.filing_sums' form, or nil when
-- they cannot answer (not rebuilt yet, or a document of those months has an odd date).
-- raw: whatever the rebuild and the dates (the check compares them with every date of the month).
function M.read(m1, m2, region, untaxed, raw)
  if not raw then
    if not M.ready() then return nil end
    local o = store.row("SELECT count(*) AS n FROM rillet_filing_docs WHERE odd = 1 AND month >= ? AND month <= ?",
      m1, m2)
    if o and o.n > 0 then return nil end
  end
  local un = {}
  for _, u in ipairs(untaxed or {}) do un[u] = true end
  local out = { docs = {}, lines = {}, taxes = {}, bad = 0 }
  local taxes, rates, taxable = {}, {}, {}
  local sql = "SELECT kind, month, type, region, currency, reason, jurisdiction, level, tax_type, authority_code, " ..
    "rate, docs, n, sale, taxable, tax, tax_null, bad FROM rillet_filing_sums WHERE month >= ? AND month <= ?" ..
    (region and " AND region = ?" or "") .. " AND docs > 0" ..
    -- not the liability report's kinds (a quarter of the rows, read and dropped)
    " AND kind IN ('docs', 'lines', 'taxes', 'taxable', 'rate')"
  for r in store.query(sql, m1, m2, table.unpack(region and { region } or {})) do
    local tk = key(r.month, r.type, r.region, r.currency, r.jurisdiction, r.level, r.tax_type, r.authority_code)
    if r.kind == "docs" then
      out.bad = out.bad + r.bad
      out.docs[#out.docs + 1] = { month = r.month, type = r.type, region = r.region, currency = r.currency,
                                  docs = r.docs, n = r.docs }
    elseif r.kind == "lines" then
      out.lines[#out.lines + 1] = { month = r.month, type = r.type, region = r.region, currency = r.currency,
        reason = r.reason ~= "" and r.reason or nil, n = r.n, sale = r.sale, taxable = r.taxable }
    elseif r.kind == "taxes" then
      out.bad = out.bad + r.tax_null
      taxes[#taxes + 1] = { tk = tk, month = r.month, type = r.type, region = r.region, currency = r.currency,
        jurisdiction = r.jurisdiction, level = r.level, tax_type = r.tax_type, authority_code = r.authority_code,
        docs = r.docs, n = r.docs, tax = r.tax }
    elseif r.kind == "taxable" then
      if not un[r.reason] then taxable[tk] = (taxable[tk] or 0) + r.taxable end
    elseif r.kind == "rate" then
      local l = rates[tk]
      if not l then l = {}; rates[tk] = l end
      l[#l + 1] = r.rate
    end
  end
  for _, t in ipairs(taxes) do
    local l = rates[t.tk] or {}
    table.sort(l)
    t.rates = json.encode(json.array(l))
    t.taxable = taxable[t.tk] or 0
    t.tk = nil
    out.taxes[#out.taxes + 1] = t
  end
  return out
end

-- ---------------------------------------------------------------------------------------
-- the check (operators: POST /v1/reports/filing/sums/check; docs/reports.md "Check and
-- rebuild"): every table kept on write against what a recomputation from the documents' rows
-- gives. Three kinds, each counted apart (check.kinds):
--   filing:        each month's kept filing sums (docs, lines, taxes) against the same month
--                  summed from the rows (report_rows.filing_sums_sql over every date of it);
--   liability:     each month's kept collected sums (kinds ltot, ltax, lcode, per document
--                  type) against report_rows.collected_sums_sql over every date of it;
--   not_collected: rillet_nc_docs against the documents nc_docs.COND selects when every
--                  document is walked, a batch of documents (by id) a run.
-- A job (a year of months and every document are more than a request's budget at 100,000
-- documents), phases "months" (filing and liability, CHECK_MONTHS a run), then "nc_invoice"
-- and "nc_credit_memo" (CHECK_NC_BATCH documents a run). Its state in rillet_filing_state:
-- check_state, check_after (the last month compared), check_months, check_mismatches (every
-- kind), check_diffs (JSON {differences, kinds, phase, nc_after}; an older levy wrote the
-- differences array alone, all of kind filing).

local function canon(s)
  local out = {}
  for _, kind in ipairs({ "docs", "lines", "taxes" }) do
    for _, r in ipairs(s[kind]) do
      local k
      if kind == "docs" then
        k = key(kind, r.month, r.type, r.region, r.currency)
        out[k] = tostring(r.docs)
      elseif kind == "lines" then
        k = key(kind, r.month, r.type, r.region, r.currency, r.reason)
        out[k] = table.concat({ r.sale, r.taxable }, " ")
      else
        k = key(kind, r.month, r.type, r.region, r.currency, r.jurisdiction, r.level, r.tax_type, r.authority_code)
        out[k] = table.concat({ r.docs, tostring(r.tax), r.taxable, r.rates }, " ")
      end
    end
  end
  return out
end

local function readable_key(k)
  return (k:gsub("\30", "-"):gsub("\31", " "))
end

-- The differences between kept (a) and recomputed (b) canonical forms of one month:
-- {kind, month, key, kept, rows}; abad / bbad: the checks that send a report to the results.
local function differences(kind, month, a, b, abad, bbad)
  local diffs = {}
  for k, v in pairs(a) do
    if b[k] ~= v then
      diffs[#diffs + 1] = { kind = kind, month = month, key = readable_key(k), kept = v, rows = b[k] or json.null }
    end
  end
  for k, v in pairs(b) do
    if a[k] == nil then
      diffs[#diffs + 1] = { kind = kind, month = month, key = readable_key(k), kept = json.null, rows = v }
    end
  end
  if (abad > 0) ~= (bbad > 0) then
    diffs[#diffs + 1] = { kind = kind, month = month, key = "bad", kept = tostring(abad), rows = tostring(bbad) }
  end
  table.sort(diffs, function(x, y) return x.key < y.key end)
  return diffs
end

-- Compares one month's filing sums; returns the differences: {kind = "filing", month, key, kept, rows}.
function M.check_month(month, filing_sums_sql)
  local kept = M.read(month, month, nil, {}, true)
  local fresh = filing_sums_sql(month, month .. "~", nil, {})
  return differences("filing", month, canon(kept), canon(fresh), kept.bad, fresh.bad)
end

-- collected_sums' groups and totals of one document type, as text per key
local function liab_canon(doc_type, groups, totals, out)
  for _, g in ipairs(groups or {}) do
    out[key("ltax", doc_type, g.currency, g.region, g.jurisdiction, g.level, g.type)] = table.concat({
      tostring(g.docs), tostring(g.n or 0), tostring(g.taxable or 0), tostring(g.tax or 0), tostring(g.n_code or 0),
      tostring(g.code_min or "-"), tostring(g.code_max or "-") }, " ")
  end
  for _, t in ipairs(totals or {}) do
    out[key("ltot", doc_type, t.currency)] = tostring(t.docs) .. " " .. tostring(t.taxable or 0)
  end
end

-- Compares one month's liability sums (both document types) with collected_sums_sql over
-- every date of the month; returns the differences: {kind = "liability", month, key, kept, rows}
-- (key "ltax TYPE CURRENCY REGION JURISDICTION LEVEL TAX_TYPE": "documents tax-rows taxable
-- tax coded-rows code_min code_max"; "ltot TYPE CURRENCY": "documents taxable", minor units).
function M.check_liability_month(month, collected_sums_sql)
  local a, b, abad, bbad = {}, {}, 0, 0
  for _, t in ipairs({ "invoice", "credit_memo" }) do
    local g, tt, bad = M.read_liability(t, month, month, nil, true)
    liab_canon(t, g, tt, a)
    abad = abad + bad
    g, tt, bad = collected_sums_sql(t, month, month .. "~", nil)
    liab_canon(t, g, tt, b)
    bbad = bbad + bad
  end
  return differences("liability", month, a, b, abad, bbad)
end

-- Compares rillet_nc_docs with the candidates nc_docs.COND selects over the documents of
-- doc_type after id `after` (nil: from the first), CHECK_NC_BATCH documents; returns the
-- differences {kind = "not_collected", month, key = "TYPE ID", kept = date | null, rows =
-- date | null}, the batch's last id (nil: the type is done; the last batch's range is open,
-- so a kept row of a document that no longer exists is found too) and the documents read.
M.CHECK_NC_BATCH = 1000

local function nc_diff(doc_type, id, kept, rows)
  local d = kept or rows
  return { kind = "not_collected", month = type(d) == "string" and d:sub(1, 7) or json.null,
           key = doc_type .. " " .. id, kept = kept or json.null, rows = rows or json.null }
end

function M.check_nc_batch(doc_type, after)
  local t = DOC_TABLE[doc_type]
  local ids = {}
  for r in store.query("SELECT id FROM " .. t .. (after and " WHERE id > ?" or "") .. " ORDER BY id LIMIT " ..
      M.CHECK_NC_BATCH, table.unpack(after and { after } or {})) do
    ids[#ids + 1] = r.id
  end
  local last = #ids == M.CHECK_NC_BATCH and ids[#ids] or nil
  local function range(col, w, a)
    if after then w[#w + 1] = col .. " > ?"; a[#a + 1] = after end
    if last then w[#w + 1] = col .. " <= ?"; a[#a + 1] = last end
    return table.concat(w, " AND "), a
  end
  local want, kept = {}, {}
  store.transaction(function() -- one view of the documents and the kept rows
    local w, a = range("d.id", { "d.doc_date IS NOT NULL", nc_docs.COND }, {})
    for r in store.query("SELECT d.id, d.doc_date FROM " .. t .. " d " .. nc_docs.joins(doc_type) .. "WHERE " .. w,
        table.unpack(a)) do
      want[r.id] = r.doc_date
    end
    w, a = range("doc_id", { "doc_type = ?" }, { doc_type })
    for r in store.query("SELECT doc_id, doc_date FROM rillet_nc_docs WHERE " .. w, table.unpack(a)) do
      kept[r.doc_id] = r.doc_date
    end
  end)
  local diffs = {}
  for id, d in pairs(kept) do
    if want[id] ~= d then diffs[#diffs + 1] = nc_diff(doc_type, id, d, want[id]) end
  end
  for id, d in pairs(want) do
    if kept[id] == nil then diffs[#diffs + 1] = nc_diff(doc_type, id, nil, d) end
  end
  table.sort(diffs, function(x, y) return x.key < y.key end)
  return diffs, last, #ids
end

-- A run does one step of the months phase (a part of a month summed, or a month compared) at
-- least, and the next only while it has used less than CHECK_BUDGET_SHARE per mille of its
-- budget (time.budget_used). A part: CHECK_PART documents of one type (bench/README.md "The sums
-- check a part at a time": the whole check about 0.04 ms of CPU a document at 100k, so a part is well
-- within a run's 800 ms).
M.CHECK_PART = 2000
M.CHECK_BUDGET_SHARE = 300
-- stale parts (written to since they were summed) summed again inside the transaction that
-- compares the month when there are at most this many (so a month that keeps being written to
-- still gets compared); more are summed again one a step first
M.CHECK_STALE_INLINE = 2
local KINDS = { "filing", "liability", "not_collected" }
local SHOWN = 50 -- differences kept per kind (check.kinds[kind].mismatches counts them all)

-- check_diffs decoded: {differences, kinds = {filing|liability|not_collected = {mismatches,
-- months}}, phase, nc_after, documents}
local function check_doc(text)
  local x = text and json.decode(text) or nil
  if type(x) ~= "table" or type(x.kinds) ~= "table" then
    -- none yet, or an older levy's differences array (all of the filing sums)
    local old = type(x) == "table" and x or {}
    x = { differences = old, kinds = {}, phase = "months", documents = 0 }
    for _, d in ipairs(old) do d.kind = d.kind or "filing" end
    x.kinds.filing = { mismatches = #old, months = {} }
  end
  for _, k in ipairs(KINDS) do
    local c = x.kinds[k] or {}
    c.mismatches = c.mismatches or 0
    c.months = type(c.months) == "table" and c.months or {}
    x.kinds[k] = c
  end
  x.differences = type(x.differences) == "table" and x.differences or {}
  x.documents = x.documents or 0
  -- the month being summed (check_step's months phase), or none
  if type(x.cur) ~= "table" then x.cur = nil end
  return x
end

local function check_doc_json(x)
  local kinds = {}
  for _, k in ipairs(KINDS) do
    kinds[k] = { mismatches = x.kinds[k].mismatches, months = json.array(x.kinds[k].months) }
  end
  return json.encode({ differences = json.array(x.differences), kinds = kinds, phase = x.phase,
                       nc_after = x.nc_after or json.null, documents = x.documents, cur = x.cur or json.null })
end

-- the differences the last finished check found, per kind, as a gauge (every replica
-- publishes the stored outcome: on start and with the schedule's tick)
local function publish_check(x, check_state)
  for _, k in ipairs(KINDS) do
    local n = x.kinds[k].mismatches
    if check_state == "never" then n = 0 end
    metrics.set("levy_report_sums_mismatches", { kind = k }, n)
  end
end

function M.publish_check()
  local st = store.row("SELECT check_state, check_diffs FROM rillet_filing_state WHERE id = 1")
  if not st or st.check_state == nil or st.check_state == "running" then
    if not st or st.check_state == nil then publish_check(check_doc(nil), "never") end
    return
  end
  publish_check(check_doc(st.check_diffs), st.check_state)
end

-- Queues a check from the start (inside the caller's transaction when there is one).
-- req (POST /v1/reports/filing/sums/check): the audit row of who asked (issue 20), in the
-- check's transaction; nil for levy's own checks (the one after a rebuild).
function M.start_check(req)
  store.transaction(function()
    if req then
      local was = store.row("SELECT check_state FROM rillet_filing_state WHERE id = 1") or {}
      audit.record(req, { action = "filing_sums.check_requested", object_kind = "filing_sums",
                          label = "Filing sums",
                          changes = { check = { before = was.check_state or json.null, after = "running" } } })
    end
    store.exec("UPDATE rillet_filing_state SET check_state = 'running', check_started_at = ?, check_after = NULL, " ..
      "check_months = 0, check_diffs = NULL, check_mismatches = 0, check_finished_at = NULL, check_acc = NULL " ..
      "WHERE id = 1", time.iso_ms(time.now_ms()))
    store.exec("DELETE FROM rillet_check_parts")
    require("levy.jobs").enqueue { kind = "rillet.filing_sums", key = "check", payload = { op = "check" } }
  end)
  return M.check_status()
end

local function add_months(list, month)
  for _, m in ipairs(list) do if m == month then return end end
  list[#list + 1] = month
  table.sort(list)
end

-- d counted in x (its kind's mismatches and months; shown while its kind has fewer than SHOWN)
local function add_diff(x, d)
  local c = x.kinds[d.kind]
  c.mismatches = c.mismatches + 1
  if type(d.month) == "string" then add_months(c.months, d.month) end
  local shown = 0
  for _, e in ipairs(x.differences) do if e.kind == d.kind then shown = shown + 1 end end
  if shown < SHOWN then x.differences[#x.differences + 1] = d end
end

-- the named documents' kept candidate rows against nc_docs.COND, each in one transaction
local function nc_recheck(doc_type, ids)
  local t = DOC_TABLE[doc_type]
  local diffs = {}
  for _, id in ipairs(ids) do
    store.transaction(function()
      local w = store.row("SELECT d.doc_date FROM " .. t .. " d " .. nc_docs.joins(doc_type) ..
        "WHERE d.id = ? AND d.doc_date IS NOT NULL AND " .. nc_docs.COND, id)
      local k = store.row("SELECT doc_date FROM rillet_nc_docs WHERE doc_type = ? AND doc_id = ?", doc_type, id)
      local want, kept = w and w.doc_date, k and k.doc_date
      if want ~= kept then diffs[#diffs + 1] = nc_diff(doc_type, id, kept, want) end
    end)
  end
  return diffs
end

-- What differed is compared once more before the check reports it: on PostgreSQL each statement
-- reads its own snapshot, so a document written between the kept side's read and the rows'
-- could look like a difference once (SQLite reads a month or a batch in one transaction). A
-- difference of the kept sums persists; one of a write in passing does not. The candidates'
-- differences past the SHOWN listed are not read again (counted as found).
-- (A month's filing and liability differences were read twice already: check_step sums a
-- month that differs once more, in parts, and reports what the second reading finds.)
local function recheck(x)
  local y = check_doc(nil)
  y.phase, y.documents = x.phase, x.documents
  y.kinds.filing, y.kinds.liability = x.kinds.filing, x.kinds.liability
  for _, d in ipairs(x.differences) do
    if d.kind ~= "not_collected" then y.differences[#y.differences + 1] = d end
  end
  local ids, shown = { invoice = {}, credit_memo = {} }, 0
  for _, d in ipairs(x.differences) do
    local t, id = tostring(d.key):match("^(%S+) (.+)$")
    if d.kind == "not_collected" and ids[t] then
      shown = shown + 1
      ids[t][#ids[t] + 1] = id
    end
  end
  for _, t in ipairs({ "invoice", "credit_memo" }) do
    for _, d in ipairs(nc_recheck(t, ids[t])) do add_diff(y, d) end
  end
  local n = y.kinds.not_collected
  n.mismatches = n.mismatches + math.max(0, x.kinds.not_collected.mismatches - shown)
  return y
end

local function finish_check(x)
  publish_check(x, "done")
  local f, l, n = x.kinds.filing, x.kinds.liability, x.kinds.not_collected
  if f.mismatches > 0 then
    log.warn("rillet filing sums differ from the documents' rows: the filing summary may be wrong; " ..
      "POST /v1/reports/filing/sums/rebuild rebuilds them", { mismatches = f.mismatches })
  end
  if l.mismatches > 0 then
    log.warn("rillet liability sums differ from the documents' rows: the liability report's collected totals " ..
      "may be wrong; POST /v1/reports/filing/sums/rebuild rebuilds them",
      { mismatches = l.mismatches, periods = #l.months, months = table.concat(l.months, " ") })
  end
  if n.mismatches > 0 then
    log.warn("rillet not-collected candidates differ from the documents: the calculated-not-collected list may " ..
      "miss documents; POST /v1/reports/filing/sums/rebuild rebuilds them", { mismatches = n.mismatches })
  end
end

-- ---------------------------------------------------------------------------------------
-- A month summed a part at a time (issue 20: at 100,000 documents one month summed from the
-- rows in one run was over a job run's budget, so the check never finished; at 1,000,000 a
-- month may hold 800,000 documents). acc: a month's filing and liability sums in a form whose
-- parts add up and can be taken out again (a part summed again replaces what it added):
-- {f = {[key] = entry}, l = {[key] = entry}, fbad, lbad}, each entry's fields sums or counts:
-- p (rows that added to it: gone at 0), d documents, s sale, t taxable, x tax and xn (rows
-- with a tax: none is the SQL's NULL sum), n tax rows, c coded rows, r / lo / hi: how many
-- rows gave each rate / code_min / code_max (the month's: those counted, the least / greatest).
local function acc_new() return { f = {}, l = {}, fbad = 0, lbad = 0 } end

local function count_in(e, field, k, sign)
  if k == nil then return end
  local m = e[field]
  if not m then m = {}; e[field] = m end
  local v = (m[k] or 0) + sign
  m[k] = v ~= 0 and v or nil
end

-- adds (sign 1) or takes out (-1) one row's values v ({d, s, t, x, n, c, rates, lo, hi})
local function acc_entry(map, k, sign, v)
  local e = map[k]
  if not e then e = { p = 0 }; map[k] = e end
  e.p = e.p + sign
  for _, f in ipairs({ "d", "s", "t", "n", "c" }) do
    if v[f] then e[f] = (e[f] or 0) + sign * v[f] end
  end
  if v.x ~= nil then e.x, e.xn = (e.x or 0) + sign * v.x, (e.xn or 0) + sign end
  for _, r in ipairs(v.rates or {}) do count_in(e, "r", r, sign) end
  count_in(e, "lo", v.lo, sign)
  count_in(e, "hi", v.hi, sign)
  if e.p == 0 then map[k] = nil end
end

-- filing_sums_sql's (or read's) answer into acc
local function acc_filing(acc, s, sign)
  for _, r in ipairs(s.docs) do
    acc_entry(acc.f, key("docs", r.month, r.type, r.region, r.currency), sign, { d = r.docs })
  end
  for _, r in ipairs(s.lines) do
    acc_entry(acc.f, key("lines", r.month, r.type, r.region, r.currency, r.reason), sign,
      { s = r.sale, t = r.taxable })
  end
  for _, r in ipairs(s.taxes) do
    local rates = type(r.rates) == "string" and json.decode(r.rates) or {}
    local list = {}
    for _, x in ipairs(type(rates) == "table" and rates or {}) do
      if x ~= json.null then list[#list + 1] = tostring(x) end
    end
    acc_entry(acc.f, key("taxes", r.month, r.type, r.region, r.currency, r.jurisdiction, r.level, r.tax_type,
      r.authority_code), sign, { d = r.docs, x = r.tax, t = r.taxable, rates = list })
  end
  acc.fbad = acc.fbad + sign * s.bad
end

-- collected_sums_sql's (or read_liability's) answer of doc_type into acc
local function acc_liab(acc, doc_type, groups, totals, bad, sign)
  for _, g in ipairs(groups or {}) do
    acc_entry(acc.l, key("ltax", doc_type, g.currency, g.region, g.jurisdiction, g.level, g.type), sign,
      { d = g.docs, n = g.n or 0, t = g.taxable or 0, x = g.tax, c = g.n_code or 0, lo = g.code_min, hi = g.code_max })
  end
  for _, t in ipairs(totals or {}) do
    acc_entry(acc.l, key("ltot", doc_type, t.currency), sign, { d = t.docs, t = t.taxable or 0 })
  end
  acc.lbad = acc.lbad + sign * (bad or 0)
end

-- b added into a (sign 1) or taken out of it (-1)
local function acc_merge(a, b, sign)
  for _, kind in ipairs({ "f", "l" }) do
    local am = a[kind]
    for k, e in pairs(b[kind]) do
      local ae = am[k]
      if not ae then ae = { p = 0 }; am[k] = ae end
      for _, f in ipairs({ "p", "d", "s", "t", "n", "c", "x", "xn" }) do
        if e[f] then ae[f] = (ae[f] or 0) + sign * e[f] end
      end
      for _, f in ipairs({ "r", "lo", "hi" }) do
        for x, n in pairs(e[f] or {}) do count_in(ae, f, x, sign * n) end
      end
      if ae.p == 0 then am[k] = nil end
    end
  end
  a.fbad, a.lbad = a.fbad + sign * b.fbad, a.lbad + sign * b.lbad
end

local function least(m, greatest)
  local best
  for k in pairs(m or {}) do
    if best == nil or (greatest and k > best) or (not greatest and k < best) then best = k end
  end
  return best
end

-- acc as the text per key check_month and check_liability_month compare (the same texts)
local function acc_canon(acc)
  local f, l = {}, {}
  for k, e in pairs(acc.f) do
    local kind = k:match("^[^\31]*")
    if kind == "docs" then
      f[k] = tostring(e.d or 0)
    elseif kind == "lines" then
      f[k] = table.concat({ e.s or 0, e.t or 0 }, " ")
    else
      local rates = {}
      for r in pairs(e.r or {}) do rates[#rates + 1] = r end
      table.sort(rates)
      f[k] = table.concat({ e.d or 0, (e.xn or 0) > 0 and tostring(e.x) or "nil", e.t or 0,
        json.encode(json.array(rates)) }, " ")
    end
  end
  for k, e in pairs(acc.l) do
    if k:match("^ltax") then
      l[k] = table.concat({ tostring(e.d or 0), tostring(e.n or 0), tostring(e.t or 0),
        tostring((e.xn or 0) > 0 and e.x or 0), tostring(e.c or 0), tostring(least(e.lo) or "-"),
        tostring(least(e.hi, true) or "-") }, " ")
    else
      l[k] = tostring(e.d or 0) .. " " .. tostring(e.t or 0)
    end
  end
  return f, l
end

-- the kept sums of a month as acc
local function kept_acc(month)
  local a = acc_new()
  acc_filing(a, M.read(month, month, nil, {}, true), 1)
  for _, t in ipairs({ "invoice", "credit_memo" }) do
    local g, tt, bad = M.read_liability(t, month, month, nil, true)
    acc_liab(a, t, g, tt, bad, 1)
  end
  return a
end

-- One part's sums from the rows as acc: part = a rillet_check_parts row (its month, doc_type
-- and key range)
function M.check_part(part, filing_sums_sql, collected_sums_sql)
  local m = part.month
  local range = { type = part.doc_type, lo = part.lo_date and { part.lo_date, part.lo_id } or nil,
                  hi = part.hi_date and { part.hi_date, part.hi_id } or nil }
  local a = acc_new()
  acc_filing(a, filing_sums_sql(m, m .. "~", nil, {}, range), 1)
  if collected_sums_sql then
    local g, tt, bad = collected_sums_sql(part.doc_type, m, m .. "~", nil, range)
    acc_liab(a, part.doc_type, g, tt, bad, 1)
  end
  return a
end

-- kept and recomputed acc of a month compared: the differences of both kinds
local function compare_month(month, kept, fresh, with_liability)
  local kf, kl = acc_canon(kept)
  local ff, fl = acc_canon(fresh)
  local out = differences("filing", month, kf, ff, kept.fbad, fresh.fbad)
  if with_liability then
    for _, d in ipairs(differences("liability", month, kl, fl, kept.lbad, fresh.lbad)) do out[#out + 1] = d end
  end
  return out
end

-- the first month after `after` (nil: the first) with kept sums or documents (either side: a
-- month missing on one is a difference); read on the indexes, not by walking the documents
local function next_month(after)
  local best
  local r = store.row("SELECT min(month) AS m FROM rillet_filing_sums" .. (after and " WHERE month > ?" or ""),
    table.unpack(after and { after } or {}))
  if r and r.m then best = r.m end
  for _, t in ipairs({ "invoices", "credit_memos" }) do
    r = store.row("SELECT substr(doc_date, 1, 7) AS m FROM " .. t .. " WHERE doc_date IS NOT NULL" ..
      (after and " AND doc_date > ? AND substr(doc_date, 1, 7) > ?" or "") .. " ORDER BY doc_date LIMIT 1",
      table.unpack(after and { after .. "~", after } or {}))
    if r and r.m and (best == nil or r.m < best) then best = r.m end
  end
  return best
end

-- part (a rillet_check_parts row) summed (again) into acc, at the gen it had before its rows
-- were read: a write meanwhile (PostgreSQL: another transaction) leaves it stale, to be summed
-- again. A part holds CHECK_PART documents at most: one with more (a month's first part, open
-- to its end, or one written into since) is cut at its CHECK_PART-th document and the rest
-- made a part of its own, summed later.
local function sum_part(part, acc, filing_sums_sql, collected_sums_sql)
  local g = store.row("SELECT gen FROM rillet_check_parts WHERE month = ? AND seq = ?", part.month, part.seq)
  if not g then return end
  -- (a bound of the part, when it has one, in place of the month's: SQLite then seeks it in
  -- the (doc_date, id, ...) index, migration 0023)
  local args, w = {}, {}
  if part.lo_date then
    w[1] = "(doc_date, id) > (?, ?)"
    args[1], args[2] = part.lo_date, part.lo_id
  else
    w[1] = "doc_date >= ?"
    args[1] = part.month
  end
  if part.hi_date then
    w[2] = "(doc_date, id) <= (?, ?)"
    args[#args + 1], args[#args + 2] = part.hi_date, part.hi_id
  else
    w[2] = "doc_date <= ?"
    args[#args + 1] = part.month .. "~"
  end
  local n, cut = 0, nil
  for r in store.query("SELECT doc_date, id FROM " .. DOC_TABLE[part.doc_type] .. " WHERE " .. table.concat(w, " AND ") ..
      " ORDER BY doc_date, id LIMIT " .. (M.CHECK_PART + 1), table.unpack(args)) do
    n = n + 1
    if n == M.CHECK_PART then cut = r end
  end
  if n > M.CHECK_PART then
    local last = store.row("SELECT max(seq) AS s FROM rillet_check_parts WHERE month = ?", part.month)
    store.exec("INSERT INTO rillet_check_parts(month, seq, doc_type, lo_date, lo_id, hi_date, hi_id, gen) " ..
      "VALUES (?, ?, ?, ?, ?, ?, ?, 0)", part.month, last.s + 1, part.doc_type, cut.doc_date, cut.id, part.hi_date,
      part.hi_id)
    store.exec("UPDATE rillet_check_parts SET hi_date = ?, hi_id = ? WHERE month = ? AND seq = ?", cut.doc_date, cut.id,
      part.month, part.seq)
    part.hi_date, part.hi_id = cut.doc_date, cut.id
  end
  local a = M.check_part(part, filing_sums_sql, collected_sums_sql)
  local changed = store.exec("UPDATE rillet_check_parts SET done_gen = ?, sums = ? WHERE month = ? AND seq = ? AND " ..
    "gen = ?", g.gen, json.encode(a), part.month, part.seq, g.gen)
  if changed == 1 then
    if part.sums then acc_merge(acc, json.decode(part.sums), -1) end
    acc_merge(acc, a, 1)
  end
end

-- a month's parts from the start: its credit memos and its invoices, each one part open at both
-- ends (cut to size as they are summed), and nothing summed yet
local function month_parts(m, acc)
  store.exec("DELETE FROM rillet_check_parts")
  for seq, t in ipairs({ "credit_memo", "invoice" }) do
    store.exec("INSERT INTO rillet_check_parts(month, seq, doc_type, gen) VALUES (?, ?, ?, 0)", m, seq, t)
  end
  for k in pairs(acc) do acc[k] = nil end
  for k, v in pairs(acc_new()) do acc[k] = v end
end

-- One step of the months phase (in the caller's transaction): x.cur = {month, pass} is the
-- month being summed; c: {acc (its parts' sums added up), after (the last month compared),
-- months}. The parts not summed yet, or written to since (stale), are summed one a step in
-- (type, doc_date, id) order; with CHECK_STALE_INLINE or fewer left, they are summed in the
-- step that then compares the month's acc with its kept sums (so a month that keeps being
-- written to is compared all the same). A month that differs is summed once more from the
-- start (pass 2) and what that finds is reported: on PostgreSQL each statement reads its own
-- snapshot, so a write between the kept side's read and the rows' could look like a
-- difference once.
local function months_step(x, c, filing_sums_sql, collected_sums_sql)
  if not x.cur then
    local m = next_month(c.after)
    if not m then
      store.exec("DELETE FROM rillet_check_parts")
      c.acc = acc_new()
      x.phase, x.nc_after = "nc_invoice", nil
      return
    end
    x.cur = { month = m, pass = 1 }
    month_parts(m, c.acc)
  end
  local m = x.cur.month
  local stale = {}
  for r in store.query("SELECT month, seq, doc_type, lo_date, lo_id, hi_date, hi_id, sums FROM rillet_check_parts " ..
      "WHERE done_gen IS NULL OR done_gen <> gen ORDER BY seq") do
    stale[#stale + 1] = r
  end
  if #stale > M.CHECK_STALE_INLINE then
    sum_part(stale[1], c.acc, filing_sums_sql, collected_sums_sql)
    return
  end
  for _, p in ipairs(stale) do sum_part(p, c.acc, filing_sums_sql, collected_sums_sql) end
  local left = store.row("SELECT count(*) AS n FROM rillet_check_parts WHERE done_gen IS NULL OR done_gen <> gen")
  if left and left.n > 0 then return end -- cut to size, or written to meanwhile: the next step
  local diffs = compare_month(m, kept_acc(m), c.acc, collected_sums_sql ~= nil)
  if #diffs > 0 and x.cur.pass == 1 then
    x.cur.pass = 2
    month_parts(m, c.acc)
    return
  end
  for _, d in ipairs(diffs) do add_diff(x, d) end
  store.exec("DELETE FROM rillet_check_parts")
  c.acc = acc_new()
  x.cur = nil
  c.after, c.months = m, c.months + 1
end

local STARTED_OVER = "the kept sums' check started over"

local function check_step(filing_sums_sql, collected_sums_sql)
  local st = store.row("SELECT check_state, check_started_at, check_after, check_months, check_diffs, check_acc " ..
    "FROM rillet_filing_state WHERE id = 1")
  if not st or st.check_state ~= "running" then return true end
  -- after the rebuilds (asked again in a second)
  if not M.ready() or not M.liab_ready() then return false, 1000 end
  local x = check_doc(st.check_diffs)
  local function add(d) add_diff(x, d) end
  local function total()
    local n = 0
    for _, k in ipairs(KINDS) do n = n + x.kinds[k].mismatches end
    return n
  end
  if (x.phase or "months") == "months" then
    x.phase = "months"
    local c = { acc = st.check_acc and json.decode(st.check_acc) or acc_new(), after = st.check_after,
                months = st.check_months or 0 }
    -- a step at least; the next only while the run has used less than CHECK_BUDGET_SHARE of its
    -- budget; each step with the check's state in one transaction (a run cut off by its budget
    -- loses only its last step)
    local did = 0
    while x.phase == "months" do
      if did > 0 and time.budget_used() >= M.CHECK_BUDGET_SHARE then break end
      local ok, err = pcall(store.transaction, function()
        months_step(x, c, filing_sums_sql, collected_sums_sql)
        -- only while this check is the one running (a check asked for meanwhile starts over)
        local n = store.exec("UPDATE rillet_filing_state SET check_after = ?, check_months = ?, check_diffs = ?, " ..
          "check_mismatches = ?, check_acc = ? WHERE id = 1 AND check_state = 'running' AND check_started_at = ?",
          c.after, c.months, check_doc_json(x), total(), json.encode(c.acc), st.check_started_at)
        if n == 0 then error(STARTED_OVER, 0) end
      end)
      if not ok then
        if err == STARTED_OVER then return false end
        error(err, 0)
      end
      did = did + 1
    end
    return false
  end
  local doc_type = x.phase == "nc_invoice" and "invoice" or "credit_memo"
  local diffs, last, n = M.check_nc_batch(doc_type, type(x.nc_after) == "string" and x.nc_after or nil)
  for _, d in ipairs(diffs) do add(d) end
  x.documents = x.documents + n
  if last then
    x.nc_after = last
  elseif doc_type == "invoice" then
    x.phase, x.nc_after = "nc_credit_memo", nil
  else
    x.phase, x.nc_after = "done", nil
  end
  local done = x.phase == "done"
  if done and total() > 0 then x = recheck(x) end
  -- only while this check is the one running (a check asked for meanwhile starts over)
  local changed = store.exec("UPDATE rillet_filing_state SET check_diffs = ?, " ..
    "check_mismatches = ?, check_state = ?, check_finished_at = ?, check_acc = NULL WHERE id = 1 AND " ..
    "check_state = 'running' AND check_started_at = ?", check_doc_json(x), total(),
    done and (total() == 0 and "ok" or "mismatch") or "running", done and time.iso_ms(time.now_ms()) or nil,
    st.check_started_at)
  if changed == 0 then return false end
  if done then finish_check(x) end
  return done
end

function M.check_status()
  local st = store.row("SELECT ready, liab_ready, phase, after_id, rebuild_started_at, rebuilt_at, check_state, " ..
    "check_started_at, check_finished_at, check_months, check_mismatches, check_diffs FROM rillet_filing_state " ..
    "WHERE id = 1") or {}
  local x = check_doc(st.check_diffs)
  local cstate = st.check_state or "never"
  local kinds = {}
  for _, k in ipairs(KINDS) do
    local c = x.kinds[k]
    kinds[k] = { state = cstate == "running" and "running" or cstate == "never" and "never" or
                   (c.mismatches > 0 and "mismatch" or "ok"),
                 mismatches = c.mismatches, periods = #c.months, months = json.array(c.months) }
  end
  kinds.not_collected.documents = x.documents
  return {
    ready = st.ready == 1,
    liability_ready = st.liab_ready == 1,
    rebuild = st.ready == 1 and json.null or { phase = st.phase or "invoice", after_id = st.after_id or json.null },
    rebuilt_at = st.rebuilt_at or json.null,
    check = { state = cstate, started_at = st.check_started_at or json.null,
              finished_at = st.check_finished_at or json.null, months = st.check_months or 0,
              mismatches = st.check_mismatches or 0, differences = json.array(x.differences), kinds = kinds },
  }
end

-- The liability sums' own backfill (migration 0020 leaves liab_ready = 0 on a store that has
-- documents; the filing sums stay ready meanwhile): every document's liability part added, a
-- batch a run, the cursor in liab_phase / liab_after_id.
function M.liab_ready()
  local r = store.row("SELECT liab_ready FROM rillet_filing_state WHERE id = 1")
  return r ~= nil and r.liab_ready == 1
end

local function liab_rebuild_step()
  local st = store.row("SELECT liab_ready, liab_phase, liab_after_id FROM rillet_filing_state WHERE id = 1")
  if not st or st.liab_ready == 1 then return true end
  local phase = st.liab_phase or "invoice"
  local ids = {}
  local sql = "SELECT id FROM " .. DOC_TABLE[phase] .. (st.liab_after_id and " WHERE id > ?" or "") ..
    " ORDER BY id LIMIT " .. M.REBUILD_BATCH
  for r in store.query(sql, table.unpack(st.liab_after_id and { st.liab_after_id } or {})) do ids[#ids + 1] = r.id end
  store.transaction(function()
    for _, id in ipairs(ids) do liab_refresh(phase, id) end
    if #ids < M.REBUILD_BATCH then
      if phase == "invoice" then
        store.exec("UPDATE rillet_filing_state SET liab_phase = 'credit_memo', liab_after_id = NULL WHERE id = 1")
      else
        store.exec("UPDATE rillet_filing_state SET liab_ready = 1, liab_phase = NULL, liab_after_id = NULL WHERE id = 1")
      end
    else
      store.exec("UPDATE rillet_filing_state SET liab_after_id = ? WHERE id = 1", ids[#ids])
    end
  end)
  return M.liab_ready()
end

-- the job rillet.filing_sums: {op = "rebuild" | "liab" | "check"}; one batch per run, then
-- again. filing_sums_sql, collected_sums_sql: report_rows' sums from the rows (the check's
-- recomputation; report_rows requires this module, so they are handed in).
function M.job(filing_sums_sql, collected_sums_sql, warm_nc_memo)
  return function(job)
    local p = job.payload
    if type(p) == "string" then p = json.decode(p) end
    local op = type(p) == "table" and p.op or "rebuild"
    local done, wait
    if op == "check" then
      done, wait = check_step(filing_sums_sql, collected_sums_sql)
    elseif op == "nc_memo" then
      -- report_rows' not-collected sums per month summed again where stale (a report then
      -- reads them; summing a busy month at 1,000,000 documents is over a request's budget)
      done = not warm_nc_memo or warm_nc_memo(M.CHECK_BUDGET_SHARE)
    elseif op == "liab" then
      done = liab_rebuild_step()
    else
      done = rebuild_step()
    end
    if not done then return require("levy.jobs").retry(wait or 0, op .. ": next batch") end
  end
end

-- The scheduled check (issue 20): every replica ticks (the rillet plugin's schedule, every
-- LEVY_SCHEDULE_TICK_S), publishes the stored outcome as the gauge and, when the last check
-- started more than CHECK_EVERY_MS ago (or none ever ran and the sums were rebuilt that long
-- ago), starts one. Claimed by one conditional UPDATE, so of the replicas that see it due one
-- starts it (the others' UPDATE changes no row: on PostgreSQL it waits for the first and reads
-- the row it wrote).
M.CHECK_EVERY_MS = 24 * 3600 * 1000

-- The job that sums the stale months of the not-collected memo, unless one is running: a job
-- already queued takes the new one (the jobs' (kind, key) rule), but a running one does not, and
-- every replica ticks and starts; the running job sums every month stale when it reaches it, and
-- a month made stale after that is found by the next tick (reliab_replicas: a replica's start
-- queued a second nc_memo beside another replica's running one).
function M.enqueue_nc_memo()
  local jobs = require "levy.jobs"
  for _, j in ipairs(jobs.list { kind = "rillet.filing_sums", state = "running", limit = 1000 }) do
    if j.key == "nc_memo" then return false end
  end
  store.transaction(function()
    jobs.enqueue { kind = "rillet.filing_sums", key = "nc_memo", payload = { op = "nc_memo" } }
  end)
  return true
end

function M.tick()
  M.publish_check()
  -- the not-collected sums kept per month, summed again where a change made them stale
  if store.row("SELECT 1 AS x FROM rillet_nc_months m WHERE NOT EXISTS (SELECT 1 FROM rillet_nc_memo x " ..
      "WHERE x.month = m.month AND x.region = '' AND x.doc_type = 'invoice' AND x.gen = m.gen) LIMIT 1") then
    M.enqueue_nc_memo()
  end
  local cutoff = time.iso_ms(time.now_ms() - M.CHECK_EVERY_MS)
  -- read first: a tick that finds nothing due writes nothing
  local st = store.row("SELECT ready, check_started_at, rebuilt_at FROM rillet_filing_state WHERE id = 1")
  if not st or st.ready ~= 1 then return end
  local since = st.check_started_at or st.rebuilt_at
  if since == nil or since >= cutoff then return end
  store.transaction(function()
    local n = store.exec("UPDATE rillet_filing_state SET check_state = 'running', check_started_at = ?, " ..
      "check_after = NULL, check_months = 0, check_diffs = NULL, check_mismatches = 0, check_finished_at = NULL, " ..
      "check_acc = NULL WHERE id = 1 AND ready = 1 AND (check_started_at < ? OR (check_started_at IS NULL AND " ..
      "rebuilt_at < ?))", time.iso_ms(time.now_ms()), cutoff, cutoff)
    if n == 1 then
      store.exec("DELETE FROM rillet_check_parts")
      require("levy.jobs").enqueue { kind = "rillet.filing_sums", key = "check", payload = { op = "check" } }
      log.info("rillet kept sums: the daily check started", {})
    end
  end)
end

function M.on_start()
  M.publish_check()
  -- the not-collected sums kept per month, summed where missing or stale before a report asks
  M.enqueue_nc_memo()
  if not M.liab_ready() then
    store.transaction(function()
      require("levy.jobs").enqueue { kind = "rillet.filing_sums", key = "liab", payload = { op = "liab" } }
    end)
  end
  if not M.ready() then
    store.transaction(function()
      require("levy.jobs").enqueue { kind = "rillet.filing_sums", key = "rebuild", payload = { op = "rebuild" } }
    end)
  end
end

return M
