-- rillet plugin (issues 20, 21): indexes for Home's "needs attention" counts and the
-- Integrations page at 100,000 documents and more (bench/README.md "Reports and the sums
-- check at 100k and 1M documents"). Both read a column that sits after the raw Rillet JSON in
-- the row, so without an index every document's row (and its overflow pages) was read:
--   GET /v1/invoices?tax_status=failed (and drift, and the credit memos'): the page was
--     SCAN invoices in rowid order, the total a scan of a covering index; at 100k documents
--     and none failed the page ran past a request's budget (500). (tax_status): SEARCH, the
--     page in rowid order from the index (rowid is its last key), the total from the index;
--   GET /v1/connections: each connection's import progress (conn.lua doc_progress: count and
--     decided per connection, deleted = 0) read every row of the connection (500 at 100k).
--     (connection_id, deleted, tax_status, reason) covers it: an index range, no row read.
-- ../postgres/0022_list_status_index.sql: the same indexes.
CREATE INDEX invoices_tax_status ON invoices(tax_status);
CREATE INDEX credit_memos_tax_status ON credit_memos(tax_status);
CREATE INDEX invoices_conn_progress ON invoices(connection_id, deleted, tax_status, reason);
CREATE INDEX credit_memos_conn_progress ON credit_memos(connection_id, deleted, tax_status, reason);
