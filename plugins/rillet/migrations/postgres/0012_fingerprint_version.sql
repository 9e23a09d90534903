-- rillet plugin on PostgreSQL (issue 22): the twin of ../0012_fingerprint_version.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Fingerprints get a version (issue 18): 1 = hashed over the rillet plugin's own Lua canonical
-- JSON text (before this migration), 2 = over levy.json.canonical, the one canonical encoder.
-- A version-1 fingerprint is not compared byte for byte with a version-2 one: docs.lua
-- recomputes it once from the stored document (docs.stored_fingerprint), so a change of
-- encoder never makes a document look changed (recalculated and written again).
ALTER TABLE invoices ADD COLUMN fingerprint_version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE credit_memos ADD COLUMN fingerprint_version BIGINT NOT NULL DEFAULT 1;
