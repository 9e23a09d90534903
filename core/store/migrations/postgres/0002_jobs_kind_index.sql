-- As ../0002_jobs_kind_index.sql: claims by kind walk the kind's queued jobs in order.
CREATE INDEX jobs_kind_state_run_at ON jobs (kind, state, run_at, created_at);
DROP INDEX jobs_kind_state;
