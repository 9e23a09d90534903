-- Idaho (US-ID): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 83702 of TAXRATES_ZIP5_ID202512.csv: state 6%
local common = require "_common"

return common.state{
  code = "ID",
  name = "Idaho",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    software_download = "exempt", -- Idaho Code 63-3616 (HB 183, 2018): electronically delivered software is not tangible personal property
    digital_goods = "taxable", -- Idaho Code 63-3616(b): digital music/books/video with a permanent right of use are taxable
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = "taxable", -- groceries are taxable (relief through the income-tax grocery credit)
  },
  selftest = {
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("ID", "Boise", "83702", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("ID", "Boise", "83702", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("ID", "Boise", "83702", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: taxable",
      request = common.request("ID", "Boise", "83702", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("ID", "Boise", "83702", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("ID", "Boise", "83702", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
