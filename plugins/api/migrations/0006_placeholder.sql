-- PLACEHOLDER (branch h-custtype only): another branch adds the real api migration 0006; this
-- empty step keeps the numbering contiguous so 0007_customer_type.sql runs on this branch.
-- The lead drops this file at merge.
SELECT 1;
