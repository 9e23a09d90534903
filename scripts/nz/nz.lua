-- New Zealand (NZ): GST. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in New Zealand (B2B remote services are zero-rated/not charged by non-residents, s8(4B)) accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).
--
-- Registered foreign seller (issue 19): unchanged. Remote services by a non-resident are
-- supplied in NZ only to a recipient that is not a registered person (GST Act 1985 s. 8(3)(c),
-- s. 8(4B)); a registered non-resident supplying a GST-registered business zero-rates or
-- treats the supply as outside NZ (s. 11A(1)(x), s. 8(4C); IRD "GST on remote services",
-- QB 16/07), so the business is not charged; it reverse-charges only where s. 8(4B)/s. 20(3JB)
-- applies to it (less than 95 % taxable use). Answered as reverse_charge (amount 0).

local foreign_regime = require "_lib.foreign_regime"

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2016-10-01", codes = { "saas", "software_download", "digital_goods", "professional_services" },
    cite = "GST Act 1985 s. 8(3)(c), s. 8(4)-(4D) (remote services by non-residents to NZ residents; Taxation (Residential Land Withholding Tax, GST on Online Services, and Student Loans) Act 2016, supplies on or after 2016-10-01); IRD 'GST on remote services'" },
}

return {
  region = "NZ",
  name = "New Zealand",
  tax_type = "GST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- GST 15% (Goods and Services Tax Act 1985 s8)
    saas = "taxable", -- remote services to consumers taxable since 2016-10-01
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "taxable",
    shipping = "taxable",
    clothing = "taxable",
    food_grocery = "taxable", -- New Zealand has no food exemption
    exempt = "exempt",
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "NZ")
  end,
  selftest = {
    { name = "foreign seller 2016-09-30 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "NZD", date = "2016-09-30",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2016-10-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "NZD", date = "2016-10-01",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2016-09-30 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "NZD", date = "2016-09-30",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        ship_from = { line1 = "2 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2016-09-30 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "NZD", date = "2016-09-30",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on NZD 100.00",
      request = {
        currency = "NZD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "NZD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: standard_rated",
      request = {
        currency = "NZD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "NZD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "NZD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "49-091-850", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "NZD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        ship_from = { line1 = "1 Main Street", city = "Auckland", zip_code = "1010", country = "NZ" },
        customer = { id = "b2b-2", tax_id = "49-091-850", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
  },
}
