-- Colorado (US-CO): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 80202 of TAXRATES_ZIP5_CO202512.csv: state 2.9%, city 5.15%, district 1.1%
local common = require "_common"

return common.state{
  code = "CO",
  name = "Colorado",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "exempt", -- [TF] not taxable at state level; some home-rule cities tax it (doubt: Denver does not)
    digital_goods = "taxable", -- HB21-1312: digital goods are tangible personal property since 2021-07-01
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
  },
  selftest = {
    { name = "general goods at the ZIP rate (9.15%)",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.15", lines = { { tax = "9.15", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.15", lines = { { tax = "9.15" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
