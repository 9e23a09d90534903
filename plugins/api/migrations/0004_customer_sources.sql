-- Where a customer's tax id and exemption came from (issue 17): the value the Rillet data
-- gives (mapping.lua over external references and custom fields) is kept apart from the
-- one in effect, so a user override can be undone (PUT … {"tax_id": null} / {"exempt": null}
-- goes back to Rillet's value at once) and the customer page can say where each value came from.
ALTER TABLE customers ADD COLUMN tax_id_detail TEXT;     -- e.g. "external reference vat-id"
ALTER TABLE customers ADD COLUMN mapped_tax_id TEXT;     -- what the Rillet data gives
ALTER TABLE customers ADD COLUMN mapped_tax_id_detail TEXT;
ALTER TABLE customers ADD COLUMN exempt_source TEXT;     -- mapping | user | NULL (default: not exempt)
ALTER TABLE customers ADD COLUMN exempt_detail TEXT;     -- e.g. "custom field Tax exempt = Yes"
ALTER TABLE customers ADD COLUMN mapped_exempt INTEGER;  -- 1 / 0 from the Rillet data, NULL: no exemption field
ALTER TABLE customers ADD COLUMN mapped_exempt_detail TEXT;
UPDATE customers SET exempt_source = 'user' WHERE exempt = 1; -- set before sources existed: only PUT could
