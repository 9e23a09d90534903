-- New Jersey (US-NJ): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 07102 of TAXRATES_ZIP5_NJ202512.csv: state 6.625%
local common = require "_common"

return common.state{
  code = "NJ",
  name = "New Jersey",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    information_services = "taxable", -- N.J.S.A. 54:32B-3(b)(12), N.J.A.C. 18:24-35.4, Publication ANJ-29: information services (databases, credit reports, research access) taxable since 2006-10-01; personal or individual information not furnished to others is excluded (not modelled: doubt)
    custom_software = "exempt", -- N.J.S.A. 54:32B-2: tangible personal property includes prewritten software only; custom software is not taxed
    clothing_accessories = "taxable", -- N.J.S.A. 54:32B-8.4 exempts clothing as defined in 54:32B-2 (SSUTA), which excludes clothing accessories or equipment
    repair_services = "taxable", -- N.J.S.A. 54:32B-3(b)(2): maintaining, servicing or repairing tangible personal property
    installation = "taxable", -- N.J.S.A. 54:32B-3(b)(2): installing tangible personal property
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    -- prewritten software delivered electronically and used directly and exclusively in the
    -- conduct of the purchaser's business is exempt (N.J.S.A. 54:32B-8.56); personal use taxable.
    -- Customer type: docs/rules.md.
    software_download = { business = "exempt", individual = "taxable" }, -- N.J.S.A. 54:32B-8.56
    shipping = "follows_goods", -- N.J.S.A. 54:32B-2 (delivery charges part of the sales price); N.J.A.C. 18:24-27.2(b)-(c): delivery of exempt goods (clothing, Example 1) exempt, a shipment of exempt and taxable property taxed proportionately by sales price or weight
    clothing = "exempt", -- N.J.S.A. 54:32B-8.4: clothing and footwear exempt
  },
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "shipping and handling of clothing only: exempt like delivery (SSUTA: delivery charges include handling)",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "clothing"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "0.00" } },
    { name = "information services: taxable",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "6.63", lines = { { tax = "6.63", taxability_reason = "standard_rated" } } } },
    { name = "custom software: exempt",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }, { customer = { type = "individual" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing accessory: taxable (clothing is exempt)",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "clothing_accessories") }),
      expect = { total_tax = "6.63", lines = { { tax = "6.63", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (6.625%)",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.63", lines = { { tax = "6.63", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "downloaded software for an individual: taxable",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "software_download") }, { customer = { type = "individual" } }),
      expect = { total_tax = "6.63", lines = { { tax = "6.63", taxability_reason = "standard_rated" } } } },
    { name = "downloaded software for a business: exempt",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "software_download") }, { customer = { type = "business" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.29", lines = { { tax = "6.63" }, { tax = "0.66", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- tax-facts #4: Ramsey 07446 (row ALLENDALE, 6.625% state only), $15 + $1.50 shipping
    { name = "#4 Ramsey NJ: shipping taxable, 6.625% of 16.50 -> 1.09",
      request = common.request("NJ", "Ramsey", "07446", "2025-12-15", { common.line("1", "15.00", "1", "general"), common.line("2", "1.50", "1", "shipping") }),
      expect = { total_tax = "1.09", lines = { { tax = "0.99" }, { tax = "0.10", taxability_reason = "standard_rated" } } } },
    { name = "clothing exempt",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of clothing only: exempt",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "clothing"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("NJ", "Newark", "07102", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "clothing"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "6.96", lines = { { tax = "6.63" }, { tax = "0.00" }, { tax = "0.33", taxability_reason = "partially_taxable" } } } },
    -- issue 19, dated rates: the state rate by date (data/us/overlays.csv; P.L. 2016, c. 57)
    { name = "2016-12-31: 7 %",
      request = common.request("NJ", "Newark", "07102", "2016-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "2017-01-01: 6.875 % (P.L. 2016, c. 57)",
      request = common.request("NJ", "Newark", "07102", "2017-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.88", lines = { { tax = "6.88", taxability_reason = "standard_rated" } } } },
    { name = "2017-12-31: 6.875 %",
      request = common.request("NJ", "Newark", "07102", "2017-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.88", lines = { { tax = "6.88", taxability_reason = "standard_rated" } } } },
    { name = "2018-01-01: 6.625 %",
      request = common.request("NJ", "Newark", "07102", "2018-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.63", lines = { { tax = "6.63", taxability_reason = "standard_rated" } } } },
    { name = "2006-12-31: 7 %, its start not known to levy: note rate_history_unknown",
      request = common.request("NJ", "Newark", "07102", "2006-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } }, notes = { { code = "rate_history_unknown" } } } },
  },
}
