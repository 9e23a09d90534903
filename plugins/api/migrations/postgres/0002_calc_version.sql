-- api plugin on PostgreSQL: the twin of ../0002_calc_version.sql. Every committed write to
-- the tables POST /v1/calculate reads sets a new random stamp in api_version (calc.lua caches
-- what it read until the stamp changes); a write that rolls back rolls back its stamp too.
-- One trigger function serves every table; the triggers fire once per statement (SQLite's
-- fire per row: the stamp only has to change, not count). Trigger names as on SQLite.
CREATE TABLE IF NOT EXISTS api_version (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  v BIGINT NOT NULL
);

-- 64 random bits as a BIGINT (random() is a double here; no float is ever stored)
CREATE OR REPLACE FUNCTION api_version_random() RETURNS BIGINT LANGUAGE sql VOLATILE AS
$$ SELECT ('x' || substr(md5(random()::text || clock_timestamp()::text), 1, 16))::bit(64)::bigint $$;

CREATE OR REPLACE FUNCTION api_version_bump() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN UPDATE api_version SET v = api_version_random() WHERE id = 1; RETURN NULL; END $$;

INSERT INTO api_version(id, v) VALUES (1, api_version_random()) ON CONFLICT DO NOTHING;

CREATE TRIGGER api_version_regions_insert AFTER INSERT ON regions FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_regions_update AFTER UPDATE ON regions FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_regions_delete AFTER DELETE ON regions FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_settings_insert AFTER INSERT ON settings FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_settings_update AFTER UPDATE ON settings FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_settings_delete AFTER DELETE ON settings FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_products_insert AFTER INSERT ON products FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_products_update AFTER UPDATE ON products FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_products_delete AFTER DELETE ON products FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_customers_insert AFTER INSERT ON customers FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_customers_update AFTER UPDATE ON customers FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_customers_delete AFTER DELETE ON customers FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
