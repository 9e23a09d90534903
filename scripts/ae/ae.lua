-- United Arab Emirates (AE): VAT. Rate: data/intl/national.csv (5 % since 2018-01-01, Federal
-- Decree-Law No. 8 of 2017 art. 3).
-- A non-resident supplying electronic services to a non-registered recipient in the UAE must
-- register (Decree-Law art. 13-14; Executive Regulation art. 30(8)) and charge VAT. A recipient
-- registered for VAT accounts for services imported from a non-resident itself (Decree-Law
-- art. 48, reverse charge).
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. Decree-Law art. 48(1) (import of services
-- by a registered recipient from a supplier with no place of residence in the State) turns on
-- the supplier's residence, not its registration: a UAE-registered non-resident does not charge
-- a registered business, which reverse-charges (Executive Regulation art. 30; FTA VAT Guide
-- on non-resident registration). Doubt: FTA guide wording, no ruling seen.

return {
  region = "AE",
  name = "United Arab Emirates",
  country = "AE",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- Decree-Law art. 3
    saas = "taxable", -- Decree-Law art. 31 / Executive Regulation art. 30(8): electronic services where used
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- art. 3
    training = "taxable", -- art. 45(4) zero-rates only recognised education
    shipping = "taxable", -- art. 3
    clothing = "taxable", -- art. 3
    food_grocery = "taxable", -- no relief for food in UAE VAT
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  selftest = {
    { name = "standard rate on AED 100.00",
      request = {
        currency = "AED", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 5 %",
      request = {
        currency = "AED", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of VAT: 2018-01-01",
      request = {
        currency = "AED", date = "2018-01-01",
        ship_to = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "AED", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (art. 48)",
      request = {
        currency = "AED", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "100123456700003", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid AE number (14 digits): charged, note tax_id_invalid",
      request = {
        currency = "AED", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "10012345670000", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "AED", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        ship_from = { line1 = "1 Main Street", city = "Dubai", country = "AE" },
        customer = { id = "b2b-1", tax_id = "100123456700003", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
  },
}
