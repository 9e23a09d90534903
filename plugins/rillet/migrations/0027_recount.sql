-- rillet plugin (issue 20, operations): the "recount kept sums" action (recount.lua). Tables
-- kept by triggers or jobs from the documents (rillet_conn_doc_counts 0025, the documents'
-- calc_imprecise / calc_cert_expired 0024, rillet_us_days 0026, rillet_nc_memo 0023, the
-- filing sums 0017/0020) are wrong after anything wrote the store behind levy's back without
-- them (bench/storeclone.py, a partial restore, a manual SQL fix). The recount rebuilds each
-- from the documents, a chunk a job run, while levy serves; its one state row:
--   state: idle | running | done | failed; phase and cursor: where the next chunk starts
--   (resumable: a restart continues from there); changes: what it found wrong and fixed
--   (JSON, per table: rows or documents fixed and the first examples); requested_by: the
--   audit actor's label.
-- ../postgres/0027_recount.sql: the same.
CREATE TABLE rillet_recount (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL DEFAULT 'idle',
  phase TEXT,
  cursor TEXT,
  changes TEXT,
  started_at TEXT,
  finished_at TEXT,
  error TEXT
);
INSERT INTO rillet_recount(id, state) VALUES (1, 'idle');
