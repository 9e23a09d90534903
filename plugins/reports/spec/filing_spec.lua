-- filing.lua: filing periods and how one calculation result splits into a return's figures.
local filing = require "filing"

describe("period", function()
  it("names the month, quarter or year holding a date, with its first and last day", function()
    assert.same({ "2026-02", "2026-02-01", "2026-02-28" }, { filing.period("2026-02-14", "month") })
    assert.same({ "2024-02", "2024-02-01", "2024-02-29" }, { filing.period("2024-02-29", "month") })
    assert.same({ "2026-12", "2026-12-01", "2026-12-31" }, { filing.period("2026-12-31", "month") })
    assert.same({ "2026-Q1", "2026-01-01", "2026-03-31" }, { filing.period("2026-03-31", "quarter") })
    assert.same({ "2026-Q2", "2026-04-01", "2026-06-30" }, { filing.period("2026-04-01", "quarter") })
    assert.same({ "2026-Q4", "2026-10-01", "2026-12-31" }, { filing.period("2026-11-30", "quarter") })
    assert.same({ "2026", "2026-01-01", "2026-12-31" }, { filing.period("2026-07-04", "year") })
  end)
  it("refuses an unknown frequency", function()
    assert.raises(function() filing.period("2026-01-01", "weekly") end, "unknown filing frequency")
  end)
end)

describe("figures", function()
  local result = { lines = {
    { amount = "100.00", discount = "10.00", taxability_reason = "standard_rated", taxable_amount = "90.00",
      taxes = { { amount = "6.53", jurisdiction = "California", level = "state", type = "sales", percentage = "7.25",
                  taxable_amount = "90.00", authority_code = "CA-BOE" },
                { amount = "0.90", jurisdiction = "Orange County", level = "county", type = "sales",
                  percentage = "1", taxable_amount = "90.00" } } },
    { amount = "50.00", taxability_reason = "partially_taxable", taxable_amount = "20.00", taxes = {} },
    { amount = "499.00", taxability_reason = "product_exempt", taxable_amount = "0.00", taxes = {} },
    { amount = "30.00", taxability_reason = "customer_exempt", taxable_amount = "0.00", taxes = {} },
    { amount = "12.34", taxability_reason = "reverse_charge", taxable_amount = "12.34",
      taxes = { { amount = "0.00", jurisdiction = "Germany", level = "country", type = "vat", percentage = "19",
                  taxable_amount = "12.34" } } },
  } }
  it("splits each line's sale by its reason, exactly (minor units)", function()
    local f = filing.figures(result, "USD")
    assert.equal(9000 + 5000 + 49900 + 3000 + 1234, f.gross)
    assert.equal(9000 + 2000, f.taxable)
    assert.equal(3000 + 49900, f.non_taxable) -- the untaxed part of a partial base + SaaS
    assert.equal(3000 + 1234, f.exempt)
    assert.same({ customer_exempt = 3000, reverse_charge = 1234 }, f.exempt_by)
    assert.equal(f.gross, f.taxable + f.exempt + f.non_taxable)
    assert.equal(653 + 90, f.tax)
  end)
  it("lists each jurisdiction with its authority code when the answer carries one", function()
    local f = filing.figures(result, "USD")
    assert.equal(3, #f.juris)
    assert.equal("CA-BOE", f.juris[1].authority_code)
    assert.is_nil(f.juris[2].authority_code)
    assert.equal(9000, f.juris[2].taxable)
    assert.equal(0, f.juris[3].taxable) -- reverse charge: no taxable sale for the seller's return
  end)
  it("refuses an amount that is not money", function()
    assert.raises(function() filing.figures({ lines = { { amount = "1.2.3" } } }, "USD") end, "not an amount")
  end)
end)
