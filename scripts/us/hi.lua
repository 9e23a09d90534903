-- Hawaii (US-HI): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 96813 of TAXRATES_ZIP5_HI202512.csv: state 4%, county 0.5%
local common = require "_common"

return common.state{
  code = "HI",
  name = "Hawaii",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    custom_software = "taxable", -- HRS 237-13(2), (6): the general excise tax applies to the gross income from selling software and services alike
    software_maintenance_optional = "taxable", -- HRS 237-13(2), (6): the general excise tax applies to the gross income from selling software and services alike
    iaas_paas = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    data_processing = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    information_services = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    custom_programming = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    it_consulting = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    it_support = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    website_development = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    installation = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    repair_services = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    advertising_services = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    online_course_live = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    online_course_recorded = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    training_in_person = "taxable", -- HRS 237-13(6): the general excise tax applies to the gross income of every service business (no exemption for this service)
    saas = "taxable", -- [TF] GET applies to nearly all business activity
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    professional_services = "taxable", -- GET: services are taxable
    training = "taxable", -- GET: services are taxable
    shipping = "taxable", -- GET: gross income includes delivery charges
    food_grocery = "taxable", -- GET: no grocery exemption
  },
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "custom programming: general excise tax",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "custom_programming") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "recorded online course: general excise tax",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "online_course_recorded") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (4.5%)",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "4.95", lines = { { tax = "4.50" }, { tax = "0.45", taxability_reason = "standard_rated" } } } },
    { name = "groceries: taxable",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "professional services: taxable",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = common.request("HI", "Honolulu", "96813", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, dated rates: the county surcharges by date (data/us/overlays.csv; Hawaii County Finance
    -- 'General Excise Tax Surcharge', Maui Ordinance 5511)
    { name = "Maui (Wailuku 96793) 2023-12-31: GET 4 %, no county surcharge yet",
      request = common.request("HI", "Wailuku", "96793", "2023-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.00", lines = { { tax = "4.00", taxability_reason = "standard_rated" } } } },
    { name = "Maui (Wailuku 96793) 2024-01-01: 4 % + 0.5 % county surcharge (Ordinance 5511)",
      request = common.request("HI", "Wailuku", "96793", "2024-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "Kauai (Lihue 96766) 2018-12-31: GET 4 %",
      request = common.request("HI", "Lihue", "96766", "2018-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.00", lines = { { tax = "4.00", taxability_reason = "standard_rated" } } } },
    { name = "Kauai (Lihue 96766) 2019-01-01: 4 % + 0.5 % county surcharge",
      request = common.request("HI", "Lihue", "96766", "2019-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "Hawaii County (Hilo 96720) 2018-12-31: GET 4 %",
      request = common.request("HI", "Hilo", "96720", "2018-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.00", lines = { { tax = "4.00", taxability_reason = "standard_rated" } } } },
    { name = "Hawaii County (Hilo 96720) 2019-01-01: 4 % + 0.25 % (Ordinance 18-74)",
      request = common.request("HI", "Hilo", "96720", "2019-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.25", lines = { { tax = "4.25", taxability_reason = "standard_rated" } } } },
    { name = "Hawaii County (Hilo 96720) 2019-12-31: 4 % + 0.25 %",
      request = common.request("HI", "Hilo", "96720", "2019-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.25", lines = { { tax = "4.25", taxability_reason = "standard_rated" } } } },
    { name = "Hawaii County (Hilo 96720) 2020-01-01: 4 % + 0.5 % (Ordinance 19-29)",
      request = common.request("HI", "Hilo", "96720", "2020-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
    { name = "Honolulu 2006-12-31: GET 4 %",
      request = common.request("HI", "Honolulu", "96813", "2006-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.00", lines = { { tax = "4.00", taxability_reason = "standard_rated" } } } },
    { name = "Honolulu 2007-01-01: 4 % + 0.5 % county surcharge",
      request = common.request("HI", "Honolulu", "96813", "2007-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "4.50", lines = { { tax = "4.50", taxability_reason = "standard_rated" } } } },
  },
}
