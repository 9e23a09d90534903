-- rillet plugin on PostgreSQL (issue 20): the twin of ../0015_exposure_index.sql — the
-- exposure report's day totals read the documents' dates, currency, calculation, net_amount,
-- customer and id from these indexes (an index-only scan where the visibility map allows).
CREATE INDEX invoices_exposure ON invoices(doc_date, deleted, currency, calculation_id, net_amount, customer_id, id);
CREATE INDEX credit_memos_exposure ON credit_memos(doc_date, deleted, currency, calculation_id, net_amount, customer_id, id);
