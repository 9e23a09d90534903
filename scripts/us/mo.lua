-- Missouri (US-MO): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 64106 of TAXRATES_ZIP5_MO202512.csv: state 4.225%, county 1.375%, city 3.25%, district 3.125%
-- ("KANSAS CITY 1200 MAIN TL"), charged outside that TDD at district 1.125% (below)
local common = require "_common"

return common.state{
  code = "MO",
  name = "Missouri",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    software_download = "exempt", -- 12 CSR 10-109.050: software delivered electronically is not tangible personal property
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = common.state_rate("1.225"), -- RSMo 144.014: state rate on food 1.225%; local rates apply
  },
  selftest = {
    -- issue 19, partial-ZIP districts (docs/rules.md section 5): 63005's ZIP-table region is the
    -- Chesterfield Blue Valley CID (10.113 %); charged outside it, 8.738 % = 4.225 + St. Louis
    -- County 2.263 + Chesterfield 1.0 + the county's special 1.25 (42.25 + 22.63 + 10.00 + 12.50)
    { name = "partial-ZIP district: 63005 charged outside the Blue Valley CID (8.738%)",
      request = common.request("MO", nil, "63005", "2026-03-01", { common.line("1", "1000.00", "1", "general") }),
      expect = { total_tax = "87.38", lines = { { tax = "87.38", taxability_reason = "standard_rated" } } } },
    -- 63017's region is Town and Country's TDD; ship_to.city Chesterfield decides: 8.738 %, the
    -- city's published rate for 63017 (chesterfield.mo.us/tax-information.html)
    { name = "partial-ZIP district: 63017 in Chesterfield at the city's rate (8.738%)",
      request = common.request("MO", "Chesterfield", "63017", "2026-03-01", { common.line("1", "1000.00", "1", "general") }),
      expect = { total_tax = "87.38", lines = { { tax = "87.38", taxability_reason = "standard_rated" } } } },
    -- 64106's ZIP-table region is "KANSAS CITY 1200 MAIN TL" (11.975 %), a TDD of a downtown
    -- block: charged is Kansas City downtown outside it, 9.975 % (4.225 + Jackson County 1.375 +
    -- city 3.25 + 1.125: the zoo district and the Main Street Rail TDD; docs/rules.md section 5,
    -- "Partial-ZIP districts"), the district listed in ambiguous_zip
    { name = "general goods at Kansas City's downtown rate outside the 1200 Main TDD (9.975%)",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.99", lines = { { tax = "9.99", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.99", lines = { { tax = "9.99" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state rate 1.225%, local rates kept",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.99", lines = { { tax = "6.99", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MO", "Kansas City", "64106", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
