-- mapping.lua: the file users customise (docs/connector.md). Run: levy test plugins/rillet
local json = require "levy.json"
local mapping = require "mapping"

local US_CA = { line1 = "1 Market St", city = "San Francisco", state = "CA", zip_code = "94105", country = "US" }
local US_NY = { line1 = "5 Broadway", city = "New York", state = "NY", zip_code = "10004", country = "US" }
local GB = { line1 = "10 Downing St", city = "London", zip_code = "SW1A 2AA", country = "GB" }
local DE = { line1 = "Unter den Linden 1", city = "Berlin", zip_code = "10117", country = "DE" }

describe("ship_to", function()
  it("passes the street line, the city and a ZIP+4 through, written as levy reads it (issue 19)", function()
    local ks = { line1 = "7302 W 110th St", line2 = "Suite 4", city = "Overland Park", state = "KS",
                 zip_code = "66210 1050", country = "US" }
    local got = mapping.ship_to("invoice", { shipping_address = ks }, nil)
    assert.same({ line1 = "7302 W 110th St", line2 = "Suite 4", city = "Overland Park", state = "KS",
                  zip_code = "66210-1050", country = "US" }, got)
    assert.equal("66210-1050", mapping.us_zip("662101050"))
    assert.equal("66210-1050", mapping.us_zip("66210-1050"))
    assert.equal("66210", mapping.us_zip(" 66210 "))
    assert.equal("6621", mapping.us_zip("6621")) -- not a ZIP: kept, the engine says why
    -- outside the US a postcode is kept as written
    assert.equal("SW1A 2AA", mapping.ship_to("invoice", { shipping_address = GB }, nil).zip_code)
  end)

  it("takes an invoice's shipping_address first", function()
    local doc = { shipping_address = US_CA, customer_address = US_NY }
    assert.same(US_CA, mapping.ship_to("invoice", doc, { address = GB }))
  end)

  it("falls back to customer_address, then the customer's shipping address, then its address", function()
    assert.same(US_NY, mapping.ship_to("invoice", { shipping_address = json.null, customer_address = US_NY }, nil))
    local customer = { shipping_address = GB, address = DE }
    assert.same(GB, mapping.ship_to("invoice", { customer_address = json.null }, customer))
    assert.same(DE, mapping.ship_to("invoice", {}, { shipping_address = json.null, address = DE }))
  end)

  it("skips an address without a country", function()
    local doc = { shipping_address = { line1 = "nowhere", country = "" }, customer_address = US_NY }
    assert.same(US_NY, mapping.ship_to("invoice", doc, nil))
  end)

  it("keeps only the known non-empty fields", function()
    local a = { line1 = "1 Market St", line2 = "", city = json.null, state = "CA", country = "US", extra = "x" }
    assert.same({ line1 = "1 Market St", state = "CA", country = "US" },
                mapping.ship_to("invoice", { shipping_address = a }))
  end)

  it("takes a credit memo's address, else the customer's", function()
    assert.same(GB, mapping.ship_to("credit_memo", { address = GB, shipping_address = US_CA }, nil))
    assert.same(DE, mapping.ship_to("credit_memo", { address = json.null }, { address = DE }))
  end)

  it("has no ship-to when nothing carries a country", function()
    assert.is_nil(mapping.ship_to("invoice", {}, nil))
  end)

  it("takes ship-from from an invoice's address only", function()
    assert.same(US_CA, mapping.ship_from("invoice", { address = US_CA }))
    assert.is_nil(mapping.ship_from("credit_memo", { address = US_CA }))
  end)
end)

describe("customer_qst_number (issue 19)", function()
  it("reads an external reference of a QST type, trimmed, with its source", function()
    local c = { external_references = { { type = "vat", id = "123456789RT0001" },
                                        { type = "TVQ", id = " 1234567890TQ0001 " } } }
    local n, from = mapping.customer_qst_number(c, nil, nil)
    assert.equal("1234567890TQ0001", n)
    assert.equal("external reference TVQ", from)
  end)

  it("does not take the tax id's reference (the GST/HST number) for the QST number", function()
    local c = { external_references = { { type = "tax_id", id = "1234567890TQ0001" } } }
    assert.is_nil(mapping.customer_qst_number(c))
  end)

  it("reads a custom field by name, then the customer_data setting's names", function()
    local n, from = mapping.customer_qst_number({}, { ["QST Number"] = "1234567890TQ0001" }, nil)
    assert.equal("1234567890TQ0001", n)
    assert.equal("custom field QST Number", from)
    assert.is_nil(mapping.customer_qst_number({}, { ["Quebec reg"] = "1234567890TQ0001" }, nil))
    assert.equal("1234567890TQ0001", (mapping.customer_qst_number({}, { ["Quebec reg"] = "1234567890TQ0001" },
      { qst_number_fields = { "quebec-reg" } })))
    local c = { external_references = { { type = "rq", id = "2345678901TQ0002" } } }
    assert.equal("2345678901TQ0002", (mapping.customer_qst_number(c, nil, { qst_number_reference_types = { "RQ" } })))
  end)
end)

describe("customer_tax_id", function()
  it("reads the first external reference of a tax-id type, trimmed, with its source", function()
    local c = { external_references = { { type = "crm", id = "123" }, { type = "VAT-Id", id = " DE123456789 " },
                                        { type = "vat", id = "FR40303265045" } } }
    local id, from = mapping.customer_tax_id(c, nil, nil)
    assert.equal("DE123456789", id)
    assert.equal("external reference VAT-Id", from)
  end)

  it("ignores blank and null ids", function()
    local c = { external_references = { { type = "vat", id = "  " }, { type = "tin", id = json.null },
                                        { type = "gst", id = "GST-1" } } }
    assert.equal("GST-1", (mapping.customer_tax_id(c)))
  end)

  it("reads a custom field by name, case- and punctuation-insensitively", function()
    local id, from = mapping.customer_tax_id({}, { ["vat_number"] = "GB980780684" }, nil)
    assert.equal("GB980780684", id)
    assert.equal("custom field vat_number", from)
  end)

  it("prefers external references to custom fields", function()
    local c = { external_references = { { type = "ein", id = "12-3456789" } } }
    assert.equal("12-3456789", (mapping.customer_tax_id(c, { ["Tax ID"] = "other" })))
  end)

  it("adds the customer_data setting's reference types and field names", function()
    local c = { external_references = { { type = "company-reg", id = "HRB 1234" } } }
    assert.is_nil(mapping.customer_tax_id(c, { ["Steuernummer"] = "12/345" }))
    assert.equal("HRB 1234", (mapping.customer_tax_id(c, nil, { tax_id_reference_types = { "company_reg" } })))
    local id, from = mapping.customer_tax_id({}, { ["Steuernummer"] = "12/345" },
                                             { tax_id_fields = { "steuer-nummer" } })
    assert.equal("12/345", id)
    assert.equal("custom field Steuernummer", from)
  end)

  it("has none for a customer without references or fields", function()
    assert.is_nil(mapping.customer_tax_id({}, {}, {}))
    assert.is_nil(mapping.customer_tax_id(nil))
  end)
end)

describe("customer_exempt", function()
  it("reads an exemption field and says where from", function()
    local yes, from = mapping.customer_exempt({}, { ["Tax Exempt"] = "Yes" })
    assert.equal(true, yes)
    assert.equal("custom field Tax Exempt = Yes", from)
  end)

  it("reads any other value as not exempt", function()
    assert.equal(false, (mapping.customer_exempt({}, { ["Exempt"] = "no" })))
  end)

  it("leaves levy's own exemption alone without such a field", function()
    assert.is_nil(mapping.customer_exempt({}, { ["VAT number"] = "GB1" }))
  end)

  it("takes the setting's extra values", function()
    assert.equal(true, (mapping.customer_exempt({}, { ["Exempt"] = "resale" }, { exempt_values = { "Resale" } })))
  end)
end)

describe("product_tax_code", function()
  it("matches the name or description, lower-cased", function()
    assert.equal("saas", mapping.product_tax_code({ name = "Pro SUBSCRIPTION" }))
    assert.equal("professional_services", mapping.product_tax_code({ name = "Pack", description = "Onboarding" }))
    assert.equal("digital_goods", mapping.product_tax_code({ name = "E-book bundle" }))
  end)

  it("maps to the taxonomy's refinements before the broad words (issue 19)", function()
    assert.equal("custom_software", mapping.product_tax_code({ name = "Custom software build" }))
    assert.equal("gift_card", mapping.product_tax_code({ name = "Gift card", description = "subscription credit" }))
    assert.equal("online_course_recorded", mapping.product_tax_code({ name = "On-demand course" }))
    assert.equal("installation", mapping.product_tax_code({ name = "Router installation" }))
  end)

  it("names only tax codes levy knows (GET /v1/tax-codes)", function()
    local known = {}
    for _, c in ipairs(require("levy.tax").tax_codes()) do known[c.code] = true end
    for i, r in ipairs(mapping.product_rules) do
      if r.tax_code then assert.equal(true, known[r.tax_code], "rule " .. i .. ": " .. r.tax_code) end
      for _, code in pairs(r.map or {}) do assert.equal(true, known[code], "rule " .. i .. ": " .. code) end
    end
  end)

  it("returns nil (levy's default) when no rule matches", function()
    assert.is_nil(mapping.product_tax_code({ name = "Widget" }))
    assert.is_nil(mapping.product_tax_code(nil))
  end)

  it("applies account-code and external-reference rules, first match winning", function()
    local saved = mapping.product_rules
    mapping.product_rules = {
      { account_code = "4100", tax_code = "training" },
      { external_reference_type = "avalara", map = { SW052000 = "saas" } },
    }
    local ok, err = pcall(function()
      assert.equal("training", mapping.product_tax_code({ name = "x", account_code = "4100" }))
      assert.equal("saas", mapping.product_tax_code({ name = "x", external_references = {
        { type = "avalara", id = "SW052000" } } }))
      assert.is_nil(mapping.product_tax_code({ name = "x", external_references = {
        { type = "avalara", id = "OTHER" } } }))
    end)
    mapping.product_rules = saved
    if not ok then error(err, 0) end
  end)
end)

describe("should_tax", function()
  after_each(function() mapping.skip_external_reference_types = {} end)

  it("taxes every document by default", function()
    assert.equal(true, mapping.should_tax({ external_references = { { type = "stripe", id = "in_1" } } }, "invoice"))
  end)

  it("skips documents issued by a listed system, with the reason", function()
    mapping.skip_external_reference_types = { stripe = true }
    local ok, why = mapping.should_tax({ external_references = { { type = "Stripe", id = "in_1" } } }, "invoice")
    assert.equal(false, ok)
    assert.equal("issued by stripe (external reference in_1)", why)
    assert.equal(true, mapping.should_tax({ external_references = { { type = "chargebee", id = "x" } } }, "invoice"))
  end)
end)

describe("legal_note", function()
  it("cites the EU directive for an EU reverse charge", function()
    assert.equal(mapping.REVERSE_CHARGE_EU,
      mapping.legal_note({ taxability_reason = "reverse_charge", taxes = { { type = "VAT" } } }, { region = "EU" }))
  end)

  it("names the tax outside the EU", function()
    assert.equal("Reverse charge \u{2014} the customer accounts for the GST",
      mapping.legal_note({ taxability_reason = "reverse_charge", taxes = { { type = "GST" } } }, { region = "AU" }))
  end)

  it("cites the Excise Tax Act for Canada's simplified regime (issue 19), not a reverse charge", function()
    local note = mapping.legal_note({ taxability_reason = "reverse_charge", taxes = { { type = "HST" } } },
      { region = "CA" })
    assert.equal(mapping.REVERSE_CHARGE_CA, note)
    assert.truthy(note:find("Excise Tax Act s. 211.1", 1, true))
  end)
  it("Quebec: the QST not collected names the specified system; both taxes, both texts", function()
    local qst = { taxability_reason = "reverse_charge",
      taxes = { { type = "GST", amount = "5.00" }, { type = "QST", amount = "0.00" } } }
    assert.equal(mapping.REVERSE_CHARGE_QC, mapping.legal_note(qst, { region = "CA" }))
    local both = { taxability_reason = "reverse_charge",
      taxes = { { type = "GST", amount = "0.00" }, { type = "QST", amount = "0.00" } } }
    assert.equal(mapping.REVERSE_CHARGE_CA .. "; " .. mapping.REVERSE_CHARGE_QC,
      mapping.legal_note(both, { region = "CA" }))
    local gst = { taxability_reason = "reverse_charge",
      taxes = { { type = "GST", amount = "0.00" }, { type = "QST", amount = "9.98" } } }
    assert.equal(mapping.REVERSE_CHARGE_CA, mapping.legal_note(gst, { region = "CA" }))
  end)

  it("names the exemption certificate when levy has one", function()
    assert.equal("Exempt: certificate CA-123",
      mapping.legal_note({ taxability_reason = "customer_exempt" }, { region = "US-CA", certificate = "CA-123" }))
    assert.equal("Exempt: customer exemption",
      mapping.legal_note({ taxability_reason = "customer_exempt" }, { region = "US-CA" }))
  end)

  it("has no note for a taxed line", function()
    assert.is_nil(mapping.legal_note({ taxability_reason = "taxable" }, { region = "US-CA" }))
  end)
end)

describe("tax_rates", function()
  it("writes one rate per jurisdiction with tax, GST as VAT", function()
    local rates = mapping.tax_rates({ tax = "10.00", taxes = {
      { jurisdiction = "australia", level = "country", type = "GST", percentage = "10", amount = "10.00" },
    } }, "AU", "AUD")
    assert.equal(1, #rates)
    assert.equal("VAT", rates[1].type)
    assert.equal("Australia GST", rates[1].description)
    assert.same({ amount = "10.00", currency = "AUD" }, rates[1].tax_amount)
  end)

  it("writes a legal note as a 0 % rate on a line without tax", function()
    local rates = mapping.tax_rates({ tax = "0.00", note = "Exempt: customer exemption", taxes = {} }, "US", "USD")
    assert.equal(1, #rates)
    assert.equal("SALES_TAX", rates[1].type)
    assert.equal("Exempt: customer exemption", rates[1].description)
  end)

  it("writes a local lease tax as its own SALES_TAX rate under its own name (issue 19)", function()
    local rates = mapping.tax_rates({ tax = "40.25", taxes = {
      { jurisdiction = "ILLINOIS", level = "state", type = "SALES_TAX", percentage = "6.25", amount = "12.50" },
      { jurisdiction = "CHICAGO", level = "city", type = "LEASE_TRANSACTION_TAX", percentage = "15.00",
        amount = "30.00", name = "Chicago Personal Property Lease Transaction Tax" },
    } }, "US", "USD")
    assert.equal(2, #rates)
    assert.equal("Illinois state sales tax", rates[1].description)
    assert.equal("SALES_TAX", rates[2].type)
    assert.equal("Chicago Personal Property Lease Transaction Tax", rates[2].description)
    assert.same({ amount = "30.00", currency = "USD" }, rates[2].tax_amount)
    assert.equal("15.00", json.encode(rates[2].percentage))
  end)

  it("writes Chicago's amusement tax as its own SALES_TAX rate under its own name (issue 19)", function()
    local rates = mapping.tax_rates({ tax = "9.00", taxes = {
      { jurisdiction = "CHICAGO", level = "city", type = "AMUSEMENT_TAX", percentage = "9.00",
        amount = "9.00", name = "Chicago Amusement Tax" },
    } }, "US", "USD")
    assert.equal(1, #rates)
    assert.equal("SALES_TAX", rates[1].type)
    assert.equal("Chicago Amusement Tax", rates[1].description)
    assert.same({ amount = "9.00", currency = "USD" }, rates[1].tax_amount)
  end)

  it("writes no rate for an untaxed line without a note", function()
    assert.equal("[]", json.encode(mapping.tax_rates({ tax = "0.00", taxes = {} }, "US", "USD")))
  end)
end)
