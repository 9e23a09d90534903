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
