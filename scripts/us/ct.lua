-- Connecticut (US-CT): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 06103 of TAXRATES_ZIP5_CT202512.csv: state 6.35%
local common = require "_common"
local money = require "levy.money"

-- Luxury rate (Conn. Gen. Stat. 12-408(1), luxury items since 2011-07-01): an article whose
-- sales price exceeds the threshold is taxed on its whole price at the luxury rate instead of
-- 6.35 %: clothing or footwear, a handbag, luggage, umbrella, wallet or watch over $1,000
-- (levy's `clothing` and `clothing_accessories`), jewelry, real or imitation, over $5,000
-- (`jewelry`). Rate: 7 % from 2011-07-01 (DRS Special Notice 2011(6) via Sales Tax Institute:
-- "A higher tax rate of 7% applies to ... jewelry for more than $5,000, and ... for more than
-- $1,000 of clothing or footwear, handbags, luggage, umbrellas, wallets, or watches"; Patch
-- 2011-06), 7.75 % from 2015-07-01 (DRS "2015 Legislative Summary": "Luxury sales tax rate
-- increased to 7.75% as of July 1, 2015. No change to items"; Hartford Courant 2015-06-05).
-- Per article: the unit price. Not modelled: motor vehicles over $50,000 and vessels over
-- $100,000 (levy has no tax code for them: a vehicle's sale is taxed at registration under
-- rules of its own in most states, which a code under `general` would answer wrongly).
-- Before 2011-07-01 no luxury rate applies; the general rate then was 6 % (data/us/overlays.csv,
-- from 1991-10-01 to 2011-06-30: 2011 Conn. Pub. Acts 6, DRS Special Notice 2011(6); the cut from
-- 8 % on 1991-10-01, Hartford Courant 1991-10-02), 8 % from 1990-01-01 to 1991-09-30 (raised
-- from 7.5 % in June 1989, Education Week 1989-06-14; the day in 1989 not found), and before
-- 1990-01-01 levy does not know it (op unknown: the 8 % and the note rate_history_unknown). Of
-- the exemptions the same act repealed on 2011-07-01, clothing and footwear under $50 is
-- modelled by date (taxability.clothing below); nonprescription drugs are not.
local LUXURY_OVER = { clothing = "1000.00", clothing_accessories = "1000.00", jewelry = "5000.00" }
local LUXURY_RATES = {
  { from = "2011-07-01", to = "2015-06-30", rate = "7.00" },
  { from = "2015-07-01", rate = "7.75" },
}

local function luxury_rate(date)
  for _, r in ipairs(LUXURY_RATES) do
    if common.date_on_or_after(date, r.from) and (r.to == nil or date <= r.to) then
      return r.rate
    end
  end
  return nil
end

-- Meals (prepared food): 6.35% plus 1% = 7.35% from 2019-10-01 (Conn. Gen. Stat. 12-408(1) as
-- amended by Public Act 19-117 (the FY2020-21 budget), sec. 322: an additional 1% on meals and
-- beverages sold by eating establishments, caterers and grocery stores; DRS guidance as
-- summarized by Yale "Important sales tax updates" 2019-10-09). The state entry's rate, kept as
-- standard_rated (it is the general tax on meals, not a reduced rate).
local MEALS_FROM = "2019-10-01"
local MEALS_RATE = "7.35"

local function calculate(ctx)
  common.state_rate_for(ctx, "prepared_food", MEALS_RATE, MEALS_FROM)
  local lux = luxury_rate(ctx.date)
  if lux == nil then
    return
  end
  for _, line in ipairs(common.taxed_lines(ctx, function(l) return LUXURY_OVER[l.tax_code] ~= nil end)) do
    if money.cmp(common.unit_magnitude(line), LUXURY_OVER[line.tax_code]) > 0 then
      for _, t in ipairs(line.taxes) do
        if t.level == "state" then
          t.percentage = lux
        end
      end
    end
  end
end

return common.state{
  code = "CT",
  name = "Connecticut",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    website_development = "exempt", -- DRS Policy Statement 2004(3): creating and maintaining a specific client's web site is not a computer and data processing service under 12-407(a)(37)(A)
    repair_services = "taxable", -- Conn. Gen. Stat. 12-407(a)(37)(CC): repair or maintenance services to tangible personal property are taxable at 6.35%
    iaas_paas = { rate = "1.00", level = "state" }, -- Conn. Gen. Stat. 12-407(a)(37)(A), 12-408(1)(H); Conn. Agencies Regs. 12-426-27: providing computer time, storage and access to computer equipment is a computer and data processing service, 1% for every buyer
    data_processing = { rate = "1.00", level = "state" }, -- Conn. Gen. Stat. 12-407(a)(37)(A), 12-408(1)(H): computer and data processing services at 1% for every buyer
    information_services = { rate = "1.00", level = "state" }, -- Conn. Gen. Stat. 12-407(a)(37)(A); Conn. Agencies Regs. 12-426-27: providing access to information and databases is a computer and data processing service, 1% (12-408(1)(H))
    custom_programming = { rate = "1.00", level = "state" }, -- Conn. Gen. Stat. 12-407(a)(37)(A); Conn. Agencies Regs. 12-426-27: programming is a computer and data processing service, 1%
    custom_software = { rate = "1.00", level = "state" }, -- Conn. Gen. Stat. 12-407(a)(37)(A), 12-408(1)(H); DRS Policy Statement 2004(3): custom software is a computer and data processing service, 1% (canned software is tangible personal property at 6.35%)
    -- business vs personal use (issue 19; docs/rules.md "Customer type"): SaaS and electronically
    -- delivered prewritten software bought for business use are computer and data processing
    -- services (Conn. Gen. Stat. 12-407(a)(37)(L)) taxed at 1 % (12-408(1)(H)); bought by an
    -- individual for personal use they are taxable at the general 6.35 % (CT DRS guidance on
    -- canned software and SaaS; [TF])
    -- Dated (issue 19): until 2019-09-30 electronically accessed or transferred software and
    -- digital goods were computer and data processing services at 1% for every buyer; Public
    -- Act 19-117 made them tangible personal property at 6.35% from 2019-10-01, software for
    -- business use staying at 1% (DRS Special Notice 2019(8), 2019-09-04; RSM 2019-09-10;
    -- Sales Tax Institute "Connecticut increases tax rate on most digital goods")
    saas = {
      { { rate = "1.00", level = "state" }, to = "2019-09-30", cite = "Conn. Gen. Stat. 12-407(a)(37)(A), 12-408(1)(H) before Public Act 19-117: remotely accessed software is a computer and data processing service at 1%" },
      { { business = { rate = "1.00", level = "state" }, individual = "taxable" }, from = "2019-10-01", cite = "[TF] 12-408(1)(H) as amended by Public Act 19-117: 1% for business use, 6.35% otherwise (DRS Special Notice 2019(8))" },
    },
    software_download = {
      { { rate = "1.00", level = "state" }, to = "2019-09-30", cite = "Conn. Gen. Stat. 12-407(a)(37)(A), 12-408(1)(H) before Public Act 19-117: electronically delivered canned software at 1% (computer and data processing)" },
      { { business = { rate = "1.00", level = "state" }, individual = "taxable" }, from = "2019-10-01", cite = "Public Act 19-117; DRS Special Notice 2019(8): electronically delivered prewritten software used in business stays at 1%; personal use 6.35%" },
    },
    digital_goods = {
      { { rate = "1.00", level = "state" }, to = "2019-09-30", cite = "Conn. Gen. Stat. 12-408(1)(H) before Public Act 19-117: electronically accessed digital goods at the 1% computer and data processing rate (RSM 2019-09-10: 'the current rate for all digital goods sold into Connecticut is 1%')" },
      { "taxable", from = "2019-10-01", cite = "Public Act 19-117, Conn. Gen. Stat. 12-407(a)(13) 'tangible personal property' incl. digital goods: 6.35% from 2019-10-01 for every buyer (DRS Special Notice 2019(8))" },
    },
    -- newspapers, and magazines by subscription, printed or electronic, are exempt
    print_publication_subscription = "exempt", -- Conn. Gen. Stat. 12-412(114); DRS Special Notice 2019(8)
    digital_publication_subscription = "exempt", -- Conn. Gen. Stat. 12-412(114) (whether sold as physical copies or electronically accessed); DRS Special Notice 2019(8)
    -- clothing and footwear under a price per article (issue 19, caps and thresholds with dates):
    -- Conn. Gen. Stat. 12-412(47) exempted an article under $50 from 1985-04-01, under $75 from
    -- 1985-10-01, under $50 again from 1991-10-01 (1991 Conn. Pub. Acts 3 (June Spec. Sess.);
    -- DRS Special Notice 92(3.1)); repealed as of 2011-07-01 (2011 Conn. Pub. Acts 6; Avalara
    -- 2013-07-09: "These items were exempt from sales tax in the past, but the exemption was
    -- repealed as of July 1, 2011"); the reinstatement enacted for 2015-07-01 was itself repealed
    -- before it took effect (Avalara 2015-06-29, update 2015-07-01: "The exemption for clothing
    -- and footwear costing less than $50 is NOT restored"). Not modelled: the August sales tax
    -- free weeks, and before 1985-04-01 the exemption of children's clothing (12-412(10)).
    clothing = {
      { { threshold = "50.00", per = "unit", below = "exempt", above = "taxable" }, from = "1985-04-01", to = "1985-09-30", cite = "Conn. Gen. Stat. 12-412(47) as enacted: under $50 (DRS SN 92(3.1))" },
      { { threshold = "75.00", per = "unit", below = "exempt", above = "taxable" }, from = "1985-10-01", to = "1991-09-30", cite = "Conn. Gen. Stat. 12-412(47): under $75 from 1985-10-01 (DRS SN 92(3.1))" },
      { { threshold = "50.00", per = "unit", below = "exempt", above = "taxable" }, from = "1991-10-01", to = "2011-06-30", cite = "1991 Conn. Pub. Acts 3 (June Spec. Sess.) s. 116: under $50 from 1991-10-01 (DRS SN 92(3.1)); repealed 2011-07-01 (2011 Conn. Pub. Acts 6)" },
      { "taxable", from = "2011-07-01", cite = "2011 Conn. Pub. Acts 6 repealed 12-412(47) (Avalara 2013-07-09); not restored on 2015-07-01 (Avalara 2015-06-29, update 2015-07-01)" },
    },
    shipping = "follows_goods_any", -- Conn. Gen. Stat. 12-407(a)(8)(A)(iii) (sales price includes delivery charges); DRS Answer 454: delivery of exempt items not taxable; a shipment with any taxable item: the whole charge (secondary: doubt)
  },
  calculate_for = { "clothing", "clothing_accessories", "jewelry", "prepared_food" }, -- calculate acts on these lines only
  calculate = calculate,
  selftest = {
    -- the general rate: 6 % until 2011-06-30, 6.35 % from 2011-07-01 (overlays.csv; SN 2011(6))
    { name = "general goods 2011-06-30: 6% (before 2011 Conn. Pub. Acts 6)",
      request = common.request("CT", "Hartford", "06103", "2011-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods 1991-09-30: 8% (before the 1991 income tax act's cut)",
      request = common.request("CT", "Hartford", "06103", "1991-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods 1991-10-01: 6% (Hartford Courant 1991-10-02)",
      request = common.request("CT", "Hartford", "06103", "1991-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "general goods 1990-01-01: 8%, the first day of levy's CT history",
      request = common.request("CT", "Hartford", "06103", "1990-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00" } },
    { name = "general goods 1989-12-31: not known to levy: the 8% of 1990 and a note",
      request = common.request("CT", "Hartford", "06103", "1989-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", notes = { { code = "rate_history_unknown" } } } },
    { name = "general goods 2011-07-01: 6.35%",
      request = common.request("CT", "Hartford", "06103", "2011-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "infrastructure as a service for an individual: 1% (SaaS for an individual is 6.35%)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "iaas_paas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "custom software: 1% (canned software for an individual is 6.35%)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }, { customer = { type = "individual" } }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "repair of goods: 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for business use: 1% (computer and data processing services)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "saas_business") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "SaaS for personal use: 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "saas_personal") }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "data processing for an individual: 1% (SaaS for an individual is 6.35%)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "data_processing") }, { customer = { type = "individual" } }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "custom programming: 1%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "custom_programming") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "general goods at the ZIP rate (6.35%)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: state rate 1.00% only",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "SaaS for an individual (personal use): general rate 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for a business (said in the request): 1.00%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "business" } }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "downloaded software for an individual: 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "software_download") }, { customer = { type = "individual" } }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "downloaded software for a business: 1.00%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "software_download") }, { customer = { type = "business" } }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.99", lines = { { tax = "6.35" }, { tax = "0.64", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "personal-use rate is not applied to business SaaS: $250 at 1%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "250.00", "1", "saas") }),
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed in full (a taxable item is in it)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "7.62", lines = { { tax = "6.35" }, { tax = "0.00" }, { tax = "1.27", taxability_reason = "standard_rated" } } } },
    -- issue 19, caps and thresholds on the price: clothing over $1,000 per article at 7.75%
    -- issue 19, dated taxability (Public Act 19-117, 2019-10-01)
    { name = "digital goods 2019-09-30: 1%",
      request = common.request("CT", "Hartford", "06103", "2019-09-30", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "digital goods 2019-10-01: 6.35%, also for a business",
      request = common.request("CT", "Hartford", "06103", "2019-10-01", { common.line("1", "100.00", "1", "digital_goods") }, { customer = { type = "business" } }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for an individual 2019-09-30: 1%",
      request = common.request("CT", "Hartford", "06103", "2019-09-30", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "SaaS for an individual 2019-10-01: 6.35%",
      request = common.request("CT", "Hartford", "06103", "2019-10-01", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "downloaded software for an individual 2019-09-30: 1%",
      request = common.request("CT", "Hartford", "06103", "2019-09-30", { common.line("1", "100.00", "1", "software_download") }, { customer = { type = "individual" } }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "meals 2019-09-30: 6.35%",
      request = common.request("CT", "Hartford", "06103", "2019-09-30", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "meals 2019-10-01: 7.35%",
      request = common.request("CT", "Hartford", "06103", "2019-10-01", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "7.35", lines = { { tax = "7.35", taxability_reason = "standard_rated" } } } },
    { name = "magazine subscription, electronic: exempt",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "digital_publication_subscription") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing article of $1,000.00 (not over): 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "1000.00", "1", "clothing") }),
      expect = { total_tax = "63.50", lines = { { tax = "63.50", taxability_reason = "standard_rated" } } } },
    { name = "clothing article of $1,000.01: 7.75% on the whole price",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "1000.01", "1", "clothing") }),
      expect = { total_tax = "77.50", lines = { { tax = "77.50", taxability_reason = "standard_rated" } } } },
    { name = "3 articles of $900 on one line: per article, 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "2700.00", "3", "clothing") }),
      expect = { total_tax = "171.45", lines = { { tax = "171.45" } } } },
    -- issue 19: the other luxury items and the luxury rate's dates (header)
    { name = "jewelry of $5,000.00 (not over): 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "5000.00", "1", "jewelry") }),
      expect = { total_tax = "317.50", lines = { { tax = "317.50", taxability_reason = "standard_rated" } } } },
    { name = "jewelry of $5,000.01: 7.75% on the whole price",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "5000.01", "1", "jewelry") }),
      expect = { total_tax = "387.50", lines = { { tax = "387.50", taxes = { { level = "state", percentage = "7.75" } } } } } },
    { name = "jewelry of $2,000: 6.35% (the $1,000 threshold is not jewelry's)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "2000.00", "1", "jewelry") }),
      expect = { total_tax = "127.00" } },
    { name = "a watch (clothing accessory) of $1,000.01: 7.75%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "1000.01", "1", "clothing_accessories") }),
      expect = { total_tax = "77.50", lines = { { tax = "77.50" } } } },
    { name = "a handbag (clothing accessory) of $1,000.00: 6.35%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "1000.00", "1", "clothing_accessories") }),
      expect = { total_tax = "63.50" } },
    { name = "clothing article of $1,200 on 2015-06-30: luxury rate 7%",
      request = common.request("CT", "Hartford", "06103", "2015-06-30", { common.line("1", "1200.00", "1", "clothing") }),
      expect = { total_tax = "84.00", lines = { { taxes = { { level = "state", percentage = "7.00" } } } } } },
    { name = "clothing article of $1,200 on 2015-07-01: luxury rate 7.75%",
      request = common.request("CT", "Hartford", "06103", "2015-07-01", { common.line("1", "1200.00", "1", "clothing") }),
      expect = { total_tax = "93.00" } },
    { name = "jewelry of $6,000 on 2011-07-01: luxury rate 7% (DRS SN 2011(6))",
      request = common.request("CT", "Hartford", "06103", "2011-07-01", { common.line("1", "6000.00", "1", "jewelry") }),
      expect = { total_tax = "420.00" } },
    { name = "credit of a $1,200 coat mirrors the sale: -93.00",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "-1200.00", "1", "clothing") }),
      expect = { total_tax = "-93.00", lines = { { tax = "-93.00" } } } },
    -- issue 19, caps and thresholds with dates: clothing under $50 / $75 (taxability.clothing)
    { name = "clothing $49.99 on 2011-06-30: exempt (under $50, 12-412(47))",
      request = common.request("CT", "Hartford", "06103", "2011-06-30", { common.line("1", "49.99", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing $49.99 on 2011-07-01: 6.35 % (the exemption repealed)",
      request = common.request("CT", "Hartford", "06103", "2011-07-01", { common.line("1", "49.99", "1", "clothing") }),
      expect = { total_tax = "3.17", lines = { { tax = "3.17", taxability_reason = "standard_rated" } } } },
    { name = "clothing $50.00 on 2011-06-30: 6 % (not under $50)",
      request = common.request("CT", "Hartford", "06103", "2011-06-30", { common.line("1", "50.00", "1", "clothing") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "standard_rated" } } } },
    { name = "clothing $60 on 1991-09-30: exempt (under $75)",
      request = common.request("CT", "Hartford", "06103", "1991-09-30", { common.line("1", "60.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing $60 on 1991-10-01: 6 % (under $50 only)",
      request = common.request("CT", "Hartford", "06103", "1991-10-01", { common.line("1", "60.00", "1", "clothing") }),
      expect = { total_tax = "3.60", lines = { { tax = "3.60", taxability_reason = "standard_rated" } } } },
    { name = "clothing $40 on 2015-07-01: 6.35 % (the 2015 reinstatement never took effect)",
      request = common.request("CT", "Hartford", "06103", "2015-07-01", { common.line("1", "40.00", "1", "clothing") }),
      expect = { total_tax = "2.54", lines = { { tax = "2.54", taxability_reason = "standard_rated" } } } },
  },
}
