-- rillet plugin on PostgreSQL (issue 22): the twin of ../0003_circuit.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Circuit breaker per connection (client.lua): consecutive transport errors / 5xx, and whether
-- the current block (blocked_until_ms) is the circuit's (open) rather than a 429's.
ALTER TABLE rillet_rate ADD COLUMN fail_streak BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rillet_rate ADD COLUMN circuit_open BIGINT NOT NULL DEFAULT 0;
