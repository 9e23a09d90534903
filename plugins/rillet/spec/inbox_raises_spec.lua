-- rillet.process_inbox gives a delivery up (outcome "error: ...") after the 5th time ITS
-- processing raised, counted on its inbox row (inbox.raises, migration 0018). It used to count
-- job.attempts, which also grows with every Rillet failure job_error retries: after a long
-- outage (attempts >= 5) a delivery that raised once was given up at that first raise.
local store = require "levy.store"
local docs = require "docs"
local sync = require "sync"

local function connection(id)
  store.exec([[INSERT INTO connections(id, status, environment, base_url, created_at, subsidiary_id,
    import_state, api_key_sealed) VALUES (?, 'connected', 'sandbox', 'https://rillet.test/',
    '2026-01-01T00:00:00Z', 'sub_1', 'done', 'sealed')]], id)
end

local function deliver(cid, delivery, doc_id)
  store.exec([[INSERT INTO inbox(delivery_id, connection_id, entity, event, received_at, body)
    VALUES (?, ?, 'INVOICE', 'DELETED', '2026-01-01T00:00:00Z', ?)]], delivery, cid,
    '{"id":"' .. doc_id .. '"}')
  return store.row("SELECT id FROM inbox WHERE delivery_id = ?", delivery).id
end

local function row(id)
  return store.row("SELECT processed_at, outcome, raises FROM inbox WHERE id = ?", id)
end

-- docs.mark_deleted raises for the documents in `bad` (how many more times each), else
-- answers "deleted"
local function with_failing(bad, f)
  local orig = docs.mark_deleted
  docs.mark_deleted = function(_, id)
    if (bad[id] or 0) > 0 then
      bad[id] = bad[id] - 1
      error("boom on " .. id, 0)
    end
    return "deleted"
  end
  local ok, e = pcall(f)
  docs.mark_deleted = orig
  if not ok then error(e, 0) end
end

-- a job after a long Rillet outage: its attempts are far past 5
local function run(cid)
  return pcall(sync.process_inbox, { id = "job_x", kind = "rillet.process_inbox", key = cid,
                                     attempts = 40, payload = { connection_id = cid } })
end

describe("process_inbox's give-up", function()
  it("retries a delivery that raises once, even when the job's attempts are past 5 (an outage)", function()
    connection("con_ir1")
    local id = deliver("con_ir1", "d_ir1", "inv_ir1")
    -- twice in one run: in the batch (rolled back, not counted), then alone (counted)
    with_failing({ inv_ir1 = 2 }, function()
      local ok = run("con_ir1")
      assert.falsy(ok) -- the job raises: retried by the runner's back-off
      local r = row(id)
      assert.is_nil(r.processed_at)
      assert.is_nil(r.outcome)
      assert.equal(1, tonumber(r.raises))
      assert.truthy((run("con_ir1")))
      r = row(id)
      assert.equal("deleted", r.outcome)
      assert.truthy(r.processed_at)
    end)
  end)

  it("gives a delivery up at its 5th raise, with the reason, and goes on with the next", function()
    connection("con_ir2")
    local id = deliver("con_ir2", "d_ir2a", "inv_ir2a")
    local next_id = deliver("con_ir2", "d_ir2b", "inv_ir2b")
    with_failing({ inv_ir2a = 100 }, function()
      for i = 1, 4 do
        assert.falsy((run("con_ir2")))
        local r = row(id)
        assert.is_nil(r.outcome)
        assert.equal(i, tonumber(r.raises))
      end
      assert.truthy((run("con_ir2")))
      local r = row(id)
      assert.equal("error: boom on inv_ir2a", r.outcome)
      assert.truthy(r.processed_at)
      assert.equal(5, tonumber(r.raises))
      assert.equal("deleted", row(next_id).outcome)
    end)
  end)
end)
