-- Alabama (US-AL): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 35203 of TAXRATES_ZIP5_AL202512.csv: state 4%, county 2%, city 4%
local common = require "_common"

return common.state{
  code = "AL",
  name = "Alabama",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "taxable", -- [TF] taxable per most guides; ALDOR position contested (doubt)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = common.state_rate("2.00"), -- Act 2023-554: state food rate 4% -> 3% (2023-09-01) -> 2% (2025-09-01); local rates still apply
  },
  -- Act 2023-554: 4% until 2023-08-31, 3% until 2025-08-31
  calculate_for = { "food_grocery" }, -- calculate acts on these lines only
  calculate = function(ctx)
    common.dated_state_rate(ctx, "food_grocery", {
      { before = "2023-09-01", rate = "4.00", reason = "standard_rated" },
      { before = "2025-09-01", rate = "3.00" },
    }, "ALABAMA")
  end,
  selftest = {
    { name = "general goods at the ZIP rate (10%)",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state rate 2.00%, local rates kept",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries on 2023-08-31: state 4.00%",
      request = common.request("AL", "Birmingham", "35203", "2023-08-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries on 2025-08-31: state 3.00%",
      request = common.request("AL", "Birmingham", "35203", "2025-08-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries on 2025-09-01: today's treatment",
      request = common.request("AL", "Birmingham", "35203", "2025-09-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "reduced_rated" } } } },
  },
}
