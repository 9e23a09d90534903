-- rillet plugin on PostgreSQL (issue 20): the twin of ../0016_candidates_index.sql. Not the
-- same index: a PostgreSQL B-tree entry is limited to about 2.7 kB, and last_error and
-- reason_detail are free text of any length (an insert would fail), and the problem the SQLite
-- index solves is not PostgreSQL's: Rillet's raw JSON is TOASTed out of the row, so reading the
-- columns after it reads no overflow. The candidates are chosen on the documents' dates and
-- the columns that decide them; the rest is read from the few rows chosen.
CREATE INDEX invoices_candidates ON invoices(doc_date, deleted, calculation_id, tax_status, id);
CREATE INDEX credit_memos_candidates ON credit_memos(doc_date, deleted, calculation_id, tax_status, id);
