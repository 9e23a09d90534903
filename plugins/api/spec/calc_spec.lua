-- calc.lua (issue 21): the options of a calculation come from the store through a cache per
-- store version; build_opts hands out the cached regions map itself (no copy per request), so
-- extra options that name regions must be merged into a copy, never into the cache.
local calc = require "calc"
local store = require "levy.store"

local REQ = { currency = "USD", date = "2026-03-01",
  ship_to = { line1 = "1 Main", city = "Austin", state = "TX", zip_code = "78701", country = "US" },
  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } } }

local function reason(result) return result.lines[1].taxability_reason end

describe("calculation options", function()
  it("merges extra regions into a copy: the next calculation sees the stored regions", function()
    store.exec("INSERT INTO regions(code, subscribed, tax_calculation, updated_at) VALUES ('US-TX', 1, 1, 'x')")
    local first = assert(calc.run(REQ))
    assert.truthy(reason(first) ~= "not_collecting")
    assert.equal(true, calc.build_opts(REQ).regions["US-TX"].subscribed)
    local off = assert(calc.run(REQ, { regions = { ["US-TX"] = { subscribed = false, tax_calculation = false } } }))
    assert.equal("not_collecting", reason(off))
    assert.equal(true, calc.build_opts(REQ).regions["US-TX"].subscribed)
    local again = assert(calc.run(REQ))
    assert.equal(reason(first), reason(again))
    assert.equal(first.total_tax, again.total_tax)
  end)
  it("builds the same options from the settings (calc22: the keys set in one constructor)", function()
    store.exec("INSERT INTO regions(code, subscribed, tax_calculation, updated_at) VALUES ('US-TX', 1, 1, 'x')")
    local function keys(o)
      local out = {}
      for k, v in pairs(o) do out[k] = type(v) == "table" and "table" or v end
      return out
    end
    local gen = require("levy.config").generation
    local want = { products = "table", customers = "table", regions = "table", rounding = "line",
                   customer_type = "business", generation = gen }
    assert.same(want, keys(calc.build_opts(REQ)))
    for k, v in pairs({ rounding = '"document"', default_customer_type = '"individual"',
                        seller_address = '{"country":"US","state":"TX","zip_code":"78701"}',
                        ca_gst_regime = '"simplified"', qc_qst_regime = '"specified"',
                        eu_below_threshold = '"yes"', pickup_offered = '"yes"',
                        us_al_ssut = '"yes"', us_tx_single_local = '"yes"' }) do
      store.exec("INSERT INTO settings(key, value) VALUES (?, ?)", k, v)
    end
    local o = calc.build_opts(REQ)
    assert.same({ products = "table", customers = "table", regions = "table", rounding = "document",
                  customer_type = "individual", generation = gen, seller = "table",
                  ca_gst_regime = "simplified", qc_qst_regime = "specified",
                  eu_below_threshold = "yes", pickup_offered = "yes",
                  us_al_ssut = "yes", us_tx_single_local = "yes" }, keys(o))
    assert.equal("78701", o.seller.zip_code)
    assert.equal(true, o.regions["US-TX"].subscribed)
  end)
  it("reads a changed region on the next calculation (the cache follows the store)", function()
    store.exec("INSERT INTO regions(code, subscribed, tax_calculation, updated_at) VALUES ('US-TX', 0, 1, 'x')")
    assert.equal("not_collecting", reason(assert(calc.run(REQ))))
    store.exec("UPDATE regions SET subscribed = 1 WHERE code = 'US-TX'")
    assert.truthy(reason(assert(calc.run(REQ))) ~= "not_collecting")
  end)
  it("forgets what it read inside a transaction that rolled back", function()
    store.exec("INSERT INTO regions(code, subscribed, tax_calculation, updated_at) VALUES ('US-TX', 0, 1, 'x')")
    assert.equal("not_collecting", reason(assert(calc.run(REQ))))
    local ok = pcall(store.transaction, function()
      store.exec("UPDATE regions SET subscribed = 1 WHERE code = 'US-TX'")
      assert.truthy(reason(assert(calc.run(REQ))) ~= "not_collecting")
      error("undo")
    end)
    assert.equal(false, ok)
    assert.equal("not_collecting", reason(assert(calc.run(REQ))))
    assert.equal("not_collecting", reason(assert(calc.run(REQ))))
  end)
end)

describe("marketplace sales (doubts26)", function()
  it("a line sold through a marketplace in Texas is not collected by the seller, the other is", function()
    store.exec("INSERT INTO regions(code, subscribed, tax_calculation, updated_at) VALUES ('US-TX', 1, 1, 'x')")
    local req = { currency = "USD", date = "2026-03-01",
      ship_to = { line1 = "1 Main", city = "Austin", state = "TX", zip_code = "78701", country = "US" },
      lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general", marketplace = true },
                { id = "2", amount = "100.00", quantity = "1", tax_code = "general" } } }
    local r = assert(calc.run(req))
    assert.equal("not_collecting", r.lines[1].taxability_reason)
    assert.equal("0.00", r.lines[1].tax)
    assert.equal("standard_rated", r.lines[2].taxability_reason)
    assert.equal("8.25", r.total_tax)
    assert.equal("marketplace_facilitator", r.notes[1].code)
    local whole = assert(calc.run({ currency = "USD", date = "2026-03-01", marketplace = true,
      ship_to = req.ship_to, lines = { req.lines[2] } }))
    assert.equal("not_collecting", whole.lines[1].taxability_reason)
  end)
end)

