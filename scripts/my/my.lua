-- Malaysia (MY): Service Tax on digital services by foreign service providers (written as type
-- VAT: levy's types have no 'service tax'; Rillet books both as VAT). Rates: data/intl/
-- national.csv — 6 % from 2020-01-01 (Service Tax Act 2018 Part IVA s56A-56I, in force
-- 2020-01-01), 8 % from 2024-03-01 (Service Tax (Rate of Tax) (Amendment) Order 2024).
-- What is taxed is the rule's own logic: only digital services are in Part IVA. Goods bear
-- Sales Tax, which Customs collects at import, not the seller (Sales Tax Act 2018 s10): a
-- foreign seller charges none, so goods, shipping and non-digital services are exempt here.
-- A business customer is charged too (issue 19, audit law19f): Part IVA taxes digital
-- services to a 'consumer', and s. 2 defines a consumer as any person who fulfils two of: pays
-- with a Malaysian credit or debit facility, acquires through a Malaysian IP address or phone
-- code, resides in Malaysia -- no exclusion for a business or a registered person (Service Tax
-- (Amendment) Act 2019; Skrine 2019-04 quoting the Bill; mylaw.my Service Tax Act 2018 s. 2).
-- The regime "imposes the tax on both individual and business consumers in Malaysia" (Baker
-- McKenzie, Global Compliance News 2020-11-22; Churchill Tax 2019-10-25: it "also captures
-- provision of digital services to businesses"); a business charged by a registered foreign
-- service provider is exempted from its own reverse charge on imported taxable services
-- (s. 26A, in force 2019-01-01) so the tax is paid once. So there is no `reverse_charge` here:
-- the old reading (a business is not a 'consumer', reverse charge) was wrong.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): the Part IVA registration covers digital services to
-- every 'consumer' of s. 2, businesses included (above): the registered foreign service
-- provider charges a business customer as it charges an individual.
--
-- Start of the foreign-seller regime: Part IVA came into force on 2020-01-01 (Service Tax
-- (Amendment) Act 2019, gazetted 2019-07-09): the 6 % rate row of data/intl/national.csv
-- starts that day, so before it levy answers no_tax_in_region (no tax) for every line.

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
  -- no reverse_charge: a business is a 'consumer' of Part IVA and is charged (header)
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
    { name = "foreign seller, business customer with a valid SST number: charged 8 % (a business is a 'consumer', s. 2)",
      request = {
        currency = "MYR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "W10-1808-31000001", exempt = false, type = "business" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "foreign seller, business customer 2020-01-01 (first day of Part IVA): charged 6 %",
      request = {
        currency = "MYR", date = "2020-01-01",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "W10-1808-31000001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2019-12-31 (the day before Part IVA): no service tax",
      request = {
        currency = "MYR", date = "2019-12-31",
        ship_to = { line1 = "1 Main Street", city = "Kuala Lumpur", zip_code = "50000", country = "MY" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "no_tax_in_region" } } } },
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
