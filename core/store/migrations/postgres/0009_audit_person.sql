-- The audit log by person (issue 20) on PostgreSQL: the twin of ../0009_audit_person.sql (see there).
ALTER TABLE audit_log ADD COLUMN person TEXT;
UPDATE audit_log SET person = substr(actor, 1, length(actor) - 8)
 WHERE actor_kind = 'named_token' AND length(actor) > 8
   AND substr(actor, length(actor) - 7) = '''s token';
UPDATE audit_log SET person = substr(actor, 15, length(actor) - 23)
 WHERE actor_kind = 'ui_session' AND length(actor) > 23 AND substr(actor, 1, 14) = 'UI session of '
   AND substr(actor, length(actor) - 8, 1) = ' ';
CREATE INDEX audit_log_person ON audit_log(person, id);
