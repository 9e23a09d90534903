-- The simulator's exact decimals (dec.lua): Rillet's amounts are computed with these, so a
-- rounding slip here would show up as a levy bug in every end-to-end test.
local dec = require "dec"

describe("parse", function()
  it("reads integers and decimals as (integer, scale)", function()
    assert.same({ 12345, 2 }, { dec.parse("123.45") })
    assert.same({ -7, 0 }, { dec.parse("-7") })
    assert.same({ 5, 3 }, { dec.parse("0.005") })
  end)

  it("refuses what is not a plain decimal", function()
    for _, s in ipairs({ "", "1.", ".5", "1e3", "+1", "1,5", " 1", "123456789012345678" }) do
      assert.is_nil(dec.parse(s), s)
    end
    assert.is_nil(dec.parse(12))
  end)
end)

describe("rounding", function()
  it("rounds half away from zero", function()
    assert.equal(3, dec.rescale(25, 1, 0))
    assert.equal(-3, dec.rescale(-25, 1, 0))
    assert.equal(2, dec.rescale(24, 1, 0))
    assert.equal(1500, dec.rescale(15, 1, 3))
  end)

  it("multiplies once and rounds once", function()
    assert.equal(1044, dec.mul("3.48", "3", 2))         -- 10.44
    assert.equal(73, dec.mul_pct("10.00", "7.25", 2))   -- 0.725 -> 0.73
    assert.equal(-73, dec.mul_pct("-10.00", "7.25", 2))
    assert.is_nil(dec.mul("x", "1", 2))
  end)

  it("checks bounds on the decimal's own scale", function()
    assert.equal(true, dec.between("100", 0, 100))
    assert.equal(false, dec.between("100.01", 0, 100))
    assert.equal(false, dec.between("abc", 0, 100))
  end)
end)
