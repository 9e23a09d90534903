-- Colombia (CO): IVA. Rates: data/intl/national.csv (19 % from 2017-01-01, Estatuto
-- Tributario art. 468 as amended by Ley 1819 de 2016 art. 184; 16 % before).
-- Cloud computing (SaaS/PaaS/IaaS) is excluded from IVA (ET art. 476 no. 21, see saas below).
-- Other digital services from abroad: ET art. 420 par. 2-3 and art. 437 par. 2 (Ley 1819 de 2016,
-- in force 2018-07-01; Resolución DIAN 51 de 2018): the foreign provider registers and charges
-- IVA to consumers. A Colombian IVA-responsible customer withholds 100 % of the IVA (reteIVA,
-- ET art. 437-2 no. 3) and pays it itself: the provider does not collect — reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. A foreign provider registered under ET
-- art. 437 par. 2 collects only from non-responsible users; for an IVA-responsible customer the
-- 100 % withholding (art. 437-2 no. 3) applies, registered provider or not (DIAN Concepto
-- General IVA servicios desde el exterior, 2018).

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2018-07-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "Estatuto Tributario art. 437 par. 2 (Ley 1819 de 2016; in force 2018-07-01, Resolucion DIAN 51 de 2018)" },
}

return {
  region = "CO",
  name = "Colombia",
  country = "CO",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- ET art. 468
    saas = "exempt", -- ET art. 476 no. 21 (added as no. 24 by Ley 1819 de 2016 art. 187, renumbered by Ley 2010 de 2019): cloud computing (SaaS, PaaS, IaaS meeting DIAN Concepto unificado 017056 de 2017) is excluded from IVA, also when supplied from abroad (DIAN Oficio 16618 de 2019; Concepto 013328 de 2025)
    software_download = "taxable", -- ET art. 420
    digital_goods = "taxable", -- ET art. 420
    professional_services = "taxable", -- ET art. 420
    training = "exempt", -- ET art. 476 no. 6: education services excluded
    shipping = "taxable", -- ET art. 420
    clothing = "taxable", -- ET art. 468
    food_grocery = "exempt", -- ET art. 424 / 477: basic foodstuffs excluded or exempt
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "CO")
  end,
  selftest = {
    { name = "foreign seller 2018-06-30 (the day before the regime): digital_goods out of scope, note regime_not_in_force",
      request = {
        currency = "COP", date = "2018-06-30",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2018-07-01 (the regime's first day): digital_goods taxed",
      request = {
        currency = "COP", date = "2018-07-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2018-06-30 (before the regime): digital_goods taxed as a domestic supply",
      request = {
        currency = "COP", date = "2018-06-30",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "2 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on COP 100.00",
      request = {
        currency = "COP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS (cloud computing): excluded from IVA (ET art. 476 no. 21)",
      request = {
        currency = "COP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "digital goods to a consumer: 19 %",
      request = {
        currency = "COP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 16 %: 2016-12-31",
      request = {
        currency = "COP", date = "2016-12-31",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "2 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" }, -- a domestic seller: before the foreign-seller regime (2018-07-01) only it charged
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 19 %: 2017-01-01",
      request = {
        currency = "COP", date = "2017-01-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "2 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" }, -- a domestic seller (see above)
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "COP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, IVA-responsible customer: reverse charge (reteIVA art. 437-2)",
      request = {
        currency = "COP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "213.123.432-1", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid CO number (wrong check digit): charged, note tax_id_invalid",
      request = {
        currency = "COP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "213.123.432-2", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "COP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        ship_from = { line1 = "1 Main Street", city = "Bogotá", zip_code = "110111", country = "CO" },
        customer = { id = "b2b-1", tax_id = "213.123.432-1", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } } } },
  },
}
