-- How the connection reads InvoiceItem.total_amount where a document's own totals cannot tell
-- (issue 16; docs/rillet-assumptions.md "Line amounts and discounts"): 'net' = after the
-- line's total_discount (the spec's reading, the default), 'gross' = before it.
ALTER TABLE connections ADD COLUMN line_amounts TEXT NOT NULL DEFAULT 'net';
