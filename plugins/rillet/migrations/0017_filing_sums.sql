-- rillet plugin (issue 20: the filing summary at 10,000 and 50,000 invoices): the summary's
-- sums kept on write, per month, document type, region, currency and figure (filing_sums.lua
-- keeps them: every writer of a document's report state refreshes its part in the same
-- transaction; quarters and years are summed from the months when the report is asked).
-- Empty here, ready = 0: the documents stored before this migration are added by the job
-- rillet.filing_sums (the same Lua on SQLite and PostgreSQL, a batch of documents a run, queued
-- at start); until it is done the report sums the figure rows as before.

-- what each counted document adds (its month, region, currency and calculation)
CREATE TABLE rillet_filing_docs (
  doc_type TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  doc_date TEXT NOT NULL,
  month TEXT NOT NULL,
  region TEXT,
  currency TEXT,
  calculation_id TEXT NOT NULL,
  readable INTEGER,
  bad INTEGER NOT NULL,            -- the report's per-document checks failed (1)
  odd INTEGER NOT NULL,            -- the date is not a day of its month (1)
  PRIMARY KEY (doc_type, doc_id)
) WITHOUT ROWID;
CREATE INDEX rillet_filing_docs_odd ON rillet_filing_docs(odd, month);

-- the sums: one row per kind and key (k: the key as text), additive columns
CREATE TABLE rillet_filing_sums (
  k TEXT PRIMARY KEY,
  kind TEXT NOT NULL,              -- docs | lines | taxes | taxable | rate
  month TEXT NOT NULL,             -- YYYY-MM of the documents' date
  type TEXT NOT NULL,              -- invoice | credit_memo
  region TEXT,
  currency TEXT,
  reason TEXT,                     -- lines, taxable: the lines' taxability reason ('' none)
  jurisdiction TEXT, level TEXT, tax_type TEXT, authority_code TEXT,
  rate TEXT,                       -- rate: the percentage as written
  docs INTEGER NOT NULL,           -- documents counted in the row
  n INTEGER NOT NULL,              -- lines: lines; taxes: tax rows
  sale INTEGER NOT NULL,           -- lines: Σ amount - discount (minor units)
  taxable INTEGER NOT NULL,        -- lines, taxable: Σ taxable_amount
  tax INTEGER NOT NULL,            -- taxes: Σ amount
  tax_null INTEGER NOT NULL,       -- taxes: tax rows without an amount
  bad INTEGER NOT NULL             -- docs: documents or amounts the report cannot sum
) WITHOUT ROWID;
CREATE INDEX rillet_filing_sums_month ON rillet_filing_sums(month, region);

-- the rebuild's progress and the last check's outcome (one row)
CREATE TABLE rillet_filing_state (
  id INTEGER PRIMARY KEY,
  ready INTEGER NOT NULL DEFAULT 0,
  phase TEXT,
  after_id TEXT,
  rebuild_started_at TEXT,
  rebuilt_at TEXT,
  check_state TEXT,
  check_started_at TEXT,
  check_finished_at TEXT,
  check_after TEXT,
  check_months INTEGER,
  check_mismatches INTEGER,
  check_diffs TEXT
);
INSERT INTO rillet_filing_state(id, ready, phase) VALUES (1, 0, 'invoice');
