-- certs.lua (issue 20): a certificate's status on a date, and the upload's details.
local certs = require "certs"

describe("certificate status", function()
  local function st(issued, expires, today)
    return (certs.status({ issued = issued, expires = expires }, today))
  end
  it("is valid, expiring (30 days, both ends counted), expired or not valid yet", function()
    assert.equal("valid", st("2026-01-01", nil, "2026-03-01"))
    assert.equal("valid", st("2026-01-01", "2026-04-01", "2026-03-01"))   -- 31 days left
    assert.equal("expiring", st("2026-01-01", "2026-03-31", "2026-03-01")) -- 30 days left
    assert.equal("expiring", st("2026-01-01", "2026-03-01", "2026-03-01")) -- its last day
    assert.equal("expired", st("2026-01-01", "2026-02-28", "2026-03-01"))
    assert.equal("not_yet_valid", st("2026-04-01", nil, "2026-03-01"))
  end)
  it("counts days across a leap day and a year end", function()
    local _, left = certs.status({ issued = "2024-01-01", expires = "2024-03-01" }, "2024-02-28")
    assert.equal(2, left)
    _, left = certs.status({ issued = "2025-01-01", expires = "2026-01-02" }, "2025-12-31")
    assert.equal(2, left)
  end)
end)

describe("upload details", function()
  local regions = { ["US-CA"] = true, ["US-NY"] = true }
  local function fields(q)
    local ok, err = pcall(certs.validate, q, regions)
    if ok then return nil end
    local out = {}
    for _, d in ipairs(err.details or {}) do out[#out + 1] = d.field end
    table.sort(out)
    return table.concat(out, ",")
  end
  it("takes number, reason, regions, dates and a file name made safe", function()
    local m = certs.validate({ number = " R-1 ", reason = "sst_g", regions = "US-CA, US-NY,US-CA",
      issued = "2026-01-01", expires = "2026-12-31", filename = "a b\"c.pdf" }, regions)
    assert.equal("R-1", m.number)
    assert.same({ "US-CA", "US-NY" }, m.regions)
    assert.equal("a_b_c.pdf", m.filename)
  end)
  it("names every bad field", function()
    assert.equal("issued,number,reason,regions", fields({ reason = "bribery", regions = "US-ZZ" }))
    assert.equal("expires", fields({ number = "1", reason = "resale", regions = "US-CA", issued = "2026-02-01",
      expires = "2026-01-31" }))
    assert.equal("issued", fields({ number = "1", reason = "resale", regions = "US-CA", issued = "2026-02-30" }))
  end)
end)

describe("levy.files paths", function()
  it("refuses a folder or name that could leave <data>/files", function()
    local files = require "levy.files"
    for _, bad in ipairs({ { "..", "x" }, { "certificates", "../levy.db" }, { "a/b", "x" }, { "certificates", "" },
                           { "certificates", string.rep("a", 65) } }) do
      local ok, err = pcall(files.put, bad[1], bad[2], "data")
      assert.falsy(ok)
      assert.truthy(tostring(err):find("levy.files: ", 1, true), tostring(err))
      assert.falsy(tostring(err):find("no data dir", 1, true), "checked before the data dir: " .. tostring(err))
    end
  end)
end)
