-- Nebraska (US-NE): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 68102 of TAXRATES_ZIP5_NE202512.csv: state 5.5%, city 1.5%
local common = require "_common"

return common.state{
  code = "NE",
  name = "Nebraska",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- specified digital products (e-books, music, video) by date (issue 19, taxability with dates; law22)
    digital_goods = {
      { "exempt", to = "2008-09-30", cite = "before 2008-10-01: digital works delivered electronically not taxable (Revenue Ruling 01-08-03 taxes them from that day)" },
      { "taxable", from = "2008-10-01", cite = "Neb. Rev. Stat. 77-2701.16 as amended in 2008: digital audio, audiovisual works, digital books and digital codes taxable when taxable in tangible form, from 2008-10-01 (NE DOR Revenue Ruling 01-08-03, 2008-08-25; Sales Tax Institute 2008-08-29)" },
    },
    shipping = "follows_goods", -- Neb. Rev. Stat. 77-2701.35 (sales price includes delivery charges); SSUTA sec. 317 (NE is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
  },
  selftest = {
    { name = "general goods at the ZIP rate (7%)",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.70", lines = { { tax = "7.00" }, { tax = "0.70", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("NE", "Omaha", "68102", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "7.36", lines = { { tax = "7.00" }, { tax = "0.00" }, { tax = "0.36", taxability_reason = "partially_taxable" } } } },
    -- law22: digital goods on both sides of their start (taxability.digital_goods)
    { name = "e-book 2008-09-30: not taxable",
      request = common.request("NE", "Omaha", "68102", "2008-09-30", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "e-book 2008-10-01: taxable",
      request = common.request("NE", "Omaha", "68102", "2008-10-01", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
  },
}
