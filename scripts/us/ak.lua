-- Alaska (US-AK): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 99801 of TAXRATES_ZIP5_AK202512.csv: county 5%
local common = require "_common"

return common.state{
  code = "AK",
  name = "Alaska",
  no_state_sales_tax = true,    -- no state tax; boroughs and cities levy their own (tax-facts §1, ARSSTC)
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    shipping = "exempt", -- local codes differ; ARSSTC Remote Seller Sales Tax Code leaves delivery to each member (doubt)
  },
  selftest = {
    { name = "general goods at the ZIP rate (5%)",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
