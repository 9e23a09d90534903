-- Malaysia (MY): Service Tax on digital services by foreign service providers (written as type
-- VAT: levy's types have no 'service tax'; Rillet books both as VAT). Rates: data/intl/
-- national.csv — 6 % from 2020-01-01 (Service Tax Act 2018 Part IVA s56A-56I, in force
-- 2020-01-01), 8 % from 2024-03-01 (Service Tax (Rate of Tax) (Amendment) Order 2024).
-- What is taxed is the rule's own logic: only digital services are in Part IVA. Goods bear
-- Sales Tax, which Customs collects at import, not the seller (Sales Tax Act 2018 s10): a
-- foreign seller charges none, so goods, shipping and non-digital services are exempt here.
-- A business customer is not a 'consumer' of Part IVA: it accounts for imported taxable
-- services itself (Service Tax Act 2018 s26A, in force 2019-01-01) — reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. Part IVA registration (s. 56B) covers
-- digital services to consumers (s. 56A: a consumer is not a registered person using the
-- service in its business); a business accounts for imported taxable services itself
-- (s. 26A, First Schedule), whether or not the foreign provider is registered.

return {
  region = "MY",
  name = "Malaysia",
  country = "MY",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "exempt", -- only Part IVA digital services bear service tax from a foreign seller
    general = "exempt", -- Sales Tax Act 2018 s10: sales tax on imported goods is collected by Customs
    saas = "taxable", -- Service Tax Act 2018 s56A: 'digital service' (software, cloud)
    software_download = "taxable", -- s56A
    digital_goods = "taxable", -- s56A
    professional_services = "exempt", -- not a digital service: outside Part IVA for a foreign seller
    training = "exempt", -- live training is not a digital service
    shipping = "exempt", -- follows the goods
    clothing = "exempt", -- goods: Sales Tax at import
    food_grocery = "exempt", -- goods: Sales Tax at import
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  selftest = {
    { name = "SaaS to a consumer: 8 %",
      request = {
        currency = "MYR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 6 %: 2024-02-29",
      request = {
        currency = "MYR", date = "2024-02-29",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 8 %: 2024-03-01",
      request = {
        currency = "MYR", date = "2024-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "goods from a foreign seller: no service tax (sales tax at import)",
      request = {
        currency = "MYR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: outside Part IVA",
      request = {
        currency = "MYR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (s26A)",
      request = {
        currency = "MYR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "W10-1808-31000001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid MY number (a digit short): charged, note tax_id_invalid",
      request = {
        currency = "MYR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "W10-1808-3100000", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: tax charged",
      request = {
        currency = "MYR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        ship_from = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        customer = { id = "b2b-1", tax_id = "W10-1808-31000001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
  },
}
