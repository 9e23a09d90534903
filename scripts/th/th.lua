-- Thailand (TH): VAT. Rate: data/intl/national.csv — 7 % (Revenue Code s80 sets 10 %; Royal
-- Decrees have reduced it to 7 % including local tax since 1999-04-01, the last ones No. 790
-- (2024) to 2025-09-30 and the Cabinet-approved extension to 2026-09-30). Uncertain: the row
-- is open-ended; if no further decree extends 7 % past 2026-09-30, 10 % applies from
-- 2026-10-01 — check before relying on it. law25 searched the stored pages again for a
-- decision past 2026-09-30 (Cabinet or Royal Decree for 2026-10-01 onwards) and found none: the
-- latest are the Cabinet decision of 2025-09-09 (nationthailand.com: "The extension will take
-- effect from October 1 this year and last until September 30, 2026"; vietnamplus.vn) and
-- vatabout.com ("until the end of September 2026"). The row stays open-ended (7 %).
-- e-Services by foreign providers: Revenue Code s77/2 para. 2 and s85/1-85/20 (Revenue Code
-- Amendment Act No. 53 B.E. 2564, in force 2021-09-01): the foreign provider registers and
-- charges VAT to non-registered customers. A VAT-registered customer self-assesses the VAT on
-- services from abroad (s83/6, form P.P.36): reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The s. 85/1-85/20 e-service registration
-- covers services to persons not VAT-registered (s. 77/2 para. 2); a VAT-registered customer
-- self-assesses under s. 83/6 (P.P.36) even when the provider is e-service registered (RD
-- notification on e-service, customer gives its VAT number).

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2021-09-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "Revenue Code s. 77/2 para. 2, s. 85/1-85/20 (Revenue Code Amendment Act No. 53 B.E. 2564, gazetted 2021-02-10, in force 2021-09-01); EY Global Tax News 2021-5920" },
}

return {
  region = "TH",
  name = "Thailand",
  country = "TH",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- Revenue Code s80
    saas = "taxable", -- s77/2 para. 2: e-service
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- s77/2
    training = "exempt", -- s81(1)(i): education services exempt
    shipping = "taxable", -- s77/2
    clothing = "taxable", -- s80
    food_grocery = "exempt", -- s81(1)(a): unprocessed agricultural products exempt (processed food is taxable: doubt)
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "TH")
  end,
  selftest = {
    { name = "foreign seller 2021-08-31 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "THB", date = "2021-08-31",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2021-09-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "THB", date = "2021-09-01",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2021-08-31 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "THB", date = "2021-08-31",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        ship_from = { line1 = "2 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2021-08-31 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "THB", date = "2021-08-31",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on THB 100.00",
      request = {
        currency = "THB", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 7 % (e-service)",
      request = {
        currency = "THB", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "THB", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (s83/6)",
      request = {
        currency = "THB", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "0-99-4-000-61772-1", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid TH number (wrong check digit): charged, note tax_id_invalid",
      request = {
        currency = "THB", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "0-99-4-000-61772-3", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "THB", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        ship_from = { line1 = "1 Main Street", city = "Bangkok", zip_code = "10110", country = "TH" },
        customer = { id = "b2b-1", tax_id = "0-99-4-000-61772-1", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
  },
}
