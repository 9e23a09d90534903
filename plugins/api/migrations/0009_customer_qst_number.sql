-- Quebec QST registration number (issue 19, the QST specified system: docs/rules.md section 2).
-- A customer that gives its QST number of the regular system (1234567890TQ0001) is not charged
-- QST by a seller registered under the specified system (setting qc_qst_regime). Kept like
-- the tax id (0004) and customer type (0007): what the Rillet data gives (mapping.lua: an
-- external reference or custom field by name) apart from the value in effect, so a value set
-- in levy can be undone (PUT /v1/customers/{id} {"qst_number": null}). Stored normalised
-- (no spaces, upper case).
ALTER TABLE customers ADD COLUMN qst_number TEXT;                 -- 1234567890TQ0001 | NULL
ALTER TABLE customers ADD COLUMN qst_number_source TEXT;          -- mapping | user | NULL
ALTER TABLE customers ADD COLUMN qst_number_detail TEXT;          -- e.g. "custom field QST number"
ALTER TABLE customers ADD COLUMN mapped_qst_number TEXT;          -- what the Rillet data gives, NULL: nothing
ALTER TABLE customers ADD COLUMN mapped_qst_number_detail TEXT;
