-- Core schema: the durable job queue (core/store/jobs.h) and a small key/value table.
-- Append-only: never edit this file once landed; add 0002_*.sql instead.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,               -- "job_<24 base32>"
    kind         TEXT NOT NULL,
    key          TEXT,                           -- de-duplication key (optional)
    payload      TEXT NOT NULL DEFAULT '{}',     -- JSON
    state        TEXT NOT NULL DEFAULT 'queued'
                 CHECK (state IN ('queued', 'running', 'done', 'dead')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    run_at       INTEGER NOT NULL,               -- ms since the epoch
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    last_error   TEXT
);
CREATE UNIQUE INDEX jobs_queued_key ON jobs (kind, key) WHERE state = 'queued' AND key IS NOT NULL;
CREATE INDEX jobs_state_run_at ON jobs (state, run_at);
CREATE INDEX jobs_kind_state ON jobs (kind, state);

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT
);
