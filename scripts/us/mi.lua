-- Michigan (US-MI): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 48201 of TAXRATES_ZIP5_MI202512.csv: state 6%
local common = require "_common"

return common.state{
  code = "MI",
  name = "Michigan",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- Delivery charges (issue 19, shipping): taxable with the goods until 2023-04-25; separately
    -- stated delivery (and installation) charges are outside the sales price from 2023-04-26,
    -- the day 2023 PA 20 (HB 4039, General Sales Tax Act, MCL 205.51) and PA 21 (HB 4253, Use
    -- Tax Act, MCL 205.92) were signed with immediate effect: "not imposed on delivery or
    -- installation charges if those charges are separately stated on the invoice, bill of sale,
    -- or similar document provided to the purchaser and the seller maintained its books and
    -- records to show separately the transactions" (House Fiscal Agency analysis of HB 4039 and
    -- 4253 as enacted, 2023-07-26; michiganvotes.org HB 4253: signed 2023-04-26, immediate
    -- effect; Treasury uses delivery, shipping, handling, postage, freight, crating and packing
    -- interchangeably: Avalara 2023-07-05). Not for a utility's gas or electricity (not modelled).
    -- A line with tax code shipping is a separately stated charge, so it is exempt from then on.
    shipping = {
      { "follows_goods", to = "2023-04-25", cite = "MCL 205.51(1)(d) before 2023 PA 20 (sales price includes delivery charges); Treasury Internal Policy Directive 2004-8: a shipment of taxable and exempt property is allocated by sales price or weight (SSUTA sec. 317); delivery of exempt goods exempt" },
      { "exempt", from = "2023-04-26", cite = "2023 PA 20 (HB 4039) and PA 21 (HB 4253), MCL 205.51 and 205.92 as amended, immediate effect 2023-04-26: separately stated delivery and installation charges are not part of the sales or purchase price (HFA analysis 2023-07-26)" },
    },
  },
  selftest = {
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods 2023-04-25: taxable (before 2023 PA 20)",
      request = common.request("MI", "Detroit", "48201", "2023-04-25", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.00" }, { tax = "0.60", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods 2023-04-26: separately stated, exempt (2023 PA 20)",
      request = common.request("MI", "Detroit", "48201", "2023-04-26", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping and handling with taxable goods 2025-12-15: exempt (2023 PA 20)",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MI", "Detroit", "48201", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only 2023-04-25: exempt",
      request = common.request("MI", "Detroit", "48201", "2023-04-25", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment 2023-04-25: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("MI", "Detroit", "48201", "2023-04-25", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "6.30", lines = { { tax = "6.00" }, { tax = "0.00" }, { tax = "0.30", taxability_reason = "partially_taxable" } } } },
  },
}
