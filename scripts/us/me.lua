-- Maine (US-ME): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 04101 of TAXRATES_ZIP5_ME202512.csv: state 5.5%
local common = require "_common"

-- Prepared food (issue 19, rates beyond the general rate): 36 M.R.S. 1811 taxes prepared food at
-- its own rate, 8% since 2013-10-01 (P.L. 2013, c. 368, the same act that took the general
-- rate from 5% to 5.5%; 7% before), against the general 5.5% of the ZIP table (Maine Revenue
-- Services Instructional Bulletin No. 27 "Sales of prepared food"; 36 M.R.S. 1811 as amended;
-- legalclarity.org "What is the sales tax rate in Maine?": 8% on prepared food; b985.fm: 5 -> 5.5%
-- and 7 -> 8% the same day).
-- Maine has no local sales tax, so the state entry carries it; kept standard_rated (it is the
-- tax on prepared food, not a reduced rate). Before 2013-10-01: 7% (calculate below).
local PREPARED_FOOD_FROM = "2013-10-01"
local PREPARED_FOOD_RATE = "8.00"

-- law22: before 2013-10-01 prepared food paid 7 % (the same sources: b985.fm "The meals and
-- lodging tax will increase from 7% to 8%"; SALT Report 2911 "The 7% tax rate on ... sales of
-- prepared food ... will increase to 8%"); the general 5 % of that time is in
-- data/us/overlays.csv (with the note rate_history_unknown: its start was not found).
local function calculate(ctx)
  common.state_rate_for(ctx, "prepared_food", PREPARED_FOOD_RATE, PREPARED_FOOD_FROM)
  common.dated_state_rate(ctx, "prepared_food", {
    { before = PREPARED_FOOD_FROM, rate = "7.00", reason = "standard_rated" },
  }, "MAINE")
end

return common.state{
  code = "ME",
  name = "Maine",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "exempt", -- [TF] not taxable (sources conflict)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    -- delivery (issue 19): 36 M.R.S. 1752(14)(B)(7): "Sale price" does not include "the cost of
    -- transportation from the retailer's place of business or other point from which shipment is
    -- made directly to the purchaser, provided that those charges are separately stated and the
    -- transportation occurs by means of common carrier, contract carrier or the United States
    -- mail" (the text as amended through P.L. 2003, c. 673, shown in LD 1437 of the 122nd
    -- Legislature and LD 1919 of the 121st; no condition that the buyer could avoid the charge,
    -- as levy read it before). levy's `shipping` is a separately stated delivery charge of a
    -- seller who ships by carrier or mail: excluded, whatever is shipped. Not modelled: delivery
    -- in the seller's own vehicle (not a common or contract carrier: part of the sale price),
    -- which levy cannot see on a line.
    shipping = "exempt",
    -- a single charge for delivery with handling, crating or packing is not "the cost of
    -- transportation ... separately stated": nothing of it is excluded, it is part of the sale
    -- price of the goods shipped (1752(14)(A)), so it is taxed with them (exempt goods: not)
    shipping_handling = "follows_goods",
  },
  calculate_for = { "prepared_food" }, -- calculate acts on these lines only
  calculate = calculate,
  selftest = {
    { name = "prepared food: 8% (36 M.R.S. 1811)",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "prepared food 2013-10-01: 8% (P.L. 2013, c. 368)",
      request = common.request("ME", "Portland", "04101", "2013-10-01", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (5.5%)",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.50", lines = { { tax = "5.50", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "5.50", lines = { { tax = "5.50" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with exempt goods only: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping and handling in one charge with taxable goods: taxed with them (1752(14)(B)(7) excludes only the cost of transportation)",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "6.05", lines = { { tax = "5.50" }, { tax = "0.55", taxability_reason = "standard_rated" } } } },
    { name = "shipping and handling in one charge with exempt goods only: not taxed",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00" } } } },
    { name = "groceries: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("ME", "Portland", "04101", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, dated rates: the general rate before P.L. 2013, c. 368 (data/us/overlays.csv)
    { name = "2013-09-30: general 5 % (start not known: note rate_history_unknown)",
      request = common.request("ME", "Portland", "04101", "2013-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "2013-10-01: general 5.5 %",
      request = common.request("ME", "Portland", "04101", "2013-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.50", lines = { { tax = "5.50", taxability_reason = "standard_rated" } } } },
    { name = "prepared food 2013-09-30: 7 %",
      request = common.request("ME", "Portland", "04101", "2013-09-30", { common.line("1", "100.00", "1", "prepared_food") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } }, notes = { { code = "rate_history_unknown" } } } },
  },
}
