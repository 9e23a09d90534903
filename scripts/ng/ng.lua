-- Nigeria (NG): VAT. Rates: data/intl/national.csv — 7.5 % from 2020-02-01 (VAT Act s4 as
-- amended by Finance Act 2019 s37; kept by the Nigeria Tax Act 2025 s148 from 2026-01-01);
-- 5 % from 1994-01-01 (VAT Decree 1993) to 2020-01-31.
-- Non-resident suppliers of digital services: VAT Act s10 as amended by Finance Act 2019/2020
-- and FIRS 'Guidelines on Simplified Compliance Regime for VAT for Non-Resident Suppliers'
-- (2021, in force 2022-01-01): the non-resident registers and includes VAT on its invoices to
-- Nigerian customers, B2B and B2C (PwC 'VAT in Africa: Nigeria'). So a business customer is
-- charged: no reverse charge (a Nigerian business self-accounts only where the supplier did
-- not charge).
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The registered non-resident charges every
-- Nigerian customer, businesses included (above).

local foreign_regime = require "_lib.foreign_regime"

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2022-01-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "VAT Act s. 10 as amended by Finance Act 2020; FIRS Information Circular 2021/19 (Simplified Compliance Regime for Non-Resident Suppliers, 2021-10-11), in force 2022-01-01 for services and intangibles (KPMG Nigeria, BDO). Doubt: s. 10 (Finance Act 2020) already obliged non-residents from 2021-01-01, and non-resident companies had to register since 1993 with the customer withholding" },
}

return {
  region = "NG",
  name = "Nigeria",
  country = "NG",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- VAT Act s2, s4
    saas = "taxable", -- s10: supplies by non-residents through digital means
    software_download = "taxable", -- s10
    digital_goods = "taxable", -- s10
    professional_services = "taxable", -- s2
    training = "exempt", -- First Schedule Part II: educational services exempt
    shipping = "taxable", -- s2
    clothing = "taxable", -- s2
    food_grocery = "exempt", -- First Schedule Part I: basic food items exempt
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "NG")
  end,
  selftest = {
    { name = "foreign seller 2021-12-31 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "NGN", date = "2021-12-31",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2022-01-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "NGN", date = "2022-01-01",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.50", lines = { { tax = "7.50", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2021-12-31 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "NGN", date = "2021-12-31",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        ship_from = { line1 = "2 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2021-12-31 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "NGN", date = "2021-12-31",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on NGN 100.00",
      request = {
        currency = "NGN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.50", lines = { { tax = "7.50", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 7.5 %",
      request = {
        currency = "NGN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.50", lines = { { tax = "7.50", taxability_reason = "standard_rated" } } } },
    { name = "last day of 5 %: 2020-01-31, seller established here (SaaS from abroad is outside the regime before 2022-01-01)",
      request = {
        currency = "NGN", date = "2020-01-31",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        ship_from = { line1 = "2 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 7.5 %: 2020-02-01, seller established here (SaaS from abroad is outside the regime before 2022-01-01)",
      request = {
        currency = "NGN", date = "2020-02-01",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        ship_from = { line1 = "2 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.50", lines = { { tax = "7.50", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "NGN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: VAT charged anyway (s10)",
      request = {
        currency = "NGN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Lagos", zip_code = "100001", country = "NG" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "12345678-0001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.50", lines = { { tax = "7.50", taxability_reason = "standard_rated" } } } },
  },
}
