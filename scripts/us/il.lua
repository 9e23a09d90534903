-- Illinois (US-IL): sales-tax rule. Rates and jurisdictions come from the engine's rate data
-- (Avalara ZIP5 Dec-2025 tables); this file only says what is taxed. Treatments not
-- listed here are the defaults of _common.lua. Self-test expectations are computed from the
-- ZIP row 60601 of TAXRATES_ZIP5_IL202512.csv: state 6.25%, county 1.75%, city 1.25%, district 1%
local common = require "_common"
local local_tax = require "_lib.local_tax"

-- Chicago Personal Property Lease Transaction Tax (PPLTT), Municipal Code of Chicago ch. 3-32:
-- a city tax on the lease or rental of personal property in the city and on the use in the
-- city of property leased outside it, "lease" including a nonpossessory lease (3-32-020(I));
-- the lessor collects it from the lessee (3-32-070). Department of Finance PPLTT Ruling #12
-- (June 2015): cloud computing, cloud services, hosted environments, SaaS, PaaS and IaaS are
-- nonpossessory computer leases, taxable from 2015-07-01 (enforced from 2015-09-01). Charges
-- to write a report or for professional services are not leases (Avalara, "Chicago's
-- Personal Property Lease Transaction Tax, Explained", 2015-07). Not a sales tax: its own
-- type LEASE_TRANSACTION_TAX, level city, written to Rillet as its own tax line.
-- Exempt lessees (governmental bodies, charities, ...) are a customer exemption in levy.
-- Use outside the city (the 3-32-050 apportionment for multi-location users) is not modelled:
-- levy charges the whole price to a Chicago ship-to.
local CHICAGO_PPLTT = {
  name = "Chicago Personal Property Lease Transaction Tax",
  entry_name = "Chicago Personal Property Lease Transaction Tax",
  jurisdiction = "CHICAGO", level = "city", type = "LEASE_TRANSACTION_TAX", city = "CHICAGO", city_name = "Chicago",
  place_code = "1714000", -- Census place (data/us/census-fips/places-2010.csv): decides split ZIPs with boundary data
  -- Ruling #12: SaaS, PaaS, IaaS, cloud services (professional services and downloads: no); the
  -- taxonomy's refinements of saas (docs/rules.md section 2a) are all nonpossessory computer leases.
  -- information_services (issue 19): Ruling #12 (2015-06-09, text at s3.documentcloud.org
  -- "lease-tax-ruling.txt") names as nonpossessory computer leases the charges to search legal
  -- research or similar online databases (Meites v. City of Chicago, 184 Ill. App. 3d 887
  -- (1989)), to obtain consumer credit reports, and to obtain real estate listings, prices,
  -- statistics, listings, profiles, marketing data "and similar information or data that has
  -- been compiled, entered, and stored on the provider's computer" (also Avalara 2015-07,
  -- Holland & Knight via mondaq 2015): database access is taxed like SaaS. Not taxed: charges
  -- to write a report, article or similar document (a service with more than de minimis
  -- intervention of the provider's personnel), which levy's codes express as
  -- professional_services; data_processing (processing done for the customer by the provider)
  -- is not listed here for the same reason (doubt where the customer runs it himself: that is saas).
  codes = { saas = true, saas_business = true, saas_personal = true, iaas_paas = true, information_services = true },
  rates = {
    { rate = "9.00", from = "2015-07-01", to = "2015-12-31", cite = "Ruling #12 (2015-06-09): nonpossessory computer leases at the general 9 % from 2015-07-01; chicago.gov PPLTT (7550) page: 9 % as of 2015-01-01" },
    { rate = "5.25", from = "2016-01-01", to = "2019-12-31", cite = "chicago.gov PPLTT (7550) page: 5.25 % for nonpossessory computer leases as of 2016-01-01 (2016 budget ordinance)" },
    { rate = "7.25", from = "2020-01-01", to = "2020-12-31", cite = "chicago.gov PPLTT (7550) page: 7.25 % as of 2020-01-01" },
    { rate = "9.00", from = "2021-01-01", to = "2024-12-31", cite = "chicago.gov PPLTT (7550) page: 9 % for all leases as of 2021-01-01; KPMG TWIST 2020-12-07" },
    { rate = "11.00", from = "2025-01-01", to = "2025-12-31", cite = "2025 budget (City Council 2024-12-16): 9 % -> 11 % from 2025-01-01; Crowe, 'Chicago Enacts Significant Tax Increases', 2025-01-09; Chicago Department of Finance release 2024-12-18" },
    { rate = "15.00", from = "2026-01-01", cite = "2026 budget (SO2025-0021719, passed 2025-12-19, law without the mayor's signature): 11 % -> 15 % from 2026-01-01, no increase before 2028-01-01; EY Tax Alert 2026-0384 (2026-02-09); Chicago Department of Finance release 2025-12-29 ('the rate of the tax shall be 15% of the lease or rental price for all leases')" },
  },
  -- Which ZIP5 is in Chicago: from the shipped ZIP table (data/us/avalara-zip5-2025-12,
  -- TAXRATES_ZIP5_IL202512.csv), which gives each ZIP5 one tax region, the highest-rated one
  -- that touches it. `zips`: the Chicago post office's ZIPs (606xx, and 60701/60714 are not
  -- among them) that the table assigns to Chicago (region CHICAGO..., city rate 1.25 %).
  zips = {
    "60601", "60602", "60603", "60604", "60605", "60606", "60607", "60608", "60609", "60610",
    "60611", "60612", "60613", "60614", "60615", "60616", "60617", "60618", "60619", "60620",
    "60621", "60622", "60623", "60624", "60625", "60626", "60628", "60629", "60630", "60631",
    "60632", "60633", "60636", "60637", "60638", "60639", "60640", "60641", "60642", "60645",
    "60646", "60647", "60649", "60651", "60652", "60653", "60654", "60655", "60657", "60659",
    "60660", "60661", "60664", "60666", "60668", "60669", "60670", "60673", "60674", "60675",
    "60677", "60678", "60680", "60681", "60682", "60684", "60685", "60686", "60687", "60688",
    "60689", "60690", "60691", "60693", "60694", "60695", "60696", "60697", "60699",
  },
  -- `partial_zips`: ZIPs that cross the city line by the same table: suburban post offices'
  -- ZIPs the table assigns to Chicago (O'Hare, the northwest and south edges), and Chicago
  -- post office ZIPs it assigns to a suburb (60634 River Grove, 60643 Blue Island, 60644
  -- Cicero, 60656 Norridge). A 606xx ZIP assigned to Chicago may still hold an enclave
  -- (Norridge, Harwood Heights): a city name other than Chicago is never charged.
  partial_zips = {
    "60007", "60018", "60068", "60076", "60131", "60302", "60419", "60453", "60701", "60714",
    "60803", "60827", "60634", "60643", "60644", "60656",
  },
}

-- Chicago Amusement Tax, Municipal Code of Chicago ch. 4-156 (4-156-020: 9 % of the charges
-- paid for the privilege to enter, witness, view or participate in an amusement). Department of
-- Finance Amusement Tax Ruling #5 (2015-06-09, for periods on or after 2015-09-01): it includes
-- amusements delivered electronically -- television shows, movies and videos, music, games --
-- when rented (streamed or temporarily downloaded), not when bought to own (Reed Smith client
-- alert 2018-05; Avalara 2015-09-15; Mondaq 2015-09-03); upheld in Labell v. City of Chicago
-- (Ill. App. 2019; leave to appeal denied 2020-03-25, Eversheds Sutherland). Charged to a
-- customer whose residential or primary business street address is in Chicago (billing address
-- or ZIP): levy uses the ship-to, located as for the PPLTT. Not a sales tax: its own type
-- AMUSEMENT_TAX, level city. Not modelled: the exemptions of 4-156-020 (e.g. small live
-- performances), irrelevant to streaming; games (no tax code of their own).
local CHICAGO_AMUSEMENT = {
  name = "Chicago Amusement Tax",
  entry_name = "Chicago Amusement Tax",
  jurisdiction = "CHICAGO", level = "city", type = "AMUSEMENT_TAX", city = "CHICAGO", city_name = "Chicago",
  place_code = CHICAGO_PPLTT.place_code,
  codes = { streaming_audio = true, streaming_video = true }, -- rentals: a download to own (digital_audio/video) is not
  rates = {
    { rate = "9.00", from = "2015-09-01", to = "2024-12-31", cite = "Mun. Code 4-156-020 (9 %); Amusement Tax Ruling #5 (2015-06-09), periods on or after 2015-09-01 (Reed Smith 2018-05)" },
    -- paid television and electronically delivered amusements (video and audio streaming, on-line
    -- games) only; the general amusement rate stays 9 %. The 2026 Revenue Ordinance (Department of
    -- Finance release 2025-12-29: PPLTT 15 %, boat mooring, bags, social media amusement tax) does
    -- not change this rate.
    { rate = "10.25", from = "2025-01-01", cite = "2025 Revenue Ordinance (City Council 2024-12-16), Mun. Code 4-156-020: 10.25 % on paid television and amusements delivered electronically from 2025-01-01 (Chicago Department of Finance release 2024-12-18; WTTW 2024-12-30); unchanged by the 2026 Revenue Ordinance (Department of Finance release 2025-12-29)" },
  },
  zips = CHICAGO_PPLTT.zips,
  partial_zips = CHICAGO_PPLTT.partial_zips,
}

return common.state{
  code = "IL",
  name = "Illinois",
  sourcing = "origin", -- origin-based for sellers located in the state (intrastate); remote sellers collect at destination
  taxability = {
    -- issue 19, product taxonomy (docs/rules.md section 2a): rows for codes whose treatment here differs from
    -- their parent's or is cited; a code without a row is taxed as its parent, with the note taxability_fallback
    software_maintenance_optional = "exempt", -- 86 Ill. Adm. Code 130.1935(b), 140.301: a software maintenance agreement sold separately from the software is not a taxable sale (IDOR ST 06-0010-PLR)
    custom_software = "exempt", -- 86 Ill. Adm. Code 130.1935(c): custom computer programs are not tangible personal property
    saas = "exempt", -- [TF] not taxable at state level (ROT); Chicago's PPLTT, a city lease tax, is added by calculate (CHICAGO_PPLTT above)
    streaming_audio = "exempt", -- 35 ILCS 120/2: the ROT taxes tangible personal property; a stream is not (as for saas); Chicago's amusement tax is added by calculate (CHICAGO_AMUSEMENT)
    streaming_video = "exempt", -- same
    -- 86 Ill. Adm. Code 130.415: delivery charges separately contracted for are not part of gross
    -- receipts. Mandatory delivery (issue 19, sourced): the charges ARE taxable when the seller offers
    -- no way to receive the goods without paying them (no pick-up option, no free delivery) -- IDOR
    -- Q&A 144 ("Are shipping and handling charges taxable?"), Kean v. Wal-Mart Stores, Inc., 235 Ill.
    -- 2d 351 (2009): an internet seller's shipping charges were part of the taxable selling price.
    -- Which applies is the seller setting pickup_offered (docs/rules.md section 2, "Shipping"):
    -- "yes" (customers can collect the goods: the charge is avoidable) exempt; "no" (the default:
    -- it only ships) the charge is part of the goods' selling price, so it follows the goods: taxed
    -- with taxable goods, exempt with exempt ones (130.415(a): gross receipts from the sale of the
    -- property), a mixed shipment by price (levy's allocation; the regulation names none: doubt).
    shipping = { pickup_offered = "exempt", ship_only = "follows_goods" },
    food_grocery = "exempt", -- P.A. 103-0781: the 1% state grocery tax ends 2026-01-01; municipal 1% grocery taxes are not in the rate data (doubt)
  },
  -- P.A. 103-0781: the 1% state rate on groceries applies until 2025-12-31
  local_taxes = { CHICAGO_PPLTT, CHICAGO_AMUSEMENT },
  -- calculate acts on these lines only (dated_state_rate: food_grocery; local_tax.apply: the
  -- codes of each tax)
  calculate_for = common.codes({ food_grocery = true }, CHICAGO_PPLTT.codes, CHICAGO_AMUSEMENT.codes),
  calculate = function(ctx)
    common.dated_state_rate(ctx, "food_grocery", {
      { before = "2026-01-01", rate = "1.00" },
    }, "ILLINOIS")
    local_tax.apply(ctx, CHICAGO_PPLTT)
    local_tax.apply(ctx, CHICAGO_AMUSEMENT)
  end,
  selftest = {
    -- issue 19, mandatory delivery (86 Ill. Adm. Code 130.415; Kean v. Wal-Mart): both values of
    -- the seller setting pickup_offered
    { name = "ship-only seller (pickup_offered no, the default): delivery of taxable goods taxed at 10.25 %",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "11.29", lines = { { tax = "10.25" }, { tax = "1.04", taxability_reason = "standard_rated" } } } },
    { name = "seller offering pick-up: separately stated delivery exempt",
      pickup_offered = "yes",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "ship-only seller: delivery of exempt goods (custom software on media) exempt",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "custom_software"), common.line("2", "10.00", "1", "shipping") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00" }, { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- issue 19, product taxonomy: the rows above (both sides of each dated row)
    { name = "optional software maintenance sold separately: exempt (canned software is taxable)",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "software_maintenance_optional") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "mandatory software maintenance: part of the canned software sale, taxable",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "software_maintenance_mandatory") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25", taxability_reason = "standard_rated" } } } },
    { name = "custom software: exempt (canned software is taxable)",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "custom_software") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "general goods at the ZIP rate (10.25%)",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25", taxability_reason = "standard_rated" } } } },
    -- streaming in Chicago: the city's amusement tax (CHICAGO_AMUSEMENT), both sides of its date
    { name = "streaming video in Chicago 2015-08-31: no amusement tax yet",
      request = common.request("IL", "Chicago", "60601", "2015-08-31", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { lines = { { taxes = { } } } } },
    { name = "streaming video in Chicago 2015-09-01: amusement tax 9 % (Ruling #5)",
      request = common.request("IL", "Chicago", "60601", "2015-09-01", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "9.00", lines = { { tax = "9.00",
        taxes = { { jurisdiction = "CHICAGO", level = "city", type = "AMUSEMENT_TAX", name = "Chicago Amusement Tax", percentage = "9.00", amount = "9.00" } } } } } },
    { name = "streaming audio in Chicago 2026: amusement tax 10.25 % (2025 Revenue Ordinance, unchanged in 2026)",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "streaming_audio") }),
      expect = { total_tax = "10.25" } },
    { name = "streaming video in Chicago 2024-12-31: amusement tax 9 %",
      request = common.request("IL", "Chicago", "60601", "2024-12-31", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "9.00" } },
    { name = "streaming video in Chicago 2025-01-01: amusement tax 10.25 % on electronically delivered amusements",
      request = common.request("IL", "Chicago", "60601", "2025-01-01", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25",
        taxes = { { jurisdiction = "CHICAGO", level = "city", type = "AMUSEMENT_TAX", name = "Chicago Amusement Tax", percentage = "10.25", amount = "10.25" } } } } } },
    { name = "streaming video in Springfield: no amusement tax",
      request = common.request("IL", "Springfield", "62701", "2026-03-01", { common.line("1", "100.00", "1", "streaming_video") }),
      expect = { total_tax = "0.00" } },
    -- SaaS: no Illinois sales tax; in Chicago the city's lease transaction tax (CHICAGO_PPLTT)
    { name = "SaaS in Chicago 2026: no sales tax, PPLTT 15%",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated",
        taxes = { { jurisdiction = "CHICAGO", level = "city", type = "LEASE_TRANSACTION_TAX", name = "Chicago Personal Property Lease Transaction Tax", percentage = "15.00", amount = "15.00" } } } } } },
    { name = "IaaS/PaaS in Chicago 2026: a nonpossessory computer lease too (Ruling #12), PPLTT 15%",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "iaas_paas") }),
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated",
        taxes = { { jurisdiction = "CHICAGO", level = "city", type = "LEASE_TRANSACTION_TAX", name = "Chicago Personal Property Lease Transaction Tax", percentage = "15.00", amount = "15.00" } } } } } },
    { name = "SaaS for business use in Chicago 2026: PPLTT 15% (the lessee's use does not matter)",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "saas_business") }),
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxability_reason = "standard_rated",
        taxes = { { jurisdiction = "CHICAGO", level = "city", type = "LEASE_TRANSACTION_TAX", name = "Chicago Personal Property Lease Transaction Tax", percentage = "15.00", amount = "15.00" } } } } } },
    { name = "information services (database access) in Chicago 2026: PPLTT 15% (Ruling #12)",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "15.00", lines = { { tax = "15.00", taxes = { { level = "city", percentage = "15.00" } } } } } },
    { name = "information services in Chicago 2015-06-30: before Ruling #12, no lease tax",
      request = common.request("IL", "Chicago", "60601", "2015-06-30", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "0.00" } },
    { name = "information services in Chicago 2015-07-01: PPLTT 9% (Ruling #12)",
      request = common.request("IL", "Chicago", "60601", "2015-07-01", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "9.00" } },
    { name = "information services in Springfield: no sales tax, no city lease tax",
      request = common.request("IL", "Springfield", "62701", "2026-03-01", { common.line("1", "100.00", "1", "information_services") }),
      expect = { total_tax = "0.00" } },
    { name = "data processing in Chicago: no lease tax (a service, not access to the provider's computer)",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "data_processing") }),
      expect = { total_tax = "0.00" } },
    { name = "SaaS in Chicago 2025-12-31: PPLTT 11%",
      request = common.request("IL", "Chicago", "60614", "2025-12-31", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "11.00", lines = { { tax = "11.00", taxes = { { percentage = "11.00" } } } } } },
    { name = "SaaS in Chicago 2025-01-01: PPLTT 11%",
      request = common.request("IL", "Chicago", "60614", "2025-01-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "11.00", lines = { { taxes = { { percentage = "11.00" } } } } } },
    { name = "SaaS in Chicago 2024-12-31: PPLTT 9%",
      request = common.request("IL", "Chicago", "60614", "2024-12-31", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "9.00", lines = { { taxes = { { percentage = "9.00" } } } } } },
    { name = "SaaS in Chicago 2021-01-01: PPLTT 9%",
      request = common.request("IL", "Chicago", "60614", "2021-01-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "9.00" } },
    { name = "SaaS in Chicago 2020-12-31: PPLTT 7.25%",
      request = common.request("IL", "Chicago", "60614", "2020-12-31", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "7.25" } },
    { name = "SaaS in Chicago 2020-01-01: PPLTT 7.25%",
      request = common.request("IL", "Chicago", "60614", "2020-01-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "7.25" } },
    { name = "SaaS in Chicago 2019-12-31: PPLTT 5.25%",
      request = common.request("IL", "Chicago", "60614", "2019-12-31", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "5.25" } },
    { name = "SaaS in Chicago 2016-01-01: PPLTT 5.25%",
      request = common.request("IL", "Chicago", "60614", "2016-01-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "5.25" } },
    { name = "SaaS in Chicago 2015-12-31: PPLTT 9%",
      request = common.request("IL", "Chicago", "60614", "2015-12-31", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "9.00" } },
    { name = "SaaS in Chicago 2015-07-01: PPLTT 9% (Ruling #12)",
      request = common.request("IL", "Chicago", "60614", "2015-07-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "9.00" } },
    { name = "SaaS in Chicago 2015-06-30: before Ruling #12, nothing",
      request = common.request("IL", "Chicago", "60614", "2015-06-30", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS in Springfield: exempt, no city lease tax",
      request = common.request("IL", "Springfield", "62701", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services in Chicago: no lease tax",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "SaaS and goods in Chicago: sales tax on the goods, lease tax on the SaaS",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "general"), common.line("2", "200.00", "1", "saas") }),
      expect = { total_tax = "40.25", lines = { { tax = "10.25" }, { tax = "30.00" } } } },
    { name = "SaaS with no city in a Chicago post office ZIP: charged",
      request = common.request("IL", nil, "60657", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "15.00" } },
    { name = "SaaS in ZIP 60018 (partly Chicago: O'Hare) with city Chicago: charged and noted",
      request = common.request("IL", "Chicago", "60018", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "15.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS in ZIP 60018 with city Des Plaines: not charged, noted",
      request = common.request("IL", "Des Plaines", "60018", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS in ZIP 60018 with no city: not charged, noted (uncertain)",
      request = common.request("IL", nil, "60018", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS in ZIP 60656 (Chicago post office, table: Norridge) with city Chicago: charged and noted",
      request = common.request("IL", "chicago", "60656", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "15.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS in Evanston 60201 typed as Chicago: not charged, noted",
      request = common.request("IL", "Chicago", "60201", "2026-03-01", { common.line("1", "100.00", "1", "saas") }),
      expect = { total_tax = "0.00", notes = { { code = "local_tax_uncertain" } } } },
    { name = "SaaS credit in Chicago: the lease tax mirrored",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "-100.00", "1", "saas") }),
      expect = { total_tax = "-15.00" } },
    { name = "SaaS in Chicago, customer exempt: nothing",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "saas") }, { customer = { exempt = true } }),
      expect = { total_tax = "0.00", lines = { { taxability_reason = "customer_exempt" } } } },
    { name = "groceries: exempt",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "professional services: exempt",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "professional_services") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "exempt tax code",
      request = common.request("IL", "Chicago", "60601", "2026-03-01", { common.line("1", "100.00", "1", "exempt") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    { name = "groceries on 2025-12-31: state 1.00%",
      request = common.request("IL", "Chicago", "60601", "2025-12-31", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "1.00", lines = { { tax = "1.00", taxability_reason = "reduced_rated" } } } },
    { name = "groceries on 2026-01-01: today's treatment",
      request = common.request("IL", "Chicago", "60601", "2026-01-01", { common.line("1", "100.00", "1", "food_grocery") }),
      expect = { total_tax = "0.00", lines = { { tax = "0.00", taxability_reason = "product_exempt" } } } },
    -- tax-facts #22: Chicago 60601 10.25% in the Dec-2025 table (6.25 + 1.75 + 1.25 + 1)
    { name = "#22 Chicago 60601 $100 general -> 10.25",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "100.00", "1", "general") }),
      expect = { total_tax = "10.25", lines = { { tax = "10.25", taxability_reason = "standard_rated" } } } },
    { name = "#22 Chicago $250.50 general",
      request = common.request("IL", "Chicago", "60601", "2025-12-15", { common.line("1", "250.50", "1", "general") }),
      expect = { total_tax = "25.68", lines = { { tax = "25.68" } } } },
  },
}
