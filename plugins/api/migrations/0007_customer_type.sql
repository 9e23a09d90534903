-- Customer type (issue 19, "Business vs consumer in the US"): whether a customer buys for
-- business or for personal use; CT, MD, IA, OH, WA, NJ tax some codes differently for each
-- (docs/rules.md "Customer type"). Kept like the tax id and exemption (0004): what the Rillet
-- data gives (mapping.lua: a custom field by name) apart from the value in effect, so a value
-- set in levy can be undone (PUT /v1/customers/{id} {"customer_type": null}).
-- NULL in effect: the customer follows the default_customer_type setting.
ALTER TABLE customers ADD COLUMN customer_type TEXT;               -- business | individual | NULL
ALTER TABLE customers ADD COLUMN customer_type_source TEXT;        -- mapping | user | NULL
ALTER TABLE customers ADD COLUMN customer_type_detail TEXT;        -- e.g. "custom field Customer type = Consumer"
ALTER TABLE customers ADD COLUMN mapped_customer_type TEXT;        -- what the Rillet data gives, NULL: nothing
ALTER TABLE customers ADD COLUMN mapped_customer_type_detail TEXT;
