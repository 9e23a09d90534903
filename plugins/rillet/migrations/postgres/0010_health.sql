-- rillet plugin on PostgreSQL (issue 22): the twin of ../0010_health.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Connection health (issue 17, health.lua): the signals the health state is computed from,
-- kept on the connection so the API, the UI, the log and /metrics all read the same thing.

-- Deliveries refused for their signature since the last verified one (reset by a verified
-- delivery and by a new signing token). warn_ms: when the last WARN line was written (at most
-- one a minute per connection).
ALTER TABLE connections ADD COLUMN sig_fail_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN sig_fail_first_at TEXT;
ALTER TABLE connections ADD COLUMN sig_fail_last_at TEXT;
ALTER TABLE connections ADD COLUMN sig_warn_ms BIGINT;

-- What Rillet said about the API key: NULL (nothing wrong seen), 'invalid' (401, or 403 on a
-- read) or 'read_only' (403 on a write, GET /api-key saying so, or the write probe at
-- connect). Cleared by a successful write (read_only) or a replaced key.
ALTER TABLE connections ADD COLUMN key_problem TEXT;
ALTER TABLE connections ADD COLUMN key_problem_at TEXT;
ALTER TABLE connections ADD COLUMN key_problem_detail TEXT;
ALTER TABLE connections ADD COLUMN key_problem_count BIGINT NOT NULL DEFAULT 0;

-- Changed documents a sweep found that no delivery had announced within the window
-- (settings webhook_silent_minutes), and of which kinds (",invoice,credit_memo,"); a kind is
-- cleared by a verified delivery of that kind, all by a new signing token. silent_pending*:
-- the count, a few examples and the kinds of the sweep in progress (it may span several job
-- runs).
ALTER TABLE connections ADD COLUMN silent_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN silent_since TEXT;
ALTER TABLE connections ADD COLUMN silent_detail TEXT;
ALTER TABLE connections ADD COLUMN silent_kinds TEXT;
ALTER TABLE connections ADD COLUMN silent_pending BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN silent_pending_ex TEXT;
ALTER TABLE connections ADD COLUMN silent_pending_kinds TEXT;

-- Rillet answered 429: when, how often since the last request that got through, until when.
ALTER TABLE connections ADD COLUMN rate_limited_at TEXT;
ALTER TABLE connections ADD COLUMN rate_limited_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE connections ADD COLUMN rate_limited_until_ms BIGINT;

-- The state last logged and counted (transitions are logged once), and since when.
ALTER TABLE connections ADD COLUMN health_state TEXT;
ALTER TABLE connections ADD COLUMN health_since TEXT;
