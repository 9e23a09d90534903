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
    saas = "taxable", -- [TF] taxable per most guides; ALDOR position contested (doubt)
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
    food_grocery = common.state_rate("2.00"), -- Act 2023-554: state food rate 4% -> 3% (2023-09-01) -> 2% (2025-09-01); local rates still apply
  },
  -- Act 2023-554: 4% until 2023-08-31, 3% until 2025-08-31
  calculate_for = { "food_grocery" }, -- calculate acts on these lines only
  -- and on every line of a seller in the Simplified Sellers Use Tax program (below)
  calculate_election = "us_al_ssut",
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
    -- Doubts, not checked against a stored source: groceries (the state's reduced food rate of
    -- Act 2023-554 is not said to reach SSUT, so food is charged the flat 8 %); the program's
    -- start is the Act's effective date, 2015-10-01 (the brief's 2016-01-01 is when ALDOR's
    -- economic-nexus rule began requiring remote sellers over $250,000 to collect, Ala. Admin.
    -- Code r. 810-6-2-.90.03, per the Alabama Retail Association).
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
    { name = "SSUT seller: groceries at the flat 8 % (doubt: the food rate is not said to reach SSUT)",
      us_al_ssut = "yes",
      request = common.request("AL", "Birmingham", "35203", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "8.00", lines = { { tax = "8.00", taxability_reason = "standard_rated" } } } },
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
