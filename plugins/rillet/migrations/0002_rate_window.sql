-- Rate limiting per connection becomes a sliding window: at most 60 requests in any rolling
-- 60 s (a token bucket of 60 with a 1/s refill lets up to 120 through in one window).
-- rillet_rate keeps only the block until Retry-After after a 429 (its token columns are unused).
CREATE TABLE rillet_rate_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bucket TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX rillet_rate_log_bucket ON rillet_rate_log(bucket, at_ms);
