-- Maryland (US-MD): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 21201 of TAXRATES_ZIP5_MD202512.csv: state 6%
local common = require "_common"

return common.state{
  code = "MD",
  name = "Maryland",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    data_processing = {
      { "exempt", to = "2025-06-30", cite = "Md. Code Tax-Gen. 11-101: a service not listed as a taxable service is not a taxable sale (before HB 352)" },
      { { rate = "3.00", level = "state" }, from = "2025-07-01", cite = "Ch. 604 of 2025 (HB 352, BRFA) sec. 4, Tax-Gen. 11-104(n): 3% on data or information technology services of NAICS 518, 519 and 5415 from 2025-07-01 (Comptroller Technical Bulletin No. 56; COMAR 03.06.01.48)" },
    },
    information_services = {
      { "exempt", to = "2025-06-30", cite = "Md. Code Tax-Gen. 11-101: a service not listed as a taxable service is not a taxable sale (before HB 352)" },
      { { rate = "3.00", level = "state" }, from = "2025-07-01", cite = "Ch. 604 of 2025 (HB 352, BRFA) sec. 4, Tax-Gen. 11-104(n): 3% on data or information technology services of NAICS 518, 519 and 5415 from 2025-07-01 (Comptroller Technical Bulletin No. 56; COMAR 03.06.01.48)" },
    },
    custom_programming = {
      { "exempt", to = "2025-06-30", cite = "Md. Code Tax-Gen. 11-101: a service not listed as a taxable service is not a taxable sale (before HB 352)" },
      { { rate = "3.00", level = "state" }, from = "2025-07-01", cite = "Ch. 604 of 2025 (HB 352, BRFA) sec. 4, Tax-Gen. 11-104(n): 3% on data or information technology services of NAICS 518, 519 and 5415 from 2025-07-01 (Comptroller Technical Bulletin No. 56; COMAR 03.06.01.48)" },
    },
    it_consulting = {
      { "exempt", to = "2025-06-30", cite = "Md. Code Tax-Gen. 11-101: a service not listed as a taxable service is not a taxable sale (before HB 352)" },
      { { rate = "3.00", level = "state" }, from = "2025-07-01", cite = "Ch. 604 of 2025 (HB 352, BRFA) sec. 4, Tax-Gen. 11-104(n): 3% on data or information technology services of NAICS 518, 519 and 5415 from 2025-07-01 (Comptroller Technical Bulletin No. 56; COMAR 03.06.01.48)" },
    },
    it_support = {
      { "exempt", to = "2025-06-30", cite = "Md. Code Tax-Gen. 11-101: a service not listed as a taxable service is not a taxable sale (before HB 352)" },
      { { rate = "3.00", level = "state" }, from = "2025-07-01", cite = "Ch. 604 of 2025 (HB 352, BRFA) sec. 4, Tax-Gen. 11-104(n): 3% on data or information technology services of NAICS 518, 519 and 5415 from 2025-07-01 (Comptroller Technical Bulletin No. 56; COMAR 03.06.01.48)" },
    },
    website_development = {
      { "exempt", to = "2025-06-30", cite = "Md. Code Tax-Gen. 11-101: a service not listed as a taxable service is not a taxable sale (before HB 352)" },
      { { rate = "3.00", level = "state" }, from = "2025-07-01", cite = "Ch. 604 of 2025 (HB 352, BRFA) sec. 4, Tax-Gen. 11-104(n): 3% on data or information technology services of NAICS 518, 519 and 5415 from 2025-07-01 (Comptroller Technical Bulletin No. 56; COMAR 03.06.01.48)" },
    },
    custom_software = {
      { "exempt", to = "2025-06-30", cite = "Md. Code Tax-Gen. 11-101: a service not listed as a taxable service is not a taxable sale (before HB 352); custom computer software services exempt (Tax-Gen. 11-225)" },
      { { rate = "3.00", level = "state" }, from = "2025-07-01", cite = "Ch. 604 of 2025 (HB 352, BRFA) sec. 4, Tax-Gen. 11-104(n): 3% on data or information technology services of NAICS 518, 519 and 5415 from 2025-07-01 (Comptroller Technical Bulletin No. 56; COMAR 03.06.01.48); the same act ended the custom software exemption" },
    },
    -- business vs personal use (docs/rules.md "Customer type"): from 2025-07-01 SaaS bought for business
    -- use pays the 3 % data/IT rate, bought by an individual the general 6 % (digital product, Tax-Gen.
    -- 11-101(c-3)). From 2022-07-01 to 2025-06-30 SaaS bought solely for commercial purposes was not a
    -- "digital product" (Ch. 535 of 2022, SB 723 / HB 791, Tax-Gen. 11-101(c-3)(2)(v); Comptroller
    -- Business Tax Tip #29 rev. 2022-07-01; PwC "Maryland enacts digital products sales tax
    -- exclusions" 2022-06): `business` exempt, `individual` 6 %. The act speaks of software "in an
    -- enterprise computer system"; levy reads every business purchase of SaaS as that (doubt at the edge).
    -- Why an individual pays 6 % and not 3 % from 2025-07-01 (law25): SaaS is both a software
    -- publishing / application hosting service of NAICS 5132 / 518 (3 %, Tech. Bulletin No. 56,
    -- 2025-06-29: "sales of a data or information technology service described under NAICS sectors
    -- 518 or 519, or subsector 5415, and a system software or application software publishing
    -- services described under NAICS subsector 5132 are subject to sales and use tax at a rate of
    -- 3%") and, for a buyer other than an enterprise computer system, a digital product (6 %);
    -- COMAR 03.06.01.50(B) (library.partnertax.ai/us-md/regs/03.06.01.50; proposed 2025-12-26 per
    -- gfrlaw.com, consistent with the Comptroller's 2025 emergency guidance): "if a different rate
    -- could be applied to a sale or use of tangible personal property, a digital code, a digital
    -- product, or a taxable service, the higher rate shall apply to the sale". The business row is
    -- 3 % because the enterprise-system exclusion of 11-101(c-3)(2) leaves only the service rate.
    -- Doubt, not changed: iaas_paas has no row here (it falls back to saas, 3 % business / 6 %
    -- individual, with the note taxability_fallback). IaaS/PaaS is NAICS 518 "cloud computing",
    -- 3 % (COMAR 03.06.01.48; TB 56 section IV per thompsontax.com: "IaaS/PaaS" under 518); whether
    -- it is also a "digital product" for an individual (then 6 % by .50(B)) is not said in a
    -- stored source, so the fallback stays.
    saas = {
      { "exempt", to = "2021-03-13", cite = "Md. Code Tax-Gen. 11-101 before Ch. 37 of 2021: remotely accessed software not a taxable sale" },
      { "taxable", from = "2021-03-14", to = "2022-06-30", cite = "Ch. 37 of 2021 (HB 932), Tax-Gen. 11-101: digital products and codes incl. SaaS taxable at 6% from 2021-03-14" },
      { { business = "exempt", individual = "taxable" }, from = "2022-07-01", to = "2025-06-30", cite = "Ch. 535 of 2022 (SB 723 / HB 791), Tax-Gen. 11-101(c-3)(2): SaaS purchased or licensed solely for commercial purposes in an enterprise computer system is not a digital product, from 2022-07-01 (Comptroller Business Tax Tip #29; Aprio 2022-06-09; PwC 2022-06)" },
      { { business = { rate = "3.00", level = "state" }, individual = "taxable" }, from = "2025-07-01", cite = "[TF] HB 352 (BRFA 2025), Tax-Gen. 11-104(n): 3% on data/IT services and software publishing from 2025-07-01 (TB 56, 2025-06-29); an individual's SaaS is a digital product too, and COMAR 03.06.01.50(B) applies the higher rate (6%)" },
    },
    digital_goods = { -- issue 19, dated taxability: the date the comment gave is now the row's
      { "exempt", to = "2021-03-13", cite = "Md. Code Tax-Gen. 11-101 before Ch. 37 of 2021: a digital product (e-book, music, video) was not tangible personal property nor a taxable service" },
      { "taxable", from = "2021-03-14", cite = "Ch. 37 of 2021 (HB 932, veto overridden), Tax-Gen. 11-101(c-3), 11-102: digital products and digital codes taxable at 6% from 2021-03-14" },
    },
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    -- handling (issue 19, shipping): Maryland leaves only a separately stated charge for
    -- transportation out of the taxable price; a handling charge, or one charge for shipping and
    -- handling together, is part of the price of what is sold (Md. Code Tax-Gen. 11-101 "taxable
    -- price"; Comptroller of Maryland as quoted by Avalara "Do I tax shipping charges to
    -- Maryland?" 2016-07-16; legalclarity.org 2025: a combined shipping-and-handling line is
    -- taxable; secondary sources: doubt on the paragraph), so it follows the goods it comes with
    shipping_handling = "follows_goods",
  },
  selftest = {
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "SaaS for business use 2022-06-30: 6% (before Ch. 535 of 2022)",
      request = common.request("MD", "Baltimore", "21201", "2022-06-30", { common.line("1", "100.00", "1", "saas_business") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for business use 2022-07-01: exempt (Ch. 535 of 2022)",
      request = common.request("MD", "Baltimore", "21201", "2022-07-01", { common.line("1", "100.00", "1", "saas_business") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for business use 2025-06-30: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-06-30", { common.line("1", "100.00", "1", "saas_business") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for personal use 2025-06-30: 6%",
      request = common.request("MD", "Baltimore", "21201", "2025-06-30", { common.line("1", "100.00", "1", "saas_personal") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for business use 2025-07-01: 3%",
      request = common.request("MD", "Baltimore", "21201", "2025-07-01", { common.line("1", "100.00", "1", "saas_business") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "SaaS for personal use 2025-07-01: 6%",
      request = common.request("MD", "Baltimore", "21201", "2025-07-01", { common.line("1", "100.00", "1", "saas_personal") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "custom programming 2025-06-30: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-06-30", { common.line("1", "100.00", "1", "custom_programming") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "custom programming 2025-07-01: 3% data/IT rate",
      request = common.request("MD", "Baltimore", "21201", "2025-07-01", { common.line("1", "100.00", "1", "custom_programming") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "data processing 2025-06-30: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-06-30", { common.line("1", "100.00", "1", "data_processing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "data processing 2025-07-01: 3% for an individual too",
      request = common.request("MD", "Baltimore", "21201", "2025-07-01", { common.line("1", "100.00", "1", "data_processing") }, { customer = { type = "individual" } }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "custom software 2025-06-30: exempt (11-225)",
      request = common.request("MD", "Baltimore", "21201", "2025-06-30", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "custom software 2025-07-01: 3%",
      request = common.request("MD", "Baltimore", "21201", "2025-07-01", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "general goods at the ZIP rate (6%)",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: state rate 3.00% only",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "SaaS for an individual (personal use): 6%",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS for a business: 3%",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "business" } }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "digital goods 2021-03-13: not taxable (before Ch. 37 of 2021)",
      request = common.request("MD", "Baltimore", "21201", "2021-03-13", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "digital goods 2021-03-14: 6%",
      request = common.request("MD", "Baltimore", "21201", "2021-03-14", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping and handling with taxable goods: taxable (handling is part of the price)",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.00" }, { tax = "0.60", taxability_reason = "standard_rated" } } } },
    { name = "shipping and handling with exempt goods only: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery"), common.line("2", "10.00", "1", "shipping_handling") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("MD", "Baltimore", "21201", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, taxability with dates: the 3% rate from 2025-07-01 and what applied before
    { name = "SaaS for an individual 2025-06-30: 6% (digital product) before the 3% rate",
      request = common.request("MD", "Baltimore", "21201", "2025-06-30", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS 2025-07-01: 3% data/IT rate",
      request = common.request("MD", "Baltimore", "21201", "2025-07-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "3.00", lines = { { tax = "3.00", taxability_reason = "reduced_rated" } } } },
    { name = "SaaS 2021-03-13: before digital products were taxed, exempt",
      request = common.request("MD", "Baltimore", "21201", "2021-03-13", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS 2021-03-14: digital products taxable at 6%",
      request = common.request("MD", "Baltimore", "21201", "2021-03-14", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.00", lines = { { tax = "6.00", taxability_reason = "standard_rated" } } } },
  },
}
