-- rillet plugin (issues 20, 22): two facts of a stored calculation as columns beside its
-- figures (calc_rows.lua writes them with them), for the document lists' filters and the Home
-- dashboard's items, read by the same SQL on SQLite and PostgreSQL:
--   imprecise: it located its ship-to only imprecisely — resolution zip5 with ambiguous_zip (a
--     ZIP5 spanning several rates), or the note local_tax_uncertain (a city's own tax decided on
--     a partial address): ?precision=imprecise, "taxed at a ZIP-level rate". The lists read the
--     result JSON with json_extract / json_each before, which PostgreSQL does not have (a 500);
--   cert_expired: it carries the note exemption_certificate_expired (the customer's certificate
--     covering the region had expired, or was not yet valid, on the document's date: taxed):
--     ?certificate=expired, "taxed because the exemption certificate had expired".
-- Filled here for the calculations stored before it (../postgres/0021_calc_imprecise.sql: the
-- same rules).
ALTER TABLE rillet_calc_heads ADD COLUMN imprecise INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rillet_calc_heads ADD COLUMN cert_expired INTEGER NOT NULL DEFAULT 0;
UPDATE rillet_calc_heads SET imprecise = 1 WHERE calculation_id IN (
  SELECT c.id FROM calculations c WHERE c.result IS NOT NULL AND json_valid(c.result) AND (
    (json_extract(c.result, '$.resolution') = 'zip5' AND json_type(c.result, '$.ambiguous_zip') = 'object')
    OR (json_type(c.result, '$.notes') = 'array' AND EXISTS (SELECT 1 FROM json_each(c.result, '$.notes') n
      WHERE n.type = 'object' AND json_extract(n.value, '$.code') = 'local_tax_uncertain'))));
UPDATE rillet_calc_heads SET cert_expired = 1 WHERE calculation_id IN (
  SELECT c.id FROM calculations c WHERE c.result IS NOT NULL AND json_valid(c.result)
    AND json_type(c.result, '$.notes') = 'array' AND EXISTS (SELECT 1 FROM json_each(c.result, '$.notes') n
      WHERE n.type = 'object' AND json_extract(n.value, '$.code') = 'exemption_certificate_expired'));
