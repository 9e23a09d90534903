-- Indiana (US-IN): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 46204 of TAXRATES_ZIP5_IN202512.csv: state 7%
local common = require "_common"

return common.state{
  code = "IN",
  name = "Indiana",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    digital_publication_subscription = "exempt", -- law22: Commissioner's Directive #41 (2018): "the department may now impose sales and use tax on products transferred electronically only if the products meet the definition of 'specified digital products,' 'prewritten computer software,' or 'telecommunication services'"; SSUTA Appendix C: "digital books" exclude periodicals, magazines and newspapers (Avalara 2015-01-07)
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    streaming_audio = "exempt", -- Indiana taxes specified digital products only when sold with a right of permanent use (IC 6-2.5-4-16.4; as described by Avalara VATlive "US digital services sales tax", 2020-01-07: e-books with rights of less than permanent use are not taxed); streaming grants no permanent right - secondary source, verify against the statute
    streaming_video = "exempt", -- Indiana taxes specified digital products only when sold with a right of permanent use (IC 6-2.5-4-16.4; as described by Avalara VATlive "US digital services sales tax", 2020-01-07: e-books with rights of less than permanent use are not taxed); streaming grants no permanent right - secondary source, verify against the statute
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods", -- IC 6-2.5-1-5 (gross retail income includes delivery charges); SSUTA sec. 317 (IN is a Streamlined member): delivery of exempt goods is exempt, a shipment of taxable and exempt goods is taxed on the share allocated by sales price
  },
  selftest = {
    -- issue 19, law24: the state rate 5 % -> 6 % from 2002-12-01, 7 % from 2008-04-01 (HEA 1001; data/us/overlays.csv), both sides
    { name = "state rate on 2002-11-30: 5.00 % (its start unknown: note)",
      request = common.request("IN", "Indianapolis", "46204", "2002-11-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.00", lines = { { taxes = { { level = "state", percentage = "5.00" } } } }, notes = { { code = "rate_history_unknown" } } } },
    { name = "state rate on 2002-12-01: 6.00 %",
      request = common.request("IN", "Indianapolis", "46204", "2002-12-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { taxes = { { level = "state", percentage = "6.00" } } } } } },
    { name = "state rate on 2008-03-31: 6.00 %",
      request = common.request("IN", "Indianapolis", "46204", "2008-03-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.00", lines = { { taxes = { { level = "state", percentage = "6.00" } } } } } },
    { name = "state rate on 2008-04-01: 7.00 %",
      request = common.request("IN", "Indianapolis", "46204", "2008-04-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { taxes = { { level = "state", percentage = "7.00" } } } } } },
    { name = "streaming_video: not taxed",
      request = common.request("IN", "Indianapolis", "46204", "2026-03-01", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "streaming_audio: not taxed",
      request = common.request("IN", "Indianapolis", "46204", "2026-03-01", { common.line("1", "100.00", "1", "streaming_audio") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (7%)",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: exempt",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "7.70", lines = { { tax = "7.00" }, { tax = "0.70", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("IN", "Indianapolis", "46204", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "7.35", lines = { { tax = "7.00" }, { tax = "0.00" }, { tax = "0.35", taxability_reason = "partially_taxable" } } } },
    { name = "digital newspaper or magazine subscription: not taxable (law22)",
      request = common.request("IN", "Indianapolis", "46204", "2026-03-01", { common.line("1", "100.00", "1", "digital_publication_subscription") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
