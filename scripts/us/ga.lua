-- Georgia (US-GA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 30303 of TAXRATES_ZIP5_GA202512.csv: state 4%, county 3%, city 1.5%, district 0.4%
local common = require "_common"

return common.state{
  code = "GA",
  name = "Georgia",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    software_download = "exempt", -- O.C.G.A. 48-8-3(94): software delivered electronically exempt
    shipping = "follows_goods", -- O.C.G.A. 48-8-2 (sales price includes delivery charges); SSUTA sec. 317 (GA is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
    food_grocery = { exempt_levels = { "state" } }, -- O.C.G.A. 48-8-3(57): food exempt from the 4% state tax; local sales taxes still apply
  },
  selftest = {
    { name = "general goods at the ZIP rate (8.9%)",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.90", lines = { { tax = "8.90", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.79", lines = { { tax = "8.90" }, { tax = "0.89", taxability_reason = "standard_rated" } } } },
    { name = "groceries: state level exempt, local rates apply",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "4.90", lines = { { tax = "4.90", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("GA", "Atlanta", "30303", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "9.35", lines = { { tax = "8.90" }, { tax = "0.00" }, { tax = "0.45", taxability_reason = "partially_taxable" } } } },
  },
}
