-- Oklahoma (US-OK): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 73102 of TAXRATES_ZIP5_OK202512.csv: state 4.5%, city 4.125%
local common = require "_common"

return common.state{
  code = "OK",
  name = "Oklahoma",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    gift_card = "exempt", -- Okla. Admin. Code 710:65-19-126: the sale of gift certificates and similar documents is not subject to tax; tax is due on the selling price of what they are redeemed for
    software_download = "exempt", -- OAC 710:65-19-52: software delivered electronically is not tangible personal property
    shipping = "exempt", -- Okla. Admin. Code 710:65-19-70(b): separately stated delivery charges (transportation, shipping, postage, handling) are not subject to sales tax; included in the price they are (c)
    food_grocery = { -- issue 19, dated taxability: the date the comment gave is now the row's
      { "taxable", to = "2024-08-28", cite = "68 O.S. 1354 before HB 1955 (2024): food for home consumption taxed at the full 4.5% state rate and local rates" },
      { { exempt_levels = { "state" } }, from = "2024-08-29", cite = "HB 1955 (2024), 68 O.S. 1357.21: state rate on food and food ingredients 0% from 2024-08-29; local taxes apply" },
    },
  },
  selftest = {
    { name = "gift card: not taxed when sold (cited row, no fallback note)",
      request = common.request("OK", "Oklahoma City", "73102", "2026-03-01", { common.line("1", "100.00", "1", "gift_card") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (8.625%)",
      request = common.request("OK", "Oklahoma City", "73102", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.63", lines = { { tax = "8.63", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("OK", "Oklahoma City", "73102", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("OK", "Oklahoma City", "73102", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.63", lines = { { tax = "8.63" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state level exempt, local rates apply",
      request = common.request("OK", "Oklahoma City", "73102", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "4.13", lines = { { tax = "4.13", taxability_reason = "partially_taxable" } } } },
    { name = "groceries 2024-08-28: full rate (before HB 1955)",
      request = common.request("OK", "Oklahoma City", "73102", "2024-08-28", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.63", lines = { { tax = "8.63", taxability_reason = "standard_rated" } } } },
    { name = "groceries 2024-08-29: state level exempt (HB 1955)",
      request = common.request("OK", "Oklahoma City", "73102", "2024-08-29", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "4.13", lines = { { tax = "4.13", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("OK", "Oklahoma City", "73102", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("OK", "Oklahoma City", "73102", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
