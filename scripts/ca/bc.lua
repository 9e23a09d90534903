-- British Columbia (region CA-BC): PST 7%, registered separately from the federal GST (region "CA",
-- scripts/ca/gst.lua). The engine supplies the provincial rate (7%) from its Canadian rate
-- data and applies this file to the provincial jurisdiction; the self-test totals include
-- the 5% GST of the CA rule (self-tests run with every region subscribed).
--
-- Registered foreign seller (issue 19): unchanged. A registered out-of-province seller of
-- software and related services charges BC PST to business customers too: the PST has no
-- reverse charge for B2B (Provincial Sales Tax Act s. 37, s. 172.1; Bulletin PST 001/PST 105).
--
-- Start of the regime for sellers outside BC (issue 19): from 2021-04-01 (Budget 2020, the
-- date deferred from 2020-07-01 on 2020-09-02) a seller outside BC, in Canada or abroad, of
-- software (including software accessed remotely) or telecommunication services (including
-- streaming audio and video) to BC customers registers and collects PST, B2B and B2C alike.
-- Before it such a seller had no duty to collect (the BC purchaser self-assessed): out of
-- scope for the PST only. Sources: Bulletin PST 001 (updated 2021-02-18, via Orbitax
-- 2021-03-23); EY Global Tax News 2021-5258; Miller Thomson 2021-03-23. Goods sold by a
-- seller elsewhere in Canada (also 2021-04-01) are not modelled: a seller outside BC that
-- solicited BC orders had to register since 2013 (PSTA; EY tax alert 2021 No. 05), doubt.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2021-04-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "Provincial Sales Tax Act (BC) as amended by Budget 2020, in force 2021-04-01; Bulletin PST 001 (2021-02-18)" },
}

return {
  region = "CA-BC",
  name = "British Columbia",
  tax_type = "PST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- Provincial Sales Tax Act (BC) s. 37(1): 7% on the purchase price of tangible personal property (since 2013-04-01; BC was HST 12% from 2010-07-01 to 2013-03-31, in the rate data)
    saas = "taxable", -- PST Bulletin 105: software, including software accessed over the internet, is taxable
    software_download = "taxable", -- PSTA s. 1 "software" is tangible personal property, s. 37(1): 7%; Bulletin PST 105 "Software"
    digital_goods = "taxable", -- since 2021-04-01 (Budget 2020) streaming and online content services are taxable; e-books are exempt as books (doubt)
    professional_services = "exempt", -- services are not taxable except those listed (legal services, Bulletin 504: not separable)
    training = "exempt",
    shipping = "taxable", -- delivery charged by the seller is part of the purchase price (PST Bulletin 300 series, doubt)
    clothing = "taxable", -- children's clothing exempt (s.8 Exemption Reg.): not separable under this code
    food_grocery = "exempt", -- food for human consumption exempt
    exempt = "exempt",
  },
  foreign_seller_regime = REGIME, -- start of the regime for sellers outside BC (header above)
  calculate_before = "2021-04-01", -- calculate only acts before it: later requests skip it
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "CA", "BC")
  end,
  selftest = {
    -- issue 19: the PST of a seller outside BC from 2021-04-01, the GST/HST of a non-resident from 2021-07-01
    { name = "Ontario seller 2021-03-31: SaaS GST 5% only, no PST yet",
      request = {
        currency = "CAD", date = "2021-03-31",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "Ontario seller 2021-04-01: SaaS GST 5% + PST 7%",
      request = {
        currency = "CAD", date = "2021-04-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "US seller 2021-04-01: SaaS PST 7% only (GST/HST from 2021-07-01)",
      request = {
        currency = "CAD", date = "2021-04-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "Ontario seller 2021-03-31: goods GST 5% + PST 7% (goods not in the 2021 software regime)",
      request = {
        currency = "CAD", date = "2021-03-31",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "BC seller 2021-03-31: SaaS GST + PST",
      request = {
        currency = "CAD", date = "2021-03-31",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Victoria", state = "BC", zip_code = "V8W 1P6", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },

    { name = "general goods: GST 5% + PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "standard_rated" } } } },
    { name = "basic groceries: no GST, no PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: GST only",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00" } } } },
    { name = "SaaS: GST 5% + PST 7%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Vancouver", state = "BC", zip_code = "V6B 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00" } } } },
  },
}
