-- api plugin on PostgreSQL: the twin of ../0003_sphere_api_key.sql (the Sphere-compatible
-- endpoint's scoped key, stored as its SHA-256 hex; one key at a time).
CREATE TABLE IF NOT EXISTS sphere_api_key (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  key_sha256 TEXT NOT NULL,
  hint TEXT NOT NULL,       -- "…" and the key's last 4 characters
  created_at TEXT NOT NULL
);
