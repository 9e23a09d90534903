-- reports plugin on PostgreSQL (issue 22): the twin of ../0001_reports.sql, same tables, columns and constraints.
-- reports plugin: economic-nexus crossings already logged (one row per state, written the
-- first time the exposure monitor sees the state over its threshold; never rewritten).
CREATE TABLE reports_nexus_crossings (
  state TEXT PRIMARY KEY,          -- two-letter US state code
  logged_at TEXT NOT NULL,         -- when levy logged the crossing
  as_of TEXT NOT NULL,             -- measurement date (YYYY-MM-DD)
  period_start TEXT NOT NULL,
  period_end TEXT NOT NULL,
  sales TEXT NOT NULL,             -- decimal string, USD
  transactions BIGINT NOT NULL,
  sales_threshold TEXT NOT NULL,
  transactions_threshold BIGINT,
  combine TEXT
);
