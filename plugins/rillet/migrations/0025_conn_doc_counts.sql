-- rillet plugin (issue 20): GET /v1/connections at 1M documents. Each connection's import
-- progress ("N of M documents taxed", conn.lua doc_progress) counted the connection's whole
-- range of the index (connection_id, deleted, tax_status, reason) of migration 0022: 140 ms
-- at 1M documents (500: past a request's budget). Now the counts are kept, per connection,
-- document type and shard, by triggers on the documents whatever writes them (inserted,
-- deleted, connection, deleted flag, tax_status or reason changed): docs (not deleted) and
-- decided (of those, tax_status <> 'pending' or a reason: exactly doc_progress's condition).
-- The reader sums at most 16 rows a type. The shard (the document's rowid % 16) only spreads
-- concurrent writers of one connection over 16 rows (PostgreSQL replicas: the row is locked
-- until the document's transaction commits); a document's deltas may land on different
-- shards, only the sums mean anything. The documents stored before are counted here into
-- shard 0 (a pass over that index, not the rows). Spec: plugins/rillet/spec/list_index_spec.lua.
-- ../postgres/0025_conn_doc_counts.sql: the same table and triggers (a plpgsql function).
CREATE TABLE rillet_conn_doc_counts (
  connection_id TEXT NOT NULL,
  doc_type TEXT NOT NULL,          -- invoice | credit_memo
  shard INTEGER NOT NULL,          -- 0..15
  docs INTEGER NOT NULL,           -- Σ documents not deleted
  decided INTEGER NOT NULL,        -- Σ of those decided
  PRIMARY KEY (connection_id, doc_type, shard)
) WITHOUT ROWID;
INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  SELECT connection_id, 'invoice', 0, count(*), COALESCE(sum(CASE WHEN d.tax_status <> 'pending' OR d.reason IS NOT NULL THEN 1 ELSE 0 END), 0) FROM invoices d
  WHERE deleted = 0 GROUP BY connection_id;
INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  SELECT connection_id, 'credit_memo', 0, count(*), COALESCE(sum(CASE WHEN d.tax_status <> 'pending' OR d.reason IS NOT NULL THEN 1 ELSE 0 END), 0) FROM credit_memos d
  WHERE deleted = 0 GROUP BY connection_id;

CREATE TRIGGER invoices_conn_counts_insert AFTER INSERT ON invoices WHEN NEW.deleted = 0
BEGIN
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (NEW.connection_id, 'invoice', NEW.rowid % 16, CASE WHEN NEW.deleted = 0 THEN 1 ELSE 0 END,
    CASE WHEN NEW.deleted = 0 THEN (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
END;
CREATE TRIGGER invoices_conn_counts_delete AFTER DELETE ON invoices WHEN OLD.deleted = 0
BEGIN
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (OLD.connection_id, 'invoice', OLD.rowid % 16, CASE WHEN OLD.deleted = 0 THEN -1 ELSE 0 END,
    CASE WHEN OLD.deleted = 0 THEN -(CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
END;
CREATE TRIGGER invoices_conn_counts_update AFTER UPDATE OF connection_id, deleted, tax_status, reason ON invoices
  WHEN OLD.connection_id IS NOT NEW.connection_id OR OLD.deleted IS NOT NEW.deleted
    OR (CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) <> (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END)
BEGIN
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (OLD.connection_id, 'invoice', OLD.rowid % 16, CASE WHEN OLD.deleted = 0 THEN -1 ELSE 0 END,
    CASE WHEN OLD.deleted = 0 THEN -(CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (NEW.connection_id, 'invoice', NEW.rowid % 16, CASE WHEN NEW.deleted = 0 THEN 1 ELSE 0 END,
    CASE WHEN NEW.deleted = 0 THEN (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
END;

CREATE TRIGGER credit_memos_conn_counts_insert AFTER INSERT ON credit_memos WHEN NEW.deleted = 0
BEGIN
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (NEW.connection_id, 'credit_memo', NEW.rowid % 16, CASE WHEN NEW.deleted = 0 THEN 1 ELSE 0 END,
    CASE WHEN NEW.deleted = 0 THEN (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
END;
CREATE TRIGGER credit_memos_conn_counts_delete AFTER DELETE ON credit_memos WHEN OLD.deleted = 0
BEGIN
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (OLD.connection_id, 'credit_memo', OLD.rowid % 16, CASE WHEN OLD.deleted = 0 THEN -1 ELSE 0 END,
    CASE WHEN OLD.deleted = 0 THEN -(CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
END;
CREATE TRIGGER credit_memos_conn_counts_update AFTER UPDATE OF connection_id, deleted, tax_status, reason ON credit_memos
  WHEN OLD.connection_id IS NOT NEW.connection_id OR OLD.deleted IS NOT NEW.deleted
    OR (CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) <> (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END)
BEGIN
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (OLD.connection_id, 'credit_memo', OLD.rowid % 16, CASE WHEN OLD.deleted = 0 THEN -1 ELSE 0 END,
    CASE WHEN OLD.deleted = 0 THEN -(CASE WHEN OLD.tax_status <> 'pending' OR OLD.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
  INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided)
  VALUES (NEW.connection_id, 'credit_memo', NEW.rowid % 16, CASE WHEN NEW.deleted = 0 THEN 1 ELSE 0 END,
    CASE WHEN NEW.deleted = 0 THEN (CASE WHEN NEW.tax_status <> 'pending' OR NEW.reason IS NOT NULL THEN 1 ELSE 0 END) ELSE 0 END)
  ON CONFLICT (connection_id, doc_type, shard) DO UPDATE SET docs = docs + excluded.docs,
    decided = decided + excluded.decided;
END;
