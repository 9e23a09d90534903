-- Generations across replicas on PostgreSQL (issue 22): the twin of ../0004_generations.sql
-- (see there). Integers are BIGINT, text TEXT.
CREATE TABLE generations (
    hash            TEXT PRIMARY KEY,
    seq             BIGINT NOT NULL UNIQUE,
    tree_sha256     TEXT NOT NULL,
    rates           TEXT NOT NULL,
    first_loaded_ms BIGINT NOT NULL,
    seq_at_ms       BIGINT NOT NULL,
    replica         TEXT
);

CREATE TABLE replicas (
    id              TEXT PRIMARY KEY,
    generation      BIGINT NOT NULL,
    generation_hash TEXT NOT NULL,
    generation_seq  BIGINT,
    loaded_at_ms    BIGINT NOT NULL,
    started_ms      BIGINT NOT NULL,
    last_seen_ms    BIGINT NOT NULL,
    version         TEXT
);
