-- The searchable lists (issue 20): ?q= is a case-insensitive substring of the name (or the id),
-- with LIKE's wildcards taken literally (issue 22: LIKE ... ESCAPE instead of SQLite's instr).
local store = require "levy.store"
local db = require "db"

local function names(rows)
  local out = {}
  for i, r in ipairs(rows) do out[i] = r.id end
  return out
end

describe("product search", function()
  it("matches a substring case-insensitively and takes % _ ! literally", function()
    for id, name in pairs({ p1 = "Blue_Widget", p2 = "BlueXWidget", p3 = "50% off", p4 = "5000 off",
                            p5 = "Hey!", p6 = "Hey" }) do
      store.exec("INSERT INTO products(id, name) VALUES (?, ?)", id, name)
    end
    assert.same({ "p1", "p2" }, names(db.product_page(nil, nil, { q = "bluE" })))
    assert.same({ "p1" }, names(db.product_page(nil, nil, { q = "e_w" })))
    assert.same({ "p3" }, names(db.product_page(nil, nil, { q = "0%" })))
    assert.same({ "p5" }, names(db.product_page(nil, nil, { q = "y!" })))
    assert.same({ "p4" }, names(db.product_page(nil, nil, { q = "p4" })))   -- the id
    assert.equal(2, math.tointeger(db.list_total("products", { q = "blue" })))
  end)
end)
