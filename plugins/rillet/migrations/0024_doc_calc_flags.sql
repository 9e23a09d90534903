-- rillet plugin (issue 20): Home's "needs attention" lists by calculation facts at 100,000 and
-- 1M documents — GET /v1/invoices?precision=imprecise and ?certificate=expired (and the credit
-- memos'). They chose the documents whose current calculation's head (rillet_calc_heads,
-- migration 0021) is flagged: `calculation_id IN (SELECT ... FROM rillet_calc_heads h WHERE
-- h.imprecise = 1)`, planned as SCAN invoices in rowid order probing each row, and its total a
-- scan too: 140 ms at 100k, 2.2 s at 1M with none expired (500: past a request's budget).
-- Now each document keeps its current calculation's two flags (calc_imprecise,
-- calc_cert_expired), kept by the triggers below whatever writes the rows (a document's
-- calculation_id set or changed; a head written or its flags changed, in either order), and a
-- partial index of the flagged documents: the page and the total are a SEARCH of that index
-- (rowid order, its entries only). Spec: plugins/rillet/spec/list_index_spec.lua.
-- ../postgres/0024_doc_calc_flags.sql: the same columns, indexes and triggers (plpgsql).
ALTER TABLE invoices ADD COLUMN calc_imprecise INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN calc_cert_expired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credit_memos ADD COLUMN calc_imprecise INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credit_memos ADD COLUMN calc_cert_expired INTEGER NOT NULL DEFAULT 0;

-- the documents stored before: chosen from the flagged heads through their calculations (a
-- primary-key lookup per flagged head, not a pass over every document's row)
UPDATE invoices SET calc_imprecise = 1 WHERE id IN (SELECT c.doc_id FROM rillet_calc_heads h
  JOIN calculations c ON c.id = h.calculation_id WHERE h.imprecise = 1 AND c.doc_type = 'invoice')
  AND EXISTS (SELECT 1 FROM rillet_calc_heads h WHERE h.calculation_id = invoices.calculation_id AND h.imprecise = 1);
UPDATE invoices SET calc_cert_expired = 1 WHERE id IN (SELECT c.doc_id FROM rillet_calc_heads h
  JOIN calculations c ON c.id = h.calculation_id WHERE h.cert_expired = 1 AND c.doc_type = 'invoice')
  AND EXISTS (SELECT 1 FROM rillet_calc_heads h WHERE h.calculation_id = invoices.calculation_id AND h.cert_expired = 1);
UPDATE credit_memos SET calc_imprecise = 1 WHERE id IN (SELECT c.doc_id FROM rillet_calc_heads h
  JOIN calculations c ON c.id = h.calculation_id WHERE h.imprecise = 1 AND c.doc_type = 'credit_memo')
  AND EXISTS (SELECT 1 FROM rillet_calc_heads h WHERE h.calculation_id = credit_memos.calculation_id AND h.imprecise = 1);
UPDATE credit_memos SET calc_cert_expired = 1 WHERE id IN (SELECT c.doc_id FROM rillet_calc_heads h
  JOIN calculations c ON c.id = h.calculation_id WHERE h.cert_expired = 1 AND c.doc_type = 'credit_memo')
  AND EXISTS (SELECT 1 FROM rillet_calc_heads h WHERE h.calculation_id = credit_memos.calculation_id AND h.cert_expired = 1);

CREATE INDEX invoices_calc_imprecise ON invoices(calc_imprecise) WHERE calc_imprecise = 1;
CREATE INDEX invoices_calc_cert_expired ON invoices(calc_cert_expired) WHERE calc_cert_expired = 1;
CREATE INDEX credit_memos_calc_imprecise ON credit_memos(calc_imprecise) WHERE calc_imprecise = 1;
CREATE INDEX credit_memos_calc_cert_expired ON credit_memos(calc_cert_expired) WHERE calc_cert_expired = 1;

-- a document inserted with a calculation, or its calculation changed: the flags of that head
-- (0 without one); the row is written again only when a flag changes
CREATE TRIGGER invoices_calc_flags_insert AFTER INSERT ON invoices WHEN NEW.calculation_id IS NOT NULL
BEGIN
  UPDATE invoices SET
    calc_imprecise = COALESCE((SELECT h.imprecise FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0),
    calc_cert_expired = COALESCE((SELECT h.cert_expired FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0)
  WHERE id = NEW.id AND EXISTS (SELECT 1 FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id
    AND (h.imprecise <> 0 OR h.cert_expired <> 0));
END;
CREATE TRIGGER invoices_calc_flags_update AFTER UPDATE OF calculation_id ON invoices
  WHEN NEW.calculation_id IS NOT OLD.calculation_id
BEGIN
  UPDATE invoices SET
    calc_imprecise = COALESCE((SELECT h.imprecise FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0),
    calc_cert_expired = COALESCE((SELECT h.cert_expired FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0)
  WHERE id = NEW.id AND (calc_imprecise <> COALESCE((SELECT h.imprecise FROM rillet_calc_heads h
    WHERE h.calculation_id = NEW.calculation_id), 0) OR calc_cert_expired <> COALESCE((SELECT h.cert_expired
    FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0));
END;
CREATE TRIGGER credit_memos_calc_flags_insert AFTER INSERT ON credit_memos WHEN NEW.calculation_id IS NOT NULL
BEGIN
  UPDATE credit_memos SET
    calc_imprecise = COALESCE((SELECT h.imprecise FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0),
    calc_cert_expired = COALESCE((SELECT h.cert_expired FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0)
  WHERE id = NEW.id AND EXISTS (SELECT 1 FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id
    AND (h.imprecise <> 0 OR h.cert_expired <> 0));
END;
CREATE TRIGGER credit_memos_calc_flags_update AFTER UPDATE OF calculation_id ON credit_memos
  WHEN NEW.calculation_id IS NOT OLD.calculation_id
BEGIN
  UPDATE credit_memos SET
    calc_imprecise = COALESCE((SELECT h.imprecise FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0),
    calc_cert_expired = COALESCE((SELECT h.cert_expired FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0)
  WHERE id = NEW.id AND (calc_imprecise <> COALESCE((SELECT h.imprecise FROM rillet_calc_heads h
    WHERE h.calculation_id = NEW.calculation_id), 0) OR calc_cert_expired <> COALESCE((SELECT h.cert_expired
    FROM rillet_calc_heads h WHERE h.calculation_id = NEW.calculation_id), 0));
END;

-- a head written (or its flags changed) after its document took the calculation: the
-- document whose current calculation it is, found through calculations (doc_type, doc_id)
CREATE TRIGGER rillet_calc_heads_flags_insert AFTER INSERT ON rillet_calc_heads
BEGIN
  UPDATE invoices SET calc_imprecise = NEW.imprecise, calc_cert_expired = NEW.cert_expired
  WHERE id = (SELECT c.doc_id FROM calculations c WHERE c.id = NEW.calculation_id AND c.doc_type = 'invoice')
    AND calculation_id = NEW.calculation_id
    AND (calc_imprecise <> NEW.imprecise OR calc_cert_expired <> NEW.cert_expired);
  UPDATE credit_memos SET calc_imprecise = NEW.imprecise, calc_cert_expired = NEW.cert_expired
  WHERE id = (SELECT c.doc_id FROM calculations c WHERE c.id = NEW.calculation_id AND c.doc_type = 'credit_memo')
    AND calculation_id = NEW.calculation_id
    AND (calc_imprecise <> NEW.imprecise OR calc_cert_expired <> NEW.cert_expired);
END;
CREATE TRIGGER rillet_calc_heads_flags_update AFTER UPDATE OF imprecise, cert_expired ON rillet_calc_heads
BEGIN
  UPDATE invoices SET calc_imprecise = NEW.imprecise, calc_cert_expired = NEW.cert_expired
  WHERE id = (SELECT c.doc_id FROM calculations c WHERE c.id = NEW.calculation_id AND c.doc_type = 'invoice')
    AND calculation_id = NEW.calculation_id
    AND (calc_imprecise <> NEW.imprecise OR calc_cert_expired <> NEW.cert_expired);
  UPDATE credit_memos SET calc_imprecise = NEW.imprecise, calc_cert_expired = NEW.cert_expired
  WHERE id = (SELECT c.doc_id FROM calculations c WHERE c.id = NEW.calculation_id AND c.doc_type = 'credit_memo')
    AND calculation_id = NEW.calculation_id
    AND (calc_imprecise <> NEW.imprecise OR calc_cert_expired <> NEW.cert_expired);
END;
