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
  -- Single local use tax rate for remote sellers (issue 19, law24; seller setting
  -- us_tx_single_local = "yes"). Tex. Tax Code 151.0595 (Acts 2019, 86th Leg., H.B. 2153, eff.
  -- 2019-10-01; text via codes.findlaw.com/tx/tax-code/tax-sect-151-0595, current as of
  -- 2024-01-01): (b) a remote seller -- one whose only activities in Texas are those of
  -- 151.107(a)(4) or (5), remote solicitation -- computes the local use taxes it collects with
  -- the combined rate of the applicable local taxes, or at its election with the single local
  -- use tax rate; (c) the election, notified to the Comptroller (Form 01-799), applies to all its
  -- sales; (d) the rate of a calendar year is the estimated average local rate of the preceding
  -- state fiscal year, published in the Texas Register before the year begins. The state's
  -- 6.25 % stays; the county, city and special-district taxes give way to the single rate.
  -- Rates, as found in stored sources:
  --   2019-10-01 .. 2020-12-31  1.75 %  Comptroller, "Single Local Use Tax Rate Taxpayer Search"
  --       (comptroller.texas.gov/taxes/sales/single-local-tax-rates.php): "for 2019 and 2020 is
  --       1.75 percent and is effective as of Oct. 1, 2019"; "Businesses located in Texas are not
  --       remote sellers and cannot use the single local use tax rate"
  --   2021-01-01 .. 2021-12-31  1.75 %  zip2tax.com, "Single Local Use Tax Rate in Texas" (2021-05-24):
  --       "The current single local use tax rate is 1.75 percent" (secondary)
  --   2023-01-01 .. 2023-12-31  1.75 %  Sovos, "Important Facts About Texas Sales Tax" (Erik Wallin,
  --       2023-05-10; sovos.com/blog/sut/important-facts-about-texas-sales-tax): "The current single
  --       local use tax rate is 1.75% (published in the Texas Register by January 1 of each year)"
  --       (secondary; law25). One rate per calendar year (151.0595(d)), so the rate current in May
  --       2023 is the 2023 rate.
  -- Doubt: no stored source gives the rate published for 2022 or for 2024 and later years (the
  -- Comptroller page's later copy says "is 1.75 percent and is effective as of Oct. 1, 2019",
  -- undated, naming no year; law25 searched the stored pages, docs and code for the Texas Register
  -- notices and found none); for those dates levy charges the destination's local rates (always
  -- allowed: 151.0595(b)(1)) with the note remote_election_no_rate. Add a row here, with its
  -- Texas Register citation, to decide them.
  -- The rate is not available to a marketplace provider (Comptroller page above). Marketplace
  -- sales (law26 found the law; doubts26 acts on it: marketplace_from below): Tex. Tax Code 151.0242
  -- (H.B. 1525, 86th Leg., 2019; casetext copy current to 2023-11-21): (b) a marketplace
  -- provider "has the rights and duties of a seller or retailer ... with respect to sales made
  -- through the marketplace", (c)(2) collects the taxes on them, and (d) a marketplace seller who
  -- in good faith accepts the provider's certification "shall exclude sales made through the
  -- marketplace from the marketplace seller's report"; the provider collects the destination's
  -- local rate, not the single rate (stateandlocaltax.com on the Comptroller's guidance: "For
  -- marketplace providers required to collect and remit sales and use tax, the local tax rate is
  -- based on the shipping destination"). So a marketplace seller's line sold through the
  -- marketplace is collected by the provider, not by the seller, elected or not. Delivery follows the goods (34 TAC 3.303): its share is taxed at the
  -- single rate too (core/tax/calc.c carry_added).
  -- Marketplace sales (doubts26): a line sold through a marketplace (request `marketplace` or
  -- lines[].marketplace) answers not_collecting from 2019-10-01 with the note
  -- marketplace_facilitator (core/tax/calc.c): the provider collects, elected or not (above).
  -- Start: "Also effective October 1, 2019, Marketplace Providers ... will [be] required to
  -- collect and remit sales tax on behalf of third-party sellers" (mjsalestax.com on H.B. 1525).
  marketplace_from = "2019-10-01",
  marketplace_law = "Tex. Tax Code 151.0242(b)-(d) (H.B. 1525, 2019): the marketplace provider has a seller's duties on sales made through the marketplace and collects the tax; the marketplace seller excludes them from its report",
  calculate_election = "us_tx_single_local", -- calculate runs only for a seller that elected it
  calculate = function(ctx)
    common.remote_election(ctx, {
      election = "us_tx_single_local", state = "TX", label = "Texas single local use tax rate",
      replace = "local", jurisdiction = "TEXAS SINGLE LOCAL USE TAX",
      name = "Texas single local use tax rate (remote seller)", level = "district",
      -- its authority (law26): the Comptroller, to whom it is remitted -- Tex. Gov't Code
      -- 403.107(a) (lawserver.com/law/state/texas/tx-codes/texas_government_code_403-107, current
      -- as of 2024): "The comptroller shall deposit revenue remitted to the comptroller from
      -- taxes computed using the single local use tax rate under Section 151.0595(b)(2), Tax
      -- Code, in the state treasury ... held in trust for the benefit of eligible taxing units",
      -- which it distributes monthly (403.107(c)). Texas's FIPS code, 48, is the state's code
      -- levy's other Texas entries carry; no stored source gives the tax a local code of its own
      -- (the Comptroller's local codes, 2xxxxxx city, 4xxxxxx county, 5xxxxxx district, name
      -- the taxing units it is shared among).
      authority_code = "48",
      jurisdiction_note = "remitted to the Texas Comptroller (state code 48), who holds it in trust for the local taxing units and distributes it (Tex. Gov't Code 403.107); no local code of its own",
      known = "1.75 % from 2019-10-01 to 2021-12-31 and in 2023; 2022 and 2024 on not sourced",
      rows = {
        { from = "2019-10-01", to = "2020-12-31", rate = "1.75",
          cite = "Tex. Tax Code 151.0595; Comptroller: 1.75 percent for 2019 and 2020, effective Oct. 1, 2019" },
        { from = "2021-01-01", to = "2021-12-31", rate = "1.75",
          cite = "Tex. Tax Code 151.0595; 1.75 percent for 2021 (zip2tax, 2021-05-24, secondary)" },
        { from = "2023-01-01", to = "2023-12-31", rate = "1.75",
          cite = "Tex. Tax Code 151.0595; 1.75 percent current on 2023-05-10 (Sovos, 'Important Facts About Texas Sales Tax', secondary)" },
      },
    })
  end,
  selftest = {
    -- doubts26: a sale through a marketplace (request marketplace = true, or the line's own flag):
    -- the provider collects from 2019-10-01 (151.0242); before, charged with a note; both sides
    { name = "marketplace sale 2019-10-01: not collecting, note marketplace_facilitator",
      request = common.request("TX", "Austin", "78701", "2019-10-01", { common.line("1", "100.00", "1", "general") }, { marketplace = true }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "not_collecting" } },
        notes = { { code = "marketplace_facilitator" } } } },
    { name = "marketplace sale 2019-09-30 (before 151.0242): Austin's 8.25 %, note marketplace_not_modelled",
      request = common.request("TX", "Austin", "78701", "2019-09-30", { common.line("1", "100.00", "1", "general") }, { marketplace = true }),
      expect = { total_tax = "8.25", lines = { { tax = "8.25", taxability_reason = "standard_rated" } },
        notes = { { code = "marketplace_not_modelled" } } } },
    { name = "one line through the marketplace, one the seller's own, 2026-03-01: only the second is charged",
      request = common.request("TX", "Austin", "78701", "2026-03-01", {
        { id = "1", amount = "100.00", quantity = "1", tax_code = "general", marketplace = true },
        common.line("2", "100.00", "1", "general") }),
      expect = { total_tax = "8.25", lines = { { tax = "0.00", taxability_reason = "not_collecting" },
        { tax = "8.25", taxability_reason = "standard_rated" } }, notes = { { code = "marketplace_facilitator" } } } },
    -- the single local use tax rate (us_tx_single_local = "yes"): state 6.25 % + 1.75 % in place
    -- of Austin's city 1 % + special 1 %; both sides of 2019-10-01 and of 2021-12-31
    { name = "single local rate elected, 2021-06-01: 6.25 % + 1.75 % = 8.00 on $100",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2021-06-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated",
        taxes = { { level = "state", percentage = "6.25", amount = "6.25" },
                  { jurisdiction = "TEXAS SINGLE LOCAL USE TAX", level = "district", percentage = "1.75", amount = "1.75",
                    authority_code = "48" } } } },
        notes = { { code = "remote_election" } } } },
    { name = "single local rate elected, 2019-10-01 (in force): 8.00",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2019-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00" } },
    { name = "single local rate elected, 2019-09-30 (before 151.0595): Austin's 8.25 %, with a note",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2019-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.25", notes = { { code = "remote_election_no_rate" } } } },
    { name = "single local rate elected, 2021-12-31: 8.00",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2021-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00" } },
    { name = "single local rate elected, 2022-01-01 (no sourced rate): Austin's 8.25 %, with a note",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2022-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.25", notes = { { code = "remote_election_no_rate" } } } },
    -- 2023 (Sovos, 2023-05-10): both sides of 2023-01-01 and of 2023-12-31
    { name = "single local rate elected, 2022-12-31 (no sourced rate): Austin's 8.25 %, with a note",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2022-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.25", notes = { { code = "remote_election_no_rate" } } } },
    { name = "single local rate elected, 2023-01-01: 6.25 % + 1.75 % = 8.00",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2023-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { taxes = { { level = "state", percentage = "6.25" },
        { jurisdiction = "TEXAS SINGLE LOCAL USE TAX", percentage = "1.75", amount = "1.75" } } } },
        notes = { { code = "remote_election" } } } },
    { name = "single local rate elected, 2023-12-31: 8.00",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2023-12-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00" } },
    { name = "single local rate elected, 2024-01-01 (no sourced rate): Austin's 8.25 %, with a note",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2024-01-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.25", notes = { { code = "remote_election_no_rate" } } } },
    { name = "single local rate elected: SaaS taxed on 80 % at 8 % = 6.40",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2021-06-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "6.40", lines = { { tax = "6.40", taxability_reason = "partially_taxable" } } } },
    { name = "single local rate elected: delivery follows the goods at the single rate too ($100 taxable, $300 exempt, $20 delivery)",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2021-06-01", { common.line("1", "100.00", "1", "general"),
        common.line("2", "300.00", "1", "food_grocery"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "8.40", lines = { { tax = "8.00" }, { tax = "0.00" }, { tax = "0.40",
        taxes = { { level = "state", amount = "0.31" }, { jurisdiction = "TEXAS SINGLE LOCAL USE TAX", amount = "0.09", authority_code = "48" } } } } } },
    { name = "single local rate setting with a seller in Texas (not a remote seller): Austin's 8.25 %, with a note",
      us_tx_single_local = "yes",
      request = common.request("TX", "Austin", "78701", "2021-06-01", { common.line("1", "100.00", "1", "general") },
        { ship_from = { country = "US", state = "TX", city = "Houston", zip_code = "77002", line1 = "1 Main St" } }),
      expect = { total_tax = "8.25", notes = { { code = "remote_election_not_remote" } } } },
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
