-- rillet plugin (issue 20, reportperf II): each stored calculation's lines and jurisdiction
-- amounts as integer columns, so the filing report sums a year of documents in SQL without
-- reading their JSON (SQLite 3.40 parses a result's text again for every json_extract: at
-- 3,000 documents that alone is more than a request's 80 ms). Filled by triggers on
-- calculations (every way a calculation is stored, changed or removed), and below for the
-- calculations stored before this migration.
-- amount / discount / taxable: the decimal string without its point (minor units when
-- *_dp, its number of decimals, is the currency's exponent); *_dp -1: not a canonical decimal
-- string (a reader must not use the sums then); NULL: absent. A result that is not a JSON
-- object (or whose lines are not an array) has one row with line -1 and amount_dp -1.
CREATE TABLE rillet_calc_lines (
  calculation_id TEXT NOT NULL,
  line INTEGER NOT NULL,           -- index in result.lines (0-based), -1: the result is not readable
  reason TEXT,                     -- the line's taxability_reason
  amount INTEGER, amount_dp INTEGER,
  discount INTEGER, discount_dp INTEGER,
  taxable INTEGER, taxable_dp INTEGER,
  PRIMARY KEY (calculation_id, line)
) WITHOUT ROWID;

CREATE TABLE rillet_calc_taxes (
  calculation_id TEXT NOT NULL,
  line INTEGER NOT NULL,           -- index in result.lines
  reason TEXT,                     -- the line's taxability_reason
  jurisdiction TEXT, level TEXT, type TEXT, authority_code TEXT,
  rate,                            -- the tax's percentage as stored (text or number)
  amount INTEGER, amount_dp INTEGER,
  taxable INTEGER, taxable_dp INTEGER
);
CREATE INDEX rillet_calc_taxes_calc ON rillet_calc_taxes(calculation_id);

-- One row per calculation: what the reports choose documents by, so they need not read the
-- calculations' rows (their request and result are most of the store): whether it has a
-- result, its total_tax and region as stored, the result's own currency and region, and its
-- tax summed from rillet_calc_taxes (tax_lo / tax_hi: the lowest and highest decimals of the
-- amounts, NULL when it has none; -1 when one is not a decimal string).
CREATE TABLE rillet_calc_heads (
  calculation_id TEXT PRIMARY KEY,
  has_result INTEGER NOT NULL,
  total_tax TEXT,
  region TEXT,
  result_currency TEXT,
  result_region TEXT,
  tax INTEGER, tax_lo INTEGER, tax_hi INTEGER
) WITHOUT ROWID;

-- the reports' scans of a year of documents read these indexes, not the documents' rows
-- (which carry Rillet's raw JSON)
CREATE INDEX invoices_report ON invoices(doc_date, deleted, calculation_id, tax_status, currency, region, id, number);
CREATE INDEX credit_memos_report ON credit_memos(doc_date, deleted, calculation_id, tax_status, currency, region, id, number);
CREATE INDEX writebacks_written ON writebacks(doc_type, doc_id, outcome, id);

CREATE TRIGGER rillet_calc_figures_insert AFTER INSERT ON calculations BEGIN
  INSERT INTO rillet_calc_lines(calculation_id, line, reason, amount, amount_dp, discount, discount_dp, taxable, taxable_dp)
    SELECT NEW.id, -1, NULL, NULL, -1, NULL, NULL, NULL, NULL
    WHERE NEW.result IS NOT NULL AND NOT (json_valid(NEW.result) AND json_type(NEW.result) = 'object'
      AND COALESCE(json_type(NEW.result, '$.lines'), 'array') = 'array');
  INSERT INTO rillet_calc_lines(calculation_id, line, reason, amount, amount_dp, discount, discount_dp, taxable, taxable_dp)
    SELECT NEW.id, x.line, x.reason, CAST(replace(x.a, '.', '') AS INTEGER), (CASE WHEN x.ty <> 'object' THEN -1 WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), CAST(replace(x.d, '.', '') AS INTEGER), (CASE WHEN x.d IS NULL THEN NULL WHEN typeof(x.d) <> 'text' OR length(x.d) > 18 OR ltrim(replace(x.d, '.', ''), '-') = '' OR ltrim(replace(x.d, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.d, '.') = 0 THEN 0 ELSE length(x.d) - instr(x.d, '.') END), CAST(replace(x.t, '.', '') AS INTEGER), (CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END)
    FROM (SELECT li.key AS line, CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxability_reason') END AS reason,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.amount') END AS a,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.discount') END AS d,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxable_amount') END AS t,
                 li.type AS ty
          FROM json_each(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') li
          WHERE json_type(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') = 'array') x;
  INSERT INTO rillet_calc_taxes(calculation_id, line, reason, jurisdiction, level, type, authority_code, rate, amount, amount_dp, taxable, taxable_dp)
    SELECT NEW.id, x.line, x.reason, x.j, x.lv, x.ty, x.code, x.rate, CAST(replace(x.a, '.', '') AS INTEGER), (CASE WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), CAST(replace(x.t, '.', '') AS INTEGER), (CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END)
    FROM (SELECT li.key AS line, json_extract(li.value, '$.taxability_reason') AS reason,
                 json_extract(tx.value, '$.jurisdiction') AS j, json_extract(tx.value, '$.level') AS lv,
                 json_extract(tx.value, '$.type') AS ty, json_extract(tx.value, '$.authority_code') AS code,
                 json_extract(tx.value, '$.percentage') AS rate, json_extract(tx.value, '$.amount') AS a,
                 json_extract(tx.value, '$.taxable_amount') AS t
          FROM json_each(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') li, json_each(CASE WHEN li.type = 'object' THEN li.value END, '$.taxes') tx
          WHERE json_type(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') = 'array' AND tx.type = 'object') x;
  INSERT OR REPLACE INTO rillet_calc_heads(calculation_id, has_result, total_tax, region, result_currency,
    result_region, tax, tax_lo, tax_hi)
    SELECT NEW.id, NEW.result IS NOT NULL, NEW.total_tax, NEW.region, json_extract(CASE WHEN json_valid(NEW.result) AND json_type(NEW.result) = 'object' THEN NEW.result END, '$.currency'),
      json_extract(CASE WHEN json_valid(NEW.result) AND json_type(NEW.result) = 'object' THEN NEW.result END, '$.region'),
      (SELECT sum(t.amount) FROM rillet_calc_taxes t WHERE t.calculation_id = NEW.id),
      (SELECT min(COALESCE(t.amount_dp, -1)) FROM rillet_calc_taxes t WHERE t.calculation_id = NEW.id),
      (SELECT max(COALESCE(t.amount_dp, -1)) FROM rillet_calc_taxes t WHERE t.calculation_id = NEW.id);
END;

CREATE TRIGGER rillet_calc_figures_update AFTER UPDATE OF result, total_tax, region ON calculations BEGIN
  DELETE FROM rillet_calc_lines WHERE calculation_id = OLD.id;
  DELETE FROM rillet_calc_taxes WHERE calculation_id = OLD.id;
  INSERT INTO rillet_calc_lines(calculation_id, line, reason, amount, amount_dp, discount, discount_dp, taxable, taxable_dp)
    SELECT NEW.id, -1, NULL, NULL, -1, NULL, NULL, NULL, NULL
    WHERE NEW.result IS NOT NULL AND NOT (json_valid(NEW.result) AND json_type(NEW.result) = 'object'
      AND COALESCE(json_type(NEW.result, '$.lines'), 'array') = 'array');
  INSERT INTO rillet_calc_lines(calculation_id, line, reason, amount, amount_dp, discount, discount_dp, taxable, taxable_dp)
    SELECT NEW.id, x.line, x.reason, CAST(replace(x.a, '.', '') AS INTEGER), (CASE WHEN x.ty <> 'object' THEN -1 WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), CAST(replace(x.d, '.', '') AS INTEGER), (CASE WHEN x.d IS NULL THEN NULL WHEN typeof(x.d) <> 'text' OR length(x.d) > 18 OR ltrim(replace(x.d, '.', ''), '-') = '' OR ltrim(replace(x.d, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.d, '.') = 0 THEN 0 ELSE length(x.d) - instr(x.d, '.') END), CAST(replace(x.t, '.', '') AS INTEGER), (CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END)
    FROM (SELECT li.key AS line, CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxability_reason') END AS reason,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.amount') END AS a,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.discount') END AS d,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxable_amount') END AS t,
                 li.type AS ty
          FROM json_each(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') li
          WHERE json_type(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') = 'array') x;
  INSERT INTO rillet_calc_taxes(calculation_id, line, reason, jurisdiction, level, type, authority_code, rate, amount, amount_dp, taxable, taxable_dp)
    SELECT NEW.id, x.line, x.reason, x.j, x.lv, x.ty, x.code, x.rate, CAST(replace(x.a, '.', '') AS INTEGER), (CASE WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), CAST(replace(x.t, '.', '') AS INTEGER), (CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END)
    FROM (SELECT li.key AS line, json_extract(li.value, '$.taxability_reason') AS reason,
                 json_extract(tx.value, '$.jurisdiction') AS j, json_extract(tx.value, '$.level') AS lv,
                 json_extract(tx.value, '$.type') AS ty, json_extract(tx.value, '$.authority_code') AS code,
                 json_extract(tx.value, '$.percentage') AS rate, json_extract(tx.value, '$.amount') AS a,
                 json_extract(tx.value, '$.taxable_amount') AS t
          FROM json_each(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') li, json_each(CASE WHEN li.type = 'object' THEN li.value END, '$.taxes') tx
          WHERE json_type(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.lines') = 'array' AND tx.type = 'object') x;
  INSERT OR REPLACE INTO rillet_calc_heads(calculation_id, has_result, total_tax, region, result_currency,
    result_region, tax, tax_lo, tax_hi)
    SELECT NEW.id, NEW.result IS NOT NULL, NEW.total_tax, NEW.region, json_extract(CASE WHEN json_valid(NEW.result) AND json_type(NEW.result) = 'object' THEN NEW.result END, '$.currency'),
      json_extract(CASE WHEN json_valid(NEW.result) AND json_type(NEW.result) = 'object' THEN NEW.result END, '$.region'),
      (SELECT sum(t.amount) FROM rillet_calc_taxes t WHERE t.calculation_id = NEW.id),
      (SELECT min(COALESCE(t.amount_dp, -1)) FROM rillet_calc_taxes t WHERE t.calculation_id = NEW.id),
      (SELECT max(COALESCE(t.amount_dp, -1)) FROM rillet_calc_taxes t WHERE t.calculation_id = NEW.id);
END;

CREATE TRIGGER rillet_calc_figures_delete AFTER DELETE ON calculations BEGIN
  DELETE FROM rillet_calc_lines WHERE calculation_id = OLD.id;
  DELETE FROM rillet_calc_taxes WHERE calculation_id = OLD.id;
  DELETE FROM rillet_calc_heads WHERE calculation_id = OLD.id;
END;

-- the calculations stored before this migration
INSERT INTO rillet_calc_lines(calculation_id, line, reason, amount, amount_dp, discount, discount_dp, taxable, taxable_dp)
    SELECT c.id, -1, NULL, NULL, -1, NULL, NULL, NULL, NULL FROM calculations c
    WHERE c.result IS NOT NULL AND NOT (json_valid(c.result) AND json_type(c.result) = 'object'
      AND COALESCE(json_type(c.result, '$.lines'), 'array') = 'array');
INSERT INTO rillet_calc_lines(calculation_id, line, reason, amount, amount_dp, discount, discount_dp, taxable, taxable_dp)
    SELECT x.cid, x.line, x.reason, CAST(replace(x.a, '.', '') AS INTEGER), (CASE WHEN x.ty <> 'object' THEN -1 WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), CAST(replace(x.d, '.', '') AS INTEGER), (CASE WHEN x.d IS NULL THEN NULL WHEN typeof(x.d) <> 'text' OR length(x.d) > 18 OR ltrim(replace(x.d, '.', ''), '-') = '' OR ltrim(replace(x.d, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.d, '.') = 0 THEN 0 ELSE length(x.d) - instr(x.d, '.') END), CAST(replace(x.t, '.', '') AS INTEGER), (CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END)
    FROM (SELECT c.id AS cid, li.key AS line, CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxability_reason') END AS reason,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.amount') END AS a,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.discount') END AS d,
                 CASE WHEN li.type = 'object' THEN json_extract(li.value, '$.taxable_amount') END AS t,
                 li.type AS ty
          FROM calculations c, json_each(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') li
          WHERE json_type(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') = 'array') x;
INSERT INTO rillet_calc_taxes(calculation_id, line, reason, jurisdiction, level, type, authority_code, rate, amount, amount_dp, taxable, taxable_dp)
    SELECT x.cid, x.line, x.reason, x.j, x.lv, x.ty, x.code, x.rate, CAST(replace(x.a, '.', '') AS INTEGER), (CASE WHEN x.a IS NULL THEN NULL WHEN typeof(x.a) <> 'text' OR length(x.a) > 18 OR ltrim(replace(x.a, '.', ''), '-') = '' OR ltrim(replace(x.a, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.a, '.') = 0 THEN 0 ELSE length(x.a) - instr(x.a, '.') END), CAST(replace(x.t, '.', '') AS INTEGER), (CASE WHEN x.t IS NULL THEN NULL WHEN typeof(x.t) <> 'text' OR length(x.t) > 18 OR ltrim(replace(x.t, '.', ''), '-') = '' OR ltrim(replace(x.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1 WHEN instr(x.t, '.') = 0 THEN 0 ELSE length(x.t) - instr(x.t, '.') END)
    FROM (SELECT c.id AS cid, li.key AS line, json_extract(li.value, '$.taxability_reason') AS reason,
                 json_extract(tx.value, '$.jurisdiction') AS j, json_extract(tx.value, '$.level') AS lv,
                 json_extract(tx.value, '$.type') AS ty, json_extract(tx.value, '$.authority_code') AS code,
                 json_extract(tx.value, '$.percentage') AS rate, json_extract(tx.value, '$.amount') AS a,
                 json_extract(tx.value, '$.taxable_amount') AS t
          FROM calculations c, json_each(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') li, json_each(CASE WHEN li.type = 'object' THEN li.value END, '$.taxes') tx
          WHERE json_type(CASE WHEN json_valid(c.result) THEN c.result END, '$.lines') = 'array' AND tx.type = 'object') x;
INSERT OR REPLACE INTO rillet_calc_heads(calculation_id, has_result, total_tax, region, result_currency,
    result_region, tax, tax_lo, tax_hi)
    SELECT c.id, c.result IS NOT NULL, c.total_tax, c.region, json_extract(CASE WHEN json_valid(c.result) AND json_type(c.result) = 'object' THEN c.result END, '$.currency'),
      json_extract(CASE WHEN json_valid(c.result) AND json_type(c.result) = 'object' THEN c.result END, '$.region'),
      (SELECT sum(t.amount) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id),
      (SELECT min(COALESCE(t.amount_dp, -1)) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id),
      (SELECT max(COALESCE(t.amount_dp, -1)) FROM rillet_calc_taxes t WHERE t.calculation_id = c.id)
    FROM calculations c;
