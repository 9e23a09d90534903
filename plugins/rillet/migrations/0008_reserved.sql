-- Placeholder (branch h-health): migration 0008 is reserved for another branch of issue 16/17;
-- this file only keeps this branch's numbers contiguous (migrate.c refuses gaps). At merge,
-- drop it when the real 0008 arrives.
SELECT 1;
