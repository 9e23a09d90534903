-- rillet plugin: connections, webhook inbox, imported documents, calculations, write-backs,
-- per-document history and sync checkpoints. Secrets are stored only sealed
-- (levy.crypto.seal, AAD = connection id .. ":" .. field).

CREATE TABLE connections (
  id TEXT PRIMARY KEY,
  provider TEXT NOT NULL DEFAULT 'rillet',
  status TEXT NOT NULL,                 -- needs_subsidiary | needs_webhook_secret | connected | error
  environment TEXT NOT NULL,
  base_url TEXT NOT NULL,
  organization TEXT,                    -- JSON {id,trade_name,currency,timezone}
  subsidiaries TEXT,                    -- JSON array
  subsidiary_id TEXT,
  api_key_sealed TEXT,
  api_key_hint TEXT,
  signing_token_sealed TEXT,
  error_code TEXT,
  error_message TEXT,
  import_state TEXT NOT NULL DEFAULT 'pending',
  import_started_at TEXT,
  import_finished_at TEXT,
  import_error TEXT,
  last_webhook_at TEXT,
  last_sync_at TEXT,
  last_sync_ms INTEGER,
  last_products_sync_ms INTEGER,
  created_at TEXT NOT NULL,
  deleted_at TEXT
);

-- Webhook deliveries, committed before the 200. Processed in id (arrival) order.
CREATE TABLE inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL UNIQUE,     -- X-Rillet-Id
  connection_id TEXT NOT NULL,
  entity TEXT NOT NULL,                 -- normalised: INVOICE, CREDIT_MEMO, CUSTOMER, ...
  event TEXT NOT NULL,                  -- normalised: CREATED, UPDATED, DELETED, PAYMENT_UPDATED
  received_at TEXT NOT NULL,
  body TEXT NOT NULL,
  processed_at TEXT,
  outcome TEXT
);
CREATE INDEX inbox_pending ON inbox(connection_id, processed_at, id);

CREATE TABLE invoices (
  id TEXT PRIMARY KEY,                  -- Rillet id
  connection_id TEXT NOT NULL,
  subsidiary_id TEXT,
  number TEXT,
  customer_id TEXT,
  status TEXT,                          -- Rillet status
  currency TEXT,
  doc_date TEXT,
  total TEXT,
  rillet_taxed_amount TEXT,
  product_ids TEXT,                     -- ",id1,id2," for requeue_product
  updated_at TEXT,
  updated_ms INTEGER,
  raw TEXT NOT NULL,
  fingerprint TEXT,
  region TEXT,                          -- region of the last calculation
  tax_status TEXT NOT NULL DEFAULT 'pending',
  levy_tax TEXT,
  calculation_id TEXT,
  calculated_fingerprint TEXT,
  written_at TEXT,
  last_error TEXT,
  write_failures INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  imported_at TEXT NOT NULL
);
CREATE INDEX invoices_conn ON invoices(connection_id, updated_ms);
CREATE INDEX invoices_customer ON invoices(customer_id);
CREATE INDEX invoices_region ON invoices(region);

CREATE TABLE credit_memos (
  id TEXT PRIMARY KEY,
  connection_id TEXT NOT NULL,
  subsidiary_id TEXT,
  number TEXT,
  customer_id TEXT,
  status TEXT,
  currency TEXT,
  doc_date TEXT,
  total TEXT,
  rillet_taxed_amount TEXT,
  product_ids TEXT,
  applied_invoice_id TEXT,
  updated_at TEXT,
  updated_ms INTEGER,
  raw TEXT NOT NULL,
  fingerprint TEXT,
  region TEXT,
  tax_status TEXT NOT NULL DEFAULT 'pending',
  levy_tax TEXT,
  calculation_id TEXT,
  calculated_fingerprint TEXT,
  written_at TEXT,
  last_error TEXT,
  write_failures INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0,
  imported_at TEXT NOT NULL
);
CREATE INDEX credit_memos_conn ON credit_memos(connection_id, updated_ms);
CREATE INDEX credit_memos_customer ON credit_memos(customer_id);
CREATE INDEX credit_memos_region ON credit_memos(region);
CREATE INDEX credit_memos_applied ON credit_memos(applied_invoice_id);

-- Every calculation levy made for a document (immutable audit record).
CREATE TABLE calculations (
  id TEXT PRIMARY KEY,                  -- calc_...
  doc_type TEXT NOT NULL,               -- invoice | credit_memo
  doc_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  request TEXT NOT NULL,                -- JSON /v1/calculate body
  result TEXT,                          -- JSON result (NULL when the calculation failed)
  error TEXT,
  total_tax TEXT,
  result_hash TEXT,                     -- hash of the per-line taxes (what a write-back sends)
  region TEXT,
  generation INTEGER,
  created_at TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX calculations_doc ON calculations(doc_type, doc_id);

-- Every write-back attempt.
CREATE TABLE writebacks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc_type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  calculation_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_id TEXT,
  http_status INTEGER,
  outcome TEXT NOT NULL,                -- written | retry | failed
  response TEXT,
  attempted_at TEXT NOT NULL
);
CREATE INDEX writebacks_doc ON writebacks(doc_type, doc_id);

-- Per-document history: every calculation and every write-back attempt, append-only.
CREATE TABLE history (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  doc_type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,                   -- calculation | writeback | event
  request_id TEXT,
  calculation_id TEXT,
  http_status INTEGER,
  outcome TEXT NOT NULL,
  message TEXT
);
CREATE INDEX history_doc ON history(doc_type, doc_id, id);

CREATE TRIGGER history_append_only_u BEFORE UPDATE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER history_append_only_d BEFORE DELETE ON history
BEGIN SELECT RAISE(ABORT, 'history is append-only'); END;
CREATE TRIGGER calculations_immutable_u BEFORE UPDATE ON calculations
BEGIN SELECT RAISE(ABORT, 'calculations are immutable'); END;
CREATE TRIGGER calculations_immutable_d BEFORE DELETE ON calculations
BEGIN SELECT RAISE(ABORT, 'calculations are immutable'); END;

-- Import / sweep progress per connection and entity (cursor after each committed page).
CREATE TABLE sync_checkpoints (
  connection_id TEXT NOT NULL,
  entity TEXT NOT NULL,                 -- customers | products | invoices | credit_memos | sweep:...
  cursor TEXT,
  done INTEGER NOT NULL DEFAULT 0,
  count INTEGER NOT NULL DEFAULT 0,
  extra TEXT,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connection_id, entity)
);

-- Token bucket per connection (60 requests / 60 s), in milli-tokens.
CREATE TABLE rillet_rate (
  bucket TEXT PRIMARY KEY,
  tokens INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  blocked_until_ms INTEGER NOT NULL DEFAULT 0
);
