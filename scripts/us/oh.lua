-- Ohio (US-OH): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 43201 of TAXRATES_ZIP5_OH202512.csv: state 5.75%, county 1.25%, district 1%
local common = require "_common"

return common.state{
  code = "OH",
  name = "Ohio",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    iaas_paas = { business = "taxable", individual = "exempt" }, -- R.C. 5739.01(B)(3)(e), (Y)(1)(a): providing computer time and storage is automatic data processing, a sale when bought for use in business
    data_processing = { business = "taxable", individual = "exempt" }, -- R.C. 5739.01(B)(3)(e), (Y)(1)(a): automatic data processing is a sale when bought for use in business; not for personal use
    information_services = { business = "taxable", individual = "exempt" }, -- R.C. 5739.01(B)(3)(e), (Y)(1)(c): electronic information services taxable when bought for use in business; not for personal use
    repair_services = "taxable", -- R.C. 5739.01(B)(3)(a): repair of tangible personal property
    installation = "taxable", -- R.C. 5739.01(B)(3)(b): installation of tangible personal property
    -- R.C. 5739.01(B)(3)(e) (Ohio Adm. Code 5703-9-46; ST 1999-04): automatic data processing,
    -- computer and electronic information services are a sale only when provided "for use in
    -- business"; bought by an individual for personal use they are not taxed. Customer type:
    -- docs/rules.md.
    saas = { business = "taxable", individual = "exempt" }, -- [TF] R.C. 5739.01(B)(3)(e)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods", -- R.C. 5739.01(H) (price includes delivery charges); SSUTA sec. 317 (OH is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
  },
  selftest = {
    -- issue 19, law24: the state rate 5.5 % -> 5.75 % from 2013-09-01 (H.B. 59; data/us/overlays.csv), both sides
    { name = "state rate on 2013-08-31: 5.50 %",
      request = common.request("OH", "Columbus", "43201", "2013-08-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.75", lines = { { taxes = { { level = "state", percentage = "5.50" } } } } } },
    { name = "state rate on 2013-09-01: 5.75 %",
      request = common.request("OH", "Columbus", "43201", "2013-09-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { taxes = { { level = "state", percentage = "5.75" } } } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "infrastructure as a service for an individual: not a sale",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "iaas_paas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for personal use: not a sale",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "saas_personal") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for business use: taxable",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "saas_business") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "information services for a business: taxable",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "information_services") }, { customer = { type = "business" } }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "information services for an individual: not a sale",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "information_services") }, { customer = { type = "individual" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "repair of goods: taxable",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (8%)",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for an individual (personal use): not a sale",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for a business: taxable",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "business" } }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.81", lines = { { tax = "8.00" }, { tax = "0.81", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("OH", "Columbus", "43201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "8.40", lines = { { tax = "8.00" }, { tax = "0.00" }, { tax = "0.40", taxability_reason = "partially_taxable" } } } },
  },
}
