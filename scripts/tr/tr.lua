-- Turkey (TR): KDV. Rates: data/intl/national.csv — general rate 20 % from 2023-07-10
-- (Presidential Decree 7346, Resmî Gazete 2023-07-07), 18 % before (Council of Ministers
-- Decree 2007/13033, in force 2008-01-01); list II reduced rate 10 % from 2023-07-10, 8 % before.
-- Electronic services to non-taxpayers by foreign providers: KDV Law 3065 art. 9(1), last
-- paragraph added by Law 7061 (in force 2018-01-01): the foreign provider registers
-- (simplified, form KDV-3) and charges KDV to consumers. A Turkish KDV taxpayer buying services from abroad
-- pays the KDV itself as 'responsible' (sorumlu sıfatıyla, art. 9(1), form KDV-2): reverse
-- charge. (The separate 7.5 % Digital Services Tax, Law 7194, is a tax on the provider's
-- revenue, not on the invoice: not modelled here.)
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The simplified registration of art. 9(1) last
-- paragraph covers only electronic services to persons who are not KDV taxpayers; for a KDV
-- taxpayer the responsible-party reverse charge of art. 9(1) (KDV General Implementation
-- Communiqué, I/C-2.1.3) applies whatever the foreign provider's registration.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2018-01-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "KDV Law 3065 art. 9(1) second paragraph added by Law 7061 (in force 2018-01-01)" },
}

return {
  region = "TR",
  name = "Türkiye",
  country = "TR",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- KDV Law art. 28; Decree 7346: 20 %
    saas = "taxable", -- art. 9(1): electronic services to non-taxpayers
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- art. 1
    training = "taxable", -- art. 17(2)(a) exempts only state-recognised schools
    shipping = "taxable", -- art. 1
    clothing = "taxable", -- art. 28
    food_grocery = "reduced", -- Decree 2007/13033 list II: most foodstuffs 10 % (8 % before 2023-07-10); the list I 1 % items (bread, flour...) are not told apart
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "TR")
  end,
  selftest = {
    { name = "foreign seller 2017-12-31 (the day before the regime): saas out of scope, note regime_not_in_force",
      request = {
        currency = "TRY", date = "2017-12-31",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2018-01-01 (the regime's first day): saas taxed",
      request = {
        currency = "TRY", date = "2018-01-01",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2017-12-31 (before the regime): saas taxed as a domestic supply",
      request = {
        currency = "TRY", date = "2017-12-31",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        ship_from = { line1 = "2 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on TRY 100.00",
      request = {
        currency = "TRY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 20 %",
      request = {
        currency = "TRY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 18 %: 2023-07-09",
      request = {
        currency = "TRY", date = "2023-07-09",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 20 %: 2023-07-10",
      request = {
        currency = "TRY", date = "2023-07-10",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "food before 2023-07-10: 8 %",
      request = {
        currency = "TRY", date = "2023-07-09",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "reduced_rated" } } } },
    { name = "food from 2023-07-10: 10 %",
      request = {
        currency = "TRY", date = "2023-07-10",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "reduced_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "TRY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (art. 9(1))",
      request = {
        currency = "TRY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "4540536920", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid TR number (wrong check digit): charged, note tax_id_invalid",
      request = {
        currency = "TRY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "4540536921", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "TRY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        ship_from = { line1 = "1 Main Street", city = "İstanbul", zip_code = "34000", country = "TR" },
        customer = { id = "b2b-1", tax_id = "4540536920", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
  },
}
