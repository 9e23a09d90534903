-- Rillet simulator state (levy sim). All tables are sim_-prefixed.
CREATE TABLE sim_entities (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,   -- creation order: lists are newest first
  kind          TEXT NOT NULL,                       -- organization|subsidiary|customer|product|invoice|credit_memo|payment
  id            TEXT NOT NULL,
  subsidiary_id TEXT,
  customer_id   TEXT,
  parent_id     TEXT,                                -- payment: its invoice
  status        TEXT,
  currency      TEXT,
  updated_ms    INTEGER NOT NULL,
  body          TEXT NOT NULL,                       -- canonical JSON of the Rillet object
  extra         TEXT,                                -- sim-only side data (written tax rates per line)
  UNIQUE (kind, id)
);
CREATE INDEX sim_entities_kind_seq ON sim_entities (kind, seq);
CREATE INDEX sim_entities_kind_updated ON sim_entities (kind, updated_ms);
CREATE INDEX sim_entities_updated ON sim_entities (updated_ms);
CREATE INDEX sim_entities_parent ON sim_entities (parent_id);

CREATE TABLE sim_config (name TEXT PRIMARY KEY, value TEXT NOT NULL);     -- value: JSON
CREATE TABLE sim_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);

CREATE TABLE sim_api_keys (
  key_hash   TEXT PRIMARY KEY,                       -- hex sha256 of the key
  name       TEXT NOT NULL,
  hint       TEXT NOT NULL,                          -- last 4 characters
  read_only  INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

CREATE TABLE sim_idempotency (
  scope        TEXT PRIMARY KEY,                     -- key_hash ":" Idempotency-Key
  request_hash TEXT NOT NULL,                        -- sha256 of method, path and body
  status       INTEGER NOT NULL,
  body         TEXT NOT NULL,
  created_ms   INTEGER NOT NULL
);

CREATE TABLE sim_webhooks (
  id              TEXT PRIMARY KEY,
  name            TEXT,
  url             TEXT NOT NULL,
  token           TEXT NOT NULL,                     -- signing token (Base64 of 32 bytes)
  events          TEXT NOT NULL,                     -- JSON {"INVOICE":["CREATED",...],...}
  enabled         INTEGER NOT NULL DEFAULT 1,
  disabled_reason TEXT,
  created_at      TEXT NOT NULL
);

CREATE TABLE sim_deliveries (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL,                          -- X-Rillet-Id (a duplicate fault reuses it)
  webhook_id TEXT NOT NULL,
  entity     TEXT NOT NULL,
  event      TEXT NOT NULL,
  entity_id  TEXT NOT NULL,
  ts         TEXT NOT NULL,                          -- X-Rillet-Timestamp
  body       TEXT NOT NULL,
  state      TEXT NOT NULL,                          -- pending|held|delivered|failed|dropped|skipped
  attempts   INTEGER NOT NULL DEFAULT 0,
  log        TEXT NOT NULL DEFAULT '[]',             -- JSON array of attempts
  note       TEXT,
  created_ms INTEGER NOT NULL
);
CREATE INDEX sim_deliveries_webhook ON sim_deliveries (webhook_id, seq);

CREATE TABLE sim_faults (name TEXT PRIMARY KEY, value TEXT NOT NULL);     -- value: JSON
