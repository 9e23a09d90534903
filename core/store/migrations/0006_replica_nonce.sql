-- Two live processes with one replica id (issue 22): a data dir copied from another replica
-- carries its DATA_DIR/replica-id, and the two processes then heartbeat as one and requeue
-- each other's running jobs. Each process writes a nonce of its own life into its heartbeat
-- row, and on PostgreSQL the server session that wrote it ("pid@backend_start"), so a
-- process starting under an id whose row another live process is writing is told apart from
-- the same replica's previous life (core/host/genreg.c levy_genreg_clash).
ALTER TABLE replicas ADD COLUMN nonce TEXT;       -- random per process life
ALTER TABLE replicas ADD COLUMN session TEXT;     -- PostgreSQL: "pid@backend_start" of its connection
