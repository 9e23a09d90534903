-- Kentucky (US-KY): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 40202 of TAXRATES_ZIP5_KY202512.csv: state 6%
local common = require "_common"

return common.state{
  code = "KY",
  name = "Kentucky",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = {
      { "exempt", to = "2022-12-31", cite = "KRS 139.200 before HB 8 (2022): remote access to prewritten software was not an enumerated taxable service" },
      { "taxable", from = "2023-01-01", cite = "[TF] HB 8 (2022, veto overridden 2022-04-13), KRS 139.010 and 139.200(2)(g): prewritten computer software access services taxable from 2023-01-01 (PwC 'Kentucky enacts major sales tax base expansion' 2022-04; Sovos 2022-04)" },
    },
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods", -- KRS 139.010 (sales price includes delivery charges); SSUTA sec. 317 (KY is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
  },
  selftest = {
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS 2022-12-31: not taxable (before HB 8)",
      request = common.request("KY", "Louisville", "40202", "2022-12-31", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS 2023-01-01: taxable (HB 8)",
      request = common.request("KY", "Louisville", "40202", "2023-01-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.00" }, { tax = "0.60", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("KY", "Louisville", "40202", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "6.30", lines = { { tax = "6.00" }, { tax = "0.00" }, { tax = "0.30", taxability_reason = "partially_taxable" } } } },
  },
}
