-- The webhook inbox's life after processing (issue 17): bodies are not kept for ever.
-- A processed delivery older than the retention period (--inbox-retention-days /
-- LEVY_INBOX_RETENTION_DAYS, default 30; 0 = at the next pass) leaves `inbox` with its
-- body; its X-Rillet-Id stays in `inbox_seen` (migration 0008_limits), so a redelivery of a pruned
-- id is still a duplicate. Unprocessed rows are never touched.
local config = require "levy.config"
local log = require "levy.log"
local metrics = require "levy.metrics"
local store = require "levy.store"
local time = require "levy.time"

local M = {}

M.DEFAULT_DAYS = 30
M.BATCH = 500       -- rows per transaction
M.BATCHES = 4       -- transactions per pass (a pass per --schedule-tick, default a minute: 2000 rows)

function M.retention_days()
  local d = config.inbox_retention_days
  if math.type(d) ~= "integer" or d < 0 then return M.DEFAULT_DAYS end
  return d
end

-- Was this X-Rillet-Id ever accepted (in the inbox, or pruned from it)?
-- One statement (it runs for every delivery): both primary-key lookups.
function M.seen(delivery_id)
  return store.row([[SELECT EXISTS (SELECT 1 FROM inbox WHERE delivery_id = ?1)
    OR EXISTS (SELECT 1 FROM inbox_seen WHERE delivery_id = ?1) AS x]], delivery_id).x == 1
end

-- One pass (schedule rillet.inbox_prune_tick, every --schedule-tick): moves up to BATCH * BATCHES
-- processed rows older than the retention out of the inbox. Returns the number pruned.
function M.prune()
  local cutoff = time.iso(time.now_ms() - M.retention_days() * 86400000)
  local total = 0
  for _ = 1, M.BATCHES do
    local n = store.transaction(function()
      local ids = store.rows([[SELECT id FROM inbox WHERE processed_at IS NOT NULL AND processed_at < ?
        ORDER BY processed_at LIMIT ?]], cutoff, M.BATCH)
      if #ids == 0 then return 0 end
      local marks = {}
      for i, r in ipairs(ids) do marks[i] = r.id end
      local list = table.concat(marks, ",")
      store.exec("INSERT INTO inbox_seen(delivery_id, connection_id, received_at) " ..
        "SELECT delivery_id, connection_id, received_at FROM inbox WHERE id IN (" .. list .. ") " ..
        "ON CONFLICT DO NOTHING")
      store.exec("DELETE FROM inbox WHERE id IN (" .. list .. ")")
      return #ids
    end)
    total = total + n
    if n < M.BATCH then break end
  end
  if total > 0 then
    metrics.inc("levy_inbox_pruned_total", {}, total)
    log.info("webhook inbox: pruned processed deliveries", { deliveries = total,
      retention_days = M.retention_days(), processed_before = cutoff })
  end
  return total
end

return M
