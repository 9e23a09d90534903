-- Michigan (US-MI): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 48201 of TAXRATES_ZIP5_MI202512.csv: state 6%
local common = require "_common"

return common.state{
  code = "MI",
  name = "Michigan",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    shipping = "follows_goods", -- MCL 205.51(1)(d) (sales price includes delivery charges); Treasury Internal Policy Directive 2004-8: a shipment of taxable and exempt property is allocated by sales price or weight (SSUTA sec. 317); delivery of exempt goods exempt
  },
  selftest = {
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.00" }, { tax = "0.60", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "6.30", lines = { { tax = "6.00" }, { tax = "0.00" }, { tax = "0.30", taxability_reason = "partially_taxable" } } } },
  },
}
