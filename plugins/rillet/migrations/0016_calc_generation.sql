-- rillet plugin (issue 22, hot reload per replica): each calculation records the generation
-- that made it -- the content hash every replica loading the same plugins, scripts and rate
-- vintages shares, and its store-issued order (core table generations.seq; higher = newer).
-- A calculation of an older generation than one already stored for the same document is
-- recorded but never becomes the document's calculation and is never written to Rillet
-- (writeback.lua: the write-back is recorded as superseded).
ALTER TABLE calculations ADD COLUMN generation_hash TEXT;
ALTER TABLE calculations ADD COLUMN generation_seq INTEGER;
CREATE INDEX calculations_doc_generation ON calculations(doc_type, doc_id, generation_seq);
