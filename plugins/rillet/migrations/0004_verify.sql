-- Sweep watermark per connection and entity (issue 16, case 1): the start time of the last
-- COMPLETE pull of that entity (the import, or a sweep) minus the overlap, written only when
-- the pull completes. Independent of webhooks and write-back responses, so a lost delivery
-- is always within the next sweep's `updated.gt` window.
CREATE TABLE sync_watermarks (
  connection_id TEXT NOT NULL,
  entity TEXT NOT NULL,                 -- invoices | credit_memos
  watermark_ms INTEGER NOT NULL,        -- next sweep: updated.gt = this instant
  pull_started_ms INTEGER NOT NULL,     -- levy's clock when the completed pull started
  source TEXT NOT NULL,                 -- import | sweep
  completed_at TEXT NOT NULL,
  PRIMARY KEY (connection_id, entity)
);
