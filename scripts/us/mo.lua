-- Missouri (US-MO): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 64106 of TAXRATES_ZIP5_MO202512.csv: state 4.225%, county 1.375%, city 3.25%, district 3.125%
local common = require "_common"

return common.state{
  code = "MO",
  name = "Missouri",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    software_download = "exempt", -- 12 CSR 10-109.050: software delivered electronically is not tangible personal property
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = common.state_rate("1.225"), -- RSMo 144.014: state rate on food 1.225%; local rates apply
  },
  selftest = {
    { name = "general goods at the ZIP rate (11.975%)",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "11.99", lines = { { tax = "11.99", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "11.99", lines = { { tax = "11.99" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state rate 1.225%, local rates kept",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.99", lines = { { tax = "8.99", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
