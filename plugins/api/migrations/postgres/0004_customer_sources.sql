-- api plugin on PostgreSQL: the twin of ../0004_customer_sources.sql (where a customer's tax
-- id and exemption came from).
ALTER TABLE customers ADD COLUMN tax_id_detail TEXT;
ALTER TABLE customers ADD COLUMN mapped_tax_id TEXT;
ALTER TABLE customers ADD COLUMN mapped_tax_id_detail TEXT;
ALTER TABLE customers ADD COLUMN exempt_source TEXT;     -- mapping | user | NULL
ALTER TABLE customers ADD COLUMN exempt_detail TEXT;
ALTER TABLE customers ADD COLUMN mapped_exempt BIGINT;   -- 1 / 0 from the Rillet data, NULL: no exemption field
ALTER TABLE customers ADD COLUMN mapped_exempt_detail TEXT;
UPDATE customers SET exempt_source = 'user' WHERE exempt = 1;
