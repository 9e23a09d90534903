-- rillet plugin (issue 20, reports at 10,000 invoices): the figures the liability and exposure
-- reports read, kept beside the stored JSON so a report over a year of documents reads none of
-- it. First each stored calculation's total_taxable as an integer, so the liability report sums
-- a year of written documents from rillet_calc_taxes (0013) and this table. Kept by triggers on
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

-- The exposure report (issue 20): per calculation, the ship-to country and state of its
-- request and its result's total_amount; per document, the net_amount Rillet holds (raw
-- JSON). As stored (JSON values, not parsed): the report checks them as before, but no longer
-- reads a year of requests and raw documents (a parse of each per request: more than a
-- request's budget at 10,000 invoices).
CREATE TABLE rillet_calc_ship (
  calculation_id TEXT PRIMARY KEY,
  country, state, total_amount
) WITHOUT ROWID;
CREATE TABLE rillet_doc_net (
  doc_type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  net_amount,
  PRIMARY KEY (doc_type, doc_id)
) WITHOUT ROWID;

CREATE TRIGGER rillet_calc_ship_insert AFTER INSERT ON calculations BEGIN
  INSERT OR REPLACE INTO rillet_calc_ship(calculation_id, country, state, total_amount)
    SELECT NEW.id, json_extract(CASE WHEN json_valid(NEW.request) THEN NEW.request END, '$.ship_to.country'),
      json_extract(CASE WHEN json_valid(NEW.request) THEN NEW.request END, '$.ship_to.state'),
      json_extract(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.total_amount');
END;
CREATE TRIGGER rillet_calc_ship_update AFTER UPDATE OF request, result ON calculations BEGIN
  DELETE FROM rillet_calc_ship WHERE calculation_id = OLD.id;
  INSERT OR REPLACE INTO rillet_calc_ship(calculation_id, country, state, total_amount)
    SELECT NEW.id, json_extract(CASE WHEN json_valid(NEW.request) THEN NEW.request END, '$.ship_to.country'),
      json_extract(CASE WHEN json_valid(NEW.request) THEN NEW.request END, '$.ship_to.state'),
      json_extract(CASE WHEN json_valid(NEW.result) THEN NEW.result END, '$.total_amount');
END;
CREATE TRIGGER rillet_calc_ship_delete AFTER DELETE ON calculations BEGIN
  DELETE FROM rillet_calc_ship WHERE calculation_id = OLD.id;
END;

CREATE TRIGGER rillet_invoice_net_insert AFTER INSERT ON invoices BEGIN
  INSERT OR REPLACE INTO rillet_doc_net(doc_type, doc_id, net_amount)
    VALUES ('invoice', NEW.id, json_extract(CASE WHEN json_valid(NEW.raw) THEN NEW.raw END, '$.net_amount.amount'));
END;
CREATE TRIGGER rillet_invoice_net_update AFTER UPDATE OF raw, id ON invoices BEGIN
  DELETE FROM rillet_doc_net WHERE doc_type = 'invoice' AND doc_id = OLD.id;
  INSERT OR REPLACE INTO rillet_doc_net(doc_type, doc_id, net_amount)
    VALUES ('invoice', NEW.id, json_extract(CASE WHEN json_valid(NEW.raw) THEN NEW.raw END, '$.net_amount.amount'));
END;
CREATE TRIGGER rillet_invoice_net_delete AFTER DELETE ON invoices BEGIN
  DELETE FROM rillet_doc_net WHERE doc_type = 'invoice' AND doc_id = OLD.id;
END;
CREATE TRIGGER rillet_credit_memo_net_insert AFTER INSERT ON credit_memos BEGIN
  INSERT OR REPLACE INTO rillet_doc_net(doc_type, doc_id, net_amount)
    VALUES ('credit_memo', NEW.id, json_extract(CASE WHEN json_valid(NEW.raw) THEN NEW.raw END, '$.net_amount.amount'));
END;
CREATE TRIGGER rillet_credit_memo_net_update AFTER UPDATE OF raw, id ON credit_memos BEGIN
  DELETE FROM rillet_doc_net WHERE doc_type = 'credit_memo' AND doc_id = OLD.id;
  INSERT OR REPLACE INTO rillet_doc_net(doc_type, doc_id, net_amount)
    VALUES ('credit_memo', NEW.id, json_extract(CASE WHEN json_valid(NEW.raw) THEN NEW.raw END, '$.net_amount.amount'));
END;
CREATE TRIGGER rillet_credit_memo_net_delete AFTER DELETE ON credit_memos BEGIN
  DELETE FROM rillet_doc_net WHERE doc_type = 'credit_memo' AND doc_id = OLD.id;
END;

-- the calculations and documents stored before this migration
INSERT OR REPLACE INTO rillet_calc_ship(calculation_id, country, state, total_amount)
  SELECT c.id, json_extract(CASE WHEN json_valid(c.request) THEN c.request END, '$.ship_to.country'),
    json_extract(CASE WHEN json_valid(c.request) THEN c.request END, '$.ship_to.state'),
    json_extract(CASE WHEN json_valid(c.result) THEN c.result END, '$.total_amount') FROM calculations c;
INSERT OR REPLACE INTO rillet_doc_net(doc_type, doc_id, net_amount)
  SELECT 'invoice', d.id, json_extract(CASE WHEN json_valid(d.raw) THEN d.raw END, '$.net_amount.amount') FROM invoices d;
INSERT OR REPLACE INTO rillet_doc_net(doc_type, doc_id, net_amount)
  SELECT 'credit_memo', d.id, json_extract(CASE WHEN json_valid(d.raw) THEN d.raw END, '$.net_amount.amount') FROM credit_memos d;
