-- South Korea (KR): VAT. Rate: data/intl/national.csv (10 %, Value-Added Tax Act art. 30).
-- Electronic services by foreign providers: VAT Act art. 53-2 (since 2015-07-01): the foreign
-- provider registers (simplified registration) and charges VAT on services to consumers.
-- A business customer registered for VAT is outside art. 53-2: it accounts for the tax on
-- imported services itself (proxy payment, art. 52) — reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The art. 53-2 simplified registration covers
-- services to persons not registered for VAT; services to a registered business (its taxable or
-- exempt business) are excluded from it (art. 53-2 para. 1), so a registered foreign provider
-- does not charge a business with a business registration number; the recipient pays by proxy
-- where art. 52 requires it.

local foreign_regime = require "_lib.foreign_regime"

-- The 2015 definition (games, audio, video, electronic documents, software and similar, used in
-- real time or stored: EY Global Tax Alert 2015-08-11; Lexology 2015) covers remotely used
-- software, so `saas` starts 2015-07-01. Settled (law25): the 2015 text defines an electronic
-- service as "a service that is operated by being stored in a mobile communication terminal
-- device or a computer, or a service that can be used in real time without being stored in any
-- device" (Sovos, "Korea Amends Cross-Border Supply of Electronic Services VAT Scheme",
-- 2016-02-09), and RSM's South Korea foreign indirect tax guide, "reviewed and updated as of
-- Jan. 15, 2018" (before the 2019 amendment), lists "Software-as-a-service (SaaS)" first among
-- the digital services subject to VAT; the same Sovos article: from the Dec. 2015 amendment,
-- retroactive to 2015-07-01, only supplies to non-VAT registrants are taxed (B2C; the
-- reverse_charge below). Cloud computing services (infrastructure/platform) and online advertising were
-- added to art. 53-2 electronic services by the amendment passed in December 2018, in force
-- 2019-07-01 ("a 10 percent VAT on online advertisements, cloud computing services ...
-- Until now, the law had required global ICT firms to pay VAT on a limited number of
-- direct-to-consumer services": Korea JoongAng Daily via europost.eu, 2018-12): `iaas_paas`
-- and `advertising_services` rows from that day (issue 19, audit law19f; before it they fell
-- back to the 2015 saas row or, for advertising, to professional services taxed always).
local REGIME = {
  { from = "2019-07-01", codes = { "iaas_paas", "advertising_services" },
    cite = "VAT Act art. 53-2 as amended in December 2018 (cloud computing services and online advertising added, in force 2019-07-01; europost.eu 'South Korea to impose VAT on global tech giants')" },
  { from = "2015-07-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "VAT Act art. 53-2 (electronic services by foreign providers, since 2015-07-01)" },
}

return {
  region = "KR",
  name = "South Korea",
  country = "KR",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- VAT Act art. 30: 10 %
    saas = "taxable", -- art. 53-2 para. 1: electronic services (software, cloud) to consumers
    software_download = "taxable", -- art. 53-2
    iaas_paas = "taxable", -- art. 53-2 para. 1 (cloud computing services, from a foreign provider since 2019-07-01: REGIME above)
    advertising_services = "taxable", -- art. 30; online advertising by a foreign provider in art. 53-2 since 2019-07-01 (REGIME above)
    digital_goods = "taxable", -- art. 53-2
    professional_services = "taxable", -- art. 30
    training = "taxable", -- art. 26 para. 1 no. 6 exempts only licensed education
    shipping = "taxable", -- art. 30
    clothing = "taxable", -- art. 30
    food_grocery = "exempt", -- art. 26 para. 1 no. 1: unprocessed foodstuffs are exempt
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "KR")
  end,
  selftest = {
    { name = "foreign seller 2015-06-30 (the day before the regime): saas out of scope, note regime_not_in_force",
      request = {
        currency = "KRW", date = "2015-06-30",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2015-07-01 (the regime's first day): saas taxed",
      request = {
        currency = "KRW", date = "2015-07-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2019-06-30: cloud computing (iaas_paas) not yet an art. 53-2 electronic service: out of scope",
      request = {
        currency = "KRW", date = "2019-06-30",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "iaas_paas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2019-07-01: cloud computing (iaas_paas) taxed from the 2019 amendment",
      request = {
        currency = "KRW", date = "2019-07-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "iaas_paas" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2019-06-30: online advertising not yet an art. 53-2 electronic service: out of scope",
      request = {
        currency = "KRW", date = "2019-06-30",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "advertising_services" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2019-07-01: online advertising taxed from the 2019 amendment",
      request = {
        currency = "KRW", date = "2019-07-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "advertising_services" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2015-06-30 (before the regime): saas taxed as a domestic supply",
      request = {
        currency = "KRW", date = "2015-06-30",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "2 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on KRW 10000",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 10 % (art. 53-2)",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } } } },
    { name = "unprocessed food: exempt (art. 26)",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (art. 52)",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "116-82-00276", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid KR number (tax office code below 101): charged, note tax_id_invalid",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "100-82-13065", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "foreign seller, business customer whose number has a wrong check digit (116-82-00277; NTS weights 1,3,7,1,3,7,1,3,5, core/tax/taxid.c): charged, note tax_id_invalid",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "116-82-00277", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "KRW", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        ship_from = { line1 = "1 Main Street", city = "Seoul", zip_code = "04524", country = "KR" },
        customer = { id = "b2b-1", tax_id = "116-82-00276", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "1000", lines = { { tax = "1000", taxability_reason = "standard_rated" } } } },
  },
}
