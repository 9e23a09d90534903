-- api plugin: the scoped key of the Sphere-compatible endpoint (POST /tax_api/calculate_tax;
-- issue 15, finding 16). It authorizes that endpoint only. Stored as the SHA-256 (hex) of the
-- key, never the key itself; one key at a time (creating a new one replaces it).
CREATE TABLE IF NOT EXISTS sphere_api_key (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  key_sha256 TEXT NOT NULL,
  hint TEXT NOT NULL,       -- "…" and the key's last 4 characters
  created_at TEXT NOT NULL
);
