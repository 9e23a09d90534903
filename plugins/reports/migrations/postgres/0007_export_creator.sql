-- reports plugin on PostgreSQL (issue 20): the twin of ../0007_export_creator.sql, same columns
-- and backfill from the export.started audit rows.
ALTER TABLE reports_exports ADD COLUMN created_by TEXT;
ALTER TABLE reports_exports ADD COLUMN created_by_person TEXT;
UPDATE reports_exports SET
  created_by = (SELECT a.actor FROM audit_log a WHERE a.action = 'export.started'
                AND a.object_kind = 'export' AND a.object_id = reports_exports.id),
  created_by_person = (SELECT a.person FROM audit_log a WHERE a.action = 'export.started'
                       AND a.object_kind = 'export' AND a.object_id = reports_exports.id);
