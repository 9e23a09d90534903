-- Virginia (US-VA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 23219 of TAXRATES_ZIP5_VA202512.csv: state 4.3%, city 1%, district 0.7%
local common = require "_common"

return common.state{
  code = "VA",
  name = "Virginia",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    software_download = "exempt", -- Va. Dept. of Taxation rulings (e.g. P.D. 08-83): prewritten software delivered electronically, with no tangible medium, is not taxable (doubt on the ruling number)
    shipping = "exempt", -- Va. Code 58.1-609.5(3): transportation charges separately stated are exempt
    -- a combined "shipping and handling" charge (issue 19, shipping): 23VAC10-210-6000 says
    -- transportation charges do not include handling charges, so a charge that combines them is
    -- part of the sales price (Rulings of the Tax Commissioner P.D. 89-132 (1989-04-27), 91-223
    -- (1991-09-23), 13-37 (2013-03-20): "the combined shipping and handling charge is taxable,
    -- even if separately stated"); with exempt goods it is part of an exempt sale
    shipping_handling = "follows_goods",
    -- Code of Va. 58.1-611.1: food 0 % state from 2023-01-01; the uniform 1 % local tax stays, levied by
    -- the county or independent city (58.1-605/606) - the ZIP table carries it as the county's
    -- component, or the city's for an independent city - so it is filed as local, not state
    food_grocery = { rate = "1.00", level = "county", keep_levels = { "city" } },
  },
  selftest = {
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("VA", "Richmond", "23219", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("VA", "Richmond", "23219", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping and handling with taxable goods: taxable (P.D. 91-223)",
      request = common.request("VA", "Richmond", "23219", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.00" }, { tax = "0.60", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("VA", "Richmond", "23219", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: the 1.00% local tax only",
      request = common.request("VA", "Richmond", "23219", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated",
                 taxes = { { level = "city", amount = "1.00" } } } } } }, -- Richmond city's
    { name = "groceries in a county: the county's 1.00% local tax",
      request = common.request("VA", "Henrico", "23228", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated",
                 taxes = { { level = "county", amount = "1.00" } } } } } },
    { name = "professional services: exempt",
      request = common.request("VA", "Richmond", "23219", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("VA", "Richmond", "23219", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
