-- Sweep watermarks (issue 16, case 1; customers too since issue 17). The `updated.gt` a sweep
-- sends is the start time of the last complete pull of that entity (import or sweep) minus an overlap
-- (settings.sweep_overlap_seconds, default 300 s), kept per connection and entity and stored
-- only when that pull completed. It never comes from the documents levy holds: their
-- updated_at also moves with webhooks and with levy's own write-back responses, so a
-- delivery lost before a later one was applied fell below it for ever.
--
-- The overlap covers clock skew between levy and Rillet, an updated_at of coarse precision,
-- and a change committed in Rillet while the pull was listing; documents seen twice change
-- nothing (docs.apply compares fingerprints and updated_at).
local store = require "levy.store"
local time = require "levy.time"

local M = {}

M.DEFAULT_OVERLAP_S = 300

-- cid (optional): the connection, whose own settings may set another overlap.
function M.overlap_ms(cid)
  local api = require("docs").api()
  if api and api.settings then
    local ok, st = pcall(api.settings, cid)
    if ok and type(st) == "table" and math.type(st.sweep_overlap_seconds) == "integer"
      and st.sweep_overlap_seconds >= 0 then
      return st.sweep_overlap_seconds * 1000
    end
  end
  return M.DEFAULT_OVERLAP_S * 1000
end

-- The `updated.gt` for the next sweep of an entity (ISO string, ms precision), or nil for a
-- full listing. Connections whose import completed before watermarks existed fall back to
-- the import's start time minus the overlap.
function M.get(crow, entity)
  local r = store.row("SELECT watermark_ms FROM sync_watermarks WHERE connection_id = ? AND entity = ?",
    crow.id, entity)
  if r then return time.iso_ms(r.watermark_ms) end
  local started = type(crow.import_started_at) == "string" and time.parse_iso(crow.import_started_at)
  if started then return time.iso_ms(started - M.overlap_ms(crow.id)) end
  return nil
end

-- A pull of `entity` that started at `started_ms` (levy's clock) has completed: every
-- document changed before that instant has been listed. Call in the transaction that
-- commits the pull's last page (or right after it).
function M.complete(cid, entity, started_ms, source)
  if math.type(started_ms) ~= "integer" then return end
  local wm = started_ms - M.overlap_ms(cid)
  store.exec([[INSERT INTO sync_watermarks(connection_id, entity, watermark_ms, pull_started_ms, source, completed_at)
    VALUES (?,?,?,?,?,?) ON CONFLICT(connection_id, entity) DO UPDATE SET watermark_ms = excluded.watermark_ms,
    pull_started_ms = excluded.pull_started_ms, source = excluded.source, completed_at = excluded.completed_at]],
    cid, entity, wm, started_ms, source, time.iso_ms(time.now_ms()))
end

function M.list(cid)
  return store.rows("SELECT * FROM sync_watermarks WHERE connection_id = ? ORDER BY entity", cid)
end

return M
