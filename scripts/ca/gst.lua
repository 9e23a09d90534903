-- Canada GST/HST (region "CA"). The engine supplies the federal GST (5%) or the HST
-- (federal + provincial part, e.g. ON 13%, NS 15% -> 14% on 2025-04-01) for the ship-to
-- province from its Canadian rate data; this file says what is taxed. Provincial sales
-- taxes registered separately are the regions CA-BC, CA-MB, CA-SK and CA-QC (their own files).
-- Source: Excise Tax Act (Canada), Schedule V (exempt) and Schedule VI (zero-rated).
-- Who accounts for GST/HST on a B2B supply of digital services by a non-resident seller
-- (issue 19): it depends on how the seller is registered, a seller setting (ca_gst_regime):
--   * "simplified": registered under the simplified regime for non-residents (ETA Part IX,
--     Division II, Subdivision E, s. 211.1 to 211.23; registration s. 211.22). It collects
--     only on a "specified supply", made to a "specified Canadian recipient" (s. 211.1: a
--     person not registered under Subdivision D of Division V). A customer that gives its
--     GST/HST registration number (a BN with the RT program, s. 211.1(2) and CRA GST/HST Info
--     Sheet GI-192/GI-193) is a registrant: not charged; it self-assesses where its use is not
--     exclusively commercial (s. 217/218, Division IV). Answered as reverse_charge (the lines
--     keep their would-be rate with a zero amount); an unusable number (not a valid BN) is a
--     consumer sale with the note tax_id_invalid.
--   * "normal" (the default, levy's behaviour before the setting): registered under the
--     normal regime (Subdivision D of Division V, s. 240); it charges GST/HST to every
--     customer in Canada, registrant or not (s. 221 collection), and the tax id decides
--     nothing. Default "normal" because that is what levy always did, and an unknown regime
--     must not drop tax a registrant owes.
--   * A seller established in Canada is never a simplified-regime registrant: it charges.
-- Start of the regime for non-residents (issue 19): before 2021-07-01 a non-resident not
-- carrying on business in Canada had no duty to register and collect GST/HST on digital
-- products and services (intangible personal property and services) supplied to Canadian
-- consumers; the recipient self-assessed (ETA Division IV). From 2021-07-01 (Bill C-30,
-- Budget Implementation Act 2021 No. 1, ETA Part IX Division II Subdivision E; CRA "GST/HST
-- for digital economy businesses") it registers under the simplified regime and collects.
-- Modelled as foreign_seller_regime (scripts/_lib/foreign_regime.lua): a seller established
-- outside Canada selling those codes before 2021-07-01 is out of scope for the GST/HST only;
-- a province's own tax (QST from 2019, BC PST from 2021-04-01, ...) is its own region's rule
-- and starts on its own date. Doubt: a non-resident that carried on business in Canada was
-- registered under the normal rules before 2021 and charged; levy cannot tell (it answers
-- for the seller it calculates for, as for every foreign-seller regime).
-- Declared below as reverse_charge = "b2b_simplified_regime", implemented once in
-- core/tax/calc.c (reverse_charge_applies); the setting reaches it as
-- levy_tax_request.simplified_regime.
local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2021-07-01", codes = { "saas", "software_download", "digital_goods", "professional_services", "training" },
    cite = "Excise Tax Act s. 211.1-211.23 (simplified registration for non-resident vendors of digital products and services), S.C. 2021, c. 23 (Bill C-30), in force 2021-07-01; CRA 'GST/HST for digital economy businesses'" },
}

return {
  region = "CA",
  name = "Canada — GST/HST", -- no brackets: the UI adds the code's, "Canada — GST/HST (CA)" (L.regionLabel)
  tax_type = "GST",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable",
    saas = "taxable", -- digital services: taxable, non-residents register under the simplified regime (ETA Part IX Div. VIII)
    software_download = "taxable",
    digital_goods = "taxable",
    streaming_audio = "taxable", -- ETA s. 123(1) "supply" of a service; no exemption in Schedule V: taxable (non-residents under s. 211.1 ff. from 2021-07-01)
    streaming_video = "taxable", -- as streaming_audio
    professional_services = "taxable", -- commercial services are taxable supplies
    training = "taxable", -- commercial training taxable; vocational schools exempt under Sched. V Part III (doubt)
    shipping = "taxable", -- freight charged by the vendor follows the goods (doubt for zero-rated orders)
    clothing = "taxable",
    food_grocery = "zero_rated", -- ETA Schedule VI Part III: basic groceries zero-rated
    exempt = "exempt",
    -- issue 19, product taxonomy (docs/rules.md section 2a); other refinements are taxed as
    -- their parent, with the note taxability_fallback
    prepared_food = "taxable", -- ETA Schedule VI Part III s. 1: the zero-rating of basic groceries excludes food heated for consumption, prepared meals, sandwiches and food sold for consumption on the premises; GST/HST at the full rate
  },
  reverse_charge = "b2b_simplified_regime", -- header above; docs/rules.md section 2
  foreign_seller_regime = REGIME, -- start of the non-resident regime (header above)
  calculate_before = "2021-07-01", -- calculate only acts before the regime's start: later requests skip it
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "CA")
  end,
  selftest = {
    -- issue 19: the GST/HST of a non-resident's digital services from 2021-07-01 (ETA s. 211.1 ff.)
    { name = "US seller 2021-06-30 (before the simplified regime): Ontario SaaS out of scope for HST, note regime_not_in_force",
      request = {
        currency = "CAD", date = "2021-06-30",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "US seller 2021-07-01 (the regime's first day): Ontario SaaS HST 13%",
      request = {
        currency = "CAD", date = "2021-07-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    { name = "seller in Canada 2021-06-30: Ontario SaaS HST 13% (domestic supplier)",
      request = {
        currency = "CAD", date = "2021-06-30",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "2 Main Street", city = "Ottawa", state = "ON", zip_code = "K1P 1J1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    { name = "US seller 2021-06-30: goods are not a specified supply, HST 13%",
      request = {
        currency = "CAD", date = "2021-06-30",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },

    -- issue 19, product taxonomy
    { name = "Ontario prepared food: HST 13% (groceries are zero-rated)",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "prepared_food" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    -- tax-facts #11
    { name = "#11 Ontario HST 13%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    -- tax-facts #12: NS provincial part 10% -> 9% on 2025-04-01
    { name = "#12 Nova Scotia HST 15% on 2025-03-31",
      request = {
        currency = "CAD", date = "2025-03-31",
        ship_to = { line1 = "1 Main Street", city = "Halifax", state = "NS", zip_code = "B3H 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00" } } } },
    { name = "#12 Nova Scotia HST 14% on 2025-04-01",
      request = {
        currency = "CAD", date = "2025-04-01",
        ship_to = { line1 = "1 Main Street", city = "Halifax", state = "NS", zip_code = "B3H 1A1", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00" } } } },
    { name = "Alberta GST 5%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Calgary", state = "AB", zip_code = "T2P 1J9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "Ontario SaaS: HST 13%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00" } } } },
    { name = "Ontario professional services: HST 13%",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00" } } } },
    { name = "Ontario basic groceries: zero-rated",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "simplified regime, US seller, customer gives a valid GST/HST number: not charged (ETA s. 211.1)",
      ca_gst_regime = "simplified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-ca", tax_id = "123456782RT0001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "simplified regime, a 9-digit BN alone is a valid number too: not charged",
      ca_gst_regime = "simplified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-ca", tax_id = "123456782", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "simplified regime, BN with a wrong check digit: charged HST 13%, note tax_id_invalid",
      ca_gst_regime = "simplified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-ca", tax_id = "123456783RT0001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "simplified regime, an EIN is no GST/HST number: charged, note tax_id_invalid",
      ca_gst_regime = "simplified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-ca", tax_id = "12-3456789", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "simplified regime, a Quebec QST number is no GST/HST number: charged, note tax_id_invalid",
      ca_gst_regime = "simplified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-ca", tax_id = "1234567890TQ0001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "normal regime, US seller, customer gives a valid GST/HST number: HST charged (s. 221)",
      ca_gst_regime = "normal",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-ca", tax_id = "123456782RT0001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    { name = "no setting = normal regime: HST charged to a registrant",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-ca", tax_id = "123456782RT0001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    { name = "simplified setting but the seller is in Canada: HST charged",
      ca_gst_regime = "simplified",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        ship_from = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        customer = { id = "b2b-ca", tax_id = "123456782RT0001", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CAD", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Toronto", state = "ON", zip_code = "M5V 3L9", country = "CA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
