-- Arizona (US-AZ): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 85004 of TAXRATES_ZIP5_AZ202512.csv: state 5.6%, county 0.7%, city 2.8%
local common = require "_common"

return common.state{
  code = "AZ",
  name = "Arizona",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    saas = "taxable", -- [TF] TPT: rental of tangible personal property class
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
  },
  selftest = {
    -- issue 19, law24: the state rate 6.6 % from 2010-06-01 to 2013-05-31 (Proposition 100; data/us/overlays.csv), both sides
    { name = "state rate on 2010-05-31: 5.60 % (its start unknown: note)",
      request = common.request("AZ", "Phoenix", "85004", "2010-05-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.10", lines = { { taxes = { { level = "state", percentage = "5.60" } } } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "state rate on 2010-06-01: 6.60 %",
      request = common.request("AZ", "Phoenix", "85004", "2010-06-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.10", lines = { { taxes = { { level = "state", percentage = "6.60" } } } } } },
    { name = "state rate on 2013-05-31: 6.60 %",
      request = common.request("AZ", "Phoenix", "85004", "2013-05-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.10", lines = { { taxes = { { level = "state", percentage = "6.60" } } } } } },
    { name = "state rate on 2013-06-01: 5.60 %",
      request = common.request("AZ", "Phoenix", "85004", "2013-06-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.10", lines = { { taxes = { { level = "state", percentage = "5.60" } } } } } },
    { name = "general goods at the ZIP rate (9.1%)",
      request = common.request("AZ", "Phoenix", "85004", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.10", lines = { { tax = "9.10", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("AZ", "Phoenix", "85004", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "9.10", lines = { { tax = "9.10", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("AZ", "Phoenix", "85004", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.10", lines = { { tax = "9.10" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("AZ", "Phoenix", "85004", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("AZ", "Phoenix", "85004", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("AZ", "Phoenix", "85004", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
