-- rillet plugin on PostgreSQL (issues 20, 22): the twin of ../0021_calc_imprecise.sql — whether
-- a stored calculation located its ship-to only imprecisely (resolution zip5 with ambiguous_zip,
-- or the note local_tax_uncertain) and whether it carries the note
-- exemption_certificate_expired, written by calc_rows.lua; filled here for the calculations
-- stored before it (rillet_try_jsonb of 0014: NULL when the result is not JSON).
ALTER TABLE rillet_calc_heads ADD COLUMN imprecise BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rillet_calc_heads ADD COLUMN cert_expired BIGINT NOT NULL DEFAULT 0;
UPDATE rillet_calc_heads h SET
  imprecise = CASE WHEN (r.j ->> 'resolution' = 'zip5' AND jsonb_typeof(r.j -> 'ambiguous_zip') = 'object')
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(r.notes) n
      WHERE jsonb_typeof(n) = 'object' AND n ->> 'code' = 'local_tax_uncertain') THEN 1 ELSE 0 END,
  cert_expired = CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(r.notes) n
      WHERE jsonb_typeof(n) = 'object' AND n ->> 'code' = 'exemption_certificate_expired') THEN 1 ELSE 0 END
FROM (
  SELECT c.id, j, CASE WHEN jsonb_typeof(j -> 'notes') = 'array' THEN j -> 'notes' ELSE '[]'::jsonb END AS notes
  FROM (SELECT id, rillet_try_jsonb(result) AS j FROM calculations WHERE result IS NOT NULL) c
  WHERE j IS NOT NULL AND jsonb_typeof(j) = 'object'
) r WHERE r.id = h.calculation_id;
