-- United Kingdom (GB): VAT. Rates come from the engine's national rate data; this file says what is
-- taxed and decides reverse charge for business customers of foreign sellers.
-- Reverse charge (CONTRACT §2.5 "Seller location"): a business customer (one with a tax id)
-- buying from a seller not established in the United Kingdom accounts for the tax itself: the lines
-- keep their would-be rate with a zero amount. A seller established here charges domestic
-- tax. An unknown seller location counts as not established (reverse_charge = "b2b_foreign_seller" below).
--
-- Registered foreign seller (issue 19): unchanged. VATA 1994 s. 8 (reverse charge on services
-- from a supplier belonging outside the UK, received for business purposes) turns on where the
-- supplier belongs (s. 9), not on its UK registration: a UK-registered overseas seller of
-- digital services does not charge a UK business, the customer accounts (HMRC VAT Notice 741A
-- "Place of supply of services", section 15 "Reverse charge").
--
-- Place of supply before 2015-01-01 (issue 19; docs/rules.md section 2, "Place of supply"): the
-- UK was a member state until 2020-12-31 (end of the transition period), and until 2014-12-31
-- an EU supplier of electronically supplied services to a UK consumer charged the VAT of its
-- own member state (Directive 2006/112/EC art. 45 as in force before Directive 2008/8/EC art. 5,
-- CELEX 32006L0112, 32008L0008), while a supplier established outside the EU charged UK VAT
-- (Directive 2002/38/EC, CELEX 32002L0038). From 2015-01-01 UK VAT for every supplier (the UK's
-- MOSS). The UK's own provisions (VATA 1994 s. 7A and Sch. 4A as amended for 2015) implement
-- the Directive; their paragraph numbers are not checked here (doubt). The other way round (a
-- UK seller to an EU consumer before 2015) is eu/vat.lua's PLACE_OF_SUPPLY. The rate data for GB
-- starts in 2010 (national.csv): before it levy answers no_tax_in_region, as before.
--
-- issue 19 (lawintl): until 2020-12-31 the EU's EUR 10,000 threshold applied to EU suppliers'
-- e-services to UK consumers (from 2019-01-01; art. 58(2), Directive (EU) 2017/2455) and the
-- distance-selling threshold to their goods (VATA 1994 Sch. 2, GBP 70,000): a seller that says
-- it is below EUR 10,000 (setting eu_below_threshold = "yes") charges its own member state's
-- VAT. B2C services that are not electronically supplied (consulting, legal, accounting, IT
-- consulting, programming, advertising, staff supply) are supplied where the supplier belongs
-- (VATA 1994 s. 7A(2)(b); HMRC VAT Notice 741A): an EU supplier's until 2020-12-31 at its own
-- VAT; a supplier belonging outside the UK (the US; the EU from 2021-01-01) makes a supply
-- outside the scope of UK VAT: out_of_scope. An unknown seller counts as belonging abroad, as
-- for reverse charge. Information services, data processing, installation and repairs stay
-- with UK VAT (Sch. 4A: e-services and work on goods; data processing: doubt, as in eu/vat.lua).
-- Not modelled: Sch. 4A para. 15-16 use-and-enjoyment rules (telecoms, hire of goods: no tax
-- code); the UK's own provisions for the 2019 threshold (paragraph numbers not checked, doubt).
--
-- issue 19: a live online course to a consumer. VATA 1994 Sch. 4A para. 14A (inserted by Finance
-- Act 2009 Sch. 36 para. 15, from 2010-01-01 / 2011-01-01): B2C services relating to
-- educational activities are supplied "in the country in which the activities concerned
-- actually take place" -- the UK's art. 54(1). A live (not automated) online course is no
-- electronically supplied service (Sch. 4A para. 9E; HMRC forum answer 2024-02-27: "if the
-- supplies are not digital in nature then normally the place of supply would be where the"
-- services are performed), and the UK, outside the EU from 2021-01-01, did not take over
-- Directive (EU) 2022/542 (streamed activities where the consumer resides, from 2025-01-01 in the
-- EU): so before and after 2025 levy takes a live course to be given where the seller belongs
-- (as eu/vat.lua does before 2025-01-01, doubt): a UK seller charges UK VAT, a seller belonging
-- elsewhere (the EU included from 2021-01-01) makes a supply outside the scope of UK VAT; until
-- 2020-12-31 an EU seller charged its own member state's VAT (art. 54(1)). A recorded course is
-- an e-service (Sch. 4A para. 9E / Reg. 282/2011 Annex I: automated distance teaching): UK VAT
-- for every supplier. To a business: the general rule (s. 7A(2)(a)), reverse charge as before.

return {
  region = "GB",
  name = "United Kingdom",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- 20% standard rate since 2011-01-04 (HMRC)
    saas = "taxable", -- electronically supplied services: standard rate
    software_download = "taxable",
    digital_goods = "taxable", -- standard; e-publications are zero-rated since 2020-05-01 (VATA 1994 Sch 8 Group 3), not separable under this code (doubt)
    professional_services = "taxable",
    training = "taxable", -- commercial training is standard-rated; exempt only from eligible bodies (VATA Sch 9 Group 6)
    online_course_live = "taxable", -- issue 19: standard like training (exempt only from eligible bodies, Sch 9 Group 6); where it is supplied: place_of_supply (header)
    online_course_recorded = "taxable", -- issue 19: an electronically supplied service (automated distance teaching): standard, UK VAT for every supplier
    shipping = "taxable", -- delivery follows the goods (standard here; mixed zero-rated orders: doubt)
    clothing = "taxable", -- adult clothing standard; children's clothing zero-rated (Sch 8 Group 16) is not separable under this code
    food_grocery = "zero_rated", -- VATA 1994 Sch 8 Group 1: food zero-rated
    exempt = "exempt",
    -- issue 19, product taxonomy (docs/rules.md section 2a); other refinements are taxed as
    -- their parent, with the note taxability_fallback
    print_publication_subscription = "zero_rated", -- VATA 1994 Sch 8 Group 3: books, newspapers and periodicals zero-rated
    digital_books = {
      { "taxable", to = "2020-04-30", cite = "VATA 1994 Sch 8 Group 3 before SI 2020/459: electronic publications standard-rated" },
      { "zero_rated", from = "2020-05-01", cite = "The Value Added Tax (Zero Rating of Electronic Publications) Order 2020 (SI 2020/459), VATA 1994 Sch 8 Group 3 as amended: e-books zero-rated from 2020-05-01" },
    },
    digital_publication_subscription = {
      { "taxable", to = "2020-04-30", cite = "VATA 1994 Sch 8 Group 3 before SI 2020/459: electronic newspapers and periodicals standard-rated" },
      { "zero_rated", from = "2020-05-01", cite = "SI 2020/459, VATA 1994 Sch 8 Group 3 as amended: electronic newspapers and periodicals zero-rated from 2020-05-01" },
    },
    prepared_food = "taxable", -- VATA 1994 Sch 8 Group 1 (a) and Note 3: catering, incl. hot take-away food, is standard-rated
    gift_card = "exempt", -- VATA 1994 Sch 10A (face-value vouchers, Finance Act 2019 implementing Directive (EU) 2016/1065): issuing or transferring a multi-purpose voucher is not a supply; the redemption is
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  place_of_supply = {
    { "supplier", to = "2014-12-31", codes = { "saas", "software_download", "digital_goods" }, seller_regions = { "EU" },
      cite = "Directive 2006/112/EC art. 45 before Directive 2008/8/EC art. 5 took effect on 2015-01-01 (CELEX 32006L0112, 32008L0008); UK an EU member state until 2020-12-31: B2C e-services of an EU supplier are supplied where the supplier is established" },
    -- issue 19 (lawintl), header: the EUR 10,000 threshold while the UK was a member state
    { "supplier", from = "2019-01-01", to = "2020-12-31", codes = { "saas", "software_download", "digital_goods" },
      seller_regions = { "EU" }, when = "below_threshold",
      cite = "Directive 2006/112/EC art. 58(2) (Council Directive (EU) 2017/2455 art. 1(1), CELEX 32017L2455, from 2019-01-01), the UK a member state until 2020-12-31: an EU supplier in one member state under EUR 10,000 of cross-border B2C supplies charges its own VAT (seller setting eu_below_threshold)" },
    { "supplier", to = "2020-12-31", codes = { "general", "clothing", "food_grocery", "shipping" }, seller_regions = { "EU" },
      when = "below_threshold",
      cite = "Directive 2006/112/EC art. 33, 34 as before 2021-07-01; VATA 1994 Sch. 2 (distance selling into the UK, GBP 70,000 threshold) until 2020-12-31: an EU seller under EUR 10,000 of cross-border B2C supplies (setting eu_below_threshold) is under it, its goods taxed where the dispatch begins" },
    -- B2C services not electronically supplied: where the supplier belongs (header)
    { "supplier", to = "2020-12-31", codes = { "professional_services" },
      except = { "information_services", "data_processing", "installation", "repair_services" },
      seller_regions = { "EU" }, elsewhere = "out_of_scope",
      cite = "VATA 1994 s. 7A(2)(b) (B2C: the country where the supplier belongs; HMRC VAT Notice 741A); Directive 2006/112/EC art. 45 while the UK was a member state (CELEX 32006L0112)" },
    { "supplier", from = "2021-01-01", codes = { "professional_services" },
      except = { "information_services", "data_processing", "installation", "repair_services" },
      seller_regions = { "GB" }, elsewhere = "out_of_scope",
      cite = "VATA 1994 s. 7A(2)(b) (B2C: the country where the supplier belongs; HMRC VAT Notice 741A): a supplier belonging outside the UK (the EU included from 2021-01-01) makes a supply outside the scope of UK VAT" },
    -- issue 19: a live online course to a consumer, where it is given (header)
    { "supplier", to = "2020-12-31", codes = { "online_course_live" }, seller_regions = { "EU" },
      elsewhere = "out_of_scope",
      cite = "VATA 1994 Sch. 4A para. 14A (Finance Act 2009 Sch. 36 para. 15); Directive 2006/112/EC art. 54(1) while the UK was a member state: B2C educational services are supplied where the activities take place; a live online course is no e-service (CJEU C-568/17 Geelen); levy takes it to be given where the seller is established (doubt)" },
    { "supplier", from = "2021-01-01", codes = { "online_course_live" }, seller_regions = { "GB" },
      elsewhere = "out_of_scope",
      cite = "VATA 1994 Sch. 4A para. 14A (Finance Act 2009 Sch. 36 para. 15): B2C educational services are supplied where the activities actually take place, taken to be where the seller belongs (doubt; HMRC forum answer 2024-02-27: not digital -> normally where performed); the UK did not adopt Directive (EU) 2022/542 (streamed activities where the consumer resides, EU from 2025-01-01)" },
  },
  selftest = {
    -- issue 19 (lawintl): the EUR 10,000 threshold until 2020-12-31, B2C professional services
    { name = "below-threshold German seller 2018-12-31: SaaS to a UK consumer at the UK 20 %", eu_below_threshold = "yes",
      request = { currency = "GBP", date = "2018-12-31",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } } },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "below-threshold German seller 2019-01-01: SaaS to a UK consumer at the German 19 %", eu_below_threshold = "yes",
      request = { currency = "GBP", date = "2019-01-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } } },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "below-threshold German seller 2021-01-01: SaaS to a UK consumer at the UK 20 % (the UK outside the EU)", eu_below_threshold = "yes",
      request = { currency = "GBP", date = "2021-01-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } } },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "below-threshold German seller 2020-12-31: goods to a UK consumer at the German 16 % (distance selling; Germany's Jul-Dec 2020 rate)", eu_below_threshold = "yes",
      request = { currency = "GBP", date = "2020-12-31",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } } },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "German consultant 2020-12-31: consulting to a UK consumer at the German 16 % (art. 45; Jul-Dec 2020 rate)",
      request = { currency = "GBP", date = "2020-12-31",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } } },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "German consultant 2021-01-01: consulting to a UK consumer outside the scope of UK VAT (s. 7A(2)(b))",
      request = { currency = "GBP", date = "2021-01-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } } },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "place_of_supply" } } } },
    -- issue 19: a live online course to a UK consumer (Sch. 4A para. 14A; header), both sides of 2021-01-01 and after 2025-01-01
    { name = "German seller 2020-12-31: live online course to a UK consumer at the German 16 % (art. 54(1); DE's 16 % of 2020-07-01..12-31)",
      request = { currency = "GBP", date = "2020-12-31",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "online_course_live" } } },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "German seller 2021-01-01: live online course to a UK consumer outside the scope of UK VAT",
      request = { currency = "GBP", date = "2021-01-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "online_course_live" } } },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "US seller 2026 (after the EU's 2025 change, which the UK did not adopt): live online course out of scope",
      request = { currency = "GBP", date = "2026-03-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "online_course_live" } } },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "UK seller 2026: live online course to a UK consumer at 20 %",
      request = { currency = "GBP", date = "2026-03-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Manchester", zip_code = "M1 1AA", country = "GB" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "online_course_live" } } },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "US seller 2026: recorded online course (an e-service) at the UK 20 %",
      request = { currency = "GBP", date = "2026-03-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "online_course_recorded" } } },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "US consultant 2026: consulting to a UK consumer out of scope",
      request = { currency = "GBP", date = "2026-03-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } } },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "UK consultant 2026: consulting to a UK consumer at 20 % (domestic)",
      request = { currency = "GBP", date = "2026-03-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Leeds", zip_code = "LS1 1UR", country = "GB" },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } } },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "US seller 2026: consulting to a UK business: reverse charge (VATA 1994 s. 8)",
      request = { currency = "GBP", date = "2026-03-01",
                  ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
                  ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
                  customer = { id = "gb-b2b", tax_id = "GB980780684", exempt = false },
                  lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "professional_services" } } },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    -- issue 19: place of supply before 2015-01-01 (header)
    { name = "German seller 2014-12-31: SaaS to a UK consumer at the German 19 %, note place_of_supply",
      request = {
        currency = "GBP", date = "2014-12-31",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "19.00", lines = { { tax = "19.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "place_of_supply" } } } },
    { name = "German seller 2015-01-01: SaaS to a UK consumer at the UK 20 %",
      request = {
        currency = "GBP", date = "2015-01-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Berlin", zip_code = "10115", country = "DE" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "US seller 2014-12-31: SaaS to a UK consumer at the UK 20 %",
      request = {
        currency = "GBP", date = "2014-12-31",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    -- issue 19, product taxonomy: the rows above, both sides of SI 2020/459
    { name = "e-book 2020-04-30: standard-rated",
      request = {
        currency = "GBP", date = "2020-04-30",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "e-book 2020-05-01: zero-rated",
      request = {
        currency = "GBP", date = "2020-05-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "digital newspaper subscription: zero-rated",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_publication_subscription" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "printed magazine subscription: zero-rated",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "print_publication_subscription" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "hot prepared food: standard-rated (groceries are zero-rated)",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "prepared_food" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "standard rate on GBP 100.00",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries: zero_rated",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "zero_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer with a tax id: reverse charge",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "GB980780684", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        customer = { id = "b2b-2", tax_id = "GB980780684", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    -- tax-facts #13 (HMRC): GBP 100 net -> 20 VAT; 1/6 of a 120 gross. The 5% reduced case has no
    -- levy tax code (CONTRACT §2.4 lists none that is reduced-rated in the UK).
    { name = "#13 VAT-inclusive GBP 120 at 20%: VAT is 1/6 = 20.00",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "120.00", quantity = "1", tax_code = "general", tax_inclusive = true } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxable_amount = "100.00" } } } },
    -- A tax id is not a word (issue 19; core/tax/calc.c levy_tax_id_usable, core/tax/taxid.c):
    -- an id that is not a valid number of the destination is a consumer sale with a note.
    { name = "US seller to a UK customer: tax id \"N/A\" is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "N/A", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a UK customer: tax id an EIN is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "12-3456789", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a UK customer: tax id \"DE12345\" is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "DE12345", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a UK customer: tax id of Germany is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "DE136695976", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "US seller to a UK customer: tax id with a wrong check digit is not valid here: charged, note tax_id_invalid",
      request = {
        currency = "GBP", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "GB980780685", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    -- issue 19, dated rates: both sides of each change of the standard rate since 1991 (data/intl/national.csv, de Voil V1.121, HMRC VATTOS7410)
    { name = "UK seller 2008-11-30: standard 17.5 %",
      request = {
        currency = "GBP", date = "2008-11-30",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "17.50", lines = { { tax = "17.50", taxability_reason = "standard_rated" } } } },
    { name = "UK seller 2008-12-01: standard 15 % (S.I. 2008/3020)",
      request = {
        currency = "GBP", date = "2008-12-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "UK seller 2009-12-31: standard 15 %",
      request = {
        currency = "GBP", date = "2009-12-31",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "UK seller 2010-01-01: standard 17.5 % again (FA 2009 s. 9)",
      request = {
        currency = "GBP", date = "2010-01-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "17.50", lines = { { tax = "17.50", taxability_reason = "standard_rated" } } } },
    { name = "UK seller 2011-01-03: standard 17.5 %",
      request = {
        currency = "GBP", date = "2011-01-03",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "17.50", lines = { { tax = "17.50", taxability_reason = "standard_rated" } } } },
    { name = "UK seller 2011-01-04: standard 20 %",
      request = {
        currency = "GBP", date = "2011-01-04",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "20.00", lines = { { tax = "20.00", taxability_reason = "standard_rated" } } } },
    { name = "UK seller 1991-03-31: standard 15 %",
      request = {
        currency = "GBP", date = "1991-03-31",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "UK seller 1991-04-01: standard 17.5 % (FA 1991 s. 13)",
      request = {
        currency = "GBP", date = "1991-04-01",
        ship_to = { line1 = "1 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        ship_from = { line1 = "2 Main Street", city = "London", zip_code = "SW1A 1AA", country = "GB" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "17.50", lines = { { tax = "17.50", taxability_reason = "standard_rated" } } } },
  },
}
