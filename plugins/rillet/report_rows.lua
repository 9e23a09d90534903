-- The rows the reports plugin reads from this plugin's tables (issue 18: a plugin reaches
-- another's data through its exports, never its tables; docs/plugins.md "tables"). Each
-- answers the raw rows of one document type, in the order the report lists them; what the
-- report makes of them (collected / not collected, exposure) stays in plugins/reports.
-- doc_type: "invoice" | "credit_memo".
local store = require "levy.store"

local M = {}

-- ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
local IN_CHUNK = 500

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
-- (rillet_tax). region: only documents whose written calculation is in it.
function M.accepted_writes(doc_type, from, to, region)
  local sql = "SELECT d.id, d.number, d.doc_date, d.currency, COALESCE(c.region, d.region) AS region, " ..
    "c.id AS calculation_id, " ..
    "c.result, w.attempted_at, d.tax_status, (SELECT r.rillet_tax FROM reconciliation r WHERE r.doc_type = '" ..
    doc_type .. "' AND r.doc_id = d.id ORDER BY r.id DESC LIMIT 1) AS rillet_tax FROM " .. doc_table(doc_type) .. [[ d
    JOIN writebacks w ON w.id = (SELECT max(w2.id) FROM writebacks w2
                                 WHERE w2.doc_type = ? AND w2.doc_id = d.id AND w2.outcome = 'written')
    JOIN calculations c ON c.id = w.calculation_id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ? AND c.result IS NOT NULL]]
  local args = { doc_type, from, to }
  if region then sql = sql .. " AND COALESCE(c.region, d.region) = ?"; args[#args + 1] = region end
  return rows(sql .. " ORDER BY d.doc_date, d.id", table.unpack(args))
end

-- The collected tax of the accepted writes (accepted_writes' documents) summed in SQL per
-- currency, region, jurisdiction, level and type, without the documents in drift (the caller
-- restates those from what Rillet holds). exps: {[currency] = exponent} of the currencies to
-- sum; a document in another currency counts as not summable. Returns groups {currency, region,
-- jurisdiction, level, type, code_min, code_max, n_code, n, taxable, tax, docs}, totals
-- {currency, docs, taxable} and bad (> 0: some amount is not canonical, or a calculation has no
-- rows, so the sums are not to be used: the caller decodes the results instead). The sums read
-- the rows calc_rows.lua keeps per calculation (rillet_calc_totals, rillet_calc_taxes: amounts
-- in minor units with their decimals), not the result JSON (issue 22: the same SQL on SQLite
-- and PostgreSQL; issue 20 reportperf: no decoding per document).
function M.collected_sums(doc_type, from, to, region, exps)
  local t = doc_table(doc_type)
  local cases = {}
  for cur, e in pairs(exps) do
    if type(cur) == "string" and cur:match("^%u%u%u$") and math.type(e) == "integer" then
      cases[#cases + 1] = "WHEN '" .. cur .. "' THEN " .. e
    end
  end
  if #cases == 0 then return {}, {}, 1 end
  local e = "(CASE l.currency " .. table.concat(cases, " ") .. " ELSE -1 END)"
  local latest = "WITH l AS (SELECT d.id, d.currency, COALESCE(c.region, d.region) AS region, c.id AS calc_id, " ..
    "k.result_object, k.total_taxable, k.total_taxable_minor, k.total_taxable_scale FROM " .. t .. [[ d
    JOIN writebacks w ON w.id = (SELECT max(w2.id) FROM writebacks w2
                                 WHERE w2.doc_type = ? AND w2.doc_id = d.id AND w2.outcome = 'written')
    JOIN calculations c ON c.id = w.calculation_id
    LEFT JOIN rillet_calc_totals k ON k.calculation_id = c.id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ? AND c.result IS NOT NULL
      AND d.tax_status IS DISTINCT FROM 'drift']] .. (region and " AND COALESCE(c.region, d.region) = ?" or "") .. ") "
  local args = { doc_type, from, to }
  if region then args[#args + 1] = region end
  -- sums are CAST to BIGINT: PostgreSQL's sum of a BIGINT is a NUMERIC
  local groups = rows(latest .. "SELECT l.currency AS currency, l.region AS region, x.jurisdiction AS jurisdiction, " ..
    "x.level AS level, x.type AS type, min(x.authority_code) AS code_min, max(x.authority_code) AS code_max, " ..
    "count(x.authority_code) AS n_code, count(*) AS n, CAST(sum(x.taxable_minor) AS BIGINT) AS taxable, " ..
    "CAST(sum(x.amount_minor) AS BIGINT) AS tax, count(DISTINCT l.id) AS docs, " ..
    "CAST(sum(CASE WHEN x.amount_minor IS NULL OR x.amount_scale <> " .. e .. " OR x.taxable_minor IS NULL OR " ..
    "x.taxable_scale <> " .. e .. " OR x.jurisdiction IS NULL OR x.level IS NULL OR x.type IS NULL " ..
    "THEN 1 ELSE 0 END) AS BIGINT) AS bad " ..
    "FROM l JOIN rillet_calc_taxes x ON x.calculation_id = l.calc_id " ..
    "GROUP BY l.currency, l.region, x.jurisdiction, x.level, x.type", table.unpack(args))
  local totals = rows(latest .. "SELECT l.currency AS currency, count(*) AS docs, " ..
    "CAST(sum(COALESCE(l.total_taxable_minor, 0)) AS BIGINT) AS taxable, " ..
    "CAST(sum(CASE WHEN l.total_taxable IS NOT NULL AND (l.total_taxable_minor IS NULL OR " ..
    "l.total_taxable_scale <> " .. e .. ") THEN 1 ELSE 0 END) + sum(CASE WHEN l.currency IS NULL OR " ..
    "l.region IS NULL OR l.result_object IS NULL OR l.result_object <> 1 THEN 1 ELSE 0 END) AS BIGINT) AS bad " ..
    "FROM l GROUP BY l.currency", table.unpack(args))
  local bad = 0
  for _, g in ipairs(groups) do bad = bad + (g.bad or 0) end
  for _, g in ipairs(totals) do bad = bad + (g.bad or 0) end
  return groups, totals, bad
end

-- The reason columns this plugin records on a document (migration 0005), passed through to
-- the report. They were probed with pragma_table_info (SQLite only; issue 22) for a
-- `tax_reason` column that no migration ever made: the columns are this plugin's own.
local REASON_COLUMNS = ", d.reason, d.reason_detail"

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
-- calculation's total_amount)}.
function M.shipped_documents(doc_type, since, to)
  return rows([[SELECT d.id AS id, d.number AS number, d.customer_id AS customer_id,
      d.doc_date AS date, d.currency AS currency,
      k.ship_country AS country, k.ship_state AS state, COALESCE(d.net_amount, k.total_amount) AS amount
    FROM ]] .. doc_table(doc_type) .. [[ d JOIN calculations c ON c.id = d.calculation_id
    LEFT JOIN rillet_calc_totals k ON k.calculation_id = c.id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ?]], since, to)
end

return M
