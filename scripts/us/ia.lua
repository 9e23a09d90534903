-- Iowa (US-IA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 50309 of TAXRATES_ZIP5_IA202512.csv: state 6%, county 1%
local common = require "_common"

return common.state{
  code = "IA",
  name = "Iowa",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- Iowa Code 423.3(104) (Iowa Admin. Code r. 701-225.7): specified digital products,
    -- prewritten software and SaaS (423.2(6)"bu") sold to a commercial enterprise for its
    -- exclusive use are exempt; sold to an individual for personal use they are taxable
    -- (r. 701-211.35). Customer type: docs/rules.md.
    -- Before 2019-01-01 every product delivered electronically was exempt and SaaS was not an
    -- enumerated service (Iowa DOR "Taxation of Specified Digital Products, Software, and Related
    -- Services"); S.F. 2417 (2018 Iowa Acts ch. 1161) taxed them, with the commercial enterprise
    -- exemption, from 2019-01-01.
    saas = {
      { "exempt", to = "2018-12-31", cite = "Iowa DOR guidance on S.F. 2417: before 2019-01-01 SaaS was not a taxable enumerated service" },
      { { business = "exempt", individual = "taxable" }, from = "2019-01-01", cite = "[TF] S.F. 2417 (2018), Iowa Code 423.2(6)\"bu\", 423.3(104), from 2019-01-01" },
    },
    software_download = {
      { "exempt", to = "2018-12-31", cite = "Iowa DOR guidance on S.F. 2417: before 2019-01-01 prewritten software delivered electronically was exempt" },
      { { business = "exempt", individual = "taxable" }, from = "2019-01-01", cite = "S.F. 2417 (2018), Iowa Code 423.3(104): prewritten software however delivered, from 2019-01-01" },
    },
    digital_goods = {
      { "exempt", to = "2018-12-31", cite = "Iowa DOR guidance on S.F. 2417: before 2019-01-01 products delivered electronically were exempt" },
      { { business = "exempt", individual = "taxable" }, from = "2019-01-01", cite = "S.F. 2417 (2018): specified digital products taxable (423.2(6)\"bv\"), exempt for a commercial enterprise (423.3(104)), from 2019-01-01" },
    },
    -- issue 19, audit law19f: information services are an enumerated taxable service from
    -- 2019-01-01 (S.F. 2417, Iowa Code 423.2(6)"br") and are in the same commercial enterprise
    -- exemption (423.3(104) lists "bq", "br", "bs", "bu"; Sales Tax Institute "Iowa expands tax
    -- base to include additional specified services"). levy fell back to professional services
    -- and left them untaxed for an individual.
    information_services = {
      { "exempt", to = "2018-12-31", cite = "Iowa Code 423.2(6) before S.F. 2417: information services not an enumerated service" },
      { { business = "exempt", individual = "taxable" }, from = "2019-01-01", cite = "S.F. 2417 (2018 Iowa Acts ch. 1161), Iowa Code 423.2(6)\"br\" (information services taxable from 2019-01-01), 423.3(104) (exempt sold to a commercial enterprise for its exclusive use); Sales Tax Institute" },
    },
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
  },
  selftest = {
    { name = "SaaS for an individual 2018-12-31: not taxable (before S.F. 2417)",
      request = common.request("IA", "Des Moines", "50309", "2018-12-31", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for an individual 2019-01-01: taxable (S.F. 2417)",
      request = common.request("IA", "Des Moines", "50309", "2019-01-01", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "e-book for an individual 2018-12-31: not taxable",
      request = common.request("IA", "Des Moines", "50309", "2018-12-31", { common.line("1", "100.00", "1", "digital_books") }, { customer = { type = "individual" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "e-book for an individual 2019-01-01: taxable",
      request = common.request("IA", "Des Moines", "50309", "2019-01-01", { common.line("1", "100.00", "1", "digital_books") }, { customer = { type = "individual" } }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "information services for an individual 2018-12-31: not taxable (before S.F. 2417)",
      request = common.request("IA", "Des Moines", "50309", "2018-12-31", { common.line("1", "100.00", "1", "information_services") }, { customer = { type = "individual" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "information services for an individual 2019-01-01: taxable 7% (423.2(6)\"br\")",
      request = common.request("IA", "Des Moines", "50309", "2019-01-01", { common.line("1", "100.00", "1", "information_services") }, { customer = { type = "individual" } }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "information services for a business 2019-01-01: exempt (423.3(104))",
      request = common.request("IA", "Des Moines", "50309", "2019-01-01", { common.line("1", "100.00", "1", "information_services") }, { customer = { type = "business" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (7%)",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for an individual (personal use): taxable 7%",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for a business (commercial enterprise): exempt",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "business" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "downloaded software for an individual: taxable",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "software_download") }, { customer = { type = "individual" } }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "digital goods for an individual: taxable",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "digital_goods") }, { customer = { type = "individual" } }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "digital goods for a business: exempt",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "digital_goods") }, { customer = { type = "business" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("IA", "Des Moines", "50309", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
