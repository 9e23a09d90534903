CREATE TABLE example_things (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0
);
