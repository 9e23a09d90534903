-- Statements rewritten into the SQL subset SQLite and PostgreSQL both take (issue 22): the
-- same behaviour on SQLite. ctest pg_prepare also PREPAREs every statement these cases send on
-- the PostgreSQL schema (tests/pg/pg_prepare.py captures them while the specs run).
local store = require "levy.store"
local client = require "client"
local health = require "health"
local inbox = require "inbox"
local report_rows = require "report_rows"
local docs = require "docs"

local function connection(id)
  store.exec([[INSERT INTO connections(id, status, environment, base_url, created_at, subsidiary_id)
    VALUES (?, 'connected', 'sandbox', 'https://rillet.test/', '2026-01-01T00:00:00Z', 'sub_1')]], id)
  return store.row("SELECT * FROM connections WHERE id = ?", id)
end

describe("rate limit block (ON CONFLICT ... DO UPDATE, CASE for max)", function()
  it("keeps the later of two blocks", function()
    client.block("b1", 60000)
    local first = store.row("SELECT blocked_until_ms FROM rillet_rate WHERE bucket = 'b1'").blocked_until_ms
    client.block("b1", 1000)
    assert.equal(first, store.row("SELECT blocked_until_ms FROM rillet_rate WHERE bucket = 'b1'").blocked_until_ms)
    client.block("b1", 120000)
    assert.truthy(store.row("SELECT blocked_until_ms FROM rillet_rate WHERE bucket = 'b1'").blocked_until_ms > first)
  end)
end)

describe("connection health", function()
  it("counts a key refused again for the same reason (IS NOT DISTINCT FROM)", function()
    connection("conn_k")
    health.key_refused("conn_k", "invalid", "401")
    health.key_refused("conn_k", "invalid", "401")
    assert.equal(2, store.row("SELECT key_problem_count FROM connections WHERE id = 'conn_k'").key_problem_count)
    health.key_refused("conn_k", "read_only", "403")
    assert.equal(1, store.row("SELECT key_problem_count FROM connections WHERE id = 'conn_k'").key_problem_count)
  end)
  it("keeps the later rate-limit end (CASE for max)", function()
    connection("conn_r")
    health.rate_limited("conn_r", 60000)
    local first = store.row("SELECT rate_limited_until_ms FROM connections WHERE id = 'conn_r'").rate_limited_until_ms
    health.rate_limited("conn_r", 1000)
    local r = store.row("SELECT rate_limited_until_ms, rate_limited_count FROM connections WHERE id = 'conn_r'")
    assert.equal(first, r.rate_limited_until_ms)
    assert.equal(2, r.rate_limited_count)
  end)
end)

describe("inbox prune (INSERT ... SELECT ... ON CONFLICT DO NOTHING)", function()
  it("moves old processed deliveries to inbox_seen, once, even when one is there already", function()
    for i = 1, 3 do
      store.exec([[INSERT INTO inbox(delivery_id, connection_id, entity, event, received_at, body,
        processed_at, outcome) VALUES (?, 'c', 'INVOICE', 'CREATED', '2020-01-01T00:00:00Z', '{}',
        '2020-01-01T00:00:01Z', 'ok')]], "d" .. i)
    end
    store.exec("INSERT INTO inbox_seen(delivery_id, connection_id, received_at) VALUES ('d2', 'c', 'x')")
    assert.equal(3, inbox.prune())
    assert.equal(0, store.row("SELECT count(*) AS n FROM inbox").n)
    assert.equal(3, store.row("SELECT count(*) AS n FROM inbox_seen").n)
    assert.equal(1, store.row("SELECT count(*) AS n FROM inbox_seen WHERE delivery_id = 'd3'").n)
    assert.truthy(inbox.seen("d1") and inbox.seen("d3"))
  end)
end)

describe("report_rows.calculations (IN lists, not json_each)", function()
  it("answers every id of a list longer than one IN chunk, skipping unknown ones", function()
    local ids = {}
    store.transaction(function()
      for i = 1, 1001 do
        ids[i] = string.format("calc_%05d", i)
        store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, created_at,
          created_ms) VALUES (?, 'invoice', ?, 'fp', '{}', ?, '2026-01-01T00:00:00Z', 0)]],
          ids[i], "inv" .. i, '{"n":' .. i .. '}')
      end
    end)
    ids[#ids + 1] = "calc_missing"
    local got = report_rows.calculations(ids, true)
    local n = 0
    for id, row in pairs(got) do
      n = n + 1
      assert.equal(id, row.id)
      assert.equal("{}", row.request)
    end
    assert.equal(1001, n)
    assert.equal('{"n":1001}', got.calc_01001.result)
    assert.same({}, report_rows.calculations({}))
  end)
end)

describe("a document's net amount (rillet migration 0013)", function()
  it("is kept in its own column by every copy", function()
    local crow = connection("conn_n")
    crow.line_amounts = "net"
    local doc = { id = "inv_n1", subsidiary_id = "sub_1", invoice_number = "N-1", customer_id = "cus_1",
                  status = "OPEN", issue_date = "2026-02-01", updated_at = "2026-02-01T00:00:00Z",
                  currency = "USD", net_amount = { amount = "120.50", currency = "USD" },
                  total = { amount = "120.50", currency = "USD" }, items = {} }
    docs.apply(crow, "invoice", doc, "test")
    assert.equal("120.50", store.row("SELECT net_amount FROM invoices WHERE id = 'inv_n1'").net_amount)
    doc.net_amount = { amount = "99.00", currency = "USD" }
    doc.updated_at = "2026-02-02T00:00:00Z"
    docs.apply(crow, "invoice", doc, "test")
    assert.equal("99.00", store.row("SELECT net_amount FROM invoices WHERE id = 'inv_n1'").net_amount)
  end)
end)
