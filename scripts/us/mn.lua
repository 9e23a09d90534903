-- Minnesota (US-MN): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 55401 of TAXRATES_ZIP5_MN202512.csv: state 6.875%, county 0.15%, city 0.5%, district 1.5%
local common = require "_common"

return common.state{
  code = "MN",
  name = "Minnesota",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    digital_publication_subscription = "exempt", -- law22: MN DOR "Digital Products" (Fact Sheet 177; industry guide 2025-09-26 via Thomson Reuters): digital books "does not include periodicals, magazines, newspapers, blogs, or other news and information products"; not among the "other digital products" either
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    gift_card = "exempt", -- MN DOR, "Nontaxable Sales" (revenue.state.mn.us, updated 2017-03-24): gift certificates and gift cards are not taxable when sold; tax applies to the taxable portion of the purchase they redeem
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    clothing_accessories = "taxable", -- Minn. Stat. 297A.67 subd. 8: "clothing" excludes clothing accessories or equipment
    -- specified digital products (e-books, music, video) by date (issue 19, taxability with dates; law22)
    digital_goods = {
      { "exempt", to = "2013-06-30", cite = "before 2013 H.F. 677: digital products transferred electronically were not in the sales tax base (Senate Counsel summary of S.F. 35: the bill 'is intended to add certain digital products to the sales tax base')" },
      { "taxable", from = "2013-07-01", cite = "Minn. Stat. 297A.61 as amended by 2013 H.F. 677 (signed 2013-05-23): specified digital products (digital audio works, audiovisual works, books) and other digital products taxable for sales after 2013-06-30 (PwC 2013-09; Senate Counsel summary of S.F. 35, 2013-01-16: 'effective for sales and purchases made after June 30, 2013'; MN DOR Fact Sheet 177)" },
    },
    shipping = "follows_goods", -- Minn. Stat. 297A.61 subd. 7 (sales price includes delivery charges) and SSUTA sec. 317 (MN member): delivery of exempt goods (clothing) exempt, a mixed shipment allocated by sales price
    clothing = "exempt", -- Minn. Stat. 297A.67 subd. 8: clothing exempt (fur and accessories excluded; not modelled)
  },
  selftest = {
    { name = "gift card: not taxed when sold (cited row, no fallback note)",
      request = common.request("MN", "Minneapolis", "55401", "2026-03-01", { common.line("1", "100.00", "1", "gift_card") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "custom software: exempt (SSUTA: only prewritten software is tangible personal property)",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "prewritten software download: taxable",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "software_download") }),
      expect = { total_tax = "9.03", lines = { { tax = "9.03", taxability_reason = "standard_rated" } } } },
    { name = "clothing accessory: taxable (clothing is exempt)",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "clothing_accessories") }),
      expect = { total_tax = "9.03", lines = { { tax = "9.03", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (9.025%)",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.03", lines = { { tax = "9.03", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.94", lines = { { tax = "9.03" }, { tax = "0.91", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing exempt",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of clothing only: exempt",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "clothing"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("MN", "Minneapolis", "55401", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "clothing"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "9.49", lines = { { tax = "9.03" }, { tax = "0.00" }, { tax = "0.46", taxability_reason = "partially_taxable" } } } },
    -- law22: digital goods on both sides of their start (taxability.digital_goods)
    { name = "e-book 2013-06-30: not taxable",
      request = common.request("MN", "Minneapolis", "55401", "2013-06-30", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "e-book 2013-07-01: taxable",
      request = common.request("MN", "Minneapolis", "55401", "2013-07-01", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "digital newspaper or magazine subscription: not taxable (law22)",
      request = common.request("MN", "Minneapolis", "55401", "2026-03-01", { common.line("1", "100.00", "1", "digital_publication_subscription") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
