-- region_filter.lua (issues 19/20): a report's region filter against the documents' stored
-- regions. A Quebec invoice is stored as region CA (its QST a group inside the CA answer): the
-- reports of CA-QC are region CA's documents shipped to QC with only the QST, and region CA's
-- the federal GST/HST return. Before, filtering region = 'CA-QC' found no document.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local region_filter = require "region_filter"
local filing_sums = require "filing_sums"
local json = require "levy.json"

describe("region_filter", function()
  it("turns a province's code into region CA's documents shipped there", function()
    assert.same({ code = "CA-QC", stored = "CA", state = "QC" }, region_filter.scope("ca-qc"))
    assert.same({ code = "CA", stored = "CA", federal = true }, region_filter.scope("CA"))
    assert.same({ code = "US-CA", stored = "US-CA", federal = false }, region_filter.scope("US-CA"))
    assert.is_nil(region_filter.scope(nil))
    assert.is_nil(region_filter.scope(""))
  end)

  it("counts the province's own tax in a province, the GST/HST in CA, every tax elsewhere", function()
    local qc, ca, us = region_filter.scope("CA-QC"), region_filter.scope("CA"), region_filter.scope("US-CA")
    assert.equal(true, region_filter.tax_in(qc, "QST", "QC"))
    assert.equal(false, region_filter.tax_in(qc, "GST", "CA"))
    assert.equal(false, region_filter.tax_in(qc, "PST", "BC"))
    assert.equal(false, region_filter.tax_in(qc, "QST", nil))
    assert.equal(true, region_filter.tax_in(ca, "GST", "CA"))
    assert.equal(true, region_filter.tax_in(ca, "HST", "ON"))
    assert.equal(false, region_filter.tax_in(ca, "QST", "QC"))
    assert.equal(false, region_filter.tax_in(ca, "PST", "BC"))
    assert.equal(true, region_filter.tax_in(us, "SALES_TAX", "06"))
    assert.equal(true, region_filter.tax_in(nil, "QST", "QC"))
  end)
end)

-- a Canadian invoice written back: stored region CA, its calculation shipped to `state`
local function doc(id, state, taxes)
  store.exec([[INSERT INTO invoices(id, connection_id, currency, doc_date, raw, region, tax_status, imported_at)
    VALUES (?, 'c', 'CAD', '2026-03-01', '{}', 'CA', 'written', 'x')]], id)
  local calc = "calc_" .. id
  local total = 0 -- in cents: the amounts are exact decimal strings
  for _, t in ipairs(taxes) do total = total + math.tointeger(t.amount:gsub("%.", "") + 0) end
  local result = { region = "CA", currency = "CAD", total_taxable = "100.00",
                   total_tax = string.format("%d.%02d", total // 100, total % 100),
                   lines = { { id = "l1", amount = "100.00", taxable_amount = "100.00",
                               taxability_reason = "standard_rated", taxes = taxes } } }
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at,
    created_ms) VALUES (?, 'invoice', ?, 'f', '{}', ?, 'CA', 'x', 0)]], calc, id, json.encode(result))
  calc_rows.record(calc, { ship_to = { country = "CA", state = state } }, result, nil, "CA")
  store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
    VALUES ('invoice', ?, ?, 'k', 'written', 'x')]], id, calc)
  store.exec("UPDATE invoices SET calculation_id = ? WHERE id = ?", calc, id)
  filing_sums.refresh("invoice", id) -- what every writer does (the kept sums and candidates)
end

local function tax(ty, level, j, code, amount)
  return { jurisdiction = j, level = level, type = ty, authority_code = code, amount = amount,
           taxable_amount = "100.00", percentage = "5" }
end

local function canadian()
  doc("mtl", "QC", { tax("GST", "country", "CANADA", "CA", "5.00"), tax("QST", "province", "QUEBEC", "QC", "9.98") })
  doc("van", "BC", { tax("GST", "country", "CANADA", "CA", "5.00"),
                     tax("PST", "province", "BRITISH COLUMBIA", "BC", "7.00") })
  doc("tor", "ON", { tax("HST", "province", "ONTARIO", "ON", "13.00") })
end

local function taxes_of(out)
  local o = {}
  for _, r in ipairs(out.taxes) do o[#o + 1] = { r.region, r.tax_type, r.authority_code, r.tax, r.taxable } end
  table.sort(o, function(a, b) return a[2] < b[2] end)
  return o
end

describe("report rows of a province's region", function()
  it("filing sums: CA-QC is Montreal's QST, CA the GST/HST of every Canadian document", function()
    canadian()
    for _, f in ipairs({ report_rows.filing_sums, report_rows.filing_sums_sql }) do
      local qc = f("2026-03-01", "2026-03-31", "CA-QC", {})
      assert.equal(0, qc.bad)
      assert.same({ { "CA-QC", "QST", "QC", 998, 10000 } }, taxes_of(qc))
      assert.equal(1, #qc.docs)
      assert.same({ "CA-QC", 1 }, { qc.docs[1].region, qc.docs[1].docs })
      assert.same({ "CA-QC", 10000 }, { qc.lines[1].region, qc.lines[1].sale })
    end
    -- region CA: the kept sums' path (filing_sums) and the rows' agree, without QST or PST
    local ca = report_rows.filing_sums("2026-03-01", "2026-03-31", "CA", {})
    assert.same({ { "CA", "GST", "CA", 1000, 20000 }, { "CA", "HST", "ON", 1300, 10000 } }, taxes_of(ca))
    assert.equal(3, ca.docs[1].docs)
    -- no region: every tax, as before
    assert.equal(4, #report_rows.filing_sums_sql("2026-03-01", "2026-03-31", nil, {}).taxes)
  end)

  it("documents, accepted writes and collected sums of a province carry its code", function()
    canadian()
    local docs = report_rows.filing_documents("2026-03-01", "2026-03-31", { region = "CA-BC" })
    assert.same({ { "van", "CA-BC" } }, { { docs[1].id, docs[1].region } })
    assert.equal(1, #docs)
    assert.equal(1, report_rows.filing_documents("2026-03-01", "2026-03-31", { region = "CA-QC", count = true }))
    assert.equal(3, report_rows.filing_documents("2026-03-01", "2026-03-31", { region = "CA", count = true }))
    assert.equal(0, report_rows.filing_documents("2026-03-01", "2026-03-31", { region = "CA-MB", count = true }))
    local w = report_rows.accepted_writes("invoice", "2026-03-01", "2026-03-31", "CA-QC")
    assert.same({ { "mtl", "CA-QC" } }, { { w[1].id, w[1].region } })
    assert.equal(1, #w)
    local groups, totals, bad = report_rows.collected_sums("invoice", "2026-03-01", "2026-03-31", "CA-QC")
    assert.equal(0, bad)
    assert.equal(1, totals[1].docs)
    for _, g in ipairs(groups) do assert.equal("CA-QC", g.region) end
    local c = report_rows.calculated_documents("invoice", "2026-03-01", "2026-03-31", "CA-QC")
    assert.same({ { "mtl", "CA-QC" } }, { { c[1].id, c[1].calc_region } })
    assert.equal(1, #c)
  end)

  -- Montreal written with the GST only (CA-QC not yet subscribed), its current calculation
  -- adds the QST: not collected is the QST in CA-QC's report and nothing in CA's (its GST is
  -- written); before, both reports compared the whole tax (or, CA-QC, found no document).
  it("not collected: a province compares its own tax, CA the GST/HST", function()
    doc("mtl", "QC", { tax("GST", "country", "CANADA", "CA", "5.00") })
    local result = { region = "CA", currency = "CAD", total_taxable = "100.00", total_tax = "14.98",
      lines = { { id = "l1", amount = "100.00", taxable_amount = "100.00", taxability_reason = "standard_rated",
                  taxes = { tax("GST", "country", "CANADA", "CA", "5.00"),
                            tax("QST", "province", "QUEBEC", "QC", "9.98") } } } }
    store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, total_tax,
      created_at, created_ms) VALUES ('calc_mtl2', 'invoice', 'mtl', 'f2', '{}', ?, 'CA', '14.98', 'x', 0)]],
      json.encode(result))
    calc_rows.record("calc_mtl2", { ship_to = { country = "CA", state = "QC" } }, result, "14.98", "CA")
    store.exec("UPDATE invoices SET calculation_id = 'calc_mtl2', tax_status = 'calculated' WHERE id = 'mtl'")
    filing_sums.refresh("invoice", "mtl")
    local function one(region)
      local r = report_rows.not_collected_candidates("invoice", "2026-03-01", "2026-03-31", region)
      assert.equal(1, #r, region)
      local s = report_rows.not_collected_candidates("invoice", "2026-03-01", "2026-03-31", region, { sums = true })
      local docs, minor = 0, 0
      for _, g in ipairs(s) do docs, minor = docs + g.docs, minor + g.minor end
      return { r[1].calc_region, r[1].calc_tax, r[1].w_tax or "none", docs, minor }
    end
    assert.same({ "CA-QC", 998, "none", 1, 998 }, one("CA-QC"))
    assert.same({ "CA", 500, 500, 0, 0 }, one("CA"))
    assert.same({ "CA", 1498, 500, 1, 998 }, one(nil))
    assert.same({}, report_rows.not_collected_candidates("invoice", "2026-03-01", "2026-03-31", "CA-BC"))
  end)
end)
