-- New Mexico (US-NM): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 87101 of TAXRATES_ZIP5_NM202512.csv: state 4.875%, city 2.75%
local common = require "_common"

return common.state{
  code = "NM",
  name = "New Mexico",
  sourcing = "destination", -- HB 6 (2019): destination-based gross receipts sourcing since 2021-07-01
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    custom_software = "taxable", -- NMSA 1978 7-9-3.5: gross receipts include receipts from licensing software and performing services
    software_maintenance_optional = "taxable", -- NMSA 1978 7-9-3.5: gross receipts include receipts from licensing software and performing services
    iaas_paas = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    data_processing = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    information_services = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    custom_programming = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    it_consulting = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    it_support = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    website_development = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    installation = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    repair_services = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    online_course_live = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    online_course_recorded = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    training_in_person = "taxable", -- NMSA 1978 7-9-3.5, 7-9-4: gross receipts include receipts from performing services in New Mexico (no deduction for this service)
    saas = "taxable", -- [TF] gross receipts tax
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    professional_services = "taxable", -- GRT applies to services performed in New Mexico
    training = "taxable", -- GRT applies to services performed in New Mexico
    shipping = "taxable", -- GRT: delivery charges are gross receipts
    food_grocery = "exempt", -- NMSA 7-9-92: food-retailer deduction
  },
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "IT support: gross receipts tax",
      request = common.request("NM", "Albuquerque", "87101", "2025-12-15", { common.line("1", "100.00", "1", "it_support") }),
      expect = { total_tax = "7.63", lines = { { tax = "7.63", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (7.625%)",
      request = common.request("NM", "Albuquerque", "87101", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.63", lines = { { tax = "7.63", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("NM", "Albuquerque", "87101", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "7.63", lines = { { tax = "7.63", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("NM", "Albuquerque", "87101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.40", lines = { { tax = "7.63" }, { tax = "0.77", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("NM", "Albuquerque", "87101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: taxable",
      request = common.request("NM", "Albuquerque", "87101", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "7.63", lines = { { tax = "7.63", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = common.request("NM", "Albuquerque", "87101", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, dated rates: the state gross receipts tax rate by date (data/us/overlays.csv: 2022 HB 163)
    { name = "2023-06-30: state 5 % + Albuquerque 2.75 %",
      request = common.request("NM", "Albuquerque", "87101", "2023-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.75", lines = { { tax = "7.75", taxes = { { level = "state", amount = "5.00" }, { level = "city", amount = "2.75" } } } } } },
    { name = "2023-07-01: state 4.875 %",
      request = common.request("NM", "Albuquerque", "87101", "2023-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.63", lines = { { tax = "7.63" } } } },
    { name = "2022-07-01: state 5 % (HB 163)",
      request = common.request("NM", "Albuquerque", "87101", "2022-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.75", lines = { { tax = "7.75" } } } },
    { name = "2022-06-30: state 5.125 %, earlier history not known to levy: note rate_history_unknown",
      request = common.request("NM", "Albuquerque", "87101", "2022-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.88", lines = { { tax = "7.88" } }, notes = { { code = "rate_history_unknown" } } } },
  },
}
