-- api plugin on PostgreSQL: the twin of ../0005_connection_overrides.sql (per-connection
-- overrides of regions and settings; writes bump api_version like the global tables).
CREATE TABLE IF NOT EXISTS connection_regions (
  connection_id TEXT NOT NULL,
  code TEXT NOT NULL,
  subscribed BIGINT NOT NULL DEFAULT 0,
  tax_calculation BIGINT NOT NULL DEFAULT 0,
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

ALTER TABLE regions_audit ADD COLUMN connection_id TEXT;

CREATE TRIGGER api_version_conn_regions_insert AFTER INSERT ON connection_regions FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_conn_regions_update AFTER UPDATE ON connection_regions FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_conn_regions_delete AFTER DELETE ON connection_regions FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_conn_settings_insert AFTER INSERT ON connection_settings FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_conn_settings_update AFTER UPDATE ON connection_settings FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_conn_settings_delete AFTER DELETE ON connection_settings FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
