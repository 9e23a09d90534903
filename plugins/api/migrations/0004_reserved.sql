-- Placeholder on branch h-entities only: api migration 0004 belongs to another branch and
-- migration numbers must have no gaps, so this empty step lets 0005_connection_overrides.sql
-- apply here. At merge the real 0004 replaces this file (drop it; nothing depends on it).
SELECT 1;
