-- reports plugin (issue 20): who started an export, on its row (the audit log had it as
-- export.started; GET /v1/reports/filing/exports answered no creator). created_by: the audit
-- actor label ("Rita's token", "UI session of Rita 3f9a1c2e", "API token"); created_by_person:
-- the named token's name when there is one (the audit log's person), else NULL. Exports made
-- before this migration (kept 7 days) take both from their export.started audit row, NULL
-- where it is missing.
ALTER TABLE reports_exports ADD COLUMN created_by TEXT;
ALTER TABLE reports_exports ADD COLUMN created_by_person TEXT;
UPDATE reports_exports SET
  created_by = (SELECT a.actor FROM audit_log a WHERE a.action = 'export.started'
                AND a.object_kind = 'export' AND a.object_id = reports_exports.id),
  created_by_person = (SELECT a.person FROM audit_log a WHERE a.action = 'export.started'
                       AND a.object_kind = 'export' AND a.object_id = reports_exports.id);
