-- Iceland (IS): VAT (virðisaukaskattur). Rates: data/intl/national.csv — 24 % and 11 % from
-- 2015-01-01 (Act 50/1988 art. 14 as amended by Act 124/2014); 25.5 % and 7 % from 2010-01-01
-- (standard) / 2007-03-01 (reduced) to 2014-12-31.
-- Doubt (law25, not changed): before those starts no row, so a sale by a seller in Iceland dated
-- before 2010 (standard) or 2007-03-01 (reduced) gets no Icelandic VAT. Found: 24.5 % standard
-- and 14 % on food until 2007-02-28 (visir.is 2007, "Tax Reduction Hits at Midnight": food "from
-- 14% to 7%", books and CDs "from 24.5% to 7%"), 25.5 % from January 2010 (Avalara VATlive
-- 2014-09-10: "hiked to 25.5% in January 2010"). Not found: since when 24.5 % and 14 % applied
-- (rows need a start), so no rows are added; such a day answers no tax with the note
-- rate_history_unknown (doubts26, core/tax/calc.c), not a silent zero. Foreign sellers are not affected: their regime
-- starts 2011-11-01 (below).
-- Electronic services from abroad: a foreign seller of electronically supplied services to
-- non-registered persons registers and charges VAT (Act 50/1988 art. 5 and art. 35 a, in force
-- 2011-11-01). A buyer registered for VAT calculates and pays the VAT on services bought from
-- abroad itself (art. 35, reverse charge).
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The art. 35 a registration covers
-- electronic services to persons not registered for VAT; a registered buyer reverse-charges
-- services bought from abroad (art. 35). Doubt: a foreign seller with an ordinary registration
-- through a representative (art. 5 para. 3) is not separately modelled.

local foreign_regime = require "_lib.foreign_regime"

-- Start of the foreign-seller regime (issue 19): before its date a seller not established here had
-- nothing to collect on these services; levy answers out_of_scope with the note regime_not_in_force
-- (scripts/_lib/foreign_regime.lua). Each row cites its source; "Doubt" marks disagreeing sources.
local REGIME = {
  { from = "2011-11-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "Act 50/1988 art. 35 a (electronically supplied services by sellers not established in Iceland, in force 2011-11-01); Nordik Legal tax alert 2012-01-07; Avalara VATlive Iceland guide" },
}

return {
  region = "IS",
  name = "Iceland",
  country = "IS",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- Act 50/1988 art. 14 para. 1
    saas = "taxable", -- art. 35 a: electronically supplied services
    software_download = "taxable", -- art. 35 a
    digital_goods = "reduced", -- art. 14 para. 2: e-books and digital music/audio at 11 % (the code also covers other digital goods: doubt)
    professional_services = "taxable", -- art. 14
    training = "exempt", -- art. 2 para. 3 no. 4: education is outside VAT
    shipping = "taxable", -- art. 14
    clothing = "taxable", -- art. 14
    food_grocery = "reduced", -- art. 14 para. 2 no. 2: food at 11 %
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "IS")
  end,
  selftest = {
    { name = "foreign seller 2011-10-31 (the day before the regime): SaaS out of scope, note regime_not_in_force",
      request = {
        currency = "ISK", date = "2011-10-31",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2011-11-01 (the regime's first day): SaaS taxed",
      request = {
        currency = "ISK", date = "2011-11-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "2550", lines = { { tax = "2550", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2011-10-31 (before the regime): SaaS taxed as a domestic supply",
      request = {
        currency = "ISK", date = "2011-10-31",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "2 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2011-10-31 (before the regime): goods are not the regime's, the rule's answer stands",
      request = {
        currency = "ISK", date = "2011-10-31",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "general" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on ISK 10000",
      request = {
        currency = "ISK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "2400", lines = { { tax = "2400", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 24 %",
      request = {
        currency = "ISK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "2400", lines = { { tax = "2400", taxability_reason = "standard_rated" } } } },
    { name = "last day of 25.5 %: 2014-12-31",
      request = {
        currency = "ISK", date = "2014-12-31",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "2550", lines = { { tax = "2550", taxability_reason = "standard_rated" } } } },
    { name = "first day of 24 %: 2015-01-01",
      request = {
        currency = "ISK", date = "2015-01-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "2400", lines = { { tax = "2400", taxability_reason = "standard_rated" } } } },
    -- doubts26: before levy's first standard rate (25.5 % from 2010-01-01) no tax, and the note rate_history_unknown
    -- (core/tax/calc.c) says levy does not know that day's rate (24.5 % until 2009: start not found, header)
    { name = "general goods 2009-12-31: no sourced standard rate, no tax, note rate_history_unknown",
      request = {
        currency = "ISK", date = "2009-12-31",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "2 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "no_tax_in_region" } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "general goods 2010-01-01: 25.5 %",
      request = {
        currency = "ISK", date = "2010-01-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "2 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "2550", lines = { { tax = "2550", taxability_reason = "standard_rated" } } } },
    { name = "food before 2015: 7 %",
      request = {
        currency = "ISK", date = "2014-12-31",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "700", lines = { { tax = "700", taxability_reason = "reduced_rated" } } } },
    { name = "food from 2015-01-01: 11 %",
      request = {
        currency = "ISK", date = "2015-01-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "1100", lines = { { tax = "1100", taxability_reason = "reduced_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "ISK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (art. 35)",
      request = {
        currency = "ISK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "00621", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0", lines = { { tax = "0", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid IS number (7 digits): charged, note tax_id_invalid",
      request = {
        currency = "ISK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "0062199", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "2400", lines = { { tax = "2400", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "ISK", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        ship_from = { line1 = "1 Main Street", city = "Reykjavík", zip_code = "101", country = "IS" },
        customer = { id = "b2b-1", tax_id = "00621", exempt = false },
        lines = { { id = "1", amount = "10000", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "2400", lines = { { tax = "2400", taxability_reason = "standard_rated" } } } },
  },
}
