-- PostgreSQL twin of ../0020_not_collected_docs.sql (BIGINT for INTEGER, no WITHOUT ROWID).
-- rillet plugin (issue 20: the liability report and the filing summary at 100,000 and
-- 1,000,000 documents): the "calculated, not collected" candidates kept on write (nc_docs.lua),
-- and the documents the liability report's collected sums count (rillet_liab_docs, below).
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
);
CREATE INDEX rillet_nc_docs_date ON rillet_nc_docs(doc_type, doc_date, doc_id);
-- The candidates' documents are reached by id (rillet_nc_docs.doc_id): these indexes hold
-- every column the not-collected sums read of a document, so a candidate is read from its
-- index entry, not from its row past Rillet's raw JSON (overflow pages). 9,000 candidates in a
-- year of 300,000 documents: the liability report 120 -> 70 ms of levy CPU, the filing summary
-- 150 -> 95 ms. reason is a short code (scope.lua), never free text.
CREATE INDEX invoices_nc_by_id ON invoices(id, doc_date, deleted, calculation_id, tax_status, currency, region, connection_id, status, reason);
CREATE INDEX credit_memos_nc_by_id ON credit_memos(id, doc_date, deleted, calculation_id, tax_status, currency, region, connection_id, status, reason);
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

-- The liability report's collected sums kept on write (filing_sums.lua: kinds ltot, ltax and
-- lcode of rillet_filing_sums), with what each counted document (latest accepted write-back,
-- not deleted, not in drift) added: its month, region, currency and written calculation.
CREATE TABLE rillet_liab_docs (
  doc_type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  doc_date TEXT NOT NULL,
  month TEXT NOT NULL,
  region TEXT,
  currency TEXT,
  calculation_id TEXT NOT NULL,
  odd BIGINT NOT NULL,             -- the date is not a day of its month (1)
  PRIMARY KEY (doc_type, doc_id)
);
CREATE INDEX rillet_liab_docs_odd ON rillet_liab_docs(odd, month);
-- filled by the liability sums' own backfill (the job rillet.filing_sums, op liab, queued at
-- start while liab_ready = 0: every stored document's part added, 200 a run); the liability
-- report sums from the rows meanwhile, the filing summary's kept sums stay in use
ALTER TABLE rillet_filing_state ADD COLUMN liab_ready BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rillet_filing_state ADD COLUMN liab_phase TEXT;
ALTER TABLE rillet_filing_state ADD COLUMN liab_after_id TEXT;
