-- rillet plugin (issue 20, the liability report's "calculated, not collected" totals summed in
-- SQL): report_not_collected_candidates' sums group the candidates by what decides their reason
-- (connection, status, the document's own reason) as well as date, region and currency; read
-- from the documents' rows those columns walk each row's overflow pages past Rillet's raw JSON
-- (6,000 waiting invoices: 38 ms of SQLite CPU for the statement, 16 ms from this index).
-- reason is a short code (scope.lua), never free text: a B-tree entry stays small on PostgreSQL.
CREATE INDEX invoices_not_collected ON invoices(doc_date, deleted, calculation_id, tax_status, currency, region, connection_id, status, reason, id);
CREATE INDEX credit_memos_not_collected ON credit_memos(doc_date, deleted, calculation_id, tax_status, currency, region, connection_id, status, reason, id);
