-- Colorado (US-CO): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 80202 of TAXRATES_ZIP5_CO202512.csv: state 2.9%, city 5.15%, district 1.1%
local common = require "_common"
local local_tax = require "_lib.local_tax"

-- Denver, a home-rule city, administers its own sales tax and taxes software as a service
-- although the state does not: denvergov.org, Treasury, "Sales Tax Rates" FAQ ("Services that
-- are taxable when sold or furnished to customers in Denver include ... Software as a
-- service"); Denver Tax Guide Topic No. 18 "Data Processing" (as summarised by
-- salestaxcolorado.com, 2018). Only Denver's own city tax: the state (2.9 %), RTD and the
-- Cultural Facilities District follow the state's exemption. The rate is the rate data's
-- (the DENVER city entry of the ZIP row: 5.15 % in the Dec-2025 table).
-- Which ZIP5 is in Denver (from TAXRATES_ZIP5_CO202512.csv, highest-rated region per ZIP):
-- `zips` = Denver post office ZIPs (802xx) the table assigns to Denver; `partial_zips` =
-- suburban post offices' ZIPs the table assigns to Denver (they touch the city). 802xx ZIPs
-- the table assigns to a suburb (80215 80216 80225 80228 80229 80233 80234 80238 80241 80260)
-- carry no Denver rate in the data: a Denver address there is not charged and noted.
-- Other home-rule cities: Boulder and Colorado Springs tax SaaS too (BOULDER_SAAS, COS_SAAS
-- below); Aurora, Lakewood: no city source stored that they tax it, not modelled (docs/rules.md
-- section 9).
local DENVER_SAAS = {
  name = "Denver sales tax on software as a service",
  jurisdiction = "DENVER", level = "city", type = "SALES_TAX", city = "DENVER", city_name = "Denver",
  place_code = "0820000", -- Census place (data/us/census-fips/places-2010.csv): decides split ZIPs with boundary data
  rate_from = { level = "city", jurisdiction = "DENVER" },
  reason = "partially_taxable", -- the city taxes it, the state and the districts do not
  codes = { saas = true, saas_business = true, saas_personal = true }, -- and the taxonomy's SaaS refinements (docs/rules.md 2a)
  zips = {
    "80201", "80202", "80203", "80204", "80205", "80206", "80207", "80208", "80209", "80210",
    "80211", "80212", "80214", "80217", "80218", "80219", "80220", "80221", "80222", "80223",
    "80224", "80226", "80227", "80230", "80231", "80232", "80235", "80236", "80237", "80239",
    "80243", "80246", "80247", "80248", "80249", "80250", "80256", "80257", "80259", "80261",
    "80263", "80264", "80265", "80266", "80271", "80273", "80274", "80281", "80290", "80291",
    "80293", "80294", "80299",
  },
  partial_zips = {
    "80002", "80010", "80012", "80014", "80019", "80033", "80110", "80111", "80113", "80123", "80127",
  },
}


-- Boulder, a home-rule city that administers its own sales and use tax, taxes software as a
-- service: bouldercolorado.gov, Tax and Licensing, "Tr 11: Computer Software": B.R.C. 3-1-1
-- "Computer software means digital products, software programs, software as a service,
-- internet subscription service, software license fees, software maintenance agreements ...",
-- and "A lease ... rental or the grant of a license to use software is subject to sales/use tax
-- ... regardless of how the software is obtained". Access to online data services (databases)
-- is the remote use of software the provider runs, taxable: Ball Aerospace & Technologies Corp.
-- v. City of Boulder, 2012 COA 153, 304 P.3d 609 (Colo. App. 2012-09-13), which held so under the
-- code before its 2012 clarification (software taxable since 1981, "computer instructions" 1999:
-- Daily Camera 2011-12-05) -- hence information_services is covered and no start date is set (the
-- court applied it to the 2006-2008 tax years it reviewed; earlier dates: doubt, not modelled).
-- Only Boulder's own city tax: the state, Boulder County (state-collected) and RTD/CD districts
-- follow the state's exemption. Rate: the rate data's BOULDER city entry (3.86 % in the Dec-2025
-- table). Where (TAXRATES_ZIP5_CO202512.csv): `zips` = the ZIPs the table gives Boulder's city
-- rate (Boulder post office 80302-80310, 80314); 80301 (east Boulder, Gunbarrel) the table gives
-- to Lafayette and 80025 (Eldorado Springs) no city: a Boulder address there is not charged and
-- noted. iaas_paas: not named by the city, not covered (doubt).
local BOULDER_SAAS = {
  name = "Boulder sales tax on software as a service",
  jurisdiction = "BOULDER", level = "city", type = "SALES_TAX", city = "BOULDER", city_name = "Boulder",
  place_code = "0807850", -- Census place (data/us/census-fips/places-2010.csv)
  rate_from = { level = "city", jurisdiction = "BOULDER" },
  reason = "partially_taxable", -- the city taxes it, the state, the county and the districts do not
  codes = { saas = true, saas_business = true, saas_personal = true, information_services = true },
  zips = { "80302", "80303", "80304", "80305", "80306", "80307", "80308", "80309", "80310", "80314" },
  partial_zips = {},
}

-- Colorado Springs, a home-rule city that administers its own sales and use tax, taxes software
-- as a service: the city's Tax Guide "Computer Software" (City Code 2.7.104 "Price or Purchase
-- Price", 2.7.201, 2.7.312, 2.7.438): "purchases of software downloaded, accessed, licensed, or
-- consumed by other means, including Software as a Service (SaaS) through online subscriptions,
-- are taxable"; "The taxability of software is not dependent upon where the software program
-- physically resides but rather is based on the right to access, use, store, or consume the
-- property". The guide's text is stored only as copied at bayfury.com
-- ("service-contract-custom-software-8689"; the city's own page is not in the corpus): doubt on
-- its date, no start date modelled. Article 7 of City Code chapter 2 is the sales and use tax
-- (springsgov.com "Sales/Use Tax Ordinance"). Only the city's own tax: the state, El Paso County
-- and the PPRTA district follow the state's exemption. Rate: the rate data's COLORADO SPRINGS
-- city entry (3.07 % in the Dec-2025 table). Where (TAXRATES_ZIP5_CO202512.csv): `zips` = the
-- 809xx ZIPs the table gives the city rate; `partial_zips` = 80831 (the Peyton/Falcon post
-- office, mostly outside the city); 80906 (the table: Fountain) carries no city rate: a Colorado
-- Springs address there is not charged and noted. Only saas and its refinements: the guide
-- says nothing of databases or IaaS.
local COS_SAAS = {
  name = "Colorado Springs sales tax on software as a service",
  jurisdiction = "COLORADO SPRINGS", level = "city", type = "SALES_TAX", city = "COLORADO SPRINGS", city_name = "Colorado Springs",
  place_code = "0816000", -- Census place (data/us/census-fips/places-2010.csv)
  rate_from = { level = "city", jurisdiction = "COLORADO SPRINGS" },
  reason = "partially_taxable", -- the city taxes it, the state, the county and the district do not
  codes = { saas = true, saas_business = true, saas_personal = true },
  zips = {
    "80901", "80903", "80904", "80905", "80907", "80908", "80909", "80910", "80911", "80913",
    "80914", "80915", "80916", "80917", "80918", "80919", "80920", "80922", "80923", "80924",
    "80925", "80926", "80927", "80929", "80932", "80933", "80934", "80935", "80936", "80937",
    "80938", "80939", "80941", "80942", "80946", "80947", "80949", "80950", "80951", "80960",
    "80962", "80995", "80997",
  },
  partial_zips = { "80831" },
}

return common.state{
  code = "CO",
  name = "Colorado",
  sourcing = "destination", -- destination-based: tax at the ship-to for in-state and remote sellers
  taxability = {
    saas = "exempt", -- [TF] not taxable at state level; Denver's own city tax on it is added by calculate (DENVER_SAAS above)
    digital_goods = "taxable", -- HB21-1312: digital goods are tangible personal property since 2021-07-01
    shipping = "exempt", -- separately stated delivery charges are not taxable [SHIP]
  },
  local_taxes = { DENVER_SAAS, BOULDER_SAAS, COS_SAAS },
  calculate_for = common.codes(DENVER_SAAS.codes, BOULDER_SAAS.codes, COS_SAAS.codes), -- local_tax.apply acts on these lines only
  calculate = function(ctx)
    local_tax.apply(ctx, DENVER_SAAS)
    local_tax.apply(ctx, BOULDER_SAAS)
    local_tax.apply(ctx, COS_SAAS)
  end,
  selftest = {
    { name = "general goods at the ZIP rate (9.15%)",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "9.15", lines = { { tax = "9.15", taxability_reason = "standard_rated" } } } },
    { name = "SaaS in Denver: Denver's city tax only (5.15%)",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "5.15", lines = { { tax = "5.15", taxability_reason = "partially_taxable",
        taxes = { { jurisdiction = "DENVER", level = "city", type = "SALES_TAX", percentage = "5.15" } } } } } },
    { name = "SaaS for personal use in Denver: the city's tax on SaaS too (5.15%)",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "saas_personal") }),
      expect = { total_tax = "5.15", lines = { { tax = "5.15", taxability_reason = "partially_taxable",
        taxes = { { jurisdiction = "DENVER", level = "city", type = "SALES_TAX", percentage = "5.15" } } } } } },
    { name = "SaaS in Denver without a city name: Denver ZIP, charged",
      request = common.request("CO", nil, "80205", "2026-03-01", { common.line("1", "200.00", "1", "saas") }),
      expect = { total_tax = "10.30" } },
    { name = "SaaS in Boulder: Boulder's city tax only (3.86%, Tr 11, B.R.C. 3-1-1)",
      request = common.request("CO", "Boulder", "80302", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "3.86", lines = { { tax = "3.86", taxability_reason = "partially_taxable",
        taxes = { { jurisdiction = "BOULDER", level = "city", type = "SALES_TAX", percentage = "3.86" } } } } } },
    { name = "online database access in Boulder: taxable (Ball Aerospace, 2012 COA 153), 3.86%",
      request = common.request("CO", "Boulder", "80303", "2026-03-01", { common.line("1", "200.00", "1", "information_services") }),
      expect = { total_tax = "7.72", lines = { { tax = "7.72", taxability_reason = "partially_taxable" } } } },
    { name = "SaaS in Boulder, ZIP 80301 (the table: Lafayette): not charged, noted",
      request = common.request("CO", "Boulder", "80301", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS in Boulder, no city name, ZIP 80304: charged",
      request = common.request("CO", nil, "80304", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "3.86" } },
    { name = "SaaS in Colorado Springs: the city's tax only (3.07%, city Tax Guide 'Computer Software')",
      request = common.request("CO", "Colorado Springs", "80903", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "3.07", lines = { { tax = "3.07", taxability_reason = "partially_taxable",
        taxes = { { jurisdiction = "COLORADO SPRINGS", level = "city", type = "SALES_TAX", percentage = "3.07" } } } } } },
    { name = "SaaS in Peyton, ZIP 80831 (partly Colorado Springs): not charged, noted",
      request = common.request("CO", "Peyton", "80831", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "database access in Colorado Springs: not covered (the guide names software only)",
      request = common.request("CO", "Colorado Springs", "80903", "2026-03-01", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "0.00" } },
    { name = "SaaS in Denver: Boulder's tax not added",
      request = common.request("CO", "Denver", "80202", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "5.15", lines = { { taxes = { { jurisdiction = "DENVER", percentage = "5.15" } } } } } },
    { name = "SaaS in Aurora, ZIP 80012 (the table: Denver): not charged, noted",
      request = common.request("CO", "Aurora", "80012", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS in Denver, ZIP 80012 (partly Denver): charged on the city name, noted",
      request = common.request("CO", "Denver", "80012", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "5.15", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS in Denver, ZIP 80216 (the table: Commerce City): not charged, noted",
      request = common.request("CO", "Denver", "80216", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS and goods in Denver: goods 9.15%, SaaS 5.15%",
      request = common.request("CO", "Denver", "80202", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "100.00", "1", "saas") }),
      expect = { total_tax = "14.30", lines = { { tax = "9.15" }, { tax = "5.15" } } } },
    { name = "shipping with taxable goods: exempt",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "9.15", lines = { { tax = "9.15" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("CO", "Denver", "80202", "2025-12-15", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
  },
}
