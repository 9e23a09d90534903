-- Inbox pruning (issue 17). A processed delivery's row (its whole body) is deleted from
-- `inbox` once it is older than the retention period (--inbox-retention-days, default 30);
-- its X-Rillet-Id moves here, so a redelivery of it is still answered as a duplicate for
-- ever. One narrow row per delivery id, no rowid.
CREATE TABLE inbox_seen (
  delivery_id TEXT PRIMARY KEY,         -- X-Rillet-Id
  connection_id TEXT NOT NULL,
  received_at TEXT NOT NULL
) WITHOUT ROWID;
-- the pruning pass reads the oldest processed rows first
CREATE INDEX inbox_processed ON inbox(processed_at) WHERE processed_at IS NOT NULL;
