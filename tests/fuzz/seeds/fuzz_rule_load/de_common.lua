-- Delaware (US-DE): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 19801 of TAXRATES_ZIP5_DE202512.csv: all rates 0
local common = require "_common"

return common.state{
  code = "DE",
  name = "Delaware",
  no_sales_tax = true,          -- no statewide or local sales tax (tax-facts §1, "States without a sales tax")
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
  },
  selftest = {
    { name = "no sales tax on general goods",
      request = common.request("DE", "Wilmington", "19801", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "no_tax_in_region" } } } },
    { name = "no sales tax on SaaS",
      request = common.request("DE", "Wilmington", "19801", "2025-12-15", { common.line("1", "250.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
  },
}
