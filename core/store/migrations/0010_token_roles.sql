-- Token roles (issue 20, brief tokens23): before, any full named token could create and revoke
-- tokens, so a leaked token's creations outlived its revocation. A token now has a role:
--   admin      may also create and revoke named tokens (POST /v1/tokens, DELETE /v1/tokens/...)
--   full       everything else the API token opens (the default: tokens made before this
--              migration become full, not admin: only the configured API token, a UI session
--              opened with it or with a sign-in code, and admin tokens manage tokens now)
--   read_only  GET / HEAD only (read_only = 1 before; the column stays, written as before, so
--              a replica still on the previous binary keeps refusing such a token's changes)
-- created_by_token: the named token that made this one (itself or through a UI session opened
-- with it), NULL for the API token, its sessions and sign-in codes' sessions, the CLI. When a
-- token is revoked, the answer lists the tokens it made, for the admin to review. Rows made
-- before this migration get it from their created_by label ("Alice's token", "UI session of
-- Alice 3f9a1c2e") and the token of that name live when they were made.
ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'full'
    CHECK (role IN ('admin', 'full', 'read_only'));
UPDATE api_tokens SET role = 'read_only' WHERE read_only <> 0;
ALTER TABLE api_tokens ADD COLUMN created_by_token INTEGER;
UPDATE api_tokens SET created_by_token = (
    SELECT c.id FROM api_tokens c
     WHERE c.id < api_tokens.id
       AND (api_tokens.created_by = c.name || '''s token'
            OR (substr(api_tokens.created_by, 1, 14) = 'UI session of '
                AND length(api_tokens.created_by) > 23
                AND substr(api_tokens.created_by, 15, length(api_tokens.created_by) - 23) = c.name))
       AND (c.revoked_at IS NULL OR c.revoked_at >= api_tokens.created_at)
     ORDER BY c.id DESC LIMIT 1);
CREATE INDEX api_tokens_created_by_token ON api_tokens(created_by_token);
