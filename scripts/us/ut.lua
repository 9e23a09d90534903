-- Utah (US-UT): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 84101 of TAXRATES_ZIP5_UT202512.csv: state 4.8499%, county 2.6%, city 1%
local common = require "_common"

return common.state{
  code = "UT",
  name = "Utah",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    saas = "taxable", -- [TF] taxable
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = { rate = "3.00", level = "state" }, -- Utah Code 59-12-103(2)(d): food at a uniform 3% (1.75% state + 1.25% local option)
  },
  selftest = {
    { name = "general goods at the ZIP rate (8.4499%)",
      request = common.request("UT", "Salt Lake City", "84101", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.45", lines = { { tax = "8.45", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("UT", "Salt Lake City", "84101", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "8.45", lines = { { tax = "8.45", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("UT", "Salt Lake City", "84101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.45", lines = { { tax = "8.45" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state rate 3.00% only",
      request = common.request("UT", "Salt Lake City", "84101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("UT", "Salt Lake City", "84101", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("UT", "Salt Lake City", "84101", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
