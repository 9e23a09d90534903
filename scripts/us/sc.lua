-- South Carolina (US-SC): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 29201 of TAXRATES_ZIP5_SC202512.csv: state 6%, city 1%, district 1%
local common = require "_common"

return common.state{
  code = "SC",
  name = "South Carolina",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "taxable", -- [TF] taxable as a communications/data service (SC Rev. Rul. 03-5)
    software_download = "exempt", -- SC Rev. Rul. 03-5: software delivered electronically is not tangible personal property (doubt)
    shipping = "follows_goods", -- S.C. Code 12-36-90 (gross proceeds include transportation); Reg. 117-310; SC Rev. Rul. 19-9: delivery with an exempt sale not taxable, a bundle of taxable and exempt sales prorated by taxable sales (FOB-origin common-carrier sales not modelled: doubt)
    food_grocery = { exempt_levels = { "state" } }, -- S.C. Code 12-36-2120(75): unprepared food exempt from state tax; local taxes apply
  },
  selftest = {
    { name = "general goods at the ZIP rate (8%)",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.80", lines = { { tax = "8.00" }, { tax = "0.80", taxability_reason = "standard_rated" } } } },
    { name = "groceries: state level exempt, local rates apply",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "2.00", lines = { { tax = "2.00", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("SC", "Columbia", "29201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "8.40", lines = { { tax = "8.00" }, { tax = "0.00" }, { tax = "0.40", taxability_reason = "partially_taxable" } } } },
  },
}
