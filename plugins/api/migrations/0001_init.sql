-- api plugin: regions, settings, products, customers (owned by plugins/api; other plugins
-- reach them only through the api plugin's exports).

CREATE TABLE IF NOT EXISTS regions (
  code TEXT PRIMARY KEY,
  subscribed INTEGER NOT NULL DEFAULT 0,
  tax_calculation INTEGER NOT NULL DEFAULT 0,
  registration_number TEXT,
  effective_from TEXT,
  updated_at TEXT
);

CREATE TABLE IF NOT EXISTS regions_audit (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL,
  before TEXT,            -- JSON of the region's settable fields before the PUT (null if none)
  after TEXT NOT NULL,    -- JSON after the PUT
  at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS regions_audit_code ON regions_audit(code, id);

CREATE TABLE IF NOT EXISTS settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL     -- JSON
);

CREATE TABLE IF NOT EXISTS products (
  id TEXT PRIMARY KEY,
  name TEXT,
  raw TEXT,               -- JSON as imported from Rillet
  tax_code TEXT NOT NULL DEFAULT 'general',
  tax_code_source TEXT NOT NULL DEFAULT 'default',   -- default | mapping | user
  updated_at TEXT
);

CREATE TABLE IF NOT EXISTS customers (
  id TEXT PRIMARY KEY,
  name TEXT,
  raw TEXT,               -- JSON as imported from Rillet
  updated_at TEXT,
  exempt INTEGER NOT NULL DEFAULT 0,
  exempt_regions TEXT,    -- JSON array of region codes; empty = all regions
  exemption_certificate TEXT,
  exemption_expires TEXT, -- YYYY-MM-DD
  tax_id TEXT,
  tax_id_source TEXT      -- mapping | user
);
