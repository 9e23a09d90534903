-- Unit check of scripts/_lib/local_tax.lua `locate` (issue 19, one mechanism for split ZIPs):
-- with boundary data (ctx.resolution, ctx.jurisdictions, ctx.zip_candidates) the city's place
-- code decides; without it the hand lists do. End to end: reliab_address_precision (step 5).
--
--   lua5.4 tests/lua/rules/local_tax_locate.lua [scripts_dir]
local SCRIPTS = arg[1] or "scripts"
package.path = SCRIPTS .. "/?.lua;" .. package.path
local lt = require "_lib.local_tax"

local spec = { city = "CHICAGO", place_code = "1714000", zips = { "60601" }, partial_zips = { "60018" } }
local IN = { { jurisdiction = "ILLINOIS", authority_code = "17" }, { jurisdiction = "CHICAGO", authority_code = "1714000" } }
local OUT = { { jurisdiction = "ILLINOIS", authority_code = "17" }, { jurisdiction = "DES PLAINES", authority_code = "1719642" } }
local function to(zip, city) return { zip_code = zip, city = city } end

local cases = {
  -- no boundary data: the hand lists
  { to("60601"), nil, "charge" },
  { to("60018"), nil, "uncertain" },
  { to("60018", "Chicago"), nil, "charge_uncertain" },
  { to("60018", "Des Plaines"), nil, "uncertain_other_city" },
  { to("62701"), nil, "outside" },
  { to("60018"), { resolution = "zip5" }, "uncertain" },
  -- a located ZIP+4 / address: in or out, whatever the lists or the city name say
  { to("60018-1050"), { resolution = "zip4", jurisdictions = IN }, "charge" },
  { to("60018-2050"), { resolution = "zip4", jurisdictions = OUT }, "outside" },
  { to("60601-0001", "Chicago"), { resolution = "address", jurisdictions = OUT }, "outside" },
  { to("60018-1050", "Des Plaines"), { resolution = "zip4", jurisdictions = IN }, "charge" },
  -- a ZIP5 whose sets the boundary records list
  { to("60018"), { resolution = "zip5", zip_candidates = { { jurisdictions = IN }, { jurisdictions = OUT } } }, "uncertain" },
  { to("60018", "Chicago"), { resolution = "zip5", zip_candidates = { { jurisdictions = IN }, { jurisdictions = OUT } } }, "charge_uncertain" },
  { to("60018"), { resolution = "zip5", zip_candidates = { { jurisdictions = IN } } }, "charge" },
  { to("60601"), { resolution = "zip5", zip_candidates = { { jurisdictions = OUT } } }, "outside" },
  { to("60601", "Chicago"), { resolution = "zip5", zip_candidates = { { jurisdictions = OUT } } }, "uncertain_zip_outside" },
  { to("60018", "Evanston"), { resolution = "zip5", zip_candidates = { { jurisdictions = IN } } }, "uncertain_other_city" },
}
local bad = 0
for i, c in ipairs(cases) do
  local got = lt.locate(spec, c[1], c[2])
  if got ~= c[3] then
    bad = bad + 1
    print(("FAIL case %d (%s, %s): %s, want %s"):format(i, c[1].zip_code, tostring(c[1].city), got, c[3]))
  end
end
-- a spec without place_code ignores the boundary data
local nocode = { city = "CHICAGO", zips = { "60601" }, partial_zips = {} }
if lt.locate(nocode, to("60601"), { resolution = "zip4", jurisdictions = OUT }) ~= "charge" then
  bad = bad + 1
  print("FAIL spec without place_code")
end
print(("%d passed, %d failed"):format(#cases + 1 - bad, bad))
os.exit(bad == 0 and 0 or 1)
