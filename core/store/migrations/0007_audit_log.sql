-- The audit log (issue 20): one row per admin action an auditor asks about ("who changed this
-- setting / region / product's tax code / customer's exemption, when, from what to what; who
-- retried those jobs, who replaced the key"). Written in the transaction that makes the change
-- (levy.audit.record, core/lua/runtime/audit.lua; the host's C routes: core/store/audit.c), so
-- a change without its row, or a row without its change, cannot be committed. Append-only:
-- no route updates or deletes a row. Secrets are never stored: a replaced key or token is
-- recorded as "replaced" (with the last 4 characters the UI already shows, when it shows them).
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- the order of the log; never reused
    at TEXT NOT NULL,           -- UTC, YYYY-MM-DDTHH:MM:SSZ
    actor_kind TEXT NOT NULL,   -- api_token | ui_session | cli
    actor TEXT NOT NULL,        -- "API token", "UI session 3f9a1c2e", "levy rates import"
    action TEXT NOT NULL,       -- a stable code: settings.updated, region.updated, ...
    object_kind TEXT NOT NULL,  -- settings | region | product | customer | certificate | ...
    object_id TEXT,             -- US-CA, a product id, ... (NULL for the global settings)
    object_label TEXT,          -- a human name: "California (US-CA)", the product's name
    changes TEXT NOT NULL,      -- JSON {"field": {"before": v, "after": v}, ...}
    request_id TEXT             -- the request's id (X-Request-Id of the answer), NULL from a CLI
);
CREATE INDEX audit_log_at ON audit_log(at, id);
CREATE INDEX audit_log_action ON audit_log(action, id);
CREATE INDEX audit_log_object ON audit_log(object_kind, object_id, id);
