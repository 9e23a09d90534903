-- PostgreSQL twin of ../0005_files.sql: levy.files' bodies in the database (bytea), so a
-- certificate uploaded through one replica is read through any other (core/lua/bind_files.c).
CREATE TABLE files (
    dir TEXT NOT NULL,
    name TEXT NOT NULL,
    data BYTEA NOT NULL,
    size BIGINT NOT NULL,
    mtime BIGINT NOT NULL, -- seconds since the epoch of the last put
    PRIMARY KEY (dir, name)
);
