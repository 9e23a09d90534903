-- Claims by kind (the runner claims each kind separately) walked every queued job of every
-- kind in run_at order through jobs_state_run_at: with 10,000 calculations queued ahead, each
-- write-back claim scanned them all. This index serves
--   WHERE kind = ? AND state = 'queued' AND run_at <= ? ORDER BY run_at, created_at, rowid
-- in order, and replaces jobs_kind_state (same leading columns).
CREATE INDEX jobs_kind_state_run_at ON jobs (kind, state, run_at, created_at);
DROP INDEX jobs_kind_state;
