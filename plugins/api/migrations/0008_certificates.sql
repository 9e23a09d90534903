-- api plugin (issue 20): exemption certificates on file per customer. The document itself is a
-- file in the data dir (<data>/files/certificates/<id>, levy.files), written and fsync'd before
-- its row is inserted here, so a listing never shows a certificate without its file; a crash
-- in between leaves only an unlisted file. Certificates on file decide a stored customer's
-- exemption (core/tax/calc.c certificates(); docs/connector.md "Exemption certificates").
CREATE TABLE IF NOT EXISTS api_certificates (
  id TEXT PRIMARY KEY,            -- "cert_" + 24 hex
  customer_id TEXT NOT NULL,
  number TEXT NOT NULL,           -- the certificate's own number
  reason TEXT NOT NULL,           -- resale | non_profit | government | ... | sst_a .. sst_m
  regions TEXT NOT NULL,          -- JSON array of region codes, at least one
  issued TEXT NOT NULL,           -- YYYY-MM-DD
  expires TEXT,                   -- YYYY-MM-DD, NULL = no expiry
  content_type TEXT NOT NULL,     -- application/pdf | image/png | image/jpeg (from the bytes)
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,           -- hex of the file, for an audit
  filename TEXT,                  -- as uploaded, for the download's name
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS api_certificates_customer ON api_certificates(customer_id);
CREATE INDEX IF NOT EXISTS api_certificates_expires ON api_certificates(expires);

-- a calculation reads the customer's certificates (calc.lua's cache follows api_version)
CREATE TRIGGER IF NOT EXISTS api_version_certificates_insert AFTER INSERT ON api_certificates BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_certificates_update AFTER UPDATE ON api_certificates BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
CREATE TRIGGER IF NOT EXISTS api_version_certificates_delete AFTER DELETE ON api_certificates BEGIN UPDATE api_version SET v = random() WHERE id = 1; END;
