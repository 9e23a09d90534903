-- Texas (US-TX): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 78701 of TAXRATES_ZIP5_TX202512.csv: state 6.25%, city 1%, district 1%
local common = require "_common"

return common.state{
  code = "TX",
  name = "Texas",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    -- issue 19, taxonomy II: gift cards and streaming where a stored source states the rule
    gift_card = "exempt", -- Texas Comptroller Letter No. 200702942L (2007-02-07; as summarised by the Sales Tax Institute): a gift card is not taxable, it represents an intangible right to a future purchase; tax is calculated when it is redeemed
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    data_processing = { fraction = "0.80" }, -- Tax Code 151.0035 (data processing service taxable), 151.351 (20% of the charge exempt); 34 TAC 3.330
    information_services = { fraction = "0.80" }, -- Tax Code 151.0038 (information service taxable), 151.351 (20% exempt); 34 TAC 3.342
    iaas_paas = { fraction = "0.80" }, -- 34 TAC 3.330: hosting and storing data for a customer is a data processing service, 20% exempt (Tax Code 151.351; subsection: doubt)
    custom_software = "taxable", -- Tax Code 151.0031, 151.009; 34 TAC 3.308(c)(1)(A): the sale, lease or license of a computer program, custom or canned, is a sale of tangible personal property (when the programmer transfers all rights, it is contract programming: custom_programming)
    custom_programming = "exempt", -- 34 TAC 3.308(a)(2), (c)(4): contract programming (writing or customizing a program and transferring all rights in it to the customer) is not taxable
    software_maintenance_optional = "taxable", -- 34 TAC 3.308(c): repair, maintenance or restoration of a computer program by the person who sold it, incl. error correction and technical support, is taxable as the repair of tangible personal property
    repair_services = "taxable", -- Tax Code 151.0101(a)(5), 151.0047: repairing tangible personal property; 34 TAC 3.292
    print_publication_subscription = "exempt", -- Tax Code 151.319 (newspapers), 151.320 (magazines sold by subscription)
    saas = { fraction = "0.80" }, -- [TF] 34 TAC 3.330: data processing, 20% of the charge exempt, tax on 80%; tax-facts #20
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods", -- 34 TAC 3.303(a): delivery charges are taxable when a taxable item is sold, even if separately stated; delivery of nontaxable items is not (Tax Code 151.007); a mixed shipment allocated by price (Comptroller guidance, secondary: doubt)
  },
  selftest = {
    { name = "gift card: not taxed when sold (cited row, no fallback note)",
      request = common.request("TX", "Austin", "78701", "2026-03-01", { common.line("1", "100.00", "1", "gift_card") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "contract programming (all rights to the customer): not taxable",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "custom_programming") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "data processing: taxable on 80%",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "data_processing") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.60", taxability_reason = "partially_taxable" } } } },
    { name = "information services: taxable on 80%",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.60", taxability_reason = "partially_taxable" } } } },
    { name = "custom software: taxable",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "8.25", lines = { { tax = "8.25", taxability_reason = "standard_rated" } } } },
    { name = "magazine subscription: exempt",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "print_publication_subscription") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (8.25%)",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.25", lines = { { tax = "8.25", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable on 80% of the price",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.60", taxability_reason = "partially_taxable" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.08", lines = { { tax = "8.25" }, { tax = "0.83", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- tax-facts #20: Austin 78701 = 8.25% (6.25 + 1 city + 1 special); SaaS on 80% of $100
    { name = "#20 Austin SaaS $100 -> 6.60",
      request = common.request("TX", "Austin", "78701", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.60", lines = { { tax = "6.60", taxability_reason = "partially_taxable" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("TX", "Austin", "78701", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "8.66", lines = { { tax = "8.25" }, { tax = "0.00" }, { tax = "0.41", taxability_reason = "partially_taxable" } } } },
  },
}
