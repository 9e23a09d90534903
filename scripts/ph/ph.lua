-- Philippines (PH): VAT. Rates: data/intl/national.csv — 12 % from 2006-02-01 (NIRC s106/108
-- as amended by RA 9337); 10 % from 2005-11-01 to 2006-01-31.
-- Digital services by non-resident providers: NIRC s105 para. 4 (consumed in the Philippines =
-- rendered there) and s108-A, both as amended / added by RA 12023 (signed 2024-10-02); RR 3-2025
-- and RR 14-2025: non-resident DSPs are liable from 2025-06-02 on services to consumers. For
-- B2B the VAT-registered buyer withholds and remits the VAT (NIRC s114(D) as amended by RA
-- 12023; BIR RMC 47-2025): reverse charge.
-- Before 2025-06-02 a non-resident DSP had no VAT to collect: `foreign_seller_regime` below
-- (scripts/_lib/foreign_regime.lua) answers out_of_scope with the note regime_not_in_force.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The s. 108-A registration of a
-- non-resident DSP covers supplies to non-VAT-registered persons; for a VAT-registered buyer
-- the buyer withholds the VAT (s. 114(D); RR 3-2025 sec. 5), registered DSP or not.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2025-06-02", codes = { "saas", "software_download", "digital_goods" },
    cite = "NIRC s. 105, 108-A as amended by RA 12023; RR 3-2025 and RR 14-2025: non-resident DSPs register by 2025-06-01 and are subject to VAT from 2025-06-02 (SyCip/syp-law.com 2025-05-14)" },
}

return {
  region = "PH",
  name = "Philippines",
  country = "PH",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- NIRC s106
    saas = "taxable", -- NIRC s108-A (RA 12023): cloud services, online platforms
    software_download = "taxable", -- RA 12023: digital goods
    digital_goods = "taxable", -- RA 12023: digital goods
    professional_services = "taxable", -- s108
    training = "exempt", -- s109(1)(H): educational services by accredited institutions (doubt for commercial training)
    shipping = "taxable", -- s108
    clothing = "taxable", -- s106
    food_grocery = "exempt", -- s109(1)(A): agricultural food products in their original state
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "PH")
  end,
  selftest = {
    { name = "foreign seller 2025-06-01 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "PHP", date = "2025-06-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2025-06-02 (the regime's first day): SaaS taxed",
      request = {
        currency = "PHP", date = "2025-06-02",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2025-06-01 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "PHP", date = "2025-06-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        ship_from = { line1 = "2 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2025-06-01 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "PHP", date = "2025-06-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on PHP 100.00",
      request = {
        currency = "PHP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 12 % (RA 12023)",
      request = {
        currency = "PHP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 10 %: 2006-01-31",
      request = {
        currency = "PHP", date = "2006-01-31",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 12 %: 2006-02-01",
      request = {
        currency = "PHP", date = "2006-02-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "PHP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, VAT-registered buyer: reverse charge (buyer withholds, s114(D))",
      request = {
        currency = "PHP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "123-456-789-000", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid PH number (2-digit branch code): charged, note tax_id_invalid",
      request = {
        currency = "PHP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "123-456-789-00", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "PHP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        ship_from = { line1 = "1 Main Street", city = "Manila", zip_code = "1000", country = "PH" },
        customer = { id = "b2b-1", tax_id = "123-456-789-000", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
  },
}
