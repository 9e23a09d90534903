-- New York localities that exempt clothing and footwear under $110 per item from their LOCAL
-- sales tax too (the 4% state exemption applies everywhere: ny.lua's threshold treatment).
-- Data, not code: ny.lua's calculate(ctx) looks the ship-to up here.
--
-- Source: NY DTF Publication 718-C (Sales and Use Tax Rates on Clothing and Footwear), as
-- summarised in tax-facts.md §5: New York City (full exemption: state, city 4.5% and the
-- 0.375% MCTD); Putnam County from 2024-03-01 (county and MCTD); as of 2012 Chautauqua,
-- Chenango, City of Norwich, Columbia, Delaware, Greene, Hamilton, Madison (outside the City
-- of Oneida), Tioga and Wayne. "Verify the current list" (tax-facts): re-check 718-C before
-- relying on the upstate entries. Checked (issue 19): Madison's exemption ended in 2012 (its
-- row); Avalara 2014 lists "Chenango County (outside the City of Norwich)" where 2012 lists
-- named the City of Norwich too (doubt, not changed: when Norwich stopped is not known).
--
-- Fields: name; from (first day in force, "YYYY-MM-DD"); to (last day, optional);
-- levels = "all" or a list of rate levels exempted ("county", "city", "district");
-- zips = ZIP5 codes of the locality; county = county name as it may appear in a county-level
-- jurisdiction name (used in addition to the ZIPs); partial = true when the ZIP list holds
-- only the ZIPs known to lie in the locality (county seats), not all of them.
--
-- The NYC list is every ZIP whose row in TAXRATES_ZIP5_NY202512.csv is "NEW YORK CITY" or
-- "RICHMOND" (Staten Island), i.e. the rows carrying the 4.5% city rate except Yonkers, less
-- the ZIPs outside the five boroughs that the table names NEW YORK CITY and levy's overlays
-- give back to their own locality (data/us/overlays.csv): Yonkers 10704 and Nassau County's
-- 11021, 11096 and 11581 (HUD ZIP-county crosswalk: Westchester / Nassau only), which tax
-- clothing (Pub 718-C lists neither Yonkers nor Nassau County among the exempting localities).
-- ZIP granularity: a ZIP that straddles a county line follows the locality listed here.

local M = {}

M.THRESHOLD = "110.00"

M.localities = {
  -- from 2006-04-01: the city's own exemption under $110 was in force when the state's began
  -- (New York Sun 2006-04-03: "The state removed the city's portion of the sales tax last year,
  -- meaning clothing and footwear costing less than $110 are now tax-free"; its first day in
  -- 2005 not in a stored source) and stayed while the state's was suspended (Gothamist 2010-09:
  -- "The city's 4.5% tax is still exempt for items under $110"). The MCTD goes with the state
  -- exemption (ny.lua calculate). Not modelled: the city's exemption of clothing of $110 or
  -- more from 2007 to 2009-07-31 (Gothamist 2007; The Shopping Center Lawyer 2009-07: "the
  -- complete exemption of clothing and footwear from NYC's 4.5% local sales tax has been
  -- eliminated" as of 2009-08-01), whose first day is not in a stored source (law25 searched
  -- again: Gothamist's "City Cuts Sales Tax For Clothing, Shoes Over $110" says "officially
  -- eliminated effective today" without a date in its text, its image path reads 2007_08, and
  -- the Mayor announced it in January 2007; not enough for a day).
  { name = "New York City", from = "2006-04-01", levels = "all", county = nil, zips = {
    "10001", "10002", "10003", "10004", "10005", "10006", "10007", "10008", "10009", "10010",
    "10011", "10012", "10013", "10014", "10016", "10017", "10018", "10019", "10020", "10021",
    "10022", "10023", "10024", "10025", "10026", "10027", "10028", "10029", "10030", "10031",
    "10032", "10033", "10034", "10035", "10036", "10037", "10038", "10039", "10040", "10041",
    "10043", "10044", "10045", "10055", "10060", "10065", "10069", "10075", "10080", "10081",
    "10087", "10090", "10101", "10102", "10103", "10104", "10105", "10106", "10107", "10108",
    "10109", "10110", "10111", "10112", "10113", "10114", "10115", "10116", "10117", "10118",
    "10119", "10120", "10121", "10122", "10123", "10124", "10125", "10126", "10128", "10129",
    "10130", "10131", "10132", "10133", "10138", "10150", "10151", "10152", "10153", "10154",
    "10155", "10156", "10157", "10158", "10159", "10160", "10162", "10163", "10164", "10165",
    "10166", "10167", "10168", "10169", "10170", "10171", "10172", "10173", "10174", "10175",
    "10176", "10177", "10178", "10179", "10185", "10199", "10203", "10211", "10212", "10213",
    "10242", "10249", "10256", "10258", "10259", "10260", "10261", "10265", "10268", "10269",
    "10270", "10271", "10272", "10273", "10274", "10275", "10276", "10277", "10278", "10279",
    "10280", "10281", "10282", "10285", "10286", "10301", "10302", "10303", "10304", "10305",
    "10306", "10307", "10308", "10309", "10310", "10311", "10312", "10313", "10314", "10451",
    "10452", "10453", "10454", "10455", "10456", "10457", "10458", "10459", "10460", "10461",
    "10462", "10463", "10464", "10465", "10466", "10467", "10468", "10469", "10470", "10471",
    "10472", "10473", "10474", "10475", "10550", "10705", "10803", "11001", "11003",
    "11004", "11005", "11020", "11040", "11101", "11102", "11103", "11104",
    "11105", "11106", "11109", "11120", "11201", "11202", "11203", "11204", "11205", "11206",
    "11207", "11208", "11209", "11210", "11211", "11212", "11213", "11214", "11215", "11216",
    "11217", "11218", "11219", "11220", "11221", "11222", "11223", "11224", "11225", "11226",
    "11228", "11229", "11230", "11231", "11232", "11233", "11234", "11235", "11236", "11237",
    "11238", "11239", "11241", "11242", "11243", "11245", "11247", "11249", "11251", "11252",
    "11256", "11351", "11352", "11354", "11355", "11356", "11357", "11358", "11359", "11360",
    "11361", "11362", "11363", "11364", "11365", "11366", "11367", "11368", "11369", "11370",
    "11371", "11372", "11373", "11374", "11375", "11377", "11378", "11379", "11380", "11385",
    "11386", "11405", "11411", "11412", "11413", "11414", "11415", "11416", "11417", "11418",
    "11419", "11420", "11421", "11422", "11423", "11424", "11425", "11426", "11427", "11428",
    "11429", "11430", "11431", "11432", "11433", "11434", "11435", "11436", "11437", "11439",
    "11451", "11499", "11559", "11580", "11691", "11692", "11693", "11694", "11697",
  } },
  -- Putnam County: Brewster/Southeast, Carmel, Cold Spring, Garrison, Lake Peekskill,
  -- Mahopac, Mahopac Falls, Putnam Valley, Patterson. Avalara names 10512/10541 "SOMERS" and
  -- 10537 "CORTLANDT" (Westchester towns: the ZIPs straddle the county line; rates equal).
  { name = "Putnam County", from = "2024-03-01", levels = "all", county = "PUTNAM", zips = {
    "10509", "10512", "10516", "10524", "10537", "10541", "10542", "10579", "12563",
  } },
  -- 2012 list: county-seat ZIPs only (partial), plus county-name matching.
  { name = "Chautauqua County", from = "2012-04-01", levels = "all", county = "CHAUTAUQUA",
    partial = true, zips = { "14701" } },                      -- Jamestown
  { name = "Chenango County", from = "2012-04-01", levels = "all", county = "CHENANGO",
    partial = true, zips = { "13815" } },                      -- Norwich (city and county)
  { name = "Columbia County", from = "2012-04-01", levels = "all", county = "COLUMBIA",
    partial = true, zips = { "12534" } },                      -- Hudson
  { name = "Delaware County", from = "2012-04-01", levels = "all", county = "DELAWARE",
    partial = true, zips = { "13753", "13856" } },             -- Delhi, Walton
  { name = "Greene County", from = "2012-04-01", levels = "all", county = "GREENE",
    partial = true, zips = { "12414" } },                      -- Catskill
  { name = "Hamilton County", from = "2012-04-01", levels = "all", county = "HAMILTON",
    partial = true, zips = { "12108" } },                      -- Lake Pleasant
  -- Madison County's Board of Supervisors repealed its exemption in August 2012 "citing budget
  -- pressures", to bring in revenue from 2013 (syracuse.com 2012-08 "Madison County repeals
  -- sales tax exemption for clothing and footwear purchases under $110"; zip2tax blog); later
  -- lists name NYC and eight counties without Madison (Avalara 2014-01 "9 New York localities
  -- that exempt clothing and footwear"; WKBW back-to-school 2025). A local change takes effect
  -- on the first day of a sales tax quarter: 2012-12-01 is read as the first day without it
  -- (doubt: 2013-03-01 if the county gave the later date)
  { name = "Madison County (outside the City of Oneida)", from = "2012-04-01", to = "2012-11-30",
    levels = "all", county = "MADISON", partial = true, zips = { "13035" } },  -- Cazenovia
  { name = "Tioga County", from = "2012-04-01", levels = "all", county = "TIOGA",
    partial = true, zips = { "13827" } },                      -- Owego
  { name = "Wayne County", from = "2012-04-01", levels = "all", county = "WAYNE",
    partial = true, zips = { "14513" } },                      -- Newark
}

-- ZIP index built once per generation (module tables are per generation).
local by_zip = {}
for _, loc in ipairs(M.localities) do
  for _, z in ipairs(loc.zips or {}) do
    by_zip[z] = loc
  end
end

local function in_force(loc, date)
  return (loc.from == nil or date >= loc.from) and (loc.to == nil or date <= loc.to)
end

-- The locality (entry of M.localities) in force on `date` for a ship-to, or nil.
-- `taxes` (optional) are a line's tax entries: a county-level jurisdiction whose name
-- contains "<COUNTY> COUNTY" also matches (the bare name would catch towns such as Wayne in
-- Steuben County); Madison County does not cover the City of Oneida.
function M.find(ship_to, date, taxes)
  local zip = ship_to and ship_to.zip_code and string.sub(ship_to.zip_code, 1, 5)
  local loc = zip and by_zip[zip]
  if loc and in_force(loc, date) then
    return loc
  end
  for _, t in ipairs(taxes or {}) do
    if t.level == "county" and type(t.jurisdiction) == "string" then
      local name = string.upper(t.jurisdiction)
      for _, l in ipairs(M.localities) do
        if l.county and in_force(l, date) and string.find(name, l.county .. " COUNTY", 1, true)
           and not (l.county == "MADISON" and (string.find(name, "ONEIDA", 1, true) or zip == "13421")) then
          return l
        end
      end
    end
  end
  return nil
end

-- True when `level` is exempted by the locality.
function M.exempts(loc, level)
  if loc.levels == "all" then
    return true
  end
  for _, l in ipairs(loc.levels) do
    if l == level then
      return true
    end
  end
  return false
end

return M
