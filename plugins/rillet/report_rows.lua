-- The rows the reports plugin reads from this plugin's tables (issue 18: a plugin reaches
-- another's data through its exports, never its tables; docs/plugins.md "tables"). Each
-- answers the raw rows of one document type, in the order the report lists them; what the
-- report makes of them (collected / not collected, exposure) stays in plugins/reports.
-- doc_type: "invoice" | "credit_memo".
local store = require "levy.store"
local json = require "levy.json"
local money = require "levy.money"

local M = {}

local DOC_TABLE = { invoice = "invoices", credit_memo = "credit_memos" }

local function doc_table(doc_type)
  local t = DOC_TABLE[doc_type]
  if not t then error("unknown document type " .. tostring(doc_type), 3) end
  return t
end

local function rows(sql, ...)
  local out = {}
  for row in store.query(sql, ...) do out[#out + 1] = row end
  return out
end

-- The latest accepted write-back per document dated in [from, to], not deleted, with the
-- written calculation (region, result), and the tax the latest reconciliation read
-- (rillet_tax). region: only documents whose written calculation is in it. drift_only: only
-- the documents in drift (the liability report sums the others in SQL: collected_sums).
function M.accepted_writes(doc_type, from, to, region, drift_only)
  local sql = "SELECT d.id, d.number, d.doc_date, d.currency, COALESCE(c.region, d.region) AS region, " ..
    "c.id AS calculation_id, " ..
    "c.result, w.attempted_at, d.tax_status, (SELECT r.rillet_tax FROM reconciliation r WHERE r.doc_type = '" ..
    doc_type .. "' AND r.doc_id = d.id ORDER BY r.id DESC LIMIT 1) AS rillet_tax FROM " .. doc_table(doc_type) .. [[ d
    JOIN writebacks w ON w.id = (SELECT max(w2.id) FROM writebacks w2
                                 WHERE w2.doc_type = ? AND w2.doc_id = d.id AND w2.outcome = 'written')
    JOIN calculations c ON c.id = w.calculation_id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ? AND c.result IS NOT NULL]] ..
    (drift_only and " AND d.tax_status = 'drift'" or "")
  local args = { doc_type, from, to }
  if region then sql = sql .. " AND COALESCE(c.region, d.region) = ?"; args[#args + 1] = region end
  return rows(sql .. " ORDER BY d.doc_date, d.id", table.unpack(args))
end

-- The collected tax of the accepted writes (accepted_writes' documents) summed in SQL per
-- currency, region, jurisdiction, level and type, without the documents in drift (the caller
-- restates those from what Rillet holds), from the integer columns the triggers keep
-- (rillet_calc_taxes, rillet_calc_heads: migration 0013; rillet_calc_totals: 0014), so no
-- stored JSON is read (issue 20: a year of 10,000 written documents within a request's
-- budget). Returns groups {currency, region, jurisdiction, level, type, code_min, code_max,
-- n_code, n, taxable, tax, docs}, totals {currency, docs, taxable} and bad (> 0: some amount
-- is not a decimal string with its currency's decimals, a document has no currency or
-- region, or a result is not readable: the sums are not to be used; the caller decodes the
-- results instead). A missing taxable_amount counts 0.
function M.collected_sums(doc_type, from, to, region)
  local t = doc_table(doc_type)
  local latest = "WITH l AS MATERIALIZED (SELECT d.id, d.currency, COALESCE(h.region, d.region) AS region, " ..
    "h.calculation_id, h.readable FROM (SELECT d.id, d.currency, d.region, (SELECT max(w2.id) FROM writebacks w2 " ..
    "WHERE w2.doc_type = ? AND w2.doc_id = d.id AND w2.outcome = 'written') AS wid FROM " .. t .. " d " ..
    "WHERE d.doc_date >= ? AND d.doc_date <= ? AND d.deleted = 0 AND d.tax_status IS NOT 'drift' LIMIT -1) d " ..
    "JOIN writebacks w ON w.id = d.wid JOIN rillet_calc_heads h ON h.calculation_id = w.calculation_id " ..
    "WHERE h.has_result = 1" .. (region and " AND COALESCE(h.region, d.region) = ?" or "") .. ") "
  local args = { doc_type, from, to }
  if region then args[#args + 1] = region end
  local all = rows(latest .. "SELECT 'g' AS kind, l.currency AS currency, l.region AS region, " ..
    "x.jurisdiction AS jurisdiction, x.level AS level, x.type AS type, " ..
    "min(CASE WHEN typeof(x.authority_code) = 'text' THEN x.authority_code END) AS code_min, " ..
    "max(CASE WHEN typeof(x.authority_code) = 'text' THEN x.authority_code END) AS code_max, " ..
    "sum(CASE WHEN typeof(x.authority_code) = 'text' THEN x.n ELSE 0 END) AS n_code, sum(x.n) AS n, " ..
    "sum(x.taxable) AS taxable, sum(x.amount) AS tax, count(DISTINCT l.id) AS docs, " ..
    "sum(x.amount IS NULL OR x.jurisdiction IS NULL OR x.level IS NULL OR x.type IS NULL) AS bad, " ..
    "min(x.dp_lo) AS lo, max(x.dp_hi) AS hi " ..
    "FROM l JOIN rillet_calc_taxes x ON x.calculation_id = l.calculation_id GROUP BY 2, 3, 4, 5, 6 " ..
    "UNION ALL SELECT 't', l.currency, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, " ..
    "sum(COALESCE(tt.total_taxable, 0)), NULL, count(*), " ..
    "sum(l.currency IS NULL OR l.region IS NULL OR NOT l.readable OR tt.dp < 0), " ..
    "min(COALESCE(tt.dp, 99)), max(COALESCE(tt.dp, -99)) " ..
    "FROM l LEFT JOIN rillet_calc_totals tt ON tt.calculation_id = l.calculation_id GROUP BY 2",
    table.unpack(args))
  local groups, totals, bad, exps = {}, {}, 0, {}
  for _, r in ipairs(all) do
    local cur = r.currency
    local e = exps[cur or ""]
    if e == nil then
      e = type(cur) == "string" and cur:match("^%u%u%u$") and money.exponent(cur) or false
      exps[cur or ""] = e
    end
    if (r.bad or 0) > 0 or not e or (r.lo ~= 99 and r.lo ~= e) or (r.hi ~= -99 and r.hi ~= e) then bad = bad + 1 end
    if r.kind == "g" then groups[#groups + 1] = r else totals[#totals + 1] = r end
  end
  return groups, totals, bad
end

-- The filing report's documents (issue 20, reportperf II): every document dated in [from, to],
-- not deleted, that the filing report counts, as one SQL relation `f` over both types:
-- basis 'collected' (the latest write-back Rillet accepted and the calculation it sent: exactly
-- accepted_writes' rows) and basis 'no_tax_due' (no accepted write, the current calculation has
-- a result and zero total tax). Columns: type, id, number, doc_date, currency, region, basis,
-- calculation_id, written_at, tax_status, rillet_tax (the latest reconciliation's, for drift)
-- and restate (1: a collected document in drift whose held tax the caller restates:
-- accepted_writes' drift rows). The results are not in it (join calculations on
-- calculation_id): the relation is a compound SELECT that SQLite builds whole, and sorting
-- thousands of results to page through them cost more than the page.
local function zero_sql(x)
  return "(typeof(" .. x .. ") = 'text' AND ltrim(replace(" .. x .. ", '.', ''), '-') <> '' AND " ..
    "ltrim(replace(replace(" .. x .. ", '.', ''), '-', ''), '0') = '')"
end

local function filing_relation(from, to, drift_only)
  local parts, args = {}, {}
  for _, dt in ipairs({ "invoice", "credit_memo" }) do
    -- one pass per type: the latest accepted write (wid) decides the basis and the calculation
    local written = "(SELECT max(w2.id) FROM writebacks w2 WHERE w2.doc_type = '" .. dt ..
      "' AND w2.doc_id = d.id AND w2.outcome = 'written')"
    parts[#parts + 1] = "SELECT '" .. dt .. "' AS type, d.id AS id, d.number AS number, d.doc_date AS doc_date, " ..
      "COALESCE(d.currency, h.result_currency) AS currency, COALESCE(h.region, d.region, h.result_region) AS region, " ..
      "CASE WHEN d.wid IS NULL THEN 'no_tax_due' ELSE 'collected' END AS basis, h.calculation_id AS calculation_id, " ..
      "w.attempted_at AS written_at, d.tax_status AS tax_status, " ..
      "CASE WHEN d.wid IS NOT NULL AND d.tax_status = 'drift' THEN (SELECT r.rillet_tax FROM reconciliation r " ..
      "WHERE r.doc_type = '" .. dt .. "' AND r.doc_id = d.id ORDER BY r.id DESC LIMIT 1) END AS rillet_tax " ..
      "FROM (SELECT d.id, d.number, d.doc_date, d.currency, d.region, d.tax_status, d.calculation_id, " .. written ..
      " AS wid FROM " .. DOC_TABLE[dt] .. " d WHERE d.doc_date >= ? AND d.doc_date <= ? AND d.deleted = 0" ..
      (drift_only and " AND d.tax_status = 'drift'" or "") ..
      -- LIMIT: not flattened into the join, so wid is looked up once per document
      " LIMIT -1) d " ..
      "LEFT JOIN writebacks w ON w.id = d.wid " ..
      "JOIN rillet_calc_heads h ON h.calculation_id = (CASE WHEN d.wid IS NULL THEN d.calculation_id " ..
      "ELSE w.calculation_id END) WHERE h.has_result = 1 AND (d.wid IS NOT NULL OR " .. zero_sql("h.total_tax") .. ")"
    args[#args + 1] = from; args[#args + 1] = to
  end
  return "f AS (SELECT f0.*, (f0.basis = 'collected' AND f0.tax_status IS 'drift' AND " ..
    "typeof(f0.rillet_tax) = 'text') AS restate FROM (" .. table.concat(parts, " UNION ALL ") .. ") f0)", args
end

-- A page of the filing report's documents (filing_relation), in the report's order (date,
-- type, id). opts: region, after = {date, type, id} (keyset: the page after that document),
-- limit, regions (a list) with regions_in (true: only those regions, false: all others),
-- jurisdiction (only documents with a tax line of that jurisdiction), restate (true: only the
-- documents in drift; false: all others; nil: all), count (true: answer the number of
-- documents, not rows). Rows: f's columns and result (the stored result's text).
function M.filing_documents(from, to, opts)
  opts = opts or {}
  if opts.after and type(opts.after[1]) == "string" and opts.after[1] > from then from = opts.after[1] end
  -- only the documents in drift: chosen on the index (tax_status), not by walking every document
  local rel, args = filing_relation(from, to, opts.restate == true)
  local where = {}
  if opts.region then where[#where + 1] = "f.region = ?"; args[#args + 1] = opts.region end
  if opts.regions then -- regions_in: only these regions; else every region (and none) but these
    where[#where + 1] = (opts.regions_in and "" or "(f.region IS NULL OR ") .. "f.region " ..
      (opts.regions_in and "IN" or "NOT IN") .. " (SELECT value FROM json_each(?))" .. (opts.regions_in and "" or ")")
    args[#args + 1] = json.encode(json.array(opts.regions))
  end
  if opts.after then
    where[#where + 1] = "(f.doc_date, f.type, f.id) > (?, ?, ?)"
    args[#args + 1] = opts.after[1]; args[#args + 1] = opts.after[2]; args[#args + 1] = opts.after[3]
  end
  if opts.jurisdiction then
    where[#where + 1] = "EXISTS (SELECT 1 FROM rillet_calc_taxes t WHERE t.calculation_id = f.calculation_id " ..
      "AND t.jurisdiction = ?)"
    args[#args + 1] = opts.jurisdiction
  end
  if opts.restate ~= nil then where[#where + 1] = opts.restate and "f.restate" or "NOT f.restate" end
  local w = #where > 0 and (" WHERE " .. table.concat(where, " AND ")) or ""
  if opts.count then
    local r = store.row("WITH " .. rel .. " SELECT count(*) AS n FROM f" .. w, table.unpack(args))
    return r and r.n or 0
  end
  local page = "SELECT f.* FROM f" .. w .. " ORDER BY f.doc_date, f.type, f.id"
  if opts.limit then page = page .. " LIMIT ?"; args[#args + 1] = opts.limit end
  return rows("WITH " .. rel .. ", k AS (" .. page .. ") SELECT k.type, k.id, k.number, k.doc_date, k.currency, " ..
    "k.region, k.basis, k.calculation_id, c.result, k.written_at, k.tax_status, k.rillet_tax, k.restate FROM k " ..
    "JOIN calculations c ON c.id = k.calculation_id ORDER BY k.doc_date, k.type, k.id", table.unpack(args))
end

-- The filing report's sums in SQL (issue 20, reportperf II: a year of documents without Lua
-- work per document), over filing_relation's documents not in drift (restate = 0: the caller
-- restates those from what Rillet holds), per month (YYYY-MM of the document's date), type,
-- region and currency, in exact minor units of the currency, from the integer columns of
-- rillet_calc_sales (per calculation and line reason) and rillet_calc_taxes (migration 0013: the stored results' figures, kept
-- by triggers, so no JSON is read here):
--   docs:  {month, type, region, currency, docs}
--   lines: {month, type, region, currency, reason (taxability_reason), sale (Σ amount -
--           discount), taxable (Σ taxable_amount)}
--   taxes: {month, type, region, currency, jurisdiction, level, tax_type, authority_code, tax,
--           taxable (Σ taxable_amount of the lines whose reason is not in `untaxed`), docs,
--           rates (JSON array of the distinct percentages)}
-- and bad: the number of values that are not canonical (an amount not a decimal string with
-- the currency's exponent, an unknown currency, a result that is not an object, a missing
-- region or date): the sums are to be used only when bad == 0. A missing optional amount
-- (line amount, discount, taxable_amount) counts 0, as the report's Lua reading does.
function M.filing_sums(from, to, region, untaxed)
  local rel, args = filing_relation(from, to)
  if region then args[#args + 1] = region end
  args[#args + 1] = json.encode(json.array(untaxed or {}))
  -- one statement: the documents (fm) are chosen once and read by the three parts; the
  -- decimals of the amounts come back as the fewest and most per group (99 / -99: none),
  -- checked against the currency's exponent below
  local key = "fm.month, fm.type, fm.region, fm.currency"
  local all = rows("WITH " .. rel .. ", fm AS MATERIALIZED (SELECT f.id, f.calculation_id, " ..
    "substr(f.doc_date, 1, 7) AS month, f.type, f.region, f.currency, (f.region IS NULL OR f.currency IS NULL OR " ..
    "f.doc_date NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' OR NOT h.readable) AS bad FROM f " ..
    "JOIN rillet_calc_heads h ON h.calculation_id = f.calculation_id WHERE NOT f.restate" ..
    (region and " AND f.region = ?" or "") .. ") " ..
    "SELECT 'docs' AS kind, " .. key .. ", NULL AS reason, NULL AS jurisdiction, NULL AS level, NULL AS tax_type, " ..
    "NULL AS authority_code, count(*) AS n, NULL AS sale, NULL AS taxable, NULL AS tax, NULL AS rates, " ..
    "sum(fm.bad) AS bad, 99 AS lo, -99 AS hi FROM fm GROUP BY 2, 3, 4, 5 " ..
    "UNION ALL SELECT 'lines', " .. key .. ", s.reason, NULL, NULL, NULL, NULL, sum(s.lines), " ..
    "sum(s.amount - s.discount), sum(s.taxable), NULL, NULL, 0, min(s.dp_lo), max(s.dp_hi) " ..
    "FROM fm JOIN rillet_calc_sales s ON s.calculation_id = fm.calculation_id GROUP BY 2, 3, 4, 5, 6 " ..
    "UNION ALL SELECT 'taxes', " .. key .. ", NULL, t.jurisdiction, t.level, t.type, t.authority_code, " ..
    "count(DISTINCT fm.id), NULL, sum(CASE WHEN t.reason IN (SELECT value FROM json_each(?)) " ..
    "THEN 0 ELSE t.taxable END), sum(t.amount), json_group_array(DISTINCT t.rate), sum(t.amount IS NULL), " ..
    "min(t.dp_lo), max(t.dp_hi) " ..
    "FROM fm JOIN rillet_calc_taxes t ON t.calculation_id = fm.calculation_id GROUP BY 2, 3, 4, 5, 7, 8, 9, 10",
    table.unpack(args))
  local out = { docs = {}, lines = {}, taxes = {}, bad = 0 }
  local exps = {}
  for _, r in ipairs(all) do
    local cur = r.currency
    local e = exps[cur or ""]
    if e == nil then
      e = type(cur) == "string" and cur:match("^%u%u%u$") and money.exponent(cur) or false
      exps[cur or ""] = e
    end
    if (r.bad or 0) > 0 or not e or (r.lo ~= 99 and r.lo ~= e) or (r.hi ~= -99 and r.hi ~= e) then
      out.bad = out.bad + 1
    end
    if r.kind ~= "lines" then r.docs = r.n end
    if r.reason == "" then r.reason = nil end
    local list = out[r.kind]
    list[#list + 1] = r
  end
  return out
end

-- The documents of one type dated in [from, to], not deleted, with a calculation, whose tax
-- may not be what Rillet holds (the liability report's "calculated, not collected"
-- candidates, chosen in SQL so a report does not walk every document): the latest accepted
-- write is of another calculation or in drift, or there is none and the current calculation
-- failed or has tax. calculated_documents' columns plus the latest accepted write: w_calculation_id,
-- w_result (text), w_attempted_at, rillet_tax (latest reconciliation's); calc_tax / w_tax: the
-- current / written calculation's tax as the integer sum of its amounts without their points,
-- with calc_lo, calc_hi / w_lo, w_hi the decimals seen (NULL: no tax rows; -1: not canonical).
function M.not_collected_candidates(doc_type, from, to, region)
  local t = doc_table(doc_type)
  local written = "(SELECT max(w2.id) FROM writebacks w2 WHERE w2.doc_type = '" .. doc_type ..
    "' AND w2.doc_id = d.id AND w2.outcome = 'written')"
  -- chosen on the report index and rillet_calc_heads; the other columns read for the few chosen
  local sql = "SELECT d.id, d.connection_id, d.number, d.doc_date, d.currency, d.status, d.tax_status, d.last_error, " ..
    "d.calculation_id" .. M.reason_columns(t) .. ", COALESCE(c.region, d.region) AS calc_region, " ..
    "c.total_tax, (SELECT c2.error FROM calculations c2 WHERE c2.id = d.calculation_id) AS calc_error, " ..
    "c.has_result, c.tax AS calc_tax, c.tax_lo AS calc_lo, c.tax_hi AS calc_hi, " ..
    "wc.calculation_id AS w_calculation_id, (SELECT c3.result FROM calculations c3 WHERE c3.id = wc.calculation_id) " ..
    "AS w_result, w.attempted_at AS w_attempted_at, COALESCE(wc.region, d.region) AS w_region, " ..
    "wc.tax AS w_tax, wc.tax_lo AS w_lo, wc.tax_hi AS w_hi, " ..
    "(SELECT r.rillet_tax FROM reconciliation r WHERE r.doc_type = '" .. doc_type ..
    "' AND r.doc_id = d.id ORDER BY r.id DESC LIMIT 1) AS rillet_tax FROM " .. t .. " d " ..
    "LEFT JOIN rillet_calc_heads c ON c.calculation_id = d.calculation_id " ..
    "LEFT JOIN writebacks w ON w.id = " .. written .. " " ..
    "LEFT JOIN rillet_calc_heads wc ON wc.calculation_id = w.calculation_id AND wc.has_result = 1 " ..
    "WHERE d.doc_date >= ? AND d.doc_date <= ? AND d.deleted = 0 AND d.calculation_id IS NOT NULL " ..
    "AND ((wc.calculation_id IS NOT NULL AND (d.tax_status IS 'drift' OR wc.calculation_id IS NOT d.calculation_id)) " ..
    "OR (wc.calculation_id IS NULL AND (c.has_result IS NOT 1 OR NOT " .. zero_sql("c.total_tax") .. ")))"
  local args = { from, to }
  if region then sql = sql .. " AND COALESCE(c.region, d.region) = ?"; args[#args + 1] = region end
  return rows(sql .. " ORDER BY d.doc_date, d.id", table.unpack(args))
end

-- Reason columns this plugin may record on a document (passed through when present).
local REASON_COLUMNS = { "tax_reason", "reason", "reason_detail" }

function M.reason_columns(tbl)
  local have, out = {}, {}
  for r in store.query("SELECT name FROM pragma_table_info(?)", tbl) do have[r.name] = true end
  for _, c in ipairs(REASON_COLUMNS) do
    if have[c] then out[#out + 1] = ", d." .. c end
  end
  return table.concat(out)
end

-- Documents dated in [from, to], not deleted, with a calculation: the document's state and
-- its current calculation's region, total tax and error (has_result: 1 when it has a result).
function M.calculated_documents(doc_type, from, to, region)
  local t = doc_table(doc_type)
  local sql = "SELECT d.id, d.connection_id, d.number, d.doc_date, d.currency, d.status, d.tax_status, d.last_error, " ..
    "d.calculation_id" .. M.reason_columns(t) .. ", COALESCE(c.region, d.region) AS calc_region, " ..
    "c.total_tax, c.error AS calc_error, c.result IS NOT NULL AS has_result FROM " .. t .. [[ d
    LEFT JOIN calculations c ON c.id = d.calculation_id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ? AND d.calculation_id IS NOT NULL]]
  local args = { from, to }
  if region then sql = sql .. " AND COALESCE(c.region, d.region) = ?"; args[#args + 1] = region end
  return rows(sql .. " ORDER BY d.doc_date, d.id", table.unpack(args))
end

-- A stored calculation's result (JSON text), or nil.
function M.calculation_result(id)
  local c = store.row("SELECT result FROM calculations WHERE id = ?", id)
  return c and c.result
end

-- A stored calculation for the audit export: {request (JSON text: the inputs levy taxed),
-- result (JSON text or nil), generation, created_at}, or nil.
function M.calculation(id)
  return store.row("SELECT request, result, generation, created_at FROM calculations WHERE id = ?", id)
end

-- Many stored calculations in ONE query (a report over a year of documents must not ask once
-- per document: issue 20, reportperf): {[id] = {result, request, generation, created_at}};
-- request (JSON text) only when with_request. ids: a list of calculation ids (nil entries
-- skipped); an id with no row is absent from the answer.
function M.calculations(ids, with_request)
  local list = {}
  for _, id in pairs(ids) do
    if type(id) == "string" or math.type(id) == "integer" then list[#list + 1] = id end
  end
  local out = {}
  if #list == 0 then return out end
  local sql = "SELECT id, result, generation, created_at" .. (with_request and ", request" or "") ..
    " FROM calculations WHERE id IN (SELECT value FROM json_each(?))"
  for row in store.query(sql, json.encode(json.array(list))) do out[row.id] = row end
  return out
end

-- Documents dated in [since, to], not deleted, with a calculation: {id, number, customer_id,
-- date, currency, country,
-- state (the ship-to of the calculation request), amount (Rillet's net_amount, else the
-- calculation's total_amount)}. Read from rillet_calc_ship / rillet_doc_net (migration 0014,
-- kept by triggers), not from the requests' and documents' JSON.
function M.shipped_documents(doc_type, since, to)
  return rows("SELECT d.id AS id, d.number AS number, d.customer_id AS customer_id, d.doc_date AS date, " ..
    "d.currency AS currency, s.country AS country, s.state AS state, COALESCE(n.net_amount, s.total_amount) AS amount " ..
    "FROM " .. doc_table(doc_type) .. " d JOIN rillet_calc_ship s ON s.calculation_id = d.calculation_id " ..
    "LEFT JOIN rillet_doc_net n ON n.doc_type = ? AND n.doc_id = d.id " ..
    "WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ?", doc_type, since, to)
end

-- The exposure report's documents (issue 20: 10,000 invoices within a request's budget):
-- shipped_documents' rows of both types that are USD and shipped to a US state with an amount
-- as text, with type and state (upper case), in the report's order (state, date, type, id),
-- so the report neither filters nor sorts them in Lua.
local function shipped_us_sql(dt, extra)
  return "SELECT '" .. dt .. "' AS type, d.id AS id, d.number AS number, d.customer_id AS customer_id, " ..
    "d.doc_date AS date, upper(s.state) AS state, COALESCE(n.net_amount, s.total_amount) AS amount FROM " ..
    DOC_TABLE[dt] .. " d JOIN rillet_calc_ship s ON s.calculation_id = d.calculation_id " ..
    "LEFT JOIN rillet_doc_net n ON n.doc_type = '" .. dt .. "' AND n.doc_id = d.id " ..
    "WHERE d.deleted = 0 AND d.doc_date >= ?1 AND d.doc_date <= ?2 AND d.currency = 'USD' " ..
    "AND typeof(s.country) = 'text' AND upper(s.country) = 'US' AND typeof(s.state) = 'text' " ..
    "AND typeof(COALESCE(n.net_amount, s.total_amount)) = 'text'" .. (extra or "")
end

-- state: only that state (upper case), or nil for all.
function M.shipped_us_documents(since, to, state)
  local extra = state and " AND upper(s.state) = ?3" or nil
  local sql = "SELECT * FROM (" .. shipped_us_sql("invoice", extra) .. " UNION ALL " ..
    shipped_us_sql("credit_memo", extra) .. ") ORDER BY state, date, type, id"
  if state then return rows(sql, since, to, state) end
  return rows(sql, since, to)
end

-- The same documents summed per state, date and marketplace flag (the exposure overview
-- needs no single document: its thresholds are tested on each day's totals): {state, date,
-- marketplace (0/1), n (invoices), minor (Σ invoice amounts - Σ credit memo amounts, cents)} in the
-- report's order, and bad: the number of amounts that are not a plain decimal with two
-- decimals (the caller then reads the documents one by one: shipped_us_documents).
-- doc_flags: JSON array of [type, id, marketplace (true/false)] (the reports plugin's flags
-- per document); customers: JSON array of the marketplace customers' ids.
function M.shipped_us_days(since, to, doc_flags, customers)
  -- no flags (the common case): the documents' index is enough (no row of theirs is read)
  local plain = doc_flags == "[]" and customers == "[]"
  local function part(dt)
    if plain then
      return "SELECT upper(s.state) AS state, d.doc_date AS date, '" .. dt .. "' AS type, 0 AS marketplace, " ..
        "COALESCE(n.net_amount, s.total_amount) AS amount FROM " .. DOC_TABLE[dt] .. " d " ..
        "JOIN rillet_calc_ship s ON s.calculation_id = d.calculation_id " ..
        "LEFT JOIN rillet_doc_net n ON n.doc_type = '" .. dt .. "' AND n.doc_id = d.id " ..
        "WHERE d.deleted = 0 AND d.doc_date >= ?1 AND d.doc_date <= ?2 AND d.currency = 'USD' " ..
        "AND typeof(s.country) = 'text' AND upper(s.country) = 'US' AND typeof(s.state) = 'text' " ..
        "AND typeof(COALESCE(n.net_amount, s.total_amount)) = 'text' AND ?3 = ?4"
    end
    return "SELECT x.state, x.date, x.type, CASE WHEN mf.f IS NOT NULL THEN mf.f ELSE " ..
      "(x.customer_id IS NOT NULL AND x.customer_id IN (SELECT value FROM json_each(?4))) END AS marketplace, " ..
      "x.amount FROM (" .. shipped_us_sql(dt) .. ") x LEFT JOIN (SELECT json_extract(value, '$[0]') AS t, " ..
      "json_extract(value, '$[1]') AS i, json_extract(value, '$[2]') AS f FROM json_each(?3)) mf " ..
      "ON mf.t = x.type AND mf.i = x.id"
  end
  local ok = "(length(y.amount) <= 18 AND ltrim(y.amount, '-') GLOB '[0-9]*.[0-9][0-9]' " ..
    "AND NOT replace(ltrim(y.amount, '-'), '.', '') GLOB '*[^0-9]*')"
  local out = rows("SELECT y.state, y.date, y.marketplace, sum(y.type = 'invoice') AS n, " ..
    "sum(CASE WHEN " .. ok .. " THEN (CASE y.type WHEN 'invoice' THEN 1 ELSE -1 END) * " ..
    "CAST(replace(y.amount, '.', '') AS INTEGER) ELSE 0 END) AS minor, " ..
    "sum(NOT " .. ok .. ") AS bad FROM (" .. part("invoice") .. " UNION ALL " .. part("credit_memo") .. ") y " ..
    "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", since, to, doc_flags, customers)
  local bad = 0
  for _, r in ipairs(out) do bad = bad + (r.bad or 0) end
  return out, bad
end

return M
