-- Online tax id checks (issue 19, optional, setting tax_id_online, off by default): every
-- answer of a tax registry (VIES) kept with its date as evidence that a customer's VAT number
-- was (or was not) registered when it was checked. A calculation uses the latest answer for
-- the number while it is younger than tax_id_online.max_age_days; levy works without it.
CREATE TABLE api_tax_id_checks (
  id INTEGER PRIMARY KEY,
  country TEXT NOT NULL,        -- ISO 3166 code the number belongs to (GR for EL)
  number TEXT NOT NULL,         -- normalised national part (levy.taxid), e.g. 136695976
  source TEXT NOT NULL,         -- registry: VIES
  status TEXT NOT NULL,         -- registered | not_registered | unavailable
  name TEXT,                    -- trader name as the registry answered (may be "---")
  address TEXT,
  request_date TEXT,            -- the registry's own date of the answer (VIES requestDate)
  request_id TEXT,              -- the registry's consultation number, when it gives one
  http_status INTEGER,
  detail TEXT,                  -- error text for unavailable
  checked_at TEXT NOT NULL,     -- levy's clock, ISO 8601
  checked_ms INTEGER NOT NULL
);
CREATE INDEX api_tax_id_checks_number ON api_tax_id_checks(country, number, checked_ms);
