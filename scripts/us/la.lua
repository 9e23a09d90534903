-- Louisiana (US-LA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 70113 of TAXRATES_ZIP5_LA202512.csv: state 5%, county 5%, district 1%
local common = require "_common"

return common.state{
  code = "LA",
  name = "Louisiana",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "taxable", -- [TF] Act 5 of the 2024 3rd Extraordinary Session: digital products incl. remote software taxable from 2025-01-01
    digital_goods = "taxable", -- same Act 5 (2024 3rd ES), from 2025-01-01
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = { exempt_levels = { "state" } }, -- La. R.S. 47:305(D)(1)(n): food for home consumption exempt from state tax; parish taxes apply
  },
  selftest = {
    { name = "general goods at the ZIP rate (11%)",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state level exempt, local rates apply",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
