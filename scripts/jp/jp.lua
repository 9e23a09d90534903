-- Japan (JP): VAT. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in Japan (B2B electronic services of foreign businesses are reverse-charged, Consumption Tax Act art. 5) accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).
--
-- Registered foreign seller (issue 19): unchanged. "Business-to-business electronic services"
-- (Consumption Tax Act art. 2(1)(viii-4)) by a foreign business (kokugai jigyosha) are
-- "specified taxable purchases" taxed on the Japanese business recipient (art. 4(1), art. 5(1),
-- art. 28(2)); registration as a qualified invoice issuer (art. 57-2) does not change who
-- owes the tax. The seller states that the recipient pays (art. 62). B2C: the foreign seller
-- charges (platform taxation from 2025-04-01, art. 15-2, not a B2B rule).

local foreign_regime = require "_lib.foreign_regime"

-- Who accounts for the tax on a business customer (issue 19, lawintl): the reverse charge
-- covers only "business-to-business electronic services" (jigyosha-muke denki tsushin riyo
-- ekimu, Consumption Tax Act art. 2(1)(viii-4)): services that by their nature or the terms
-- of the transaction are normally received only by businesses (internet advertising, a
-- marketplace's space for sellers, cloud services under contracts negotiated with a business).
-- "Consumer-oriented" electronic services -- e-books, music, video generally provided to
-- consumers, and services that say "for business use" but do not keep consumers out -- are
-- taxed on the foreign business even when a business receives them (it files and pays; the
-- business credits the tax only if the seller is registered): MOF "FY2015 Tax Reform: Revision
-- of Consumption Taxation on Cross-Border Supplies of Services"; NTA Q&A as summarised by
-- Shinagawa ("the provision of B2C electronic services is not limited to services that only
-- consumers receive but also include services received by businesses"), Yasuda Accounting
-- 2023-02-21 ("services that are expected to be used by consumers ... do not fall under 'for
-- business operators'"). So digital_goods and its refinements (e-books, audio, video,
-- streaming, digital subscriptions) and saas_personal are charged to a business customer
-- too; saas, saas_business, iaas_paas, software_download and the other codes keep the reverse
-- charge for a business customer (doubt: generic SaaS or downloads open to consumers are
-- consumer-oriented by the NTA's test; levy cannot see the seller's terms -- use saas_personal
-- for such a service).
local CONSUMER_ORIENTED = { digital_goods = true, saas_personal = true }

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2015-10-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "Consumption Tax Act art. 2(1)(viii-3), art. 4(3)(iii) as amended by Act No. 9 of 2015 (electronic services by foreign businesses, from 2015-10-01); MOF 'FY2015 Tax Reform: Revision of Consumption Taxation on Cross-Border Supplies of Services'" },
}

return {
  region = "JP",
  name = "Japan",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- consumption tax 10% (7.8% national + 2.2% local)
    saas = "taxable", -- cross-border electronic services to consumers taxable since 2015-10-01
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "taxable",
    shipping = "taxable",
    clothing = "taxable",
    food_grocery = "reduced", -- reduced rate 8% on food and beverages (excluding alcohol and dining out) since 2019-10-01
    exempt = "exempt",
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "JP")
    for _, line in ipairs(ctx.lines) do
      if line.reverse_charge and (CONSUMER_ORIENTED[line.tax_code] or CONSUMER_ORIENTED[line.tax_code_parent]) then
        line.reverse_charge = false -- consumer-oriented electronic services: the foreign seller pays (header)
        line.reason = "standard_rated"
      end
    end
  end,
  selftest = {
    { name = "foreign seller 2015-09-30 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "JPY", date = "2015-09-30",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2015-10-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "JPY", date = "2015-10-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "800", lines = { { tax = "800", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2015-09-30 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "JPY", date = "2015-09-30",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2015-09-30 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "JPY", date = "2015-09-30",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on JPY 1000",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "100", lines = { { tax = "100", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "100", lines = { { tax = "100", taxability_reason = "standard_rated" } } } },
    { name = "groceries: reduced_rated",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "80", lines = { { tax = "80", taxability_reason = "reduced_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "T1234567890123", exempt = false },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer, an e-book (consumer-oriented): charged 10 %, not reverse-charged",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-3", tax_id = "T7000012050002", exempt = false },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "100", lines = { { tax = "100", taxability_reason = "standard_rated" } } } },
    { name = "foreign seller, business customer, saas_personal (consumer-oriented): charged 10 %",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-4", tax_id = "T7000012050002", exempt = false },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "saas_personal" } },
      },
      expect = { total_tax = "100", lines = { { tax = "100", taxability_reason = "standard_rated" } } } },
    { name = "foreign seller, business customer, advertising services (business-oriented): reverse charge",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-5", tax_id = "T7000012050002", exempt = false },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "advertising_services" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer giving its corporate number without T (the NTA's own, 7000012050002): reverse charge",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-6", tax_id = "7000012050002", exempt = false },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, a corporate number with a wrong check digit (7000012050003, MOF Ordinance No. 70 of 2014 art. 2): charged, note tax_id_invalid",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-7", tax_id = "7000012050003", exempt = false },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "100", lines = { { tax = "100", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "JPY", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        customer = { id = "b2b-2", tax_id = "T1234567890123", exempt = false },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "100", lines = { { tax = "100", taxability_reason = "standard_rated" } } } },
    -- issue 19, dated rates: both sides of each change of the consumption tax rate (data/intl/national.csv)
    { name = "Japanese seller 2014-03-31: 5 %",
      request = {
        currency = "JPY", date = "2014-03-31",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "50", lines = { { tax = "50", taxability_reason = "standard_rated" } } } },
    { name = "Japanese seller 2014-04-01: 8 %",
      request = {
        currency = "JPY", date = "2014-04-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "80", lines = { { tax = "80", taxability_reason = "standard_rated" } } } },
    { name = "Japanese seller 2019-09-30: 8 %",
      request = {
        currency = "JPY", date = "2019-09-30",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "80", lines = { { tax = "80", taxability_reason = "standard_rated" } } } },
    { name = "Japanese seller 2019-10-01: 10 %",
      request = {
        currency = "JPY", date = "2019-10-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "100", lines = { { tax = "100", taxability_reason = "standard_rated" } } } },
    { name = "Japanese seller, food 2019-09-30: 8 % (no reduced rate yet)",
      request = {
        currency = "JPY", date = "2019-09-30",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "80", lines = { { tax = "80", taxability_reason = "standard_rated" } } } },
    { name = "Japanese seller 1997-03-31: 3 %",
      request = {
        currency = "JPY", date = "1997-03-31",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "30", lines = { { tax = "30", taxability_reason = "standard_rated" } } } },
    { name = "Japanese seller 1997-04-01: 5 %",
      request = {
        currency = "JPY", date = "1997-04-01",
        ship_to = { line1 = "1 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        ship_from = { line1 = "2 Main Street", city = "Tokyo", zip_code = "100-0001", country = "JP" },
        lines = { { id = "1", amount = "1000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "50", lines = { { tax = "50", taxability_reason = "standard_rated" } } } },
  },
}
