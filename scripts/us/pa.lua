-- Pennsylvania (US-PA): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 19103 of TAXRATES_ZIP5_PA202512.csv: state 6%, county 2%
local common = require "_common"

return common.state{
  code = "PA",
  name = "Pennsylvania",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    streaming_audio = { -- Act 84 of 2016, 72 P.S. 7201(m) as amended (PA DOR "Digital Products", revenue.pa.gov): digital video and audio streamed, or a subscription to a streaming service, are taxable from 2016-08-01
      { "exempt", to = "2016-07-31", cite = "before Act 84 of 2016 (PA DOR 'Digital Products': taxable from 2016-08-01)" },
      { "taxable", from = "2016-08-01", cite = "Act 84 of 2016, 72 P.S. 7201(m); PA DOR 'Digital Products'" },
    },
    streaming_video = { -- Act 84 of 2016, 72 P.S. 7201(m) as amended (PA DOR "Digital Products", revenue.pa.gov): digital video and audio streamed, or a subscription to a streaming service, are taxable from 2016-08-01
      { "exempt", to = "2016-07-31", cite = "before Act 84 of 2016 (PA DOR 'Digital Products': taxable from 2016-08-01)" },
      { "taxable", from = "2016-08-01", cite = "Act 84 of 2016, 72 P.S. 7201(m); PA DOR 'Digital Products'" },
    },
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    clothing_accessories = "taxable", -- 72 P.S. 7204(26): accessories, ornamental wear, formal day or evening apparel and fur articles are excluded from the clothing exemption
    custom_software = "exempt", -- 72 P.S. 7201(m) (tangible personal property includes canned software only); 61 Pa. Code 60.19: custom software is not taxable
    repair_services = "taxable", -- 72 P.S. 7201(k)(4): repairing or altering tangible personal property is a sale at retail
    installation = "taxable", -- 72 P.S. 7201(k)(4): installing tangible personal property is a sale at retail
    saas = "taxable", -- [TF] 6% (+ Philadelphia 2%, Allegheny 1%): canned software however accessed (Act 84 of 2016)
    digital_goods = { -- Act 84 of 2016, 72 P.S. 7201(m) as amended (PA DOR "Digital Products"): digital products taxable from 2016-08-01
      { "exempt", to = "2016-07-31", cite = "before Act 84 of 2016 digital products (video, photographs, books, music...) were not tangible personal property in PA (PA DOR 'Digital Products': taxable from 2016-08-01)" },
      { "taxable", from = "2016-08-01", cite = "Act 84 of 2016, 72 P.S. 7201(m), PA DOR 'Digital Products' (revenue.pa.gov)" },
    },
    shipping = "follows_goods_any", -- 61 Pa. Code 54.1(a)-(b): delivery charges with a taxable transaction are taxable even if separately stated, with a nontaxable one (clothing) not; a shipment with any taxable item: the whole charge (DOR guidance, secondary: doubt)
    clothing = "exempt", -- 72 P.S. 7204(26): clothing exempt (formal wear, fur excluded; not modelled)
  },
  selftest = {
    { name = "streaming_video 2016-07-31: not yet taxed (Act 84 of 2016)",
      request = common.request("PA", "Philadelphia", "19103", "2016-07-31", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "streaming_video 2016-08-01: taxed",
      request = common.request("PA", "Philadelphia", "19103", "2016-08-01", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "digital_goods 2016-07-31: not yet taxed (Act 84 of 2016)",
      request = common.request("PA", "Philadelphia", "19103", "2016-07-31", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "digital_goods 2016-08-01: taxed",
      request = common.request("PA", "Philadelphia", "19103", "2016-08-01", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "streaming_video: taxed",
      request = common.request("PA", "Philadelphia", "19103", "2026-03-01", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "streaming_audio: taxed",
      request = common.request("PA", "Philadelphia", "19103", "2026-03-01", { common.line("1", "100.00", "1", "streaming_audio") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "clothing accessory: taxable (clothing is exempt)",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "clothing_accessories") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "custom software: exempt",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "repair of goods: taxable",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (8%)",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "8.80", lines = { { tax = "8.00" }, { tax = "0.80", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "clothing exempt",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "clothing") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of clothing only: exempt",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "clothing"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed in full (a taxable item is in it)",
      request = common.request("PA", "Philadelphia", "19103", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "clothing"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "9.60", lines = { { tax = "8.00" }, { tax = "0.00" }, { tax = "1.60", taxability_reason = "standard_rated" } } } },
  },
}
