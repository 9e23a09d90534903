-- rillet.process_inbox classifies a document delivery (INVOICE / CREDIT_MEMO, CREATED /
-- UPDATED / PAYMENT_UPDATED) by three members of its body — id, subsidiary_id, items — read with
-- levy.json.peek (issue 21): one of another subsidiary is marked `other_subsidiary` without
-- decoding the document into Lua tables (~88 k instructions of the loop per ~2 KB invoice);
-- every other body is decoded and applied as before. The outcomes are docs.apply's on the
-- decoded body, including its reading of repeated keys (the last wins), escaped keys, null,
-- nested values and bodies that are not JSON.
local store = require "levy.store"
local util = require "util"
local sync = require "sync"

local function connection(id)
  store.exec([[INSERT INTO connections(id, status, environment, base_url, created_at, subsidiary_id,
    import_state, api_key_sealed) VALUES (?, 'connected', 'sandbox', 'https://rillet.test/',
    '2026-01-01T00:00:00Z', 'sub_1', 'done', 'sealed')]], id)
end

local n = 0
local function deliver(cid, body, entity, event)
  n = n + 1
  store.exec([[INSERT INTO inbox(delivery_id, connection_id, entity, event, received_at, body)
    VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z', ?)]], "d_cl" .. n, cid, entity or "INVOICE",
    event or "UPDATED", body)
  return store.row("SELECT id FROM inbox WHERE delivery_id = ?", "d_cl" .. n).id
end

local function outcome(id)
  return store.row("SELECT outcome FROM inbox WHERE id = ?", id).outcome
end

-- runs the job, counting the bodies decoded whole
local function run(cid)
  local orig, decoded = util.decode_obj, 0
  util.decode_obj = function(s) decoded = decoded + 1; return orig(s) end
  local ok, e = pcall(sync.process_inbox, { id = "job_cl", kind = "rillet.process_inbox", key = cid,
                                            attempts = 0, payload = { connection_id = cid } })
  util.decode_obj = orig
  if not ok then error(e, 0) end
  return decoded
end

describe("process_inbox's classification of a document delivery", function()
  it("marks another subsidiary's document without decoding its body", function()
    connection("con_cl1")
    local a = deliver("con_cl1", '{"id":"inv_cl1","subsidiary_id":"sub_2","items":[{"id":"l1"}],"memo":"x"}')
    local b = deliver("con_cl1", '{"id":"cm_cl1","subsidiary_id":"sub_9","items":[]}', "CREDIT_MEMO", "CREATED")
    assert.equal(0, run("con_cl1"))
    assert.equal("other_subsidiary", outcome(a))
    assert.equal("other_subsidiary", outcome(b))
    assert.is_nil(store.row("SELECT id FROM invoices WHERE id = 'inv_cl1'"))
  end)

  it("reads the members as decode does: the last of a repeated key, escaped keys, nested values", function()
    connection("con_cl2")
    local last = deliver("con_cl2", '{"id":"inv_cl2a","subsidiary_id":"sub_1","items":[],"subsidiary_id":"sub_2"}')
    local esc = deliver("con_cl2", '{"id":"inv_cl2b","subsidiary\\u005fid":"sub_2","items":[]}')
    local nested = deliver("con_cl2", '{"id":"inv_cl2c","subsidiary_id":{"id":"sub_1"},"items":[]}')
    local num = deliver("con_cl2", '{"id":"inv_cl2d","subsidiary_id":12345678901234567890123,"items":[]}')
    assert.equal(0, run("con_cl2"))
    assert.equal("other_subsidiary", outcome(last))
    assert.equal("other_subsidiary", outcome(esc))
    assert.equal("other_subsidiary", outcome(nested))
    assert.equal("other_subsidiary", outcome(num))
  end)

  it("decodes and applies everything else as before", function()
    connection("con_cl3")
    local mine = deliver("con_cl3", '{"id":"inv_cl3a","subsidiary_id":"sub_1","items":[],"status":"OPEN"}')
    local null = deliver("con_cl3", '{"id":"inv_cl3b","subsidiary_id":null,"items":[]}')
    local first = deliver("con_cl3", '{"id":"inv_cl3c","subsidiary_id":"sub_2","items":[],"subsidiary_id":"sub_1"}')
    local noid = deliver("con_cl3", '{"id":5,"subsidiary_id":"sub_2","items":[]}')
    local truncated = deliver("con_cl3", '{"id":"inv_cl3d","subsidiary_id":"sub_2","items":[')
    local bad_utf8 = deliver("con_cl3", '{"id":"inv_cl3e","subsidiary_id":"sub_2","items":[],"memo":"\xff"}')
    local array = deliver("con_cl3", '[{"id":"inv_cl3f","subsidiary_id":"sub_2","items":[]}]')
    run("con_cl3")
    assert.equal("created", outcome(mine))
    assert.equal("created", outcome(null))
    assert.equal("created", outcome(first))
    assert.equal("invalid", outcome(noid))
    assert.equal("invalid_body", outcome(truncated))
    assert.equal("invalid_body", outcome(bad_utf8))
    assert.equal("invalid_body", outcome(array))
    assert.equal("sub_1", store.row("SELECT subsidiary_id FROM invoices WHERE id = 'inv_cl3a'").subsidiary_id)
    assert.truthy(store.row("SELECT id FROM invoices WHERE id = 'inv_cl3b'"))
    assert.is_nil(store.row("SELECT id FROM invoices WHERE id = 'inv_cl3d'"))
  end)
end)
