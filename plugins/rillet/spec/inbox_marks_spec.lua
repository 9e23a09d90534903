-- rillet.process_inbox marks a batch's deliveries processed with one UPDATE per outcome at the
-- batch's end, inside the batch's commit (issue 21): a mark per delivery was ~33 k instructions
-- of the loop each (SQLite rewriting the ~2 KB row and its two index entries), one statement
-- for the batch ~20 k per row. The marks and outcomes are the ones the per-delivery statements
-- wrote; a batch that raises leaves none of them.
local store = require "levy.store"

local sync = require "sync"

-- counts sync.mark_done's calls (each one UPDATE per distinct outcome it is given) and the
-- outcomes they carry; fail_batch_mark makes the next call of several marks raise
local marks, fail_batch_mark = 0, false
local mark_done = sync.mark_done
sync.mark_done = function(list)
  local seen, n = {}, 0
  for _, m in ipairs(list) do
    if not seen[m[2]] then seen[m[2]] = true; n = n + 1 end
  end
  marks = marks + n
  if fail_batch_mark and #list > 1 then
    fail_batch_mark = false
    error("disk full (test)", 0)
  end
  return mark_done(list)
end

local function connection(id)
  store.exec([[INSERT INTO connections(id, status, environment, base_url, created_at, subsidiary_id,
    import_state, api_key_sealed) VALUES (?, 'connected', 'sandbox', 'https://rillet.test/',
    '2026-01-01T00:00:00Z', 'sub_1', 'done', 'sealed')]], id)
end

local n = 0
local function deliver(cid, body, entity, event)
  n = n + 1
  store.exec([[INSERT INTO inbox(delivery_id, connection_id, entity, event, received_at, body)
    VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z', ?)]], "d_mk" .. n, cid, entity or "INVOICE",
    event or "UPDATED", body)
  return store.row("SELECT id FROM inbox WHERE delivery_id = ?", "d_mk" .. n).id
end

local function row(id)
  return store.row("SELECT processed_at, outcome FROM inbox WHERE id = ?", id)
end

-- runs the job, counting the statements that mark inbox rows processed
local function run(cid)
  marks = 0
  sync.process_inbox { id = "job_mk", kind = "rillet.process_inbox", key = cid, attempts = 0,
                       payload = { connection_id = cid } }
  return marks
end

describe("process_inbox's done marks", function()
  it("marks a batch with one statement per outcome, each delivery with its own outcome", function()
    connection("con_mk1")
    local ids, mine = {}, {}
    for i = 1, 12 do
      ids[i] = deliver("con_mk1", '{"id":"inv_mk' .. i .. '","subsidiary_id":"sub_2","items":[]}')
    end
    mine[1] = deliver("con_mk1", '{"id":"inv_mk_own1","subsidiary_id":"sub_1","items":[],"status":"OPEN"}')
    local bad = deliver("con_mk1", '{"id":"inv_mk_bad","subsidiary_id":"sub_2","items":[')
    mine[2] = deliver("con_mk1", '{"id":"inv_mk_own2","subsidiary_id":"sub_1","items":[],"status":"OPEN"}')
    local ignored = deliver("con_mk1", '{"id":"x"}', "INVOICE", "VOIDED_SOMEHOW")
    assert.equal(4, run("con_mk1")) -- other_subsidiary, created, invalid_body, ignored
    for _, id in ipairs(ids) do
      local r = row(id)
      assert.equal("other_subsidiary", r.outcome)
      assert.truthy(r.processed_at:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d"))
    end
    for _, id in ipairs(mine) do assert.equal("created", row(id).outcome) end
    assert.equal("invalid_body", row(bad).outcome)
    assert.equal("ignored", row(ignored).outcome)
    assert.truthy(store.row("SELECT id FROM invoices WHERE id = 'inv_mk_own2'"))
    assert.is_nil(store.row("SELECT 1 AS x FROM inbox WHERE connection_id = 'con_mk1' AND processed_at IS NULL"))
  end)

  it("writes the marks in the batch's commit: a raise rolls back the batch's effects with them", function()
    connection("con_mk2")
    local a = deliver("con_mk2", '{"id":"inv_mk2a","subsidiary_id":"sub_2","items":[]}')
    local own = deliver("con_mk2", '{"id":"inv_mk2b","subsidiary_id":"sub_1","items":[],"status":"OPEN"}')
    -- the batch's marks raise once: the batch rolls back and is redone one delivery at a time;
    -- the document the batch created is created again (had it stayed, the redo would find it)
    fail_batch_mark = true
    local ok, e = pcall(run, "con_mk2")
    assert.equal(true, ok, tostring(e))
    assert.equal(false, fail_batch_mark) -- the batch's marks were reached
    assert.equal("other_subsidiary", row(a).outcome)
    assert.equal("created", row(own).outcome)
    assert.equal(1, store.row("SELECT count(*) AS n FROM invoices WHERE id = 'inv_mk2b'").n)
  end)

  it("marks more rows than one statement holds, and the last mark of a row wins", function()
    connection("con_mk3")
    local list, ids = {}, {}
    for i = 1, 120 do
      ids[i] = deliver("con_mk3", "{}")
      list[#list + 1] = { ids[i], "first" }
    end
    list[#list + 1] = { ids[7], "second" }
    list[#list + 1] = { ids[9], nil } -- stored NULL, as the per-delivery UPDATE did
    mark_done(list)
    assert.equal(118, store.row([[SELECT count(*) AS n FROM inbox WHERE connection_id = 'con_mk3'
      AND outcome = 'first' AND processed_at IS NOT NULL]]).n)
    assert.equal("second", row(ids[7]).outcome)
    assert.is_nil(row(ids[9]).outcome)
    assert.truthy(row(ids[9]).processed_at)
  end)
end)
