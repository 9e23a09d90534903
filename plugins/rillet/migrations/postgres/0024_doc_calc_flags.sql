-- rillet plugin on PostgreSQL (issues 20, 22): the twin of ../0024_doc_calc_flags.sql — each
-- document keeps its current calculation's flags (calc_imprecise, calc_cert_expired) for the
-- lists ?precision=imprecise and ?certificate=expired, a partial index of the flagged ones,
-- and the triggers that keep them (same names as on SQLite; plpgsql functions, per row).
ALTER TABLE invoices ADD COLUMN calc_imprecise BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN calc_cert_expired BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credit_memos ADD COLUMN calc_imprecise BIGINT NOT NULL DEFAULT 0;
ALTER TABLE credit_memos ADD COLUMN calc_cert_expired BIGINT NOT NULL DEFAULT 0;

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

-- a document inserted with a calculation, or its calculation changed (TG_TABLE_NAME: invoices
-- or credit_memos): the flags of that head, 0 without one; written only when one changes
CREATE OR REPLACE FUNCTION rillet_doc_calc_flags() RETURNS trigger LANGUAGE plpgsql AS
$$ DECLARE fi BIGINT := 0; fc BIGINT := 0;
BEGIN
  SELECT COALESCE(h.imprecise, 0), COALESCE(h.cert_expired, 0) INTO fi, fc FROM rillet_calc_heads h
    WHERE h.calculation_id = NEW.calculation_id;
  IF NOT FOUND THEN fi := 0; fc := 0; END IF;
  EXECUTE format('UPDATE %I SET calc_imprecise = $1, calc_cert_expired = $2 WHERE id = $3 ' ||
    'AND (calc_imprecise <> $1 OR calc_cert_expired <> $2)', TG_TABLE_NAME) USING fi, fc, NEW.id;
  RETURN NULL;
END $$;

-- a head written or its flags changed: the document whose current calculation it is
CREATE OR REPLACE FUNCTION rillet_head_calc_flags() RETURNS trigger LANGUAGE plpgsql AS
$$ DECLARE fi BIGINT := COALESCE(NEW.imprecise, 0); fc BIGINT := COALESCE(NEW.cert_expired, 0);
BEGIN
  UPDATE invoices SET calc_imprecise = fi, calc_cert_expired = fc
  WHERE id = (SELECT x.doc_id FROM calculations x WHERE x.id = NEW.calculation_id AND x.doc_type = 'invoice')
    AND calculation_id = NEW.calculation_id AND (calc_imprecise <> fi OR calc_cert_expired <> fc);
  UPDATE credit_memos SET calc_imprecise = fi, calc_cert_expired = fc
  WHERE id = (SELECT x.doc_id FROM calculations x WHERE x.id = NEW.calculation_id AND x.doc_type = 'credit_memo')
    AND calculation_id = NEW.calculation_id AND (calc_imprecise <> fi OR calc_cert_expired <> fc);
  RETURN NULL;
END $$;

CREATE TRIGGER invoices_calc_flags_insert AFTER INSERT ON invoices FOR EACH ROW
  WHEN (NEW.calculation_id IS NOT NULL) EXECUTE FUNCTION rillet_doc_calc_flags();
CREATE TRIGGER invoices_calc_flags_update AFTER UPDATE OF calculation_id ON invoices FOR EACH ROW
  WHEN (NEW.calculation_id IS DISTINCT FROM OLD.calculation_id) EXECUTE FUNCTION rillet_doc_calc_flags();
CREATE TRIGGER credit_memos_calc_flags_insert AFTER INSERT ON credit_memos FOR EACH ROW
  WHEN (NEW.calculation_id IS NOT NULL) EXECUTE FUNCTION rillet_doc_calc_flags();
CREATE TRIGGER credit_memos_calc_flags_update AFTER UPDATE OF calculation_id ON credit_memos FOR EACH ROW
  WHEN (NEW.calculation_id IS DISTINCT FROM OLD.calculation_id) EXECUTE FUNCTION rillet_doc_calc_flags();
CREATE TRIGGER rillet_calc_heads_flags_insert AFTER INSERT ON rillet_calc_heads FOR EACH ROW
  EXECUTE FUNCTION rillet_head_calc_flags();
CREATE TRIGGER rillet_calc_heads_flags_update AFTER UPDATE OF imprecise, cert_expired ON rillet_calc_heads FOR EACH ROW
  EXECUTE FUNCTION rillet_head_calc_flags();
