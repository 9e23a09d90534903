-- Vermont (US-VT): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 05401 of TAXRATES_ZIP5_VT202512.csv: state 6%, city 1%
local common = require "_common"

-- Prepared food (issue 19): not under the 6 % sales tax but under the separate meals and rooms
-- tax, 32 V.S.A. ch. 225: 9 % on each taxable meal (32 V.S.A. 9241(b); text of 2013 (Justia,
-- last amended 1997, No. 60) and of the 2024 session (legislature.vermont.gov); "9% meals tax"
-- on tax.vermont.gov "Local Option Tax"). A restaurant's food and a non-restaurant's prepared,
-- non-prepackaged food are taxable meals (32 V.S.A. 9202(10); tax.vermont.gov "Meals and
-- Rooms Tax: Getting Started"), which is what levy's prepared_food means. The state entry
-- carries the 9 % (the meals tax is filed with the Department of Taxes like the sales tax).
-- Local: a town's 1 % local option meals tax (24 V.S.A. 138; "9% meals tax + 1% = 10%") is a
-- separate vote from its 1 % local option sales tax; levy keeps the ZIP table's local 1 %,
-- which is right where a town levies both (Williston, South Burlington, Colchester, Middlebury,
-- Manchester, Stratton, ...: the two lists of tax.vermont.gov "Local Option Tax"). Doubt, not
-- modelled: towns with only one of the two (meals only: Hartford, Montpelier; the table's ZIP
-- may name another town), and Burlington and Rutland City, which collect their own meals
-- taxes. The 9 % is applied for every date (the statute's text shows it from 1997 at least;
-- earlier rates not modelled).
local MEALS_RATE = "9.00"

local function calculate(ctx)
  common.state_rate_for(ctx, "prepared_food", MEALS_RATE)
end

return common.state{
  code = "VT",
  name = "Vermont",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    clothing_accessories = "taxable", -- 32 V.S.A. 9741(45) exempts clothing as defined in 9701 (SSUTA), which excludes clothing accessories or equipment
    saas = {
      { "exempt", to = "2024-06-30", cite = "2015 Acts and Resolves No. 51, Sec. G.8: prewritten software accessed remotely exempt (VT Dept. of Taxes 'Prewritten Computer Software': exempt since 2015; earlier periods not modelled)" },
      { "taxable", from = "2024-07-01", cite = "[TF] Act 183 (H.887) of 2024, 32 V.S.A. 9701(7): prewritten software taxable however delivered or accessed, from 2024-07-01 (tax.vermont.gov 'Prewritten Computer Software')" },
    },
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods", -- 32 V.S.A. 9701 (sales price includes delivery charges); SSUTA sec. 317 (VT is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
    clothing = "exempt", -- 32 V.S.A. 9741(45): clothing exempt
  },
  calculate_for = { "prepared_food" }, -- calculate acts on these lines only (the 9 % meals tax above)
  calculate = calculate,
  selftest = {
    -- issue 19: prepared food under the 9 % meals and rooms tax (header)
    { name = "prepared food in Bennington: 9% meals tax, not the 6% sales tax",
      request = common.request("VT", "Bennington", "05201", "2025-12-15", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "standard_rated", taxes = { { level = "state", percentage = "9.00" } } } } } },
    { name = "prepared food in Williston: 9% + 1% local option = 10%",
      request = common.request("VT", "Williston", "05495", "2025-12-15", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00" } },
    { name = "general goods in Bennington: 6% sales tax",
      request = common.request("VT", "Bennington", "05201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "SaaS 2024-06-30: exempt (2015 exemption)",
      request = common.request("VT", "Burlington", "05401", "2024-06-30", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS 2024-07-01: taxable (Act 183 of 2024)",
      request = common.request("VT", "Burlington", "05401", "2024-07-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "clothing accessory: taxable (clothing is exempt)",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "clothing_accessories") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (7%)",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.70", lines = { { tax = "7.00" }, { tax = "0.70", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing exempt",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "7.35", lines = { { tax = "7.00" }, { tax = "0.00" }, { tax = "0.35", taxability_reason = "partially_taxable" } } } },
  },
}
