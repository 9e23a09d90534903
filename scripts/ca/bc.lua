-- British Columbia (region CA-BC): PST 7%, registered separately from the federal GST (region "CA",
-- scripts/ca/gst.lua). The engine supplies the provincial rate (7%) from its Canadian rate
-- data and applies this file to the provincial jurisdiction; the self-test totals include
-- the 5% GST of the CA rule (self-tests run with every region subscribed).
--
-- Registered foreign seller (issue 19): unchanged. A registered out-of-province seller of
-- software and related services charges BC PST to business customers too: the PST has no
-- reverse charge for B2B (Provincial Sales Tax Act s. 37, s. 172.1; Bulletin PST 001/PST 105).

return {
  region = "CA-BC",
  name = "British Columbia",
  tax_type = "PST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- Provincial Sales Tax Act (BC) s.37: 7%
    saas = "taxable", -- PST Bulletin 105: software, including software accessed over the internet, is taxable
    software_download = "taxable", -- PST Bulletin 105
    digital_goods = "taxable", -- since 2021-04-01 (Budget 2020) streaming and online content services are taxable; e-books are exempt as books (doubt)
    professional_services = "exempt", -- services are not taxable except those listed (legal services, Bulletin 504: not separable)
    training = "exempt",
    shipping = "taxable", -- delivery charged by the seller is part of the purchase price (PST Bulletin 300 series, doubt)
    clothing = "taxable", -- children's clothing exempt (s.8 Exemption Reg.): not separable under this code
    food_grocery = "exempt", -- food for human consumption exempt
    exempt = "exempt",
  },
  selftest = {
    { name = "general goods: GST 5% + PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "basic groceries: no GST, no PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: GST only",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00" } } } },
    { name = "SaaS: GST 5% + PST 7%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00" } } } },
  },
}
