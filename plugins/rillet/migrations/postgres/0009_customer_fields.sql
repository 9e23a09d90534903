-- rillet plugin on PostgreSQL (issue 22): the twin of ../0009_customer_fields.sql, same tables, columns,
-- constraints and indexes (integers BIGINT; SQLite's AUTOINCREMENT ids are identity columns).
-- Rillet custom fields (issue 17, "Tax ids and exemptions from Rillet data"): the field
-- definitions of GET /fields, cached per connection (one organisation each) so that a
-- customer's {field_id, field_value_id} assignments resolve to names the mapping can use
-- ("the field *VAT number* holds the tax id"). Refreshed by the import and with the
-- hourly product sweep (sync.lua refresh_fields).
CREATE TABLE rillet_fields (
  connection_id TEXT NOT NULL,
  field_id TEXT NOT NULL,
  name TEXT NOT NULL,
  field_values TEXT NOT NULL,           -- JSON {value id: value name}
  updated_at TEXT,                      -- Rillet's updated_at
  fetched_at TEXT NOT NULL,
  PRIMARY KEY (connection_id, field_id)
);
-- last outcome of a fields refresh per connection: 'ok' or why it could not be read (a
-- Rillet without GET /fields, a key without access): customers then keep the tax ids
-- their external references give
ALTER TABLE connections ADD COLUMN fields_state TEXT;
