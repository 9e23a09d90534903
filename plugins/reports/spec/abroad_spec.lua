-- abroad.lua (issues 19/20): a document's amount in a threshold's currency through the
-- document's own exchange rate, and one country's row from its documents.
local abroad = require "abroad"

describe("convert", function()
  it("keeps an amount already in the threshold's currency", function()
    assert.equal(12345, abroad.convert(12345, "AUD", "AUD"))
  end)
  it("multiplies by a rate from the document's currency to the threshold's", function()
    -- 20,000.00 USD at 1.5 AUD per USD = 30,000.00 AUD
    assert.equal(3000000, abroad.convert(2000000, "USD", "AUD", "USD", "AUD", "1.5"))
  end)
  it("divides by a rate quoted the other way round", function()
    -- 625.00 USD at 0.625 USD per AUD = 1,000.00 AUD
    assert.equal(100000, abroad.convert(62500, "USD", "AUD", "AUD", "USD", "0.625"))
  end)
  it("rounds once, half away from zero, credit memos mirroring invoices", function()
    -- 0.01 USD * 1.5 = 0.015 AUD -> 0.02; -0.01 -> -0.02
    assert.equal(2, abroad.convert(1, "USD", "AUD", "USD", "AUD", "1.5"))
    assert.equal(-2, abroad.convert(-1, "USD", "AUD", "USD", "AUD", "1.5"))
  end)
  it("follows the currencies' decimals (JPY has none)", function()
    -- 100.00 USD at 151.25 JPY per USD = 15,125 JPY
    assert.equal(15125, abroad.convert(10000, "USD", "JPY", "USD", "JPY", "151.25"))
    -- 15,125 JPY back at the same rate = 100.00 USD
    assert.equal(10000, abroad.convert(15125, "JPY", "USD", "USD", "JPY", "151.25"))
  end)
  it("does not guess: no rate, a rate between other currencies or a bad rate is nil", function()
    assert.is_nil(abroad.convert(100, "USD", "AUD"))
    assert.is_nil(abroad.convert(100, "USD", "AUD", "EUR", "AUD", "1.6"))
    assert.is_nil(abroad.convert(100, "USD", "AUD", "USD", "AUD", "0"))
    assert.is_nil(abroad.convert(100, "USD", "AUD", "USD", "AUD", "1,5"))
    assert.is_nil(abroad.convert(100, "USD", "AUD", "USD", "AUD", "-1.5"))
  end)
  it("refuses an amount the conversion would overflow", function()
    assert.is_nil(abroad.convert(math.maxinteger // 2, "USD", "AUD", "USD", "AUD", "1.5"))
  end)
end)

describe("measure", function()
  local TH = { country = "AU", threshold = "75000.00", currency = "AUD", period = "previous_12_months",
               scope = "b2c", source = "ATO" }
  local function inv(date, amount, extra)
    local d = { type = "invoice", date = date, amount = amount, currency = "AUD", reverse_charge = 0 }
    for k, v in pairs(extra or {}) do d[k] = v end
    return d
  end
  it("crosses on the first day whose 12 months meet the threshold; older sales drop out", function()
    local row = abroad.measure(TH, {
      inv("2024-01-04", "50000.00"), inv("2025-01-05", "30000.00"), -- 2024-01-04 is out of 2025-01-05's year
      inv("2025-03-01", "45000.00") }, "2025-12-31", false)
    assert.same({ "exceeded", "2025-03-01", "75000.00" }, { row.threshold_status, row.crossed_on, row.sales })
  end)
  it("leaves out a reverse-charged (B2B) document under scope b2c, not under all", function()
    local docs = { inv("2025-02-01", "70000.00"), inv("2025-03-01", "10000.00", { reverse_charge = 1 }) }
    local row = abroad.measure(TH, docs, "2025-12-31", false)
    assert.same({ "approaching", "70000.00", 1 }, { row.threshold_status, row.sales, row.b2b_excluded })
    local all = {}
    for k, v in pairs(TH) do all[k] = v end
    all.scope = "all"
    row = abroad.measure(all, docs, "2025-12-31", false)
    assert.same({ "exceeded", "2025-03-01", 0 }, { row.threshold_status, row.crossed_on, row.b2b_excluded })
  end)
  it("a credit memo lowers the total; registered when levy collects there", function()
    local row = abroad.measure(TH, { inv("2025-02-01", "80000.00", { type = "credit_memo" }),
      inv("2025-02-02", "80000.00") }, "2025-12-31", true)
    assert.same({ "0.00", "below", "registered" }, { row.sales, row.threshold_status, row.status })
  end)
end)
