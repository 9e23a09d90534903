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
-- separate vote from its 1 % local option sales tax, and each reaches only its own state tax:
-- the local sales tax is on sales under the sales tax, the local meals tax on meals under the
-- meals tax (tax.vermont.gov "Local Option Tax": "Local Option Sales Tax: 6% sales tax + 1% =
-- 7%"; "Local Option Meals Tax: 9% meals tax + 1% = 10%"). levy keeps the ZIP table's local 1 %
-- (a sales-tax rate) on a meal where the town levies both, which is the same 1 %. The state's
-- two lists (tax.vermont.gov "Local Option Tax", "Municipalities that have a 1% Local Option
-- Sales Tax" / "... Meals and Rooms Tax and Alcoholic Beverage Tax", with their start dates;
-- the page of 2022-2023, with Barre City, Essex Junction and Montgomery from Oct. 2022) settle:
--   * Killington: meals, rooms and alcohol from Oct. 2008; its sales tax of Oct. 2008 was
--     "Rescinded as of 7/1/2018". The Dec-2025 table gives 05751 KILLINGTON no local rate (right
--     for sales since 2018-07-01): the 1 % on meals is added here (KILLINGTON_MEALS), and the
--     sales tax of 2008-10-01..2018-06-30 is a row of data/us/overlays.csv.
--   * Burlington: sales tax from July 2006 but on neither meals list: "The City of Burlington
--     and the City of Rutland administer and collect their own local meals, entertainment,
--     lodging, or alcoholic beverage taxes". So a meal in Burlington (the table's BURLINGTON
--     ZIPs 05401, 05402, 05405, 05408) carries no local option tax: levy drops the table's 1 %
--     from prepared food there (SALES_NOT_ON_MEALS). The city's own meals tax is not modelled: its rate
--     was not found in the stored sources (doubt); nor is Rutland City's (the table's 05702
--     RUTLAND 1 % is Rutland City's sales tax approved in March 2023, VTDigger 2023-03-07,
--     newer than the state's list; on a meal it stands in for the city's own meals tax: doubt).
-- Other doubts, not modelled: the table gives a local 1 % to towns not on the state's sales
-- list, whose sales taxes are newer than it: Stowe, Shelburne and Rutland City voted theirs in
-- March 2023 (VTDigger 2023-03-07), Berlin's charter allows one since 2024 (24 App. V.S.A. ch.
-- 105 sec. 32(d), H.885 of 2024, approved by the voters 2024-03-05: so 05602, the Montpelier
-- ZIP the table names BERLIN, may carry it in Berlin's part; Montpelier itself is on the meals
-- list only, from Oct. 2016: 05602 is a ZIP of two towns), Hartford and Ludlow voted on theirs
-- in March 2025 (Connecticut Public 2025-02-28); their meals taxes where not on the state's
-- list (Shelburne, Waterbury, Ludlow, Berlin, Marlboro) are not known here, and the table's
-- 1 % is kept on their meals. Montgomery is on both state lists from Oct. 2022 but has no local
-- rate in the Dec-2025 table (not changed: which is current was not found). The 9 % is applied
-- for every date (the statute's text shows it from 1997 at least; earlier rates not modelled).
local local_tax = require "_lib.local_tax"

local KILLINGTON_MEALS = {
  name = "Killington local option meals tax",
  jurisdiction = "KILLINGTON", level = "city", type = "SALES_TAX", city = "KILLINGTON", city_name = "Killington",
  zips = { "05751" }, -- the table's KILLINGTON ZIP with the town's post office (05035, which the table also names KILLINGTON, is Bridgewater Corners: not charged)
  codes = { prepared_food = true },
  rates = {
    { rate = "1.00", from = "2008-10-01", cite = "24 V.S.A. 138; tax.vermont.gov 'Local Option Tax': Killington, 1% Local Option Meals and Rooms Tax and Alcoholic Beverage Tax, Oct. 2008" },
  },
}

-- ZIPs where the local rate of the rate data is a sales tax that does not reach a meal (the
-- state's two lists, above): Burlington (a sales tax and no local option meals tax) and
-- Killington (its sales tax of 2008-10-01..2018-06-30, overlays.csv; its meals tax is
-- KILLINGTON_MEALS). A meal there keeps only the state's 9 % before KILLINGTON_MEALS applies.
local SALES_NOT_ON_MEALS = { ["05401"] = true, ["05402"] = true, ["05405"] = true, ["05408"] = true, ["05751"] = true }

local MEALS_RATE = "9.00"

local function calculate(ctx)
  common.state_rate_for(ctx, "prepared_food", MEALS_RATE)
  local zip = ctx.ship_to and type(ctx.ship_to.zip_code) == "string" and ctx.ship_to.zip_code:sub(1, 5) or ""
  if SALES_NOT_ON_MEALS[zip] then -- the local sales tax does not reach a meal (header)
    for _, line in ipairs(common.taxed_lines(ctx, function(l) return l.tax_code == "prepared_food" end)) do
      local keep = {}
      for _, t in ipairs(line.taxes) do
        if t.level == "state" then keep[#keep + 1] = t end
      end
      line.taxes = keep
    end
  end
  local_tax.apply(ctx, KILLINGTON_MEALS)
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
  calculate_for = { "prepared_food" }, -- calculate acts on these lines only (the 9 % meals tax and the local option taxes on meals above)
  calculate = calculate,
  selftest = {
    -- issue 19: a town's local option meals tax without its sales tax, and the reverse (header)
    { name = "prepared food in Killington 2025-12-15: 9% + the town's 1% meals tax = 10%",
      request = common.request("VT", "Killington", "05751", "2025-12-15", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxes = { { level = "state", percentage = "9.00" }, { level = "city", percentage = "1.00" } } } } } },
    { name = "prepared food in Killington 2008-09-30: before the town's meals tax: 9%",
      request = common.request("VT", "Killington", "05751", "2008-09-30", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "9.00" } },
    { name = "prepared food in Killington 2008-10-01: 10%",
      request = common.request("VT", "Killington", "05751", "2008-10-01", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00" } },
    { name = "general goods in Killington 2025-12-15: 6% (its sales tax rescinded 2018-07-01)",
      request = common.request("VT", "Killington", "05751", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "general goods in Killington 2018-06-30: 7% (its sales tax, Oct. 2008 to 2018-06-30)",
      request = common.request("VT", "Killington", "05751", "2018-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00" } },
    { name = "general goods in Killington 2018-07-01: 6%",
      request = common.request("VT", "Killington", "05751", "2018-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "general goods in Killington 2008-09-30: 6% (before its sales tax)",
      request = common.request("VT", "Killington", "05751", "2008-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "prepared food in Burlington: 9%, the city's local sales tax does not reach meals",
      request = common.request("VT", "Burlington", "05401", "2025-12-15", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxes = { { level = "state", percentage = "9.00" } } } } } },
    { name = "prepared food in South Burlington: 9% + 1% (both its local taxes)",
      request = common.request("VT", "South Burlington", "05403", "2025-12-15", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00" } },
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
