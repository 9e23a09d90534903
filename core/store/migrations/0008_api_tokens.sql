-- Named API tokens (issue 20, brief tokens22): one per person or system, so the audit log
-- tells people apart ("Alice's token" instead of the one shared "API token"). A token is
-- stored only as the hex SHA-256 of its text (it is 32 random bytes: a hash cannot be
-- reversed nor guessed), never the token itself; it is shown once, when created. Looked up
-- by that hash (core/host/tokens.c); revoking sets revoked_at, and a revoked token (or a
-- UI session opened with it) is refused from the next request on. Rows are kept after
-- revocation (the audit log names them); a revoked token's name may be given again.
-- Not reachable from plugins (sandbox.lua CORE_TABLES).
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,         -- "Alice", "ci-deploy": 1..64 bytes of UTF-8, no control chars
    hash TEXT NOT NULL UNIQUE,  -- lower-case hex SHA-256 of the token's text
    read_only INTEGER NOT NULL DEFAULT 0, -- 1: GET / HEAD only (it, and its UI sessions)
    created_at TEXT NOT NULL,   -- UTC, YYYY-MM-DDTHH:MM:SSZ
    created_by TEXT NOT NULL,   -- the creator's audit actor ("API token", "levy token create ...")
    last_used_at TEXT,          -- UTC: the first use in the minute (written at most once a minute)
    revoked_at TEXT,            -- NULL while the token works
    revoked_by TEXT
);
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens(name) WHERE revoked_at IS NULL;
