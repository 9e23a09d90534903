-- Taiwan (TW): business tax (VAT). Rate: data/intl/national.csv (5 %, Value-added and
-- Non-value-added Business Tax Act art. 10).
-- Electronic services by foreign providers: Business Tax Act art. 6 no. 4 and art. 28-1 (in
-- force 2017-05-01): a foreign provider selling to individuals registers and charges 5 %. A
-- business buyer pays the tax on services bought from a foreign entity itself (art. 36
-- para. 1): reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The art. 28-1 registration covers services
-- to individuals; a business buyer with a unified business number pays the tax itself
-- (art. 36 para. 1), whether or not the foreign provider is registered.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2017-05-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "Business Tax Act art. 6 no. 4, art. 28-1 (in force 2017-05-01)" },
}

return {
  region = "TW",
  name = "Taiwan",
  country = "TW",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- art. 10
    saas = "taxable", -- art. 6 no. 4: electronic services to individuals
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- art. 10
    training = "taxable", -- art. 8 no. 5 exempts only licensed schools
    shipping = "taxable", -- art. 10
    clothing = "taxable", -- art. 10
    food_grocery = "exempt", -- art. 8 no. 19: unprocessed agricultural products
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "TW")
  end,
  selftest = {
    { name = "foreign seller 2017-04-30 (the day before the regime): saas out of scope, note regime_not_in_force",
      request = {
        currency = "TWD", date = "2017-04-30",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2017-05-01 (the regime's first day): saas taxed",
      request = {
        currency = "TWD", date = "2017-05-01",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2017-04-30 (before the regime): saas taxed as a domestic supply",
      request = {
        currency = "TWD", date = "2017-04-30",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        ship_from = { line1 = "2 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on TWD 100.00",
      request = {
        currency = "TWD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 5 % (art. 28-1)",
      request = {
        currency = "TWD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "TWD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (art. 36)",
      request = {
        currency = "TWD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "00501503", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid TW number (wrong check digit): charged, note tax_id_invalid",
      request = {
        currency = "TWD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "00501502", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "TWD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        ship_from = { line1 = "1 Main Street", city = "Taipei", zip_code = "100", country = "TW" },
        customer = { id = "b2b-1", tax_id = "00501503", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
  },
}
