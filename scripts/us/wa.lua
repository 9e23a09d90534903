-- Washington (US-WA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 98101 of TAXRATES_ZIP5_WA202512.csv: state 6.5%, city 3.85%
local common = require "_common"

return common.state{
  code = "WA",
  name = "Washington",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- issue 19, product taxonomy (law22): repair of goods is an enumerated taxable service here
    repair_services = "taxable", -- RCW 82.04.050(2)(a): "retail sale" includes repairing, cleaning, altering or improving tangible personal property of or for consumers; WA DOR "Services subject to sales tax" (installation, cleaning and repair services, WAC 458-20-173)
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    gift_card = "exempt", -- WA DOR, "Gift cards, gift certificates, and layaway purchases" (dor.wa.gov): taxes do not apply to gift cards and gift certificates at the time of sale; retail sales tax applies when redeemed for a taxable sale
    streaming_audio = { -- WA DOR Q&A "What digital products are subject to tax?" (ESHB 2075 (2009) secs. 301(8), 305(1)(e); SHB 2620): streamed and accessed digital goods are taxed like downloaded ones, permanent or not; bought by a business solely for business purposes exempt with its certificate (RCW 82.08.02087), as the digital_goods row
      { "exempt", to = "2009-07-25", cite = "streamed digital goods became taxable with ESHB 2075 from 2009-07-26 (WA DOR Q&A: downloaded ones 'have always been' taxable, streamed and accessed ones by the 2009 act)" },
      { { business = "exempt", individual = "taxable" }, from = "2009-07-26", cite = "ESHB 2075 secs. 301(8), 305(1)(e); RCW 82.08.02087 (business use exempt)" },
    },
    streaming_video = { -- WA DOR Q&A "What digital products are subject to tax?" (ESHB 2075 (2009) secs. 301(8), 305(1)(e); SHB 2620): streamed and accessed digital goods are taxed like downloaded ones, permanent or not; bought by a business solely for business purposes exempt with its certificate (RCW 82.08.02087), as the digital_goods row
      { "exempt", to = "2009-07-25", cite = "streamed digital goods became taxable with ESHB 2075 from 2009-07-26 (WA DOR Q&A: downloaded ones 'have always been' taxable, streamed and accessed ones by the 2009 act)" },
      { { business = "exempt", individual = "taxable" }, from = "2009-07-26", cite = "ESHB 2075 secs. 301(8), 305(1)(e); RCW 82.08.02087 (business use exempt)" },
    },
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    software_maintenance_optional = "taxable", -- WAC 458-20-15502: a maintenance agreement for prewritten software (updates and support) is a retail sale (ETA 3242.2025: multiple points of use for software maintenance agreements)
    custom_software = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: custom software (WAC 458-20-15502) was not a retail sale (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025), RCW 82.04.050 as amended: custom software (WAC 458-20-15502) is a retail sale from 2025-10-01 (DOR 'Services newly subject to retail sales tax')" },
    },
    custom_programming = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: custom software development (an information technology service) was not a retail sale (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025), RCW 82.04.050 as amended: custom software development (an information technology service) is a retail sale from 2025-10-01 (DOR 'Services newly subject to retail sales tax')" },
    },
    website_development = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: custom website development (an information technology service) was not a retail sale (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025), RCW 82.04.050 as amended: custom website development (an information technology service) is a retail sale from 2025-10-01 (DOR 'Services newly subject to retail sales tax')" },
    },
    data_processing = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: data processing (excluded from digital automated services, RCW 82.04.192(3)(b)) was not a retail sale (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025), RCW 82.04.050 as amended: data processing (excluded from digital automated services, RCW 82.04.192(3)(b)) is a retail sale from 2025-10-01 (DOR 'Services newly subject to retail sales tax')" },
    },
    it_support = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: IT help desk and technical support (an information technology service) was not a retail sale (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025), RCW 82.04.050 as amended: IT help desk and technical support (an information technology service) is a retail sale from 2025-10-01 (DOR 'Services newly subject to retail sales tax')" },
    },
    temporary_staffing = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: a temporary staffing service was not a retail sale (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025), RCW 82.04.050 as amended: a temporary staffing service is a retail sale from 2025-10-01 (DOR 'Services newly subject to retail sales tax')" },
    },
    online_course_live = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: live presentations (in person or real-time online) were not retail sales (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025) sec. 101, RCW 82.04.050: live presentations, in person or real-time online, are retail sales from 2025-10-01 (DOR IGS Live Presentations)" },
    },
    training_in_person = {
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: live presentations (in person or real-time online) were not retail sales (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025) sec. 101, RCW 82.04.050: live presentations, in person or real-time online, are retail sales from 2025-10-01 (DOR IGS Live Presentations)" },
    },
    advertising_services = { -- doubt: Comcast's suit under the Internet Tax Freedom Act (Thurston County, 2025) and 2026 repeal bills (HB 2130): verify after the 2026 session
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: advertising services were not retail sales (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025), RCW 82.04.050 as amended: advertising services (digital and nondigital; newspapers, printing, broadcasting and out-of-home advertising excluded) are retail sales from 2025-10-01 (DOR IGS Advertising Services)" },
    },
    online_course_recorded = "taxable", -- RCW 82.04.050(8), 82.04.192(3)(a): a prerecorded online course is a digital automated service, taxable before and after ESSB 5814 (online educational programs of public or private schools are excluded: not modelled)
    -- remote access software and digital automated services: retail sales only from 2009-07-26
    -- (ESHB 2075, Laws of 2009 ch. 535; issue 19, taxability with dates; law22): WA DOR Q&A "What
    -- digital products are subject to tax?": "While downloaded digital goods ... have always been
    -- subject to sales or use tax, ESHB 2075 and SHB 2620 applies sales or use tax to all digital
    -- products, regardless of how they are accessed ... This bill also covers remote access
    -- software which is now subject to sales and use tax"; effective date 2009-07-26 (WA DOR
    -- Special Notice 2010-06-29 via Sales Tax Institute; Thomson Reuters 2009-05-19)
    saas = {
      { "exempt", to = "2009-07-25", cite = "before ESHB 2075 remote access software was not a retail sale (WA DOR Q&A: 'now subject to sales and use tax')" },
      { "taxable", from = "2009-07-26", cite = "[TF] RCW 82.04.050(6) (ESHB 2075, effective 2009-07-26): remote access software and digital automated services" },
    },
    -- digital goods bought by a business solely for business purposes are exempt with the
    -- buyer's exemption certificate (RCW 82.08.02087; not digital automated services or remote
    -- access software, so SaaS stays taxable for both). Customer type: docs/rules.md.
    digital_goods = { business = "exempt", individual = "taxable" }, -- RCW 82.08.02087
    training = { -- live presentations (lectures, seminars, workshops, courses, in person or real-time online)
      { "exempt", to = "2025-09-30", cite = "RCW 82.04.050 before ESSB 5814: live presentations were not retail sales (service B&O only)" },
      { "taxable", from = "2025-10-01", cite = "ESSB 5814 (2025) sec. 101, RCW 82.04.050: live presentations are retail sales from 2025-10-01 (DOR 'Services newly subject to retail sales tax'; IGS Live Presentations)" },
    },
    shipping = "follows_goods", -- RCW 82.08.145: a shipment of taxable and nontaxable property is taxed on the delivery share allocated by sales price (or weight); delivery of exempt goods exempt
  },
  selftest = {
    { name = "gift card: not taxed when sold (cited row, no fallback note)",
      request = common.request("WA", "Seattle", "98101", "2026-03-01", { common.line("1", "100.00", "1", "gift_card") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "streaming_video for an individual: taxed",
      request = common.request("WA", "Seattle", "98101", "2026-03-01", { common.line("1", "100.00", "1", "streaming_video") }, { customer = { type = "individual" } }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "streaming_audio for an individual: taxed",
      request = common.request("WA", "Seattle", "98101", "2026-03-01", { common.line("1", "100.00", "1", "streaming_audio") }, { customer = { type = "individual" } }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "streaming_video for a business: exempt like digital goods",
      request = common.request("WA", "Seattle", "98101", "2026-03-01", { common.line("1", "100.00", "1", "streaming_video") }, { customer = { type = "business" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "optional software maintenance: retail sale",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "software_maintenance_optional") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "e-book bought by a business: exempt like digital goods",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "digital_books") }, { customer = { type = "business" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "live online course 2025-09-30: exempt",
      request = common.request("WA", "Seattle", "98101", "2025-09-30", { common.line("1", "100.00", "1", "online_course_live") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "live online course 2025-10-01: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-10-01", { common.line("1", "100.00", "1", "online_course_live") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "advertising services 2025-09-30: exempt",
      request = common.request("WA", "Seattle", "98101", "2025-09-30", { common.line("1", "100.00", "1", "advertising_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "advertising services 2025-10-01: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-10-01", { common.line("1", "100.00", "1", "advertising_services") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "custom software 2025-09-30: not yet a retail sale",
      request = common.request("WA", "Seattle", "98101", "2025-09-30", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "custom software 2025-10-01: ESSB 5814, taxable",
      request = common.request("WA", "Seattle", "98101", "2025-10-01", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "data processing 2025-09-30: exempt",
      request = common.request("WA", "Seattle", "98101", "2025-09-30", { common.line("1", "100.00", "1", "data_processing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "data processing 2025-10-01: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-10-01", { common.line("1", "100.00", "1", "data_processing") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "temporary staffing 2025-09-30: exempt",
      request = common.request("WA", "Seattle", "98101", "2025-09-30", { common.line("1", "100.00", "1", "temporary_staffing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "temporary staffing 2025-10-01: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-10-01", { common.line("1", "100.00", "1", "temporary_staffing") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "prerecorded online course 2025-09-30: a digital automated service, taxable (live training was not)",
      request = common.request("WA", "Seattle", "98101", "2025-09-30", { common.line("1", "100.00", "1", "online_course_recorded") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "prerecorded online course 2025-10-01: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-10-01", { common.line("1", "100.00", "1", "online_course_recorded") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (10.35%)",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "digital goods for an individual: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "digital_goods") }, { customer = { type = "individual" } }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "digital goods for a business (solely business purposes): exempt",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "digital_goods") }, { customer = { type = "business" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS for an individual: taxable too",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "saas") }, { customer = { type = "individual" } }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "11.39", lines = { { tax = "10.35" }, { tax = "1.04", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- tax-facts #22: Seattle 98101 10.35% in the Dec-2025 table (6.5 + 3.85)
    { name = "#22 Seattle 98101 $100 general -> 10.35",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "training (live presentation) taxable",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "training") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("WA", "Seattle", "98101", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "10.87", lines = { { tax = "10.35" }, { tax = "0.00" }, { tax = "0.52", taxability_reason = "partially_taxable" } } } },
    -- issue 19, taxability with dates: ESSB 5814 from 2025-10-01 (both sides)
    { name = "training (live presentation) 2025-09-30: before ESSB 5814, exempt",
      request = common.request("WA", "Seattle", "98101", "2025-09-30", { common.line("1", "100.00", "1", "training") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "training (live presentation) 2025-10-01: ESSB 5814, taxable",
      request = common.request("WA", "Seattle", "98101", "2025-10-01", { common.line("1", "100.00", "1", "training") }),
      expect = { total_tax = "10.35", lines = { { tax = "10.35", taxability_reason = "standard_rated" } } } },
    { name = "repair of goods: taxable (law22)",
      request = common.request("WA", "Seattle", "98101", "2026-03-01", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    -- law22: ESHB 2075 (2009-07-26) for remote access software and streamed digital goods
    { name = "SaaS 2009-07-25: not yet a retail sale",
      request = common.request("WA", "Seattle", "98101", "2009-07-25", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS 2009-07-26: taxable (ESHB 2075)",
      request = common.request("WA", "Seattle", "98101", "2009-07-26", { common.line("1", "100.00", "1", "saas") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "streamed video for an individual 2009-07-25: not taxable; downloaded e-book the same day: taxable",
      request = common.request("WA", "Seattle", "98101", "2009-07-25", { common.line("1", "100.00", "1", "streaming_video"), common.line("2", "100.00", "1", "digital_books") }, { customer = { type = "individual" } }),
      expect = { lines = { { tax = "0.00", taxability_reason = "product_exempt" }, { taxability_reason = "standard_rated" } } } },
  },
}
