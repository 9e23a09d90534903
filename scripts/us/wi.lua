-- Wisconsin (US-WI): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 53202 of TAXRATES_ZIP5_WI202512.csv: state 5%, county 0.9%, city 2%
local common = require "_common"

return common.state{
  code = "WI",
  name = "Wisconsin",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (law22): repair of goods is an enumerated taxable service here
    repair_services = "taxable", -- Wis. Stat. 77.52(2)(a)10: "the repair, service, alteration, fitting, cleaning, painting, coating, towing, inspection, and maintenance of all items of tangible personal property" (unless the property's sale would be exempt)
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    gift_card = "exempt", -- Wis. Admin. Code Tax 11.28 (gifts and other advertising specialties), example: the sale of a $50 gift certificate redeemable for any item the retailer sells is not subject to Wisconsin sales tax
    -- specified digital products (e-books, music, video) by date (issue 19, taxability with dates; law22)
    digital_goods = {
      { "exempt", to = "2009-09-30", cite = "before 2009-10-01: goods transferred electronically generally not taxable (WisBar InsideTrack 2009-10-07)" },
      { "taxable", from = "2009-10-01", cite = "Wis. Stat. 77.52(1)(d) (2009 Wis. Act 2): specified digital goods and additional digital goods taxable from 2009-10-01 (WI DOR Publication 240; WisBar InsideTrack 2009-10-07: 'Before Oct. 1, 2009, goods transferred electronically (such as music, movies, and books) were generally not subject to Wisconsin sales/use tax')" },
    },
    shipping = "follows_goods", -- Wis. Stat. 77.51(15b) (sales price includes delivery charges); SSUTA sec. 317 (WI is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
  },
  selftest = {
    { name = "gift card: not taxed when sold (cited row, no fallback note)",
      request = common.request("WI", "Milwaukee", "53202", "2026-03-01", { common.line("1", "100.00", "1", "gift_card") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (7.9%)",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.90", lines = { { tax = "7.90", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.69", lines = { { tax = "7.90" }, { tax = "0.79", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("WI", "Milwaukee", "53202", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "8.30", lines = { { tax = "7.90" }, { tax = "0.00" }, { tax = "0.40", taxability_reason = "partially_taxable" } } } },
    { name = "repair of goods: taxable (law22)",
      request = common.request("WI", "Milwaukee", "53202", "2026-03-01", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    -- law22: digital goods on both sides of their start (taxability.digital_goods)
    { name = "e-book 2009-09-30: not taxable",
      request = common.request("WI", "Milwaukee", "53202", "2009-09-30", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "e-book 2009-10-01: taxable",
      request = common.request("WI", "Milwaukee", "53202", "2009-10-01", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
  },
}
