-- rillet plugin (issue 20, reports at 10,000 invoices): the exposure report's day totals read
-- each US document's date, currency, calculation, net_amount (0014), customer and id from
-- these indexes, not from the documents' rows: net_amount is the rows' last column, after
-- Rillet's raw JSON, so reading it from a row walks that row's overflow pages (at 10,000
-- invoices ~3x the CPU of the whole query, over a request's budget). An index, not a table
-- kept beside the documents: docs.lua writes net_amount with every copy, on both engines.
CREATE INDEX invoices_exposure ON invoices(doc_date, deleted, currency, calculation_id, net_amount, customer_id, id);
CREATE INDEX credit_memos_exposure ON credit_memos(doc_date, deleted, currency, calculation_id, net_amount, customer_id, id);
