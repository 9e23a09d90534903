-- rillet plugin (issue 22): a document's net amount (Rillet's net_amount.amount) as a column of
-- its own, so that the document list's CSV and the exposure report read it without
-- json_extract (PostgreSQL has none): docs.lua apply writes it with every copy; below, for the
-- documents stored before this migration. (A calculation's figures: migration 0013.)
ALTER TABLE invoices ADD COLUMN net_amount TEXT;
ALTER TABLE credit_memos ADD COLUMN net_amount TEXT;
UPDATE invoices SET net_amount = CASE WHEN json_valid(raw) THEN json_extract(raw, '$.net_amount.amount') END;
UPDATE credit_memos SET net_amount = CASE WHEN json_valid(raw) THEN json_extract(raw, '$.net_amount.amount') END;
