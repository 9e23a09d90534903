-- rillet plugin on PostgreSQL (issue 22): the twin of ../0011_reconcile_listing.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Reconciliation lists every document (issue 16): a run first pages through every invoice and
-- credit memo of the connection's subsidiary (no updated.gt), applies each copy (a document
-- whose deliveries were all lost is imported, an older copy is replaced) and marks it seen;
-- after comparing the documents levy wrote, it reads with GET each document levy holds that
-- the complete listing did not show: a 404 marks it deleted (a DELETED delivery levy never
-- got; the sweep's updated.gt cannot see deletions).
ALTER TABLE reconciliation_runs ADD COLUMN phase TEXT;        -- list_invoices | list_credit_memos | check | missing (NULL: check, no listing)
ALTER TABLE reconciliation_runs ADD COLUMN list_cursor TEXT;  -- Rillet's cursor of the listing in progress
ALTER TABLE reconciliation_runs ADD COLUMN listed BIGINT NOT NULL DEFAULT 0;
CREATE TABLE reconciliation_seen (
  run_id BIGINT NOT NULL,
  doc_type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  PRIMARY KEY (run_id, doc_type, doc_id)
);
