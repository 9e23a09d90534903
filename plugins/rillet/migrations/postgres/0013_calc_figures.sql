-- rillet plugin on PostgreSQL (issues 20, 22): the twin of ../0013_calc_figures.sql — each
-- stored calculation's figures as integer columns, written by calc_rows.lua in the transaction
-- that stores the calculation (no triggers, the same code as on SQLite). No backfill: a
-- PostgreSQL store holds no calculation before this migration (the postgres/ migrations came
-- together, 0001 to 0013 in one run, before any calculation could be stored).

CREATE TABLE rillet_calc_sales (
  calculation_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  lines BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  discount BIGINT NOT NULL,
  taxable BIGINT NOT NULL,
  dp_lo BIGINT NOT NULL, dp_hi BIGINT NOT NULL,
  PRIMARY KEY (calculation_id, reason)
);

CREATE TABLE rillet_calc_taxes (
  calculation_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  jurisdiction TEXT, level TEXT, type TEXT, authority_code TEXT,
  rate TEXT,                       -- the percentage as written (a number as its text)
  n BIGINT NOT NULL,
  amount BIGINT,
  taxable BIGINT NOT NULL,
  dp_lo BIGINT NOT NULL, dp_hi BIGINT NOT NULL,
  taxable_missing BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX rillet_calc_taxes_calc ON rillet_calc_taxes(calculation_id);

CREATE TABLE rillet_calc_heads (
  calculation_id TEXT PRIMARY KEY,
  has_result BIGINT NOT NULL,
  readable BIGINT NOT NULL,
  total_tax TEXT,
  region TEXT,
  result_currency TEXT,
  result_region TEXT,
  tax BIGINT, tax_lo BIGINT, tax_hi BIGINT,
  result_object BIGINT NOT NULL DEFAULT 0,
  total_taxable TEXT,
  total_taxable_minor BIGINT,
  total_taxable_scale BIGINT,
  total_amount TEXT,
  ship_country TEXT,
  ship_state TEXT
);

CREATE INDEX invoices_report ON invoices(doc_date, deleted, calculation_id, tax_status, currency, region, id, number);
CREATE INDEX credit_memos_report ON credit_memos(doc_date, deleted, calculation_id, tax_status, currency, region, id, number);
CREATE INDEX writebacks_written ON writebacks(doc_type, doc_id, outcome, id);
