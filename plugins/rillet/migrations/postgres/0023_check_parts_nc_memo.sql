-- rillet plugin on PostgreSQL: the twin of ../0023_check_parts.sql (BIGINT for INTEGER) — the
-- kept sums' check recomputes a month a part at a time (filing_sums.lua check_step); the parts
-- of the month being checked, their sums and the month's running total.
CREATE TABLE rillet_check_parts (
  month TEXT NOT NULL,
  seq BIGINT NOT NULL,
  doc_type TEXT NOT NULL,
  lo_date TEXT, lo_id TEXT,
  hi_date TEXT, hi_id TEXT,
  gen BIGINT NOT NULL DEFAULT 0,
  done_gen BIGINT,
  sums TEXT,
  PRIMARY KEY (month, seq)
);
ALTER TABLE rillet_filing_state ADD COLUMN check_acc TEXT;
-- the report index with id second (a part of a month is a (doc_date, id) range)
DROP INDEX invoices_report;
DROP INDEX credit_memos_report;
CREATE INDEX invoices_report ON invoices(doc_date, id, deleted, calculation_id, tax_status, currency, region, number);
CREATE INDEX credit_memos_report ON credit_memos(doc_date, id, deleted, calculation_id, tax_status, currency, region,
  number);
-- the "calculated, not collected" sums per whole month, region filter and document type, with
-- the month's generation (nc_docs.refresh bumps it) they were summed at
CREATE TABLE rillet_nc_months (
  month TEXT PRIMARY KEY,
  gen BIGINT NOT NULL
);
CREATE TABLE rillet_nc_memo (
  month TEXT NOT NULL,
  region TEXT NOT NULL,
  doc_type TEXT NOT NULL,
  gen BIGINT NOT NULL,
  sums TEXT NOT NULL,
  PRIMARY KEY (month, region, doc_type)
);
