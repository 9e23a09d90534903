-- District of Columbia (US-DC): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 20001 of TAXRATES_ZIP5_DC202512.csv: state 6%
-- The general rate (D.C. Code 47-2002(a)) with dates, as rows of data/us/overlays.csv:
--   not known before 1982-01-01 (op unknown: levy answers its earliest known 6 % with the note
--       rate_history_unknown; Tax Foundation: 5 % in 1973-1980, 6 % from 1981, days not found);
--   6 % from 1982-01-01 to 1993-09-30 (Tax Foundation 2013-09-20, its table of D.C. rates
--       1965-2013: 6 % in the years 1981-1993; the table gives years, not days, so the row stops
--       at the start of fiscal year 1994, the first day a budget could have moved the rate);
--   not known from 1993-10-01 to 1994-12-31 (op unknown: the day the rate went to 5.75 % was
--       not found; levy answers 5.75 %, the rate it knows from 1995-01-01, and the note);
--   5.75 % from 1995-01-01 to 2009-09-30: 5.75 % since 1994 (Tax Foundation 2013-09-20) until
--       the FY2010 Budget Support Act (Act 18-207, D.C.B. 18-443) raised it to 6 % from
--       2009-10-01 (Sales Tax Institute 2009-11-08; Washington Post 2009-09-30 "The sales tax
--       jumps to 6 percent from 5.75 percent"); rows of overlays.csv;
--   6 % from 2009-10-01 to 2013-09-30 (the table's rate);
--   5.75 % from 2013-10-01 to 2018-09-30 (the 2009-10-01 step to 6 % ended with FY2013:
--       Washington Post 2013-10-01; a row of overlays.csv since issue 19);
--   6 % until 2026-09-30 (the Dec-2025 ZIP table's rate; 6 % since 2018-10-01, FY2019 Budget
--       Support Act, OTR notice 2018-09-05);
--   the 6.5 % step the FY2025 Budget Support Act (B25-0784) scheduled for 2025-10-01 was
--       repealed before it took effect by the FY2026 Budget Support Act (Act 26-146,
--       applicable 2025-10-01; B26-0450): KPMG TWIST 2025-12-15, Thomson Reuters Checkpoint
--       "District of Columbia Enacts 2026 Budget Support Legislation";
--   7 % from 2026-10-01 (B25-0784, kept by the FY2026 act: KPMG TWIST 2025-12-15).
-- Self-tests pin both sides of 2025-10-01 (no change) and 2026-10-01 (6 -> 7), also for the
-- federal ZIPs 569xx that the DC ZIP table lists.
local common = require "_common"

-- Food or drink prepared for immediate consumption (restaurant meals, prepared_food): 10 %, the
-- sum of two taxes: the sales tax at 9 % (D.C. Code 47-2002(a)(3)(A), not the general rate)
-- and a separate 1 % tax (47-2002.02(2)(A), added by D.C. Law 10-188, 1994-09-28) that OTR
-- collects for the Washington Convention and Sports Authority (47-2002.03). Both are the
-- District's, filed on the one sales tax return at the combined 10 %, so levy answers one
-- state-level entry of 10 % (not 9 %: the 1 % would be lost; not the general 6 %). The 10 %
-- was unchanged by the general-rate steps of 2009, 2013 and 2018 (Tax Foundation 2013-09-20:
-- "The 10 percent meals tax ... will not change"; zip2tax 2013: restaurant categories not
-- changed) and is in the current Code. From 1994-09-28 (the 1 % tax's start) levy applies it;
-- before, the general rate (in 1994 not known to levy: the note rate_history_unknown). Doubt: the 9 % of (a)(3) was found only in today's Code and the
-- 2013 sources, not dated earlier; nor is the 7 % general rate of 2026-10-01 said to reach it.
local MEALS_FROM = "1994-09-28"
local MEALS_RATE = "10.00"

local function calculate(ctx)
  common.state_rate_for(ctx, "prepared_food", MEALS_RATE, MEALS_FROM)
end

return common.state{
  code = "DC",
  name = "District of Columbia",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    custom_software = "taxable", -- 9 DCMR 474: the sale, lease or maintenance of computer software is taxable whether canned or customized
    custom_programming = "taxable", -- D.C. Code 47-2001(n)(1)(N) and 9 DCMR 474: system and application programming is a data processing service (OTR "Sales Tax on Data Processing Services")
    software_maintenance_optional = "taxable", -- 9 DCMR 474: maintenance of computer software is taxable
    it_consulting = "taxable", -- OTR "Sales Tax on Data Processing Services": data processing consulting (hardware configurations, technical processing, programming) is taxable; a management study that only mentions the computer system is not (doubt at the edge)
    iaas_paas = "taxable", -- D.C. Code 47-2001(n)(1)(N), 9 DCMR 474: computer time sharing and computerized data storage are data processing services
    data_processing = "taxable", -- D.C. Code 47-2001(n)(1)(N), 9 DCMR 474: data processing services (storage, retrieval, payroll and accounting processing) are retail sales
    information_services = "taxable", -- 9 DCMR 475: information services (news, financial, credit reports, electronic data retrieval) are taxable, by subscription or as needed; information compiled only for one client is excluded (not modelled)
    saas = "taxable", -- [TF] 6%
    digital_goods = { -- issue 19, dated taxability: the date the comment gave is now the row's
      { "exempt", to = "2019-09-30", cite = "D.C. Code 47-2001 before D.C. Law 23-16: digital goods were neither tangible personal property nor a listed taxable service" },
      { "taxable", from = "2019-10-01", cite = "Fiscal Year 2020 Budget Support Act of 2019 (D.C. Law 23-16), D.C. Code 47-2001(n)(1)(P): digital goods (e-books, music, video, apps) taxable from 2019-10-01 (OTR notice 'Sales and Use Tax on Digital Goods', 2019)" },
    },
    shipping = "taxable", -- delivery charges are part of the taxable sales price [SHIP]
  },
  calculate_for = { "prepared_food" }, -- calculate acts on these lines only (the 10 % on meals above)
  calculate = calculate,
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "custom software: taxable (9 DCMR 474)",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "data processing: taxable",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "data_processing") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "information services: taxable",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    -- issue 19: 5.75 % before the 2009-10-01 step to 6 % (overlays.csv; header)
    { name = "general rate 2009-09-30: 5.75%",
      request = common.request("DC", "Washington", "20001", "2009-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.75", lines = { { taxes = { { level = "state", percentage = "5.75" } } } } } },
    { name = "general rate 2009-10-01: 6% (Act 18-207)",
      request = common.request("DC", "Washington", "20001", "2009-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "general rate 1995-01-01: 5.75%",
      request = common.request("DC", "Washington", "20001", "1995-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.75" } },
    { name = "federal ZIP 56901 2009-09-30: 5.75%",
      request = common.request("DC", "Washington", "56901", "2009-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.75" } },
    -- issue 19: restaurant meals 9 % + 1 % (header)
    { name = "prepared food: 10% (9% sales tax + 1% convention center tax)",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated", taxes = { { level = "state", percentage = "10.00" } } } } } },
    { name = "prepared food 2026-10-01: still 10% (the general rate's 7% does not reach meals)",
      request = common.request("DC", "Washington", "20001", "2026-10-01", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00" } },
    { name = "prepared food 2013-10-01: 10% (general 5.75%)",
      request = common.request("DC", "Washington", "20001", "2013-10-01", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00" } },
    { name = "prepared food 1994-09-28: 10% (47-2002.02 in force)",
      request = common.request("DC", "Washington", "20001", "1994-09-28", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "10.00" } },
    { name = "prepared food 1994-09-27: the general rate (before the 1% tax), not known that day: 5.75% and a note",
      request = common.request("DC", "Washington", "20001", "1994-09-27", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "5.75", notes = { { code = "rate_history_unknown" } } } },
    -- issue 19: the rate history's ends (overlays.csv rows op set/unknown; header)
    { name = "general rate 1981-12-31: before levy's history: the 6% of 1982 and a note",
      request = common.request("DC", "Washington", "20001", "1981-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", notes = { { code = "rate_history_unknown" } } } },
    { name = "general rate 1982-01-01: 6% (Tax Foundation table)",
      request = common.request("DC", "Washington", "20001", "1982-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "general rate 1993-09-30: 6%",
      request = common.request("DC", "Washington", "20001", "1993-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "general rate 1993-10-01: the day of the 5.75% not known: 5.75% and a note",
      request = common.request("DC", "Washington", "20001", "1993-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.75", notes = { { code = "rate_history_unknown" } } } },
    { name = "general rate 1994-12-31: 5.75% and a note",
      request = common.request("DC", "Washington", "20001", "1994-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.75", notes = { { code = "rate_history_unknown" } } } },
    { name = "prepared food, credit: -10.00",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "-100.00", "1", "prepared_food") }),
      expect = { total_tax = "-10.00" } },
    { name = "general rate 2013-09-30: 6%",
      request = common.request("DC", "Washington", "20001", "2013-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "general rate 2013-10-01: 5.75%",
      request = common.request("DC", "Washington", "20001", "2013-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.75" } },
    { name = "general rate 2018-09-30: 5.75%",
      request = common.request("DC", "Washington", "20001", "2018-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.75" } },
    { name = "general rate 2018-10-01: 6%",
      request = common.request("DC", "Washington", "20001", "2018-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "digital goods 2019-09-30: not taxable (before D.C. Law 23-16)",
      request = common.request("DC", "Washington", "20001", "2019-09-30", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "digital goods 2019-10-01: 6%",
      request = common.request("DC", "Washington", "20001", "2019-10-01", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.00" }, { tax = "0.60", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("DC", "Washington", "20001", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- the general rate with dates (header)
    { name = "2025-09-30: 6%",
      request = common.request("DC", "Washington", "20001", "2025-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { taxes = { { level = "state", percentage = "6.00" } } } } } },
    { name = "2025-10-01: still 6% (the 6.5% step was repealed)",
      request = common.request("DC", "Washington", "20001", "2025-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "2026-09-30: 6%",
      request = common.request("DC", "Washington", "20500", "2026-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "2026-10-01: 7%",
      request = common.request("DC", "Washington", "20500", "2026-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { taxes = { { level = "state", percentage = "7.00" } } } } } },
    { name = "SaaS 2026-10-01: 7%",
      request = common.request("DC", "Washington", "20001", "2026-10-01", { common.line("1", "250.00", "1", "saas") }),
      expect = { total_tax = "17.50" } },
    { name = "federal ZIP 56901 2026-09-30: 6%",
      request = common.request("DC", "Washington", "56901", "2026-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00" } },
    { name = "federal ZIP 56901 2026-10-01: 7%",
      request = common.request("DC", "Washington", "56901", "2026-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00" } },
  },
}
