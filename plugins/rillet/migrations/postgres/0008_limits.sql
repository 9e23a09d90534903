-- rillet plugin on PostgreSQL (issue 22): the twin of ../0008_limits.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Limits that fit Rillet (issue 17): inbox pruning, and the version a write-back answered.
-- Inbox pruning (issue 17). A processed delivery's row (its whole body) is deleted from
-- `inbox` once it is older than the retention period (--inbox-retention-days, default 30);
-- its X-Rillet-Id moves here, so a redelivery of it is still answered as a duplicate for
-- ever. One narrow row per delivery id, no rowid.
CREATE TABLE inbox_seen (
  delivery_id TEXT PRIMARY KEY,         -- X-Rillet-Id
  connection_id TEXT NOT NULL,
  received_at TEXT NOT NULL
);
-- the pruning pass reads the oldest processed rows first
CREATE INDEX inbox_processed ON inbox(processed_at) WHERE processed_at IS NOT NULL;

-- Legal wording on tax lines (issue 17): the version of the document (Rillet's updated_at)
-- that a write-back's answer showed. Rillet's reads expose only tax totals, so a 0 % line
-- carrying "Reverse charge ..." or "Exempt: certificate N" is known to be in Rillet only from
-- levy's own write of that result to that very version (writeback.note_unwritten).
ALTER TABLE writebacks ADD COLUMN doc_version TEXT;
