-- rillet plugin on PostgreSQL (issue 22): the twin of ../0007_bulk_runs.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Bulk re-checks run as jobs (issue 16): a change that touches many documents (a region, a
-- product's tax code, a customer's exemption, a connection's tax scope) records one run here
-- and answers at once with its document count; the rillet.bulk job re-checks the documents
-- in batches (resumable cursors) and keeps the progress here (GET /v1/bulk/{id}).
CREATE TABLE bulk_runs (
  id TEXT PRIMARY KEY,                  -- bulk_...
  kind TEXT NOT NULL,                   -- region | product | customer | connection
  target TEXT NOT NULL,                 -- the region code, product id, customer id, connection id
  force BIGINT NOT NULL DEFAULT 1,     -- 1: recalculate every matching document; 0: changed ones
  reason TEXT NOT NULL,                 -- written to each document's history
  state TEXT NOT NULL,                  -- running | done
  documents BIGINT NOT NULL DEFAULT 0, -- matching documents when the run was started
  done BIGINT NOT NULL DEFAULT 0,      -- documents re-checked so far
  queued BIGINT NOT NULL DEFAULT 0,    -- calculations queued so far
  cursor_invoices BIGINT NOT NULL DEFAULT 0,
  cursor_credit_memos BIGINT NOT NULL DEFAULT 0,
  job_id TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX bulk_runs_created ON bulk_runs(created_at);
