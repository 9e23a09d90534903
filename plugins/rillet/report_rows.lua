-- The rows the reports plugin reads from this plugin's tables (issue 18: a plugin reaches
-- another's data through its exports, never its tables; docs/plugins.md "tables"). Each
-- answers the raw rows of one document type, in the order the report lists them; what the
-- report makes of them (collected / not collected, exposure) stays in plugins/reports.
-- doc_type: "invoice" | "credit_memo".
local store = require "levy.store"
local json = require "levy.json"

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

-- Reason columns this plugin may record on a document (passed through when present).
local REASON_COLUMNS = { "tax_reason", "reason", "reason_detail" }

local function reason_columns(tbl)
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
    "d.calculation_id" .. reason_columns(t) .. ", COALESCE(c.region, d.region) AS calc_region, " ..
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
-- calculation's total_amount)}.
function M.shipped_documents(doc_type, since, to)
  return rows([[SELECT d.id AS id, d.number AS number, d.customer_id AS customer_id,
      d.doc_date AS date, d.currency AS currency,
      json_extract(c.request, '$.ship_to.country') AS country, json_extract(c.request, '$.ship_to.state') AS state,
      COALESCE(json_extract(d.raw, '$.net_amount.amount'), json_extract(c.result, '$.total_amount')) AS amount
    FROM ]] .. doc_table(doc_type) .. [[ d JOIN calculations c ON c.id = d.calculation_id
    WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ?]], since, to)
end

return M
