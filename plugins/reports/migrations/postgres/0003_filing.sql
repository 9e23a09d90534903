-- reports plugin on PostgreSQL (issue 22): the twin of ../0003_filing.sql, same tables, columns and constraints.
-- reports plugin (issue 20): how often each region's return is filed, for the filing-ready
-- liability report (GET /v1/reports/filing). A region without a row files quarterly.
CREATE TABLE reports_filing_frequency (
  region TEXT PRIMARY KEY,         -- region code, e.g. US-CA, DE, EU
  frequency TEXT NOT NULL CHECK (frequency IN ('month', 'quarter', 'year')),
  updated_at TEXT NOT NULL
);
