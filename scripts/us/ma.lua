-- Massachusetts (US-MA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 02108 of TAXRATES_ZIP5_MA202512.csv: state 6.25%
local common = require "_common"

return common.state{
  code = "MA",
  name = "Massachusetts",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    custom_software = "exempt", -- 830 CMR 64H.1.3: custom software is not taxable; only standardized (prewritten) software is tangible personal property (M.G.L. c.64H s.1)
    print_publication_subscription = "exempt", -- M.G.L. c.64H s.6(m): newspapers and magazines exempt
    saas = "taxable", -- [TF] 830 CMR 64H.1.3: prewritten software however delivered, incl. remote access
    -- delivery (issue 19, shipping; law22: checked against the DOR's own text): MA DOR Directive
    -- 04-5 "Transportation Charges" (2004-07-07, effective 2004-09-01): "A transportation charge,
    -- i.e., a charge by the seller of tangible personal property for preparation and delivery of
    -- goods to a location designated by the purchaser is excluded from the sales price" when
    -- separately stated (freight-in is not); Directive 98-5: a separately stated "shipping and
    -- handling" charge that reasonably reflects the costs of transportation is treated the same
    -- way. So both are excluded, whatever is shipped.
    shipping = "exempt",
    shipping_handling = "exempt",
    clothing = "taxable", -- M.G.L. c.64H s.6(k): only the part of an article's price above $175 is taxed (calculate below)
  },
  calculate_for = { "clothing" }, -- calculate acts on these lines only
  calculate = function(ctx)
    common.exempt_first(ctx, "clothing", "175.00")
  end,
  selftest = {
    -- issue 19, law24: the state rate 5 % -> 6.25 % from 2009-08-01 (St. 2009 c. 27; data/us/overlays.csv), both sides
    { name = "state rate on 2009-07-31: 5.00 % (its start unknown: note)",
      request = common.request("MA", "Boston", "02108", "2009-07-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.00", lines = { { taxes = { { level = "state", percentage = "5.00" } } } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "state rate on 2009-08-01: 6.25 %",
      request = common.request("MA", "Boston", "02108", "2009-08-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.25", lines = { { taxes = { { level = "state", percentage = "6.25" } } } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "custom software: exempt (prewritten software_download is taxable)",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "prewritten software download: taxable",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "software_download") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25", taxability_reason = "standard_rated" } } } },
    { name = "printed magazine subscription: exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "print_publication_subscription") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (6.25%)",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing 1 x 100.00: first $175.00 per item exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing 1 x 200.00: first $175.00 per item exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "200.00", "1", "clothing") }),
      expect = { total_tax = "1.56", lines = { { tax = "1.56", taxability_reason = "partially_taxable" } } } },
    { name = "clothing 2 x 200.00: first $175.00 per item exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "400.00", "2", "clothing") }),
      expect = { total_tax = "3.13", lines = { { tax = "3.13", taxability_reason = "partially_taxable" } } } },
    -- a credit mirrors the sale it refunds (issue 15: the signed unit price was "at most $175")
    { name = "clothing credit -200.00: mirrors the sale, -1.56",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "-200.00", "1", "clothing") }),
      expect = { total_tax = "-1.56", lines = { { tax = "-1.56", taxability_reason = "partially_taxable" } } } },
    { name = "clothing 1 x 175.00: first $175.00 per item exempt",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "175.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping and handling with taxable goods: excluded (Directive 04-5, 98-5), no fallback note",
      request = common.request("MA", "Boston", "02108", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
