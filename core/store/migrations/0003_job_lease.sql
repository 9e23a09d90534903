-- Job leases (issue 22): several levy processes on one PostgreSQL database claim from one
-- queue; a running job holds a lease until lease_until (ms since the epoch) in the name of
-- claimed_by (the replica id). Past the lease another process may claim it again (its runner
-- died). SQLite has one process per store and leaves both NULL; the columns keep the two
-- engines' schemas alike (core/store/jobs.h).
ALTER TABLE jobs ADD COLUMN lease_until INTEGER;
ALTER TABLE jobs ADD COLUMN claimed_by TEXT;
