-- Kansas (US-KS): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 67202 of TAXRATES_ZIP5_KS202512.csv: state 6.5%, county 1%, district 2%
local common = require "_common"

return common.state{
  code = "KS",
  name = "Kansas",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (law22): repair of goods is an enumerated taxable service here
    repair_services = "taxable", -- K.S.A. 79-3603(q): the service of repairing, servicing, altering or maintaining tangible personal property, "whether or not any tangible personal property is transferred" (KDOR Opinion O-1998-15; P-2001-095: "Is labor taxed in this state? Yes")
    -- Delivery charges (issue 19, shipping): part of the sales price until 2023-06-30; from
    -- 2023-07-01 delivery charges separately stated on the invoice and clearly denominated as
    -- delivery, transmission or transportation are excluded from the "sales or selling price"
    -- (H.B. 2136 of 2022, K.S.A. 79-3602(ll)(1)(D)(ii); KDOR Notice 23-02 "Delivery Fees Charged
    -- By A Retailer", 2023-06-22: state, local and special district taxes alike; handling,
    -- crating and packing are part of "delivery charges"). A shipping line is a separately
    -- stated charge, so it is exempt from then on.
    shipping = {
      { "follows_goods", to = "2023-06-30", cite = "K.S.A. 79-3602 before H.B. 2136 (sales price includes delivery charges); SSUTA sec. 317 (KS is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price" },
      { "exempt", from = "2023-07-01", cite = "H.B. 2136 (2022), K.S.A. 79-3602(ll)(1)(D)(ii): separately stated delivery charges are not part of the sales or selling price from 2023-07-01 (KDOR Notice 23-02, 2023-06-22)" },
    },
    food_grocery = { exempt_levels = { "state" } }, -- SB 1 (2024): state rate on food 0% from 2025-01-01; local sales taxes still apply
  },
  -- HB 2106 (2022): 6.5% -> 4% (2023) -> 2% (2024) -> 0% (2025)
  calculate_for = { "food_grocery" }, -- calculate acts on these lines only
  calculate = function(ctx)
    common.dated_state_rate(ctx, "food_grocery", {
      -- before 2023 food paid the general state rate, which changed too (data/us/overlays.csv:
      -- 6.3 % until 2013-06-30, 6.15 % to 2015-06-30, KDOR Notices 13-08 and 15-02)
      { before = "2013-07-01", rate = "6.30", reason = "standard_rated" },
      { before = "2015-07-01", rate = "6.15", reason = "standard_rated" },
      { before = "2023-01-01", rate = "6.50", reason = "standard_rated" },
      { before = "2024-01-01", rate = "4.00" },
      { before = "2025-01-01", rate = "2.00" },
    }, "KANSAS")
  end,
  selftest = {
    { name = "general goods at the ZIP rate (9.5%)",
      request = common.request("KS", "Wichita", "67202", "2026-03-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.50", lines = { { tax = "9.50", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("KS", "Wichita", "67202", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods 2023-06-30: taxable (before H.B. 2136)",
      request = common.request("KS", "Wichita", "67202", "2023-06-30", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "10.45", lines = { { tax = "9.50" }, { tax = "0.95", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods 2023-07-01: separately stated, exempt (H.B. 2136)",
      request = common.request("KS", "Wichita", "67202", "2023-07-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.50", lines = { { tax = "9.50" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping and handling with taxable goods 2026-03-01: exempt (delivery charges include handling)",
      request = common.request("KS", "Wichita", "67202", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "9.50", lines = { { tax = "9.50" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state level exempt, local rates apply",
      request = common.request("KS", "Wichita", "67202", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("KS", "Wichita", "67202", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("KS", "Wichita", "67202", "2026-03-01", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries on 2022-12-31: state 6.50%",
      request = common.request("KS", "Wichita", "67202", "2022-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "9.50", lines = { { tax = "9.50", taxability_reason = "standard_rated" } } } },
    { name = "groceries on 2023-12-31: state 4.00%",
      request = common.request("KS", "Wichita", "67202", "2023-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries on 2024-12-31: state 2.00%",
      request = common.request("KS", "Wichita", "67202", "2024-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries on 2025-01-01: today's treatment",
      request = common.request("KS", "Wichita", "67202", "2025-01-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "partially_taxable" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only 2023-06-30: exempt",
      request = common.request("KS", "Wichita", "67202", "2023-06-30", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment 2023-06-30: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("KS", "Wichita", "67202", "2023-06-30", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "9.98", lines = { { tax = "9.50" }, { tax = "0.00" }, { tax = "0.48", taxability_reason = "partially_taxable" } } } },
    -- issue 19, dated rates: the state rate by date (data/us/overlays.csv; KDOR Notices 13-08, 15-02)
    { name = "2015-06-30: state 6.15 % (Wichita 67202 9.15 %)",
      request = common.request("KS", "Wichita", "67202", "2015-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.15", lines = { { tax = "9.15", taxability_reason = "standard_rated" } } } },
    { name = "2015-07-01: state 6.5 %",
      request = common.request("KS", "Wichita", "67202", "2015-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.50", lines = { { tax = "9.50", taxability_reason = "standard_rated" } } } },
    { name = "2013-07-01: state 6.15 %",
      request = common.request("KS", "Wichita", "67202", "2013-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.15", lines = { { tax = "9.15", taxability_reason = "standard_rated" } } } },
    { name = "2013-06-30: state 6.3 % (start not known: note rate_history_unknown)",
      request = common.request("KS", "Wichita", "67202", "2013-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.30", lines = { { tax = "9.30", taxability_reason = "standard_rated" } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "groceries 2014-06-30: the general state rate of the day, 6.15 %",
      request = common.request("KS", "Wichita", "67202", "2014-06-30", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "9.15", lines = { { tax = "9.15", taxability_reason = "standard_rated" } } } },
    { name = "repair of goods: taxable (law22)",
      request = common.request("KS", "Wichita", "67202", "2026-03-01", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
  },
}
