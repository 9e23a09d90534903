-- Chile (CL): IVA. Rate: data/intl/national.csv (19 % since 2003-10-01, DL 825 art. 14 as
-- amended by Ley 19.888).
-- Digital services by foreign providers: DL 825 art. 8 letra n) and art. 35 A-35 L (Ley 21.210,
-- in force 2020-06-01): the foreign provider registers under the simplified regime and charges
-- IVA to persons who are not IVA taxpayers. When the user is an IVA taxpayer, the provider does
-- not charge; the taxpayer accounts for the IVA itself (art. 3 inc. 4, cambio de sujeto;
-- SII Circular 42/2020): reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The art. 35 A-35 L simplified
-- registration is the foreign provider's registration and covers only users who are not IVA
-- taxpayers; a taxpayer customer accounts itself (art. 3, SII Circular 42/2020) even when the
-- provider is registered.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2020-06-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "DL 825 art. 8 n) and the simplified regime as amended by Ley 21.210 (in force 2020-06-01)" },
}

return {
  region = "CL",
  name = "Chile",
  country = "CL",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- DL 825 art. 14
    saas = "taxable", -- art. 8 n) no. 3-4: software, storage, platforms and IT infrastructure
    software_download = "taxable", -- art. 8 n)
    digital_goods = "taxable", -- art. 8 n) no. 1
    professional_services = "exempt", -- art. 12 E no. 8: professional fees are outside IVA
    training = "exempt", -- art. 12 E no. 4: education services exempt
    shipping = "taxable", -- art. 15 no. 2
    clothing = "taxable", -- art. 14
    food_grocery = "taxable", -- no relief for food in Chilean IVA
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "CL")
  end,
  selftest = {
    { name = "foreign seller 2020-05-31 (the day before the regime): saas out of scope, note regime_not_in_force",
      request = {
        currency = "CLP", date = "2020-05-31",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2020-06-01 (the regime's first day): saas taxed",
      request = {
        currency = "CLP", date = "2020-06-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1900", lines = { { tax = "1900", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2020-05-31 (before the regime): saas taxed as a domestic supply",
      request = {
        currency = "CLP", date = "2020-05-31",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        ship_from = { line1 = "2 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on CLP 10000",
      request = {
        currency = "CLP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "1900", lines = { { tax = "1900", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 19 % (art. 8 n)",
      request = {
        currency = "CLP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1900", lines = { { tax = "1900", taxability_reason = "standard_rated" } } } },
    { name = "professional services: outside IVA (art. 12 E)",
      request = {
        currency = "CLP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CLP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, IVA-taxpayer customer: reverse charge (art. 3)",
      request = {
        currency = "CLP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "76086428-5", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid CL number (wrong check digit): charged, note tax_id_invalid",
      request = {
        currency = "CLP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "76086428-6", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1900", lines = { { tax = "1900", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "CLP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        ship_from = { line1 = "1 Main Street", city = "Santiago", zip_code = "8320000", country = "CL" },
        customer = { id = "b2b-1", tax_id = "76086428-5", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1900", lines = { { tax = "1900", taxability_reason = "standard_rated" } } } },
  },
}
