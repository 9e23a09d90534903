-- New York (US-NY): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not listed
-- here are the defaults of _common.lua. Self-test expectations are computed from the ZIP rows
-- of TAXRATES_ZIP5_NY202512.csv:
--   10001 NEW YORK CITY  state 4%, city 4.5%, district (MCTD) 0.375%   (8.875%)
--   12207 ALBANY         state 4%, county 4%                          (8%)
--   10509 SOUTHEAST      state 4%, county 4%, district (MCTD) 0.375%   (Putnam County)
--   14701 POLAND         state 4%, county 4%                          (Jamestown, Chautauqua)
--
-- Clothing (tax-facts §5, NY Tax Law 1115(a)(30), Publication 718-C): clothing and footwear
-- under $110 per item are exempt from the 4% state tax everywhere (threshold treatment
-- below). The local tax and the MCTD tax are exempt only in the localities listed in
-- _ny_clothing.lua (data with effective dates), applied by calculate(ctx). Shipping follows
-- the taxability of what is shipped (Tax Bulletin ST-838): declared `follows_goods_any`, the
-- engine keeps on a shipping line only the levels that still tax some goods line.
local common = require "_common"
local money = require "levy.money"
local clothing = require "_ny_clothing"

-- Keeps the entries of `line` for which keep(entry) is true; sets the reason accordingly.
local function filter(line, keep)
  local kept, dropped = {}, false
  for _, t in ipairs(line.taxes) do
    if keep(t) then
      kept[#kept + 1] = t
    else
      dropped = true
    end
  end
  line.taxes = kept
  if #kept == 0 then
    line.reason = "product_exempt"
  elseif dropped then
    line.reason = "partially_taxable"
  end
end

local function calculate(ctx)
  -- 1. Local clothing exemption where the locality enacted it. The state exemption is the
  -- taxability row's (STATE_CLOTHING below, by date): a state entry still on the line is due.
  -- The MCTD (district level) is exempt with the state's exemption only: while the state
  -- exemption was suspended (2010-10-01 to 2011-03-31) or stopped at $55 (to 2012-03-31), New
  -- York City's own exemption covered its 4.5 % city tax alone and "state tax and MCTD tax
  -- (where applicable) will be due on all sales of clothing items" (Sales Tax Strategies
  -- 2010-09-29, NY Department of Finance notice; Gothamist 2010-09: "you'll be paying
  -- 4.375%—4% for NY State, 0.375% for the commuter tax ... The city's 4.5% tax is still exempt
  -- for items under $110").
  for _, line in ipairs(common.taxed_lines(ctx, function(l) return l.tax_code == "clothing" end)) do
    if money.cmp(common.unit_magnitude(line), clothing.THRESHOLD) < 0 then
      local loc = clothing.find(ctx.ship_to, ctx.date, line.taxes)
      local state_exempt = true
      for _, t in ipairs(line.taxes) do
        if t.level == "state" then
          state_exempt = false
        end
      end
      filter(line, function(t)
        if t.level == "state" or (t.level == "district" and not state_exempt) then
          return true
        end
        return not (loc and clothing.exempts(loc, t.level))
      end)
    end
  end
end

-- The state exemption for clothing and footwear by date (NY Tax Law 1115(a)(30)): under $110
-- per item from 2006-04-01 (L. 2006, S.B. 7193; Sales Tax Institute 2006-08-18), suspended from
-- 2010-10-01 to 2011-03-31, under $55 from 2011-04-01 to 2012-03-31, under $110 again from
-- 2012-04-01 (L. 2010 budget legislation; TTR 2012-03-27 "New York Fully Reinstates Exemption
-- for Clothing and Footwear"; NY DTF press release 2012-03-28 via Sales Tax Institute). Before
-- 2006-04-01 not modelled (the first row reaches back: the year-round exemption of 2000-2003
-- and the exemption weeks that followed are not in levy).
local function below(threshold)
  return { threshold = threshold, per = "unit", below = { exempt_levels = { "state" } }, above = "taxable" }
end
local STATE_CLOTHING = {
  { below(clothing.THRESHOLD), to = "2010-09-30", cite = "Tax Law 1115(a)(30): under $110 from 2006-04-01 (S.B. 7193 of 2006)" },
  { "taxable", from = "2010-10-01", to = "2011-03-31", cite = "2010 budget legislation: state exemption suspended (TTR 2012-03-27; Sales Tax Strategies 2010-09-29)" },
  { below("55.00"), from = "2011-04-01", to = "2012-03-31", cite = "2010 budget legislation: under $55 (TTR 2012-03-27; Gothamist 2011-04-01)" },
  { below(clothing.THRESHOLD), from = "2012-04-01", cite = "Tax Law 1115(a)(30): under $110 again from 2012-04-01 (NY DTF press release 2012-03-28; TTR 2012-03-27)" },
}

local function req(city, zip, date, lines)
  return common.request("NY", city, zip, date, lines)
end
local L = common.line

return common.state{
  code = "NY",
  name = "New York",
  sourcing = "destination", -- NY Tax Law 1111: destination (delivery point)
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    information_services = "taxable", -- Tax Law 1105(c)(1): information services (collecting, compiling or analysing information and furnishing reports) taxable at state and local rates; personal or individual information not incorporated into reports to others is excluded (not modelled: doubt)
    custom_software = "exempt", -- Tax Law 1101(b)(6), (14): only prewritten software is tangible personal property; custom software is not
    repair_services = "taxable", -- Tax Law 1105(c)(3): maintaining, servicing or repairing tangible personal property
    installation = "taxable", -- Tax Law 1105(c)(3): installing tangible personal property (not a capital improvement)
    print_publication_subscription = "exempt", -- Tax Law 1115(a)(5): newspapers and periodicals exempt
    clothing_accessories = "taxable", -- Tax Law 1115(a)(30) covers clothing and footwear only; TB-ST-530: jewelry, watches, handbags and similar accessories are not eligible
    saas = "taxable", -- [TF] taxable as a prewritten software licence (TSB-A-09(44)S)
    shipping = "follows_goods_any", -- Tax Bulletin ST-838 (TB-ST-838): delivery of exempt property is exempt; a shipment with any taxable item is taxed in full, per level (the engine decides it after calculate, from the goods as the local clothing exemption left them)
    clothing = STATE_CLOTHING, -- NY Tax Law 1115(a)(30): under $110 per item exempt from the 4% state tax (by date, above)
  },
  calculate_for = { "clothing" }, -- calculate acts on these lines only
  calculate = calculate,
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "information services: taxable (professional services are not)",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "8.88", lines = { { tax = "8.88", taxability_reason = "standard_rated" } } } },
    { name = "custom software: exempt",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "repair of goods: taxable",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "repair_services") }),
      expect = { total_tax = "8.88", lines = { { tax = "8.88", taxability_reason = "standard_rated" } } } },
    { name = "printed newspaper subscription: exempt",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "print_publication_subscription") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing accessory under $110: taxed in full",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "clothing_accessories") }),
      expect = { total_tax = "8.88", lines = { { tax = "8.88", taxability_reason = "standard_rated" } } } },
    -- tax-facts #22: New York 10001 at 8.875% on $100 (4.00 + 4.50 + 0.375 -> 0.38)
    { name = "#22 New York 10001 general $100 at 8.875%",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.88", lines = { { tax = "8.88", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "saas") }),
      expect = { total_tax = "8.88", lines = { { tax = "8.88", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = req("New York", "10001", "2025-12-15", { L("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- Madison County's local exemption ended in 2012 (_ny_clothing.lua)
    { name = "Cazenovia (Madison County) clothing $100 2012-11-30: state and county exempt",
      request = common.request("NY", "Cazenovia", "13035", "2012-11-30", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "Cazenovia (Madison County) clothing $100 2012-12-01: county 4% (exemption repealed)",
      request = common.request("NY", "Cazenovia", "13035", "2012-12-01", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "4.00", lines = { { tax = "4.00", taxability_reason = "partially_taxable" } } } },
    { name = "NYC clothing $50: state, city and MCTD exempt",
      request = req("New York", "10001", "2025-12-15", { L("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- Nassau County and Yonkers ZIPs the ZIP table names NEW YORK CITY (data/us/overlays.csv,
    -- HUD ZIP-county crosswalk: Nassau / Westchester only; Pub 718 and 718-C): not NYC, no
    -- local clothing exemption
    { name = "Great Neck 11021 clothing $50: state exempt, Nassau County 4.25% + MCTD 0.375% (as Mineola 11501)",
      request = common.request("NY", "Great Neck", "11021", "2025-12-15", { common.line("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "2.32", lines = { { tax = "2.32", taxability_reason = "partially_taxable" } } } },
    { name = "Great Neck 11021 general $100: Nassau County's 8.625%, not NYC's 8.875%",
      request = common.request("NY", "Great Neck", "11021", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.63" } },
    { name = "Yonkers 10704 clothing $50: state exempt, Yonkers 4.5% + MCTD 0.375%",
      request = common.request("NY", "Yonkers", "10704", "2025-12-15", { common.line("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "2.44", lines = { { tax = "2.44", taxability_reason = "partially_taxable" } } } },
    { name = "NYC clothing 3 x $100 (per unit under $110): exempt",
      request = req("New York", "10001", "2025-12-15", { L("1", "300.00", "3", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "NYC clothing $120: fully taxable at 8.875%",
      request = req("New York", "10001", "2025-12-15", { L("1", "120.00", "1", "clothing") }),
      expect = { total_tax = "10.65", lines = { { tax = "10.65", taxability_reason = "standard_rated" } } } },
    -- a credit mirrors the sale it refunds (issue 15: the signed unit price was "under $110")
    { name = "NYC clothing credit -$120: mirrors the sale, -10.65",
      request = req("New York", "10001", "2025-12-15", { L("1", "-120.00", "1", "clothing") }),
      expect = { total_tax = "-10.65", lines = { { tax = "-10.65", taxability_reason = "standard_rated" } } } },
    { name = "Albany clothing credit -$50: state exempt as the sale, county -2.00",
      request = req("Albany", "12207", "2025-12-15", { L("1", "-50.00", "1", "clothing") }),
      expect = { total_tax = "-2.00", lines = { { tax = "-2.00", taxability_reason = "partially_taxable" } } } },
    { name = "Albany clothing $109.99: state exempt, county 4% applies",
      request = req("Albany", "12207", "2025-12-15", { L("1", "109.99", "1", "clothing") }),
      expect = { total_tax = "4.40", lines = { { tax = "4.40", taxability_reason = "partially_taxable" } } } },
    { name = "Albany clothing $110.00 (not under $110): fully taxable",
      request = req("Albany", "12207", "2025-12-15", { L("1", "110.00", "1", "clothing") }),
      expect = { total_tax = "8.80", lines = { { tax = "8.80", taxability_reason = "standard_rated" } } } },
    { name = "Putnam clothing $50 before 2024-03-01: county and MCTD apply",
      request = req("Brewster", "10509", "2024-02-29", { L("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "2.19", lines = { { tax = "2.19", taxability_reason = "partially_taxable" } } } },
    { name = "Putnam clothing $50 from 2024-03-01: full exemption",
      request = req("Brewster", "10509", "2024-03-01", { L("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "Jamestown (Chautauqua) clothing $50: full exemption",
      request = req("Jamestown", "14701", "2025-12-15", { L("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "NYC shipping of exempt clothing is exempt",
      request = req("New York", "10001", "2025-12-15",
                    { L("1", "50.00", "1", "clothing"), L("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "Albany shipping of clothing under $110: county only",
      request = req("Albany", "12207", "2025-12-15",
                    { L("1", "50.00", "1", "clothing"), L("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "2.40", lines = { { tax = "2.00" }, { tax = "0.40", taxability_reason = "partially_taxable" } } } },
    { name = "Albany shipping with a $150 coat and a $50 shirt: all levels",
      request = req("Albany", "12207", "2025-12-15",
                    { L("1", "150.00", "1", "clothing"), L("2", "50.00", "1", "clothing"),
                      L("3", "10.00", "1", "shipping") }),
      expect = { total_tax = "14.80", lines = { { tax = "12.00" }, { tax = "2.00" }, { tax = "0.80", taxability_reason = "standard_rated" } } } },
    { name = "NYC shipping with taxable goods: taxable",
      request = req("New York", "10001", "2025-12-15",
                    { L("1", "100.00", "1", "general"), L("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.77", lines = { { tax = "8.88" }, { tax = "0.89", taxability_reason = "standard_rated" } } } },
    -- issue 19, taxability with dates: the state clothing exemption by date (STATE_CLOTHING) and
    -- New York City's own exemption of its city tax meanwhile
    { name = "NYC clothing $100 2010-09-30: fully exempt",
      request = req("New York", "10001", "2010-09-30", { L("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "NYC clothing $100 2010-10-01: state exemption suspended: state 4 % + MCTD 0.375 %, city exempt",
      request = req("New York", "10001", "2010-10-01", { L("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "4.38", lines = { { tax = "4.38", taxability_reason = "partially_taxable" } } } },
    { name = "NYC clothing $50 2011-03-31: state 4 % + MCTD (suspension)",
      request = req("New York", "10001", "2011-03-31", { L("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "2.19", lines = { { tax = "2.19", taxability_reason = "partially_taxable" } } } },
    { name = "NYC clothing $50 2011-04-01: under $55, fully exempt",
      request = req("New York", "10001", "2011-04-01", { L("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "NYC clothing $100 2011-04-01: $55 or more: state + MCTD",
      request = req("New York", "10001", "2011-04-01", { L("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "4.38", lines = { { tax = "4.38", taxability_reason = "partially_taxable" } } } },
    { name = "NYC clothing $100 2012-03-31: state + MCTD",
      request = req("New York", "10001", "2012-03-31", { L("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "4.38", lines = { { tax = "4.38", taxability_reason = "partially_taxable" } } } },
    { name = "NYC clothing $100 2012-04-01: under $110 again, fully exempt",
      request = req("New York", "10001", "2012-04-01", { L("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "Albany clothing $100 2010-09-30: state exempt, county 4 %",
      request = req("Albany", "12207", "2010-09-30", { L("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "4.00", lines = { { tax = "4.00", taxability_reason = "partially_taxable" } } } },
    { name = "Albany clothing $100 2010-10-01: state 4 % + county 4 %",
      request = req("Albany", "12207", "2010-10-01", { L("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
  },
}
