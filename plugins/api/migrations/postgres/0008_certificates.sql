-- api plugin on PostgreSQL: the twin of ../0008_certificates.sql (exemption certificates on
-- file per customer; the document itself is a file in the data dir, levy.files).
CREATE TABLE IF NOT EXISTS api_certificates (
  id TEXT PRIMARY KEY,            -- "cert_" + 24 hex
  customer_id TEXT NOT NULL,
  number TEXT NOT NULL,
  reason TEXT NOT NULL,
  regions TEXT NOT NULL,          -- JSON array of region codes, at least one
  issued TEXT NOT NULL,           -- YYYY-MM-DD
  expires TEXT,                   -- YYYY-MM-DD, NULL = no expiry
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  filename TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS api_certificates_customer ON api_certificates(customer_id);
CREATE INDEX IF NOT EXISTS api_certificates_expires ON api_certificates(expires);

CREATE TRIGGER api_version_certificates_insert AFTER INSERT ON api_certificates FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_certificates_update AFTER UPDATE ON api_certificates FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
CREATE TRIGGER api_version_certificates_delete AFTER DELETE ON api_certificates FOR EACH STATEMENT EXECUTE FUNCTION api_version_bump();
