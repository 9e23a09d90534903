-- client.lua against stubbed Rillet answers (stub.http: no network) and the temporary store
-- (the rate bucket lives in rillet_rate; each case starts from an empty store).
local json = require "levy.json"
local store = require "levy.store"
local client = require "client"

local BASE = "https://rillet.test"

local function new(bucket)
  return client.new({ base_url = BASE .. "/", api_key = "rk_test_secret", bucket = bucket })
end

describe("request", function()
  it("sends the key, the API version and an Idempotency-Key; decodes the JSON answer", function()
    stub.http("POST", BASE .. "/invoices/inv_1/taxes", { status = 200, body = { id = "inv_1" } })
    local data, status = new():post("/invoices/inv_1/taxes", { items = json.empty_array },
                                    { idempotency_key = "levy-abc" })
    assert.same({ id = "inv_1" }, data)
    assert.equal(200, status)
    local sent = stub.requests()
    assert.equal(1, #sent)
    assert.equal("Bearer rk_test_secret", sent[1].headers["Authorization"])
    assert.equal(client.API_VERSION, sent[1].headers["X-Rillet-API-Version"])
    assert.equal("levy-abc", sent[1].headers["Idempotency-Key"])
    assert.equal('{"items":[]}', sent[1].body)
  end)

  it("builds the query string sorted and encoded", function()
    stub.http("GET", BASE .. "/invoices?cursor=a%2Bb&limit=100", { status = 200, body = { invoices = {} } })
    local items, next_cursor = new():page("/invoices", "invoices", { limit = "100", cursor = "a+b" })
    assert.same({}, items)
    assert.is_nil(next_cursor)
  end)

  it("reads problem+json into a retryable error for a 5xx", function()
    stub.http("GET", BASE .. "/customers/c1", { status = 503,
      headers = { ["Content-Type"] = "application/problem+json" },
      body = { title = "Service Unavailable", detail = "try later" } })
    local data, err = new():get("/customers/c1")
    assert.is_nil(data)
    assert.equal("http", err.kind)
    assert.equal(503, err.status)
    assert.equal(true, err.retryable)
    assert.equal("Rillet answered 503 Service Unavailable: try later", err.message)
  end)

  it("reports an unreachable Rillet as a transport error", function()
    stub.http("GET", "^" .. BASE .. "/", { error = "timeout", message = "timed out after 30000 ms" })
    local data, err = new():get("/customers/c1")
    assert.is_nil(data)
    assert.equal("transport", err.kind)
    assert.equal("timeout", err.code)
  end)

  it("never puts the API key into an error", function()
    stub.http("GET", BASE .. "/customers/c1", { status = 401, body = { title = "Unauthorized" } })
    local _, err = new():get("/customers/c1")
    assert.equal(false, err.retryable)
    assert.falsy(err.message:find("rk_test_secret", 1, true))
  end)
end)

describe("rate limit", function()
  it("blocks the bucket after a 429 for its Retry-After, without sending again", function()
    stub.http("GET", BASE .. "/customers/c1", { status = 429, headers = { ["Retry-After"] = "7" } })
    local c = new("bucket-1")
    local _, err = c:get("/customers/c1")
    assert.equal(429, err.status)
    assert.equal(7000, err.retry_after_ms)
    local _, err2 = c:get("/customers/c1")
    assert.equal("rate", err2.kind)
    assert.truthy(err2.retry_after_ms > 0 and err2.retry_after_ms <= 7000)
    assert.equal(1, #stub.requests())
  end)

  it("starts each case from an empty store", function()
    local n
    for row in store.query("SELECT count(*) AS n FROM rillet_rate") do n = row.n end
    assert.equal(0, n)
  end)
end)

describe("circuit breaker", function()
  local TAXES = BASE .. "/invoices/inv_1/taxes"
  local BOOKS = BASE .. "/books/periods/last-closed"

  -- the block of a circuit (the bucket's row, or its writes' row) has passed
  local function unblock(bucket)
    store.exec("UPDATE rillet_rate SET blocked_until_ms = 0 WHERE bucket = ?", bucket)
  end

  -- a write Rillet answers with status (sent only when the circuits let it out)
  local function post(c, status)
    stub.http("POST", TAXES, { status = status, body = { title = "Down" } })
    return c:post("/invoices/inv_1/taxes", {})
  end

  it("a POST-only outage: reads that succeed let no burst of writes out, and count no write as the " ..
     "document's own", function()
    stub.http("GET", BOOKS, { always = true, status = 200, body = { ["end"] = "2026-01-31", status = "CLOSED" } })
    local c = new("b1")
    local w = "b1" .. client.WRITE_CIRCUIT
    local _, e1 = post(c, 503)
    assert.equal(503, e1.status)
    assert.is_nil(e1.others_failing) -- the write before it was not refused: counted
    assert.truthy(c:get("/books/periods/last-closed")) -- a read succeeds (closes the bucket's circuit)
    local _, e2 = post(c, 503)
    assert.equal(503, e2.status)
    assert.equal(true, e2.others_failing) -- the key's write before it failed too: not counted
    assert.truthy(c:get("/books/periods/last-closed"))
    local _, e3 = post(c, 503)
    assert.equal("rate", e3.kind) -- the 3rd failed write in a row opens the writes' circuit
    assert.equal(true, e3.circuit)
    local sent = #stub.requests()
    assert.truthy(c:get("/books/periods/last-closed")) -- reads still pass ...
    local _, e4 = c:post("/invoices/inv_1/taxes", {})
    assert.equal("rate", e4.kind) -- ... and do not close the writes' circuit: held, not sent
    assert.matches("writes held", e4.message)
    assert.equal(sent + 1, #stub.requests())
    unblock(w)
    local _, e5 = post(c, 503) -- the probe, refused: the circuit stays open
    assert.equal("rate", e5.kind)
    assert.equal(sent + 2, #stub.requests())
    assert.truthy(c:get("/books/periods/last-closed"))
    local _, e6 = c:post("/invoices/inv_1/taxes", {})
    assert.equal("rate", e6.kind)
    assert.equal(sent + 3, #stub.requests())
    -- the outage ends: the probe is written, which closes the writes' circuit
    unblock(w)
    assert.truthy(post(c, 200))
    local _, e7 = post(c, 500)
    assert.equal(500, e7.status)
    assert.is_nil(e7.others_failing) -- a write was answered just before: this failure is its own
  end)

  it("a transport error right after another is marked others_failing", function()
    stub.http("GET", "^" .. BASE .. "/", { always = true, error = "timeout", message = "timed out" })
    local c = new("b2")
    local _, e1 = c:get("/customers/c1")
    assert.equal("transport", e1.kind)
    assert.is_nil(e1.others_failing)
    local _, e2 = c:get("/customers/c1")
    assert.equal("transport", e2.kind)
    assert.equal(true, e2.others_failing)
  end)
end)
