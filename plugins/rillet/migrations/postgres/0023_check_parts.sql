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
CREATE INDEX invoices_date_id ON invoices(doc_date, id);
CREATE INDEX credit_memos_date_id ON credit_memos(doc_date, id);
