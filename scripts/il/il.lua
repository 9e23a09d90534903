-- Israel (IL): VAT. Rates: data/intl/national.csv — 18 % from 2025-01-01 (Value Added Tax
-- (Rate of Tax on Transactions) Order, 2024); 17 % from 2015-10-01 to 2024-12-31; 18 % from
-- 2013-06-02 to 2015-09-30, 17 % from 2012-09-01, 16 % from 2010-01-01 (issue 19, audit law19f:
-- levy had no rate before 2015-10-01 and answered no_tax_in_region; Haaretz 2013-06-02,
-- Raveh-Ravid 2015, TMF Group 2012-08-01).
-- Israel has no registration regime for foreign providers of digital services to consumers
-- (as of 2026): a US seller without an Israeli establishment has nothing to collect, so it
-- subscribes this region only if it is registered (e.g. a branch). An Israeli business
-- buying services from a foreign resident self-invoices the VAT (VAT Law 5736-1975 s20(7)
-- and s38): reverse charge. (Eilat's free-trade zone, Eilat Law 5746-1985, zero-rates
-- supplies by Eilat dealers only: not modelled.)
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged, with a doubt. The buyer's self-invoicing
-- for services from a foreign resident (VAT Law s. 20(7), s. 38) is what levy answers. A
-- foreign resident that registered as a dealer through a representative (s. 67A) may instead
-- charge VAT itself; not modelled (no Israeli regime for foreign digital sellers exists, so
-- such a registration is rare; a branch in Israel is an Israeli seller and charges).

return {
  region = "IL",
  name = "Israel",
  country = "IL",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- VAT Law s2, Rate Order 2024
    saas = "taxable", -- s1 'service'
    software_download = "taxable", -- s1
    digital_goods = "taxable", -- s1
    professional_services = "taxable", -- s1
    training = "taxable", -- only non-profit institutions are outside VAT
    shipping = "taxable", -- s2
    clothing = "taxable", -- s2
    food_grocery = "taxable", -- only fresh fruit and vegetables are zero-rated (s30(a)(9)): groceries standard-rated (doubt)
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  reverse_charge = "b2b_foreign_seller", -- docs/rules.md "Reverse charge": one implementation, core/tax/calc.c
  selftest = {
    { name = "standard rate on ILS 100.00",
      request = {
        currency = "ILS", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS: 18 %",
      request = {
        currency = "ILS", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 16 %: 2012-08-31",
      request = {
        currency = "ILS", date = "2012-08-31",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "16.00", lines = { { tax = "16.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 17 %: 2012-09-01",
      request = {
        currency = "ILS", date = "2012-09-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "17.00", lines = { { tax = "17.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 17 %: 2013-06-01",
      request = {
        currency = "ILS", date = "2013-06-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "17.00", lines = { { tax = "17.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 18 %: 2013-06-02",
      request = {
        currency = "ILS", date = "2013-06-02",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 18 %: 2015-09-30",
      request = {
        currency = "ILS", date = "2015-09-30",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 17 %: 2015-10-01",
      request = {
        currency = "ILS", date = "2015-10-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "17.00", lines = { { tax = "17.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 17 %: 2024-12-31",
      request = {
        currency = "ILS", date = "2024-12-31",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "17.00", lines = { { tax = "17.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 18 %: 2025-01-01",
      request = {
        currency = "ILS", date = "2025-01-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "ILS", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: reverse charge (s20(7))",
      request = {
        currency = "ILS", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "516179157", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "reverse_charge" } } } },
    { name = "foreign seller, business customer whose tax id is not a valid IL number (wrong check digit): charged, note tax_id_invalid",
      request = {
        currency = "ILS", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "516179150", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } },
                 notes = { { code = "tax_id_invalid" } } } },
    { name = "seller established here, business customer: domestic tax charged",
      request = {
        currency = "ILS", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        ship_from = { line1 = "1 Main Street", city = "Tel Aviv", zip_code = "6100000", country = "IL" },
        customer = { id = "b2b-1", tax_id = "516179157", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "18.00", lines = { { tax = "18.00", taxability_reason = "standard_rated" } } } },
  },
}
