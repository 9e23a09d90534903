-- Louisiana (US-LA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 70113 of TAXRATES_ZIP5_LA202512.csv: state 5%, county 5%, district 1%
local common = require "_common"

return common.state{
  code = "LA",
  name = "Louisiana",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- 2024 3rd Extraordinary Session (tax reform, from 2025-01-01): Act 10 (H.B. 8) added digital
    -- products (audiovisual, audio works, books, codes, applications and games, periodicals) to the
    -- base; H.B. 10 added two taxable services, prewritten computer software access and information
    -- services (LDR 2024 3rd ES legislative summaries, 2024-12-16, as summarised by Deloitte
    -- 2025-01-10; LDR FAQ "What things are not digital products?"). Before: not in the state base
    -- (local parishes that taxed them earlier: doubt, not modelled).
    -- Business vs personal use (issue 19, audit law19f): Louisiana has no blanket business-use
    -- exemption. Digital products, prewritten computer software access and information services
    -- are exempt only when bought exclusively for commercial purposes AND used directly to produce
    -- goods or services sold to customers that are themselves subject to sales or insurance premium
    -- tax (or by FDIC-insured institutions and licensed health-care providers for the listed uses):
    -- LDR FAQ "Are there any exemptions for digital products?"; Sales Tax Institute on H.B. 8.
    -- A `business` customer does not meet that by being a business, so these rows stay taxable for
    -- both customer types; a qualifying buyer is an exempt customer (its certificate), not a type.
    saas = {
      { "exempt", to = "2024-12-31", cite = "before H.B. 10 (2024 3rd ES): prewritten computer software access not a taxable service" },
      { "taxable", from = "2025-01-01", cite = "[TF] H.B. 10 (2024 3rd ES), R.S. 47:301(14): prewritten computer software access a taxable service from 2025-01-01 (LDR summary 2024-12-16)" },
    },
    digital_goods = {
      { "exempt", to = "2024-12-31", cite = "before Act 10 (H.B. 8, 2024 3rd ES): digital products not tangible personal property" },
      { "taxable", from = "2025-01-01", cite = "Act 10 (H.B. 8, 2024 3rd ES), R.S. 47:301.3: digital products taxable as tangible personal property from 2025-01-01" },
    },
    information_services = {
      { "exempt", to = "2024-12-31", cite = "before H.B. 10 (2024 3rd ES): information services not a taxable service" },
      { "taxable", from = "2025-01-01", cite = "H.B. 10 (2024 3rd ES): information services (newsletters, research publications, reports, database subscriptions) taxable from 2025-01-01 (LDR summary 2024-12-16)" },
    },
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = { exempt_levels = { "state" } }, -- La. R.S. 47:305(D)(1)(n): food for home consumption exempt from state tax; parish taxes apply
  },
  selftest = {
    { name = "general goods at the ZIP rate (11%)",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS 2024-12-31: not taxable (before H.B. 10)",
      request = common.request("LA", "New Orleans", "70113", "2024-12-31", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS 2025-01-01: taxable (H.B. 10)",
      request = common.request("LA", "New Orleans", "70113", "2025-01-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "information services 2024-12-31: not taxable",
      request = common.request("LA", "New Orleans", "70113", "2024-12-31", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "information services 2025-01-01: taxable",
      request = common.request("LA", "New Orleans", "70113", "2025-01-01", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "e-book 2024-12-31: not taxable; 2025-01-01: taxable",
      request = common.request("LA", "New Orleans", "70113", "2024-12-31", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "0.00" } },
    { name = "e-book 2025-01-01: taxable",
      request = common.request("LA", "New Orleans", "70113", "2025-01-01", { common.line("1", "100.00", "1", "digital_books") }),
      expect = { total_tax = "11.00" } },
    { name = "state rate 2024-12-31: 4.45 % (overlays.csv)",
      request = common.request("LA", "New Orleans", "70113", "2024-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.45", lines = { { taxes = { { level = "state", percentage = "4.45" } } } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state level exempt, local rates apply",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "partially_taxable" } } } },
    { name = "professional services: exempt",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("LA", "New Orleans", "70113", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, dated rates: the state rate before Act 26 of 2016 (data/us/overlays.csv)
    { name = "2016-03-31: state 4 % + New Orleans 5 % (start of the 4 % not known: note rate_history_unknown)",
      request = common.request("LA", "New Orleans", "70112", "2016-03-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "standard_rated" } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "2016-04-01: state 5 % (Act 26) + New Orleans 5 %",
      request = common.request("LA", "New Orleans", "70112", "2016-04-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
  },
}
