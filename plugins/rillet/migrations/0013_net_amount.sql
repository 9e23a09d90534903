-- A document's net amount (Rillet's net_amount.amount) in a column of its own (issue 22): the
-- document list's CSV and the exposure report read it without json_extract on the stored
-- document, which PostgreSQL does not have (docs.lua apply writes it with every copy).
ALTER TABLE invoices ADD COLUMN net_amount TEXT;
ALTER TABLE credit_memos ADD COLUMN net_amount TEXT;
UPDATE invoices SET net_amount = CASE WHEN json_valid(raw) THEN json_extract(raw, '$.net_amount.amount') END;
UPDATE credit_memos SET net_amount = CASE WHEN json_valid(raw) THEN json_extract(raw, '$.net_amount.amount') END;
