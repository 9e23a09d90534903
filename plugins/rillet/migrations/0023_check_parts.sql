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
-- on one day (the bench store's does), where the report indexes (doc_date, deleted, ...) do not
-- order by id, so each part would have walked the whole day.
CREATE INDEX invoices_date_id ON invoices(doc_date, id);
CREATE INDEX credit_memos_date_id ON credit_memos(doc_date, id);
