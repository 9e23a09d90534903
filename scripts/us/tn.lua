-- Tennessee (US-TN): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 37902 of TAXRATES_ZIP5_TN202512.csv: state 7%, county 2.25%
-- and 37203 (Nashville): state 7%, county 2.25%, plus the engine's overlay district 0.5%
-- (Davidson County transit surcharge from 2025-02-01, tax-facts §5)
local common = require "_common"
local money = require "levy.money"

local LOCAL_CAP = "1600.00"     -- local rate: first $1,600 of a single article
local ARTICLE_CAP = "3200.00"   -- state single-article 2.75%: $1,600.01 .. $3,200
-- Codes sold as single articles of tangible personal property (services, SaaS, digital
-- products and shipping are not articles; groceries are rarely over $1,600). Prewritten
-- software is tangible personal property in Tennessee (T.C.A. 67-6-102) and "a license
-- agreement for prewritten software is generally considered a single article, provided the
-- agreement separately itemizes the price paid for each product and license" (TN DOR Letter
-- Ruling 11-34, via SALT Report 1131, 2011-10; law22): software_download is one (a levy line is
-- one itemized product), its maintenance contracts are not ("maintenance services which are not
-- single articles because they are not tangible personal property", same ruling). Doubt, not
-- changed: remotely accessed software (saas) -- no stored source says whether the cap reaches it
-- (law25 searched again: TN DOR RAS-1 and RAS-4, Notice 15-14 as summarised by DHG and TTR, Letter
-- Rulings 16-01, 19-04 and 23-07 as summarised by the Sales Tax Institute, ezel.ai and Sales Tax
-- Helper (2024-01) speak of taxability, the user-location allocation and the exclusions, never of
-- the single-article limit; levy keeps the full local rate on a SaaS line). Its ground, for the
-- record: SaaS is taxed as the "use of computer software" (T.C.A. 67-6-231(a), "access and use of
-- software that remains in the possession of the dealer", Sales Tax Helper on LR 23-07), not as a
-- specified digital product; and RAS-1 (revenue.support.tn.gov) excludes from it "information or
-- data processing services ... payment or transaction processing services; payroll processing
-- services; billing and collection services; Internet access; the storage of data, digital codes,
-- or computer software" (levy's data_processing / information_services codes, not saas).
local SINGLE_ARTICLE = { general = true, clothing = true, software_download = true }
local NOT_ARTICLE = { software_maintenance_mandatory = true, software_maintenance_optional = true }

return common.state{
  code = "TN",
  name = "Tennessee",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    -- issue 19, product taxonomy (law22): repair of goods is an enumerated taxable service here
    repair_services = "taxable", -- Tenn. Comp. R. & Regs. 1320-05-01-.54(1): "All charges for repair services and repairs of any kind of tangible personal property ... including all parts and/or labor, are subject to the Sales Tax"; TN DOR SUT-22 (labor on tangible personal property taxable; Tenn. Code Ann. 67-6-102(85))
    saas = { -- T.C.A. 67-6-102, 67-6-231 as amended by the Revenue Modernization Act (Pub. Ch. 514 of 2015, H.B. 644)
      { "exempt", to = "2015-06-30", cite = "before the Revenue Modernization Act remotely accessed software was not a taxable use of software by statute (doubt: the Department taxed SaaS sold under a software license agreement, Sales Tax Support 2015; levy cannot see the contract)" },
      { "taxable", from = "2015-07-01", cite = "Revenue Modernization Act: access and use of remotely accessed software taxable from 2015-07-01; TN DOR Notice 15-14 (billing periods beginning on or after 2015-07-01); TN DOR RAS-1" },
    },
    digital_goods = "taxable", -- specified digital products (e-books, music, video) are taxable [SST/state DOR]
    shipping = "follows_goods", -- Tenn. Code Ann. 67-6-102 (sales price includes delivery charges); SSUTA sec. 317 (TN associate member): delivery of exempt goods exempt, a mixed shipment allocated by sales price
    -- groceries: state rate 4 % with local rates (T.C.A. 67-6-228), except the two grocery sales
    -- tax holidays when food and food ingredients were exempt from state and local tax (issue 19,
    -- taxability with dates; law22): 2022-08-01 to 2022-08-31 (Williamson Source 2022-08-07: "A
    -- sales tax holiday on food and food ingredients began at 12:01 a.m. on Monday, August 1,
    -- 2022, and runs through 11:59 p.m. on Wednesday, August 31, 2022") and 2023-08-01 to
    -- 2023-10-31 (Public Chapter 377 (2023), Tennessee Works Tax Act; TN DOR release via WSMV
    -- 2023-08-01; local governments reimbursed by the state: Local Memphis 2023-04-27). Prepared
    -- food, candy, dietary supplements stay taxable (their own codes).
    food_grocery = {
      { "exempt", from = "2022-08-01", to = "2022-08-31", cite = "2022 food sales tax holiday (Williamson Source 2022-08-07)" },
      { "exempt", from = "2023-08-01", to = "2023-10-31", cite = "Public Chapter 377 (2023): three-month food sales tax holiday (WSMV 2023-08-01; Tullahoma News 2023-07-31)" },
      { common.state_rate("4.00"), cite = "T.C.A. 67-6-228: state rate on food 4%; local rates apply" },
    },
  },
  -- Single-article rule (T.C.A. 67-6-702(a), tax-facts §5): for a single article of tangible
  -- personal property the local rate applies only to the first $1,600 of the unit price, and
  -- a state single-article tax of 2.75% applies to the part from $1,600.01 to $3,200; the 7%
  -- state rate applies to the whole price.
  calculate_for = common.codes(SINGLE_ARTICLE), -- calculate acts on these lines only
  calculate = function(ctx)
    local single = function(l)
      return not NOT_ARTICLE[l.tax_code] and (SINGLE_ARTICLE[l.tax_code] or SINGLE_ARTICLE[l.tax_code_parent])
    end
    for _, line in ipairs(common.taxed_lines(ctx, single)) do
      local state
      for _, t in ipairs(line.taxes) do
        if t.level == "state" then
          state = t
        else
          t.unit_to = LOCAL_CAP
        end
      end
      if state and money.cmp(common.unit_magnitude(line), LOCAL_CAP) > 0 then
        line.taxes[#line.taxes + 1] = {
          jurisdiction = "TENNESSEE SINGLE ARTICLE", level = "state", type = "SALES_TAX",
          percentage = "2.75", fraction = state.fraction or "1",
          unit_from = LOCAL_CAP, unit_to = ARTICLE_CAP,
        }
      end
    end
  end,
  selftest = {
    { name = "SaaS 2015-06-30: before the Revenue Modernization Act, not taxed",
      request = common.request("TN", "Knoxville", "37902", "2015-06-30", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { taxability_reason = "product_exempt" } } } },
    { name = "SaaS 2015-07-01: remotely accessed software taxed",
      request = common.request("TN", "Knoxville", "37902", "2015-07-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    { name = "general goods at the ZIP rate (9.25%)",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.25", lines = { { tax = "9.25", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription: taxable",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "9.25", lines = { { tax = "9.25", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: taxable",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "10.18", lines = { { tax = "9.25" }, { tax = "0.93", taxability_reason = "standard_rated" } } } },
    { name = "groceries: state rate 4.00%, local rates kept",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25", taxability_reason = "reduced_rated" } } } },
    { name = "professional services: exempt",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "$2,000 article: 7% on 2000 + 2.25% on 1600 + 2.75% on 400",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "2000.00", "1", "general") }),
      expect = { total_tax = "187.00", lines = { { tax = "187.00", taxability_reason = "standard_rated" } } } },
    -- issue 19, product taxonomy: hardware is tangible goods (tax_code_parent "general")
    { name = "$2,000 article of computer hardware (a refinement of general goods): the same caps",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "2000.00", "1", "hardware") }),
      expect = { total_tax = "187.00", lines = { { tax = "187.00", taxability_reason = "standard_rated" } } } },
    { name = "2 x $2,000: caps apply per unit",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "4000.00", "2", "general") }),
      expect = { total_tax = "374.00", lines = { { tax = "374.00", taxability_reason = "standard_rated" } } } },
    { name = "$5,000 article: single-article tax capped at $3,200",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "5000.00", "1", "general") }),
      expect = { total_tax = "430.00", lines = { { tax = "430.00", taxability_reason = "standard_rated" } } } },
    -- tax-inclusive $5,000 (issue 4): the caps hold on the net. For a net >= 3,200 the tax
    -- is 7% x net + 2.25% x 1,600 + 2.75% x 1,600 = 0.07 net + 80, so 5,000 = 1.07 net + 80
    -- -> net = 4,920 / 1.07 = 4,598.1308.. -> 4,598.13, tax 401.87 (state 321.8691 gets the
    -- cent left by largest remainder)
    { name = "$5,000 tax-inclusive article: caps apply to the net",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { { id = "1", amount = "5000.00", quantity = "1", tax_code = "general", tax_inclusive = true } }),
      expect = { total_tax = "401.87", lines = { { tax = "401.87", taxable_amount = "4598.13",
        taxes = { { amount = "321.87", taxable_amount = "4598.13" }, { amount = "36.00", taxable_amount = "1600.00" },
                  { jurisdiction = "TENNESSEE SINGLE ARTICLE", amount = "44.00", taxable_amount = "1600.00" } } } } } },
    { name = "$5,000 credit mirrors the sale: -430.00 under the same caps",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "-5000.00", "1", "general") }),
      expect = { total_tax = "-430.00", lines = { { tax = "-430.00",
        taxes = { { amount = "-350.00" }, { amount = "-36.00", taxable_amount = "-1600.00" },
                  { jurisdiction = "TENNESSEE SINGLE ARTICLE", amount = "-44.00", taxable_amount = "-1600.00" } } } } } },
    { name = "$1,000 article: below the cap, full local rate",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "1000.00", "1", "general") }),
      expect = { total_tax = "92.50", lines = { { tax = "92.50", taxability_reason = "standard_rated" } } } },
    { name = "exactly $1,600: no single-article tax",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "1600.00", "1", "general") }),
      expect = { total_tax = "148.00", lines = { { tax = "148.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS is not an article: local rate on the full $5,000",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "5000.00", "1", "saas") }),
      expect = { total_tax = "462.50", lines = { { tax = "462.50" } } } },
    -- Nashville 37203: the Dec-2025 row says 9.25%; the engine adds the Davidson County 0.5%
    -- transit surcharge from 2025-02-01 (tax-facts section 5) -> 9.75%
    { name = "Nashville 37203 on 2025-12-15: 9.75% with the transit surcharge",
      request = common.request("TN", "Nashville", "37203", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.75", lines = { { tax = "9.75" } } } },
    { name = "Nashville 37203 on 2025-01-31: 9.25% before the surcharge",
      request = common.request("TN", "Nashville", "37203", "2025-01-31", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.25", lines = { { tax = "9.25" } } } },
    -- issue 19, shipping follows the goods (see the shipping row)
    { name = "shipping of exempt goods only: exempt",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "exempt"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mixed shipment: $20 delivery taxed on the taxable share by price (100 of 400 -> $5.00)",
      request = common.request("TN", "Knoxville", "37902", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "300.00", "1", "exempt"), common.line("3", "20.00", "1", "shipping") }),
      expect = { total_tax = "9.71", lines = { { tax = "9.25" }, { tax = "0.00" }, { tax = "0.46", taxability_reason = "partially_taxable" } } } },
    { name = "repair of goods: taxable (law22)",
      request = common.request("TN", "Knoxville", "37902", "2026-03-01", { common.line("1", "100.00", "1", "repair_services") }),
      expect = { lines = { { taxability_reason = "standard_rated" } } } },
    -- law22: the grocery sales tax holidays (taxability.food_grocery)
    { name = "groceries in Knoxville 2023-07-31: 4 % state + Knox County 2.25 %",
      request = common.request("TN", "Knoxville", "37902", "2023-07-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25", taxability_reason = "reduced_rated" } } } },
    { name = "groceries in Knoxville 2023-08-01: exempt (holiday)",
      request = common.request("TN", "Knoxville", "37902", "2023-08-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries in Knoxville 2023-10-31: exempt (holiday)",
      request = common.request("TN", "Knoxville", "37902", "2023-10-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries in Knoxville 2023-11-01: 4 % state + Knox County 2.25 %",
      request = common.request("TN", "Knoxville", "37902", "2023-11-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25", taxability_reason = "reduced_rated" } } } },
    { name = "groceries in Knoxville 2022-08-01: exempt (holiday)",
      request = common.request("TN", "Knoxville", "37902", "2022-08-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries in Knoxville 2022-09-01: 4 % state + Knox County 2.25 %",
      request = common.request("TN", "Knoxville", "37902", "2022-09-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "6.25", lines = { { tax = "6.25", taxability_reason = "reduced_rated" } } } },
    -- law22: downloaded software is a single article (Letter Ruling 11-34); its maintenance is not
    { name = "downloaded software licence of $5,000 in Knoxville: 7 % + local 2.25 % to $1,600 + 2.75 % on 1,600.01-3,200 = 430.00",
      request = common.request("TN", "Knoxville", "37902", "2026-03-01", { common.line("1", "5000.00", "1", "software_download") }),
      expect = { total_tax = "430.00" } },
    { name = "optional software maintenance of $5,000 in Knoxville: no single-article cap (9.25 % in full)",
      request = common.request("TN", "Knoxville", "37902", "2026-03-01", { common.line("1", "5000.00", "1", "software_maintenance_optional") }),
      expect = { total_tax = "462.50" } },
  },
}
