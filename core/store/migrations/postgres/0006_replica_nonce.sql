-- Two live processes with one replica id on PostgreSQL (issue 22): the twin of
-- ../0006_replica_nonce.sql (see there).
ALTER TABLE replicas ADD COLUMN nonce TEXT;
ALTER TABLE replicas ADD COLUMN session TEXT;
