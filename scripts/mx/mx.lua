-- Mexico (MX): IVA. Rates: data/intl/national.csv (16 % since 2010-01-01, Ley del IVA art. 1 as
-- amended DOF 2009-11-07; 15 % from 1995-04-01 to 2009-12-31).
-- Digital services by non-residents: LIVA art. 18-B to 18-M (Chapter III Bis, in force
-- 2020-06-01): a foreign provider of digital services to recipients in Mexico registers and
-- charges IVA at 16 % (art. 18-D frac. I-III). The chapter makes no B2B exception: a Mexican
-- business customer pays the IVA on the provider's invoice and credits it (SAT, 'Servicios
-- digitales' guidance, rule 12.1.x RMF). So a business customer is charged too: no reverse
-- charge here (the customer's own self-assessment under art. 24 fr. V is for services the
-- chapter does not cover). The 8 % northern/southern border stimulus applies to sellers
-- established in the border region only (Decreto de estímulos fiscales región fronteriza
-- norte, DOF 2018-12-31), not to a foreign seller.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.

return {
  region = "MX",
  name = "Mexico",
  country = "MX",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- LIVA art. 1: 16 %
    saas = "taxable", -- LIVA art. 18-B fr. I: digital services (software, cloud) downloaded or accessed
    software_download = "taxable", -- LIVA art. 18-B fr. I
    digital_goods = "taxable", -- LIVA art. 18-B fr. I
    professional_services = "taxable", -- LIVA art. 14
    training = "taxable", -- LIVA art. 15 fr. IV exempts only schools with official recognition
    shipping = "taxable", -- LIVA art. 14
    clothing = "taxable", -- LIVA art. 1
    food_grocery = "zero_rated", -- LIVA art. 2-A fr. I inc. b): food products at 0 %
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  selftest = {
    { name = "standard rate on MXN 100.00",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 16 % (art. 18-D)",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 15 %: 2009-12-31",
      request = {
        currency = "MXN", date = "2009-12-31",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 16 %: 2010-01-01",
      request = {
        currency = "MXN", date = "2010-01-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: zero_rated (art. 2-A)",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: IVA charged anyway (art. 18-D, no B2B exception)",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "MX-TAXID-1", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
  },
}
