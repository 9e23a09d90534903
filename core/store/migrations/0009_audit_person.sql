-- The audit log by person (issue 20, brief person20): "show me everything Alice did". A row's
-- person is the name of the named API token that made it: the token itself (actor_kind
-- named_token, actor "Alice's token") or a UI session opened with it (ui_session, "UI session
-- of Alice 3f9a1c2e"); NULL for the shared API token, its sessions and sign-in codes, the CLI
-- and levy itself. GET /v1/audit?person=Alice matches it exactly, so "Al" never lists Alice's
-- rows. Written with the row (levy_audit_insert, levy.audit.record) from the actor label that
-- levy_auth_who_actor made (core/host/auth.c): the label's two forms are fixed and a name
-- (at most 64 bytes) is never cut in it, so the name read back from it is exact. A revoked
-- token's name given again names the same person. Rows written before this migration get
-- their person from their label here, by the same rule.
ALTER TABLE audit_log ADD COLUMN person TEXT;
UPDATE audit_log SET person = substr(actor, 1, length(actor) - 8)
 WHERE actor_kind = 'named_token' AND length(actor) > 8
   AND substr(actor, length(actor) - 7) = '''s token';
UPDATE audit_log SET person = substr(actor, 15, length(actor) - 23)
 WHERE actor_kind = 'ui_session' AND length(actor) > 23 AND substr(actor, 1, 14) = 'UI session of '
   AND substr(actor, length(actor) - 8, 1) = ' ';
CREATE INDEX audit_log_person ON audit_log(person, id);
