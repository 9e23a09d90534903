-- rillet plugin (issue 20, the filing summary at 10,000 invoices): the liability and filing
-- reports' "calculated, not collected" candidates (report_rows.lua not_collected_candidates)
-- read every column they show of a document from these indexes, not from the documents' rows:
-- last_error, reason and reason_detail are after Rillet's raw JSON in a row, so reading them
-- walked each candidate's overflow pages (at 10,000 invoices ~35 ms of a request's 80 ms).
-- Indexes, not a table kept beside the documents: docs.lua and the tax state writes keep them
-- on both engines.
CREATE INDEX invoices_candidates ON invoices(doc_date, deleted, calculation_id, tax_status, currency, region, id,
  number, connection_id, status, last_error, reason, reason_detail);
CREATE INDEX credit_memos_candidates ON credit_memos(doc_date, deleted, calculation_id, tax_status, currency, region, id,
  number, connection_id, status, last_error, reason, reason_detail);
