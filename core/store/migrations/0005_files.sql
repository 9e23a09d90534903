-- levy.files on PostgreSQL (issue 22): whole files a plugin keeps (exemption certificates),
-- one row per <dir>/<name>, so that every replica sharing the database reads the same bytes.
-- SQLite keeps them as files under <data_dir>/files/ (core/lua/bind_files.c) and leaves this
-- table empty; it exists here so that the two engines' schemas stay alike and so that
-- `levy migrate-store` has a target for the data dir's files (core/host/migstore.c).
CREATE TABLE files (
    dir TEXT NOT NULL,
    name TEXT NOT NULL,
    data BLOB NOT NULL,
    size INTEGER NOT NULL,
    mtime INTEGER NOT NULL, -- seconds since the epoch of the last put
    PRIMARY KEY (dir, name)
);
