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

-- Reconciliation runs (reconcile.lua): one per connection and run, resumable from its cursor.
CREATE TABLE reconciliation_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection_id TEXT NOT NULL,
  state TEXT NOT NULL,                  -- running | done | failed
  started_at TEXT NOT NULL,
  started_ms INTEGER NOT NULL,
  finished_at TEXT,
  cursor_type TEXT,                     -- last document checked (doc type, id)
  cursor_id TEXT,
  checked INTEGER NOT NULL DEFAULT 0,
  drift INTEGER NOT NULL DEFAULT 0,
  error TEXT
);
CREATE INDEX reconciliation_runs_conn ON reconciliation_runs(connection_id, id);

-- Every difference a reconciliation found between Rillet and levy, and what levy did.
CREATE TABLE reconciliation (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id INTEGER NOT NULL,
  connection_id TEXT NOT NULL,
  doc_type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  number TEXT,
  rillet_tax TEXT,                      -- taxed_amount Rillet holds (NULL: document gone)
  levy_tax TEXT,                        -- what levy last wrote
  reason TEXT NOT NULL,
  action TEXT NOT NULL,                 -- write-back re-queued | recalculated ... | flagged drift | marked deleted
  found_at TEXT NOT NULL
);
CREATE INDEX reconciliation_conn ON reconciliation(connection_id, id);
CREATE INDEX reconciliation_doc ON reconciliation(doc_type, doc_id, id);
