-- Arkansas (US-AR): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 72201 of TAXRATES_ZIP5_AR202512.csv: state 6.5%, county 1%, city 1.125%
local common = require "_common"

return common.state{
  code = "AR",
  name = "Arkansas",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    software_download = "exempt", -- [SST] Arkansas taxability matrix: prewritten software delivered electronically exempt
    digital_goods = {
      { "exempt", to = "2017-12-31", cite = "before Act 141 of 2017: digital products delivered electronically were not taxed (TTR 2017-02-10 on HB 1162)" },
      { "taxable", from = "2018-01-01", cite = "Act 141 of 2017 (HB 1162), Ark. Code 26-52-301: specified digital products (digital audio, audio-visual works, books) and digital codes taxable from 2018-01-01, with a permanent or less than permanent right of use (streaming subscriptions too); Sales Tax Institute; KPMG TWIST 2017-02-20; DFA Revenue Legal Counsel Opinion 20180921" },
    },
    shipping = "follows_goods", -- Ark. Code Ann. 26-52-103 (sales price includes delivery charges); SSUTA sec. 317 (AR is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
    food_grocery = { -- issue 19, dated taxability
      { common.state_rate("0.125"), to = "2025-12-31", cite = "Ark. Code 26-52-317: state food rate 0.125% (since 2018-01-01), local rates apply in full" },
      { { exempt_levels = { "state" } }, from = "2026-01-01", cite = "Act 1008 of 2025 (HB 1685, Grocery Tax Relief Act): food and food ingredients exempt from the state sales and use tax from 2026-01-01; city and county taxes still apply (TaxCloud, TaxValet, KNWA 2026-01)" },
    },
  },
  selftest = {
    -- issue 19, law24: the state rate 6 % -> 6.5 % from 2013-07-01 (Amendment 91; data/us/overlays.csv), both sides
    { name = "state rate on 2013-06-30: 6.00 % (its start unknown: note)",
      request = common.request("AR", "Little Rock", "72201", "2013-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.13", lines = { { taxes = { { level = "state", percentage = "6.00" } } } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "state rate on 2013-07-01: 6.50 %",
      request = common.request("AR", "Little Rock", "72201", "2013-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.63", lines = { { taxes = { { level = "state", percentage = "6.50" } } } } } },
    { name = "e-book 2017-12-31: not taxed (before Act 141 of 2017)",
      request = common.request("AR", "Little Rock", "72201", "2017-12-31", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "e-book 2018-01-01: taxable (Act 141 of 2017)",
      request = common.request("AR", "Little Rock", "72201", "2018-01-01", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "8.63", lines = { { taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (8.625%)",
      request = common.request("AR", "Little Rock", "72201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.63", lines = { { tax = "8.63", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("AR", "Little Rock", "72201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("AR", "Little Rock", "72201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.49", lines = { { tax = "8.63" }, { tax = "0.86", taxability_reason = "standard_rated" } } } },
    { name = "groceries 2025-12-31: state rate 0.125%, local rates kept",
      request = common.request("AR", "Little Rock", "72201", "2025-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "2.26", lines = { { tax = "2.26", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2026-01-01: state exempt (Act 1008 of 2025), local rates kept",
      request = common.request("AR", "Little Rock", "72201", "2026-01-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "2.13", lines = { { tax = "2.13", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("AR", "Little Rock", "72201", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("AR", "Little Rock", "72201", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("AR", "Little Rock", "72201", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("AR", "Little Rock", "72201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "9.07", lines = { { tax = "8.63" }, { tax = "0.00" }, { tax = "0.44", taxability_reason = "partially_taxable" } } } },
  },
}
