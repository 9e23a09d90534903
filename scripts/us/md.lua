-- Maryland (US-MD): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 21201 of TAXRATES_ZIP5_MD202512.csv: state 6%
local common = require "_common"

return common.state{
  code = "MD",
  name = "Maryland",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- HB 352 (2025), Md. Code Tax-Gen. 11-104(l): 3 % on data/IT services and software publishing
    -- sold for business use from 2025-07-01; SaaS bought by an individual for personal use is a
    -- digital product at the general 6 % (Tax-Gen. 11-101(c-3); B2B excluded since 2022-07-01).
    -- Customer type: docs/rules.md.
    saas = { business = { rate = "3.00", level = "state" }, individual = "taxable" }, -- [TF]
    digital_goods = "taxable", -- Md. Code Tax-Gen. 11-101: digital products taxable since 2021-03-14
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
  },
  selftest = {
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: state rate 3.00% only",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "SaaS for an individual (personal use): 6%",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for a business: 3%",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "business" } }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
