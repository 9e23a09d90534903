-- rillet plugin on PostgreSQL (issues 20, 22): the twin of ../0025_conn_doc_counts.sql — each
-- connection's documents and decided documents kept by triggers (one plpgsql function, per
-- row; trigger names as on SQLite), read by conn.lua doc_progress.
CREATE TABLE rillet_conn_doc_counts (
  connection_id TEXT NOT NULL,
  doc_type TEXT NOT NULL,
  shard BIGINT NOT NULL,
  docs BIGINT NOT NULL,
  decided BIGINT NOT NULL,
  PRIMARY KEY (connection_id, doc_type, shard)
);
INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  SELECT connection_id, 'invoice', 0, count(*), COALESCE(sum(CASE WHEN d.tax_status <> 'pending' OR d.reason IS NOT NULL THEN 1 ELSE 0 END), 0) FROM invoices d
  WHERE deleted = 0 GROUP BY connection_id;
INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  SELECT connection_id, 'credit_memo', 0, count(*), COALESCE(sum(CASE WHEN d.tax_status <> 'pending' OR d.reason IS NOT NULL THEN 1 ELSE 0 END), 0) FROM credit_memos d
  WHERE deleted = 0 GROUP BY connection_id;

CREATE OR REPLACE FUNCTION rillet_conn_doc_count() RETURNS trigger LANGUAGE plpgsql AS
$$ DECLARE dt TEXT := CASE TG_TABLE_NAME WHEN 'invoices' THEN 'invoice' ELSE 'credit_memo' END;
BEGIN
  IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
    IF OLD.deleted = 0 THEN
      INSERT INTO rillet_conn_doc_counts AS k (connection_id, doc_type, shard, docs, decided)
      VALUES (OLD.connection_id, dt, OLD.rowid % 16, -1, -(CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END))
      ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = k.docs + EXCLUDED.docs,
        decided = k.decided + EXCLUDED.decided;
    END IF;
  END IF;
  IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
    IF NEW.deleted = 0 THEN
      INSERT INTO rillet_conn_doc_counts AS k (connection_id, doc_type, shard, docs, decided)
      VALUES (NEW.connection_id, dt, NEW.rowid % 16, 1, (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END))
      ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = k.docs + EXCLUDED.docs,
        decided = k.decided + EXCLUDED.decided;
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER invoices_conn_counts_insert AFTER INSERT ON invoices FOR EACH ROW
  WHEN (NEW.deleted = 0) EXECUTE FUNCTION rillet_conn_doc_count();
CREATE TRIGGER invoices_conn_counts_delete AFTER DELETE ON invoices FOR EACH ROW
  WHEN (OLD.deleted = 0) EXECUTE FUNCTION rillet_conn_doc_count();
CREATE TRIGGER invoices_conn_counts_update AFTER UPDATE OF connection_id, deleted, tax_status, reason ON invoices FOR EACH ROW
  WHEN (OLD.connection_id IS DISTINCT FROM NEW.connection_id OR OLD.deleted IS DISTINCT FROM NEW.deleted
    OR (CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) <> (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END)) EXECUTE FUNCTION rillet_conn_doc_count();

CREATE TRIGGER credit_memos_conn_counts_insert AFTER INSERT ON credit_memos FOR EACH ROW
  WHEN (NEW.deleted = 0) EXECUTE FUNCTION rillet_conn_doc_count();
CREATE TRIGGER credit_memos_conn_counts_delete AFTER DELETE ON credit_memos FOR EACH ROW
  WHEN (OLD.deleted = 0) EXECUTE FUNCTION rillet_conn_doc_count();
CREATE TRIGGER credit_memos_conn_counts_update AFTER UPDATE OF connection_id, deleted, tax_status, reason ON credit_memos FOR EACH ROW
  WHEN (OLD.connection_id IS DISTINCT FROM NEW.connection_id OR OLD.deleted IS DISTINCT FROM NEW.deleted
    OR (CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) <> (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END)) EXECUTE FUNCTION rillet_conn_doc_count();
