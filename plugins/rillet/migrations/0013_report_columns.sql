-- Issue 22: what the reports read from the JSON of a stored document or calculation, in columns
-- and rows of their own, so that the same SQL runs on SQLite and PostgreSQL (which has no
-- json_extract, json_each, typeof or GLOB).
--
-- A document's net amount (Rillet's net_amount.amount): the document list's CSV and the exposure
-- report read it (docs.lua apply writes it with every copy).
ALTER TABLE invoices ADD COLUMN net_amount TEXT;
ALTER TABLE credit_memos ADD COLUMN net_amount TEXT;
UPDATE invoices SET net_amount = CASE WHEN json_valid(raw) THEN json_extract(raw, '$.net_amount.amount') END;
UPDATE credit_memos SET net_amount = CASE WHEN json_valid(raw) THEN json_extract(raw, '$.net_amount.amount') END;

-- Per calculation (calc_rows.lua record, in the transaction that stores it): whether its result
-- is a JSON object, its total_taxable (text as stored; '' = present but not text) with its
-- minor units and decimals when it is a canonical decimal string (else NULL: the liability
-- report then decodes the results), its total_amount, and the request's ship-to.
CREATE TABLE rillet_calc_totals (
  calculation_id TEXT PRIMARY KEY,
  result_object INTEGER NOT NULL,       -- 1: the result is a JSON object; 0: none or not one
  total_taxable TEXT,
  total_taxable_minor INTEGER,          -- digits without the point; NULL: not canonical
  total_taxable_scale INTEGER,          -- digits after the point; NULL: not canonical
  total_amount TEXT,
  ship_country TEXT,
  ship_state TEXT
);

-- Per tax of each line of a calculation's result (seq = line index * 1000000 + tax index):
-- the liability report sums these per region, jurisdiction, level and type.
CREATE TABLE rillet_calc_taxes (
  calculation_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  jurisdiction TEXT,                    -- NULL unless the result holds text
  level TEXT,
  type TEXT,
  authority_code TEXT,
  amount TEXT,
  amount_minor INTEGER,
  amount_scale INTEGER,
  taxable TEXT,
  taxable_minor INTEGER,
  taxable_scale INTEGER,
  PRIMARY KEY (calculation_id, seq)
);

-- The calculations stored before this migration: the same rules as calc_rows.lua, in SQL.
INSERT INTO rillet_calc_totals(calculation_id, result_object, total_taxable, total_taxable_minor,
  total_taxable_scale, total_amount, ship_country, ship_state)
SELECT id, obj, tt, CASE WHEN (typeof(tt) = 'text' AND length(tt) BETWEEN 1 AND 18 AND (CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END) GLOB '[0-9]*' AND replace((CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END), '.', '') NOT GLOB '*[^0-9]*' AND length(tt) - length(replace(tt, '.', '')) <= 1 AND tt NOT GLOB '*.') THEN CAST(replace(tt, '.', '') AS INTEGER) END, CASE WHEN (typeof(tt) = 'text' AND length(tt) BETWEEN 1 AND 18 AND (CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END) GLOB '[0-9]*' AND replace((CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END), '.', '') NOT GLOB '*[^0-9]*' AND length(tt) - length(replace(tt, '.', '')) <= 1 AND tt NOT GLOB '*.') THEN (CASE WHEN instr(tt, '.') = 0 THEN 0 ELSE length(tt) - instr(tt, '.') END) END, ta, sc, ss FROM (
  SELECT id, CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN 1 ELSE 0 END AS obj,
    CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN (CASE WHEN json_type(result, '$.total_taxable') IS NULL OR json_type(result, '$.total_taxable') = 'null' THEN NULL WHEN json_type(result, '$.total_taxable') = 'text' THEN json_extract(result, '$.total_taxable') ELSE '' END) END AS tt,
    CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN (CASE json_type(result, '$.total_amount') WHEN 'text' THEN json_extract(result, '$.total_amount')
      WHEN 'integer' THEN CAST(json_extract(result, '$.total_amount') AS TEXT) END) END AS ta,
    CASE WHEN json_valid(request) THEN (CASE WHEN json_type(request, '$.ship_to.country') = 'text' THEN json_extract(request, '$.ship_to.country') END) END AS sc,
    CASE WHEN json_valid(request) THEN (CASE WHEN json_type(request, '$.ship_to.state') = 'text' THEN json_extract(request, '$.ship_to.state') END) END AS ss
  FROM calculations);

INSERT INTO rillet_calc_taxes(calculation_id, seq, jurisdiction, level, type, authority_code, amount, amount_minor,
  amount_scale, taxable, taxable_minor, taxable_scale)
SELECT calculation_id, seq, jur, lev, typ, code, a, CASE WHEN (typeof(a) = 'text' AND length(a) BETWEEN 1 AND 18 AND (CASE WHEN substr(a, 1, 1) = '-' THEN substr(a, 2) ELSE a END) GLOB '[0-9]*' AND replace((CASE WHEN substr(a, 1, 1) = '-' THEN substr(a, 2) ELSE a END), '.', '') NOT GLOB '*[^0-9]*' AND length(a) - length(replace(a, '.', '')) <= 1 AND a NOT GLOB '*.') THEN CAST(replace(a, '.', '') AS INTEGER) END, CASE WHEN (typeof(a) = 'text' AND length(a) BETWEEN 1 AND 18 AND (CASE WHEN substr(a, 1, 1) = '-' THEN substr(a, 2) ELSE a END) GLOB '[0-9]*' AND replace((CASE WHEN substr(a, 1, 1) = '-' THEN substr(a, 2) ELSE a END), '.', '') NOT GLOB '*[^0-9]*' AND length(a) - length(replace(a, '.', '')) <= 1 AND a NOT GLOB '*.') THEN (CASE WHEN instr(a, '.') = 0 THEN 0 ELSE length(a) - instr(a, '.') END) END, b, CASE WHEN (typeof(b) = 'text' AND length(b) BETWEEN 1 AND 18 AND (CASE WHEN substr(b, 1, 1) = '-' THEN substr(b, 2) ELSE b END) GLOB '[0-9]*' AND replace((CASE WHEN substr(b, 1, 1) = '-' THEN substr(b, 2) ELSE b END), '.', '') NOT GLOB '*[^0-9]*' AND length(b) - length(replace(b, '.', '')) <= 1 AND b NOT GLOB '*.') THEN CAST(replace(b, '.', '') AS INTEGER) END, CASE WHEN (typeof(b) = 'text' AND length(b) BETWEEN 1 AND 18 AND (CASE WHEN substr(b, 1, 1) = '-' THEN substr(b, 2) ELSE b END) GLOB '[0-9]*' AND replace((CASE WHEN substr(b, 1, 1) = '-' THEN substr(b, 2) ELSE b END), '.', '') NOT GLOB '*[^0-9]*' AND length(b) - length(replace(b, '.', '')) <= 1 AND b NOT GLOB '*.') THEN (CASE WHEN instr(b, '.') = 0 THEN 0 ELSE length(b) - instr(b, '.') END) END FROM (
  SELECT c.id AS calculation_id, li.key * 1000000 + tx.key AS seq,
    CASE WHEN tx.type = 'object' THEN (CASE WHEN json_type(tx.value, '$.jurisdiction') = 'text' THEN json_extract(tx.value, '$.jurisdiction') END) END AS jur,
    CASE WHEN tx.type = 'object' THEN (CASE WHEN json_type(tx.value, '$.level') = 'text' THEN json_extract(tx.value, '$.level') END) END AS lev,
    CASE WHEN tx.type = 'object' THEN (CASE WHEN json_type(tx.value, '$.type') = 'text' THEN json_extract(tx.value, '$.type') END) END AS typ,
    CASE WHEN tx.type = 'object' THEN (CASE WHEN json_type(tx.value, '$.authority_code') = 'text' THEN json_extract(tx.value, '$.authority_code') END) END AS code,
    CASE WHEN tx.type = 'object' THEN (CASE WHEN json_type(tx.value, '$.amount') IS NULL OR json_type(tx.value, '$.amount') = 'null' THEN NULL WHEN json_type(tx.value, '$.amount') = 'text' THEN json_extract(tx.value, '$.amount') ELSE '' END) END AS a,
    CASE WHEN tx.type = 'object' THEN (CASE WHEN json_type(tx.value, '$.taxable_amount') IS NULL OR json_type(tx.value, '$.taxable_amount') = 'null' THEN NULL WHEN json_type(tx.value, '$.taxable_amount') = 'text' THEN json_extract(tx.value, '$.taxable_amount') ELSE '' END) END AS b
  FROM calculations c,
    json_each(CASE WHEN json_valid(c.result) THEN (CASE WHEN json_type(c.result) = 'object'
                    AND json_type(c.result, '$.lines') = 'array' THEN c.result END) END, '$.lines') li,
    json_each(CASE WHEN li.type = 'object' THEN (CASE WHEN json_type(li.value, '$.taxes') = 'array' THEN li.value END)
                  END, '$.taxes') tx);
