-- Florida (US-FL): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 33130 of TAXRATES_ZIP5_FL202512.csv: state 6%, county 1%
local common = require "_common"

-- Discretionary sales surtax (county level, and district where the table has one) applies
-- only to the first $5,000 of a single item of tangible personal property: Fla. Stat.
-- 212.054(2)(b)1 ("the sales amount above $5,000 on any item of tangible personal property
-- shall not be subject to the surtax"); Rule 12A-15.004 F.A.C. The 6% state tax applies to the
-- whole price. Per unit (the engine's unit_to window): 2 items of $6,000 -> 2 x $5,000.
local SURTAX_CAP = "5000.00"
local ITEM_CODES = { general = true, clothing = true } -- tangible personal property sold per item

local function calculate(ctx)
  for _, line in ipairs(common.taxed_lines(ctx, function(l) return ITEM_CODES[l.tax_code] or ITEM_CODES[l.tax_code_parent] end)) do
    for _, t in ipairs(line.taxes) do
      if t.level ~= "state" then
        t.unit_to = SURTAX_CAP
      end
    end
  end
end

return common.state{
  code = "FL",
  name = "Florida",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    custom_software = "exempt", -- Rule 12A-1.032 F.A.C.: custom software is a nontaxable professional service
    software_download = "exempt", -- Rule 12A-1.032: software delivered electronically is not tangible personal property
    -- Rule 12A-1.045(3) F.A.C., DOR FAQ 1277: separately stated delivery the purchaser can avoid
    -- (pick-up possible) is not taxable. Mandatory delivery (issue 19, sourced): 12A-1.045(3)(a) --
    -- "the purchaser cannot elect to avoid the charge ... subject to tax, even if separately stated";
    -- Example (3)(b)2.: a mail-order company shipping every order F.O.B. destination for a charge
    -- by weight and distance: the charge is taxable. Which applies is the seller setting
    -- pickup_offered (docs/rules.md section 2, "Shipping"): "yes" exempt; "no" (the default: it
    -- only ships) the charge is part of the sales price of the goods it delivers, so it follows
    -- them: taxed with taxable goods, not with exempt ones (s. 212.02(16) F.S.: "sales price"
    -- includes delivery charges of the property sold), a mixed shipment by price (doubt).
    shipping = { pickup_offered = "exempt", ship_only = "follows_goods" },
  },
  calculate_for = common.codes(ITEM_CODES), -- calculate acts on these lines only
  calculate = calculate,
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "custom software: exempt",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (7%)",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods, seller offering pick-up (pickup_offered yes): exempt",
      pickup_offered = "yes",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, mandatory delivery (Rule 12A-1.045(3)(a), Example (3)(b)2.): a ship-only seller
    { name = "shipping with taxable goods, ship-only seller (the default): taxed at 7 %",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.70", lines = { { tax = "7.00" }, { tax = "0.70", taxability_reason = "standard_rated" } } } },
    { name = "shipping of groceries, ship-only seller: exempt with the goods",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, caps on the price: the surtax only on the first $5,000 of a single item
    { name = "single item of $5,000.00: state 6% + surtax 1% on the whole price",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "5000.00", "1", "general") }),
      expect = { total_tax = "350.00", lines = { { tax = "350.00", taxability_reason = "standard_rated" } } } },
    { name = "single item of $6,000.00: surtax on the first $5,000 only (360.00 + 50.00)",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "6000.00", "1", "general") }),
      expect = { total_tax = "410.00", lines = { { tax = "410.00" } } } },
    -- issue 19, product taxonomy: hardware is tangible goods (tax_code_parent "general")
    { name = "single item of $6,000.00 of computer hardware (a refinement of general goods): the same caps",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "6000.00", "1", "hardware") }),
      expect = { total_tax = "410.00", lines = { { tax = "410.00" } } } },
    { name = "2 items of $6,000.00 on one line: the cap is per item (720.00 + 100.00)",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "12000.00", "2", "general") }),
      expect = { total_tax = "820.00", lines = { { tax = "820.00" } } } },
    { name = "credit of a $6,000.00 item mirrors the sale: -410.00",
      request = common.request("FL", "Miami", "33130", "2025-12-15", { common.line("1", "-6000.00", "1", "general") }),
      expect = { total_tax = "-410.00", lines = { { tax = "-410.00" } } } },
  },
}
