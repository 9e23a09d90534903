-- Canada GST/HST (region "CA"). The engine supplies the federal GST (5%) or the HST
-- (federal + provincial part, e.g. ON 13%, NS 15% -> 14% on 2025-04-01) for the ship-to
-- province from its Canadian rate data; this file says what is taxed. Provincial sales
-- taxes registered separately are the regions CA-BC, CA-MB, CA-SK and CA-QC (their own files).
-- Source: Excise Tax Act (Canada), Schedule V (exempt) and Schedule VI (zero-rated).
return {
  region = "CA",
  name = "Canada (GST/HST)",
  tax_type = "GST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable",
    saas = "taxable", -- digital services: taxable, non-residents register under the simplified regime (ETA Part IX Div. VIII)
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable", -- commercial services are taxable supplies
    training = "taxable", -- commercial training taxable; vocational schools exempt under Sched. V Part III (doubt)
    shipping = "taxable", -- freight charged by the vendor follows the goods (doubt for zero-rated orders)
    clothing = "taxable",
    food_grocery = "zero_rated", -- ETA Schedule VI Part III: basic groceries zero-rated
    exempt = "exempt",
  },
  selftest = {
    -- tax-facts #11
    { name = "#11 Ontario HST 13%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    -- tax-facts #12: NS provincial part 10% -> 9% on 2025-04-01
    { name = "#12 Nova Scotia HST 15% on 2025-03-31",
      request = {
        currency = "CAD", date = "2025-03-31",
        ship_to = { line1 = "1 Main Street", city = "Halifax", state = "NS", zip_code = "B3H 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00" } } } },
    { name = "#12 Nova Scotia HST 14% on 2025-04-01",
      request = {
        currency = "CAD", date = "2025-04-01",
        ship_to = { line1 = "1 Main Street", city = "Halifax", state = "NS", zip_code = "B3H 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00" } } } },
    { name = "Alberta GST 5%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Calgary", state = "AB", zip_code = "T2P 1J9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "Ontario SaaS: HST 13%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00" } } } },
    { name = "Ontario professional services: HST 13%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00" } } } },
    { name = "Ontario basic groceries: zero-rated",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
