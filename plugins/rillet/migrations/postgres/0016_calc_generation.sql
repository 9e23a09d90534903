-- rillet plugin on PostgreSQL (issue 22): the twin of ../0016_calc_generation.sql -- each
-- calculation records its generation's content hash and store-issued order.
ALTER TABLE calculations ADD COLUMN generation_hash TEXT;
ALTER TABLE calculations ADD COLUMN generation_seq BIGINT;
CREATE INDEX calculations_doc_generation ON calculations(doc_type, doc_id, generation_seq);
