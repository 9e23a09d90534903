-- Saudi Arabia (SA): VAT. Rates: data/intl/national.csv (15 % from 2020-07-01, Royal Decree
-- A/638 of 2020-05-11 amending VAT Law art. 2; 5 % from 2018-01-01 to 2020-06-30).
-- A non-resident supplying services to a person not registered for VAT must register and
-- charge VAT (VAT Implementing Regulations art. 8, 9). A customer registered for VAT accounts
-- for the tax on services from a non-resident itself (Implementing Regulations art. 47(3),
-- reverse charge).
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. Implementing Regulations art. 47(3): a
-- taxable customer accounts for services from a non-resident supplier; ZATCA's guideline for
-- non-residents applies this also to a non-resident registered in the Kingdom (its B2B supplies
-- carry no VAT, the customer reverse-charges). Doubt: read from the guideline, not a ruling.

return {
  region = "SA",
  name = "Saudi Arabia",
  country = "SA",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- VAT Law art. 2
    saas = "taxable", -- Implementing Regulations art. 21 (place of supply: electronic services where the customer resides)
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- VAT Law art. 2
    training = "taxable", -- only private education for citizens is zero-rated (art. 36)
    shipping = "taxable", -- art. 2
    clothing = "taxable", -- art. 2
    food_grocery = "taxable", -- no relief for food in Saudi VAT
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  selftest = {
    { name = "standard rate on SAR 100.00",
      request = {
        currency = "SAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 15 %",
      request = {
        currency = "SAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 5 %: 2020-06-30",
      request = {
        currency = "SAR", date = "2020-06-30",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 15 %: 2020-07-01",
      request = {
        currency = "SAR", date = "2020-07-01",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "SAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (art. 47(3))",
      request = {
        currency = "SAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "399999999900003", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid SA number (does not end with 3): charged, note tax_id_invalid",
      request = {
        currency = "SAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "399999999900004", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "SAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        ship_from = { line1 = "1 Main Street", city = "Riyadh", zip_code = "12211", country = "SA" },
        customer = { id = "b2b-1", tax_id = "399999999900003", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
  },
}
