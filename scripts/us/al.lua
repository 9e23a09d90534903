-- Alabama (US-AL): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 35203 of TAXRATES_ZIP5_AL202512.csv: state 4%, county 2%, city 4%
local common = require "_common"

return common.state{
  code = "AL",
  name = "Alabama",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    -- SaaS (law25; answer unchanged, doubt kept): Ala. Admin. Code r. 810-6-1-.37(4) (casetext copy,
    -- current through Register Vol. 43 No. 02, 2024-11-27): "Computer software is tangible personal
    -- property. The retail sale or licensure of computer software is subject to Sales Tax, Use Tax,
    -- or Rental Tax ... regardless of its function or form of transmission to the purchaser or
    -- licensee." The rule does not speak of remote access with nothing transmitted, which is the
    -- question for SaaS. Ex parte Russell County Community Hospital, 291 So. 3d 52 (Ala. 2019) held
    -- software sold and installed in the hospital taxable: not remote access either. Guides
    -- contradict: accountinginsights.org and afternoon.co (2025-08) read the rule and the case as
    -- taxing SaaS; legalclarity.org calls remotely accessed SaaS a non-taxable service (no
    -- ALDOR source given). Nearest ALDOR sources found: a 2015-09-03 notice revoking a 1995 ruling
    -- and treating electronically transmitted information as tangible personal property (Aronson
    -- blog), and Revenue Ruling 2021-001 (stateandlocaltax.com): services around an IT system
    -- provided remotely by a company without presence were not taxable "so long as the nontaxable
    -- services were separately stated on the invoice and did not involve the transfer of computer
    -- software" -- neither rules on a SaaS subscription itself. levy keeps taxing it.
    saas = "taxable", -- [TF] r. 810-6-1-.37(4) (software licensure taxable whatever the transmission); SaaS itself not addressed (doubt, above)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = common.state_rate("2.00"), -- Act 2023-554: state food rate 4% -> 3% (2023-09-01) -> 2% (2025-09-01); local rates still apply
  },
  -- Act 2023-554: 4% until 2023-08-31, 3% until 2025-08-31
  calculate_for = { "food_grocery" }, -- calculate acts on these lines only
  -- and on every line of a seller in the Simplified Sellers Use Tax program (below)
  calculate_election = "us_al_ssut",
  -- Marketplace sales (doubts26): a line sold through a marketplace answers not_collecting from
  -- 2019-01-01 with the note marketplace_facilitator (core/tax/calc.c). Law and doubt: below,
  -- at the SSUT election (a facilitator that reports instead of collecting: not settled).
  marketplace_from = "2019-01-01",
  marketplace_law = "Ala. Code 40-23-199.2 (Act 2018-539); ALDOR notice 2021-07-26: collecting and remitting SSUT on marketplace sales, or reporting them, falls on the marketplace facilitator rather than on the marketplace sellers",
  calculate = function(ctx)
    common.dated_state_rate(ctx, "food_grocery", {
      { before = "2023-09-01", rate = "4.00", reason = "standard_rated" },
      { before = "2025-09-01", rate = "3.00" },
    }, "ALABAMA")
    -- Simplified Sellers Use Tax (issue 19, law24; seller setting us_al_ssut = "yes"): an
    -- eligible seller accepted into the program collects a flat 8 % in place of the state and
    -- local sales/use taxes on its sales into Alabama.
    --   Ala. Code 40-23-191(b)(2) (Act 2015-448, "The Simplified Seller Use Tax Remittance
    --   Act"): an eligible seller sells tangible personal property or a service without a
    --   physical presence in Alabama (legalfix.com/statutes/.../section-40-23-191);
    --   ALDOR notice to out-of-state sellers, as published by the MTC
    --   (mtc.gov/alabama-notice-for-out-of-state-sellers): "Effective October 1, 2015 ... allows
    --   eligible sellers to participate in a program to collect, report and remit a flat eight
    --   percent (8%) sellers use tax on all sales made into Alabama"; Alabama Retail Association
    --   (alabamaretail.org, "Since Oct. 1, 2015"); ALDOR news release 09042015 (via ttrus.com).
    -- Taxability is Alabama's own (the rows above): SSUT is a use tax on what is taxable, so an
    -- exempt line stays exempt and the 8 % applies to the taxed share (a fraction is kept).
    -- Groceries under SSUT (law25, settled): the flat 8 % applies to food too. Ala. Code
    -- 40-23-193(a) (lawserver.com/law/state/alabama/al-code/alabama_code_40-23-193): "The
    -- simplified sellers use tax due under the program is eight percent of the sales price on any
    -- tangible personal property sold or delivered into Alabama by an eligible seller
    -- participating in the program"; (c) "No eligible seller shall be required to collect the tax
    -- at a rate greater than eight percent". Act 2023-554 (HB 479), which lowered the food rate,
    -- amends only "Sections 40-23-1, 40-23-2, 40-23-60, and 40-23-61" (its title, via
    -- app.legiplex.com/lpx/bill/17657) -- the sales and use tax levies, not 40-23-193; ALDOR's
    -- SSUT page (revenue.alabama.gov/tax-types/simplified-sellers-use-tax/): "Flat 8% statewide
    -- tax on gross proceeds of sales of tangible personal property". Still open: whether ALDOR
    -- lets SSUT sellers report food at a lower rate administratively (no such notice found).
    -- Doubt, not checked against a stored source: the program's
    -- start is the Act's effective date, 2015-10-01 (the brief's 2016-01-01 is when ALDOR's
    -- economic-nexus rule began requiring remote sellers over $250,000 to collect, Ala. Admin.
    -- Code r. 810-6-2-.90.03, per the Alabama Retail Association).
    -- Marketplace sales (law26 found the law; doubts26 acts on it: marketplace_from above):
    -- Ala. Code 40-23-199.2 (Act 2018-539, in force 2019-01-01),
    -- ALDOR notice "Alabama Simplified Sellers Use Tax and Marketplace Facilitators Guidance"
    -- (2021-07-26, revenue.alabama.gov): "the responsibility for collecting and remitting
    -- Simplified Sellers Use Tax (SSUT) or reporting such sales ... falls on the company operating
    -- the marketplace rather than on the individual marketplace sellers"; a facilitator over
    -- $250,000 registers for SSUT (8 % on all its marketplace sales into Alabama) or complies with
    -- the reporting provisions of 40-23-199.2(m); 40-23-191(b)(2): the eligible sellers include
    -- "a marketplace facilitator ... for all sales made through the marketplace facilitator's
    -- marketplace by or on behalf of a marketplace seller". Doubt: when the facilitator chooses to
    -- report instead of collecting, the seller's duty is not settled by these sources.
    common.remote_election(ctx, {
      election = "us_al_ssut", state = "AL", label = "Alabama Simplified Sellers Use Tax",
      replace = "all", jurisdiction = "ALABAMA", name = "Alabama Simplified Sellers Use Tax",
      level = "state", known = "8 % from 2015-10-01",
      rows = {
        { from = "2015-10-01", rate = "8.00",
          cite = "Ala. Code 40-23-191 ff., Act 2015-448, effective 2015-10-01; ALDOR notice: a flat 8 % on all sales into Alabama" },
      },
    })
  end,
  selftest = {
    -- doubts26: a sale through a marketplace: the facilitator collects (or reports) from
    -- 2019-01-01 (40-23-199.2); before, charged with a note; both sides
    { name = "marketplace sale 2019-01-01: not collecting, note marketplace_facilitator",
      request = common.request("AL", "Birmingham", "35203", "2019-01-01", { common.line("1", "100.00", "1", "general") }, { marketplace = true }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "not_collecting" } },
        notes = { { code = "marketplace_facilitator" } } } },
    { name = "marketplace sale 2018-12-31 (before 40-23-199.2): the ZIP rate, note marketplace_not_modelled",
      request = common.request("AL", "Birmingham", "35203", "2018-12-31", { common.line("1", "100.00", "1", "general") }, { marketplace = true }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } },
        notes = { { code = "marketplace_not_modelled" } } } },
    { name = "general goods at the ZIP rate (10%)",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: state rate 2.00%, local rates kept",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries on 2023-08-31: state 4.00%",
      request = common.request("AL", "Birmingham", "35203", "2023-08-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "10.00", lines = { { tax = "10.00", taxability_reason = "standard_rated" } } } },
    { name = "groceries on 2025-08-31: state 3.00%",
      request = common.request("AL", "Birmingham", "35203", "2025-08-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "9.00", lines = { { tax = "9.00", taxability_reason = "reduced_rated" } } } },
    -- Simplified Sellers Use Tax (us_al_ssut = "yes"): one 8 % entry, the state's (authority
    -- code 01), in place of state 4 % + county 2 % + city 4 %; both sides of 2015-10-01
    { name = "SSUT seller: general goods at the flat 8 % in place of the 10 % ZIP rate",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated",
        taxes = { { jurisdiction = "ALABAMA", name = "Alabama Simplified Sellers Use Tax", level = "state",
                    percentage = "8.00", amount = "8.00" } } } },
        notes = { { code = "remote_election" } } } },
    { name = "SSUT seller: exempt professional services stay exempt",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SSUT seller: groceries at the flat 8 % (Ala. Code 40-23-193(a): 8 % on any TPP; Act 2023-554 does not amend it)",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
    { name = "SSUT seller: groceries on 2023-08-31 (state food rate 4 %): 8 %",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2023-08-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxes = { { jurisdiction = "ALABAMA", percentage = "8.00" } } } } } },
    { name = "SSUT seller: groceries on 2023-09-01 (state food rate 3 %, Act 2023-554): still 8 %",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2023-09-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxes = { { jurisdiction = "ALABAMA", percentage = "8.00" } } } } } },
    { name = "SSUT seller on 2015-10-01 (Act 2015-448 in force): 8 %",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2015-10-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "8.00" } },
    { name = "SSUT seller on 2015-09-30 (before the program): the ZIP rate, with a note",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2015-09-30", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.00", notes = { { code = "remote_election_no_rate" } } } },
    { name = "SSUT setting with a seller in Alabama (not a remote seller): the ZIP rate, with a note",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "general") },
        { ship_from = { country = "US", state = "AL", city = "Mobile", zip_code = "36602", line1 = "1 Royal St" } }),
      expect = { total_tax = "10.00", notes = { { code = "remote_election_not_remote" } } } },
    { name = "groceries on 2025-09-01: today's treatment",
      request = common.request("AL", "Birmingham", "35203", "2025-09-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "reduced_rated" } } } },
  },
}
