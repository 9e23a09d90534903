-- reports plugin, issue 20 (exposure): physical presence per state, entered in Settings, and
-- levy's own marketplace-facilitator flags (Rillet's API has no such field).
CREATE TABLE reports_presence (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL,             -- two-letter US state code (a row of data/us/economic-nexus.csv)
  kind TEXT NOT NULL CHECK (kind IN ('office', 'employee', 'inventory')),
  from_date TEXT NOT NULL,         -- YYYY-MM-DD: nexus from this date
  to_date TEXT,                    -- YYYY-MM-DD or NULL (still there)
  note TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX reports_presence_state ON reports_presence(state);

-- a customer every document of which is sold through a marketplace facilitator
CREATE TABLE reports_marketplace_customers (
  customer_id TEXT PRIMARY KEY,    -- Rillet customer id
  set_at TEXT NOT NULL
);

-- one document's own flag (1 marketplace, 0 not), which wins over its customer's
CREATE TABLE reports_marketplace_documents (
  doc_type TEXT NOT NULL CHECK (doc_type IN ('invoice', 'credit_memo')),
  doc_id TEXT NOT NULL,
  marketplace INTEGER NOT NULL CHECK (marketplace IN (0, 1)),
  set_at TEXT NOT NULL,
  PRIMARY KEY (doc_type, doc_id)
);
