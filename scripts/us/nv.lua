-- Nevada (US-NV): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 89101 of TAXRATES_ZIP5_NV202512.csv: state 4.6%, county 3.775%
local common = require "_common"

return common.state{
  code = "NV",
  name = "Nevada",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    software_download = "exempt", -- NAC 372: electronically delivered software is not tangible personal property
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
  },
  selftest = {
    { name = "general goods at the ZIP rate (8.375%)",
      request = common.request("NV", "Las Vegas", "89101", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.38", lines = { { tax = "8.38", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("NV", "Las Vegas", "89101", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("NV", "Las Vegas", "89101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.38", lines = { { tax = "8.38" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("NV", "Las Vegas", "89101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("NV", "Las Vegas", "89101", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("NV", "Las Vegas", "89101", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
