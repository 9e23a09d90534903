-- Egypt (EG): VAT. Rates: data/intl/national.csv — 14 % from 2017-07-01 (VAT Law 67/2016 art.
-- 3: 13 % in fiscal year 2016/2017, 14 % from fiscal year 2017/2018); 13 % from 2016-09-08.
-- Non-resident suppliers of services: VAT Law art. 3 and the simplified registration of Law
-- 3/2022 / Ministerial Decree 2023 for non-residents selling to non-registered persons
-- (B2C). A registered business recipient accounts for the VAT on services from a non-resident
-- itself (VAT Law art. 1 'importation of services', Executive Regulations art. 6): reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The simplified registration of
-- non-residents covers supplies to persons not registered; a registered recipient accounts for
-- imported services itself (Executive Regulations art. 6), registered supplier or not. Doubt:
-- secondary sources only.

local foreign_regime = require "_lib.foreign_regime"

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2023-06-22", codes = { "saas", "software_download", "digital_goods" },
    cite = "VAT Law 67/2016 as amended by Law 3/2022 (simplified registration of non-residents); Ministerial Decree 160 of 2023 (2023-03-22), registration duty from 2023-06-22 (KPMG Egypt, Orbitax). Doubt: secondary sources only; EY 2023-0848 reads six months from the Executive Regulations of 2023-01-11" },
}

return {
  region = "EG",
  name = "Egypt",
  country = "EG",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- VAT Law 67/2016 art. 3
    saas = "taxable", -- art. 1, art. 3: services imported from abroad
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- art. 3 (doubt: some professional services bear the Schedule table tax instead)
    training = "exempt", -- Exempt list item 24: educational services
    shipping = "taxable", -- art. 3
    clothing = "taxable", -- art. 3
    food_grocery = "exempt", -- Exempt list: basic foodstuffs
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "EG")
  end,
  selftest = {
    { name = "foreign seller 2023-06-21 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "EGP", date = "2023-06-21",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2023-06-22 (the regime's first day): SaaS taxed",
      request = {
        currency = "EGP", date = "2023-06-22",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2023-06-21 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "EGP", date = "2023-06-21",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "2 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2023-06-21 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "EGP", date = "2023-06-21",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on EGP 100.00",
      request = {
        currency = "EGP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 14 %",
      request = {
        currency = "EGP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 13 %: 2017-06-30, seller established here (SaaS from abroad is outside the regime before 2023-06-22)",
      request = {
        currency = "EGP", date = "2017-06-30",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "2 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 14 %: 2017-07-01, seller established here (SaaS from abroad is outside the regime before 2023-06-22)",
      request = {
        currency = "EGP", date = "2017-07-01",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "2 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "EGP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (art. 1)",
      request = {
        currency = "EGP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "100-531-385", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid EG number (8 digits): charged, note tax_id_invalid",
      request = {
        currency = "EGP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "100-531-38", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "EGP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        ship_from = { line1 = "1 Main Street", city = "Cairo", zip_code = "11511", country = "EG" },
        customer = { id = "b2b-1", tax_id = "100-531-385", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
  },
}
