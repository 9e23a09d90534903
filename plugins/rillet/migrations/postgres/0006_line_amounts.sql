-- rillet plugin on PostgreSQL (issue 22): the twin of ../0006_line_amounts.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- How the connection reads InvoiceItem.total_amount where a document's own totals cannot tell
-- (issue 16; docs/rillet-assumptions.md "Line amounts and discounts"): 'net' = after the
-- line's total_discount (the spec's reading, the default), 'gross' = before it.
ALTER TABLE connections ADD COLUMN line_amounts TEXT NOT NULL DEFAULT 'net';
