-- rillet plugin on PostgreSQL (issues 20, 22): the twin of ../0021_calc_imprecise.sql — whether
-- a stored calculation located its ship-to only imprecisely (resolution zip5 with ambiguous_zip,
-- or the note local_tax_uncertain), written by calc_rows.lua; filled here for the calculations
-- stored before it (rillet_try_jsonb of 0014: NULL when the result is not JSON).
ALTER TABLE rillet_calc_heads ADD COLUMN imprecise BIGINT NOT NULL DEFAULT 0;
UPDATE rillet_calc_heads h SET imprecise = 1 FROM (
  SELECT c.id, rillet_try_jsonb(c.result) AS j FROM calculations c WHERE c.result IS NOT NULL
) r WHERE r.id = h.calculation_id AND r.j IS NOT NULL AND (
  (r.j ->> 'resolution' = 'zip5' AND jsonb_typeof(r.j -> 'ambiguous_zip') = 'object')
  OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(r.j -> 'notes') = 'array'
      THEN r.j -> 'notes' ELSE '[]'::jsonb END) n
    WHERE jsonb_typeof(n) = 'object' AND n ->> 'code' = 'local_tax_uncertain'));
