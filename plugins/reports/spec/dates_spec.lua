-- dates.lua: calendar steps on "YYYY-MM-DD" (levy.time's calendar) and the economic-nexus
-- measurement windows.
local dates = require "dates"

describe("add_days", function()
  it("crosses months, years and leap days both ways", function()
    assert.equal("2024-03-01", dates.add_days("2024-02-28", 2))
    assert.equal("2024-02-29", dates.add_days("2024-03-01", -1))
    assert.equal("2023-03-01", dates.add_days("2023-02-28", 1))
    assert.equal("2026-01-01", dates.add_days("2025-12-31", 1))
    assert.equal("1969-12-31", dates.add_days("1970-01-01", -1))
    assert.equal("2000-02-29", dates.add_days("1999-02-28", 366))
  end)
end)

describe("year_before", function()
  it("keeps the day, and takes 28 Feb for 29 Feb", function()
    assert.equal("2025-08-31", dates.year_before("2026-08-31"))
    assert.equal("2023-02-28", dates.year_before("2024-02-29"))
  end)
end)

describe("windows", function()
  it("reads the measurement periods", function()
    assert.same({ { "2025-08-02", "2026-08-01" } }, dates.windows("previous_12_months", "2026-08-01"))
    assert.same({ { "2024-02-29", "2025-02-28" } }, dates.windows("previous_12_months", "2025-02-28"))
    assert.same({ { "2024-10-01", "2025-09-30" } }, dates.windows("twelve_months_ending_sep30", "2026-08-01"))
    assert.same({ { "2025-03-01", "2026-02-28" } }, dates.windows("four_quarters_ny", "2026-03-15"))
    assert.same({ { "2025-01-01", "2025-12-31" }, { "2026-01-01", "2026-08-01" } },
      dates.windows("calendar_year_previous_or_current", "2026-08-01"))
    assert.raises(function() dates.windows("fortnightly", "2026-08-01") end, "unknown measurement period")
  end)
end)
