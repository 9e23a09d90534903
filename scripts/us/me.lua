-- Maine (US-ME): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 04101 of TAXRATES_ZIP5_ME202512.csv: state 5.5%
local common = require "_common"

return common.state{
  code = "ME",
  name = "Maine",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "exempt", -- [TF] not taxable (sources conflict)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "exempt", -- 36 M.R.S. 1752(14)(B): separately stated delivery charges excluded when the buyer can avoid them (doubt)
  },
  selftest = {
    { name = "general goods at the ZIP rate (5.5%)",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.50", lines = { { tax = "5.50", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "5.50", lines = { { tax = "5.50" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
