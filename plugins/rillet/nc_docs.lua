-- The "calculated, not collected" candidates kept on write (issue 20: the liability report and
-- the filing summary at 100,000 and 1,000,000 documents; migration 0020).
--
-- report_rows.not_collected_candidates chose its candidates by walking every document of the
-- period with its latest accepted write-back (a correlated lookup per document): 910 ms of CPU
-- for a year of 100,000 documents, over any budget at 1,000,000, though only the documents
-- waiting for their write-back (or failed, or in drift) are candidates. rillet_nc_docs holds
-- exactly the candidates (doc_type, doc_id, doc_date), brought in line with the document in
-- the transaction of every change to what decides it: the document's row (date, deleted,
-- current calculation, tax_status), its latest accepted write-back and the reconciliation's
-- drift. Those writers all call filing_sums.refresh (docs.lua apply / mark_deleted,
-- writeback.lua, reconcile.lua), which calls M.refresh; the rebuild of the kept filing sums
-- (POST /v1/reports/filing/sums/rebuild) refreshes every document, so it repairs this table too.
--
-- The reports read the candidates from this table by its (doc_type, doc_date, doc_id) index
-- and check each again against the document's live rows with the same condition (M.COND): a
-- kept row whose document stopped being a candidate is not counted, and the reason's inputs
-- (status, the document's own reason, connection) are always read from the document. So the
-- work of a report grows with the documents not collected, not with the documents of the
-- period.
local store = require "levy.store"

local M = {}

local DOC_TABLE = { invoice = "invoices", credit_memo = "credit_memos" }

-- x is text holding a zero amount ("0", "0.00", "-0.0"); portable (no typeof: x is a TEXT column)
function M.zero_sql(x)
  return "(" .. x .. " IS NOT NULL AND ltrim(replace(" .. x .. ", '.', ''), '-') <> '' AND " ..
    "ltrim(replace(replace(" .. x .. ", '.', ''), '-', ''), '0') = '')"
end

-- the latest accepted write-back of document d
function M.written_sql(doc_type)
  return "(SELECT max(w2.id) FROM writebacks w2 WHERE w2.doc_type = '" .. doc_type ..
    "' AND w2.doc_id = d.id AND w2.outcome = 'written')"
end

-- The joins the condition reads: c (the current calculation's figures), w (the latest
-- accepted write-back), wc (its calculation's figures, when it has a result).
function M.joins(doc_type)
  return "LEFT JOIN rillet_calc_heads c ON c.calculation_id = d.calculation_id " ..
    "LEFT JOIN writebacks w ON w.id = " .. M.written_sql(doc_type) .. " " ..
    "LEFT JOIN rillet_calc_heads wc ON wc.calculation_id = w.calculation_id AND wc.has_result = 1 "
end

-- A document (d, not deleted, with a calculation) is a candidate when the latest accepted
-- write is of another calculation or in drift, or there is none and the current calculation
-- failed or has tax (migration 0020 writes the same condition out for the backfill).
M.COND = "d.deleted = 0 AND d.calculation_id IS NOT NULL AND " ..
  "((wc.calculation_id IS NOT NULL AND (d.tax_status IS NOT DISTINCT FROM 'drift' OR " ..
  "wc.calculation_id IS DISTINCT FROM d.calculation_id)) " ..
  "OR (wc.calculation_id IS NULL AND (c.has_result IS DISTINCT FROM 1 OR NOT " .. M.zero_sql("c.total_tax") .. ")))"

-- The FROM of a report's read: the kept candidates of one type dated in [?, ?] (k, by the
-- index) and the document of each (d, by its primary key), whose live date must still be the
-- kept one. The caller adds " AND " .. M.COND (and its own conditions) to the WHERE.
function M.from_sql(doc_type)
  return " FROM rillet_nc_docs k JOIN " .. DOC_TABLE[doc_type] .. " d ON d.id = k.doc_id " .. M.joins(doc_type) ..
    "WHERE k.doc_type = '" .. doc_type .. "' AND k.doc_date >= ? AND k.doc_date <= ? AND d.doc_date = k.doc_date"
end

-- Brings the document's kept row in line with its current state (inside the caller's
-- transaction: filing_sums.refresh).
function M.refresh(doc_type, id)
  local t = DOC_TABLE[doc_type]
  if not t or id == nil then return end
  local now = store.row("SELECT d.doc_date FROM " .. t .. " d " .. M.joins(doc_type) ..
    "WHERE d.id = ? AND d.doc_date IS NOT NULL AND " .. M.COND, id)
  local old = store.row("SELECT doc_date FROM rillet_nc_docs WHERE doc_type = ? AND doc_id = ?", doc_type, id)
  if now then
    if not old or old.doc_date ~= now.doc_date then
      store.exec("INSERT INTO rillet_nc_docs(doc_type, doc_id, doc_date) VALUES (?, ?, ?) " ..
        "ON CONFLICT (doc_type, doc_id) DO UPDATE SET doc_date = excluded.doc_date", doc_type, id, now.doc_date)
    end
  elseif old then
    store.exec("DELETE FROM rillet_nc_docs WHERE doc_type = ? AND doc_id = ?", doc_type, id)
  end
  -- a candidate of a month (before or after this write, whatever changed of it) makes the
  -- month's not-collected sums summed before it stale (report_rows' memo, migration 0023)
  local months = {}
  if old then months[old.doc_date:sub(1, 7)] = true end
  if now then months[now.doc_date:sub(1, 7)] = true end
  for m in pairs(months) do M.bump(m) end
end

-- the month's generation of its candidates moved on
function M.bump(month)
  store.exec("INSERT INTO rillet_nc_months(month, gen) VALUES (?, 1) ON CONFLICT (month) DO UPDATE SET " ..
    "gen = rillet_nc_months.gen + 1", month)
end

return M
