-- Australia (AU): GST. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in Australia (no ABN-registered supplier) accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).
--
-- Registered foreign seller (issue 19): unchanged. An offshore supply of digital services is
-- connected with Australia only when made to an "Australian consumer" (GST Act 1999
-- s. 9-26(1)(b) and s. 9-25(5); s. 84-100: not a registered recipient using it for its
-- enterprise). A customer that gives its ABN and says it is registered is no Australian
-- consumer, whether or not the supplier is GST-registered (ATO "GST on imported services and
-- digital products", LCR 2017/1): not charged; the recipient reverse-charges only when not
-- fully creditable (Div 84-A, s. 84-5).

local foreign_regime = require "_lib.foreign_regime"

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2017-07-01", codes = { "saas", "software_download", "digital_goods", "professional_services" },
    cite = "A New Tax System (Goods and Services Tax) Act 1999 s. 9-26(1)(b), s. 84-5 (inbound intangible consumer supplies; Tax and Superannuation Laws Amendment (2016 Measures No. 1) Act 2016, from 2017-07-01); ATO 'GST on imported services and digital products'" },
}

return {
  region = "AU",
  name = "Australia",
  tax_type = "GST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- GST 10% (A New Tax System (GST) Act 1999 s9-70)
    saas = "taxable", -- imported digital services to consumers are taxable (Div 84)
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "taxable", -- only accredited education courses are GST-free (s38-85): commercial training taxable (doubt)
    shipping = "taxable", -- delivery follows the goods
    clothing = "taxable",
    food_grocery = "zero_rated", -- s38-2: food for human consumption is GST-free
    exempt = "exempt",
    -- issue 19, product taxonomy (docs/rules.md section 2a); other refinements are taxed as
    -- their parent, with the note taxability_fallback
    prepared_food = "taxable", -- GST Act s38-3(1)(a)-(c): food for consumption on the premises, hot food and prepared meals are not GST-free
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "AU")
  end,
  selftest = {
    { name = "foreign seller 2017-06-30 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "AUD", date = "2017-06-30",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2017-07-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "AUD", date = "2017-07-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2017-06-30 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "AUD", date = "2017-06-30",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        ship_from = { line1 = "2 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2017-06-30 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "AUD", date = "2017-06-30",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on AUD 100.00",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: zero_rated",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "issue 19: prepared food is not GST-free (groceries are)",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "prepared_food" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "51824753556", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        ship_from = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        customer = { id = "b2b-2", tax_id = "51824753556", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    -- tax-facts #14 (ATO "divide by 11")
    { name = "#14 AUD 110 GST-inclusive: GST = 1/11 = 10.00",
      request = {
        currency = "AUD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Sydney", zip_code = "2000", country = "AU" },
        lines = { { id = "1", amount = "110.00", quantity = "1", tax_code = "general", tax_inclusive = true } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxable_amount = "100.00" } } } },
  },
}
