-- Switzerland (CH): VAT. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in Switzerland (recipient-side acquisition tax, MWSTG Art. 45) accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).

return {
  region = "CH",
  name = "Switzerland",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- 8.1% standard since 2024-01-01 (MWSTG Art. 25)
    saas = "taxable",
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "exempt", -- MWSTG Art. 21 para. 2 no. 11: education and training are excluded from VAT
    shipping = "taxable",
    clothing = "taxable",
    food_grocery = "reduced", -- MWSTG Art. 25 para. 2: food at the reduced rate (2.6% since 2024)
    exempt = "exempt",
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  selftest = {
    { name = "standard rate on CHF 100.00",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "groceries: reduced_rated",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "2.60", lines = { { tax = "2.60", taxability_reason = "reduced_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "CHE-116.281.710 MWST", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        customer = { id = "b2b-2", tax_id = "CHE-116.281.710 MWST", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    -- A tax id is not a word (issue 19; core/tax/calc.c levy_tax_id_usable, core/tax/taxid.c):
    -- an id that is not a valid Swiss UID is a consumer sale with a note.
    { name = "US seller to a Swiss customer: tax id \"N/A\" is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "N/A", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a Swiss customer: tax id an EIN is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "12-3456789", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a Swiss customer: tax id \"DE12345\" is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "DE12345", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a Swiss customer: tax id with a wrong check digit is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "CHE-116.281.711 MWST", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a Swiss customer, UID without the MWST suffix and separators: reverse charge",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "CHE116281710", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
  },
}
