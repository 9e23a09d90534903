-- Core schema on PostgreSQL (the SQLite twin: ../0001_core.sql; same version numbers).
-- Append-only: never edit this file once landed; add 0003_*.sql instead.
-- rowid: the claim order's tie-break, as SQLite's rowid. lease_until: a running job's lease
-- (ms since the epoch): past it, another levy process may claim the job again (its runner
-- crashed); core/store/jobs.h.
CREATE TABLE jobs (
    rowid        BIGINT GENERATED ALWAYS AS IDENTITY,
    id           TEXT PRIMARY KEY,               -- "job_<24 base32>"
    kind         TEXT NOT NULL,
    key          TEXT,                           -- de-duplication key (optional)
    payload      TEXT NOT NULL DEFAULT '{}',     -- JSON
    state        TEXT NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    run_at       BIGINT NOT NULL,                -- ms since the epoch
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    last_error   TEXT,
    lease_until  BIGINT,                         -- ms; set while running
    claimed_by   TEXT                            -- the replica id that holds the lease
);
CREATE UNIQUE INDEX jobs_queued_key ON jobs (kind, key) WHERE state = 'queued' AND key IS NOT NULL;
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
CREATE INDEX jobs_kind_state ON jobs (kind, state);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);
