-- Token roles (issue 20) on PostgreSQL: the twin of ../0010_token_roles.sql (see there).
ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'full'
    CHECK (role IN ('admin', 'full', 'read_only'));
UPDATE api_tokens SET role = 'read_only' WHERE read_only <> 0;
ALTER TABLE api_tokens ADD COLUMN created_by_token BIGINT;
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
