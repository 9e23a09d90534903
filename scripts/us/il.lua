-- Illinois (US-IL): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 60601 of TAXRATES_ZIP5_IL202512.csv: state 6.25%, county 1.75%, city 1.25%, district 1%
local common = require "_common"

return common.state{
  code = "IL",
  name = "Illinois",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    software_maintenance_optional = "exempt", -- 86 Ill. Adm. Code 130.1935(b), 140.301: a software maintenance agreement sold separately from the software is not a taxable sale (IDOR ST 06-0010-PLR)
    custom_software = "exempt", -- 86 Ill. Adm. Code 130.1935(c): custom computer programs are not tangible personal property
    saas = "exempt", -- [TF] not taxable at state level; Chicago Personal Property Lease Transaction Tax is a separate city tax not modelled here (doubt)
    shipping = "exempt", -- 86 Ill. Adm. Code 130.415: delivery charges separately contracted for are not part of gross receipts (doubt when delivery is mandatory)
    food_grocery = "exempt", -- P.A. 103-0781: the 1% state grocery tax ends 2026-01-01; municipal 1% grocery taxes are not in the rate data (doubt)
  },
  -- P.A. 103-0781: the 1% state rate on groceries applies until 2025-12-31
  calculate = function(ctx)
    common.dated_state_rate(ctx, "food_grocery", {
      { before = "2026-01-01", rate = "1.00" },
    }, "ILLINOIS")
  end,
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "optional software maintenance sold separately: exempt (canned software is taxable)",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "software_maintenance_optional") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mandatory software maintenance: part of the canned software sale, taxable",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "software_maintenance_mandatory") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25", taxability_reason = "standard_rated" } } } },
    { name = "custom software: exempt (canned software is taxable)",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (10.25%)",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries on 2025-12-31: state 1.00%",
      request = common.request("IL", "Chicago", "60601", "2025-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries on 2026-01-01: today's treatment",
      request = common.request("IL", "Chicago", "60601", "2026-01-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- tax-facts #22: Chicago 60601 10.25% in the Dec-2025 table (6.25 + 1.75 + 1.25 + 1)
    { name = "#22 Chicago 60601 $100 general -> 10.25",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25", taxability_reason = "standard_rated" } } } },
    { name = "#22 Chicago $250.50 general",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "250.50", "1", "general") }),
      expect = { total_tax = "25.68", lines = { { tax = "25.68" } } } },
  },
}
