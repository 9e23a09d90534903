-- rillet plugin (issue 20, reports at 10,000 invoices): each stored calculation's
-- total_taxable as an integer, so the liability report sums a year of written documents from
-- rillet_calc_taxes (0013) and this table without reading their JSON. Kept by triggers on
-- calculations (stored, result changed, removed) and, below, filled for the calculations
-- stored before this migration.
-- total_taxable: the decimal string without its point (minor units when its decimals are the
-- currency's exponent), NULL when the result has none; dp: its decimals (-1: not a canonical
-- decimal string, or the result is not a JSON object); a reader uses it only when dp is the
-- currency's exponent (or total_taxable is NULL).
CREATE TABLE rillet_calc_totals (
  calculation_id TEXT PRIMARY KEY,
  total_taxable INTEGER,
  dp INTEGER
) WITHOUT ROWID;

CREATE TRIGGER rillet_calc_totals_insert AFTER INSERT ON calculations WHEN NEW.result IS NOT NULL BEGIN
  INSERT OR REPLACE INTO rillet_calc_totals(calculation_id, total_taxable, dp)
    SELECT NEW.id, CASE WHEN x.dp >= 0 THEN CAST(replace(x.t, '.', '') AS INTEGER) END, x.dp
    FROM (SELECT y.t, CASE WHEN NOT y.ok THEN -1 WHEN y.t IS NULL THEN NULL
                           WHEN typeof(y.t) <> 'text' OR length(y.t) > 18 OR ltrim(replace(y.t, '.', ''), '-') = ''
                             OR ltrim(replace(y.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1
                           WHEN instr(y.t, '.') = 0 THEN 0 ELSE length(y.t) - instr(y.t, '.') END AS dp
          FROM (SELECT json_valid(NEW.result) AND json_type(NEW.result) = 'object' AS ok,
                       json_extract(CASE WHEN json_valid(NEW.result) AND json_type(NEW.result) = 'object'
                                    THEN NEW.result END, '$.total_taxable') AS t) y) x;
END;

CREATE TRIGGER rillet_calc_totals_update AFTER UPDATE OF result ON calculations BEGIN
  DELETE FROM rillet_calc_totals WHERE calculation_id = OLD.id;
  INSERT OR REPLACE INTO rillet_calc_totals(calculation_id, total_taxable, dp)
    SELECT NEW.id, CASE WHEN x.dp >= 0 THEN CAST(replace(x.t, '.', '') AS INTEGER) END, x.dp
    FROM (SELECT y.t, CASE WHEN NOT y.ok THEN -1 WHEN y.t IS NULL THEN NULL
                           WHEN typeof(y.t) <> 'text' OR length(y.t) > 18 OR ltrim(replace(y.t, '.', ''), '-') = ''
                             OR ltrim(replace(y.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1
                           WHEN instr(y.t, '.') = 0 THEN 0 ELSE length(y.t) - instr(y.t, '.') END AS dp
          FROM (SELECT json_valid(NEW.result) AND json_type(NEW.result) = 'object' AS ok,
                       json_extract(CASE WHEN json_valid(NEW.result) AND json_type(NEW.result) = 'object'
                                    THEN NEW.result END, '$.total_taxable') AS t) y) x
    WHERE NEW.result IS NOT NULL;
END;

CREATE TRIGGER rillet_calc_totals_delete AFTER DELETE ON calculations BEGIN
  DELETE FROM rillet_calc_totals WHERE calculation_id = OLD.id;
END;

-- the calculations stored before this migration
INSERT OR REPLACE INTO rillet_calc_totals(calculation_id, total_taxable, dp)
  SELECT x.id, CASE WHEN x.dp >= 0 THEN CAST(replace(x.t, '.', '') AS INTEGER) END, x.dp
  FROM (SELECT y.id, y.t, CASE WHEN NOT y.ok THEN -1 WHEN y.t IS NULL THEN NULL
                               WHEN typeof(y.t) <> 'text' OR length(y.t) > 18 OR ltrim(replace(y.t, '.', ''), '-') = ''
                                 OR ltrim(replace(y.t, '.', ''), '-') GLOB '*[^0-9]*' THEN -1
                               WHEN instr(y.t, '.') = 0 THEN 0 ELSE length(y.t) - instr(y.t, '.') END AS dp
        FROM (SELECT c.id, json_valid(c.result) AND json_type(c.result) = 'object' AS ok,
                     json_extract(CASE WHEN json_valid(c.result) AND json_type(c.result) = 'object'
                                  THEN c.result END, '$.total_taxable') AS t
              FROM calculations c WHERE c.result IS NOT NULL) y) x;
