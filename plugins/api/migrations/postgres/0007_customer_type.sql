-- api plugin on PostgreSQL: the twin of ../0007_customer_type.sql (business vs consumer).
ALTER TABLE customers ADD COLUMN customer_type TEXT;               -- business | individual | NULL
ALTER TABLE customers ADD COLUMN customer_type_source TEXT;        -- mapping | user | NULL
ALTER TABLE customers ADD COLUMN customer_type_detail TEXT;
ALTER TABLE customers ADD COLUMN mapped_customer_type TEXT;
ALTER TABLE customers ADD COLUMN mapped_customer_type_detail TEXT;
