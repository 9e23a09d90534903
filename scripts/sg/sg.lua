-- Singapore (SG): GST. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in Singapore (GST-registered businesses reverse-charge imported services, s14) accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).
--
-- Registered foreign seller (issue 19): unchanged for the Overseas Vendor Registration regime,
-- the one a foreign SaaS seller registers under (GST Act 1993 s. 14D ff., in force
-- 2020-01-01): OVR applies to remote services to non-GST-registered persons; a customer that
-- gives its GST registration number is not charged (IRAS e-Tax Guide "Taxing imported remote
-- services by way of the Overseas Vendor Registration regime", B2B supplies); the customer
-- reverse-charges under s. 14 only where it is not fully taxable. Doubt, not modelled: a
-- foreign vendor registered under the normal regime (not OVR) may have to charge GST to
-- Singapore businesses; levy assumes OVR.

local foreign_regime = require "_lib.foreign_regime"

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2020-01-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "GST Act s. 14D ff. (overseas vendor registration for digital services, Goods and Services Tax (Amendment) Act 2018, from 2020-01-01); IRAS e-Tax Guide 'Taxing imported services by way of an overseas vendor registration regime'" },
  { from = "2023-01-01", codes = { "professional_services" },
    cite = "GST Act s. 14D ff. as extended to remote (non-digital) services from 2023-01-01 (Budget 2021; IRAS e-Tax Guide 'Taxing imported remote services by way of the overseas vendor registration regime')" },
}

return {
  region = "SG",
  name = "Singapore",
  tax_type = "GST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- GST 9% since 2024-01-01 (GST Act s16)
    saas = "taxable", -- overseas vendor registration covers B2C digital services
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "taxable",
    shipping = "taxable",
    clothing = "taxable",
    food_grocery = "taxable", -- Singapore has no food relief
    exempt = "exempt",
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "SG")
  end,
  selftest = {
    { name = "foreign seller 2019-12-31 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "SGD", date = "2019-12-31",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2020-01-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "SGD", date = "2020-01-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2019-12-31 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "SGD", date = "2019-12-31",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "2 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2019-12-31 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "SGD", date = "2019-12-31",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2022-12-31: professional services not yet in the regime (remote services from 2023-01-01)",
      request = {
        currency = "SGD", date = "2022-12-31",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2023-01-01: professional services in the regime (remote services)",
      request = {
        currency = "SGD", date = "2023-01-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on SGD 100.00",
      request = {
        currency = "SGD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "SGD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: standard_rated",
      request = {
        currency = "SGD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "SGD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "SGD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "M90312345A", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "SGD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        ship_from = { line1 = "1 Main Street", city = "Singapore", zip_code = "018989", country = "SG" },
        customer = { id = "b2b-2", tax_id = "M90312345A", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "standard_rated" } } } },
  },
}
