-- rillet plugin (issue 20: the kept sums' check at 100,000 and 1,000,000 documents). The check
-- recomputed a month's filing and liability sums from the rows in one job run; at 100k one
-- month alone was more than a run's budget (800 ms), so the check never finished
-- (bench/README.md "Reports and the sums check at 100k and 1M documents"). Now a month is
-- recomputed a part at a time (filing_sums.lua check_step): CHECK_PART documents of one type
-- in (doc_date, id) order a part, the parts' sums added up in rillet_filing_state.check_acc
-- and compared with the kept sums once the month's parts are all done.
--   rillet_check_parts: the parts of the month being checked (only that month's; emptied when
--     it is compared): a part covers the documents of doc_type whose (doc_date, id) lies after
--     (lo_date, lo_id) (none: from the month's start) up to (hi_date, hi_id) (none: to the
--     month's end), so the parts tile the month whatever is written meanwhile. gen: bumped by
--     every write to a document whose key lies in the part (filing_sums.refresh, in the
--     writer's transaction); done_gen: the gen the part's sums (JSON) were computed at. A part
--     whose gen moved since is recomputed before the month is compared: a write that lands in
--     a part already summed does not show as a false difference.
-- ../postgres/0023_check_parts.sql: the same.
CREATE TABLE rillet_check_parts (
  month TEXT NOT NULL,
  seq INTEGER NOT NULL,
  doc_type TEXT NOT NULL,
  lo_date TEXT, lo_id TEXT,
  hi_date TEXT, hi_id TEXT,
  gen INTEGER NOT NULL DEFAULT 0,
  done_gen INTEGER,
  sums TEXT,
  PRIMARY KEY (month, seq)
);
ALTER TABLE rillet_filing_state ADD COLUMN check_acc TEXT;
-- A part's documents are read by (doc_date, id) ranges: a month of 1,000,000 documents may sit
-- on one day (the bench store's does), and the report index (doc_date, deleted, ...) of
-- migration 0013 does not order a day by id, so each part walked the whole day (SQLite chose
-- it, covering, over a narrow (doc_date, id) index). The same index with id second: a range of
-- dates reads it as before (deleted, after a range, was never sought on), a part seeks both
-- ends of its (doc_date, id) range in it (EXPLAIN QUERY PLAN: (doc_date,id)>(?,?) AND
-- (doc_date,id)<(?,?)).
DROP INDEX invoices_report;
DROP INDEX credit_memos_report;
CREATE INDEX invoices_report ON invoices(doc_date, id, deleted, calculation_id, tax_status, currency, region, number);
CREATE INDEX credit_memos_report ON credit_memos(doc_date, id, deleted, calculation_id, tax_status, currency, region,
  number);

-- The filing summary's and the liability report's "calculated, not collected" sums (issue 20:
-- at 1,000,000 documents summing the year's ~30,000 kept candidates was over a request's
-- budget, twice for a summary with Canada: once for every region and once for the federal
-- return). report_rows.not_collected_candidates' sums (per month, region, currency and the
-- inputs of the reason) are kept per whole month, region filter and document type in
-- rillet_nc_memo, with the month's generation they were summed at; every change to a
-- candidate of a month bumps its generation (nc_docs.refresh, in the writer's transaction),
-- so a memo whose generation is not the month's is summed again from the rows.
CREATE TABLE rillet_nc_months (
  month TEXT PRIMARY KEY,          -- YYYY-MM of a candidate's date (before or after a change)
  gen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE rillet_nc_memo (
  month TEXT NOT NULL,
  region TEXT NOT NULL,            -- the region filter ('' none)
  doc_type TEXT NOT NULL,
  gen INTEGER NOT NULL,            -- rillet_nc_months.gen (0: none) when summed
  sums TEXT NOT NULL,              -- the sums' rows (JSON)
  PRIMARY KEY (month, region, doc_type)
) WITHOUT ROWID;
