-- Saskatchewan (region CA-SK): PST 6%, registered separately from the federal GST (region "CA",
-- scripts/ca/gst.lua). The engine supplies the provincial rate (6%) from its Canadian rate
-- data and applies this file to the provincial jurisdiction; the self-test totals include
-- the 5% GST of the CA rule (self-tests run with every region subscribed).
--
-- Registered foreign seller (issue 19): unchanged. Saskatchewan PST has no B2B relief for a
-- registered out-of-province seller of software and digital services: business customers are
-- charged (The Provincial Sales Tax Act s. 5, s. 8; Information Bulletin PST-69).

return {
  region = "CA-SK",
  name = "Saskatchewan",
  tax_type = "PST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- The Provincial Sales Tax Act (SK): 6%
    saas = "taxable", -- PST applies to computer services and software, including SaaS (Information Bulletin PST-47, doubt)
    software_download = "taxable",
    digital_goods = "taxable", -- digital content taxable (doubt)
    professional_services = "exempt", -- only listed services are taxable (legal, since 2017: not separable)
    training = "exempt",
    shipping = "taxable", -- delivery charges are part of the taxable value
    clothing = "taxable", -- children's clothing exempt: not separable
    food_grocery = "exempt",
    exempt = "exempt",
  },
  selftest = {
    { name = "general goods: GST 5% + PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "basic groceries: no GST, no PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
