-- Kansas (US-KS): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 67202 of TAXRATES_ZIP5_KS202512.csv: state 6.5%, county 1%, district 2%
local common = require "_common"

return common.state{
  code = "KS",
  name = "Kansas",
  sourcing = "destination",
  taxability = {
    shipping = "taxable", -- delivery charges are part of the taxable sales price [SHIP]
    food_grocery = { exempt_levels = { "state" } }, -- SB 1 (2024): state rate on food 0% from 2025-01-01; local sales taxes still apply
  },
  selftest = {
    { name = "general goods at the ZIP rate (9.5%)",
      request = common.request("KS", "Wichita", "67202", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.50", lines = { { tax = "9.50", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("KS", "Wichita", "67202", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("KS", "Wichita", "67202", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "10.45", lines = { { tax = "9.50" }, { tax = "0.95", taxability_reason = "standard_rated" } } } },
    { name = "groceries: state level exempt, local rates apply",
      request = common.request("KS", "Wichita", "67202", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("KS", "Wichita", "67202", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("KS", "Wichita", "67202", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
