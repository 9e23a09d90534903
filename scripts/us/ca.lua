-- California (US-CA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 95814 of TAXRATES_ZIP5_CA202512.csv: state 6%, county 0.25%, city 1%, district 1.5%
local common = require "_common"

return common.state{
  code = "CA",
  name = "California",
  sourcing = "origin_intrastate", -- modified origin: state/county/city at the seller for in-state sales, district taxes at destination (CDTFA Pub 105)
  taxability = {
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    gift_card = "exempt", -- CDTFA Business Taxes Law Guide, Sales and Use Tax Annotation 280.0585 (Regulation 1670): for sales and use tax purposes a gift certificate is the same as cash when used to purchase tangible personal property (its sale is not a sale of tangible personal property)
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    software_maintenance_optional = "exempt", -- Reg. 1502(f)(1)(D): updates transferred electronically, with no storage media, are not tangible personal property; an optional contract that delivers updates on storage media is 50% taxable under (f)(1)(C) (not this code)
    custom_software = "exempt", -- Cal. Rev. & Tax. Code 6010.9; Reg. 1502: custom programs (other than basic operational programs) are not tangible personal property
    software_download = "exempt", -- Reg. 1502(f): software transferred electronically is not tangible personal property
    digital_goods = "exempt", -- digital products are not tangible personal property (CDTFA)
    shipping = "exempt", -- Reg. 1628: separately stated delivery by common carrier after the sale is not taxable; tax-facts #3, #6
  },
  selftest = {
    -- issue 19, law24: Proposition 30, statewide base 7.25 -> 7.50 % from 2013-01-01 to 2016-12-31 (the state's
    -- part 6 -> 6.25 %; data/us/overlays.csv, BOE Proposition 30 page), both sides of each date
    { name = "Proposition 30: state part on 2012-12-31 6.00 % (its start unknown: note)",
      request = common.request("CA", "Los Angeles", "90002", "2012-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.75", lines = { { taxes = { { level = "state", percentage = "6.00" } } } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "Proposition 30: state part on 2013-01-01 6.25 %",
      request = common.request("CA", "Los Angeles", "90002", "2013-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.00", lines = { { taxes = { { level = "state", percentage = "6.25" } } } } } },
    { name = "Proposition 30: state part on 2016-12-31 6.25 %",
      request = common.request("CA", "Los Angeles", "90002", "2016-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.00", lines = { { taxes = { { level = "state", percentage = "6.25" } } } } } },
    { name = "Proposition 30: state part on 2017-01-01 6.00 %",
      request = common.request("CA", "Los Angeles", "90002", "2017-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.75", lines = { { taxes = { { level = "state", percentage = "6.00" } } } } } },
    -- issue 19, which vintage wins: 90016 and Culver City are 10.5 % in the December 2025 ZIP
    -- table and 10.75 % in CDTFA's file effective 2026-01-01 -- the ZIP table before, CDTFA on
    -- and after (docs/rules.md section 5)
    { name = "90016 Culver City on 2025-12-31: the ZIP table's 10.5% (before CDTFA's file)",
      request = common.request("CA", "Culver City", "90016", "2025-12-31", { common.line("1", "1000.00", "1", "general") }),
      expect = { total_tax = "105.00", lines = { { tax = "105.00", taxability_reason = "standard_rated" } } } },
    { name = "90016 Culver City on 2026-01-01: CDTFA's 10.75%",
      request = common.request("CA", "Culver City", "90016", "2026-01-01", { common.line("1", "1000.00", "1", "general") }),
      expect = { total_tax = "107.50", lines = { { tax = "107.50", taxability_reason = "standard_rated" } } } },
    { name = "90016 without a city on 2026-01-01: CDTFA's rate for the city the ZIP table names",
      request = common.request("CA", nil, "90016", "2026-01-01", { common.line("1", "1000.00", "1", "general") }),
      expect = { total_tax = "107.50", lines = { { tax = "107.50", taxability_reason = "standard_rated" } } } },
    { name = "gift card: not taxed when sold (cited row, no fallback note)",
      request = common.request("CA", "Sacramento", "95814", "2026-03-01", { common.line("1", "100.00", "1", "gift_card") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "optional software maintenance (electronic updates): exempt",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "software_maintenance_optional") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mandatory software maintenance: follows the software (electronic: exempt)",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "software_maintenance_mandatory") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "custom software: exempt",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (8.75%)",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.75", lines = { { tax = "8.75", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.75", lines = { { tax = "8.75" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("CA", "Sacramento", "95814", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- tax-facts #3 (TaxJar docs, dated 9%): today's rate for ZIP 90002 is the Dec-2025 row
    -- LYNWOOD 10.75% (6 + 0.25 + 1 + 3.5); per-jurisdiction rounding on $15: 0.90 + 0.04 + 0.15
    -- + 0.53. City Lynwood (CDTFA 10.75%) so ZIP and city tables agree.
    { name = "#3 LA 90002: $15 item + $1.50 shipping, freight not taxable",
      request = common.request("CA", "Lynwood", "90002", "2025-12-15", { common.line("1", "15.00", "1", "general"), common.line("2", "1.50", "1", "shipping") }),
      expect = { total_tax = "1.62", lines = { { tax = "1.62" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- #3 as published (city Los Angeles): the CDTFA city rate 9.75% wins over the ZIP row
    -- (tax-facts §5 "ZIP vs city"), split 6 + 0.25 + 1 + 2.5 district: 0.90 + 0.04 + 0.15 + 0.38
    { name = "#3 LA 90002 with city Los Angeles: CDTFA 9.75%, freight not taxable",
      request = common.request("CA", "Los Angeles", "90002", "2026-03-01", { common.line("1", "15.00", "1", "general"), common.line("2", "1.50", "1", "shipping") }),
      expect = { total_tax = "1.47", lines = { { tax = "1.47" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- tax-facts #6: Monterey 93940 (9.25% in the ZIP row and in CDTFA), 2 x $50 + $15 shipping
    { name = "#6 Monterey 93940: 2 x $50 + $15 shipping -> 9.25",
      request = common.request("CA", "Monterey", "93940", "2022-03-12", { common.line("1", "100.00", "2", "general"), common.line("2", "15.00", "1", "shipping") }),
      expect = { total_tax = "9.25", lines = { { tax = "9.25" }, { tax = "0.00" } } } },
  },
}
