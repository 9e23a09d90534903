-- Quebec (region CA-QC): QST 9.975%, registered separately from the GST (region "CA").
-- tax-facts §5 / #10: GST 5% and QST 9.975% are both computed on the pre-tax price (no tax on
-- tax since 2013) and each is rounded separately, half up to the cent: the engine rounds per
-- jurisdiction, so nothing here does money; the self-tests pin it (totals include the GST of
-- the CA rule: self-tests run with every region subscribed).
--
-- Registered foreign seller (issue 19): QST is charged to every customer here, unchanged. The
-- specified QST registration system for non-residents (Act respecting the QST, ss. 477.1 ff.)
-- does not collect from a customer registered for QST that gives its QST number; not modelled
-- (doubt): levy's customer carries one tax id (the GST/HST number, scripts/ca/gst.lua and the
-- setting ca_gst_regime), not the QST number.

return {
  region = "CA-QC",
  name = "Quebec",
  tax_type = "QST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- Act respecting the QST: 9.975% on the price before GST
    saas = "taxable", -- QST mirrors the GST base; specified suppliers register since 2019-01-01
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "taxable", -- (doubt, as GST)
    shipping = "taxable",
    clothing = "taxable",
    food_grocery = "zero_rated", -- basic groceries zero-rated (as GST Schedule VI)
    exempt = "exempt",
  },
  selftest = {
    { name = "general goods: GST 5% + QST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98", taxability_reason = "standard_rated" } } } },
    { name = "basic groceries: no GST, no QST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "$100.00: GST 5.00 + QST 9.98 (9.975 rounds half up)",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98" } } } },
    -- a single 14.975% rate would give 0.1647 -> 0.16
    { name = "$1.10: GST 0.055 -> 0.06 and QST 0.109725 -> 0.11, rounded separately",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "1.10", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "0.17", lines = { { tax = "0.17" } } } },
    { name = "professional services: GST + QST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Montreal", state = "QC", zip_code = "H2Y 1C6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "14.98", lines = { { tax = "14.98" } } } },
  },
}
