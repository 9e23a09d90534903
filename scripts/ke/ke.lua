-- Kenya (KE): VAT. Rate: data/intl/national.csv (16 % since 2013-09-02, VAT Act 2013 s5(2)(a)).
-- Digital marketplace supplies by non-residents: VAT Act s8(3) and the VAT (Digital Marketplace
-- Supply) Regulations 2023 (the 2020 regulations, L.N. 190 of 2020, from 2021-04-10: REGIME below): the non-resident
-- registers (simplified) and charges VAT on B2C supplies. A registered business customer
-- accounts for VAT on imported services itself (VAT Act s10, reverse charge). (The Digital
-- Service Tax / Significant Economic Presence Tax is an income tax: not modelled.)
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The digital-marketplace registration
-- (simplified, VAT Act s. 8(3)) covers B2C supplies; a registered business customer accounts for
-- imported services (s. 10) whatever the supplier's registration (VAT (Digital Marketplace
-- Supply) Regulations 2023, reg. 5: B2B supplies excluded).
-- Doubt (audit law19f, not settled): the regulations in force since 2023-03-21 are cited on
-- kenyalaw.org as the VAT (Electronic, Internet and Digital Marketplace Supply) Regulations,
-- 2023 (L.N. 29 of 2023, Kenya Gazette 2023-04-14), whose reg. 7 speaks of "a person from an
-- export country making an electronic, internet or digital marketplace supply to a recipient in
-- Kenya" where the 2020 text (as revised by L.N. 221 of 2023, Digital Policy Alert) said "a
-- business-to-consumer supply"; the stored excerpt does not show reg. 5, so whether B2B
-- supplies are still left to the recipient's reverse charge could not be read from the text.

local foreign_regime = require "_lib.foreign_regime"

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2021-04-10", codes = { "saas", "software_download", "digital_goods" },
    cite = "VAT Act 2013 s. 8(3); VAT (Digital Marketplace Supply) Regulations 2020, L.N. 190 of 2020: registration within six months of publication, in force for collection 2021-04-10 (Digital Policy Alert). Doubt: sources give the publication as 2020-09-09 or 2020-10-09; earlier notes said 2021-04-01" },
}

return {
  region = "KE",
  name = "Kenya",
  country = "KE",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- VAT Act s5(2)(a)
    saas = "taxable", -- s8(3) and the Digital Marketplace Supply Regulations
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- s5
    training = "exempt", -- First Schedule Part II: educational services exempt
    shipping = "taxable", -- s5
    clothing = "taxable", -- s5
    food_grocery = "exempt", -- First Schedule Part I: unprocessed foodstuffs exempt (doubt for processed food)
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "KE")
  end,
  selftest = {
    { name = "foreign seller 2021-04-09 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "KES", date = "2021-04-09",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2021-04-10 (the regime's first day): SaaS taxed",
      request = {
        currency = "KES", date = "2021-04-10",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2021-04-09 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "KES", date = "2021-04-09",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "2 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2021-04-09 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "KES", date = "2021-04-09",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on KES 100.00",
      request = {
        currency = "KES", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 16 %",
      request = {
        currency = "KES", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "KES", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (s10)",
      request = {
        currency = "KES", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "P051365947M", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid KE number (starts with B): charged, note tax_id_invalid",
      request = {
        currency = "KES", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "B051365947M", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "KES", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        customer = { id = "b2b-1", tax_id = "P051365947M", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    -- issue 19, dated rates: the COVID-19 cut of 2020 (data/intl/national.csv)
    { name = "Kenyan seller 2020-03-31: 16 %",
      request = {
        currency = "KES", date = "2020-03-31",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "2 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "Kenyan seller 2020-04-01: 14 % (Tax Laws (Amendment) Act 2020, backdated)",
      request = {
        currency = "KES", date = "2020-04-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "2 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "Kenyan seller 2020-12-31: 14 %",
      request = {
        currency = "KES", date = "2020-12-31",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "2 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "Kenyan seller 2021-01-01: 16 % again",
      request = {
        currency = "KES", date = "2021-01-01",
        ship_to = { line1 = "1 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        ship_from = { line1 = "2 Main Street", city = "Nairobi", zip_code = "00100", country = "KE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
  },
}
