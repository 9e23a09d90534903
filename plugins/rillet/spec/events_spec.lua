-- The api plugin's events as this plugin receives them (handler.lua `events`): api names no
-- connector; it emits, and the rillet plugin re-checks its documents, looks up its
-- connections and fetches customers (levy.events, docs/plugins.md).
local events = require "levy.events"
local jobs = require "levy.jobs"
local json = require "levy.json"
local store = require "levy.store"
local docs = require "docs"

local CONN = { id = "conn_ev", line_amounts = "net" }

local function connection()
  store.exec([[INSERT INTO connections(id, status, environment, base_url, created_at)
    VALUES ('conn_ev', 'connected', 'sandbox', 'https://rillet.test', '2026-08-01T00:00:00Z')]])
end

local function invoice()
  connection()
  local doc = { id = "inv_ev", updated_at = "2026-08-01T11:00:00Z", status = "OPEN", currency = "USD",
    invoice_number = "INV-EV", invoice_date = "2026-08-01", customer_id = "cus_ev",
    total = { amount = "100.00", currency = "USD" },
    shipping_address = { country = "US", state = "CA", city = "San Francisco", postal_code = "94107" },
    items = { { id = "line_1", product_id = "prod_ev", quantity = 1,
                total_amount = { amount = "100.00", currency = "USD" } } } }
  assert.equal("created", docs.apply(CONN, "invoice", doc, "import"))
  store.exec("UPDATE invoices SET region = 'US-CA' WHERE id = 'inv_ev'")
end

describe("api's change events", function()
  it("answers a bulk re-check of the documents a change touches", function()
    assert.same({ { id = json.null, documents = 0, state = "done" } },
      events.emit("api.region_changed", { code = "US-CA" }))
    invoice()
    local runs = events.emit("api.region_changed", { code = "us-ca" })
    assert.equal(1, #runs)
    assert.equal(1, runs[1].documents)
    assert.equal("running", runs[1].state)
    assert.equal(1, jobs.count { kind = "rillet.bulk", key = runs[1].id, states = { "queued" } })
    assert.same({ { id = json.null, documents = 0, state = "done" } },
      events.emit("api.connection_region_changed", { connection_id = "conn ev", code = "US-CA" }))
    local own = events.emit("api.connection_region_changed", { connection_id = "conn_ev", code = "US-CA" })
    assert.equal(1, own[1].documents)
    assert.equal(1, events.emit("api.connection_settings_changed", { connection_id = "conn_ev" })[1].documents)
    assert.equal(1, events.emit("api.product_changed", { id = "prod_ev" })[1].documents)
    assert.equal(1, events.emit("api.customer_changed", { id = "cus_ev" })[1].documents)
  end)

  -- A Canadian document's answer (and so its stored region) is region CA; its province's tax
  -- (CA-QC's QST, CA-BC's PST…) is a group inside that answer. Toggling the province's region,
  -- or the QST regime (re-check of CA-QC), must re-check that province's documents: before,
  -- the re-check matched region = 'CA-QC', which no document has, and re-checked nothing.
  it("re-checks a province's documents when its region changes (their region is CA)", function()
    connection()
    local function canadian(id, state, city, postal)
      local doc = { id = id, updated_at = "2026-08-01T11:00:00Z", status = "OPEN", currency = "CAD",
        invoice_number = id, invoice_date = "2026-08-01", customer_id = "cus_" .. id,
        total = { amount = "100.00", currency = "CAD" },
        shipping_address = { country = "CA", state = state, city = city, postal_code = postal },
        items = { { id = "line_1", product_id = "prod_ev", quantity = 1,
                    total_amount = { amount = "100.00", currency = "CAD" } } } }
      assert.equal("created", docs.apply(CONN, "invoice", doc, "import"))
      store.exec("INSERT INTO rillet_calc_heads(calculation_id, has_result, readable, region, ship_country, " ..
        "ship_state) VALUES (?, 1, 1, 'CA', 'CA', ?)", "calc_" .. id, state)
      store.exec("UPDATE invoices SET region = 'CA', calculation_id = ? WHERE id = ?", "calc_" .. id, id)
    end
    canadian("inv_mtl", "QC", "Montreal", "H2Y 1C6")
    canadian("inv_van", "BC", "Vancouver", "V6B 1A1")
    local qc = events.emit("api.region_changed", { code = "CA-QC" })
    assert.equal(1, qc[1].documents)
    assert.equal(1, events.emit("api.region_changed", { code = "ca-bc" })[1].documents)
    assert.equal(2, events.emit("api.region_changed", { code = "CA" })[1].documents)
    assert.same({ { id = json.null, documents = 0, state = "done" } },
      events.emit("api.region_changed", { code = "CA-MB" }))
    local own = events.emit("api.connection_region_changed", { connection_id = "conn_ev", code = "CA-QC" })
    assert.equal(1, own[1].documents)
    -- a document with no calculation yet (its ship-to unknown here) is re-checked too
    store.exec("UPDATE invoices SET calculation_id = NULL WHERE id = 'inv_van'")
    assert.equal(2, events.emit("api.region_changed", { code = "CA-QC" })[1].documents)
  end)

  it("records the re-check in the emitter's transaction (rolled back with it)", function()
    invoice()
    local id
    assert.raises(function()
      store.transaction(function()
        id = events.emit("api.product_changed", { id = "prod_ev" })[1].id
        error("the caller's change failed")
      end)
    end, "the caller's change failed")
    assert(id ~= nil)
    assert.is_nil(store.row("SELECT id FROM bulk_runs WHERE id = ?", id))
    assert.equal(0, jobs.count { kind = "rillet.bulk", key = id, states = { "queued" } })
  end)

  it("queues the customers' remap when customer_data changed", function()
    assert.same({}, events.emit("api.customer_data_changed", {}))
    assert.equal(1, jobs.count { kind = "rillet.customers_remap", key = "remap", states = { "queued" } })
  end)

  it("says which connections are its own", function()
    assert.same({}, events.emit("api.connection_lookup", { id = "conn_ev" }))
    connection()
    assert.same({ true }, events.emit("api.connection_lookup", { id = "conn_ev" }))
    store.exec("UPDATE connections SET deleted_at = '2026-08-02T00:00:00Z' WHERE id = 'conn_ev'")
    assert.same({}, events.emit("api.connection_lookup", { id = "conn_ev" }))
  end)

  it("fetches a customer levy has not seen, or says why not", function()
    assert.same({ { found = false, status = 404, code = "not_found",
                    message = "unknown customer (no Rillet connection to ask)" } },
      events.emit("api.customer_missing", { id = "cus_new" }))
  end)

  it("refuses an event api does not declare", function()
    assert.raises(function() events.emit("api.regoin_changed", { code = "US-CA" }) end,
      "declares no event 'api.regoin_changed'")
  end)
end)
