-- reports plugin (issue 20, the EU One-Stop-Shop view): the ECB euro reference-rate files the
-- user imported (POST /v1/reports/fx-rates: eurofxref-hist.csv as the ECB publishes it). Kept
-- as they came: a rate is read from the newest file holding it as the exact decimal string the
-- ECB wrote (plugins/reports/oss.lua).
CREATE TABLE reports_fx_files (
  id INTEGER PRIMARY KEY,
  imported_at TEXT NOT NULL,
  first_date TEXT NOT NULL,        -- the earliest day in the file (YYYY-MM-DD)
  last_date TEXT NOT NULL,         -- the latest day in the file
  days INTEGER NOT NULL,           -- publication days (rows)
  currencies TEXT NOT NULL,        -- JSON array of the header's currency codes
  sha256 TEXT NOT NULL,
  body TEXT NOT NULL
);
