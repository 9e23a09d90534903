-- Generations across replicas (issue 22): hot reload is per replica, so during a rollout
-- replicas may serve different plugins/scripts/rate vintages. `generations` gives each content
-- (content hash: core/host/genreg.c) a store-issued order `seq` (higher = newer), shared by
-- every replica, which calculations record so an older generation's result never overwrites
-- a newer one's; `replicas` is each replica's heartbeat (what it serves, when it was last
-- seen), read by GET /admin/generation to show a mixed-generation window.
CREATE TABLE generations (
    hash            TEXT PRIMARY KEY,            -- sha256 hex of the content
    seq             INTEGER NOT NULL UNIQUE,     -- order across replicas (1, 2, ...)
    tree_sha256     TEXT NOT NULL,               -- plugins/ + scripts/ files
    rates           TEXT NOT NULL,               -- rate vintages: "source vintage rows" lines
    first_loaded_ms INTEGER NOT NULL,            -- first time any replica loaded it
    seq_at_ms       INTEGER NOT NULL,            -- when seq was (last) issued
    replica         TEXT                         -- the replica that had seq issued
);

CREATE TABLE replicas (
    id              TEXT PRIMARY KEY,            -- --replica-id
    generation      INTEGER NOT NULL,            -- the replica's own generation number
    generation_hash TEXT NOT NULL,
    generation_seq  INTEGER,                     -- NULL while not registered
    loaded_at_ms    INTEGER NOT NULL,
    started_ms      INTEGER NOT NULL,
    last_seen_ms    INTEGER NOT NULL,
    version         TEXT
);
