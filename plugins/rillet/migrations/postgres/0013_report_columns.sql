-- rillet plugin on PostgreSQL (issue 22): the twin of ../0013_report_columns.sql — what the
-- reports read from a stored document's or calculation's JSON, in columns and rows of their own
-- (docs.lua writes net_amount, calc_rows.lua record the calculation rows; the same rules here
-- in SQL for rows stored before, as the SQLite migration does).
ALTER TABLE invoices ADD COLUMN net_amount TEXT;
ALTER TABLE credit_memos ADD COLUMN net_amount TEXT;

CREATE TABLE rillet_calc_totals (
  calculation_id TEXT PRIMARY KEY,
  result_object BIGINT NOT NULL,
  total_taxable TEXT,
  total_taxable_minor BIGINT,
  total_taxable_scale BIGINT,
  total_amount TEXT,
  ship_country TEXT,
  ship_state TEXT
);

CREATE TABLE rillet_calc_taxes (
  calculation_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
  jurisdiction TEXT,
  level TEXT,
  type TEXT,
  authority_code TEXT,
  amount TEXT,
  amount_minor BIGINT,
  amount_scale BIGINT,
  taxable TEXT,
  taxable_minor BIGINT,
  taxable_scale BIGINT,
  PRIMARY KEY (calculation_id, seq)
);

-- text → jsonb, NULL when it is not JSON (SQLite's json_valid guard)
CREATE FUNCTION rillet_try_jsonb(t TEXT) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS
$$ BEGIN RETURN t::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;

UPDATE invoices SET net_amount = rillet_try_jsonb(raw) #>> '{net_amount,amount}';
UPDATE credit_memos SET net_amount = rillet_try_jsonb(raw) #>> '{net_amount,amount}';

INSERT INTO rillet_calc_totals(calculation_id, result_object, total_taxable, total_taxable_minor,
  total_taxable_scale, total_amount, ship_country, ship_state)
SELECT id, obj, tt, CASE WHEN (tt ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(tt) <= 18) THEN replace(tt, '.', '')::bigint END, CASE WHEN (tt ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(tt) <= 18) THEN (CASE WHEN strpos(tt, '.') = 0 THEN 0 ELSE length(tt) - strpos(tt, '.') END) END, ta, sc, ss FROM (
  SELECT id, CASE WHEN jsonb_typeof(r) = 'object' THEN 1 ELSE 0 END AS obj,
    CASE WHEN jsonb_typeof(r) = 'object' THEN (CASE WHEN r -> 'total_taxable' IS NULL OR jsonb_typeof(r -> 'total_taxable') = 'null' THEN NULL WHEN jsonb_typeof(r -> 'total_taxable') = 'string' THEN r ->> 'total_taxable' ELSE '' END) END AS tt,
    CASE WHEN jsonb_typeof(r -> 'total_amount') = 'string' THEN r ->> 'total_amount'
         WHEN jsonb_typeof(r -> 'total_amount') = 'number' AND (r ->> 'total_amount') ~ '^-?[0-9]+$'
         THEN r ->> 'total_amount' END AS ta,
    CASE WHEN jsonb_typeof(q -> 'ship_to' -> 'country') = 'string' THEN q -> 'ship_to' ->> 'country' END AS sc,
    CASE WHEN jsonb_typeof(q -> 'ship_to' -> 'state') = 'string' THEN q -> 'ship_to' ->> 'state' END AS ss
  FROM (SELECT id, rillet_try_jsonb(result) AS r, rillet_try_jsonb(request) AS q FROM calculations) c) x;

INSERT INTO rillet_calc_taxes(calculation_id, seq, jurisdiction, level, type, authority_code, amount, amount_minor,
  amount_scale, taxable, taxable_minor, taxable_scale)
SELECT calculation_id, seq, jur, lev, typ, code, a, CASE WHEN (a ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(a) <= 18) THEN replace(a, '.', '')::bigint END, CASE WHEN (a ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(a) <= 18) THEN (CASE WHEN strpos(a, '.') = 0 THEN 0 ELSE length(a) - strpos(a, '.') END) END, b, CASE WHEN (b ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(b) <= 18) THEN replace(b, '.', '')::bigint END, CASE WHEN (b ~ '^-?[0-9]+(\.[0-9]+)?$' AND length(b) <= 18) THEN (CASE WHEN strpos(b, '.') = 0 THEN 0 ELSE length(b) - strpos(b, '.') END) END FROM (
  SELECT c.id AS calculation_id, (li.ord - 1) * 1000000 + (tx.ord - 1) AS seq,
    CASE WHEN jsonb_typeof(tx.v) = 'object' THEN (CASE WHEN jsonb_typeof(tx.v -> 'jurisdiction') = 'string' THEN tx.v ->> 'jurisdiction' END) END AS jur,
    CASE WHEN jsonb_typeof(tx.v) = 'object' THEN (CASE WHEN jsonb_typeof(tx.v -> 'level') = 'string' THEN tx.v ->> 'level' END) END AS lev,
    CASE WHEN jsonb_typeof(tx.v) = 'object' THEN (CASE WHEN jsonb_typeof(tx.v -> 'type') = 'string' THEN tx.v ->> 'type' END) END AS typ,
    CASE WHEN jsonb_typeof(tx.v) = 'object' THEN (CASE WHEN jsonb_typeof(tx.v -> 'authority_code') = 'string' THEN tx.v ->> 'authority_code' END) END AS code,
    CASE WHEN jsonb_typeof(tx.v) = 'object' THEN (CASE WHEN tx.v -> 'amount' IS NULL OR jsonb_typeof(tx.v -> 'amount') = 'null' THEN NULL WHEN jsonb_typeof(tx.v -> 'amount') = 'string' THEN tx.v ->> 'amount' ELSE '' END) END AS a,
    CASE WHEN jsonb_typeof(tx.v) = 'object' THEN (CASE WHEN tx.v -> 'taxable_amount' IS NULL OR jsonb_typeof(tx.v -> 'taxable_amount') = 'null' THEN NULL WHEN jsonb_typeof(tx.v -> 'taxable_amount') = 'string' THEN tx.v ->> 'taxable_amount' ELSE '' END) END AS b
  FROM (SELECT id, rillet_try_jsonb(result) AS r FROM calculations) c
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(c.r) = 'object'
      AND jsonb_typeof(c.r -> 'lines') = 'array' THEN c.r -> 'lines' ELSE '[]'::jsonb END) WITH ORDINALITY AS li(v, ord)
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(li.v) = 'object'
      AND jsonb_typeof(li.v -> 'taxes') = 'array' THEN li.v -> 'taxes' ELSE '[]'::jsonb END) WITH ORDINALITY AS tx(v, ord)) y;
