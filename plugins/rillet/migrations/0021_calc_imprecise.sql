-- rillet plugin (issues 20, 22): whether a stored calculation located its ship-to only
-- imprecisely, as a column beside its figures (calc_rows.lua writes it with them): resolution
-- zip5 with ambiguous_zip (a ZIP5 spanning several rates), or the note local_tax_uncertain (a
-- city's own tax decided on a partial address). The document lists' ?precision=imprecise (the
-- Home dashboard's "taxed at a ZIP-level rate") read it; they read the result JSON with
-- json_extract / json_each before, which PostgreSQL does not have (a 500 there). Filled here
-- for the calculations stored before it (../postgres/0021_calc_imprecise.sql: the same rule).
ALTER TABLE rillet_calc_heads ADD COLUMN imprecise INTEGER NOT NULL DEFAULT 0;
UPDATE rillet_calc_heads SET imprecise = 1 WHERE calculation_id IN (
  SELECT c.id FROM calculations c WHERE c.result IS NOT NULL AND json_valid(c.result) AND (
    (json_extract(c.result, '$.resolution') = 'zip5' AND json_type(c.result, '$.ambiguous_zip') = 'object')
    OR (json_type(c.result, '$.notes') = 'array' AND EXISTS (SELECT 1 FROM json_each(c.result, '$.notes') n
      WHERE n.type = 'object' AND json_extract(n.value, '$.code') = 'local_tax_uncertain'))));
