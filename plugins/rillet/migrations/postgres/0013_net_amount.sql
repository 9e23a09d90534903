-- rillet plugin on PostgreSQL (issue 22): the twin of ../0013_net_amount.sql — a document's net
-- amount (Rillet's net_amount.amount) in a column of its own, written by docs.lua apply.
ALTER TABLE invoices ADD COLUMN net_amount TEXT;
ALTER TABLE credit_memos ADD COLUMN net_amount TEXT;
UPDATE invoices SET net_amount = raw::jsonb #>> '{net_amount,amount}';
UPDATE credit_memos SET net_amount = raw::jsonb #>> '{net_amount,amount}';
