-- South Dakota (US-SD): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 57104 of TAXRATES_ZIP5_SD202512.csv: state 4.2%, city 2%
local common = require "_common"

return common.state{
  code = "SD",
  name = "South Dakota",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    streaming_audio = "taxable", -- SDCL 10-46-2.8 (SL 2008, ch 51): products transferred electronically are taxed whether the seller grants a permanent or less than permanent right of use, conditioned or not on continued payment
    streaming_video = "taxable", -- SDCL 10-46-2.8 (SL 2008, ch 51): products transferred electronically are taxed whether the seller grants a permanent or less than permanent right of use, conditioned or not on continued payment
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    iaas_paas = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    data_processing = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    information_services = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    custom_programming = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    it_consulting = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    it_support = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    website_development = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    installation = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    repair_services = "taxable", -- SDCL 10-45-4: receipts from services are taxable unless a statute exempts the service (computer and information services are not exempted; SD DOR Tax Fact "Computer Services")
    saas = "taxable", -- [TF] taxable
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    professional_services = "taxable", -- SDCL 10-45-4: services are taxable unless specifically exempted (some professions are; doubt)
    shipping = "follows_goods", -- SDCL 10-45-1 (sales price includes delivery charges); SSUTA sec. 317 (SD is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
    food_grocery = "taxable", -- groceries are taxable at the full rate
  },
  selftest = {
    { name = "streaming_video: taxed",
      request = common.request("SD", "Sioux Falls", "57104", "2026-03-01", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20", taxability_reason = "standard_rated" } } } },
    { name = "streaming_audio: taxed",
      request = common.request("SD", "Sioux Falls", "57104", "2026-03-01", { common.line("1", "100.00", "1", "streaming_audio") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20", taxability_reason = "standard_rated" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "data processing: taxable service",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "data_processing") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (6.2%)",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.82", lines = { { tax = "6.20" }, { tax = "0.62", taxability_reason = "standard_rated" } } } },
    { name = "groceries: taxable",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20", taxability_reason = "standard_rated" } } } },
    { name = "professional services: taxable",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("SD", "Sioux Falls", "57104", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "6.51", lines = { { tax = "6.20" }, { tax = "0.00" }, { tax = "0.31", taxability_reason = "partially_taxable" } } } },
    -- issue 19, dated rates: the state rate by date (data/us/overlays.csv: 2016 HB 1182, 2023 HB 1137)
    { name = "2023-06-30: state 4.5 % + Sioux Falls 2 %",
      request = common.request("SD", "Sioux Falls", "57104", "2023-06-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.50", lines = { { tax = "6.50", taxes = { { level = "state", amount = "4.50" }, { level = "city", amount = "2.00" } } } } } },
    { name = "2023-07-01: state 4.2 % (HB 1137)",
      request = common.request("SD", "Sioux Falls", "57104", "2023-07-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.20", lines = { { tax = "6.20" } } } },
    { name = "2016-06-01: state 4.5 % (HB 1182)",
      request = common.request("SD", "Sioux Falls", "57104", "2016-06-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.50", lines = { { tax = "6.50" } } } },
    { name = "2016-05-31: state 4 %, its start not known to levy: note rate_history_unknown",
      request = common.request("SD", "Sioux Falls", "57104", "2016-05-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00" } }, notes = { { code = "rate_history_unknown" } } } },
  },
}
