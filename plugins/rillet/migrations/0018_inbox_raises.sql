-- rillet plugin (issue 21 follow-up): how many times processing this delivery raised.
-- rillet.process_inbox gives a delivery up (outcome 'error: ...') after its 5th raise, counted
-- here on the delivery's own row, not by the job's attempts: those also count Rillet failures
-- (a long outage), which would give up a delivery at its first raise.
ALTER TABLE inbox ADD COLUMN raises INTEGER NOT NULL DEFAULT 0;
