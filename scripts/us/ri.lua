-- Rhode Island (US-RI): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 02903 of TAXRATES_ZIP5_RI202512.csv: state 7%
local common = require "_common"

return common.state{
  code = "RI",
  name = "Rhode Island",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    clothing_accessories = "taxable", -- R.I. Gen. Laws 44-18-30(27) exempts clothing (the first $250) as defined by SSUTA, which excludes clothing accessories or equipment: taxed in full
    saas = {
      { "exempt", to = "2018-09-30", cite = "280-RICR-20-70-46.7(C) (earlier Reg. SU 94-25): vendor-hosted software accessed by the customer without download is not prewritten software delivered electronically, not taxable" },
      { "taxable", from = "2018-10-01", cite = "[TF] R.I. Gen. Laws 44-18-7.1(g)(v) (FY2019 budget, H 7200 Art. 4, enacted 2018-06-22): vendor-hosted prewritten computer software (SaaS) taxable at 7 % from 2018-10-01; Division of Taxation Advisory 2018-38; Grant Thornton SALT alert 2018-09-26" },
    },
    -- specified digital products (e-books, music, video) are not prewritten software and not taxable,
    -- downloaded or streamed: 280-RICR-20-70-46.7(F); Advisory 2018-38 (Sales Tax Institute 2018-09)
    digital_goods = "exempt",
    shipping = "follows_goods", -- R.I. Gen. Laws 44-18-12 (sales price includes delivery charges); SSUTA sec. 317 (RI is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
    -- clothing by date (issue 19, caps and thresholds with dates): 280-RICR-20-70-6.6(A): "For
    -- sales ... prior to October 1, 2012, the sales in this state of articles of clothing ...
    -- and footwear ... are exempt"; (B)-(C): from 2012-10-01 exempt up to $250 per item, tax on
    -- the part of the price above it (R.I. Gen. Laws 44-18-30(27) as amended by the FY2013
    -- budget; Division of Taxation Notice 2012-10; Sales Tax Institute 2012-10-03: "Prior to
    -- October 1, 2012, there was no threshold")
    clothing = {
      { "exempt", to = "2012-09-30", cite = "280-RICR-20-70-6.6(A): clothing and footwear exempt without a threshold before 2012-10-01" },
      { "taxable", from = "2012-10-01", cite = "R.I. Gen. Laws 44-18-30(27): exempt up to $250 per item, tax on the excess (calculate below); 280-RICR-20-70-6.6(B)-(C)" },
    },
  },
  calculate_for = { "clothing" }, -- calculate acts on these lines only
  calculate = function(ctx)
    common.exempt_first(ctx, "clothing", "250.00")
  end,
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "clothing accessory 1 x 100.00: taxed in full (clothing: first $250 exempt)",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "clothing_accessories") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS 2018-09-30: not taxable (vendor-hosted, 46.7(C))",
      request = common.request("RI", "Providence", "02903", "2018-09-30", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS 2018-10-01: 7% (44-18-7.1(g)(v))",
      request = common.request("RI", "Providence", "02903", "2018-10-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "e-book: not taxable (46.7(F))",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (7%)",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.70", lines = { { tax = "7.00" }, { tax = "0.70", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing 1 x 100.00: first $250.00 per item exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing 1 x 200.00: first $250.00 per item exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "200.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing 2 x 200.00: first $250.00 per item exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "400.00", "2", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing 1 x 250.00: first $250.00 per item exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "250.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "7.35", lines = { { tax = "7.00" }, { tax = "0.00" }, { tax = "0.35", taxability_reason = "partially_taxable" } } } },
    -- issue 19: the delivery follows the clothing as calculate(ctx) leaves it (first $250 exempt)
    { name = "shipping of a $100 clothing item (exempt under $250): exempt",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "100.00", "1", "clothing"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping of a $300 coat ($50 taxable): 1/6 of $10 taxed, 0.12",
      request = common.request("RI", "Providence", "02903", "2025-12-15", { common.line("1", "300.00", "1", "clothing"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "3.62", lines = { { tax = "3.50" }, { tax = "0.12", taxability_reason = "partially_taxable" } } } },
    -- issue 19, caps and thresholds with dates: the $250 threshold from 2012-10-01
    { name = "clothing 1 x 300.00 on 2012-09-30: exempt (no threshold before 2012-10-01)",
      request = common.request("RI", "Providence", "02903", "2012-09-30", { common.line("1", "300.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing 1 x 300.00 on 2012-10-01: 7 % on the $50 above $250",
      request = common.request("RI", "Providence", "02903", "2012-10-01", { common.line("1", "300.00", "1", "clothing") }),
      expect = { total_tax = "3.50", lines = { { tax = "3.50", taxability_reason = "partially_taxable" } } } },
    { name = "clothing 1 x 275.00 on 2012-10-01: 7 % of $25 = 1.75 (280-RICR-20-70-6.6(C) Example 1)",
      request = common.request("RI", "Providence", "02903", "2012-10-01", { common.line("1", "275.00", "1", "clothing") }),
      expect = { total_tax = "1.75", lines = { { tax = "1.75", taxability_reason = "partially_taxable" } } } },
  },
}
