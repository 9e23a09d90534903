-- North Carolina (US-NC): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 27601 of TAXRATES_ZIP5_NC202512.csv: state 4.75%, county 2%, district 0.5%
local common = require "_common"

return common.state{
  code = "NC",
  name = "North Carolina",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    gift_card = "exempt", -- 17 NCAC 07B .3804 (readopted 2024-01-01): charges for gift certificates or gift cards are not subject to sales and use tax at the time of initial sale; the redemption is taxed as the item bought
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    custom_software = "exempt", -- N.C.G.S. 105-164.13(43a): custom computer software exempt
    -- specified digital products (e-books, music, video) by date (issue 19, taxability with dates; law22)
    digital_goods = {
      { "exempt", to = "2009-12-31", cite = "before 2010-01-01: digital property delivered electronically not taxable (NCDOR notice 2009; calculatedmoves 2010-01-25)" },
      { "taxable", from = "2010-01-01", cite = "N.C.G.S. 105-164.4(a)(6b) (S.L. 2009-451): certain digital property (audio and audiovisual works, books and other publications, photographs, greeting cards) delivered or accessed electronically taxable from 2010-01-01 (NCDOR Important Notice 'Certain Digital Property Subject to Sales and Use Tax'; Avalara 2019-08: 'North Carolina extended sales and use tax to certain digital property ... on January 1, 2010')" },
    },
    shipping = "follows_goods", -- N.C.G.S. 105-164.3 (sales price includes delivery charges); SSUTA sec. 317 (NC is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
    food_grocery = { rate = "2.00", level = "state" }, -- N.C.G.S. 105-164.13B: food exempt from state tax, a uniform 2% local rate applies
  },
  selftest = {
    -- issue 19, law24: the temporary cent of S.L. 2009-451 (2009-09-01 to 2011-06-30) and the quarter cent the State
    -- took from the counties on 2009-10-01 (data/us/overlays.csv: NCDOR's 2008-2009 table, its 2009 notice), Greensboro
    { name = "Greensboro on 2008-09-30: state 4.50 % with the note (rates before 2008-10-01 not sourced; today's county 2 %)",
      request = common.request("NC", "Greensboro", "27401", "2008-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.50", lines = { { taxes = { { level = "state", percentage = "4.50" } } } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "Greensboro on 2008-10-01: state 4.50 %, 6.75 in all",
      request = common.request("NC", "Greensboro", "27401", "2008-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.75", lines = { { taxes = { { level = "state", percentage = "4.50" } } } } } },
    { name = "Greensboro on 2009-08-31: state 4.50 %, 6.75 in all",
      request = common.request("NC", "Greensboro", "27401", "2009-08-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.75", lines = { { taxes = { { level = "state", percentage = "4.50" } } } } } },
    { name = "Greensboro on 2009-09-01: state 5.50 %, 7.75 in all",
      request = common.request("NC", "Greensboro", "27401", "2009-09-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.75", lines = { { taxes = { { level = "state", percentage = "5.50" } } } } } },
    { name = "Greensboro on 2009-09-30: state 5.50 %, 7.75 in all",
      request = common.request("NC", "Greensboro", "27401", "2009-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.75", lines = { { taxes = { { level = "state", percentage = "5.50" } } } } } },
    { name = "Greensboro on 2009-10-01: state 5.75 %, 7.75 in all",
      request = common.request("NC", "Greensboro", "27401", "2009-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.75", lines = { { taxes = { { level = "state", percentage = "5.75" } } } } } },
    { name = "Greensboro on 2011-06-30: state 5.75 %, 7.75 in all",
      request = common.request("NC", "Greensboro", "27401", "2011-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.75", lines = { { taxes = { { level = "state", percentage = "5.75" } } } } } },
    { name = "Greensboro on 2011-07-01: state 4.75 %, 6.75 in all",
      request = common.request("NC", "Greensboro", "27401", "2011-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.75", lines = { { taxes = { { level = "state", percentage = "4.75" } } } } } },
    -- law26: the 8 counties at 2.5 % until 2009-09-30 (Alexander, Catawba, Cumberland, Haywood, Martin, Pitt,
    -- Sampson, Surry; NCDOR's table effective 2008-10-01 through 2009-08-31: 7 % = 4.5 % State + 2.5 %; 2.25 %
    -- from 2009-10-01 as the State took a quarter cent; data/us/overlays.csv), Hickory 28601 in Catawba County
    { name = "Hickory (Catawba County) on 2008-10-01: state 4.50 % + county 2.50 % = 7.00",
      request = common.request("NC", "Hickory", "28601", "2008-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { taxes = { { level = "state", percentage = "4.50" },
        { level = "county", percentage = "2.50" } } } } } },
    { name = "Hickory (Catawba County) on 2009-08-31: 7.00",
      request = common.request("NC", "Hickory", "28601", "2009-08-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00" } },
    { name = "Hickory (Catawba County) on 2009-09-30: state 5.50 % + county 2.50 % = 8.00",
      request = common.request("NC", "Hickory", "28601", "2009-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { taxes = { { level = "state", percentage = "5.50" },
        { level = "county", percentage = "2.50" } } } } } },
    { name = "Hickory (Catawba County) on 2009-10-01: state 5.75 % + county 2.25 % = 8.00",
      request = common.request("NC", "Hickory", "28601", "2009-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { taxes = { { level = "state", percentage = "5.75" },
        { level = "county", percentage = "2.25" } } } } } },
    { name = "Fayetteville (Cumberland County) on 2009-01-15: 7.00",
      request = common.request("NC", "Fayetteville", "28301", "2009-01-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00" } },
    { name = "Greensboro (Guilford County, not one of the 8) on 2009-01-15: county 2.25 %, 6.75",
      request = common.request("NC", "Greensboro", "27401", "2009-01-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.75", lines = { { taxes = { { level = "state", percentage = "4.50" }, { level = "county", percentage = "2.25" } } } } } },
    { name = "gift card: not taxed when sold (cited row, no fallback note)",
      request = common.request("NC", "Raleigh", "27601", "2026-03-01", { common.line("1", "100.00", "1", "gift_card") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "custom software: exempt (prewritten software is taxable)",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (7.25%)",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.25", lines = { { tax = "7.25", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.98", lines = { { tax = "7.25" }, { tax = "0.73", taxability_reason = "standard_rated" } } } },
    { name = "groceries: state rate 2.00% only",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "2.00", lines = { { tax = "2.00", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("NC", "Raleigh", "27601", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "7.62", lines = { { tax = "7.25" }, { tax = "0.00" }, { tax = "0.37", taxability_reason = "partially_taxable" } } } },
    -- law22: digital goods on both sides of their start (taxability.digital_goods)
    { name = "e-book 2009-12-31: not taxable",
      request = common.request("NC", "Raleigh", "27601", "2009-12-31", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "e-book 2010-01-01: taxable",
      request = common.request("NC", "Raleigh", "27601", "2010-01-01", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
  },
}
