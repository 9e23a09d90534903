-- rillet plugin (issue 20: the liability report and the filing summary at 100,000 and
-- 1,000,000 documents): the "calculated, not collected" candidates kept on write (nc_docs.lua).
-- Choosing them walked every document of the period with its latest accepted write-back;
-- this table holds only the candidates, so a report reads them by date from its index and
-- checks each against its document's live rows. Every writer of what decides a candidate
-- refreshes its row in the same transaction (filing_sums.refresh -> nc_docs.refresh).
-- Filled here from the documents stored before it, with nc_docs.COND written out (the same
-- statement on SQLite and PostgreSQL: ../postgres/0020_not_collected_docs.sql).
CREATE TABLE rillet_nc_docs (
  doc_type TEXT NOT NULL,          -- invoice | credit_memo
  doc_id TEXT NOT NULL,
  doc_date TEXT NOT NULL,          -- the document's date (the reports' range and order)
  PRIMARY KEY (doc_type, doc_id)
) WITHOUT ROWID;
CREATE INDEX rillet_nc_docs_date ON rillet_nc_docs(doc_type, doc_date, doc_id);
INSERT INTO rillet_nc_docs(doc_type, doc_id, doc_date)
SELECT 'invoice', d.id, d.doc_date FROM invoices d
LEFT JOIN rillet_calc_heads c ON c.calculation_id = d.calculation_id
LEFT JOIN writebacks w ON w.id = (SELECT max(w2.id) FROM writebacks w2 WHERE w2.doc_type = 'invoice' AND w2.doc_id = d.id AND w2.outcome = 'written')
LEFT JOIN rillet_calc_heads wc ON wc.calculation_id = w.calculation_id AND wc.has_result = 1
WHERE d.doc_date IS NOT NULL AND d.deleted = 0 AND d.calculation_id IS NOT NULL AND
  ((wc.calculation_id IS NOT NULL AND (d.tax_status IS NOT DISTINCT FROM 'drift' OR wc.calculation_id IS DISTINCT FROM d.calculation_id))
   OR (wc.calculation_id IS NULL AND (c.has_result IS DISTINCT FROM 1 OR NOT (c.total_tax IS NOT NULL AND ltrim(replace(c.total_tax, '.', ''), '-') <> '' AND ltrim(replace(replace(c.total_tax, '.', ''), '-', ''), '0') = ''))));
INSERT INTO rillet_nc_docs(doc_type, doc_id, doc_date)
SELECT 'credit_memo', d.id, d.doc_date FROM credit_memos d
LEFT JOIN rillet_calc_heads c ON c.calculation_id = d.calculation_id
LEFT JOIN writebacks w ON w.id = (SELECT max(w2.id) FROM writebacks w2 WHERE w2.doc_type = 'credit_memo' AND w2.doc_id = d.id AND w2.outcome = 'written')
LEFT JOIN rillet_calc_heads wc ON wc.calculation_id = w.calculation_id AND wc.has_result = 1
WHERE d.doc_date IS NOT NULL AND d.deleted = 0 AND d.calculation_id IS NOT NULL AND
  ((wc.calculation_id IS NOT NULL AND (d.tax_status IS NOT DISTINCT FROM 'drift' OR wc.calculation_id IS DISTINCT FROM d.calculation_id))
   OR (wc.calculation_id IS NULL AND (c.has_result IS DISTINCT FROM 1 OR NOT (c.total_tax IS NOT NULL AND ltrim(replace(c.total_tax, '.', ''), '-') <> '' AND ltrim(replace(replace(c.total_tax, '.', ''), '-', ''), '0') = ''))));
