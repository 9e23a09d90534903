-- Norway (NO): VAT. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in Norway (VOEC applies to consumers only; businesses reverse-charge, §3-30) accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).
--
-- Registered foreign seller (issue 19): unchanged. Merverdiavgiftsloven § 11-1 (1)-(2): a
-- business (næringsdrivende) that buys remote-deliverable services from abroad calculates the
-- VAT itself. VOEC (§ 3-30 (4), § 14-4) covers only recipients that are not businesses, so a
-- VOEC registration changes nothing for a business customer (Skatteetaten, "VOEC - VAT on
-- e-commerce", B2B sales). Doubt: a foreign seller with an ordinary registration through a
-- representative (§ 2-1 (6), § 14-1) is not separately modelled; the recipient-liability of
-- § 11-1 does not depend on the supplier's registration.

local foreign_regime = require "_lib.foreign_regime"


-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2011-07-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "Merverdiavgiftsloven s. 3-30 (electronic services from abroad to non-business recipients, in force 2011-07-01; 2011 Fiscal Budget); Skatteetaten 'VAT on electronic services: legal information' (VOES)" },
}

return {
  region = "NO",
  name = "Norway",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- 25% standard (merverdiavgiftsloven §5-1)
    saas = "taxable",
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "exempt", -- merverdiavgiftsloven §3-5: educational services are exempt
    shipping = "taxable",
    clothing = "taxable",
    -- food: before 2001-07-01 Norway had one rate besides zero ('Frem til merverdiavgiftsreformen i
    -- 2001 hadde Norge kun én merverdiavgiftssats i tillegg til nullsats', NOU 2019:11 ch. 4.1), so
    -- food bore the ordinary rate: 23 % from 1995-01-01, 24 % from 2001-01-01 (doubts26: mondaq
    -- 'Taxation in Norway: Indirect Taxes'; NTB via dagbladet.no on the 2001 budget; rows and
    -- sources in data/intl/national.csv). Before 1995-01-01 levy has no sourced rate: no tax, and
    -- the engine adds the note rate_history_unknown (core/tax/calc.c, any national table's country).
    food_grocery = {
      { "taxable", to = "2001-06-30", cite = "one ordinary rate until the 2001 reform (NOU 2019:11 ch. 4.1)" },
      -- §5-2: food at the reduced rate, by date in data/intl/national.csv (law25): 11 % in 2005, 13 % in 2006, 14 % 2007-2011, 15 % since 2012-01-01 (Skatteetaten M-5-2.2); 12 % from 2001-07-01 to 2004-12-31 (law26: Skatteetaten M-5-2.2, 'fra og med 1. juli 2001 ... Satsen var opprinnelig på 12 %, som ... utgjorde en halvdel av daværende ordinær merverdiavgiftssats på 24 %'; ordinary 24 % in those years)
      { "reduced", from = "2001-07-01", cite = "merverdiavgiftsloven § 5-2 (Skatteetaten M-5-2.2: the reduced food rate from 2001-07-01)" },
    },
    exempt = "exempt",
    -- e-books (issue 19, taxability with dates; law22): zero-rated from 2019-07-01 like printed
    -- books (merverdiavgiftsloven § 6-4 as amended by the 2019 budget, in force after the EFTA
    -- Surveillance Authority's approval: Accordance 2019-07-15 "as of 1st July 2019, electronic
    -- books, magazines and journals ... are subject to VAT at the zero rate. Before this date,
    -- these supplies were subject to VAT at the 25% standard rate"; Taxback International
    -- 2019-08-12)
    digital_books = {
      { "taxable", to = "2019-06-30", cite = "25 % before the 2019 budget's zero rate (Accordance 2019-07-15)" },
      { "zero_rated", from = "2019-07-01", cite = "merverdiavgiftsloven § 6-4: electronic books zero-rated from 2019-07-01 (Accordance 2019-07-15; Taxback International 2019-08-12)" },
    },
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "NO")
  end,
  selftest = {
    { name = "foreign seller 2011-06-30 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "NOK", date = "2011-06-30",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2011-07-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "NOK", date = "2011-07-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "25.00", lines = { { tax = "25.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2011-06-30 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "NOK", date = "2011-06-30",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "2 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2011-06-30 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "NOK", date = "2011-06-30",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on NOK 100.00",
      request = {
        currency = "NOK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "25.00", lines = { { tax = "25.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "NOK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "25.00", lines = { { tax = "25.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: reduced_rated",
      request = {
        currency = "NOK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "reduced_rated" } } } },
    -- law26: the first reduced food rate, 12 % from 2001-07-01 (half the ordinary 24 %; Skatteetaten M-5-2.2), to
    -- 2004-12-31 (11 % and 25 % from 2005-01-01, dinside.no); both sides of 2005-01-01
    -- doubts26: 23 % from 1995-01-01 (mondaq), 24 % from 2001-01-01 (2001 budget, NTB/dagbladet.no), food at the
    -- ordinary rate until 2001-06-30 (one rate, NOU 2019:11); before 1995-01-01 no sourced rate: 0 and a note
    { name = "general goods 1994-12-31: no sourced rate, no tax, note rate_history_unknown",
      request = {
        currency = "NOK", date = "1994-12-31",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "no_tax_in_region" } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "general goods 1995-01-01: 23 %",
      request = {
        currency = "NOK", date = "1995-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "23.00", lines = { { tax = "23.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods 2000-12-31: 23 %",
      request = {
        currency = "NOK", date = "2000-12-31",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "23.00", lines = { { tax = "23.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods 2001-01-01: 24 %",
      request = {
        currency = "NOK", date = "2001-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "24.00", lines = { { tax = "24.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries 1995-01-01: the ordinary 23 % (one rate before the 2001 reform)",
      request = {
        currency = "NOK", date = "1995-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "23.00", lines = { { tax = "23.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries 2001-06-30: the ordinary 24 % (the day before the reduced food rate)",
      request = {
        currency = "NOK", date = "2001-06-30",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "24.00", lines = { { tax = "24.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries 2001-07-01: 12 % (the reduced food rate's first day)",
      request = {
        currency = "NOK", date = "2001-07-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2004-12-31: 12 %",
      request = {
        currency = "NOK", date = "2004-12-31",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "12.00", lines = { { tax = "12.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2005-01-01: 11 %",
      request = {
        currency = "NOK", date = "2005-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "reduced_rated" } } } },
    { name = "general goods 2001-07-01: 24 % (the ordinary rate then)",
      request = {
        currency = "NOK", date = "2001-07-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "24.00", lines = { { tax = "24.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods 2004-12-31: 24 %",
      request = {
        currency = "NOK", date = "2004-12-31",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "24.00", lines = { { tax = "24.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods 2005-01-01: 25 %",
      request = {
        currency = "NOK", date = "2005-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "25.00", lines = { { tax = "25.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries 2005-12-31: 11 % (2005)",
      request = {
        currency = "NOK", date = "2005-12-31",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2006-01-01: 13 % (2006 budget)",
      request = {
        currency = "NOK", date = "2006-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2006-12-31: 13 %",
      request = {
        currency = "NOK", date = "2006-12-31",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "13.00", lines = { { tax = "13.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2007-01-01: 14 % (2007 budget)",
      request = {
        currency = "NOK", date = "2007-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2011-12-31: 14 %",
      request = {
        currency = "NOK", date = "2011-12-31",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2012-01-01: 15 % (Skatteetaten: since 2012-01-01)",
      request = {
        currency = "NOK", date = "2012-01-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "reduced_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "NOK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "NOK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "NO923609016MVA", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "NOK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        customer = { id = "b2b-2", tax_id = "NO923609016MVA", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "25.00", lines = { { tax = "25.00", taxability_reason = "standard_rated" } } } },
    -- law22: e-books by date (taxability.digital_books)
    { name = "Norwegian seller, e-book 2019-06-30: 25 %",
      request = {
        currency = "NOK", date = "2019-06-30",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "2 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "25.00", lines = { { tax = "25.00", taxability_reason = "standard_rated" } } } },
    { name = "Norwegian seller, e-book 2019-07-01: zero-rated",
      request = {
        currency = "NOK", date = "2019-07-01",
        ship_to = { line1 = "1 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        ship_from = { line1 = "2 Main Street", city = "Oslo", zip_code = "0150", country = "NO" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
  },
}
