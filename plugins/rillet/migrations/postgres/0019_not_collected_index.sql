-- rillet plugin on PostgreSQL (issue 20): the twin of ../0019_not_collected_index.sql — the
-- not-collected candidates' sums read the documents' date, calculation, state, currency,
-- region, connection, status and own reason from these indexes.
CREATE INDEX invoices_not_collected ON invoices(doc_date, deleted, calculation_id, tax_status, currency, region, connection_id, status, reason, id);
CREATE INDEX credit_memos_not_collected ON credit_memos(doc_date, deleted, calculation_id, tax_status, currency, region, connection_id, status, reason, id);
