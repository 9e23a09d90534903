-- Circuit breaker per connection (client.lua): consecutive transport errors / 5xx, and whether
-- the current block (blocked_until_ms) is the circuit's (open) rather than a 429's.
ALTER TABLE rillet_rate ADD COLUMN fail_streak INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rillet_rate ADD COLUMN circuit_open INTEGER NOT NULL DEFAULT 0;
