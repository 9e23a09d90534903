-- Core schema on PostgreSQL: the same tables, columns, constraints and indexes as
-- ../0001_core.sql (SQLite), version for version (issue 22). Integers are BIGINT, text TEXT.
-- Append-only: never edit this file once landed; add 0002_*.sql instead.
-- rowid: the job claims order ties by SQLite's implicit rowid (core/store/jobs.c); here it is
-- an identity column of its own (insertion order), so the same SQL text works on both.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,               -- "job_<24 base32>"
    kind         TEXT NOT NULL,
    key          TEXT,                           -- de-duplication key (optional)
    payload      TEXT NOT NULL DEFAULT '{}',     -- JSON
    state        TEXT NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 8,
    run_at       BIGINT NOT NULL,                -- ms since the epoch
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    last_error   TEXT,
    rowid        BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE UNIQUE INDEX jobs_queued_key ON jobs (kind, key) WHERE state = 'queued' AND key IS NOT NULL;
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
CREATE INDEX jobs_kind_state ON jobs (kind, state);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);
