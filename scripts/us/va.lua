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
  -- issue 19, taxability with dates: before 2023-01-01 groceries also paid a reduced state rate
  -- of 1.5 % (2.5 % in all): Virginia Tax Bulletin 22-12 (2022-10-31) "Reduced Retail Sales and
  -- Use Tax Rate on Food Purchased for Home Consumption and Essential Personal Hygiene Products":
  -- "Effective January 1, 2023 ... Under prior law, groceries were subject to a reduced 1.5%
  -- state sales tax rate and 1% local option sales tax rate for a total rate of 2.5%" (Code of
  -- Va. 58.1-611.1 as amended by 2022 Sp. Sess. I c. 1). The 1.5 % from 2005-07-01: 2005 SB 708
  -- / HB 1638 (LIS summary: "2.5 percent on and after July 1, 2005 (1.5 percent state and 1
  -- percent local)"); before it 3 % state (Washington Post 2005-07-01: "drops from 4 cents per
  -- dollar to 2.5 cents"). Doubt: the 3 % is known only for the months before 2005-07-01 (the
  -- 1999 act's first 0.5 % step, date not verified, made it 3 %; 3.5 % before that).
  calculate_for = { "food_grocery" }, -- calculate acts on these lines only
  calculate = function(ctx)
    common.dated_state_rate(ctx, "food_grocery", {
      { before = "2005-07-01", rate = "3.00" },
      { before = "2023-01-01", rate = "1.50" },
    }, "VIRGINIA")
  end,
  selftest = {
    { name = "groceries in a county 2022-12-31: state 1.5 % + the county's 1 % (TB 22-12)",
      request = common.request("VA", "Henrico", "23228", "2022-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated",
                 taxes = { { level = "county", amount = "1.00" }, { level = "state", amount = "1.50" } } } } } },
    { name = "groceries in a county 2023-01-01: the county's 1 % only",
      request = common.request("VA", "Henrico", "23228", "2023-01-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries in Richmond 2022-12-31: state 1.5 % + the city's 1 %",
      request = common.request("VA", "Richmond", "23219", "2022-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2005-06-30: state 3 % + local 1 % (Washington Post 2005-07-01)",
      request = common.request("VA", "Henrico", "23228", "2005-06-30", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "4.00", lines = { { tax = "4.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2005-07-01: state 1.5 % + local 1 % (2005 SB 708)",
      request = common.request("VA", "Henrico", "23228", "2005-07-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
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
