-- Alaska (US-AK): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 99801 of TAXRATES_ZIP5_AK202512.csv: county 5%
local common = require "_common"

return common.state{
  code = "AK",
  name = "Alaska",
  no_state_sales_tax = true,    -- no state tax; boroughs and cities levy their own (tax-facts §1, ARSSTC)
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    shipping = "exempt", -- local codes differ; ARSSTC Remote Seller Sales Tax Code leaves delivery to each member (doubt)
    -- SaaS and digital products (issue 19, law24): a remote seller's sales into a member of the
    -- Alaska Remote Seller Sales Tax Commission fall under the Uniform Code, whose section
    -- XX.XX.030 (as adopted by the members, e.g. City of Saint Paul Code 4.30.030,
    -- saintpaul.municipal.codes/CCO/4.30.030): "(a) ... it is presumed that all sales and
    -- services by a person or entity engaging in business are subject to the sales tax. (b) The
    -- application of the tax ... shall be broadly construed and shall favor inclusion rather
    -- than exclusion. (c) Exemptions ... allowed only when such exemption clearly falls within an
    -- exemption defined in the member jurisdiction's code. (d) The scope of this Code shall apply
    -- to remote sellers ... delivering products or services into member municipalities"
    -- (arsstc.org/about/code: "Interpretation - Taxability broadly construed"); its definitions
    -- cover products "delivered electronically" (Unalaska, Nome, Saint Paul copies). Secondary
    -- guides agree (remotebusinesslife.com Alaska: "Digital products are generally taxable ...
    -- SaaS Products: Taxable"; doola: SaaS taxable, digital products by local jurisdiction).
    -- Doubts: a member's own exemption of these is not modelled (none found in a stored source);
    -- a jurisdiction of the rate data that is not an ARSSTC member does not collect from remote
    -- sellers at all; each member's start (Juneau 2020-04-01, Sales Tax Institute) is not dated;
    -- professional services and training fall under the same presumption but stay exempt here
    -- until a member's code is checked.
    saas = "taxable",
    digital_goods = "taxable",
  },
  selftest = {
    { name = "general goods at the ZIP rate (5%)",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription by a remote seller: taxable at the member's rate (Uniform Code .030)",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "digital goods by a remote seller: taxable at the member's rate (Uniform Code .030)",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
