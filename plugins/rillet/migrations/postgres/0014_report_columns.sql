-- rillet plugin on PostgreSQL (issue 22): the twin of ../0014_report_columns.sql — a
-- document's net amount as a column of its own (docs.lua writes it with every copy; below, for
-- the documents stored before).
ALTER TABLE invoices ADD COLUMN net_amount TEXT;
ALTER TABLE credit_memos ADD COLUMN net_amount TEXT;

-- text → jsonb, NULL when it is not JSON (SQLite's json_valid guard)
CREATE FUNCTION rillet_try_jsonb(t TEXT) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS
$$ BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;

UPDATE invoices SET net_amount = rillet_try_jsonb(raw) #>> '{net_amount,amount}';
UPDATE credit_memos SET net_amount = rillet_try_jsonb(raw) #>> '{net_amount,amount}';
