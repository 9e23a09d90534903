-- reports plugin (issue 20, the EU One-Stop-Shop view): the ECB euro reference-rate files the
-- user imported (POST /v1/reports/fx-rates: eurofxref-hist.csv as the ECB publishes it). Kept
-- as they came: a rate is read from the newest ready file holding it as the exact decimal
-- string the ECB wrote (plugins/reports/oss.lua). A large file is checked line by line by the
-- job reports.fx_check (state checking -> ready | refused) before any report uses it.
CREATE TABLE reports_fx_files (
  id INTEGER PRIMARY KEY,
  imported_at TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('checking', 'ready', 'refused')),
  error TEXT,                      -- why a refused file was refused (the line named)
  first_date TEXT,                 -- the earliest day in the file (YYYY-MM-DD), once checked
  last_date TEXT,                  -- the latest day in the file
  days INTEGER,                    -- publication days (rows)
  currencies TEXT,                 -- JSON array of the header's currency codes
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  body TEXT NOT NULL
);
