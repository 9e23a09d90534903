-- rillet plugin on PostgreSQL (issue 22): the twin of ../0005_scope.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Which documents levy may write (issue 16, "no silent back-taxing" and "manual tax policy"),
-- and why each document is (or is not) written.
--
-- tax_from: documents dated before it are not written unless levy wrote them before
-- (default: the day the connection is made; existing connections get the day they were made).
ALTER TABLE connections ADD COLUMN tax_from TEXT;
ALTER TABLE connections ADD COLUMN tax_partially_paid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN tax_partially_credited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN manual_tax TEXT NOT NULL DEFAULT 'respect_manual';
-- the last closed books period as read from GET /books/periods/last-closed
ALTER TABLE connections ADD COLUMN closed_through TEXT;      -- its end date, NULL = none closed
ALTER TABLE connections ADD COLUMN closed_checked_ms BIGINT; -- when Rillet last answered
ALTER TABLE connections ADD COLUMN closed_error TEXT;         -- the last failure to read it
UPDATE connections SET tax_from = substr(created_at, 1, 10) WHERE tax_from IS NULL;

-- reason: written | no_tax_due | not_collecting | outside_window | paid_before_calculation |
-- credited | voided | skipped_by_mapping | manual_tax_kept | closed_period | held | failed | drift;
-- NULL while a calculation or a write-back is pending. reason_detail: the amount kept, Rillet's
-- error, the date... (shown with the reason).
ALTER TABLE invoices ADD COLUMN reason TEXT;
ALTER TABLE invoices ADD COLUMN reason_detail TEXT;
ALTER TABLE credit_memos ADD COLUMN reason TEXT;
ALTER TABLE credit_memos ADD COLUMN reason_detail TEXT;
CREATE INDEX invoices_reason ON invoices(reason);
CREATE INDEX credit_memos_reason ON credit_memos(reason);

-- Back-taxing older documents is an explicit action (POST /v1/connections/{id}/backfill): a
-- confirmed date range puts its documents inside the connection's window; the rillet.backfill
-- job re-evaluates them a few at a time, only while no live calculation or write-back waits.
CREATE TABLE backfills (
  id TEXT PRIMARY KEY,                  -- bf_...
  connection_id TEXT NOT NULL,
  date_from TEXT NOT NULL,
  date_to TEXT NOT NULL,
  state TEXT NOT NULL,                  -- running | done
  documents BIGINT NOT NULL DEFAULT 0, -- the preview's count when confirmed
  queued BIGINT NOT NULL DEFAULT 0,    -- documents queued so far
  cursor_invoices BIGINT NOT NULL DEFAULT 0,
  cursor_credit_memos BIGINT NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX backfills_conn ON backfills(connection_id, date_from, date_to);
