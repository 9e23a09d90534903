-- rillet plugin on PostgreSQL (issues 20, 21): the twin of ../0022_list_status_index.sql — the
-- documents lists' ?tax_status= filter (Home's "needs attention" counts) and each connection's
-- import progress (GET /v1/connections) read from an index, not every document's row.
CREATE INDEX invoices_tax_status ON invoices(tax_status);
CREATE INDEX credit_memos_tax_status ON credit_memos(tax_status);
CREATE INDEX invoices_conn_progress ON invoices(connection_id, deleted, tax_status, reason);
CREATE INDEX credit_memos_conn_progress ON credit_memos(connection_id, deleted, tax_status, reason);
