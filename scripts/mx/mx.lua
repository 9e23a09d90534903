-- Mexico (MX): IVA. Rates: data/intl/national.csv (16 % since 2010-01-01, Ley del IVA art. 1 as
-- amended DOF 2009-11-07; 15 % from 1995-04-01 to 2009-12-31).
-- Two regimes for a seller abroad, told apart by what is sold (this rule's own logic):
-- - Digital services of LIVA art. 18-B (Chapter III Bis, in force 2020-06-01): downloads of or
--   access to images, films, text, information, video, audio, music, games, multimedia,
--   online clubs, distance learning (fr. I, III, IV). The foreign provider registers and
--   charges 16 % to every recipient in Mexico (art. 18-D fr. I-III); the chapter has no B2B
--   exception (EY Tax News 2019-11-12; Vistra 2020-02-26): a business customer is charged too.
--   Tax code digital_goods.
-- - Software use and SaaS, data storage and other services are not in art. 18-B (EY, Vistra:
--   'data storage, and the use or sale of software would not be subject'): they are imports
--   of services / of the use of intangibles (LIVA art. 24 fr. III and V); the Mexican
--   business recipient pays the IVA itself and credits it (art. 26 fr. III, art. 28-A):
--   reverse charge for a business customer. A consumer is charged at 16 % by a seller that
--   collects in Mexico (doubt: for a seller abroad without a Mexican establishment the law
--   gives no collection duty for these services; subscribe MX only if registered).
-- The 8 % northern/southern border stimulus applies to sellers established in the border
-- region only (Decreto de estímulos fiscales región fronteriza norte, DOF 2018-12-31).
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
-- The codes a business customer reverse-charges; the others (art. 18-B digital services) the
-- foreign seller charges to businesses too, so calculate below charges them again:
local CUSTOMER_ACCOUNTS = { saas = true, software_download = true, professional_services = true, training = true, general = true, shipping = true, clothing = true, food_grocery = true }
--
-- Registered foreign seller (issue 19): unchanged. The art. 18-D registration is what makes the
-- seller charge digital services of art. 18-B to every recipient, businesses included (above);
-- SaaS / software use stay an import of services taxed on the business recipient (art. 24
-- fr. III and V) whether or not the seller holds an RFC under art. 18-D.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2020-06-01", codes = { "saas", "software_download", "digital_goods" },
    cite = "LIVA art. 18-B to 18-M (Chapter III Bis, in force 2020-06-01)" },
}

return {
  region = "MX",
  name = "Mexico",
  country = "MX",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- LIVA art. 1: 16 %
    saas = "taxable", -- LIVA art. 24 fr. III (use of intangibles from abroad): not an art. 18-B digital service
    software_download = "taxable", -- LIVA art. 24 fr. III
    digital_goods = "taxable", -- LIVA art. 18-B fr. I: downloads of or access to content
    -- issue 19, audit law19f: art. 18-B fr. I excepts the download of or access to electronic
    -- books, newspapers and magazines from the digital services of Chapter III Bis (macf.com.mx
    -- 2019-09-26 on the 2020 reform), and books "printed on any medium" are zero-rated (LIVA
    -- art. 2-A fr. I inc. i); elconta.mx / Colegio de Contadores Publicos de Sonora 2015). levy
    -- fell back to digital_goods and charged 16 %.
    digital_books = "zero_rated", -- LIVA art. 18-B fr. I (e-books excepted), art. 2-A fr. I inc. i)
    digital_publication_subscription = "zero_rated", -- LIVA art. 18-B fr. I (electronic newspapers and magazines excepted), art. 2-A fr. I inc. i)
    professional_services = "taxable", -- LIVA art. 14, art. 24 fr. V
    training = "taxable", -- LIVA art. 15 fr. IV exempts only schools with official recognition; distance learning is art. 18-B fr. IV
    shipping = "taxable", -- LIVA art. 14
    clothing = "taxable", -- LIVA art. 1
    food_grocery = "zero_rated", -- LIVA art. 2-A fr. I inc. b): food products at 0 %
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "MX")
    for _, line in ipairs(ctx.lines) do
      if line.reverse_charge and not (CUSTOMER_ACCOUNTS[line.tax_code] or CUSTOMER_ACCOUNTS[line.tax_code_parent]) then
        line.reverse_charge = false -- LIVA art. 18-B: the seller charges a business customer too
        line.reason = "standard_rated"
      end
    end
  end,
  selftest = {
    { name = "foreign seller 2020-05-31 (the day before the regime): saas out of scope, note regime_not_in_force",
      request = {
        currency = "MXN", date = "2020-05-31",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2020-06-01 (the regime's first day): saas taxed",
      request = {
        currency = "MXN", date = "2020-06-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2020-05-31 (before the regime): saas taxed as a domestic supply",
      request = {
        currency = "MXN", date = "2020-05-31",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "2 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller, e-book to a consumer: excepted from art. 18-B fr. I, 0 %",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "foreign seller, e-book to a business: 0 % as well",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "MAB-930714-8T4", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "foreign seller, digital newspaper subscription: excepted, 0 %",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_publication_subscription" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "foreign seller, video download (art. 18-B fr. I content) still 16 %",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_video" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "standard rate on MXN 100.00",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 16 %",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 15 %: 2009-12-31",
      request = {
        currency = "MXN", date = "2009-12-31",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 16 %: 2010-01-01",
      request = {
        currency = "MXN", date = "2010-01-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: zero_rated (art. 2-A)",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer, digital content: IVA charged anyway (art. 18-D, no B2B exception)",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "MAB-930714-8T4", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "foreign seller, business customer, SaaS: the customer pays the import IVA (art. 24 fr. III): reverse charge",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "MAB-930714-8T4", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid MX number (month 13): charged, note tax_id_invalid",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "MAB-931314-8T4", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "MXN", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        ship_from = { line1 = "1 Main Street", city = "Ciudad de México", zip_code = "06600", country = "MX" },
        customer = { id = "b2b-1", tax_id = "MAB-930714-8T4", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
  },
}
