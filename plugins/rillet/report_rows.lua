-- The rows the reports plugin reads from this plugin's tables (issue 18: a plugin reaches
-- another's data through its exports, never its tables; docs/plugins.md "tables"). Each
-- answers the raw rows of one document type, in the order the report lists them; what the
-- report makes of them (collected / not collected, exposure) stays in plugins/reports.
-- doc_type: "invoice" | "credit_memo".
local store = require "levy.store"
local json = require "levy.json"
local money = require "levy.money"
local filing_sums = require "filing_sums"
local nc_docs = require "nc_docs"
local region_filter = require "region_filter"
local time = require "levy.time"

local M = {}

-- the ship-to state of calculation c (a calculations row)
local HEAD_STATE = "(SELECT h.ship_state FROM rillet_calc_heads h WHERE h.calculation_id = c.id)"
-- A region filter's condition on a document (region_filter.lua: CA-QC is region CA's
-- documents shipped to QC) appended to sql's conditions, its arguments to args; "" without
-- a region. region_col: the document's stored region, state_col: its calculation's ship-to.
local function region_cond(region, region_col, state_col, args, prefix)
  local s = region_filter.scope(region)
  if not s then return "" end
  local w, a = region_filter.doc_where(s, region_col, state_col)
  for _, v in ipairs(a) do args[#args + 1] = v end
  return (prefix or " AND ") .. w
end

-- ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
local IN_CHUNK = 500

-- The reason columns this plugin records on a document (migration 0005), passed through to
-- the report. They were probed with pragma_table_info (SQLite only; issue 22) for a
-- `tax_reason` column that no migration ever made: the columns are this plugin's own.
local REASON_COLUMNS = ", d.reason, d.reason_detail"

local DOC_TABLE = { invoice = "invoices", credit_memo = "credit_memos" }

local function doc_table(doc_type)
  local t = DOC_TABLE[doc_type]
  if not t then error("unknown document type " .. tostring(doc_type), 3) end
  return t
end

-- M.trace (a spec's): called with each statement's SQL and arguments before it runs
-- (filing_page_spec.lua checks that a page's statements are bounded by a chunk)
local function trace_row(sql, ...)
  if M.trace then M.trace(sql, ...) end
  return store.row(sql, ...)
end

-- warm_nc_memo's run: its statements prepared once ({[sql] = Stmt}), nil otherwise
local run_stmts
-- warm_nc_memo's run: the memo rows it summed, written together when it ends (nil otherwise)
local run_memo

local function rows(sql, ...)
  if M.trace then M.trace(sql, ...) end
  if run_stmts then
    local st = run_stmts[sql]
    if not st then
      st = store.prepare(sql)
      run_stmts[sql] = st
    end
    return st:rows(...)
  end
  local out = {}
  for row in store.query(sql, ...) do out[#out + 1] = row end
  return out
end

-- The latest accepted write-back per document dated in [from, to], not deleted, with the
-- written calculation (region, result), and the tax the latest reconciliation read
-- (rillet_tax). region: only documents whose written calculation is in it. drift_only: only
-- the documents in drift (the liability report sums the others in SQL: collected_sums).
function M.accepted_writes(doc_type, from, to, region, drift_only)
  -- drift_only: read on the (tax_status) index (migration 0022), so the few in drift, not
  -- every document (or every kept not-collected candidate: 30,000 in a year at 1,000,000
  -- documents) of the period
  local src = doc_table(doc_type) .. " d"
  local dd = "d.doc_date"
  local sql = "SELECT d.id, d.number, d.doc_date, d.currency, COALESCE(c.region, d.region) AS region, " ..
    "c.id AS calculation_id, " ..
    "c.result, w.attempted_at, d.tax_status, (SELECT r.rillet_tax FROM reconciliation r WHERE r.doc_type = '" ..
    doc_type .. "' AND r.doc_id = d.id ORDER BY r.id DESC LIMIT 1) AS rillet_tax FROM " .. src .. [[
    JOIN writebacks w ON w.id = (SELECT max(w2.id) FROM writebacks w2
                                 WHERE w2.doc_type = ? AND w2.doc_id = d.id AND w2.outcome = 'written')
    JOIN calculations c ON c.id = w.calculation_id
    WHERE ]] .. (drift_only and "d.tax_status = 'drift' AND " or "") .. "d.deleted = 0 AND " .. dd .. " >= ? AND " ..
    dd .. " <= ? AND c.result IS NOT NULL"
  local args = { doc_type, from, to }
  sql = sql .. region_cond(region, "COALESCE(c.region, d.region)", HEAD_STATE, args)
  return region_filter.relabel(region_filter.scope(region), rows(sql .. " ORDER BY d.doc_date, d.id",
    table.unpack(args)), { "region" })
end

-- The dates of a period's documents [from, to] as a condition on document d of doc_type, its
-- values appended to args; with a part of it (the kept sums' check: filing_sums.lua check_step
-- recomputes a month a part at a time): range = {type, lo = {doc_date, id} | nil, hi =
-- {doc_date, id} | nil}, the documents of that type whose (doc_date, id) is after lo (nil: from
-- `from`) up to hi included (nil: to `to`); none of another type. A bound of the part replaces
-- the date's (it lies inside the period): with both a date range and a row value SQLite seeks
-- the date range only, and walked the whole day of a part (migration 0023: the report index's
-- (doc_date, id) then seeks both ends; row values on SQLite and PostgreSQL).
function M.doc_dates(doc_type, from, to, range, args)
  if range and range.type ~= doc_type then return "1 = 0" end
  local w = {}
  if range and range.lo then
    w[1] = "(d.doc_date, d.id) > (?, ?)"
    args[#args + 1] = range.lo[1]; args[#args + 1] = range.lo[2]
  else
    w[1] = "d.doc_date >= ?"
    args[#args + 1] = from
  end
  if range and range.hi then
    w[2] = "(d.doc_date, d.id) <= (?, ?)"
    args[#args + 1] = range.hi[1]; args[#args + 1] = range.hi[2]
  else
    w[2] = "d.doc_date <= ?"
    args[#args + 1] = to
  end
  return table.concat(w, " AND ")
end

-- The collected tax of the accepted writes (accepted_writes' documents) summed in SQL per
-- currency, region, jurisdiction, level and type, without the documents in drift (the caller
-- restates those from what Rillet holds), from the rows calc_rows.lua keeps per calculation
-- (rillet_calc_heads, rillet_calc_taxes: migration 0013; amounts in minor units with their
-- decimals), so no stored JSON is read (issue 20: a year of 10,000 written documents within a
-- request's budget; issue 22: the same SQL on SQLite and PostgreSQL). Returns groups
-- {currency, region, jurisdiction, level, type, code_min, code_max, n_code, n, taxable, tax,
-- docs}, totals {currency, docs, taxable} and bad (> 0: some amount is missing or not a
-- decimal string with its currency's decimals, a tax row has no taxable_amount, jurisdiction,
-- level or type, a document has no currency or region, or a result is not a readable object:
-- the sums are not to be used; the caller decodes the results instead).
-- The CTE `l` of the accepted writes not in drift (collected_sums, oss_sums): the documents
-- first (their index), each with its latest written write-back (one lookup per document), then
-- that write's calculation's head row: both CTEs materialized, so the lookup runs once per
-- document and the sums read the same rows. Returns the SQL and its arguments.
local function latest_writes(doc_type, from, to, region, range)
  local t = doc_table(doc_type)
  local args = { doc_type }
  local latest = "WITH dw AS MATERIALIZED (SELECT d.id, d.currency, d.region, (SELECT max(w2.id) FROM writebacks w2 " ..
    "WHERE w2.doc_type = ? AND w2.doc_id = d.id AND w2.outcome = 'written') AS wid FROM " .. t .. " d " ..
    "WHERE " .. M.doc_dates(doc_type, from, to, range, args) ..
    " AND d.deleted = 0 AND d.tax_status IS DISTINCT FROM 'drift'), " ..
    "l AS MATERIALIZED (SELECT dw.id, dw.currency, COALESCE(h.region, dw.region) AS region, h.calculation_id, " ..
    "h.readable, h.result_object, h.total_taxable, h.total_taxable_minor, h.total_taxable_scale " ..
    "FROM dw JOIN writebacks w ON w.id = dw.wid JOIN rillet_calc_heads h ON h.calculation_id = w.calculation_id " ..
    "WHERE h.has_result = 1"
  latest = latest .. region_cond(region, "COALESCE(h.region, dw.region)", "h.ship_state", args) .. ") "
  return latest, args
end

-- A summed row that cannot stand for its documents (the caller then decodes them): one of them
-- flagged it (r.bad), its currency is not an ISO code levy knows, or an amount's decimals (lo:
-- fewest, hi: most; 99 / -99 none seen) are not the currency's exponent. exps caches exponents.
local function summed_row_bad(r, exps)
  local cur = r.currency
  local e = exps[cur or ""]
  if e == nil then
    e = type(cur) == "string" and cur:match("^%u%u%u$") and money.exponent(cur) or false
    exps[cur or ""] = e
  end
  return (r.bad or 0) > 0 or not e or (r.lo ~= 99 and r.lo ~= e) or (r.hi ~= -99 and r.hi ~= e)
end

function M.collected_sums_sql(doc_type, from, to, region, range)
  local latest, args = latest_writes(doc_type, from, to, region, range)
  -- rillet_calc_taxes holds a row per line reason, authority code and rate: n counts tax rows;
  -- sums are CAST to BIGINT (PostgreSQL's sum of a BIGINT is a NUMERIC); lo / hi: the fewest
  -- and most decimals seen (99 / -99: none), checked against the currency's exponent below
  local all = rows(latest .. "SELECT 'g' AS kind, l.currency AS currency, l.region AS region, " ..
    "x.jurisdiction AS jurisdiction, x.level AS level, x.type AS type, " ..
    "min(x.authority_code) AS code_min, max(x.authority_code) AS code_max, " ..
    "CAST(sum(CASE WHEN x.authority_code IS NOT NULL THEN x.n ELSE 0 END) AS BIGINT) AS n_code, " ..
    "CAST(sum(x.n) AS BIGINT) AS n, CAST(sum(x.taxable) AS BIGINT) AS taxable, " ..
    "CAST(sum(x.amount) AS BIGINT) AS tax, count(DISTINCT l.id) AS docs, " ..
    "CAST(sum(CASE WHEN x.amount IS NULL OR x.taxable_missing > 0 OR x.jurisdiction IS NULL " ..
    "OR x.level IS NULL OR x.type IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS bad, " ..
    "min(x.dp_lo) AS lo, max(x.dp_hi) AS hi " ..
    "FROM l JOIN rillet_calc_taxes x ON x.calculation_id = l.calculation_id " ..
    "GROUP BY l.currency, l.region, x.jurisdiction, x.level, x.type " ..
    -- per currency: the documents and their total_taxable (decimals -1: present, not canonical)
    "UNION ALL SELECT 't', l.currency, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, " ..
    "CAST(sum(COALESCE(l.total_taxable_minor, 0)) AS BIGINT), NULL, count(*), " ..
    "CAST(sum(CASE WHEN l.currency IS NULL OR l.region IS NULL OR l.readable <> 1 OR l.result_object <> 1 " ..
    "THEN 1 ELSE 0 END) AS BIGINT), " ..
    "min(CASE WHEN l.total_taxable IS NULL THEN 99 WHEN l.total_taxable_minor IS NULL THEN -1 " ..
    "ELSE l.total_taxable_scale END), " ..
    "max(CASE WHEN l.total_taxable IS NULL THEN -99 WHEN l.total_taxable_minor IS NULL THEN -1 " ..
    "ELSE l.total_taxable_scale END) " ..
    "FROM l GROUP BY l.currency", table.unpack(args))
  local groups, totals, bad, exps = {}, {}, 0, {}
  for _, r in ipairs(all) do
    if summed_row_bad(r, exps) then bad = bad + 1 end
    local kind = r.kind
    r.kind, r.lo, r.hi = nil, nil, nil
    if kind == "g" then groups[#groups + 1] = r else totals[#totals + 1] = r end
  end
  return groups, totals, bad
end

-- collected_sums_sql's answer from the sums kept on write (filing_sums.lua, the kinds ltot /
-- ltax / lcode: issue 20, the liability report for a year of 100,000 documents did not fit a
-- request's budget) for the whole months of [from, to], and from collected_sums_sql for a
-- month the range covers only in part; collected_sums_sql alone while the kept sums are not
-- complete or a document of those months has a date that is not a day of its month. The same
-- answer either way (spec liab_sums_spec.lua compares them).
local function month_range(from, to)
  if type(from) ~= "string" or type(to) ~= "string" or not from:match("^%d%d%d%d%-%d%d%-%d%d$") or
      not to:match("^%d%d%d%d%-%d%d%-%d%d$") or from > to then
    return nil
  end
  local m1, m2 = from:sub(1, 7), to:sub(1, 7)
  local head, tail
  local function last(m)
    local y, mo = m:match("^(%d%d%d%d)%-(%d%d)$")
    return string.format("%s-%02d", m, filing_sums.last_day(tonumber(y), tonumber(mo)))
  end
  local function step(m, d)
    local y, mo = m:match("^(%d%d%d%d)%-(%d%d)$")
    y, mo = tonumber(y), tonumber(mo) + d
    if mo == 13 then y, mo = y + 1, 1 elseif mo == 0 then y, mo = y - 1, 12 end
    return string.format("%04d-%02d", y, mo)
  end
  if from ~= m1 .. "-01" then head = { from, to < last(m1) and to or last(m1) } end
  if to ~= last(m2) and not (head and m1 == m2) then tail = { m2 .. "-01", to } end
  if head then m1 = step(m1, 1) end
  if tail then m2 = step(m2, -1) end
  return m1, m2, head, tail
end

function M.collected_sums(doc_type, from, to, region)
  local m1, m2, head, tail = month_range(from, to)
  if not m1 then return M.collected_sums_sql(doc_type, from, to, region) end
  -- a province's documents are chosen by their calculation's ship-to (region_filter), which the
  -- kept sums do not carry: summed from the rows
  local scope = region_filter.scope(region)
  if scope and scope.state then return M.collected_sums_sql(doc_type, from, to, region) end
  local groups, totals, bad = {}, {}, 0
  if m1 <= m2 then
    -- the odd-date guard over every month the range touches (a part month too)
    local g, t, b = filing_sums.read_liability(doc_type, m1, m2, region)
    if not g then return M.collected_sums_sql(doc_type, from, to, region) end
    local o = store.row("SELECT count(*) AS n FROM rillet_liab_docs WHERE odd = 1 AND month >= ? AND month <= ?",
      from:sub(1, 7), to:sub(1, 7))
    if o and o.n > 0 then return M.collected_sums_sql(doc_type, from, to, region) end
    groups, totals, bad = g, t, b
  end
  if not head and not tail then return groups, totals, bad end
  -- the part months' rows merged into the kept months' (a group's documents are disjoint)
  local gi, ti = {}, {}
  local function gkey(r)
    return table.concat({ tostring(r.currency), tostring(r.region), tostring(r.jurisdiction), tostring(r.level),
                          tostring(r.type) }, "\0")
  end
  for _, g in ipairs(groups) do gi[gkey(g)] = g end
  for _, t in ipairs(totals) do ti[tostring(t.currency)] = t end
  local function lo(a, b) if a == nil then return b elseif b == nil then return a end return a < b and a or b end
  local function hi(a, b) if a == nil then return b elseif b == nil then return a end return a > b and a or b end
  -- not ipairs({ head, tail }): with no head it ends at once and the tail month was dropped
  -- (a year to date, 1 January to today, lost the current month)
  for _, seg in ipairs(head and { head, tail } or { tail }) do
    if seg then
      local sg, st, sb = M.collected_sums_sql(doc_type, seg[1], seg[2], region)
      bad = bad + sb
      for _, r in ipairs(sg) do
        local g = gi[gkey(r)]
        if not g then
          gi[gkey(r)] = r
          groups[#groups + 1] = r
        else
          g.code_min, g.code_max = lo(g.code_min, r.code_min), hi(g.code_max, r.code_max)
          g.n_code, g.n, g.taxable = (g.n_code or 0) + (r.n_code or 0), (g.n or 0) + (r.n or 0), g.taxable + r.taxable
          g.tax, g.docs, g.bad = (g.tax or 0) + (r.tax or 0), g.docs + r.docs, (g.bad or 0) + (r.bad or 0)
        end
      end
      for _, r in ipairs(st) do
        local t = ti[tostring(r.currency)]
        if not t then
          ti[tostring(r.currency)] = r
          totals[#totals + 1] = r
        else
          t.docs, t.taxable = t.docs + r.docs, t.taxable + r.taxable
        end
      end
    end
  end
  return groups, totals, bad
end

-- The EU One-Stop-Shop return's sums (issue 20, the reports plugin's GET /v1/reports/oss) of
-- the accepted writes not in drift (the caller restates those from what Rillet holds), from the
-- figure rows (rillet_calc_taxes), so no stored JSON is decoded: per currency, member state of
-- consumption (the tax row's authority code, else its jurisdiction) and rate as written, the
-- taxed rows (reason standard_rated, reduced_rated or partially_taxable) summed exactly in
-- minor units. Returns groups {currency, ms, rate, name_min, name_max, n_noname, n, n_reduced,
-- taxable, tax, docs}, docs (how many documents have a taxed row) and bad (> 0: some amount is missing
-- or not a decimal string with its currency's decimals, a document has no currency or its
-- result is not a readable object: the caller decodes the results instead).
local OSS_TAXED = "('standard_rated', 'reduced_rated', 'partially_taxable')"
function M.oss_sums(doc_type, from, to, region)
  local latest, args = latest_writes(doc_type, from, to, region)
  local all = rows(latest .. "SELECT 'g' AS kind, l.currency AS currency, " ..
    "COALESCE(x.authority_code, x.jurisdiction) AS ms, x.rate AS rate, " ..
    "min(x.jurisdiction) AS name_min, max(x.jurisdiction) AS name_max, " ..
    "CAST(sum(CASE WHEN x.jurisdiction IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS n_noname, CAST(sum(x.n) AS BIGINT) AS n, " ..
    "CAST(sum(CASE WHEN x.reason = 'reduced_rated' THEN x.n ELSE 0 END) AS BIGINT) AS n_reduced, " ..
    "CAST(sum(x.taxable) AS BIGINT) AS taxable, CAST(sum(x.amount) AS BIGINT) AS tax, " ..
    "count(DISTINCT l.id) AS docs, " ..
    "CAST(sum(CASE WHEN x.amount IS NULL OR x.rate IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS bad, " ..
    "min(x.dp_lo) AS lo, max(x.dp_hi) AS hi " ..
    "FROM l JOIN rillet_calc_taxes x ON x.calculation_id = l.calculation_id " ..
    "WHERE x.reason IN " .. OSS_TAXED .. " " ..
    "GROUP BY l.currency, COALESCE(x.authority_code, x.jurisdiction), x.rate " ..
    -- the documents with a taxed row, and any whose figures cannot stand for its result
    "UNION ALL SELECT 't', NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, " ..
    "count(DISTINCT CASE WHEN x.reason IN " .. OSS_TAXED .. " THEN l.id END), " ..
    "CAST(sum(CASE WHEN l.currency IS NULL OR l.readable <> 1 OR l.result_object <> 1 THEN 1 ELSE 0 END) " ..
    "AS BIGINT), 99, -99 " ..
    "FROM l LEFT JOIN rillet_calc_taxes x ON x.calculation_id = l.calculation_id", table.unpack(args))
  local groups, docs, bad, exps = {}, 0, 0, {}
  for _, r in ipairs(all) do
    if r.kind == "t" then
      docs, bad = r.docs or 0, bad + (r.bad or 0)
    else
      if summed_row_bad(r, exps) then bad = bad + 1 end
      r.kind, r.lo, r.hi, r.bad = nil, nil, nil, nil
      groups[#groups + 1] = r
    end
  end
  return groups, docs, bad
end

-- x is text holding a zero amount ("0", "0.00", "-0.0") (nc_docs.lua: the candidates' condition reads it too)
local zero_sql = nc_docs.zero_sql


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
-- range (optional): one part of the period in (doc_date, id) order (M.doc_dates: the sums
-- check's parts); within(dt, args) (optional): more conditions on the type's documents
-- (d.doc_date, d.id), their arguments appended to args, and the inner ORDER BY / LIMIT (a chunk
-- of documents in the report's order: filing_chunk); a third value true: those conditions
-- bound the documents' dates themselves, [from, to] is not added (a chunk's keysets as the
-- index range's ends: chunk_bounds)
local function filing_parts(from, to, drift_only, range, within)
  local parts, args, pargs = {}, {}, {}
  for _, dt in ipairs({ "invoice", "credit_memo" }) do
    local a, wa = {}, {}
    local dates = M.doc_dates(dt, from, to, range, a)
    local more, tail, own = "", " LIMIT 9223372036854775807", false
    if within then more, tail, own = within(dt, wa) end
    if own then
      dates, a, more = more:gsub("^ AND ", "", 1), wa, ""
    else
      for _, v in ipairs(wa) do a[#a + 1] = v end
    end
    -- one pass per type: the latest accepted write (wid) decides the basis and the calculation
    local written = "(SELECT max(w2.id) FROM writebacks w2 WHERE w2.doc_type = '" .. dt ..
      "' AND w2.doc_id = d.id AND w2.outcome = 'written')"
    parts[#parts + 1] = "SELECT '" .. dt .. "' AS type, d.id AS id, d.number AS number, d.doc_date AS doc_date, " ..
      "COALESCE(d.currency, h.result_currency) AS currency, COALESCE(h.region, d.region, h.result_region) AS region, " ..
      "CASE WHEN d.wid IS NULL THEN 'no_tax_due' ELSE 'collected' END AS basis, h.calculation_id AS calculation_id, " ..
      "w.attempted_at AS written_at, d.tax_status AS tax_status, h.readable AS readable, h.ship_state AS ship_state, " ..
      "CASE WHEN d.wid IS NOT NULL AND d.tax_status = 'drift' THEN (SELECT r.rillet_tax FROM reconciliation r " ..
      "WHERE r.doc_type = '" .. dt .. "' AND r.doc_id = d.id ORDER BY r.id DESC LIMIT 1) END AS rillet_tax " ..
      "FROM (SELECT d.id, d.number, d.doc_date, d.currency, d.region, d.tax_status, d.calculation_id, " .. written ..
      -- drift_only (the documents the report restates): read on the (tax_status) index
      -- (migration 0022), so the few in drift, not every kept not-collected candidate of the
      -- period (issue 20: 30,000 in a year at 1,000,000 documents)
      " AS wid FROM " .. DOC_TABLE[dt] .. " d WHERE " .. (drift_only and "d.tax_status = 'drift' AND " or "") ..
      dates .. " AND d.deleted = 0" .. more ..
      -- LIMIT: not flattened into the join, so wid is looked up once per document (the
      -- largest BIGINT, not -1: PostgreSQL refuses a negative LIMIT)
      tail .. ") d " ..
      "LEFT JOIN writebacks w ON w.id = d.wid " ..
      "JOIN rillet_calc_heads h ON h.calculation_id = (CASE WHEN d.wid IS NULL THEN d.calculation_id " ..
      "ELSE w.calculation_id END) WHERE h.has_result = 1 AND (d.wid IS NOT NULL OR " .. zero_sql("h.total_tax") .. ")"
    for _, v in ipairs(a) do args[#args + 1] = v end
    pargs[#pargs + 1] = a
  end
  -- args: every part's in order; pargs: each part's own
  return parts, args, pargs
end

local function filing_relation(from, to, drift_only, within)
  local parts, args = filing_parts(from, to, drift_only, nil, within)
  -- restate as 1/0 (a comparison's value is a boolean on PostgreSQL); rillet_tax is a TEXT
  -- column, so "is text" is "is not NULL"
  return "f AS (SELECT f0.*, CASE WHEN f0.basis = 'collected' AND f0.tax_status IS NOT DISTINCT FROM 'drift' AND " ..
    "f0.rillet_tax IS NOT NULL THEN 1 ELSE 0 END AS restate FROM (" .. table.concat(parts, " UNION ALL ") ..
    ") f0)", args
end

-- A keyset {date, type, id} as a condition on one type's documents (d.doc_date, d.id) in the
-- report's order (date, type, id; a credit memo before an invoice of the same date): op ">"
-- (after it) or "<=" (up to it); its arguments appended to args. Ids are compared only within
-- a type, in SQL (the store's collation), never in Lua.
local function key_cond(dt, key, op, args)
  args[#args + 1] = key[1]
  if key[2] == dt then
    args[#args + 1] = key[3]
    return " AND (d.doc_date, d.id) " .. op .. " (?, ?)"
  end
  if op == ">" then return " AND d.doc_date " .. (dt < key[2] and ">" or ">=") .. " ?" end
  return " AND d.doc_date " .. (dt < key[2] and "<=" or "<") .. " ?"
end

-- Documents read a chunk at a time by a page (issue 20: the drill-down read the whole
-- period's relation for every page, 590 ms a page at 100,000 documents, 6.5 s at 1M, and the
-- export's cost grew with the square of its documents), and documents a bounded count reads.
M.CHUNK = 500 -- documents of each type a page reads at a time (a spec sets fewer)
-- a page stops reading more chunks once this share (per mille) of the call's budget is spent:
-- it answers fewer documents and a keyset to go on from instead of running past the budget
local PAGE_BUDGET_SHARE = 400

-- The conditions on type dt's documents (d.doc_date, d.id) after the keyset `after` (nil:
-- from `from`) up to the keyset `upto` (nil: to `to`), its arguments appended to args. A
-- keyset is the index range's end itself, not a filter inside a range of dates (issue 20,
-- export22: with both, SQLite sought the report index (doc_date, id, ...) by the date alone,
-- so a chunk of the 1M bench store's day of 830,000 documents read the day from its first
-- document, or to its last, in each of a run's four statements: 1.3 ms of CPU a document).
local function chunk_bounds(dt, from, to, after, upto, args)
  local w
  if after and after[1] >= from then
    w = key_cond(dt, after, ">", args)
  else
    args[#args + 1] = from
    w = " AND d.doc_date >= ?" .. (after and key_cond(dt, after, ">", args) or "")
  end
  if upto and upto[1] <= to then return w .. key_cond(dt, upto, "<=", args) end
  args[#args + 1] = to
  return w .. " AND d.doc_date <= ?" .. (upto and key_cond(dt, upto, "<=", args) or "")
end

-- The keyset of the CHUNK-th document of type dt after `after` in [from, to] (the end of the
-- chunk a page reads of it), or nil when fewer are left: an index, no row read.
local function chunk_end(dt, from, to, after)
  local args = {}
  local sql = "SELECT d.doc_date AS doc_date, d.id AS id FROM " .. DOC_TABLE[dt] .. " d WHERE d.deleted = 0" ..
    chunk_bounds(dt, from, to, after, nil, args) .. " ORDER BY d.doc_date, d.id LIMIT 1 OFFSET " .. (M.CHUNK - 1)
  local r = trace_row(sql, table.unpack(args))
  return r and { r.doc_date, dt, r.id }
end

-- the earlier of two keysets of different types, or of one and nil (nil: no end); dates are
-- ISO text (byte order is date order), and at one date a credit memo comes first
local function earlier(a, b)
  if not a then return b end
  if not b then return a end
  if a[1] ~= b[1] then return a[1] < b[1] and a or b end
  return a[2] < b[2] and a or b
end

-- A page of the filing report's documents (filing_relation), in the report's order (date,
-- type, id). opts: region, after = {date, type, id} (keyset: the page after that document),
-- limit, regions (a list) with regions_in (true: only those regions, false: all others),
-- jurisdiction (only documents with a tax line of that jurisdiction), restate (true: only the
-- documents in drift; false: all others; nil: all), audit (true: each row also carries its
-- calculation's request and created_at as calculated_at, read in the same join as its
-- result, not by a second query of the page's ids), count (true: answer the number of
-- documents, not rows; with count_max: at most that many documents are read, and a second
-- value says whether the number is exact — false: there are at least that many). Rows: f's
-- columns and result (the stored result's text). With a limit (and restate not true), a
-- second value: the keyset to pass as `after` for the next page (nil: no more documents); the
-- documents are read CHUNK of each type at a time, up to the limit or PAGE_BUDGET_SHARE of
-- the call's budget, so a page may hold fewer than limit documents and still have a next.
function M.filing_documents(from, to, opts)
  opts = opts or {}
  if opts.after and type(opts.after[1]) == "string" and opts.after[1] > from then from = opts.after[1] end
  -- the relation with `within` and the filters of opts (the keyset too unless done within)
  local function relation(rfrom, within, keyset_within, rto)
    -- only the documents in drift: chosen on the index (tax_status), not by walking every document
    local rel, args = filing_relation(rfrom, rto or to, opts.restate == true, within)
    local where = {}
    if opts.region then where[#where + 1] = region_cond(opts.region, "f.region", "f.ship_state", args, "") end
    if opts.regions then -- regions_in: only these regions; else every region (and none) but these
      if #opts.regions == 0 then
        where[#where + 1] = opts.regions_in and "1 = 0" or "1 = 1"
      else -- IN (?, ...), not json_each (SQLite only; issue 22): a few regions
        where[#where + 1] = (opts.regions_in and "" or "(f.region IS NULL OR ") .. "f.region " ..
          (opts.regions_in and "IN" or "NOT IN") .. " (?" .. string.rep(", ?", #opts.regions - 1) .. ")" ..
          (opts.regions_in and "" or ")")
        for _, r in ipairs(opts.regions) do args[#args + 1] = r end
      end
    end
    if opts.after and not keyset_within then
      where[#where + 1] = "(f.doc_date, f.type, f.id) > (?, ?, ?)"
      args[#args + 1] = opts.after[1]; args[#args + 1] = opts.after[2]; args[#args + 1] = opts.after[3]
    end
    if opts.jurisdiction then
      where[#where + 1] = "EXISTS (SELECT 1 FROM rillet_calc_taxes t WHERE t.calculation_id = f.calculation_id " ..
        "AND t.jurisdiction = ?)"
      args[#args + 1] = opts.jurisdiction
    end
    if opts.restate ~= nil then where[#where + 1] = opts.restate and "f.restate = 1" or "f.restate = 0" end
    return rel, args, #where > 0 and (" WHERE " .. table.concat(where, " AND ")) or ""
  end
  local function page_rows(rel, w, args, limit)
    local page = "SELECT f.* FROM f" .. w .. " ORDER BY f.doc_date, f.type, f.id"
    if limit then page = page .. " LIMIT ?"; args[#args + 1] = limit end
    return rows("WITH " .. rel .. ", k AS (" .. page ..
      ") SELECT k.type, k.id, k.number, k.doc_date, k.currency, " ..
      "k.region, k.basis, k.calculation_id, c.result, k.written_at, k.tax_status, k.rillet_tax, k.restate" ..
      (opts.audit and ", c.request AS request, c.created_at AS calculated_at" or "") .. " FROM k " ..
      "JOIN calculations c ON c.id = k.calculation_id ORDER BY k.doc_date, k.type, k.id", table.unpack(args))
  end
  local relabel = function(list) return region_filter.relabel(region_filter.scope(opts.region), list, { "region" }) end
  if opts.count and opts.count_max and opts.restate ~= true then
    -- a bounded count: the first count_max + 1 documents of each type (in no order), each
    -- through the relation; exact when neither type has more
    local cap, capped = opts.count_max + 1, false
    for _, dt in ipairs({ "invoice", "credit_memo" }) do
      local args = { from, to }
      local r = trace_row("SELECT count(*) AS n FROM (SELECT 1 AS x FROM " .. DOC_TABLE[dt] .. " d WHERE d.doc_date >= ? " ..
        "AND d.doc_date <= ? AND d.deleted = 0" .. (opts.after and key_cond(dt, opts.after, ">", args) or "") ..
        " LIMIT " .. cap .. ") s", table.unpack(args))
      if r and r.n >= cap then capped = true end
    end
    local rel, args, w = relation(from, function(dt, a)
      return opts.after and key_cond(dt, opts.after, ">", a) or "", " LIMIT " .. cap
    end, true)
    local r = trace_row("WITH " .. rel .. " SELECT count(*) AS n FROM f" .. w, table.unpack(args))
    return r and r.n or 0, not capped
  end
  if opts.count then
    local rel, args, w = relation(from)
    local r = trace_row("WITH " .. rel .. " SELECT count(*) AS n FROM f" .. w, table.unpack(args))
    return r and r.n or 0
  end
  if not opts.limit or opts.restate == true then
    local rel, args, w = relation(from)
    return relabel(page_rows(rel, w, args, opts.limit))
  end
  -- a chunk at a time: up to the earlier of the two types' chunk ends (the frontier), the
  -- documents of both types after the keyset, sorted and limited (at most 2 x CHUNK read)
  local out, after = {}, opts.after
  while true do
    -- the dates bound the index range (the keysets' row values only filter inside it: at 1M
    -- documents a quarter's range read through them was past the budget), so a chunk reads
    -- from the keyset's date to the frontier's, never from the period's first day
    local lo = after and after[1] > from and after[1] or from
    local frontier = earlier(chunk_end("invoice", lo, to, after), chunk_end("credit_memo", lo, to, after))
    local rel, args, w = relation(lo, function(dt, a)
      return chunk_bounds(dt, lo, to, after, frontier, a), " LIMIT 9223372036854775807", true
    end, true)
    local got = page_rows(rel, w, args, opts.limit - #out)
    for _, r in ipairs(got) do out[#out + 1] = r end
    if #out >= opts.limit then
      local l = out[#out]
      return relabel(out), { l.doc_date, l.type, l.id }
    end
    if not frontier then return relabel(out), nil end
    after = frontier
    if time.budget_used() >= PAGE_BUDGET_SHARE then return relabel(out), after end
  end
end

-- The filing report's sums in SQL (issue 20, reportperf II: a year of documents without Lua
-- work per document), over filing_relation's documents not in drift (restate = 0: the caller
-- restates those from what Rillet holds), per month (YYYY-MM of the document's date), type,
-- region and currency, in exact minor units of the currency, from the integer columns of
-- rillet_calc_sales (per calculation and line reason) and rillet_calc_taxes (migration 0013: the
-- stored results' figures, written by calc_rows.lua with each calculation, so no JSON is read
-- here). The same SQL on SQLite and PostgreSQL (issue 22): the distinct rates of a taxes row
-- come as rows of their own (kind 'rates', no json_group_array) and are joined into its
-- `rates` here.
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
function M.filing_sums_sql(from, to, region, untaxed, range)
  -- fm: the documents not restated (restate = 0), one part per type (filing_parts), written
  -- once (MATERIALIZED) and read by the parts below. Not built over filing_relation's `f`: a
  -- compound SELECT in a CTE is itself materialized, so every document was written twice
  -- (issue 20: at 10,000 invoices the summary's SQL alone was over a request's budget).
  local parts, _, pargs = filing_parts(from, to, false, range)
  local fparts, args = {}, {}
  for i, part in ipairs(parts) do
    fparts[i] = "SELECT f.id, f.calculation_id, substr(f.doc_date, 1, 7) AS month, f.type, f.region, f.currency, " ..
      "CASE WHEN f.region IS NULL OR " ..
      -- the date is YYYY-MM-DD... (digits where digits go; no GLOB on PostgreSQL)
      "f.currency IS NULL OR length(f.doc_date) < 10 OR substr(f.doc_date, 5, 1) <> '-' OR " ..
      "substr(f.doc_date, 8, 1) <> '-' OR ltrim(substr(f.doc_date, 1, 4) || substr(f.doc_date, 6, 2) || " ..
      "substr(f.doc_date, 9, 2), '0123456789') <> '' OR f.readable = 0 THEN 1 ELSE 0 END AS bad FROM (" .. part ..
      ") f WHERE NOT (f.basis = 'collected' AND f.tax_status IS NOT DISTINCT FROM 'drift' AND " ..
      "f.rillet_tax IS NOT NULL)"
    for _, v in ipairs(pargs[i]) do args[#args + 1] = v end
    fparts[i] = fparts[i] .. region_cond(region, "f.region", "f.ship_state", args)
  end
  local nfm = #args
  untaxed = untaxed or {}
  for _, u in ipairs(untaxed) do args[#args + 1] = u end
  local untaxed_in = #untaxed == 0 and "1 = 0" or ("t.reason IN (?" .. string.rep(", ?", #untaxed - 1) .. ")")
  -- one statement: the documents (fm) are chosen once and read by the three parts; the
  -- decimals of the amounts come back as the fewest and most per group (99 / -99: none),
  -- checked against the currency's exponent below
  local key = "fm.month, fm.type, fm.region, fm.currency"
  local with_fm = "WITH fm AS MATERIALIZED (" .. table.concat(fparts, " UNION ALL ") .. ") "
  local all = rows(with_fm .. "SELECT 'docs' AS kind, " .. key .. ", NULL AS reason, NULL AS jurisdiction, NULL AS level, NULL AS tax_type, " ..
    "NULL AS authority_code, count(*) AS n, CAST(NULL AS BIGINT) AS sale, CAST(NULL AS BIGINT) AS taxable, " ..
    -- typed NULLs: PostgreSQL types an untyped NULL of the first two parts as text
    "CAST(NULL AS BIGINT) AS tax, NULL AS rates, " ..
    "CAST(sum(fm.bad) AS BIGINT) AS bad, 99 AS lo, -99 AS hi, NULL AS rate_lo, NULL AS rate_hi, 0 AS n_rates " ..
    "FROM fm GROUP BY 2, 3, 4, 5 " ..
    "UNION ALL SELECT 'lines', " .. key .. ", s.reason, NULL, NULL, NULL, NULL, CAST(sum(s.lines) AS BIGINT), " ..
    "CAST(sum(s.amount - s.discount) AS BIGINT), CAST(sum(s.taxable) AS BIGINT), CAST(NULL AS BIGINT), NULL, 0, " ..
    "min(s.dp_lo), " ..
    "max(s.dp_hi), NULL, NULL, 0 " ..
    "FROM fm JOIN rillet_calc_sales s ON s.calculation_id = fm.calculation_id GROUP BY 2, 3, 4, 5, 6 " ..
    "UNION ALL SELECT 'taxes', " .. key .. ", NULL, t.jurisdiction, t.level, t.type, t.authority_code, " ..
    "count(DISTINCT fm.id), CAST(NULL AS BIGINT), CAST(sum(CASE WHEN " .. untaxed_in .. " " ..
    "THEN 0 ELSE t.taxable END) AS BIGINT), CAST(sum(t.amount) AS BIGINT), NULL, " ..
    "CAST(sum(CASE WHEN t.amount IS NULL THEN 1 ELSE 0 END) AS BIGINT), min(t.dp_lo), max(t.dp_hi), " ..
    "min(t.rate) AS rate_lo, max(t.rate) AS rate_hi, count(DISTINCT t.rate) AS n_rates " ..
    "FROM fm JOIN rillet_calc_taxes t ON t.calculation_id = fm.calculation_id GROUP BY 2, 3, 4, 5, 7, 8, 9, 10",
    table.unpack(args))
  -- the distinct rates of each taxes row, as the JSON array it carries
  local function tkey(r)
    local k = {}
    for i, f in ipairs({ "month", "type", "region", "currency", "jurisdiction", "level", "tax_type",
                         "authority_code" }) do
      k[i] = r[f] == nil and "\1" or ("\2" .. tostring(r[f]))
    end
    return table.concat(k, "\0")
  end
  -- the taxes rows carry their fewest and most rate and the number of distinct rates (the
  -- same pass over the tax rows): with at most two, those are the rates; only a group with
  -- more (a jurisdiction taxed at three rates in a month) has its rates read in a second
  -- statement, as rows of their own (no json_group_array on PostgreSQL)
  local rates, more = {}, false
  for _, r in ipairs(all) do
    if r.kind == "taxes" then
      if (r.n_rates or 0) > 2 then more = true end
      local list = {}
      if (r.n_rates or 0) >= 1 then list[1] = r.rate_lo end
      if (r.n_rates or 0) == 2 then list[2] = r.rate_hi end
      rates[tkey(r)] = list
    end
  end
  if more then
    rates = {}
    local rargs = { table.unpack(args, 1, nfm) }
    for _, r in ipairs(rows(with_fm .. "SELECT DISTINCT fm.month, fm.type, fm.region, fm.currency, " ..
        "t.jurisdiction, t.level, t.type AS tax_type, t.authority_code, t.rate FROM fm " ..
        "JOIN rillet_calc_taxes t ON t.calculation_id = fm.calculation_id WHERE t.rate IS NOT NULL",
        table.unpack(rargs))) do
      local k = tkey(r)
      rates[k] = rates[k] or {}
      table.insert(rates[k], r.rate)
    end
  end
  local out = { docs = {}, lines = {}, taxes = {}, bad = 0 }
  local exps = {}
  for _, r in ipairs(all) do
    if r.kind == "taxes" then
      local list = rates[tkey(r)] or {}
      table.sort(list)
      r.rates = json.encode(json.array(list))
    end
    r.rate_lo, r.rate_hi, r.n_rates = nil, nil, nil
    if summed_row_bad(r, exps) then out.bad = out.bad + 1 end
    if r.kind ~= "lines" then r.docs = r.n end
    if r.reason == "" then r.reason = nil end
    local list = out[r.kind]
    list[#list + 1] = r
  end
  return out
end

-- The filing report's sums (filing_sums_sql's answer) from the sums kept on write
-- (filing_sums.lua, migration 0017: issue 20, a year of 10,000 or 50,000 documents within a
-- request's budget) for the whole months of [from, to], and from filing_sums_sql for a month
-- the range covers only in part; filing_sums_sql alone while the kept sums are not complete
-- (the rebuild after the migration) or a document of those months has a date that is not a day
-- of its month. The same answer either way (reliab_filing_sums compares them).
local function month_of(d) return d:sub(1, 7) end
local function month_first(m) return m .. "-01" end
local function month_last(m)
  local y, mo = m:match("^(%d%d%d%d)%-(%d%d)$")
  return string.format("%s-%02d", m, filing_sums.last_day(tonumber(y), tonumber(mo)))
end
local function next_month(m)
  local y, mo = m:match("^(%d%d%d%d)%-(%d%d)$")
  y, mo = tonumber(y), tonumber(mo) + 1
  if mo == 13 then y, mo = y + 1, 1 end
  return string.format("%04d-%02d", y, mo)
end
local function prev_month(m)
  local y, mo = m:match("^(%d%d%d%d)%-(%d%d)$")
  y, mo = tonumber(y), tonumber(mo) - 1
  if mo == 0 then y, mo = y - 1, 12 end
  return string.format("%04d-%02d", y, mo)
end

function M.filing_sums(from, to, region, untaxed)
  if type(from) ~= "string" or type(to) ~= "string" or not from:match("^%d%d%d%d%-%d%d%-%d%d$") or
      not to:match("^%d%d%d%d%-%d%d%-%d%d$") or from > to then
    return M.filing_sums_sql(from, to, region, untaxed)
  end
  -- whole months m1..m2; a part month at either end from the rows
  local m1, m2 = month_of(from), month_of(to)
  local head, tail
  if from ~= month_first(m1) then head = { from, to < month_last(m1) and to or month_last(m1) } end
  if to ~= month_last(m2) and not (head and m1 == m2) then tail = { month_first(m2), to } end
  if head then m1 = next_month(m1) end
  if tail then m2 = prev_month(m2) end
  local out
  if m1 <= m2 then
    -- the odd-date guard over every month the range touches (a part month too)
    out = filing_sums.read(m1, m2, region, untaxed)
    if not out then return M.filing_sums_sql(from, to, region, untaxed) end
    local o = store.row("SELECT count(*) AS n FROM rillet_filing_docs WHERE odd = 1 AND month >= ? AND month <= ?",
      month_of(from), month_of(to))
    if o and o.n > 0 then return M.filing_sums_sql(from, to, region, untaxed) end
  else
    out = { docs = {}, lines = {}, taxes = {}, bad = 0 }
  end
  -- not ipairs({ head, tail }): with no head it ends at once and the tail month was dropped
  -- (a year to date, 1 January to today, lost the current month)
  for _, seg in ipairs(head and { head, tail } or { tail }) do
    if seg then
      local s = M.filing_sums_sql(seg[1], seg[2], region, untaxed)
      out.bad = out.bad + s.bad
      for _, kind in ipairs({ "docs", "lines", "taxes" }) do
        for _, r in ipairs(s[kind]) do table.insert(out[kind], r) end
      end
    end
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
-- opts (a page of them, issue 20): after = {date, type, id} (only the documents after it in the
-- report's order: date, type, id), limit; complex = true: only those the reports plugin must
-- decide in Lua (not NC_SIMPLE); sums = true: instead of rows, the simple ones that are listed
-- summed per month, region, currency and what decides their reason (the reports plugin's
-- not_collected_reason: connection_id, own_reason, tax_status, paid) ({month, region, currency,
-- connection_id, own_reason, tax_status, paid, d_min, d_max (the group's first and last date:
-- whether the region collects is asked on both), docs, minor = Σ calculated - written tax,
-- calc_lo, calc_hi, w_lo, w_hi, complex}; minor units when the decimals are the currency's
-- exponent: the caller checks); by_day = true (with sums): per day instead of per month, for a
-- group whose region starts collecting inside its month.
-- A candidate whose listing and amount follow from integer columns alone (the reports
-- plugin's not_collected_row for it reads no result): not in drift, its calculation has a
-- result with a non-zero tax summed from amounts of one scale, the document has a currency,
-- and the written calculation (if any) has no tax rows or amounts of one scale.
-- (1 or 0, never NULL: a CASE, so that "= 0" takes every candidate "= 1" does not)
local NC_SIMPLE = "(CASE WHEN d.tax_status IS DISTINCT FROM 'drift' AND c.has_result = 1 AND c.tax IS NOT NULL AND " ..
  "c.tax <> 0 AND c.tax_lo = c.tax_hi AND c.tax_lo >= 0 AND d.currency IS NOT NULL AND " ..
  "(wc.calculation_id IS NULL OR (wc.tax IS NULL AND wc.tax_lo IS NULL) OR " ..
  "(wc.tax IS NOT NULL AND wc.tax_lo = wc.tax_hi AND wc.tax_lo >= 0)) THEN 1 ELSE 0 END)"

-- NC_SIMPLE over the inner SELECT's columns (not_collected_candidates' sums)
local NC_SIMPLE_X = "(CASE WHEN x.tax_status IS DISTINCT FROM 'drift' AND x.c_has_result = 1 AND x.c_tax IS NOT NULL " ..
  "AND x.c_tax <> 0 AND x.c_tax_lo = x.c_tax_hi AND x.c_tax_lo >= 0 AND x.currency IS NOT NULL AND " ..
  "(x.wc_id IS NULL OR (x.wc_tax IS NULL AND x.wc_tax_lo IS NULL) OR " ..
  "(x.wc_tax IS NOT NULL AND x.wc_tax_lo = x.wc_tax_hi AND x.wc_tax_lo >= 0)) THEN 1 ELSE 0 END)"

-- the same over the middle SELECT's (y: not_collected_candidates' sums)
local NC_SIMPLE_Y = (NC_SIMPLE_X:gsub("%f[%w_]x%.", "y."))

-- A region filter's own taxes in the candidates' tax figures (region_filter.head_taxes: CA-QC
-- compares the QST calculated with the QST written, CA the GST/HST)
local function nc_taxes(region, sql)
  return region_filter.head_taxes(region_filter.scope(region), sql, { "c", "wc" })
end

-- The sums (opts.sums, not by_day) of the whole months of [from, to] from the memo kept per
-- month, region filter and document type (migration 0023: issue 20, a year's ~30,000
-- candidates at 1,000,000 documents were summed again at every report), summed again from the
-- rows for a month whose candidates changed since (nc_docs.bump: its generation moved) and for
-- a month the range covers in part. The rows are the same (they are per month).
local nc_sums_memo
local NC_MEMO_PUT = "INSERT INTO rillet_nc_memo(month, region, doc_type, gen, sums) VALUES (?, ?, ?, ?, ?) " ..
  "ON CONFLICT (month, region, doc_type) DO UPDATE SET gen = excluded.gen, sums = excluded.sums"

function M.not_collected_candidates(doc_type, from, to, region, opts)
  if opts and opts.sums and not opts.by_day and not opts.live then
    return nc_sums_memo(doc_type, from, to, region)
  end
  local t = doc_table(doc_type)
  -- chosen on the kept candidates (nc_docs.lua, migration 0020: read by their date index, each
  -- checked again against its document's live rows) and rillet_calc_heads; the other columns
  -- read for the few chosen. opts.scan: chosen by walking every document of the period instead
  -- (what the kept table stands for: the specs compare the two).
  -- The calculation's error (after its request and result JSON: reading it walks the row's
  -- overflow pages) only for a failed document, the one state the report names it for (reports
  -- handler not_collected_reason); not in an index: free text, and a PostgreSQL B-tree entry
  -- is limited to about 2.7 kB
  local scan = opts and opts.scan
  local from_sql = scan and (" FROM " .. t .. " d " .. nc_docs.joins(doc_type) ..
    "WHERE d.doc_date >= ? AND d.doc_date <= ?") or nc_docs.from_sql(doc_type)
  -- the keyset and order: the kept row's date and id are the document's (from_sql joins them)
  local kd, kid = scan and "d.doc_date" or "k.doc_date", scan and "d.id" or "k.doc_id"
  local sql = "SELECT d.id, d.connection_id, d.number, d.doc_date, d.currency, d.status, d.tax_status, d.last_error, " ..
    "d.calculation_id" .. REASON_COLUMNS .. ", COALESCE(c.region, d.region) AS calc_region, " ..
    "c.total_tax, CASE WHEN d.tax_status = 'failed' THEN (SELECT c2.error FROM calculations c2 " ..
    "WHERE c2.id = d.calculation_id) END AS calc_error, " ..
    "c.has_result, c.tax AS calc_tax, c.tax_lo AS calc_lo, c.tax_hi AS calc_hi, " ..
    "wc.calculation_id AS w_calculation_id, (SELECT c3.result FROM calculations c3 WHERE c3.id = wc.calculation_id) " ..
    "AS w_result, w.attempted_at AS w_attempted_at, COALESCE(wc.region, d.region) AS w_region, " ..
    "wc.tax AS w_tax, wc.tax_lo AS w_lo, wc.tax_hi AS w_hi, " ..
    "(SELECT r.rillet_tax FROM reconciliation r WHERE r.doc_type = '" .. doc_type ..
    "' AND r.doc_id = d.id ORDER BY r.id DESC LIMIT 1) AS rillet_tax" .. from_sql .. " AND " .. nc_docs.COND
  local args = { from, to }
  sql = sql .. region_cond(region, "COALESCE(c.region, d.region)", "c.ship_state", args)
  if opts and opts.complex then sql = sql .. " AND " .. NC_SIMPLE .. " = 0" end
  if opts and opts.sums then
    -- the simple candidates that are listed (their tax differs from the written one), summed
    -- per month, region and currency, with the decimals seen for the caller's check; complex:
    -- the candidates of the group the caller decides in Lua (complex = true)
    -- Each candidate's figures are read once, in an inner SELECT (x; the LIMIT keeps it from
    -- being flattened), and the sums read them from there: with a region filter (CA, a
    -- province: region_filter.head_taxes) every c.tax / wc.tax becomes a subquery over the
    -- calculation's tax rows, and NC_SIMPLE and `listed` name them about forty times a
    -- candidate (issue 20: the federal return's pass of a summary cost four times the
    -- unfiltered one)
    -- NC_SIMPLE_X is computed once a candidate, in a middle SELECT (NC_SIMPLE_Y, the same LIMIT), as
    -- nc_simple: named seven times in the sums it made the statement ~6 kB, and its prepare
    -- (~2 M instructions, once per month, region filter and document type when the memo is
    -- warmed) the largest part of a warming step (issue 21)
    local simple = "x.nc_simple"
    local listed = "(" .. simple .. " = 1 AND x.c_tax <> COALESCE(x.wc_tax, 0))"
    -- the reason's inputs: a reason the document names itself (not empty, not 'written'), its
    -- tax_status, an invoice paid in Rillet, its connection (whose regions decide collecting)
    local own = "CASE WHEN x.reason IS NOT NULL AND x.reason <> '' AND x.reason <> 'written' THEN x.reason END"
    local paid = "CASE WHEN x.status = 'PAID' THEN 1 ELSE 0 END"
    local month = opts.by_day and "x.doc_date" or "substr(x.doc_date, 1, 7)"
    local inner = "SELECT d.doc_date, COALESCE(c.region, d.region) AS region, d.currency, d.connection_id, d.reason, " ..
      "d.tax_status, d.status, c.has_result AS c_has_result, c.tax AS c_tax, c.tax_lo AS c_tax_lo, " ..
      "c.tax_hi AS c_tax_hi, wc.calculation_id AS wc_id, wc.tax AS wc_tax, wc.tax_lo AS wc_tax_lo, " ..
      "wc.tax_hi AS wc_tax_hi" .. sql:sub((sql:find(from_sql, 1, true))) .. " LIMIT 9223372036854775807"
    return rows("SELECT substr(x.doc_date, 1, 7) AS month, x.region AS region, " ..
      "x.currency AS currency, x.connection_id AS connection_id, " .. own .. " AS own_reason, " ..
      "x.tax_status AS tax_status, " .. paid .. " AS paid, min(x.doc_date) AS d_min, max(x.doc_date) AS d_max, " ..
      "CAST(sum(CASE WHEN " .. listed .. " THEN 1 ELSE 0 END) AS BIGINT) AS docs, " ..
      "CAST(sum(CASE WHEN " .. listed .. " THEN x.c_tax - COALESCE(x.wc_tax, 0) ELSE 0 END) AS BIGINT) AS minor, " ..
      "min(CASE WHEN " .. listed .. " THEN x.c_tax_lo END) AS calc_lo, " ..
      "max(CASE WHEN " .. listed .. " THEN x.c_tax_hi END) AS calc_hi, " ..
      "min(CASE WHEN " .. listed .. " THEN x.wc_tax_lo END) AS w_lo, " ..
      "max(CASE WHEN " .. listed .. " THEN x.wc_tax_hi END) AS w_hi, " ..
      "CAST(sum(CASE WHEN " .. simple .. " = 1 THEN 0 ELSE 1 END) AS BIGINT) AS complex FROM (SELECT y.*, " ..
      NC_SIMPLE_Y .. " AS nc_simple FROM (" .. nc_taxes(region, inner) ..
      ") y LIMIT 9223372036854775807) x GROUP BY " .. month .. ", x.region, x.currency, x.connection_id, " .. own ..
      ", x.tax_status, " .. paid, table.unpack(args))
  end
  local after = opts and opts.after
  if after then
    -- (date, type, id) > after: a credit memo comes before an invoice of the same date
    if after[2] == doc_type then
      sql = sql .. " AND (" .. kd .. ", " .. kid .. ") > (?, ?)"; args[#args + 1] = after[1]; args[#args + 1] = after[3]
    elseif doc_type < after[2] then
      sql = sql .. " AND " .. kd .. " > ?"; args[#args + 1] = after[1]
    else
      sql = sql .. " AND " .. kd .. " >= ?"; args[#args + 1] = after[1]
    end
  end
  sql = sql .. " ORDER BY " .. kd .. ", " .. kid
  if opts and opts.limit then sql = sql .. " LIMIT ?"; args[#args + 1] = opts.limit end
  return rows(nc_taxes(region, sql), table.unpack(args))
end


function nc_sums_memo(doc_type, from, to, region)
  local live = { sums = true, live = true }
  local m1, m2, head, tail = month_range(from, to)
  if not m1 then return M.not_collected_candidates(doc_type, from, to, region, live) end
  local out = {}
  local function add(list) for _, r in ipairs(list) do out[#out + 1] = r end end
  if head then add(M.not_collected_candidates(doc_type, head[1], head[2], region, live)) end
  local rk = type(region) == "string" and region:upper() or ""
  -- each month: its generation first (a change committed after it, PostgreSQL, makes what is
  -- summed here stale), then its memo when summed at that generation
  local months, stale = {}, {}
  local m = m1
  while m <= m2 do
    local g = store.row("SELECT gen FROM rillet_nc_months WHERE month = ?", m)
    local gen = g and g.gen or 0
    local memo = store.row("SELECT gen, sums FROM rillet_nc_memo WHERE month = ? AND region = ? AND doc_type = ?", m,
      rk, doc_type)
    local e = { month = m, gen = gen, sums = memo and memo.gen == gen and memo.sums or nil }
    months[#months + 1] = e
    if not e.sums then stale[#stale + 1] = e end
    m = next_month(m)
  end
  -- the stale months summed from the rows, consecutive ones in one statement (as cheap as the
  -- whole range summed at once, as before the memo), each month's rows kept at once (a report
  -- cut off by its budget keeps the months it summed)
  local i = 1
  while i <= #stale do
    local j = i
    while j < #stale and next_month(stale[j].month) == stale[j + 1].month do j = j + 1 end
    local per = {}
    for k = i, j do per[stale[k].month] = {} end
    for _, r in ipairs(M.not_collected_candidates(doc_type, stale[i].month .. "-01", month_last(stale[j].month),
        region, live)) do
      table.insert(per[r.month], r)
    end
    for k = i, j do
      local e = stale[k]
      e.rows = per[e.month]
      local row = { e.month, rk, doc_type, e.gen, json.encode(json.array(e.rows)) }
      if run_memo then
        run_memo[#run_memo + 1] = row
      else
        store.exec(NC_MEMO_PUT, table.unpack(row))
      end
    end
    i = j + 1
  end
  for _, e in ipairs(months) do add(e.rows or json.decode(e.sums)) end
  if tail then add(M.not_collected_candidates(doc_type, tail[1], tail[2], region, live)) end
  return out
end

-- The memo summed again where it is stale or missing (the job rillet.filing_sums, op
-- nc_memo, queued at start and by the schedule's tick): every month that has had candidates, newest first,
-- for no region filter, the federal return and the provinces with a tax of their own (CA,
-- CA-BC, CA-MB, CA-QC, CA-SK: a summary with Canadian documents asks them too, reports
-- handler split_canada) and every filter a report kept; a month a step, the next only while
-- the run has used less than `share` per mille of its budget. Returns true when none is left.
-- The memo rows a run sums are written together, in one transaction that does not wait for the
-- disk (store.replayable, issue 21: one autocommit each waited for an fsync on the loop, ~12 a
-- tick for a month changed): the memo is summed from the documents and a row carries the
-- generation it was summed at, so a row a power loss takes is found stale and summed again. They
-- are written when the run ends (also by an ordinary error), and before a step that starts past
-- half its share: a run cut by its budget (whose writes roll back) loses at most that much work,
-- and its next run starts its cut step with at least 1000 - share / 2 per mille left.
-- (a field so that nc_memo_spec can see the calls; levy.store itself is read-only)
M.replayable = store.replayable

local function put_memo_rows()
  local batch = run_memo
  if not batch or #batch == 0 then return end
  run_memo = {}
  M.replayable(function()
    local st <close> = store.prepare(NC_MEMO_PUT)
    for _, row in ipairs(batch) do st:exec(table.unpack(row)) end
  end)
end

function M.warm_nc_memo(share)
  local todo = {}
  for r in store.query("SELECT m.month, m.gen, f.region, t.doc_type, " ..
      "(SELECT x.gen FROM rillet_nc_memo x WHERE x.month = m.month AND x.region = f.region AND " ..
      "x.doc_type = t.doc_type) AS memo_gen FROM " ..
      -- the months with a generation, and those of kept candidates without one (stored before
      -- migration 0023, or copied in behind levy's back: bench/storeclone.py)
      "(SELECT month, gen FROM rillet_nc_months UNION SELECT DISTINCT substr(k.doc_date, 1, 7), 0 " ..
      "FROM rillet_nc_docs k WHERE NOT EXISTS (SELECT 1 FROM rillet_nc_months n WHERE " ..
      "n.month = substr(k.doc_date, 1, 7))) m " ..
      "CROSS JOIN (SELECT '' AS region UNION SELECT 'CA' UNION SELECT 'CA-BC' UNION SELECT 'CA-MB' UNION " ..
      "SELECT 'CA-QC' UNION SELECT 'CA-SK' UNION SELECT DISTINCT region FROM rillet_nc_memo) f " ..
      "CROSS JOIN (SELECT 'invoice' AS doc_type UNION SELECT 'credit_memo') t ORDER BY m.month DESC") do
    if r.memo_gen ~= r.gen then todo[#todo + 1] = r end
  end
  -- the same statement text for every month of a region filter and document type: prepared
  -- once for the run (issue 21: a prepare was ~1.5 M instructions, and a start with five
  -- months to warm asked 60), closed when the run ends, also by an error
  run_stmts, run_memo = {}, {}
  local ok, res = pcall(function()
    for i, r in ipairs(todo) do
      if i > 1 then
        local used = require("levy.time").budget_used()
        if used >= share then return false end
        if used >= share // 2 then put_memo_rows() end
      end
      nc_sums_memo(r.doc_type, r.month .. "-01", month_last(r.month), r.region ~= "" and r.region or nil)
    end
    return true
  end)
  local stmts = run_stmts
  run_stmts = nil
  for _, st in pairs(stmts) do st:close() end
  local put_ok, put_err = pcall(put_memo_rows)
  run_memo = nil
  if not ok then error(res, 0) end
  if not put_ok then error(put_err, 0) end
  return res
end

-- Documents dated in [from, to], not deleted, with a calculation: the document's state and
-- its current calculation's region, total tax and error (has_result: 1 when it has a result).
function M.calculated_documents(doc_type, from, to, region)
  local t = doc_table(doc_type)
  local sql = "SELECT d.id, d.connection_id, d.number, d.doc_date, d.currency, d.status, d.tax_status, d.last_error, " ..
    "d.calculation_id" .. REASON_COLUMNS .. ", COALESCE(c.region, d.region) AS calc_region, " ..
    "c.total_tax, c.error AS calc_error, CASE WHEN c.result IS NOT NULL THEN 1 ELSE 0 END AS has_result FROM " .. t .. [[ d
    LEFT JOIN calculations c ON c.id = d.calculation_id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ? AND d.calculation_id IS NOT NULL]]
  local args = { from, to }
  sql = sql .. region_cond(region, "COALESCE(c.region, d.region)", HEAD_STATE, args)
  return region_filter.relabel(region_filter.scope(region), rows(sql .. " ORDER BY d.doc_date, d.id",
    table.unpack(args)), { "calc_region" })
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
  -- IN (?, ...) of at most IN_CHUNK ids per query, not json_each (SQLite only; issue 22)
  for first = 1, #list, IN_CHUNK do
    local last = math.min(#list, first + IN_CHUNK - 1)
    local sql = "SELECT id, result, generation, created_at" .. (with_request and ", request" or "") ..
      " FROM calculations WHERE id IN (?" .. string.rep(", ?", last - first) .. ")"
    for row in store.query(sql, table.unpack(list, first, last)) do out[row.id] = row end
  end
  return out
end

-- Documents dated in [since, to], not deleted, with a calculation: {id, number, customer_id,
-- date, currency, country,
-- state (the ship-to of the calculation request), amount (Rillet's net_amount, else the
-- calculation's total_amount)}. Read from rillet_calc_heads (migration 0013, written by
-- calc_rows.lua) and the documents' net_amount column (0014), not from the requests' and
-- documents' JSON.
function M.shipped_documents(doc_type, since, to)
  return rows([[SELECT d.id AS id, d.number AS number, d.customer_id AS customer_id,
      d.doc_date AS date, d.currency AS currency,
      k.ship_country AS country, k.ship_state AS state, COALESCE(d.net_amount, k.total_amount) AS amount
    FROM ]] .. doc_table(doc_type) .. [[ d JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ?]], since, to)
end

-- The exposure report's documents (issue 20: 10,000 invoices within a request's budget):
-- shipped_documents' rows of both types that are USD and shipped to a US state with an amount,
-- with type and state (upper case), in the report's order (state, date, type, id), so the
-- report neither filters nor sorts them in Lua. cols: the columns besides type, date, state,
-- amount; extra: more conditions. (ship_country, ship_state and the amounts are text or NULL:
-- calc_rows.lua and docs.lua keep nothing else.)
local function shipped_us_sql(dt, cols, extra)
  return "SELECT '" .. dt .. "' AS type, " .. cols .. "d.doc_date AS date, upper(k.ship_state) AS state, " ..
    "COALESCE(d.net_amount, k.total_amount) AS amount FROM " .. DOC_TABLE[dt] .. " d " ..
    "JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id " ..
    "WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ? AND d.currency = 'USD' " ..
    "AND upper(k.ship_country) = 'US' AND k.ship_state IS NOT NULL " ..
    "AND COALESCE(d.net_amount, k.total_amount) IS NOT NULL" .. (extra or "")
end

-- state: only that state (upper case), or nil for all.
function M.shipped_us_documents(since, to, state)
  local cols = "d.id AS id, d.number AS number, d.customer_id AS customer_id, "
  local extra = state and " AND upper(k.ship_state) = ?" or nil
  local sql = "SELECT * FROM (" .. shipped_us_sql("invoice", cols, extra) .. " UNION ALL " ..
    shipped_us_sql("credit_memo", cols, extra) .. ") s ORDER BY state, date, type, id"
  if state then return rows(sql, since, to, state, since, to, state) end
  return rows(sql, since, to, since, to)
end

-- Documents shipped outside the US (the Exposure report's registration thresholds abroad,
-- issues 19/20), oldest first: {type, id, number, customer_id, date, country (upper case),
-- currency, amount (pre-tax net_amount, else the calculation's total_amount), reverse_charge
-- (1 when the calculation reverse-charged a line: a B2B sale to a customer with a usable tax
-- id, core/tax/calc.c), fx_base, fx_target, fx_rate (the document's own exchange_rate from
-- Rillet's copy, nil when it has none or it is not an object of strings)}. The country is the
-- ship-to of the document's latest calculation; documents never calculated are not counted.
-- The exchange rate is read from the stored copy (no column keeps it), so only for these
-- documents, a small share of a US seller's.
function M.shipped_foreign_documents(since, to)
  local function sql(dt)
    return "SELECT '" .. dt .. "' AS type, d.id AS id, d.number AS number, d.customer_id AS customer_id, " ..
      "d.doc_date AS date, upper(k.ship_country) AS country, d.currency AS currency, " ..
      "COALESCE(d.net_amount, k.total_amount) AS amount, d.raw AS raw, " ..
      "CASE WHEN EXISTS (SELECT 1 FROM rillet_calc_sales s WHERE s.calculation_id = d.calculation_id " ..
      "AND s.reason = 'reverse_charge') THEN 1 ELSE 0 END AS reverse_charge FROM " .. DOC_TABLE[dt] .. " d " ..
      "JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id " ..
      "WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ? AND k.ship_country IS NOT NULL " ..
      "AND upper(k.ship_country) <> 'US' AND COALESCE(d.net_amount, k.total_amount) IS NOT NULL"
  end
  local out = rows("SELECT * FROM (" .. sql("invoice") .. " UNION ALL " .. sql("credit_memo") ..
    ") s ORDER BY country, date, type, id", since, to, since, to)
  for _, r in ipairs(out) do
    local ok, doc = pcall(json.decode, r.raw)
    local fx = ok and type(doc) == "table" and doc.exchange_rate or nil
    if type(fx) == "table" and type(fx.base) == "string" and type(fx.target) == "string" and type(fx.rate) == "string" then
      r.fx_base, r.fx_target, r.fx_rate = fx.base, fx.target, fx.rate
    end
    r.raw = nil
  end
  return out
end

-- an amount with exactly two decimals: an optional "-", digits, "." and two digits, at most
-- 18 characters (LIKE, ltrim and rtrim with a set of characters, not GLOB: PostgreSQL has no
-- GLOB, SQLite no regex; the trims are a third of the CPU of a replace per digit)
local function two_decimals(a)
  local b = "(CASE WHEN " .. a .. " LIKE '-%' THEN substr(" .. a .. ", 2) ELSE " .. a .. " END)"
  return "(length(" .. a .. ") <= 18 AND " .. b .. " LIKE '_%.__' AND ltrim(" .. b .. ", '0123456789') = substr(" ..
    b .. ", length(" .. b .. ") - 2) AND rtrim(" .. b .. ", '0123456789') = substr(" .. b .. ", 1, length(" .. b .. ") - 2))"
end

-- Documents of a marketplace customer counted a transaction (the job's chunk): M.TRACK_CHUNK
-- when set (a spec sets fewer), else --marketplace-chunk / LEVY_MARKETPLACE_CHUNK (default
-- 20,000: about 80 ms of SQL at 1M documents, 0.35 s per 88,000 of one customer's).
M.TRACK_CHUNK = nil
local function track_chunk_size()
  local n = M.TRACK_CHUNK or require("levy.config").marketplace_chunk or 20000
  return math.tointeger(n)
end

-- The same documents summed per state, date and marketplace flag (the exposure overview
-- needs no single document: its thresholds are tested on each day's totals): {state, date,
-- marketplace (0/1), n (invoices), minor (Σ invoice amounts - Σ credit memo amounts, cents)} in the
-- report's order, and bad: the number of amounts that are not a plain decimal with two
-- decimals (the caller then reads the documents one by one: shipped_us_documents).
-- doc_flags: JSON array of [type, id, marketplace (true/false)] (the reports plugin's flags
-- per document); customers: JSON array of the marketplace customers' ids.
-- Read from the sums the triggers of migration 0028 keep per type, day and state
-- (rillet_us_days: summing the documents was 1.6 s of CPU at 1M documents; keyed without the
-- customer so the rows stay bounded by days × states however many customers there are), all
-- counted as not marketplace; then a marketplace customer's sums are moved to the marketplace
-- groups: from its own kept rows (rillet_us_days_cust, kept for the customers of
-- rillet_us_days_track once ready: us_days_track below), else from its documents (read
-- through the index on (customer_id, doc_date): 0.35 s of SQL for 88,000 documents, so only
-- until its rows are ready). A document flagged on its own whose flag differs from where its
-- customer's sums put it is then moved from that group to its own (its amount read by id).
-- A group left without documents is dropped: a day without documents is not a day of the report.
function M.shipped_us_days(since, to, doc_flags, customers)
  local flags = json.decode(doc_flags)
  local custs = json.decode(customers)
  if type(flags) ~= "table" then flags = {} end
  if type(custs) ~= "table" then custs = {} end
  local cust, cust_list = {}, {}
  for _, c in ipairs(custs) do
    if type(c) == "string" and not cust[c] then cust[c] = true; cust_list[#cust_list + 1] = c end
  end
  local groups, order = {}, {}
  local function group(state, date, mk)
    local k = state .. "\31" .. date .. "\31" .. mk
    local g = groups[k]
    if not g then
      g = { state = state, date = date, marketplace = mk, n = 0, minor = 0, bad = 0, docs = 0 }
      groups[k] = g; order[#order + 1] = g
    end
    return g
  end
  -- minor: an integer, or the group counts as bad (the caller then reads its documents one by
  -- one): SQLite turns a kept sum past 64 bits into a float, and Lua's integers wrap
  local function add(g, dt, docs, minor, bad, s)
    g.docs = g.docs + s * docs
    local d = math.type(minor) == "integer" and (dt == "invoice" and s or -s) * minor or nil
    local m = d and g.minor + d
    if d and ((d > 0 and m < g.minor) or (d < 0 and m > g.minor)) then m = nil end
    if m then g.minor = m else g.overflow = true end
    if dt == "invoice" then g.n = g.n + s * docs end
    g.bad = g.bad + s * bad
  end
  -- sums (docs, minor, bad) of one type, day and state moved from group src to group dst
  local function move(dt, state, date, docs, minor, bad, src, dst)
    add(group(state, date, src), dt, docs, minor, bad, -1)
    add(group(state, date, dst), dt, docs, minor, bad, 1)
  end
  for r in store.query("SELECT doc_type, doc_date, state, docs, minor, bad FROM rillet_us_days " ..
      "WHERE doc_date >= ? AND doc_date <= ?", since, to) do
    add(group(r.state, r.doc_date, 0), r.doc_type, r.docs, r.minor, r.bad, 1)
  end
  local function chunks(list, each)
    for i = 1, #list, IN_CHUNK do
      local args, marks = {}, {}
      for j = i, math.min(i + IN_CHUNK - 1, #list) do marks[#marks + 1] = "?"; args[#args + 1] = list[j] end
      each(table.concat(marks, ", "), args)
    end
  end
  -- the marketplace customers whose kept rows are ready: their sums moved
  local ready, slow = {}, {}
  chunks(cust_list, function(marks, args)
    for r in store.query("SELECT customer_id FROM rillet_us_days_track WHERE ready = 1 AND customer_id IN (" ..
        marks .. ")", table.unpack(args)) do
      ready[r.customer_id] = true
    end
  end)
  -- a customer not ready yet: its documents read (below) when there are at most TRACK_CHUNK of
  -- them (a bounded count), else (0030: being counted over several runs) its sales stay
  -- counted as direct ones and the answer says so: counting {customer_id, counted, documents}
  local ready_list, counting = {}, {}
  for _, c in ipairs(cust_list) do
    if ready[c] then
      ready_list[#ready_list + 1] = c
    else
      local n = 0
      for _, tbl in pairs(DOC_TABLE) do
        n = n + store.row("SELECT count(*) AS n FROM (SELECT 1 FROM " .. tbl .. " WHERE customer_id = ? LIMIT " ..
          track_chunk_size() + 1 .. ") q", c).n
      end
      if n <= track_chunk_size() then
        slow[#slow + 1] = c
      else
        local t = store.row("SELECT counted_docs, total_docs FROM rillet_us_days_track WHERE customer_id = ?", c)
        counting[#counting + 1] = { customer_id = c, counted = t and t.counted_docs or 0,
                                    documents = t and t.total_docs or json.null }
      end
    end
  end
  chunks(ready_list, function(marks, args)
    args[#args + 1] = since
    args[#args + 1] = to
    for r in store.query("SELECT doc_type, doc_date, state, docs, minor, bad FROM rillet_us_days_cust " ..
        "WHERE customer_id IN (" .. marks .. ") AND doc_date >= ? AND doc_date <= ?", table.unpack(args)) do
      move(r.doc_type, r.state, r.doc_date, r.docs, r.minor, r.bad, 0, 1)
    end
  end)
  -- the documents flagged on their own, by type (their flag wins)
  local by_type = { invoice = {}, credit_memo = {} }
  for _, f in ipairs(flags) do
    if type(f) == "table" and by_type[f[1]] and type(f[2]) == "string" then by_type[f[1]][f[2]] = f[3] == true end
  end
  local function read(dt, cond, list, each)
    chunks(list, function(marks, args)
      table.insert(args, 1, to)
      table.insert(args, 1, since)
      local sql = "SELECT p.id, p.customer_id, p.date, p.state, p.amount, CASE WHEN " .. two_decimals("p.amount") ..
        " THEN 1 ELSE 0 END AS ok FROM (" .. shipped_us_sql(dt, "d.id AS id, d.customer_id AS customer_id, ",
          " AND " .. cond .. " IN (" .. marks .. ")") .. ") p"
      for r in store.query(sql, table.unpack(args)) do each(r) end
    end)
  end
  local function doc_move(dt, r, src, dst)
    if src ~= dst then
      local minor = r.ok == 1 and math.tointeger(tonumber((r.amount:gsub("%.", "")))) or 0
      move(dt, r.state, r.date, 1, minor, r.ok == 1 and 0 or 1, src, dst)
    end
  end
  for dt, ids in pairs(by_type) do
    -- the documents of the marketplace customers not ready yet (a document flagged on its own: below)
    read(dt, "d.customer_id", slow, function(r)
      if ids[r.id] == nil then doc_move(dt, r, 0, 1) end
    end)
    local list = {}
    for id in pairs(ids) do list[#list + 1] = id end
    read(dt, "d.id", list, function(r)
      doc_move(dt, r, (r.customer_id ~= nil and ready[r.customer_id]) and 1 or 0, ids[r.id] and 1 or 0)
    end)
  end
  local out, bad = {}, 0
  for _, g in ipairs(order) do
    if g.docs ~= 0 then
      bad = bad + g.bad + (g.overflow and 1 or 0)
      g.docs, g.overflow = nil, nil
      out[#out + 1] = g
    end
  end
  table.sort(out, function(a, b)
    if a.state ~= b.state then return a.state < b.state end
    if a.date ~= b.date then return a.date < b.date end
    return a.marketplace < b.marketplace
  end)
  return out, bad, json.array(counting)
end


-- The per-customer sums' test of migration 0030, for the statements here and in recount.lua:
-- document d of type dt (alias a) belongs to a tracked customer whose counting has passed it
-- (an invoice: the credit memos are being counted or all is done, or its id is at or below the
-- cursor; a credit memo: all is done, or the credit memos are being counted and its id is at
-- or below the cursor). The triggers of 0030 test the same.
function M.us_days_counted_sql(dt, a)
  a = a or "d"
  local cond = dt == "invoice" and ("t.phase > 0 OR " .. a .. ".id <= t.counted_through")
    or ("t.phase > 1 OR (t.phase = 1 AND " .. a .. ".id <= t.counted_through)")
  return "EXISTS (SELECT 1 FROM rillet_us_days_track t WHERE t.customer_id = " .. a .. ".customer_id AND (" ..
    cond .. "))"
end

local PHASE_TYPE = { [0] = "invoice", [1] = "credit_memo" }

-- One chunk of customer c's counting (a transaction of its own, replayable: the cursor moves
-- with the rows it counted): the next TRACK_CHUNK documents of the phase's type after the
-- cursor, in id order, added to its rows; none left: the next phase (after the credit memos:
-- ready). Returns true when the customer is ready.
local function track_chunk(c)
  local done = false
  store.transaction(function()
    -- PostgreSQL: no document write of another transaction between the count and the rows
    -- (they would add their delta to a row counted without them: recount.lua's lock)
    if store.engine() == "postgres" then
      store.exec("LOCK TABLE invoices, credit_memos, calculations, rillet_calc_heads IN SHARE ROW EXCLUSIVE MODE")
    end
    local t = store.row("SELECT phase, counted_through, counted_docs, total_docs FROM rillet_us_days_track " ..
      "WHERE customer_id = ? AND ready = 0", c)
    if not t then done = true; return end
    if t.total_docs == nil then
      local n = 0
      for _, tbl in pairs(DOC_TABLE) do
        n = n + store.row("SELECT count(*) AS n FROM " .. tbl .. " WHERE customer_id = ?", c).n
      end
      store.exec("UPDATE rillet_us_days_track SET total_docs = ? WHERE customer_id = ?", n, c)
    end
    local dt = PHASE_TYPE[t.phase]
    if not dt then -- phase 2 without ready: done
      store.exec("UPDATE rillet_us_days_track SET ready = 1 WHERE customer_id = ?", c)
      done = true
      return
    end
    local tbl = DOC_TABLE[dt]
    local after = t.counted_through
    local cond = after and " AND x.id > ?" or ""
    local bound = store.row("SELECT max(q.id) AS hi, count(*) AS n FROM (SELECT x.id FROM " .. tbl .. " x " ..
      "WHERE x.customer_id = ?" .. cond .. " ORDER BY x.id LIMIT " .. track_chunk_size() .. ") q",
      table.unpack(after and { c, after } or { c }))
    if bound.n == 0 then -- the phase's documents all counted
      local phase = t.phase + 1
      store.exec("UPDATE rillet_us_days_track SET phase = ?, counted_through = NULL, ready = ? WHERE customer_id = ?",
        phase, phase >= 2 and 1 or 0, c)
      done = phase >= 2
      return
    end
    local a = "COALESCE(d.net_amount, k.total_amount)"
    local args = { c }
    if after then args[#args + 1] = after end
    args[#args + 1] = bound.hi
    store.exec("INSERT INTO rillet_us_days_cust AS u(doc_type, doc_date, state, customer_id, docs, minor, bad) " ..
      "SELECT '" .. dt .. "', d.doc_date, upper(k.ship_state), d.customer_id, count(*), " ..
      "CAST(sum(CASE WHEN " .. two_decimals(a) .. " THEN CAST(replace(" .. a .. ", '.', '') AS BIGINT) ELSE 0 END) " ..
      "AS BIGINT), CAST(sum(CASE WHEN " .. two_decimals(a) .. " THEN 0 ELSE 1 END) AS BIGINT) FROM " .. tbl .. " d " ..
      "JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id WHERE d.customer_id = ? AND " ..
      (after and "d.id > ? AND " or "") .. "d.id <= ? AND " ..
      "d.deleted = 0 AND d.doc_date IS NOT NULL AND d.currency = 'USD' AND upper(k.ship_country) = 'US' AND " ..
      "k.ship_state IS NOT NULL AND " .. a .. " IS NOT NULL GROUP BY d.doc_date, upper(k.ship_state), d.customer_id " ..
      "ON CONFLICT (doc_type, doc_date, state, customer_id) DO UPDATE SET docs = u.docs + excluded.docs, " ..
      "minor = u.minor + excluded.minor, bad = u.bad + excluded.bad", table.unpack(args))
    store.exec("UPDATE rillet_us_days_track SET counted_through = ?, counted_docs = counted_docs + ? " ..
      "WHERE customer_id = ?", bound.hi, bound.n, c)
  end)
  return done
end

-- The customers whose exposure sums are kept per customer (rillet_us_days_cust, migration
-- 0028) made the marketplace customers (reports plugin: its job reports.marketplace_sums calls
-- this after a customer's flag changed, at start and every 10 minutes): customers: JSON array
-- of their ids. A customer no longer listed is dropped with its rows; a new one is tracked and
-- counted from its documents in chunks of TRACK_CHUNK documents by id, each chunk a
-- transaction that moves the customer's cursor (migration 0030: the triggers keep a document
-- once the cursor has passed it, so a document written meanwhile is counted once), as long as
-- the running call's budget share allows (share: per mille, default 500; max_chunks: at most
-- that many chunks this call, for a spec); a customer too big for one run goes on at the next.
-- Its rows are read (ready = 1) only once the cursor has passed all its documents. Returns true
-- when every listed customer is ready, false when some are left for the next call.
function M.us_days_track(customers, share, max_chunks)
  local list = json.decode(customers)
  if type(list) ~= "table" then list = {} end
  local want = {}
  for _, c in ipairs(list) do
    if type(c) == "string" then want[c] = true end
  end
  store.transaction(function()
    for _, r in ipairs(store.rows("SELECT customer_id FROM rillet_us_days_track")) do
      if not want[r.customer_id] then
        store.exec("DELETE FROM rillet_us_days_cust WHERE customer_id = ?", r.customer_id)
        store.exec("DELETE FROM rillet_us_days_track WHERE customer_id = ?", r.customer_id)
      end
    end
    for c in pairs(want) do
      store.exec("INSERT INTO rillet_us_days_track(customer_id, ready, phase) VALUES (?, 0, 0) " ..
        "ON CONFLICT (customer_id) DO NOTHING", c)
    end
  end)
  share = share or 500
  local chunks = 0
  for _, r in ipairs(store.rows("SELECT customer_id FROM rillet_us_days_track WHERE ready = 0 ORDER BY customer_id")) do
    local done = false
    while not done do
      if time.budget_used() >= share or (max_chunks and chunks >= max_chunks) then return false end
      chunks = chunks + 1
      done = track_chunk(r.customer_id)
    end
  end
  return true
end

-- The filing sums of a region filter (region_filter.lua): a province's documents are chosen by
-- their calculation's ship-to, which the kept sums (filing_sums.lua) do not carry, so they are
-- summed from the rows (filing_sums_sql); region CA (the federal return) and a province count
-- only their own taxes (GST/HST; the province's PST/QST). Filtering twice changes nothing.
do
  local sums, sums_sql = M.filing_sums, M.filing_sums_sql
  function M.filing_sums_sql(from, to, region, untaxed, range)
    return region_filter.filing_sums(region_filter.scope(region), sums_sql(from, to, region, untaxed, range))
  end
  function M.filing_sums(from, to, region, untaxed)
    local s = region_filter.scope(region)
    if s and s.state then return M.filing_sums_sql(from, to, region, untaxed) end
    return region_filter.filing_sums(s, sums(from, to, region, untaxed))
  end
end

-- The collected sums' rows of a province carry its code (region_filter)
do
  local sums = M.collected_sums
  function M.collected_sums(doc_type, from, to, region)
    local g, totals, bad = sums(doc_type, from, to, region)
    return region_filter.relabel(region_filter.scope(region), g, { "region" }), totals, bad
  end
end

-- The not-collected candidates (rows and sums) of a province carry its code (region_filter)
do
  local candidates = M.not_collected_candidates
  function M.not_collected_candidates(doc_type, from, to, region, opts)
    return region_filter.relabel(region_filter.scope(region), candidates(doc_type, from, to, region, opts),
      { "region", "calc_region", "w_region" })
  end
end

-- One month's not-collected sums as the memo keeps them (nc_sums_memo: region '' = none):
-- recount.lua compares a kept memo row of the month's current generation with them.
function M.nc_month_rows(doc_type, month, region)
  return M.not_collected_candidates(doc_type, month_first(month), month_last(month),
    region ~= "" and region or nil, { sums = true, live = true })
end

return M
