-- Puerto Rico (US-PR): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 00901 of TAXRATES_ZIP5_PR202512.csv: state 10.5%, county 1%
local common = require "_common"

return common.state{
  code = "PR",
  name = "Puerto Rico",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "taxable", -- [TF] taxable (open-sales-tax note)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "exempt", -- delivery charges: no source found; exempt assumed (doubt)
  },
  selftest = {
    { name = "general goods at the ZIP rate (11.5%)",
      request = common.request("PR", "San Juan", "00901", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "11.50", lines = { { tax = "11.50", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("PR", "San Juan", "00901", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "11.50", lines = { { tax = "11.50", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("PR", "San Juan", "00901", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "11.50", lines = { { tax = "11.50" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("PR", "San Juan", "00901", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("PR", "San Juan", "00901", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("PR", "San Juan", "00901", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, dated rates: the IVU by date (data/us/overlays.csv; Act 72-2015, Act 18-2014)
    { name = "2015-06-30: IVU 7 % (6 % + 1 % municipal)",
      request = common.request("PR", "San Juan", "00901", "2015-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "2015-07-01: IVU 11.5 % (10.5 % + 1 %)",
      request = common.request("PR", "San Juan", "00901", "2015-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "11.50", lines = { { tax = "11.50", taxability_reason = "standard_rated" } } } },
    { name = "2014-01-31: IVU 7 % (5.5 % + 1.5 % municipal)",
      request = common.request("PR", "San Juan", "00901", "2014-01-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
  },
}
