-- exposure.lua: the date a threshold was crossed (crossed_on), for fixed and rolling periods,
-- with credit memos and marketplace sales a state excludes.
local exposure = require "exposure"
local crossed_on = exposure._crossed_on

local function doc(date, cents, opts)
  opts = opts or {}
  return { date = date, sign = opts.memo and -1 or 1, minor = cents, marketplace = opts.marketplace or false }
end

local SALES = { sales_threshold = "100000.00", marketplace = "excluded" }
local OR200 = { sales_threshold = "100000.00", transactions_threshold = 3, combine = "or", marketplace = "unknown" }
local AND3 = { sales_threshold = "100000.00", transactions_threshold = 3, combine = "and", marketplace = "included" }

describe("crossed_on, fixed period", function()
  it("is the first day whose end-of-day running total meets the threshold", function()
    local docs = { doc("2025-01-10", 6000000), doc("2025-02-01", 4000000), doc("2025-03-01", 100) }
    assert.equal("2025-02-01", crossed_on(SALES, docs, "2025-01-01", "2025-12-31", false))
  end)
  it("counts every document of a day before the test (a same-day credit memo)", function()
    local docs = { doc("2025-01-10", 6000000), doc("2025-02-01", 5000000), doc("2025-02-01", 2000000, { memo = true }),
                   doc("2025-04-01", 1000000) }
    assert.equal("2025-04-01", crossed_on(SALES, docs, "2025-01-01", "2025-12-31", false))
  end)
  it("skips marketplace sales the state excludes and documents outside the window", function()
    local docs = { doc("2024-12-31", 9000000), doc("2025-01-10", 6000000),
                   doc("2025-02-01", 5000000, { marketplace = true }), doc("2025-05-01", 4000000) }
    assert.equal("2025-05-01", crossed_on(SALES, docs, "2025-01-01", "2025-12-31", false))
    assert.is_nil(crossed_on(SALES, docs, "2025-01-01", "2025-04-30", false))
  end)
  it("applies or / and with the transaction count", function()
    local docs = { doc("2025-01-01", 100), doc("2025-01-02", 100), doc("2025-01-03", 100), doc("2025-06-01", 10000000) }
    assert.equal("2025-01-03", crossed_on(OR200, docs, "2025-01-01", "2025-12-31", false))
    assert.equal("2025-06-01", crossed_on(AND3, docs, "2025-01-01", "2025-12-31", false))
  end)
end)

describe("crossed_on, rolling 12 months", function()
  it("uses the 12 months ending each day, so old sales drop out", function()
    -- 60k on 2024-03-01 and 50k on 2025-03-02: the 12 months ending 2025-03-02 start on
    -- 2024-03-03, so the old sale is out; with 45k more on 2025-06-01 the total is 95k.
    local docs = { doc("2024-03-01", 6000000), doc("2025-03-02", 5000000), doc("2025-06-01", 4500000),
                   doc("2025-07-01", 500000) }
    assert.equal("2025-07-01", crossed_on(SALES, docs, "2024-12-01", "2025-11-30", true))
    -- but within the year the old sale still counts: 60k + 50k on 2025-02-28
    local docs2 = { doc("2024-03-01", 6000000), doc("2025-02-28", 5000000) }
    assert.equal("2025-02-28", crossed_on(SALES, docs2, "2024-12-01", "2025-11-30", true))
  end)
end)

-- issue 20: the overview passes each state's day totals (report_shipped_us_days: sign 1, minor
-- = the day's invoices less its credit memos, n = its invoices), not single documents
describe("crossed_on, day totals", function()
  local function day(date, cents, n, marketplace)
    return { date = date, sign = 1, minor = cents, n = n, marketplace = marketplace or false }
  end
  it("crosses on the same day as the documents of those days", function()
    local docs = { doc("2025-01-10", 6000000), doc("2025-02-01", 5000000), doc("2025-02-01", 2000000, { memo = true }),
                   doc("2025-04-01", 1000000) }
    local days = { day("2025-01-10", 6000000, 1), day("2025-02-01", 3000000, 1), day("2025-04-01", 1000000, 1) }
    assert.equal(crossed_on(SALES, docs, "2025-01-01", "2025-12-31", false),
                 crossed_on(SALES, days, "2025-01-01", "2025-12-31", false))
  end)
  it("counts a day's invoices as its transactions (a credit memo is none)", function()
    local days = { day("2025-01-01", 200, 2), day("2025-01-02", -100, 0), day("2025-01-03", 100, 1) }
    assert.equal("2025-01-03", crossed_on(OR200, days, "2025-01-01", "2025-12-31", false))
    assert.equal("2025-01-03", crossed_on(OR200, days, "2024-01-01", "2025-12-31", true))
  end)
end)
