-- reports plugin (issue 20, the drill-down and export at 100,000 and 1M documents): an
-- export's `total` is counted when it is asked for from at most 2,000 documents of each type
-- (counting a quarter of 85,000 documents was past a request's budget: POST answered 500).
-- total_exact = 0: the period holds more, `total` is a lower bound until the export is done
-- (then it is the documents written). Exports made before this migration counted exactly: 1.
ALTER TABLE reports_exports ADD COLUMN total_exact INTEGER NOT NULL DEFAULT 1;
