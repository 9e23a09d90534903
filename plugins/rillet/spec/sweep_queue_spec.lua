-- The schedule tick's sweep and a user's queued "Sync now" share one keyed job
-- (kind rillet.sweep, key = the connection): the tick must not turn the user's request into a
-- scheduled one. Its payload {asked_ms} replacing {products = true} lost the products refresh
-- and let the sweep be skipped as "covered" when a running sweep completed after the tick.
local store = require "levy.store"
local conn = require "conn"
local sync = require "sync"

local function connection(id)
  store.exec([[INSERT INTO connections(id, status, environment, base_url, created_at, subsidiary_id,
    import_state, api_key_sealed) VALUES (?, 'connected', 'sandbox', 'https://rillet.test/',
    '2026-01-01T00:00:00Z', 'sub_1', 'done', 'sealed')]], id)
end

local function queued(id)
  local rows = store.rows([[SELECT payload FROM jobs WHERE kind = 'rillet.sweep' AND key = ?
    AND state = 'queued']], id)
  assert.equal(1, #rows)
  return require("levy.json").decode(rows[1].payload)
end

describe("the schedule tick and a queued Sync now", function()
  it("keeps the user's payload (products, no asked_ms) when the tick falls while it is queued", function()
    connection("con_sq1")
    conn.sync_now("con_sq1")
    sync.tick() -- the interval has passed (never swept): the tick asks for a sweep too
    local p = queued("con_sq1")
    assert.equal("con_sq1", p.connection_id)
    assert.equal(true, p.products)
    assert.is_nil(p.asked_ms)
  end)

  it("still asks with asked_ms when nothing is queued, and a later Sync now replaces it", function()
    connection("con_sq2")
    sync.tick()
    local p = queued("con_sq2")
    assert.equal("number", type(p.asked_ms))
    assert.is_nil(p.products)
    conn.sync_now("con_sq2")
    p = queued("con_sq2")
    assert.equal(true, p.products)
    assert.is_nil(p.asked_ms)
  end)
end)
