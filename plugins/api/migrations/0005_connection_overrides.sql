-- api plugin: per-connection (legal entity) overrides of regions and settings (issue 17,
-- "Several legal entities"). A connection with no row here uses the global regions and
-- settings exactly as before; a row replaces the global value for that connection only:
--   connection_regions: the whole settable state of one region (subscribed, tax_calculation,
--     registration_number, effective_from) for one connection;
--   connection_settings: one settings key (same keys and JSON values as `settings`).
-- The connection ids are the rillet plugin's; rows of a deleted connection are kept with its
-- documents. Writes bump api_version like the global tables (the calculation cache).
CREATE TABLE IF NOT EXISTS connection_regions (
  connection_id TEXT NOT NULL,
  code TEXT NOT NULL,
  subscribed INTEGER NOT NULL DEFAULT 0,
  tax_calculation INTEGER NOT NULL DEFAULT 0,
  registration_number TEXT,
  effective_from TEXT,
  updated_at TEXT,
  PRIMARY KEY (connection_id, code)
);

CREATE TABLE IF NOT EXISTS connection_settings (
  connection_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,    -- JSON
  PRIMARY KEY (connection_id, key)
);

-- The audit of region changes names the connection (NULL = the global default).
ALTER TABLE regions_audit ADD COLUMN connection_id TEXT;

CREATE TRIGGER IF NOT EXISTS api_version_conn_regions_insert AFTER INSERT ON connection_regions BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_conn_regions_update AFTER UPDATE ON connection_regions BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_conn_regions_delete AFTER DELETE ON connection_regions BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_conn_settings_insert AFTER INSERT ON connection_settings BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_conn_settings_update AFTER UPDATE ON connection_settings BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_conn_settings_delete AFTER DELETE ON connection_settings BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
