-- calc_rows.lua (issue 22): what the reports read of a calculation, kept as rows, and the
-- liability sums over them (report_rows.collected_sums) — the same SQL on SQLite and PostgreSQL.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local json = require "levy.json"

describe("decimal", function()
  it("takes canonical decimal strings only", function()
    assert.same({ 12345, 2 }, { calc_rows.decimal("123.45") })
    assert.same({ -5, 0 }, { calc_rows.decimal("-5") })
    assert.same({ 7, 3 }, { calc_rows.decimal("0.007") })
    for _, bad in ipairs({ "", "1.", ".5", "-", "--5", "+5", "1.2.3", "1e3", " 1", "1234567890123456789", 5 }) do
      assert.is_nil(calc_rows.decimal(bad), tostring(bad))
    end
  end)
end)

local function doc(id, currency, region, result)
  store.exec([[INSERT INTO invoices(id, connection_id, currency, doc_date, raw, region, tax_status, imported_at)
    VALUES (?, 'c', ?, '2026-03-01', '{}', ?, 'written', 'x')]], id, currency, region)
  local calc = "calc_" .. id
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at,
    created_ms) VALUES (?, 'invoice', ?, 'f', '{}', ?, ?, 'x', 0)]], calc, id, json.encode(result), region)
  calc_rows.record(calc, { ship_to = { country = "US", state = region:sub(4) } }, result, nil, region)
  store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
    VALUES ('invoice', ?, ?, 'k', 'written', 'x')]], id, calc)
  store.exec("UPDATE invoices SET calculation_id = ? WHERE id = ?", calc, id)
end

local function tax(j, level, amount, taxable, code)
  return { jurisdiction = j, level = level, type = "sales", amount = amount, taxable_amount = taxable,
           authority_code = code }
end

describe("collected_sums", function()
  it("sums per currency, region, jurisdiction, level and type in minor units", function()
    doc("i1", "USD", "US-CA", { total_taxable = "100.00", lines = {
      { taxes = { tax("CA", "state", "6.00", "100.00", "06"), tax("LA", "county", "2.25", "100.00") } } } })
    doc("i2", "USD", "US-CA", { total_taxable = "50.00", lines = {
      { taxes = { tax("CA", "state", "3.00", "50.00", "06") } }, { taxes = {} } } })
    local groups, totals, bad = report_rows.collected_sums("invoice", "2026-01-01", "2026-12-31", nil)
    assert.equal(0, bad)
    assert.same({ { currency = "USD", docs = 2, taxable = 15000, bad = 0 } }, totals)
    table.sort(groups, function(a, b) return a.jurisdiction < b.jurisdiction end)
    assert.equal(2, #groups)
    local ca, la = groups[1], groups[2]
    assert.same({ "CA", "state", 900, 15000, 2, 2, 2, "06", "06" },
                { ca.jurisdiction, ca.level, ca.tax, ca.taxable, ca.docs, ca.n, ca.n_code, ca.code_min, ca.code_max })
    assert.same({ "LA", 225, 0, 1 }, { la.jurisdiction, la.tax, la.n_code, la.docs })
  end)

  it("says an amount is not canonical (the report then decodes the results)", function()
    doc("i3", "USD", "US-TX", { total_taxable = "10.00",
      lines = { { taxes = { tax("TX", "state", "0.625", "10.00") } } } })
    local _, _, bad = report_rows.collected_sums("invoice", "2026-01-01", "2026-12-31", "US-TX")
    assert.equal(1, bad)
    doc("i4", "USD", "US-WA", { total_taxable = 10, lines = {} })
    _, _, bad = report_rows.collected_sums("invoice", "2026-01-01", "2026-12-31", "US-WA")
    assert.equal(1, bad)
  end)

  it("lists the ship-to and the calculation's total for the exposure report", function()
    doc("i5", "USD", "US-NY", { total_taxable = "1.00", total_amount = "1.08", lines = {} })
    local r = report_rows.shipped_documents("invoice", "2026-01-01", "2026-12-31")
    local got
    for _, row in ipairs(r) do if row.id == "i5" then got = row end end
    assert.same({ "US", "NY", "1.08" }, { got.country, got.state, got.amount })
  end)

  it("sums the exposure report's US documents per state, day and marketplace flag", function()
    doc("e1", "USD", "US-NJ", { total_amount = "10.00", lines = {} })
    doc("e2", "USD", "US-NJ", { total_amount = "-2.50", lines = {} })
    doc("e3", "USD", "US-NJ", { total_amount = "7.25", lines = {} })
    store.exec("UPDATE invoices SET customer_id = 'mk' WHERE id = 'e3'")
    store.exec("UPDATE invoices SET net_amount = '4.00' WHERE id = 'e2'")
    local function nj(days)
      local out = {}
      for _, r in ipairs(days) do
        if r.state == "NJ" then out[#out + 1] = { r.date, r.marketplace, r.n, r.minor } end
      end
      return out
    end
    local days, bad = report_rows.shipped_us_days("2026-01-01", "2026-12-31", "[]", "[]")
    assert.equal(0, bad)
    assert.same({ { "2026-03-01", 0, 3, 2125 } }, nj(days))
    -- e1 flagged as a marketplace sale, e3's customer a marketplace, e3 itself flagged not one
    days, bad = report_rows.shipped_us_days("2026-01-01", "2026-12-31",
      json.encode(json.array({ json.array({ "invoice", "e1", true }), json.array({ "invoice", "e3", false }) })),
      json.encode(json.array({ "mk" })))
    assert.equal(0, bad)
    assert.same({ { "2026-03-01", 0, 2, 1125 }, { "2026-03-01", 1, 1, 1000 } }, nj(days))
    days = report_rows.shipped_us_days("2026-01-01", "2026-12-31", "[]", json.encode(json.array({ "mk" })))
    assert.same({ { "2026-03-01", 0, 2, 1400 }, { "2026-03-01", 1, 1, 725 } }, nj(days))
    -- an amount that is not a plain two-decimal string: the caller reads the documents instead
    for _, a in ipairs({ "1.5", "1.2.34", "--1.00", "1e2.00", "12345678901234567.00" }) do
      store.exec("UPDATE invoices SET net_amount = ? WHERE id = 'e2'", a)
      _, bad = report_rows.shipped_us_days("2026-01-01", "2026-12-31", "[]", "[]")
      assert.equal(1, bad, a)
    end
    local docs = report_rows.shipped_us_documents("2026-01-01", "2026-12-31", "NJ")
    local ids = {}
    for _, d in ipairs(docs) do ids[#ids + 1] = d.id .. " " .. d.amount end
    assert.same({ "e1 10.00", "e2 12345678901234567.00", "e3 7.25" }, ids)
  end)
end)

-- filing_sums (issue 20, the filing summary at 10,000 invoices): a taxes group's rates come
-- from the same pass as its sums (fewest, most and number of distinct rates); only a group
-- with three or more rates reads them in a second statement. Each way answers the same rates.
describe("filing_sums rates", function()
  local function rtax(j, rate, amount)
    return { jurisdiction = j, level = "state", type = "sales", amount = amount, taxable_amount = "10.00",
             percentage = rate }
  end
  local function rates_of(sums, j)
    for _, r in ipairs(sums.taxes) do if r.jurisdiction == j then return json.decode(r.rates), r end end
  end
  it("lists every distinct rate of a group: none, one, two and three or more", function()
    doc("r1", "USD", "US-CA", { currency = "USD", total_taxable = "10.00", lines = { { amount = "10.00",
      taxable_amount = "10.00", taxes = { rtax("A", "6", "0.60"), rtax("B", "1", "0.10"), rtax("C", "7", "0.70"),
        rtax("N", nil, "0.00") } } } })
    doc("r2", "USD", "US-CA", { currency = "USD", total_taxable = "10.00", lines = { { amount = "10.00",
      taxable_amount = "10.00", taxes = { rtax("A", "6", "0.60"), rtax("B", "2", "0.20"),
        rtax("C", "7.25", "0.73") } } } })
    doc("r3", "USD", "US-CA", { currency = "USD", total_taxable = "10.00", lines = { { amount = "10.00",
      taxable_amount = "10.00", taxes = { rtax("A", "6", "0.60"), rtax("B", "1", "0.10"),
        rtax("C", "10", "1.00") } } } })
    local sums = report_rows.filing_sums("2026-01-01", "2026-12-31", nil, {})
    assert.equal(0, sums.bad)
    local a, ra = rates_of(sums, "A")
    assert.same({ "6" }, a)
    assert.same({ 180, 3 }, { ra.tax, ra.docs })
    assert.same({ "1", "2" }, (rates_of(sums, "B")))
    local c, rc = rates_of(sums, "C")
    assert.same({ "10", "7", "7.25" }, c) -- three rates: the second statement, sorted as text
    assert.same({ 243, 3 }, { rc.tax, rc.docs })
    assert.same({}, (rates_of(sums, "N")))
    for _, r in ipairs(sums.taxes) do assert.is_nil(r.n_rates) end
  end)
end)
