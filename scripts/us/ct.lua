-- Connecticut (US-CT): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 06103 of TAXRATES_ZIP5_CT202512.csv: state 6.35%
local common = require "_common"

return common.state{
  code = "CT",
  name = "Connecticut",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = { rate = "1.00", level = "state" }, -- [TF] Conn. Gen. Stat. 12-408(1)(H): computer and data processing services 1% (business use; 6.35% for personal use)
    software_download = { rate = "1.00", level = "state" }, -- CT DRS: electronically delivered prewritten software used in business is taxed as computer/data processing at 1% (doubt for personal use)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods_any", -- Conn. Gen. Stat. 12-407(a)(8)(A)(iii) (sales price includes delivery charges); DRS Answer 454: delivery of exempt items not taxable; a shipment with any taxable item: the whole charge (secondary: doubt)
  },
  selftest = {
    { name = "general goods at the ZIP rate (6.35%)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "6.35", lines = { { tax = "6.35", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: state rate 1.00% only",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "6.99", lines = { { tax = "6.35" }, { tax = "0.64", taxability_reason = "standard_rated" } } } },
    { name = "groceries: exempt",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "personal-use rate is not applied to business SaaS: $250 at 1%",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "250.00", "1", "saas") }),
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "reduced_rated" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed in full (a taxable item is in it)",
      request = common.request("CT", "Hartford", "06103", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "7.62", lines = { { tax = "6.35" }, { tax = "0.00" }, { tax = "1.27", taxability_reason = "standard_rated" } } } },
  },
}
