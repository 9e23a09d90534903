-- Indonesia (ID): PPN (VAT). Rates: data/intl/national.csv — 10 % to 2022-03-31 (UU 8/1983
-- art. 7); 11 % from 2022-04-01 (UU 7/2021 HPP art. 7(1)(a)). From 2025-01-01 the rate is
-- 12 % (HPP art. 7(1)(b)) but for everything except luxury goods the base is 11/12 of the
-- price (PMK 131/2024 art. 3), so the tax is 11 % of the price: listed as 11 %.
-- Foreign digital sellers (PMSE): PMK 60/2022 (earlier PMK 48/2020, in force 2020-07-01): a
-- designated foreign seller collects PPN from every buyer in Indonesia; there is no B2B
-- exception (a business buyer credits it with the seller's commercial document). So a
-- business customer is charged: no reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. A designated PMSE seller collects PPN from
-- every buyer, businesses included (above); there is no B2B exclusion.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2020-07-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "PMK 48/PMK.03/2020 (2020-05-05, in force 2020-07-01): VAT on intangible goods and services from outside the customs area through electronic systems (PMSE), now PMK 60/2022 (BDO Indirect Tax News 2020-10; gnv.id 2020-06-05)" },
}

return {
  region = "ID",
  name = "Indonesia",
  country = "ID",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- UU 8/1983 art. 7 as amended
    saas = "taxable", -- PMK 60/2022: intangible goods and services through electronic systems
    software_download = "taxable", -- PMK 60/2022
    digital_goods = "taxable", -- PMK 60/2022
    professional_services = "taxable", -- art. 4(1)(c)
    training = "exempt", -- art. 16B / PP 49/2022: education services relieved
    shipping = "taxable", -- art. 4
    clothing = "taxable", -- art. 4
    food_grocery = "exempt", -- art. 16B, PP 49/2022: basic necessities not collected
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "ID")
  end,
  selftest = {
    { name = "foreign seller 2020-06-30 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "IDR", date = "2020-06-30",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2020-07-01 (the regime's first day): SaaS taxed (10 % until 2022-03-31)",
      request = {
        currency = "IDR", date = "2020-07-01",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2020-06-30 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "IDR", date = "2020-06-30",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        ship_from = { line1 = "2 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2020-06-30 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "IDR", date = "2020-06-30",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on IDR 100.00",
      request = {
        currency = "IDR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 12 % on 11/12 = 11 %",
      request = {
        currency = "IDR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 10 %: 2022-03-31",
      request = {
        currency = "IDR", date = "2022-03-31",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 11 %: 2022-04-01",
      request = {
        currency = "IDR", date = "2022-04-01",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "2024-12-31 (11 %) and 2025-01-01 (12 % x 11/12): same tax",
      request = {
        currency = "IDR", date = "2025-01-01",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "IDR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: PPN collected anyway (PMK 60/2022)",
      request = {
        currency = "IDR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Jakarta", zip_code = "10110", country = "ID" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "01.312.166.0-091.000", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
  },
}
