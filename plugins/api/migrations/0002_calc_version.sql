-- api plugin: a version stamp of the tables POST /v1/calculate reads (regions, settings,
-- products, customers). Every committed write to them, from any plugin or process, sets a
-- new random stamp through these triggers; calc.lua caches what it read from those tables
-- until the stamp changes. A write that rolls back also rolls back its stamp, and a random
-- stamp (not a counter) cannot come back to a value a cache entry was filled under.
CREATE TABLE IF NOT EXISTS api_version (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  v INTEGER NOT NULL
);
INSERT OR IGNORE INTO api_version(id, v) VALUES (1, random());

CREATE TRIGGER IF NOT EXISTS api_version_regions_insert AFTER INSERT ON regions BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_regions_update AFTER UPDATE ON regions BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_regions_delete AFTER DELETE ON regions BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_settings_insert AFTER INSERT ON settings BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_settings_update AFTER UPDATE ON settings BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_settings_delete AFTER DELETE ON settings BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_products_insert AFTER INSERT ON products BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_products_update AFTER UPDATE ON products BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_products_delete AFTER DELETE ON products BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_customers_insert AFTER INSERT ON customers BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_customers_update AFTER UPDATE ON customers BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_customers_delete AFTER DELETE ON customers BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
