-- Alaska (US-AK): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 99801 of TAXRATES_ZIP5_AK202512.csv: county 5%
local common = require "_common"

-- ARSSTC members' start dates (issue 19, doubts26). The Uniform Code binds a remote seller only
-- in a member that adopted it, from a date and never before: "There is no retroactive
-- application or collection of sales tax" (arsstc.org FAQs for Sellers; Uniform Code
-- XX.XX.050 "No Retroactive Application", arsstc.org/about/code). When: "As jurisdictions join
-- the ARSSTC, the rules go into effect the beginning of the month following 30 days after
-- adoption" (FAQs: adopted May 2, 30 days later June 1, collection from July 1); arsstc.org
-- home page: "Collection for the jurisdictions below must start the 1st day of the month
-- following the 30 day compliance period", with each member's date ("City and Borough of
-- Juneau (Effective 2.3.2020)" ...). Juneau's collection start is confirmed separately: adopted
-- 2020-02-03, effective 2020-04-01 (Sales Tax Institute, "Alaska Commission Approves Remote
-- Seller Sales Tax Code"); the others are computed here by the FAQ's rule (start_of below).
-- The members as listed on arsstc.org's home page (the stored copy ends after City of
-- Ketchikan; City of Saxman's date is cut off, so Saxman is not dated here), keyed by the
-- jurisdiction name levy's rate data gives them (a borough by its Census name, a city by its
-- tax region name). A seller whose address is in Alaska is not a remote seller (it collects
-- under the member's own code, as before the Commission): never touched. An unknown seller
-- counts as remote, as for the foreign-seller regimes (scripts/_lib/foreign_regime.lua).
-- Not modelled (doubt): a jurisdiction of the rate data that never joined (a remote seller
-- collects nothing there) -- the stored member list is incomplete, so levy cannot tell a
-- non-member from a later member; and a member's own exemptions (no member code stored).
local MEMBERS = {
  ["JUNEAU CITY AND BOROUGH"] = "2020-02-03", ["WASILLA"] = "2020-02-24",
  ["KENAI PENINSULA BOROUGH"] = "2020-02-24", ["KENAI"] = "2020-02-24", ["SELDOVIA"] = "2020-02-24",
  ["HOMER"] = "2020-02-24", ["SOLDOTNA"] = "2020-02-24", ["SEWARD"] = "2020-02-24",
  ["WRANGELL"] = "2020-03-01", ["WRANGELL CITY AND BOROUGH"] = "2020-03-01", ["NOME"] = "2020-03-09",
  ["HAINES BOROUGH"] = "2020-03-10", ["ADAK"] = "2020-03-17", ["PALMER"] = "2020-03-24",
  ["CORDOVA"] = "2020-04-01", ["PETERSBURG BOROUGH"] = "2020-04-06", ["GUSTAVUS"] = "2020-04-13",
  ["KODIAK"] = "2020-04-18", ["UNALASKA"] = "2020-04-28", ["SITKA CITY AND BOROUGH"] = "2020-04-29",
  ["DILLINGHAM"] = "2020-05-08", ["YAKUTAT"] = "2020-05-11", ["YAKUTAT CITY AND BOROUGH"] = "2020-05-11",
  ["CRAIG"] = "2020-05-21", ["TENAKEE SPRINGS"] = "2020-05-28", ["MOUNTAIN VILLAGE"] = "2020-06-09",
  ["SAINT PAUL"] = "2020-06-11", ["TOGIAK"] = "2020-06-24", ["TOKSOOK BAY"] = "2020-06-28",
  ["KETCHIKAN GATEWAY BOROUGH"] = "2020-07-20", ["THORNE BAY"] = "2020-07-21", ["BETHEL"] = "2020-08-01",
  ["HOUSTON"] = "2020-08-13", ["KETCHIKAN"] = "2020-08-20",
  -- the boroughs also by the ZIP table's tax region name (an engine or import that names the
  -- county level after the table's TaxRegionName, as tests/lua/rules/check_rules.lua does);
  -- KUPREANOF, the table's name for ZIP 99833, is a city of its own and not listed
  ["JUNEAU"] = "2020-02-03", ["KENAI PENINSULA"] = "2020-02-24", ["HAINES"] = "2020-03-10",
  ["SITKA"] = "2020-04-29", ["KETCHIKAN GATEWAY"] = "2020-07-20",
}

local DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
-- The first day of collection for a code adopted on `adopted` ("YYYY-MM-DD"): 30 days after it,
-- then the first day of the following month (FAQ: adopted May 2 -> June 1 -> July 1).
local function start_of(adopted)
  local y, m, d = adopted:match("^(%d+)-(%d+)-(%d+)$")
  y, m, d = tonumber(y), tonumber(m), tonumber(d) + 30
  while true do
    local n = DAYS[m] + ((m == 2 and (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0))) and 1 or 0)
    if d <= n then break end
    d, m = d - n, m + 1
    if m > 12 then m, y = 1, y + 1 end
  end
  m = m + 1
  if m > 12 then m, y = 1, y + 1 end
  return ("%04d-%02d-01"):format(y, m)
end
local START, LAST_START = {}, ""
for name, adopted in pairs(MEMBERS) do
  START[name] = start_of(adopted)
  if START[name] > LAST_START then LAST_START = START[name] end
end
assert(START["JUNEAU CITY AND BOROUGH"] == "2020-04-01", "Juneau: effective 2020-04-01 (Sales Tax Institute)")

local LEAVE = { reverse_charge = true, customer_exempt = true, product_exempt = true, not_collecting = true,
                no_tax_in_region = true, out_of_scope = true }

return common.state{
  code = "AK",
  name = "Alaska",
  no_state_sales_tax = true,    -- no state tax; boroughs and cities levy their own (tax-facts §1, ARSSTC)
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    shipping = "exempt", -- local codes differ; ARSSTC Remote Seller Sales Tax Code leaves delivery to each member (doubt)
    -- SaaS and digital products (issue 19, law24): a remote seller's sales into a member of the
    -- Alaska Remote Seller Sales Tax Commission fall under the Uniform Code, whose section
    -- XX.XX.030 (as adopted by the members, e.g. City of Saint Paul Code 4.30.030,
    -- saintpaul.municipal.codes/CCO/4.30.030): "(a) ... it is presumed that all sales and
    -- services by a person or entity engaging in business are subject to the sales tax. (b) The
    -- application of the tax ... shall be broadly construed and shall favor inclusion rather
    -- than exclusion. (c) Exemptions ... allowed only when such exemption clearly falls within an
    -- exemption defined in the member jurisdiction's code. (d) The scope of this Code shall apply
    -- to remote sellers ... delivering products or services into member municipalities"
    -- (arsstc.org/about/code: "Interpretation - Taxability broadly construed"); its definitions
    -- cover products "delivered electronically" (Unalaska, Nome, Saint Paul copies). Secondary
    -- guides agree (remotebusinesslife.com Alaska: "Digital products are generally taxable ...
    -- SaaS Products: Taxable"; doola: SaaS taxable, digital products by local jurisdiction).
    -- Doubts: a member's own exemption of these is not modelled (none found in a stored source);
    -- a jurisdiction of the rate data that is not an ARSSTC member does not collect from remote
    -- sellers at all (not modelled: member list incomplete); each member's start: dated since
    -- doubts26 (MEMBERS above);
    -- professional services and training fall under the same presumption but stay exempt here
    -- until a member's code is checked.
    saas = "taxable",
    digital_goods = "taxable",
  },
  -- a remote seller's sale dated before a member's collection start: that member's tax is not
  -- collected (no retroactive application, above), the note regime_not_in_force says from when
  calculate = function(ctx)
    if ctx.date >= LAST_START then return end -- every dated member collects by then (2020-10-01)
    local seller = ctx.seller
    if type(seller) == "table" and seller.country == "US" and seller.state == "AK" then return end
    local noted = {}
    for _, line in ipairs(ctx.lines) do
      if not LEAVE[line.reason] and line.taxes and #line.taxes > 0 then
        local keep = {}
        for _, t in ipairs(line.taxes) do
          local from = START[t.jurisdiction]
          if from and ctx.date < from then
            if not noted[t.jurisdiction] then
              noted[t.jurisdiction] = true
              ctx.notes = ctx.notes or {}
              ctx.notes[#ctx.notes + 1] = { code = "regime_not_in_force",
                message = ("%s: a remote seller collects its sales tax under the Alaska Remote Seller Sales Tax Code only from %s (code adopted %s; collection from the first day of the month after 30 days, no retroactive application: arsstc.org, Uniform Code .050)")
                  :format(t.jurisdiction, from, MEMBERS[t.jurisdiction]) }
            end
          else
            keep[#keep + 1] = t
          end
        end
        if #keep < #line.taxes then
          line.taxes = keep
          if #keep == 0 then line.reason = "not_collecting" end
        end
      end
    end
  end,
  selftest = {
    { name = "general goods at the ZIP rate (5%)",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "SaaS subscription by a remote seller: taxable at the member's rate (Uniform Code .030)",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "digital goods by a remote seller: taxable at the member's rate (Uniform Code .030)",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "digital_goods") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- doubts26: ARSSTC members' collection start for a remote seller (seller in WA), both sides
    { name = "remote seller, Juneau 2020-03-31 (the day before its start): not collecting, note regime_not_in_force",
      request = common.request("AK", "Juneau", "99801", "2020-03-31", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "not_collecting" } }, notes = { { code = "regime_not_in_force" } } } },
    { name = "remote seller, Juneau 2020-04-01 (Juneau's first day, Sales Tax Institute): 5 %",
      request = common.request("AK", "Juneau", "99801", "2020-04-01", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "remote seller, Nome 2020-04-30 (adopted 2020-03-09: from 2020-05-01): not collecting",
      request = common.request("AK", "Nome", "99762", "2020-04-30", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "not_collecting" } }, notes = { { code = "regime_not_in_force" } } } },
    { name = "remote seller, Nome 2020-05-01: 5 %",
      request = common.request("AK", "Nome", "99762", "2020-05-01", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "remote seller, Cordova 2020-05-31 (adopted 2020-04-01: 30 days is 2020-05-01, so from 2020-06-01): not collecting",
      request = common.request("AK", "Cordova", "99574", "2020-05-31", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "not_collecting" } }, notes = { { code = "regime_not_in_force" } } } },
    { name = "remote seller, Cordova 2020-06-01: 7 %",
      request = common.request("AK", "Cordova", "99574", "2020-06-01", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "7.00", lines = { { tax = "7.00", taxability_reason = "standard_rated" } } } },
    { name = "remote seller, Ketchikan Gateway Borough 2020-08-31 (adopted 2020-07-20): not collecting",
      request = common.request("AK", "Ketchikan", "99928", "2020-08-31", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "not_collecting" } }, notes = { { code = "regime_not_in_force" } } } },
    { name = "remote seller, Ketchikan Gateway Borough 2020-09-01: 2.5 %",
      request = common.request("AK", "Ketchikan", "99928", "2020-09-01", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "2.50", lines = { { tax = "2.50", taxability_reason = "standard_rated" } } } },
    { name = "remote seller, Houston 2020-09-30 (adopted 2020-08-13: from 2020-10-01): not collecting",
      request = common.request("AK", "Houston", "99694", "2020-09-30", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "not_collecting" } }, notes = { { code = "regime_not_in_force" } } } },
    { name = "remote seller, Houston 2020-10-01: 2 %",
      request = common.request("AK", "Houston", "99694", "2020-10-01", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Seattle", state = "WA", zip_code = "98101", country = "US" } }),
      expect = { total_tax = "2.00", lines = { { tax = "2.00", taxability_reason = "standard_rated" } } } },
    { name = "seller in Alaska, Juneau 2020-03-31: collects under Juneau's own code (not a remote seller)",
      request = common.request("AK", "Juneau", "99801", "2020-03-31", { common.line("1", "100.00", "1", "general") }, { ship_from = { line1 = "1 Main Street", city = "Anchorage", state = "AK", zip_code = "99501", country = "US" } }),
      expect = { total_tax = "5.00", lines = { { tax = "5.00", taxability_reason = "standard_rated" } } } },
    { name = "exempt tax code",
      request = common.request("AK", "Juneau", "99801", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
