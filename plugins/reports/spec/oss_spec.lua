-- oss.lua: the ECB rate file, the rate a return uses and the conversion to EUR.
local oss = require "oss"

local FILE = "Date,USD,JPY,GBP,\n" ..
  "2026-10-02,1.1702,171.3,0.86411,\n" ..
  "2026-10-01,1.1657,170.95,N/A,\n" ..
  "2026-09-29,1.1600,170.10,0.86000,\n"

describe("check_file", function()
  it("reads the header's currencies and the days of an ECB file", function()
    local info = assert(oss.check_file(FILE))
    assert.same({ "USD", "JPY", "GBP" }, info.currencies)
    assert.same({ "2026-09-29", "2026-10-02", 3 }, { info.first, info.last, info.days })
  end)
  it("takes CRLF, a byte-order mark and no final newline", function()
    local info = assert(oss.check_file("\239\187\191Date,USD,\r\n2026-10-01,1.1657,\r\n2026-09-30,1.16,"))
    assert.same({ "2026-09-30", "2026-10-01", 2 }, { info.first, info.last, info.days })
  end)
  it("refuses another layout, naming the line", function()
    local ok, msg = oss.check_file("Currency,Rate\nUSD,1.1\n")
    assert.is_nil(ok); assert.matches("ECB header", msg)
    ok, msg = oss.check_file(FILE .. "2026-09-28,1.1,170,\n")
    assert.is_nil(ok); assert.matches("line 5", msg)
    ok, msg = oss.check_file(FILE .. "28.09.2026,1.1,170,0.8,\n")
    assert.is_nil(ok); assert.matches("line 5 does not start with a date", msg)
    ok, msg = oss.check_file("Date,USD,\n2026-10-01,1.1x,\n")
    assert.is_nil(ok); assert.matches("line 2", msg)
    ok, msg = oss.check_file("Date,US1,\n2026-10-01,1.1,\n")
    assert.is_nil(ok); assert.matches("not a currency code", msg)
  end)
end)

describe("rate_for", function()
  it("uses the last day's rate, else the next publication, never an earlier one", function()
    assert.same({ "1.1600", "2026-09-29" }, { oss.rate_for({ FILE }, "USD", "2026-09-29", "2026-10-02") })
    assert.same({ "1.1657", "2026-10-01" }, { oss.rate_for({ FILE }, "USD", "2026-09-30", "2026-10-02") })
    -- N/A on 1 Oct: GBP takes 2 Oct
    assert.same({ "0.86411", "2026-10-02" }, { oss.rate_for({ FILE }, "GBP", "2026-09-30", "2026-10-02") })
    assert.is_nil(oss.rate_for({ FILE }, "USD", "2026-10-03", "2026-10-03"))
    assert.is_nil(oss.rate_for({ FILE }, "CHF", "2026-09-30", "2026-10-02"))
  end)
  it("prefers the newest file holding the day", function()
    local newer = "Date,USD,\n2026-10-01,1.2000,\n"
    assert.same({ "1.2000", "2026-10-01" }, { oss.rate_for({ newer, FILE }, "USD", "2026-09-30", "2026-10-02") })
  end)
end)

describe("to_eur", function()
  it("converts minor units exactly, rounding once half away from zero", function()
    assert.equal(25736, oss.to_eur(30000, "USD", "1.1657"))   -- 257.3561 -> 257.36
    assert.equal(4890, oss.to_eur(5700, "USD", "1.1657"))     -- 48.8977 -> 48.90
    assert.equal(-4890, oss.to_eur(-5700, "USD", "1.1657"))   -- a credit memo mirrors the invoice
    assert.equal(50, oss.to_eur(100, "USD", "2"))             -- 0.50 exactly
    assert.equal(1, oss.to_eur(1, "USD", "2"))                -- 0.005 -> 0.01 (half up)
    assert.equal(585, oss.to_eur(1000, "JPY", "170.95"))      -- JPY has no decimals: 5.8497 -> 5.85
    assert.equal(12345, oss.to_eur(12345, "EUR", "1"))        -- EUR is not converted
  end)
  it("refuses an amount it cannot convert exactly", function()
    assert.raises(function() oss.to_eur(math.maxinteger // 10, "USD", "1.123456") end, "too large")
  end)
end)

describe("rate_key", function()
  it("names a rate the same whatever decimals the calculation wrote", function()
    assert.equal("19.00", oss.rate_key("19")); assert.equal("19.00", oss.rate_key("19.000"))
    assert.equal("5.50", oss.rate_key("5.5")); assert.equal("7.125", oss.rate_key("7.125"))
    assert.equal("0.00", oss.rate_key("0")); assert.equal("8.10", oss.rate_key("08.10"))
  end)
end)

describe("quarter", function()
  it("gives the first and last day of an OSS quarter", function()
    assert.same({ "2026-07-01", "2026-09-30" }, { oss.quarter("2026-Q3") })
    assert.same({ "2026-10-01", "2026-12-31" }, { oss.quarter("2026-Q4") })
    assert.is_nil(oss.quarter("2026-Q5")); assert.is_nil(oss.quarter("2026-09"))
  end)
end)
