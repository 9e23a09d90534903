-- api plugin on PostgreSQL: the twin of ../0009_customer_qst_number.sql (Quebec QST number).
ALTER TABLE customers ADD COLUMN qst_number TEXT;                 -- 1234567890TQ0001 | NULL
ALTER TABLE customers ADD COLUMN qst_number_source TEXT;          -- mapping | user | NULL
ALTER TABLE customers ADD COLUMN qst_number_detail TEXT;
ALTER TABLE customers ADD COLUMN mapped_qst_number TEXT;
ALTER TABLE customers ADD COLUMN mapped_qst_number_detail TEXT;
