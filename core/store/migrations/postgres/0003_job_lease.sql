-- PostgreSQL twin of ../0003_job_lease.sql: the lease of a running job (ms since the epoch)
-- and the replica that holds it; the claim (core/store/jobs.c) sets both, FOR UPDATE SKIP
-- LOCKED, and claims a running job again once lease_until has passed.
ALTER TABLE jobs ADD COLUMN lease_until BIGINT;
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
