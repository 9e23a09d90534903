-- Mississippi (US-MS): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 39201 of TAXRATES_ZIP5_MS202512.csv: state 7%, city 1%
local common = require "_common"

return common.state{
  code = "MS",
  name = "Mississippi",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    -- issue 19, product taxonomy (law22): repair of goods is an enumerated taxable service here
    repair_services = "taxable", -- Miss. Code Ann. 27-65-23 (7 % of gross income): "Foundries, machine or general repairing", "Office and business machine repairing", vehicle, furniture, jewelry or watch, radio or television repairing
    saas = "taxable", -- [TF] taxable (sources conflict: Doola says no) (doubt)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods_any", -- 35 Miss. Admin. Code Pt. 4, 4-02-03-100: delivery charges in connection with the sale of taxable property are gross proceeds even if separately stated; exempt goods: not taxable (DOR Delivery Charges); a mixed shipment: the whole charge (secondary: doubt)
    food_grocery = common.state_rate("5.00"), -- HB 1 (2025): state rate on groceries 7% -> 5% from 2025-07-01
  },
  -- HB 1 (2025): 7% until 2025-06-30
  calculate_for = { "food_grocery" }, -- calculate acts on these lines only
  calculate = function(ctx)
    common.dated_state_rate(ctx, "food_grocery", {
      { before = "2025-07-01", rate = "7.00", reason = "standard_rated" },
    }, "MISSISSIPPI")
  end,
  selftest = {
    { name = "general goods at the ZIP rate (8%)",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.80", lines = { { tax = "8.00" }, { tax = "0.80", taxability_reason = "standard_rated" } } } },
    { name = "groceries: state rate 5.00%, local rates kept",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries on 2025-06-30: state 7.00%",
      request = common.request("MS", "Jackson", "39201", "2025-06-30", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries on 2025-07-01: today's treatment",
      request = common.request("MS", "Jackson", "39201", "2025-07-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "reduced_rated" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed in full (a taxable item is in it)",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "9.60", lines = { { tax = "8.00" }, { tax = "0.00" }, { tax = "1.60", taxability_reason = "standard_rated" } } } },
    { name = "repair of goods: taxable (law22)",
      request = common.request("MS", "Jackson", "39201", "2026-03-01", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
  },
}
