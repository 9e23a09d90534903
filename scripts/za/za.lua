-- South Africa (ZA): VAT. Rates: data/intl/national.csv (15 % since 2018-04-01, VAT Act 89 of
-- 1991 s7(1) as amended by the Rates and Monetary Amounts Act 14 of 2018; 14 % before). The
-- 15.5 % proposed in the March 2025 budget for 2025-05-01 was withdrawn (National Treasury,
-- 2025-04-24) and never took effect.
-- Electronic services by foreign suppliers: VAT Act s1 'enterprise' para (b)(vi) and the
-- Electronic Services Regulations (GN R429, 2019-04-01): a foreign supplier over ZAR 1 million
-- registers and charges VAT to every South African recipient, business or consumer (there is
-- no reverse charge for these supplies). From 2025-04-01 the amended regulations (reg. 2(d))
-- exclude a supplier that supplies SOLELY to registered vendors, but a supplier that also
-- sells to consumers (the one that registers and subscribes this region) charges VAT on both
-- (Baker McKenzie 2024-08; Fintua 2025). So a business customer is charged: no reverse charge.
--
-- Rates and their sources: data/intl/national.csv (one row per rate and period, source per
-- row). Self-tests pin both sides of each dated change.
--
-- Registered foreign seller (issue 19): unchanged. The registered foreign e-service supplier
-- charges every recipient, businesses included (above); the recipient's own reverse charge on
-- imported services (s. 7(1)(c)) applies only where the supplier did not charge.

local foreign_regime = require "_lib.foreign_regime"

local REGIME = {
  { from = "2014-06-01", codes = { "software_download", "digital_goods" },
    cite = "VAT Act s. 1 'enterprise' (b)(vi) and the Electronic Services Regulations of 2014 (in force 2014-06-01: e-books, films, music, games, software applications, subscription services)" },
  { from = "2019-04-01", codes = { "saas" },
    cite = "Electronic Services Regulations GN R429 (2019-03-18, in force 2019-04-01): all electronic services, SaaS included" },
}

return {
  region = "ZA",
  name = "South Africa",
  country = "ZA",
  tax_type = "VAT",
  sourcing = "destination",
  taxability = {
    default = "taxable", -- codes not listed: the general charge (see general)
    general = "taxable", -- VAT Act s7(1)(a)
    saas = "taxable", -- Electronic Services Regulations 2019 reg. 2
    software_download = "taxable", -- same
    digital_goods = "taxable", -- same
    professional_services = "taxable", -- s7(1)(a)
    training = "taxable", -- s12(h) exempts only registered educational institutions
    shipping = "taxable", -- s7(1)(a)
    clothing = "taxable", -- s7(1)(a)
    food_grocery = "taxable", -- s11(1)(j) zero-rates only the listed basic foodstuffs (Schedule 2 Part B): groceries in general are standard-rated (doubt: a basic-food code would be zero_rated)
    exempt = "exempt", -- levy's exempt tax code: the seller says the line is exempt
  },
  foreign_seller_regime = REGIME, -- start of the foreign-seller regime (scripts/_lib/foreign_regime.lua)
  calculate = function(ctx)
    foreign_regime.apply(ctx, REGIME, "ZA")
  end,
  selftest = {
    { name = "foreign seller 2014-05-31 (the day before the regime): digital_goods out of scope, note regime_not_in_force",
      request = {
        currency = "ZAR", date = "2014-05-31",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2014-06-01 (the regime's first day): digital_goods taxed",
      request = {
        currency = "ZAR", date = "2014-06-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2014-05-31 (before the regime): digital_goods taxed as a domestic supply",
      request = {
        currency = "ZAR", date = "2014-05-31",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "2 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "digital_goods" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "foreign seller 2019-03-31 (the day before the regime): saas out of scope, note regime_not_in_force",
      request = {
        currency = "ZAR", date = "2019-03-31",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "out_of_scope" } },
                 notes = { { code = "regime_not_in_force" } } } },
    { name = "foreign seller 2019-04-01 (the regime's first day): saas taxed",
      request = {
        currency = "ZAR", date = "2019-04-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "seller established here, 2019-03-31 (before the regime): saas taxed as a domestic supply",
      request = {
        currency = "ZAR", date = "2019-03-31",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "2 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "standard rate on ZAR 100.00",
      request = {
        currency = "ZAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "general" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS to a consumer: 15 %",
      request = {
        currency = "ZAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "last day of 14 %: 2018-03-31",
      request = {
        currency = "ZAR", date = "2018-03-31",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "2 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" }, -- a domestic seller: SaaS from abroad only from 2019-04-01
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "14.00", lines = { { tax = "14.00", taxability_reason = "standard_rated" } } } },
    { name = "first day of 15 %: 2018-04-01",
      request = {
        currency = "ZAR", date = "2018-04-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "2 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" }, -- a domestic seller (see above)
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "the withdrawn 15.5 % never applied: 2025-05-01 is 15 %",
      request = {
        currency = "ZAR", date = "2025-05-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = {
        currency = "ZAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "exempt" } },
      },
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "foreign seller, business customer: VAT charged anyway (no reverse charge for e-services)",
      request = {
        currency = "ZAR", date = "2026-03-01",
        ship_to = { line1 = "1 Main Street", city = "Johannesburg", zip_code = "2001", country = "ZA" },
        ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" },
        customer = { id = "b2b-1", tax_id = "4123456789", exempt = false },
        lines = { { id = "1", amount = "100.00", quantity = "1", tax_code = "saas" } },
      },
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated" } } } },
  },
}
