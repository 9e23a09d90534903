-- rillet plugin (issue 20, reportperf II; issue 22): each stored calculation's figures as
-- integer columns, so the filing, liability and exposure reports sum a year of documents in SQL
-- without reading their JSON (SQLite 3.40 parses a result's text again for every json_extract:
-- at 3,000 documents that alone is more than a request's 80 ms; PostgreSQL has no json_extract,
-- json_each, typeof or GLOB at all). The rows are written from Lua (calc_rows.lua record) in the
-- transaction that stores the calculation, on SQLite and PostgreSQL alike (no triggers: the
-- same code on both engines); below, for the calculations stored before this migration, the
-- same rules in SQLite's SQL (a PostgreSQL store has none before it: postgres/0013 came with
-- the first plugin migrations that engine ran).
-- Amounts: the sum of the decimal strings without their points (minor units when their
-- decimals are the currency's exponent); dp_lo / dp_hi: the fewest and most decimals of the
-- amounts summed (99 / -99 when none was given; -1 when one is not a canonical decimal
-- string — an optional "-", digits, an optional "." and digits, at most 18 characters — or a
-- line is not an object): a reader uses a sum only when both are the currency's
-- exponent (or none was given).

-- per calculation and taxability reason ('' for none): its lines' amounts
CREATE TABLE rillet_calc_sales (
  calculation_id TEXT NOT NULL,
  reason TEXT NOT NULL,
  lines INTEGER NOT NULL,
  amount INTEGER NOT NULL,         -- Σ line amount (a missing amount counts 0)
  discount INTEGER NOT NULL,       -- Σ line discount
  taxable INTEGER NOT NULL,        -- Σ line taxable_amount
  dp_lo INTEGER NOT NULL, dp_hi INTEGER NOT NULL,
  PRIMARY KEY (calculation_id, reason)
) WITHOUT ROWID;

-- per calculation, line reason and jurisdiction (jurisdiction, level, type, authority code,
-- rate as written): its tax amounts
CREATE TABLE rillet_calc_taxes (
  calculation_id TEXT NOT NULL,
  reason TEXT NOT NULL,            -- the lines' taxability_reason ('' for none)
  jurisdiction TEXT, level TEXT, type TEXT, authority_code TEXT,
  rate TEXT,                       -- the tax's percentage as written (a number as its text)
  n INTEGER NOT NULL,              -- tax rows summed
  amount INTEGER,                  -- Σ amount (NULL: one had none)
  taxable INTEGER NOT NULL,        -- Σ taxable_amount
  dp_lo INTEGER NOT NULL, dp_hi INTEGER NOT NULL,
  taxable_missing INTEGER NOT NULL DEFAULT 0  -- tax rows without a taxable_amount (counted 0 above)
);
CREATE INDEX rillet_calc_taxes_calc ON rillet_calc_taxes(calculation_id);

-- One row per calculation: what the reports choose documents by, so they need not read the
-- calculations' rows (their request and result are most of the store): whether it has a
-- result and whether that is readable (a JSON object whose lines are an array), its total_tax
-- and region as stored, the result's own currency and region, and its tax (Σ of
-- rillet_calc_taxes, with their decimals; NULL when it has none); for the liability and
-- exposure reports: whether the result is a JSON object, its total_taxable (text as stored; ''
-- = present but not text) with its minor units and decimals when it is a canonical decimal
-- string (else NULL), its total_amount, and the request's ship-to.
CREATE TABLE rillet_calc_heads (
  calculation_id TEXT PRIMARY KEY,
  has_result INTEGER NOT NULL,
  readable INTEGER NOT NULL,
  total_tax TEXT,
  region TEXT,
  result_currency TEXT,
  result_region TEXT,
  tax INTEGER, tax_lo INTEGER, tax_hi INTEGER,
  result_object INTEGER NOT NULL DEFAULT 0,  -- 1: the result is a JSON object
  total_taxable TEXT,
  total_taxable_minor INTEGER,     -- digits without the point; NULL: not canonical
  total_taxable_scale INTEGER,     -- digits after the point; NULL: not canonical
  total_amount TEXT,
  ship_country TEXT,
  ship_state TEXT
) WITHOUT ROWID;

-- the reports' scans of a year of documents read these indexes, not the documents' rows
-- (which carry Rillet's raw JSON)
CREATE INDEX invoices_report ON invoices(doc_date, deleted, calculation_id, tax_status, currency, region, id, number);
CREATE INDEX credit_memos_report ON credit_memos(doc_date, deleted, calculation_id, tax_status, currency, region, id, number);
CREATE INDEX writebacks_written ON writebacks(doc_type, doc_id, outcome, id);

-- the calculations stored before this migration
INSERT INTO rillet_calc_sales(calculation_id, reason, lines, amount, discount, taxable, dp_lo, dp_hi)
    SELECT x.cid, x.reason, count(*), sum(COALESCE(CAST(replace(x.a, '.', '') AS INTEGER), 0)), sum(COALESCE(CAST(replace(x.d, '.', '') AS INTEGER), 0)),
      sum(COALESCE(CAST(replace(x.t, '.', '') AS INTEGER), 0)),
      min(min(COALESCE(x.ad, 99), COALESCE(x.dd, 99), COALESCE(x.td, 99))),
      max(max(COALESCE(x.ad, -99), COALESCE(x.dd, -99), COALESCE(x.td, -99)))
    FROM (SELECT y.cid, y.reason, y.a, y.d, y.t, CASE WHEN y.ty <> 'object' THEN -1 ELSE (CASE WHEN y.a IS NULL THEN NULL WHEN typeof(y.a) <> 'text' OR length(y.a) > 18 OR ltrim(replace(y.a, '.', ''), '-') = '' OR ltrim(replace(y.a, '.', ''), '-') GLOB '*[^0-9]*' OR y.a GLOB '--*' OR y.a GLOB '.*' OR y.a GLOB '-.*' OR y.a GLOB '*.' OR y.a GLOB '*.*.*' THEN -1 WHEN instr(y.a, '.') = 0 THEN 0 ELSE length(y.a) - instr(y.a, '.') END) END AS ad,
                 (CASE WHEN y.d IS NULL THEN NULL WHEN typeof(y.d) <> 'text' OR length(y.d) > 18 OR ltrim(replace(y.d, '.', ''), '-') = '' OR ltrim(replace(y.d, '.', ''), '-') GLOB '*[^0-9]*' OR y.d GLOB '--*' OR y.d GLOB '.*' OR y.d GLOB '-.*' OR y.d GLOB '*.' OR y.d GLOB '*.*.*' THEN -1 WHEN instr(y.d, '.') = 0 THEN 0 ELSE length(y.d) - instr(y.d, '.') END) AS dd, (CASE WHEN y.t IS NULL THEN NULL WHEN typeof(y.t) <> 'text' OR length(y.t) > 18 OR ltrim(replace(y.t, '.', ''), '-') = '' OR ltrim(replace(y.t, '.', ''), '-') GLOB '*[^0-9]*' OR y.t GLOB '--*' OR y.t GLOB '.*' OR y.t GLOB '-.*' OR y.t GLOB '*.' OR y.t GLOB '*.*.*' THEN -1 WHEN instr(y.t, '.') = 0 THEN 0 ELSE length(y.t) - instr(y.t, '.') END) AS td
          FROM (SELECT c.id AS cid, li.type AS ty,
                       COALESCE(CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxability_reason') END, '') AS reason,
                       CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.amount') END AS a,
                       CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.discount') END AS d,
                       CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxable_amount') END AS t
                FROM calculations c, json_each(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') li
                WHERE json_type(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') = 'array') y) x
    GROUP BY x.cid, x.reason;
INSERT INTO rillet_calc_taxes(calculation_id, reason, jurisdiction, level, type, authority_code, rate, n,
      amount, taxable, dp_lo, dp_hi, taxable_missing)
    SELECT x.cid, x.reason, x.j, x.lv, x.ty, x.code, x.rate, count(*), sum(CAST(replace(x.a, '.', '') AS INTEGER)), sum(COALESCE(CAST(replace(x.t, '.', '') AS INTEGER), 0)),
      min(min(COALESCE((CASE WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' OR x.a GLOB '--*' OR x.a GLOB '.*' OR x.a GLOB '-.*' OR x.a GLOB '*.' OR x.a GLOB '*.*.*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), -1), COALESCE((CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' OR x.t GLOB '--*' OR x.t GLOB '.*' OR x.t GLOB '-.*' OR x.t GLOB '*.' OR x.t GLOB '*.*.*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END), 99))),
      max(max(COALESCE((CASE WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' OR x.a GLOB '--*' OR x.a GLOB '.*' OR x.a GLOB '-.*' OR x.a GLOB '*.' OR x.a GLOB '*.*.*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), -1), COALESCE((CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' OR x.t GLOB '--*' OR x.t GLOB '.*' OR x.t GLOB '-.*' OR x.t GLOB '*.' OR x.t GLOB '*.*.*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END), -99))),
      sum(CASE WHEN x.t IS NULL THEN 1 ELSE 0 END)
    FROM (SELECT c.id AS cid, COALESCE(json_extract(li.value, '$.taxability_reason'), '') AS reason,
                 json_extract(tx.value, '$.jurisdiction') AS j, json_extract(tx.value, '$.level') AS lv,
                 json_extract(tx.value, '$.type') AS ty, json_extract(tx.value, '$.authority_code') AS code,
                 json_extract(tx.value, '$.percentage') AS rate, json_extract(tx.value, '$.amount') AS a,
                 json_extract(tx.value, '$.taxable_amount') AS t
          FROM calculations c, json_each(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') li, json_each(CASE WHEN li.type = 'object' THEN li.value END, '$.taxes') tx
          WHERE json_type(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') = 'array' AND tx.type = 'object') x
    GROUP BY x.cid, x.reason, x.j, x.lv, x.ty, x.code, x.rate;
INSERT OR REPLACE INTO rillet_calc_heads(calculation_id, has_result, readable, total_tax, region,
      result_currency, result_region, tax, tax_lo, tax_hi)
    SELECT c.id, c.result IS NOT NULL,
      c.result IS NULL OR (json_valid(c.result) AND json_type(c.result) = 'object'
        AND COALESCE(json_type(c.result, '$.lines'), 'array') = 'array'),
      c.total_tax, c.region, json_extract(CASE WHEN json_valid(c.result) AND json_type(c.result) = 'object' THEN c.result END, '$.currency'), json_extract(CASE WHEN json_valid(c.result) AND json_type(c.result) = 'object' THEN c.result END, '$.region'),
      (SELECT sum(t.amount) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id),
      (SELECT min(t.dp_lo) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id),
      (SELECT max(t.dp_hi) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id) FROM calculations c;

-- the liability and exposure columns of those calculations (calc_rows.lua's rules in SQL)
UPDATE rillet_calc_heads SET result_object = x.obj, total_taxable = x.tt, total_taxable_minor = x.ttm,
    total_taxable_scale = x.tts, total_amount = x.ta, ship_country = x.sc, ship_state = x.ss
  FROM (SELECT id, obj, tt, ttm, tts, ta, sc, ss FROM (
SELECT id, obj, tt, CASE WHEN (typeof(tt) = 'text' AND length(tt) BETWEEN 1 AND 18 AND (CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END) GLOB '[0-9]*' AND replace((CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END), '.', '') NOT GLOB '*[^0-9]*' AND length(tt) - length(replace(tt, '.', '')) <= 1 AND tt NOT GLOB '*.') THEN CAST(replace(tt, '.', '') AS INTEGER) END AS ttm, CASE WHEN (typeof(tt) = 'text' AND length(tt) BETWEEN 1 AND 18 AND (CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END) GLOB '[0-9]*' AND replace((CASE WHEN substr(tt, 1, 1) = '-' THEN substr(tt, 2) ELSE tt END), '.', '') NOT GLOB '*[^0-9]*' AND length(tt) - length(replace(tt, '.', '')) <= 1 AND tt NOT GLOB '*.') THEN (CASE WHEN instr(tt, '.') = 0 THEN 0 ELSE length(tt) - instr(tt, '.') END) END AS tts, ta, sc, ss FROM (
  SELECT id, CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN 1 ELSE 0 END AS obj,
    CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN (CASE WHEN json_type(result, '$.total_taxable') IS NULL OR json_type(result, '$.total_taxable') = 'null' THEN NULL WHEN json_type(result, '$.total_taxable') = 'text' THEN json_extract(result, '$.total_taxable') ELSE '' END) END AS tt,
    CASE WHEN (CASE WHEN json_valid(result) THEN json_type(result) END = 'object') THEN (CASE json_type(result, '$.total_amount') WHEN 'text' THEN json_extract(result, '$.total_amount')
      WHEN 'integer' THEN CAST(json_extract(result, '$.total_amount') AS TEXT) END) END AS ta,
    CASE WHEN json_valid(request) THEN (CASE WHEN json_type(request, '$.ship_to.country') = 'text' THEN json_extract(request, '$.ship_to.country') END) END AS sc,
    CASE WHEN json_valid(request) THEN (CASE WHEN json_type(request, '$.ship_to.state') = 'text' THEN json_extract(request, '$.ship_to.state') END) END AS ss
  FROM calculations)) z) x
  WHERE x.id = rillet_calc_heads.calculation_id;
