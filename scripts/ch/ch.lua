-- Switzerland (CH): VAT. Rates come from the engine's national rate data; this file says what is
-- taxed.
-- Who accounts for the tax on a B2B supply of digital services by a seller not established in
-- Switzerland (issue 19, "reverse charge is not any business customer abroad"):
--   * The acquisition tax (Bezugsteuer, MWSTG Art. 45 para. 1 lit. a) is owed by the Swiss
--     recipient only for services "von Unternehmen mit Sitz im Ausland, die nicht im
--     Register der steuerpflichtigen Personen eingetragen sind" - from suppliers NOT entered
--     in the Swiss VAT register.
--   * A foreign supplier of electronic services to Swiss recipients registers once its
--     worldwide turnover passes CHF 100,000 (MWSTG Art. 10 para. 2 lit. b; Art. 45a defines
--     who is a recipient) and, once registered, charges Swiss VAT on all its supplies taxable
--     in Switzerland - to Swiss businesses as well (ESTV MWST-Info 06 "Ort der
--     Leistungserbringung", 8.2; ESTV MWST-Branchen-Info on electronic services).
--   * In levy a subscribed region with tax calculation on means the seller collects there,
--     i.e. is registered. A seller levy calculates CH for is therefore always registered, and
--     the Bezugsteuer never applies to its sales: the rule declares no reverse_charge. A
--     business customer's UID changes nothing (no tax_id_invalid note either: the id decides
--     nothing here). This deviates from CONTRACT section 2.5, which lists CH among the
--     reverse-charge countries (docs/rules.md section 2, "Deviation ... Switzerland").
--   * A seller established in Switzerland charges domestic tax as before.

return {
  region = "CH",
  name = "Switzerland",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable",
    general = "taxable", -- 8.1% standard since 2024-01-01 (MWSTG Art. 25)
    saas = "taxable",
    software_download = "taxable",
    digital_goods = "taxable",
    professional_services = "taxable",
    training = "exempt", -- MWSTG Art. 21 para. 2 no. 11: education and training are excluded from VAT
    shipping = "taxable",
    clothing = "taxable",
    food_grocery = "reduced", -- MWSTG Art. 25 para. 2: food at the reduced rate (2.6% since 2024)
    exempt = "exempt",
    -- electronic books, newspapers and magazines (issue 19, taxability with dates; law22): at the
    -- reduced rate from 2018-01-01 like printed ones (MWSTG Art. 25 para. 2 lit. a no. 9 as
    -- revised; Avalara VATLive 2017-12-18 "From 1 January, e-books will be reclassified from the
    -- standard rate to the super reduced VAT rate of 2.5%"; Taxand: "E-books, Audiobooks and
    -- E-papers ... reduced VAT rate of 2.5% with effect from 1 January 2018"; before: standard)
    digital_books = {
      { "taxable", to = "2017-12-31", cite = "standard rate before the revised MWSTG (Avalara VATLive 2017-12-18)" },
      { "reduced", from = "2018-01-01", cite = "MWSTG Art. 25 para. 2 lit. a no. 9: electronic books at the reduced rate from 2018-01-01" },
    },
    digital_publication_subscription = {
      { "taxable", to = "2017-12-31", cite = "standard rate before the revised MWSTG (Taxand 2017)" },
      { "reduced", from = "2018-01-01", cite = "MWSTG Art. 25 para. 2 lit. a no. 9: electronic newspapers and magazines without advertising character at the reduced rate from 2018-01-01" },
    },
  },
  -- no reverse_charge: a registered foreign seller charges Swiss businesses (MWSTG Art. 45
  -- para. 1 lit. a; header above)
  selftest = {
    { name = "standard rate on CHF 100.00",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: standard rate",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "groceries: reduced_rated",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "2.60", lines = { { tax = "2.60", taxability_reason = "reduced_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "registered foreign seller, business customer with a valid UID: Swiss VAT charged (MWSTG Art. 45 para. 1 lit. a: no Bezugsteuer)",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "CHE-116.281.710 MWST", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        customer = { id = "b2b-2", tax_id = "CHE-116.281.710 MWST", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    -- A tax id decides nothing in CH (no reverse charge): an id that is not a valid Swiss UID
    -- is charged like a valid one, and carries no tax_id_invalid note.
    { name = "US seller to a Swiss customer: tax id \"N/A\" is not valid: charged as any other, no note",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "N/A", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "US seller to a Swiss customer: tax id an EIN is not valid: charged as any other, no note",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "12-3456789", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "US seller to a Swiss customer: tax id \"DE12345\" is not valid: charged as any other, no note",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "DE12345", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "US seller to a Swiss customer: tax id with a wrong check digit is not valid: charged as any other, no note",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "CHE-116.281.711 MWST", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "US seller to a Swiss customer, UID without the MWST suffix and separators: charged",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-x", tax_id = "CHE116281710", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    -- issue 19, dated rates: both sides of each change of ESTV 'Development of the Swiss VAT rates' (data/intl/national.csv)
    { name = "2017-12-31: standard 8.0 % (2011-01-01 to 2017-12-31)",
      request = {
        currency = "CHF", date = "2017-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "2018-01-01: standard 7.7 %",
      request = {
        currency = "CHF", date = "2018-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.70", lines = { { tax = "7.70", taxability_reason = "standard_rated" } } } },
    { name = "2023-12-31: standard 7.7 %",
      request = {
        currency = "CHF", date = "2023-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.70", lines = { { tax = "7.70", taxability_reason = "standard_rated" } } } },
    { name = "2024-01-01: standard 8.1 %",
      request = {
        currency = "CHF", date = "2024-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "8.10", lines = { { tax = "8.10", taxability_reason = "standard_rated" } } } },
    { name = "2010-12-31: standard 7.6 % (2001-01-01 to 2010-12-31)",
      request = {
        currency = "CHF", date = "2010-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.60", lines = { { tax = "7.60", taxability_reason = "standard_rated" } } } },
    { name = "2011-01-01: standard 8.0 %",
      request = {
        currency = "CHF", date = "2011-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "2000-12-31: standard 7.5 % (1999-01-01 to 2000-12-31)",
      request = {
        currency = "CHF", date = "2000-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.50", lines = { { tax = "7.50", taxability_reason = "standard_rated" } } } },
    { name = "2001-01-01: standard 7.6 %",
      request = {
        currency = "CHF", date = "2001-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.60", lines = { { tax = "7.60", taxability_reason = "standard_rated" } } } },
    { name = "1998-12-31: standard 6.5 % (VAT from 1995-01-01)",
      request = {
        currency = "CHF", date = "1998-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "6.50", lines = { { tax = "6.50", taxability_reason = "standard_rated" } } } },
    { name = "1999-01-01: standard 7.5 %",
      request = {
        currency = "CHF", date = "1999-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "7.50", lines = { { tax = "7.50", taxability_reason = "standard_rated" } } } },
    { name = "groceries 2017-12-31: reduced 2.5 %",
      request = {
        currency = "CHF", date = "2017-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2010-12-31: reduced 2.4 %",
      request = {
        currency = "CHF", date = "2010-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "2.40", lines = { { tax = "2.40", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2011-01-01: reduced 2.5 %",
      request = {
        currency = "CHF", date = "2011-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2023-12-31: reduced 2.5 %",
      request = {
        currency = "CHF", date = "2023-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
    { name = "groceries 2024-01-01: reduced 2.6 %",
      request = {
        currency = "CHF", date = "2024-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "food_grocery" } },
      },
      expect = { total_tax = "2.60", lines = { { tax = "2.60", taxability_reason = "reduced_rated" } } } },
    -- law22: electronic publications by date (taxability.digital_books, digital_publication_subscription)
    { name = "Swiss seller, e-book 2017-12-31: standard 8.0 %",
      request = {
        currency = "CHF", date = "2017-12-31",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "Swiss seller, e-book 2018-01-01: reduced 2.5 %",
      request = {
        currency = "CHF", date = "2018-01-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_books" } },
      },
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
    { name = "Swiss seller, e-newspaper subscription 2026: reduced 2.6 %",
      request = {
        currency = "CHF", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        ship_from = { line1 = "2 Main Street", city = "Zürich", zip_code = "8001", country = "CH" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_publication_subscription" } },
      },
      expect = { total_tax = "2.60", lines = { { tax = "2.60", taxability_reason = "reduced_rated" } } } },
  },
}
