-- PostgreSQL twin of ../0002_jobs_kind_index.sql: the claim by kind
--   WHERE kind = ? AND state = 'queued' AND run_at <= ? ORDER BY run_at, created_at, rowid
-- walks this index in order; it replaces jobs_kind_state (same leading columns).
CREATE INDEX jobs_kind_state_run_at ON jobs (kind, state, run_at, created_at);
DROP INDEX jobs_kind_state;
