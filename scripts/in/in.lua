-- India (IN): GST. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in India (imported services to registered persons: reverse charge, IGST Act s5(3)) accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).
--
-- Registered foreign seller (issue 19): unchanged. Services by a supplier in a non-taxable
-- territory to a person in India other than a "non-taxable online recipient" are taxed on the
-- recipient (IGST Act s. 5(3); Notification 10/2017-Integrated Tax (Rate), entry 1). The OIDAR
-- registration (IGST Act s. 14, s. 2(16)-(17)) covers only non-taxable online recipients; a
-- registered OIDAR supplier does not charge a GSTIN holder (CBIC OIDAR FAQ): reverse charge.

return {
  region = "IN",
  name = "India",
  tax_type = "GST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- GST 18% standard slab (the national rate data holds one rate)
    saas = "taxable", -- OIDAR services: 18%
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "taxable",
    shipping = "taxable",
    clothing = "taxable", -- clothing is 5%/18% by price; only the standard slab is modelled (doubt)
    food_grocery = "exempt", -- unbranded staples are nil-rated (Notification 2/2017-Integrated Tax (Rate)); packaged food 5% is not modelled (doubt)
    exempt = "exempt",
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  selftest = {
    { name = "standard rate on INR 1000.00",
      request = {
        currency = "INR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Mumbai", zip_code = "400001", country = "IN" },
        lines = { { id = "1", amount = "1000.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "180.00", lines = { { tax = "180.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "INR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Mumbai", zip_code = "400001", country = "IN" },
        lines = { { id = "1", amount = "1000.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "180.00", lines = { { tax = "180.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: product_exempt",
      request = {
        currency = "INR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Mumbai", zip_code = "400001", country = "IN" },
        lines = { { id = "1", amount = "1000.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = {
        currency = "INR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Mumbai", zip_code = "400001", country = "IN" },
        lines = { { id = "1", amount = "1000.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "INR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Mumbai", zip_code = "400001", country = "IN" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "27AAPFU0939F1ZV", exempt = false },
        lines = { { id = "1", amount = "1000.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "INR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Mumbai", zip_code = "400001", country = "IN" },
        ship_from = { line1 = "1 Main Street", city = "Mumbai", zip_code = "400001", country = "IN" },
        customer = { id = "b2b-2", tax_id = "27AAPFU0939F1ZV", exempt = false },
        lines = { { id = "1", amount = "1000.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "180.00", lines = { { tax = "180.00", taxability_reason = "standard_rated" } } } },
  },
}
