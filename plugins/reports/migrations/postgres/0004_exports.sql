-- reports plugin on PostgreSQL (issue 22): the twin of ../0004_exports.sql, same tables, columns and constraints.
-- reports plugin (issue 20, reportperf II): the documents export as a job. A run of the
-- reports.export job appends the next batch of documents as a part; the parts in order are
-- the file (GET /v1/reports/filing/exports/{id}/parts/{n}). Kept 7 days.
CREATE TABLE reports_exports (
  id TEXT PRIMARY KEY,             -- exp_<hex>
  params TEXT NOT NULL,            -- JSON: from, to, region, period, jurisdiction, frequency
  format TEXT NOT NULL CHECK (format IN ('csv', 'ndjson')),
  filename TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
  total BIGINT NOT NULL,          -- documents counted when the export was asked for
  done_docs BIGINT NOT NULL,      -- documents written so far
  parts BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  cursor TEXT,                     -- JSON [date, type, id] of the last document written
  error TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX reports_exports_created ON reports_exports(created_at);

CREATE TABLE reports_export_parts (
  export_id TEXT NOT NULL,
  seq BIGINT NOT NULL,            -- 1, 2, ...
  body TEXT NOT NULL,
  PRIMARY KEY (export_id, seq)
);
