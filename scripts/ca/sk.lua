-- Saskatchewan (region CA-SK): PST 6%, registered separately from the federal GST (region "CA",
-- scripts/ca/gst.lua). The engine supplies the provincial rate (6%) from its Canadian rate
-- data and applies this file to the provincial jurisdiction; the self-test totals include
-- the 5% GST of the CA rule (self-tests run with every region subscribed).
--
-- Registered foreign seller (issue 19): unchanged. Saskatchewan PST has no B2B relief for a
-- registered out-of-province seller of software and digital services: business customers are
-- charged (The Provincial Sales Tax Act s. 5, s. 8; Information Bulletin PST-69).
--
-- Start of the regime for sellers outside Saskatchewan (issue 19): software (downloaded,
-- licensed or accessed remotely) and digital content have long been taxable services in
-- Saskatchewan (s. 3(1) "taxable service", computer services), but a seller with no business
-- in the province was not a "vendor" who had to collect: the purchaser self-assessed (PST-5
-- s. A). The Act was amended to make a "retail sale in the province" include a sale by a
-- person who does not otherwise carry on business in Saskatchewan of a good or taxable
-- service acquired for use or consumption in or relating to Saskatchewan, finalized in May
-- 2018 (KPMG TaxNewsFlash-Canada 2019-02, 2019-02-15); foreign providers of e-services
-- (streaming, downloads, apps, SaaS, e-books) collect from January 2019 (Avalara VATlive
-- "Canada Saskatchewan PST on e-services", 2019-11-21). Modelled from 2019-01-01, B2B and
-- B2C alike (no B2B relief, above). Doubt: the in-force day of the 2018 amendment is not in
-- the stored sources (the 2018 statute itself was not found: the consolidated Act lists the
-- amending statutes "2017, c 24; 2018, c 30 and c 42" without their in-force days); a third
-- secondary source names the same day, "from 1 January 2019" (vatcalc.com, "Canada
-- Saskatchewan PST digital services January 2019"; checked 2026-12, issue 19 lawintl), so the
-- date stays 2019-01-01, still from secondary sources only (searched again for issue 19, law19:
-- the text of Bill 70, The Provincial Sales Tax Amendment Act, 2017, is in the stored sources
-- without its coming-into-force section; the Ministry's "Tax Information Updates" pages of
-- 2018-2020 and the IN 2015-02 notice name no start for software and digital services of
-- sellers outside the province; no budget paper or PST bulletin giving the day was found);
-- the marketplace and electronic distribution platform rules (Bill 211, in force 2020-01-01
-- retroactively; MLT Aikins, Miller Thomson 2020-09-24) are later and not modelled. Before the start such a seller had
-- no duty to collect: out of scope for the PST only (the GST/HST has its own start,
-- ca/gst.lua). Goods from a seller outside Saskatchewan (a vendor since the 2015 notice IN
-- 2015-02 when it solicits and delivers into the province) are not touched.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2019-01-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "The Provincial Sales Tax Act (SK) s. 3(1) 'retail sale in the province' as amended (finalized May 2018; KPMG TaxNewsFlash-Canada 2019-02); e-services of sellers outside Saskatchewan from January 2019 (Avalara VATlive 2019-11-21; vatcalc.com: from 1 January 2019); in-force day of the statute: doubt" },
}

return {
  region = "CA-SK",
  name = "Saskatchewan",
  tax_type = "PST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- The Provincial Sales Tax Act (SK): 6%
    saas = "taxable", -- PST applies to computer services and software, including SaaS (Information Bulletin PST-47, doubt)
    software_download = "taxable",
    digital_goods = "taxable", -- digital content taxable (doubt)
    professional_services = "exempt", -- only listed services are taxable (legal, since 2017: not separable)
    training = "exempt",
    shipping = "taxable", -- delivery charges are part of the taxable value
    clothing = "taxable", -- children's clothing exempt: not separable
    food_grocery = "exempt",
    exempt = "exempt",
  },
  foreign_seller_regime = REGIME, -- start of the regime for sellers outside Saskatchewan (header above)
  calculate_before = "2019-01-01", -- calculate only acts before it: later requests skip it
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "CA", "SK")
  end,
  selftest = {
    -- issue 19: the PST of a seller outside Saskatchewan on software and digital services from 2019-01-01
    { name = "Ontario seller 2018-12-31: SaaS GST 5% only, no PST yet",
      request = {
        currency = "CAD", date = "2018-12-31",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "Ontario seller 2019-01-01: SaaS GST 5% + PST 6%",
      request = {
        currency = "CAD", date = "2019-01-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "US seller 2018-12-31: downloaded software, neither PST nor GST (GST/HST from 2021-07-01)",
      request = {
        currency = "CAD", date = "2018-12-31",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "software_download" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "US seller 2019-01-01: downloaded software PST 6% only",
      request = {
        currency = "CAD", date = "2019-01-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "software_download" } },
      },
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "Saskatchewan seller 2018-12-31: SaaS GST + PST",
      request = {
        currency = "CAD", date = "2018-12-31",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Saskatoon", state = "SK", zip_code = "S7K 1J5", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "Ontario seller 2018-12-31: goods GST + PST (goods not touched)",
      request = {
        currency = "CAD", date = "2018-12-31",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },

    { name = "general goods: GST 5% + PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "standard_rated" } } } },
    { name = "basic groceries: no GST, no PST",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Regina", state = "SK", zip_code = "S4P 3Y2", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
