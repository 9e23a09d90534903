-- Reference check of the rule scripts' self-tests, independent of the C engine.
--
--   lua5.4 tests/lua/rules/check_rules.lua [scripts_dir] [data_dir]
--
-- It re-implements, in exact integer arithmetic, the engine semantics of docs/rules.md
-- (treatments, calculate(ctx), per-jurisdiction half-up rounding, unit caps, inclusive
-- carve-out, reverse charge, calculate_for/calculate_before, a region's out_of_scope) with
-- the shipped US ZIP5 tables, the engine's EU (ibericode) and national rate files and a small
-- table of the Canadian rates, then runs every selftest of every rule file. It exists so rule
-- authors can check their expectations before `levy check` is available; `levy check`
-- (the real engine) stays the authority. Exit 0 when all pass, 1 otherwise.
local SCRIPTS = arg[1] or "scripts"
local function exists(p) local f = io.open(p, "r"); if f then f:close(); return true end; return false end
local DATA = arg[2] or os.getenv("LEVY_RULES_DATA")
if DATA == nil then
  for _, d in ipairs({ "data", "/work/shared/data" }) do
    if exists(d .. "/us/avalara-zip5-2025-12/TAXRATES_ZIP5_TX202512.csv") then DATA = d; break end
  end
end
if DATA == nil then
  print("SKIP: no US ZIP5 rate tables found (pass the data dir as the 2nd argument)")
  os.exit(77)
end

-- The product taxonomy's parents (docs/rules.md section 2a), read from the one list levy has,
-- core/tax/codes.c: each entry {"code", "name", "description", "parent" | NULL}.
local TAX_CODE_PARENT = {}
do
  local f = io.open(SCRIPTS .. "/../core/tax/codes.c", "r")
  if f then
    local text = f:read("a"); f:close()
    local list = text:match("levy_tax_codes%[%]%s*=%s*(%b{})") or ""
    for entry in list:sub(2, -2):gmatch("%b{}") do
      local code = entry:match('^{%s*"([%w_]+)"')
      local parent = entry:match('"([%w_]+)"%s*}$')
      if code and parent and parent ~= code and not entry:match("NULL%s*}$") then
        TAX_CODE_PARENT[code] = parent
      end
    end
  end
end

---------------------------------------------------------------------------------------------
-- Exact decimals: { n = integer numerator, s = scale } meaning n / 10^s. No floats.
local function dec(str)
  assert(type(str) == "string", "decimal string expected, got " .. type(str))
  local sign, int, frac = string.match(str, "^(%-?)(%d+)%.?(%d*)$")
  assert(int, "bad decimal: " .. str)
  local n = math.tointeger(tonumber(int .. frac))   -- integer digits only, never a float
  assert(n, "too large: " .. str)
  if sign == "-" then n = -n end
  return { n = n, s = #frac }
end
local function pow10(k) local r = 1; for _ = 1, k do r = r * 10 end; return r end
local function rescale(d, s) return d.n * pow10(s - d.s) end
local function cmp(a, b)
  a, b = dec(a), dec(b)
  local s = math.max(a.s, b.s)
  local x, y = rescale(a, s), rescale(b, s)
  return x < y and -1 or (x > y and 1 or 0)
end
local function cents_str(c, exp)
  exp = exp or 2
  local neg = c < 0; if neg then c = -c end
  local s = tostring(c)
  if exp == 0 then return (neg and "-" or "") .. s end
  while #s <= exp do s = "0" .. s end
  return (neg and "-" or "") .. string.sub(s, 1, #s - exp) .. "." .. string.sub(s, #s - exp + 1)
end
-- round_half_up(num / den) for num >= 0, den > 0
local function div_half_up(num, den) return (2 * num + den) // (2 * den) end
local function minor(str, exp) local d = dec(str); return div_half_up(rescale(d, d.s) * pow10(exp), pow10(d.s)) end

local money = {
  cmp = cmp,
  is_decimal = function(s) return type(s) == "string" and string.match(s, "^%-?%d+%.?%d*$") ~= nil end,
}

---------------------------------------------------------------------------------------------
-- Rate data
local function read_lines(path)
  local f = assert(io.open(path, "r"))
  local t = {}
  for l in f:lines() do t[#t + 1] = l end
  f:close()
  return t
end
local zip_rows = {}
local function zip_table(state)
  if zip_rows[state] ~= nil then return zip_rows[state] end
  local rows = {}
  local ok, lines = pcall(read_lines, DATA .. "/us/avalara-zip5-2025-12/TAXRATES_ZIP5_" .. state .. "202512.csv")
  if ok then
    local hdr = {}
    for i, l in ipairs(lines) do
      local cols = {}
      for c in string.gmatch(l .. ",", "([^,]*),") do cols[#cols + 1] = c end
      if i == 1 then
        for j, c in ipairs(cols) do hdr[c] = j end
      else
        rows[cols[hdr.ZipCode]] = {
          name = cols[hdr.TaxRegionName],
          state = cols[hdr.StateRate], county = cols[hdr.EstimatedCountyRate],
          city = cols[hdr.EstimatedCityRate], district = cols[hdr.EstimatedSpecialRate],
          combined = cols[hdr.EstimatedCombinedRate],
        }
      end
    end
  end
  zip_rows[state] = rows
  return rows
end
-- fraction "0.062500" -> percent string "6.25"
local function pct_of_fraction(f)
  local d = dec(f)
  local s = d.s - 2
  if s < 0 then return tostring(d.n * pow10(-s)) end
  local n = d.n
  while s > 0 and n % 10 == 0 do n = n // 10; s = s - 1 end
  return cents_str(n, s)
end

-- Rate overlays on the ZIP rows (the engine's data/us/overlays.csv: state, zip_from, zip_to,
-- level, jurisdiction, op add|set, rate_pct, effective_from, effective_to, ...).
local OVERLAYS = {}
do
  local path = os.getenv("LEVY_RULES_OVERLAYS")
  if path == nil then
    for _, d in ipairs({ DATA, "data" }) do
      if exists(d .. "/us/overlays.csv") then path = d .. "/us/overlays.csv"; break end
    end
  end
  if path then
    for i, l in ipairs(read_lines(path)) do
      if i > 1 and l ~= "" then
        local c = {}
        for v in string.gmatch(l .. ",", "([^,]*),") do c[#c + 1] = v end
        OVERLAYS[#OVERLAYS + 1] = { st = c[1], zf = c[2], zt = c[3], level = c[4], name = c[5], op = c[6],
                                    pct = c[7], from = c[8], to = (c[9] ~= "" and c[9] or "9999-12-31") }
      end
    end
  end
end

-- EU VAT: read from the engine's data/intl/ibericode-vat-rates.json (core/tax/rates.c
-- load_ibericode): per member state its periods newest first, the one whose effective_from is
-- on or before the date applies; "reduced" is the rate named reduced, else reduced1
-- (rates.c levy_rates_vat_key). VAT[cc] = { { from, standard, reduced }, ... } newest first.
local function json_decode(text)
  local pos = 1
  local function ws() pos = string.find(text, "[^ \t\r\n]", pos) or #text + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = string.sub(text, i, i)
      if c == '"' then pos = i + 1; return table.concat(out) end
      if c == "\\" then
        local e = string.sub(text, i + 1, i + 1)
        if e == "u" then
          local cp = tonumber(string.sub(text, i + 2, i + 5), 16)
          out[#out + 1] = utf8.char(cp); i = i + 6
        else
          out[#out + 1] = ({ n = "\n", t = "\t", r = "\r", b = "\b", f = "\f" })[e] or e; i = i + 2
        end
      elseif c == "" then error("json: unterminated string")
      else out[#out + 1] = c; i = i + 1 end
    end
  end
  function value()
    ws()
    local c = string.sub(text, pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1; ws()
      if string.sub(text, pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws(); local k = str(); ws()
        assert(string.sub(text, pos, pos) == ":", "json: ':' expected"); pos = pos + 1
        t[k] = value(); ws()
        local d = string.sub(text, pos, pos); pos = pos + 1
        if d == "}" then return t end
        assert(d == ",", "json: ',' expected")
      end
    elseif c == "[" then
      local t = {}
      pos = pos + 1; ws()
      if string.sub(text, pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        t[#t + 1] = value(); ws()
        local d = string.sub(text, pos, pos); pos = pos + 1
        if d == "]" then return t end
        assert(d == ",", "json: ',' expected")
      end
    elseif c == '"' then return str()
    else
      local lit = string.match(text, "^[%w%.%+%-]+", pos)
      assert(lit, "json: value expected at " .. pos)
      pos = pos + #lit
      if lit == "true" then return true elseif lit == "false" then return false
      elseif lit == "null" then return nil end
      return lit -- numbers stay decimal strings: money and rates exact
    end
  end
  return value()
end
local VAT = {}
do
  local path
  for _, d in ipairs({ DATA, "data" }) do
    if d and exists(d .. "/intl/ibericode-vat-rates.json") then path = d .. "/intl/ibericode-vat-rates.json"; break end
  end
  assert(path, "data/intl/ibericode-vat-rates.json not found")
  local f = assert(io.open(path, "r"))
  local doc = json_decode(f:read("a"))
  f:close()
  -- the EU-27 (rates.c eu_members; "EL" is Greece): the file's GB is not used, the UK's VAT
  -- is national (data/intl/national.csv)
  local EU27 = {}
  for c in string.gmatch("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK", "%u%u") do
    EU27[c] = true
  end
  for cc, periods in pairs(doc.items) do
    if cc == "EL" then cc = "GR" end
    local rows = {}
    for _, p in ipairs(periods) do
      rows[#rows + 1] = { p.effective_from, p.rates.standard, p.rates.reduced or p.rates.reduced1 }
    end
    table.sort(rows, function(x, y) return x[1] > y[1] end)
    if EU27[cc] then VAT[cc] = rows end
  end
end
-- National rates (GB AU NZ CH NO SG JP IN and the digital-services countries MX ZA KR TR SA AE
-- IS CL CO MY TH ID PH TW KE NG EG IL): read from the engine's data/intl/national.csv (country,
-- region, tax_type, jurisdiction, rate_key, rate_pct, effective_from, effective_to, source), so
-- a dated change there is seen here on the same dates. NATIONAL[cc] = list of rows.
local NATIONAL = {}
do
  local path
  for _, d in ipairs({ DATA, "data" }) do
    if d and exists(d .. "/intl/national.csv") then path = d .. "/intl/national.csv"; break end
  end
  assert(path, "data/intl/national.csv not found")
  for i, l in ipairs(read_lines(path)) do
    if i > 1 and l ~= "" then
      local c = {}
      for v in string.gmatch(l .. ",", "([^,]*),") do c[#c + 1] = v end
      local rows = NATIONAL[c[1]] or {}
      NATIONAL[c[1]] = rows
      rows[#rows + 1] = { type = c[3], key = c[5], pct = c[6], from = c[7],
                          to = (c[8] ~= "" and c[8] or "9999-12-31") }
    end
  end
end
local function national_at(cc, date)
  local std, reduced, ty
  for _, r in ipairs(NATIONAL[cc] or {}) do
    if date >= r.from and date <= r.to then
      if r.key == "standard" then std, ty = r.pct, r.type end
      if r.key == "reduced" or (r.key == "reduced1" and reduced == nil) then reduced = r.pct end
    end
  end
  return ty, std, reduced
end
local CA_FED = { AB = "5", ON = "13", NB = "15", NL = "15", PE = "15", BC = "5", MB = "5", SK = "5", QC = "5" }
local CA_PROV = { BC = { "PST", "7" }, MB = { "PST", "7" }, SK = { "PST", "6" }, QC = { "QST", "9.975" } }
local CURRENCY_EXP = { JPY = 0, KRW = 0, ISK = 0, CLP = 0 }   -- others: 2 (core/money.c)

-- California: a ship-to city found in CDTFA's table (Type "City", rate >= 7.25%) wins over the
-- ZIP row, split as the engine does: state 6, county 0.25, city 1, district = rate - 7.25.
-- Which vintage wins (issue 19): CDTFA's file "SalesTaxRates1-1-26" takes effect 2026-01-01,
-- after the ZIP table's December 2025; from that date its rate for the city the ZIP table names
-- wins over the ZIP row, before it the ZIP row does (also for a ship_to.city naming that city).
local CDTFA, CDTFA_COUNTY
local CDTFA_FROM = "2026-01-01"
local function cdtfa_city(city)
  if CDTFA == nil then
    CDTFA, CDTFA_COUNTY = {}, {}
    local ok, lines = pcall(read_lines, DATA .. "/us/cdtfa-2026-01/SalesTaxRates1-1-26.csv")
    if ok then
      for i, l in ipairs(lines) do
        local c = {}
        for v in string.gmatch(l .. ",", "([^,]*),") do c[#c + 1] = v end
        if i > 1 and c[5] == "City" and c[3] and string.match(c[3], "^%d") then
          CDTFA[string.upper(c[1])] = c[3]
        elseif i > 1 and c[5] == "County" and c[3] and string.match(c[3], "^%d") then
          CDTFA_COUNTY[string.upper(c[1])] = c[3]
        end
      end
    end
  end
  return city and CDTFA[string.upper(city)]
end
local function sub_pct(a, b)          -- a - b for percent strings, exact
  local x, y = dec(a), dec(b)
  local sc = math.max(x.s, y.s)
  return cents_str(rescale(x, sc) - rescale(y, sc), sc)
end

-- Partial-ZIP districts (issue 19, docs/rules.md section 5), re-implemented from the text: a
-- ZIP-table region named after a CID / TDD / business district ... (outside California) is
-- charged the special rate outside the district: the region its leading words name (same
-- county and city rates, a plain name, a lower special rate), else the lowest special rate of
-- the plain-named rows sharing a county with the ZIP at the same county rate; only when the
-- district's part is above 0 and at most 2 %. When the city's lowest is more than 2 % below
-- (layered districts: Kansas City's "1200 MAIN TL"), the city's lowest within 2 % is taken.
local function later_word(n, codes)
  local first = true
  for w in string.gmatch(n, "[^ /]+") do
    if not first then for _, c in ipairs(codes) do if w == c then return true end end end
    first = false
  end
  return false
end
local function district_named(n)
  for _, w in ipairs({ " ZONE", " DISTRICT", " AUTHORITY", " IMPROVEMENT", " TOURISM", " TRANSIT",
                       " CONVENTION", " STADIUM", " ENHANCEMENT", " EXPOSITION" }) do
    if string.find(n, w, 1, true) then return true end
  end
  -- (the engine's district_name splits words at spaces only)
  local first = true
  for w in string.gmatch(n, "[^ ]+") do
    if not first then
      for _, c in ipairs({ "SP", "TDZ", "CID", "TDD", "TMD", "TOT", "BIA", "CTD", "TPA", "MTA", "RTA", "CO" }) do
        if w == c then return true end
      end
    end
    first = false
  end
  return false
end
local function partial_named(n)
  for _, w in ipairs({ "COMMUNITY IMPROVEMENT", "TRANSPORTATION DEVELOPMENT", "BUSINESS DISTRICT",
                       "BUSINESS DEVELOPMENT", "BUSINESS DIST", "BUS DIST", "METROPOLITAN DISTRICT",
                       "DEVELOPMENT ZONE", "COM DEV" }) do
    if string.find(n, w, 1, true) then return true end
  end
  return later_word(n, { "CID", "TDD", "TDZ", "BD", "BDD", "EDD", "LID", "TL" })
end
local function plain_named(n) return not district_named(n) and not partial_named(n) end
local ZIP_COUNTIES
local function zip_counties(st, zip)
  if ZIP_COUNTIES == nil then
    ZIP_COUNTIES = {}
    local ok, lines = pcall(read_lines, DATA .. "/us/census-fips/zip-county-2017q2.csv")
    if ok then
      for i, l in ipairs(lines) do
        local z, s2, c = l:match("^(%d+),(%u%u),(%d+)")
        if i > 1 and z then
          local k = s2 .. z
          ZIP_COUNTIES[k] = ZIP_COUNTIES[k] or {}
          ZIP_COUNTIES[k][c] = true
        end
      end
    end
  end
  return ZIP_COUNTIES[st .. zip] or {}
end
local function share_county(st, z1, z2)
  local a = zip_counties(st, z1)
  for c in pairs(zip_counties(st, z2)) do if a[c] then return true end end
  return false
end
local function micro(f) return rescale(dec(f), 6) end  -- a fraction "0.026250" in 10^-6
local function district_base(st, zip, row)
  if st == "CA" or micro(row.district) <= 0 or not partial_named(row.name) then return nil end
  local sp, base = micro(row.district), nil
  local pre = row.name
  while base == nil do
    local shorter = pre:match("^(.*)[ /][^ /]*$")
    if shorter == nil then break end
    pre = shorter:gsub("[ /]+$", "")
    local capped -- the lowest of them within the cap: used when the lowest is too far below
    for _, r in pairs(zip_table(st)) do
      if r.name == pre and plain_named(r.name) and micro(r.county) == micro(row.county)
          and micro(r.city) == micro(row.city) and micro(r.district) < sp then
        base = math.min(base or math.maxinteger, micro(r.district))
        if sp - micro(r.district) <= 20000 then
          capped = math.min(capped or math.maxinteger, micro(r.district))
        end
      end
    end
    if base ~= nil and sp - base > 20000 and capped ~= nil then base = capped end
  end
  if base == nil then
    for z, r in pairs(zip_table(st)) do
      if plain_named(r.name) and micro(r.county) == micro(row.county) and share_county(st, zip, z) then
        base = math.min(base or math.maxinteger, micro(r.district))
      end
    end
  end
  if base ~= nil and base < sp and sp - base <= 20000 then return base end
  return nil
end
-- ship_to.city naming another place than the district's: that place's rows in a county shared
-- with the ZIP, at the same county rate (plain: their special; district-named: outside it)
local function district_city(st, zip, row, city)
  local c = city and string.upper(city)
  if c == nil or c == "" or row.name == c or row.name:sub(1, #c + 1) == c .. " "
      or row.name:sub(1, #c + 1) == c .. "/" then
    return nil
  end
  local got
  for z, r in pairs(zip_table(st)) do
    local sep = r.name:sub(#c + 1, #c + 1)
    if r.name:sub(1, #c) == c and (sep == "" or sep == " " or sep == "/")
        and micro(r.county) == micro(row.county) and share_county(st, zip, z) then
      local s
      if sep == "" and plain_named(r.name) then s = micro(r.district)
      else s = district_base(st, z, r) end
      if s ~= nil then
        if got and (got.city ~= micro(r.city) or got.special ~= s) then return nil end
        got = { city = micro(r.city), special = s }
      end
    end
  end
  if got == nil or got.city <= 0 then return nil end
  return got
end

-- The dated rows of data/us/overlays.csv on a US answer's taxes (data/README.md): returns true when
-- a row says levy has no rate of a level for the date (the note rate_history_unknown)
local function apply_overlays(st, zip5, date, taxes)
  local history_unknown = false
  for _, o in ipairs(OVERLAYS) do
    if o.st == st and zip5 >= o.zf and zip5 <= o.zt and date >= o.from and date <= o.to then
      local done = false
      if o.op == "name" then -- names the district of that rate; no rate changes (data/README.md)
        for _, t in ipairs(taxes) do
          if t.level == o.level and cmp(t.percentage, o.pct) == 0 then t.jurisdiction = o.name end
        end
        done = true
      elseif o.op == "set" or o.op == "unknown" then -- unknown: a day levy has no rate for (the
        -- rate known from the next day, and the note rate_history_unknown: calc.c)
        for _, t in ipairs(taxes) do if t.level == o.level then t.percentage = o.pct; done = true; break end end
        if o.op == "unknown" then history_unknown = true end
      end
      if not done then
        taxes[#taxes + 1] = { jurisdiction = o.name, level = o.level, type = "SALES_TAX", percentage = o.pct, fraction = "1" }
      end
    end
  end
  return history_unknown
end

-- Returns { {region=, taxes={...}, reduced=} ... } (a ship-to may fall in two regions: CA + CA-QC).
local function resolve(req)
  local st = req.ship_to or {}
  local cc = st.country
  if cc == "EL" then cc = "GR" end
  if cc == "US" then
    local row = zip_table(st.state)[string.sub(st.zip_code or "", 1, 5)]
    assert(row, "unknown ZIP " .. tostring(st.zip_code))
    local taxes = {}
    local city_rate = st.state == "CA" and cdtfa_city(st.city)
    local city_name = st.city
    if st.state == "CA" then
      cdtfa_city(nil)
      local combined = pct_of_fraction(row.combined)
      local own = CDTFA[row.name]
      local own_county = CDTFA_COUNTY[row.name .. " COUNTY"]
      local own_differs = own ~= nil and cmp(own, combined) ~= 0
          and not (own_county ~= nil and cmp(own_county, combined) == 0)
      local newer = req.date >= CDTFA_FROM
      if city_rate and own_differs and string.upper(st.city) == row.name and not newer then
        city_rate = nil            -- the ZIP table's rate for the city, before CDTFA's file
      elseif not city_rate and own_differs and newer then
        city_rate, city_name = own, row.name
      end
    end
    if city_rate and cmp(city_rate, "7.25") >= 0 then
      taxes = {
        { jurisdiction = "CALIFORNIA", level = "state", type = "SALES_TAX", percentage = "6", fraction = "1" },
        { jurisdiction = "COUNTY", level = "county", type = "SALES_TAX", percentage = "0.25", fraction = "1" },
        { jurisdiction = city_name, level = "city", type = "SALES_TAX", percentage = "1", fraction = "1" },
      }
      if cmp(city_rate, "7.25") > 0 then
        taxes[4] = { jurisdiction = city_name .. " DISTRICT TAX", level = "district", type = "SALES_TAX",
                     percentage = sub_pct(city_rate, "7.25"), fraction = "1" }
      end
      -- dated rows (Proposition 30's state part, issue 19 law24) on the CDTFA answer too
      local unknown = apply_overlays("CA", string.sub(st.zip_code, 1, 5), req.date, taxes)
      return { { region = "US-CA", taxes = taxes, history_unknown = unknown } }
    end
    local zip5 = string.sub(st.zip_code, 1, 5)
    local rates = { state = row.state, county = row.county, city = row.city, district = row.district }
    local base = district_base(st.state, zip5, row)
    if base ~= nil then              -- a partial-ZIP district: outside it, or the place the city names
      local other = district_city(st.state, zip5, row, st.city)
      if other then
        rates.city, rates.district = cents_str(other.city, 6), cents_str(other.special, 6)
      else
        rates.district = cents_str(base, 6)
      end
    end
    for _, lv in ipairs({ "state", "county", "city", "district" }) do
      if cmp(rates[lv], "0") ~= 0 then
        taxes[#taxes + 1] = { jurisdiction = lv == "state" and st.state or row.name, level = lv,
                              type = "SALES_TAX", percentage = pct_of_fraction(rates[lv]), fraction = "1" }
      end
    end
    local history_unknown = apply_overlays(st.state, zip5, req.date, taxes)
    return { { region = "US-" .. st.state, taxes = taxes, history_unknown = history_unknown } }
  elseif cc == "CA" then
    local fed = CA_FED[st.state]
    if st.state == "NS" then fed = (req.date < "2025-04-01") and "15" or "14" end
    local out = { { region = "CA", taxes = { { jurisdiction = "CANADA", level = "country",
      type = (fed == "5") and "GST" or "HST", percentage = fed, fraction = "1" } } } }
    local p = CA_PROV[st.state]
    if p then
      out[2] = { region = "CA-" .. st.state, taxes = { { jurisdiction = st.state, level = "province",
        type = p[1], percentage = p[2], fraction = "1" } } }
    end
    return out
  elseif VAT[cc] then
    for _, period in ipairs(VAT[cc]) do
      if req.date >= period[1] then
        return { { region = "EU", reduced = period[3], taxes = { { jurisdiction = cc, level = "country",
          type = "VAT", percentage = period[2], fraction = "1", authority_code = cc } } } }
      end
    end
  elseif NATIONAL[cc] then
    local ty, std, reduced = national_at(cc, req.date)
    if std == nil then
      -- before the country's first standard rate: no tax, and the note rate_history_unknown
      -- (core/tax/calc.c, res.unknown_before; doubts26)
      local first
      for _, r in ipairs(NATIONAL[cc]) do
        if r.key == "standard" and (first == nil or r.from < first) then first = r.from end
      end
      return { { region = cc, taxes = {}, history_unknown = first ~= nil and req.date < first } }
    end
    return { { region = cc, reduced = reduced, taxes = { { jurisdiction = cc, level = "country",
      type = ty, percentage = std, fraction = "1" } } } }
  end
  error("no rates for " .. tostring(cc))
end

---------------------------------------------------------------------------------------------
-- Treatments (docs/rules.md §2)
local function copy(t) local r = {}; for k, v in pairs(t) do r[k] = v end; return r end
local function contains(list, x) for _, v in ipairs(list or {}) do if v == x then return true end end; return false end

local function apply(treat, line, taxes, reduced, ctype)
  if treat == nil then return taxes, "standard_rated" end -- an absent branch
  if treat == "taxable" then return taxes, "standard_rated" end
  -- decided after the other lines (follow_goods below)
  if treat == "follows_goods" or treat == "follows_goods_any" then return taxes, "standard_rated" end
  if treat == "exempt" then return {}, "product_exempt" end
  if treat == "zero_rated" then
    for _, t in ipairs(taxes) do t.percentage = "0" end
    return taxes, "zero_rated"
  end
  if treat == "reduced" or (type(treat) == "table" and treat.reduced) then
    if reduced == nil then return taxes, "standard_rated" end   -- no such rate: unchanged
    for _, t in ipairs(taxes) do t.percentage = reduced end
    return taxes, "reduced_rated"
  end
  assert(type(treat) == "table", "unknown treatment " .. tostring(treat))
  if treat.fraction then
    for _, t in ipairs(taxes) do t.fraction = treat.fraction end
    return taxes, "partially_taxable"
  end
  if treat.rate then
    -- as the engine (core/tax/calc.c LEVY_TREAT_RATE): the level's entries take the rate, the
    -- keep_levels keep theirs, the others go; a level the address does not have adds nothing
    -- (Virginia's grocery 1 % is the county's, or the independent city's where there is no county)
    local out = {}
    for _, t in ipairs(taxes) do
      if t.level == treat.level then t.percentage = treat.rate; out[#out + 1] = t
      elseif contains(treat.keep_levels, t.level) then out[#out + 1] = t end
    end
    return out, "reduced_rated"
  end
  if treat.exempt_levels then
    local out = {}
    for _, t in ipairs(taxes) do if not contains(treat.exempt_levels, t.level) then out[#out + 1] = t end end
    return out, "partially_taxable"
  end
  if treat.threshold then
    local unit = (treat.per == "line") and line.amount or line.unit_amount
    unit = (string.gsub(unit, "^%-", "")) -- a credit is decided as the sale it refunds
    local pick = cmp(unit, treat.threshold) < 0 and treat.below or treat.above
    return apply(pick, line, taxes, reduced, ctype)
  end
  -- { business =, individual = }: the customer's type (docs/rules.md); default business
  if treat.business ~= nil or treat.individual ~= nil then
    local pick
    if ctype == "individual" then pick = treat.individual else pick = treat.business end
    return apply(pick, line, taxes, reduced, ctype)
  end
  error("unknown treatment table")
end

local function unit_amount(amount, qty)
  local a, q = dec(amount), dec(qty)
  -- amount / qty exactly (the self-tests use exact unit prices)
  local num, den = a.n * pow10(q.s), q.n * pow10(a.s)
  local s = 0
  while num % den ~= 0 and s < 6 do num = num * 10; s = s + 1 end
  assert(num % den == 0, "inexact unit price")
  return cents_str(num // den, s)
end

-- Tax of one entry in minor units, as a rational (num, den) before rounding.
local function entry_taxable(line, t)
  -- taxable base (in minor units * 10^k) = fraction * quantity * (min(unit,to) - from)+
  local amount = dec(line.amount)
  local base_n, base_s = amount.n, amount.s
  if t.unit_from or t.unit_to then
    local unit = dec(line.unit_amount)
    local s = unit.s
    local u = unit.n
    if t.unit_to then local to = dec(t.unit_to); local ss = math.max(s, to.s); u = math.min(u * pow10(ss - s), rescale(to, ss)); s = ss end
    local from = 0
    if t.unit_from then local f = dec(t.unit_from); local ss = math.max(s, f.s); u = u * pow10(ss - s); from = rescale(f, ss); s = ss end
    local per = math.max(u - from, 0)
    local q = dec(line.quantity)
    base_n, base_s = per * q.n, s + q.s
  end
  local f = dec(t.fraction or "1")
  return base_n * f.n, base_s + f.s
end

local function has_caps(line)
  for _, t in ipairs(line.taxes) do if t.unit_from or t.unit_to then return true end end
  return false
end

-- Inclusive line with unit caps (docs/rules.md section 5), gross >= 0 in minor units. Solved
-- independently of the engine's segment method: with G(x) = x + tax(x) increasing, the net
-- rounded half up is the smallest integer n with G(n + 1/2) > gross (bisection). Then
-- tax = gross - net split by largest remainder over each entry's exact amount at that net.
local function inclusive_capped(line, exp, gross)
  local q = dec(line.quantity)
  local ps, fs = 0, 0
  for _, t in ipairs(line.taxes) do
    ps = math.max(ps, dec(t.percentage).s); fs = math.max(fs, dec(t.fraction or "1").s)
  end
  -- exact tax of each entry at the net xn / 2 minor units, numerators over
  -- den = 2 * 10^qs * 10^fs * 10^ps * 100 (minor units)
  local den = 2 * pow10(q.s) * pow10(fs) * pow10(ps) * 100
  local function shares(xn)
    local out, base = {}, {}
    local X = xn * pow10(q.s)                          -- x in 1 / (2 * 10^qs)
    for i, t in ipairs(line.taxes) do
      local b = X
      if t.unit_from or t.unit_to then
        local top = X
        if t.unit_to then top = math.min(X, minor(t.unit_to, exp) * q.n * 2) end
        local from = t.unit_from and minor(t.unit_from, exp) * q.n * 2 or 0
        b = math.max(top - from, 0)
      end
      local f, p = dec(t.fraction or "1"), dec(t.percentage)
      base[i] = b * rescale(f, fs)                      -- taxable over 2 * 10^qs * 10^fs
      out[i] = base[i] * rescale(p, ps)
    end
    return out, base
  end
  local function G_above(n)                             -- G(n + 1/2) > gross ?
    local sh = shares(2 * n + 1)
    local t = 0
    for _, v in ipairs(sh) do t = t + v end
    return (2 * n + 1) * (den // 2) + t > gross * den
  end
  local lo, hi = 0, gross                               -- G(gross + 1/2) > gross
  while lo < hi do
    local mid = (lo + hi) // 2
    if G_above(mid) then hi = mid else lo = mid + 1 end
  end
  local net = lo
  local tax = gross - net
  local ex, base = shares(2 * net)
  local amounts, rem, given = {}, {}, 0
  for i, v in ipairs(ex) do
    amounts[i] = v // den; rem[i] = v % den; given = given + amounts[i]
  end
  while given < tax do
    local best = 1
    for i = 2, #rem do if rem[i] > rem[best] then best = i end end
    amounts[best] = amounts[best] + 1; rem[best] = -1; given = given + 1
  end
  local taxables = {}
  for i in ipairs(line.taxes) do taxables[i] = div_half_up(base[i], 2 * pow10(q.s) * pow10(fs)) end
  return amounts, net, taxables
end

local function compute_pos(line, exp)
  local sum_pct_n, sum_pct_s = 0, 8
  local results, taxables = {}, {}
  if line.tax_inclusive and has_caps(line) then
    return inclusive_capped(line, exp, minor(line.amount, exp))
  end
  if line.tax_inclusive then
    -- net = gross * 100 / (100 + sum(pct * fraction)), tax split by largest remainder
    for _, t in ipairs(line.taxes) do
      local p, f = dec(t.percentage), dec(t.fraction or "1")
      sum_pct_n = sum_pct_n + p.n * f.n * pow10(sum_pct_s - p.s - f.s)
    end
    local gross = minor(line.amount, exp)
    local net = div_half_up(gross * 100 * pow10(sum_pct_s), 100 * pow10(sum_pct_s) + sum_pct_n)
    local tax = gross - net
    local shares, rem, given = {}, {}, 0
    for i, t in ipairs(line.taxes) do
      local p, f = dec(t.percentage), dec(t.fraction or "1")
      local w = p.n * f.n * pow10(sum_pct_s - p.s - f.s)
      shares[i] = (sum_pct_n > 0) and (tax * w) // sum_pct_n or 0
      rem[i] = (sum_pct_n > 0) and (tax * w) % sum_pct_n or 0
      given = given + shares[i]
      taxables[i] = div_half_up(net * f.n, pow10(f.s))
    end
    while given < tax do
      local best = 1
      for i = 2, #rem do if rem[i] > rem[best] then best = i end end
      shares[best] = shares[best] + 1; rem[best] = -1; given = given + 1
    end
    for i in ipairs(line.taxes) do results[i] = shares[i] end
    return results, net, taxables
  end
  for i, t in ipairs(line.taxes) do
    local bn, bs = entry_taxable(line, t)
    local p = dec(t.percentage)
    -- amount = bn/10^bs * p/10^ps / 100, in minor units * 10^exp
    results[i] = div_half_up(bn * p.n * pow10(exp), pow10(bs + p.s) * 100)
    taxables[i] = div_half_up(bn * pow10(exp), pow10(bs))
  end
  return results, minor(line.amount, exp), taxables
end

-- A credit (negative amount) mirrors the sale it refunds: computed on |amount|, negated.
local function compute(line, exp)
  if string.sub(line.amount, 1, 1) ~= "-" then return compute_pos(line, exp) end
  local pos = copy(line)
  pos.amount = string.sub(line.amount, 2)
  pos.unit_amount = (string.gsub(line.unit_amount, "^%-", ""))
  local r, net, tx = compute_pos(pos, exp)
  for i in ipairs(r) do r[i] = -r[i]; tx[i] = -tx[i] end
  return r, -net, tx
end

---------------------------------------------------------------------------------------------
-- levy.taxid, re-implemented for the countries the self-tests use (the engine's is
-- core/tax/taxid.c, with every EU state and the sources). A country without a reference here
-- raises, so a self-test never silently passes on a check this file does not make.
local taxid = {}
local taxid_usable
do
  local function digits(s, n) return #s == n and s:match("^%d+$") ~= nil end
  local function d(s, i) return string.byte(s, i) - 48 end
  local function wsum(s, w) local t = 0; for i = 1, #w do t = t + w[i] * d(s, i) end; return t end
  local function luhn(s)
    local t = 0
    for i = #s, 1, -1 do
      local v = d(s, i)
      if (#s - i) % 2 == 1 then v = v * 2; if v > 9 then v = v - 9 end end
      t = t + v
    end
    return t % 10 == 0
  end
  local checks = {
    DE = { "DE", function(s) -- ISO 7064 MOD 11,10
      if not digits(s, 9) or s:sub(1, 1) == "0" then return "invalid_format" end
      local p = 10
      for i = 1, 8 do local t = (d(s, i) + p) % 10; if t == 0 then t = 10 end; p = (2 * t) % 11 end
      return (11 - p) % 10 == d(s, 9) end },
    FR = { "FR", function(s)
      if #s ~= 11 or not digits(s:sub(3), 9) then return "invalid_format" end
      if not s:sub(1, 2):match("^%d%d$") then return true end
      local r = 0; for i = 3, 11 do r = (r * 10 + d(s, i)) % 97 end
      return luhn(s:sub(3)) and (12 + 3 * r) % 97 == tonumber(s:sub(1, 2)) end },
    GR = { "EL", function(s)
      if not digits(s, 9) then return "invalid_format" end
      local t = 0; for i = 1, 8 do t = (t + d(s, i)) * 2 end -- sum of d[i] * 2^(9-i)
      return t % 11 % 10 == d(s, 9) end },
    IE = { "IE", function(s)
      local n, c, x = s:match("^(%d%d%d%d%d%d%d)(%u)(%u?)$")
      if not n then return "invalid_format" end
      local t = 0; for i = 1, 7 do t = t + (9 - i) * d(n, i) end
      if x ~= "" then t = t + 9 * (x == "W" and 0 or string.byte(x) - 64) end
      return ("WABCDEFGHIJKLMNOPQRSTUV"):sub(t % 23 + 1, t % 23 + 1) == c end },
    GB = { "GB", function(s)
      if not (digits(s, 9) or digits(s, 12)) then return "invalid_format" end
      local t = wsum(s, { 8, 7, 6, 5, 4, 3, 2 }) + tonumber(s:sub(8, 9))
      return t % 97 == 0 or ((t + 55) % 97 == 0 and tonumber(s:sub(1, 3)) >= 100) end },
    CH = { "CHE", function(s)
      s = s:gsub("MWST$", ""):gsub("TVA$", ""):gsub("IVA$", "")
      if not digits(s, 9) then return "invalid_format" end
      local c = 11 - wsum(s, { 5, 4, 3, 2, 7, 6, 5, 4 }) % 11
      return (c == 11 and 0 or c) == d(s, 9) end },
    NO = { "NO", function(s)
      s = s:gsub("MVA$", "")
      if not digits(s, 9) then return "invalid_format" end
      local c = 11 - wsum(s, { 3, 2, 7, 6, 5, 4, 3, 2 }) % 11
      return (c == 11 and 0 or c) == d(s, 9) end },
    AU = { nil, function(s)
      if not digits(s, 11) then return "invalid_format" end
      return (wsum(s, { 10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 }) - 10) % 89 == 0 end },
    NZ = { nil, function(s)
      if not (digits(s, 8) or digits(s, 9)) then return "invalid_format" end
      local base = ("0"):rep(9 - #s) .. s:sub(1, -2)
      local r = wsum(base, { 3, 2, 7, 6, 5, 4, 3, 2 }) % 11
      local c = r == 0 and 0 or 11 - r
      if c == 10 then r = wsum(base, { 7, 4, 3, 2, 5, 2, 7, 6 }) % 11; c = r == 0 and 0 or 11 - r end
      return c ~= 10 and c == d(s, #s) end },
    IN = { nil, function(s)
      if not s:match("^%d%d%u%u%u%u%u%d%d%d%d%u[1-9A-Z]Z[0-9A-Z]$") then return "invalid_format" end
      local A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
      local t = 0
      for i = 1, 14 do
        local v = (A:find(s:sub(i, i), 1, true) - 1) * (i % 2 == 0 and 2 or 1)
        t = t + v // 36 + v % 36
      end
      local c = (36 - t % 36) % 36
      return A:sub(c + 1, c + 1) == s:sub(15, 15) end },
    -- CA: Business Number, 9 digits with a Luhn check digit, optionally the GST/HST program
    -- account "RT" + 4 digits (CRA); a Quebec QST number (10 digits TQ 4 digits) by format only
    CA = { nil, function(s)
      if s:match("^%d%d%d%d%d%d%d%d%d%d" .. "TQ%d%d%d%d$") then return true end
      local bn = s:match("^(%d%d%d%d%d%d%d%d%d)RT%d%d%d%d$") or (digits(s, 9) and s)
      if not bn then return "invalid_format" end
      return luhn(bn) end },
    SG = { nil, function(s) return s:match("^M%d%d%d%d%d%d%d%d%u$") ~= nil or "invalid_format" end },
    -- JP: a corporate number (13 digits, check digit first: 9 - sum of the base's digits from
    -- its last, weights 1,2, mod 9; MOF Ordinance No. 70 of 2014 art. 2), or T + 13 digits: a
    -- company's T-number is T + its corporate number; one that fails the check may be a sole
    -- proprietor's (no published check digit): valid by its format
    JP = { nil, function(s)
      local function corp(n)
        local t = 0
        for k = 1, 12 do t = t + d(n, 14 - k) * (k % 2 == 1 and 1 or 2) end
        return 9 - t % 9 == d(n, 1)
      end
      if digits(s, 13) then
        if s:sub(1, 1) == "0" then return "invalid_format" end
        return corp(s)
      end
      return s:match("^T%d+$") ~= nil and #s == 14 or "invalid_format" end },
    -- issue 19, the 18 countries of the new rules (core/tax/taxid.c names the sources); a
    -- number without a published check digit is judged by its format only
    MX = { nil, function(s) -- RFC: 3 (company) or 4 letters (A-Z & Ñ), YYMMDD, 3-char homoclave
      s = s:gsub("\195\177", "#"):gsub("\195\145", "#") -- ñ Ñ: one letter
      local l = s:match("^([%u&#][%u&#][%u&#][%u&#]?)%d%d%d%d%d%d[%u%d][%u%d][%u%d]$")
      if not l then return "invalid_format" end
      local words = "BUEI BUEY CACA CACO CAGA CAGO CAKA CAKO COGE COJA COJE COJI COJO CULO FETO GUEY JOTO "
        .. "KACA KACO KAGA KAGO KAKA KOGE KOJO KULO MAME MAMO MEAR MEAS MEON MION MOCO MULA PEDA PEDO "
        .. "PENE PUTA PUTO QULO RATA RUIN"
      if #l == 4 and words:find(l, 1, true) then return "invalid_format" end
      local mm, dd = tonumber(s:sub(#l + 3, #l + 4)), tonumber(s:sub(#l + 5, #l + 6))
      local mdays = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
      if mm < 1 or mm > 12 or dd < 1 or dd > mdays[mm] then return "invalid_format" end
      if mm == 2 and dd == 29 and tonumber(s:sub(#l + 1, #l + 2)) % 4 ~= 0 then return "invalid_format" end
      return true end },
    ZA = { nil, function(s) return s:match("^4%d%d%d%d%d%d%d%d%d$") ~= nil or "invalid_format" end },
    KR = { nil, function(s) -- NTS check digit: weights 1,3,7,1,3,7,1,3,5 + floor(9th * 5 / 10)
      if not digits(s, 10) or s:sub(1, 3) < "101" or s:sub(4, 5) == "00" or s:sub(6, 9) == "0000" then
        return "invalid_format" end
      local t = wsum(s, { 1, 3, 7, 1, 3, 7, 1, 3, 5 }) + d(s, 9) * 5 // 10
      return (10 - t % 10) % 10 == d(s, 10) end },
    TR = { nil, function(s)
      if digits(s, 10) then -- VKN (Gelir Idaresi Baskanligi)
        local t = 0
        for i = 1, 9 do
          local c1 = (d(s, 10 - i) + i) % 10
          if c1 ~= 0 then local c2 = (c1 * (1 << i)) % 9; t = t + (c2 == 0 and 9 or c2) end
        end
        return (10 - t % 10) % 10 == d(s, 10)
      end
      if not digits(s, 11) or s:sub(1, 1) == "0" then return "invalid_format" end -- TCKN
      local odd, even = d(s, 1) + d(s, 3) + d(s, 5) + d(s, 7) + d(s, 9), d(s, 2) + d(s, 4) + d(s, 6) + d(s, 8)
      local c10 = (odd * 7 - even) % 10
      return c10 == d(s, 10) and (odd + even + c10) % 10 == d(s, 11) end },
    SA = { nil, function(s) return s:match("^3%d%d%d%d%d%d%d%d%d%d%d%d%d3$") ~= nil or "invalid_format" end },
    AE = { nil, function(s) return digits(s, 15) or "invalid_format" end },
    IS = { nil, function(s) return (digits(s, 5) or digits(s, 6)) or "invalid_format" end },
    CL = { nil, function(s) -- RUT, SII mod 11 (K = 10)
      local body, c = s:match("^(%d%d%d%d%d%d%d%d?)([%dK])$")
      if not body then return "invalid_format" end
      local t = 0
      for i = 0, #body - 1 do t = t + d(body, #body - i) * (2 + i % 6) end
      local r = 11 - t % 11
      return (r == 11 and "0" or r == 10 and "K" or tostring(r)) == c end },
    CO = { nil, function(s) -- NIT, DIAN prime weights
      if not s:match("^%d+$") or #s < 8 or #s > 16 then return "invalid_format" end
      local w = { 3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71 }
      local t = 0
      for i = 1, #s - 1 do t = t + w[i] * d(s, #s - i) end
      t = t % 11
      return (t < 2 and t or 11 - t) == d(s, #s) end },
    MY = { nil, function(s) -- SST number, SSM number or LHDN TIN (prefix + 8-12 digits)
      if s:match("^%u" .. ("%d"):rep(14) .. "$") or (digits(s, 12) and (s:sub(1, 2) == "19" or s:sub(1, 2) == "20")) then return true end
      for _, p in ipairs({ "CS", "FA", "PT", "TA", "TC", "TN", "TR", "TP", "LE", "IG", "C", "D", "E", "F", "J" }) do
        local rest = s:sub(#p + 1)
        if s:sub(1, #p) == p and #rest >= 8 and #rest <= 12 and rest:match("^%d+$") then return true end
      end
      return "invalid_format" end },
    TH = { nil, function(s)
      if not digits(s, 13) then return "invalid_format" end
      local t = 0; for i = 1, 12 do t = t + (14 - i) * d(s, i) end
      return (11 - t % 11) % 10 == d(s, 13) end },
    ID = { nil, function(s)
      if digits(s, 15) then return luhn(s:sub(1, 9)) end
      if not digits(s, 16) then return "invalid_format" end
      return s:sub(1, 1) ~= "0" or luhn(s:sub(1, 10)) end },
    PH = { nil, function(s) return (digits(s, 9) or digits(s, 12) or digits(s, 14)) or "invalid_format" end },
    TW = { nil, function(s) -- UBN, Ministry of Finance (sum divisible by 5 since 2023)
      if not digits(s, 8) then return "invalid_format" end
      local w, t = { 1, 2, 1, 2, 1, 2, 4, 1 }, 0
      for i = 1, 8 do local p = w[i] * d(s, i); t = t + p // 10 + p % 10 end
      return t % 5 == 0 or (t % 5 == 4 and s:sub(7, 7) == "7") end },
    KE = { nil, function(s) return s:match("^[AP]%d%d%d%d%d%d%d%d%d%u$") ~= nil or "invalid_format" end },
    NG = { nil, function(s) return (digits(s, 12) or digits(s, 10)) or "invalid_format" end },
    EG = { nil, function(s) return digits(s, 9) or "invalid_format" end },
    IL = { nil, function(s)
      if #s >= 5 and #s < 9 and s:match("^%d+$") then s = ("0"):rep(9 - #s) .. s end -- ID number
      if not digits(s, 9) then return "invalid_format" end
      return luhn(s) end },
  }
  local EU = { DE = true, FR = true, GR = true, IE = true }
  local function iso(c) c = c and c:upper(); return c == "EL" and "GR" or c end
  function taxid.check(country, id)
    local dest = iso(country)
    local s = id:upper():gsub("[%s%.%-/]", "")
    local cc = dest
    for k, v in pairs(checks) do -- another country's prefix names the number's country
      if v[1] and s:sub(1, #v[1]) == v[1] then cc = k; s = s:sub(#v[1] + 1); break end
    end
    local c = checks[cc]
    if not c then -- like core/tax/taxid.c: a country without a format is not judged
      return { status = "unknown_country", valid = false, country = cc, eu = false }
    end
    local ok = c[2](s)
    local st = ok == true and "valid" or (ok == "invalid_format" and ok or "invalid_checksum")
    return { status = st, valid = st == "valid", country = cc, eu = EU[cc] or false }
  end
  function taxid.same_country(a, b) return a ~= nil and iso(a) == iso(b) end
  -- levy_taxid_usable (core/tax/taxid.c), asked by the declared reverse charge; not in levy.taxid
  function taxid_usable(dest, id, opts)
    local r = taxid.check(dest, id)
    local ok = r.status == "unknown_country"
      or (r.valid and (taxid.same_country(r.country, dest) or (opts and opts.eu and r.eu)) or false)
    return ok, (not ok) and ("customer.tax_id is not a valid " .. tostring(iso(dest)) .. " tax id") or nil, r
  end
end

---------------------------------------------------------------------------------------------
-- Loading rules
local function load_rule(path)
  local dir = string.match(path, "^(.*)/[^/]*$")
  local cache = {}
  -- Rule sandbox: no io/os/dofile/loadfile; `require` resolves levy.money and sibling modules.
  local env = setmetatable({}, { __index = _G })
  env.io, env.os, env.dofile, env.loadfile, env.debug = false, false, false, false, false
  env.require = function(name)
    if name == "levy.money" then return money end
    if name == "levy.taxid" then return taxid end
    if cache[name] == nil then
      -- `_lib.<name>`: the rules' shared helper folder scripts/_lib/
      local lib = string.match(name, "^_lib%.([%w_]+)$")
      local file = lib and (SCRIPTS .. "/_lib/" .. lib .. ".lua") or (dir .. "/" .. name .. ".lua")
      assert(lib or string.match(name, "^[%w_]+$"), "require outside the rule folder and _lib: " .. name)
      local chunk = assert(loadfile(file, "t", env))
      cache[name] = chunk()
    end
    return cache[name]
  end
  local chunk = assert(loadfile(path, "t", env))
  return chunk()
end

local TREATMENT_OK = { taxable = true, exempt = true, zero_rated = true, reduced = true,
                       follows_goods = true, follows_goods_any = true }
local function check_shape(rule)
  local errs = {}
  for _, k in ipairs({ "region", "name", "tax_type", "taxability" }) do
    if rule[k] == nil then errs[#errs + 1] = "missing " .. k end
  end
  for code, t in pairs(rule.taxability or {}) do
    if type(t) == "string" and not TREATMENT_OK[t] then errs[#errs + 1] = "unknown treatment " .. t .. " for " .. code end
  end
  return errs
end

---------------------------------------------------------------------------------------------
-- reverse_charge = "b2b_foreign_seller" (docs/rules.md): a customer with a usable tax id (valid
-- for the destination, in the EU of any member state; docs/rules.md section 8), a seller not
-- established in the country of destination (unknown counts as not; "EL" is Greece, "GR").
-- Second value: the note tax_id_invalid when the customer gave an id that is not usable.
local function b2b_foreign_seller(ctx)
  local tax_id = ctx.customer and ctx.customer.tax_id
  if type(tax_id) ~= "string" or tax_id == "" then return false end
  local function iso(c)
    if type(c) ~= "string" or c == "" then return nil end
    c = string.upper(c)
    return c == "EL" and "GR" or c
  end
  local dest = iso(ctx.ship_to and ctx.ship_to.country)
  local usable, note = taxid_usable(dest, tax_id, { eu = ctx.region == "EU" })
  if not usable then return false, { code = "tax_id_invalid", message = note } end
  local seller = iso(ctx.seller and ctx.seller.country)
  return not (seller ~= nil and seller == dest)
end

-- Delivery that follows the goods (docs/rules.md section 2, "Shipping"), written from the
-- text: per jurisdiction, share = sum(taxable base of the goods line for that jurisdiction:
-- |amount| x fraction within its unit window, when it taxes it at a non-zero rate) /
-- sum(|amount|) over the goods lines, half up to 8 decimals; "any": 1 when the share is not 0.
-- Share 0 drops the jurisdiction; no goods: unchanged. `follows` = set of follow line indexes.
local function follow_goods(lines, li, any, follows)
  local line = lines[li]
  local out, kept, part, dropped = {}, 0, 0, 0
  for _, t in ipairs(line.taxes) do
    local w, taxed = 0, 0
    for j, g in ipairs(lines) do
      if j ~= li and not follows[j] then
        local q6 = rescale(dec(g.quantity), 6)
        local a6 = minor((string.gsub(g.amount, "^%-", "")), 2) * pow10(6)
        w = w + a6
        for _, o in ipairs(g.taxes) do
          if o.level == t.level and o.jurisdiction == t.jurisdiction and cmp(o.percentage, "0") > 0 then
            local hi, lo = a6, 0
            if o.unit_to then hi = math.min(hi, minor(o.unit_to, 2) * q6) end
            if o.unit_from then lo = minor(o.unit_from, 2) * q6 end
            if hi > lo then taxed = taxed + (hi - lo) * rescale(dec(o.fraction or "1"), 8) end
            break
          end
        end
      end
    end
    if w == 0 then
      out[#out + 1] = t; kept = kept + 1
    else
      local f = div_half_up(taxed, w)
      if any and taxed > 0 then f = pow10(8) end
      if f == 0 then
        dropped = dropped + 1
      else
        t.fraction = cents_str(f, 8)
        out[#out + 1] = t
        if f < pow10(8) then part = part + 1 else kept = kept + 1 end
      end
    end
  end
  line.taxes = out
  if kept + part == 0 and dropped > 0 then line.reason = "product_exempt"
  elseif part + dropped > 0 then line.reason = "partially_taxable"
  else line.reason = "standard_rated" end
end

-- Dated taxability (docs/rules.md section 2): { T, from =, to = } or a list of such rows; the
-- row whose window holds the date, else the rule's default row, else "taxable".
local function dated_at(treat, date, r, hops)
  hops = hops or 0
  if type(treat) ~= "table" or hops > 8 then return treat end
  local rows
  if treat.from ~= nil or treat.to ~= nil then rows = { treat }
  elseif type(treat[1]) == "table" then rows = treat
  else return treat end
  for _, row in ipairs(rows) do
    if (row.from == nil or date >= row.from) and (row.to == nil or date <= row.to) then
      return dated_at(row[1], date, r, hops + 1)
    end
  end
  local def = r.taxability.default
  if def == nil or def == treat then return "taxable" end
  return dated_at(def, date, r, hops + 1)
end

-- A percentage as the engine writes it: 2 to 6 decimals ("6" -> "6.00", "9.975" -> "9.975").
local function pct_str(p)
  local i, f = string.match(p, "^(%-?%d+)%.?(%d*)$")
  if not i then return p end
  f = f:gsub("0+$", "")
  if #f < 2 then f = f .. string.rep("0", 2 - #f) end
  return i .. "." .. f
end

-- Reverse charge on a region's lines: every line but the exempt and zero-rated ones keeps its
-- taxes at a zero amount (only this region's: core/tax/calc.c zeroes group g's entries).
local function rc_lines(ctx, on)
  for _, line in ipairs(on and ctx.lines or {}) do
    if line.reason ~= "product_exempt" and line.reason ~= "zero_rated" then
      line.reverse_charge = true
    end
  end
end

-- A Quebec QST registration number of the regular system (docs/rules.md; calc.c
-- levy_tax_qst_number_valid): spaces ignored, letters of either case, 10 digits "TQ" 4 digits.
local function qst_number_valid(s)
  return string.match(string.upper((string.gsub(s, " ", ""))), "^%d%d%d%d%d%d%d%d%d%dTQ%d%d%d%d$") ~= nil
end

-- reverse_charge = "b2b_qst_specified" (scripts/ca/qc.lua; calc.c qst_specified_applies): a
-- seller registered under the QST specified system (the setting qc_qst_regime = "specified",
-- the self-test's field) and not established in Quebec does not charge a customer that gives
-- a valid customer.qst_number (note qst_registrant); an unusable number is a consumer sale
-- (note qst_number_invalid). A customer exemption decides first (no note).
local function qst_specified(ctx, test)
  local qst = ctx.customer and ctx.customer.qst_number
  if test.qc_qst_regime ~= "specified" or type(qst) ~= "string" or qst == ""
     or ctx.customer.exempt == true then
    return false
  end
  local s = ctx.seller
  if type(s) == "table" and type(s.country) == "string" and type(s.state) == "string"
     and s.country:upper() == "CA" and s.state:upper() == "QC" then
    return false
  end
  if not qst_number_valid(qst) then
    return false, { code = "qst_number_invalid", message = "customer.qst_number is not a QST registration number of the regular system" }
  end
  return true, { code = "qst_registrant", message = "QST not charged: the customer gave its QST registration number" }
end

-- place_of_supply (docs/rules.md section 2, "Place of supply"; calc.c place_of_supply): the
-- rows whose [from, to] holds the date (a `when = "below_threshold"` row only for a test with
-- eu_below_threshold = "yes"), for a seller not of the ship-to's country (not a reverse-charged
-- sale, not an exempt customer): the seller's resolution (nil when unknown or not resolved) and
-- the live rows, each marked here (the seller in its seller_regions) or out (elsewhere =
-- "out_of_scope" and the seller outside them, or unknown); nil when none.
local function place_of_supply(r, req, regions, rc_on, test)
  local function iso(c) c = type(c) == "string" and string.upper(c) or ""; return c == "EL" and "GR" or c end
  local s = req.ship_from
  local known = type(s) == "table" and iso(s.country) ~= ""
  if not r.place_of_supply or #regions ~= 1 or rc_on or (req.customer or {}).exempt == true
     or (known and iso(s.country) == iso(req.ship_to.country)) then
    return nil
  end
  local live, sreg, resolved = {}, nil, false
  for _, row in ipairs(r.place_of_supply) do
    if (row.from == nil or req.date >= row.from) and (row.to == nil or req.date <= row.to)
       and (row.when ~= "below_threshold" or test.eu_below_threshold == "yes") then
      if not resolved and known then
        resolved = true
        local ok, sregs = pcall(resolve, { ship_to = s, date = req.date })
        if ok and #sregs == 1 and #sregs[1].taxes > 0 then sreg = sregs[1] end
      end
      local here = sreg ~= nil and contains(row.seller_regions, sreg.region)
      live[#live + 1] = { row = row, here = here, out = not here and row.elsewhere == "out_of_scope" }
    end
  end
  if #live == 0 then return nil end
  return sreg, live
end

-- The first live row listing code or its parent (not excepting code), when it decides.
local function pos_for(live, code, parent)
  for _, lr in ipairs(live or {}) do
    local row = lr.row
    if not contains(row.except or {}, code) and (contains(row.codes, code) or contains(row.codes, parent)) then
      if lr.here or lr.out then return lr end
      return nil
    end
  end
  return nil
end

local function run(rules, rule, test)
  local req = test.request
  local exp = CURRENCY_EXP[req.currency] or 2
  local regions = resolve(req)
  local out_lines = {}
  local notes = {}
  for _, reg in ipairs(regions) do
    if reg.history_unknown then notes[#notes + 1] = { code = "rate_history_unknown" } end
  end
  local ctx_lines_by_region = {}
  local oos_by_region = {} -- [ri][i]: region ri's calculate put line i out of scope
  for ri, reg in ipairs(regions) do
    local r = (reg.region == rule.region) and rule or rules[reg.region]
    assert(r, "no rule for " .. reg.region)
    local ctx = { region = reg.region, date = req.date, currency = req.currency, ship_to = req.ship_to,
                  seller = req.ship_from, customer = req.customer or {}, lines = {}, jurisdictions = {} }
    -- the seller's elections (issue 19, law24: settings us_al_ssut, us_tx_single_local): the
    -- test says them next to its request; ctx.seller_elections only when one is made
    for _, k in ipairs({ "us_al_ssut", "us_tx_single_local" }) do
      if test[k] == "yes" then
        ctx.seller_elections = ctx.seller_elections or {}
        ctx.seller_elections[k] = true
      end
    end
    -- ctx.jurisdictions: the resolution's entries at their rates, before any treatment
    for _, t in ipairs(reg.taxes) do
      local c = copy(t)
      c.fraction = nil
      ctx.jurisdictions[#ctx.jurisdictions + 1] = c
    end
    local follows = {}
    -- place_of_supply: decided before the lines, reverse charge first (calc.c)
    local pos_reg, pos_live
    if ri == 1 and r.place_of_supply then
      local rc_on = r.reverse_charge == "b2b_foreign_seller" and b2b_foreign_seller(ctx)
      pos_reg, pos_live = place_of_supply(r, req, regions, rc_on, test)
    end
    local pos_ids = {}
    local market_off, market_on = false, false
    for i, l in ipairs(req.lines) do
      local code = l.tax_code or "general"
      local parent = TAX_CODE_PARENT[code] or code
      local treat = r.taxability[code]
      -- the product taxonomy (docs/rules.md section 2a): a code without a row of its own
      -- takes its parent's row, and the answer says so
      if treat == nil and parent ~= code then
        treat = r.taxability[parent]
        notes[#notes + 1] = { code = "taxability_fallback", region = reg.region, tax_code = code, parent = parent }
      end
      if treat == nil then treat = r.taxability.default or "taxable" end
      treat = dated_at(treat, req.date, r)
      -- { pickup_offered =, ship_only = }: the seller's setting pickup_offered (docs/rules.md
      -- section 2, "Shipping"; a test says pickup_offered = "yes"), default ship_only; an absent
      -- branch is taxable, a follows_goods branch follows the goods like a row of its own
      if type(treat) == "table" and (treat.pickup_offered ~= nil or treat.ship_only ~= nil) then
        if test.pickup_offered == "yes" then treat = treat.pickup_offered else treat = treat.ship_only end
        treat = dated_at(treat == nil and "taxable" or treat, req.date, r)
      end
      local line = { id = l.id, index = i, tax_code = code, tax_code_parent = parent, amount = l.amount, quantity = l.quantity or "1",
                     tax_inclusive = l.tax_inclusive or false, reverse_charge = false }
      line.unit_amount = unit_amount(line.amount, line.quantity)
      -- the seller's place when the row lists the code or its parent
      local lreg = reg
      local lp = pos_for(pos_live, code, parent)
      if lp then
        lreg = lp.here and pos_reg or { taxes = {} }
        pos_ids[#pos_ids + 1] = l.id
      end
      local taxes = {}
      for _, t in ipairs(lreg.taxes) do taxes[#taxes + 1] = copy(t) end
      if lp and lp.out then
        line.taxes, line.reason = {}, "out_of_scope"
      elseif #taxes == 0 then
        line.taxes, line.reason = {}, "no_tax_in_region"
      else
        line.taxes, line.reason = apply(treat, line, taxes, lreg.reduced, (req.customer or {}).type)
        -- sold through a marketplace facilitator (doubts26; calc.c): in a US state whose rule
        -- cites its law in force on the date, not collected; else charged, with a note
        if (l.marketplace == true or req.marketplace == true) and reg.region:sub(1, 3) == "US-" then
          if r.marketplace_from ~= nil and req.date >= r.marketplace_from then
            line.taxes, line.reason, market_off = {}, "not_collecting", true
          else
            market_on = true
          end
        end
      end
      if treat == "follows_goods" or treat == "follows_goods_any" then follows[i] = treat end
      ctx.lines[i] = line
    end
    for i, line in ipairs(ctx.lines) do
      if follows[i] and #line.taxes > 0 then follow_goods(ctx.lines, i, follows[i] == "follows_goods_any", follows) end
    end
    if market_off then
      notes[#notes + 1] = { code = "marketplace_facilitator" }
    elseif market_on then
      notes[#notes + 1] = { code = "marketplace_not_modelled" }
    end
    if #pos_ids > 0 then
      notes[#notes + 1] = { code = "place_of_supply", message = reg.region .. ": lines " .. table.concat(pos_ids, ", ") }
    end
    -- "b2b_simplified_regime" (Canada, ETA s. 211.1): the same test, but only for a seller
    -- registered under the simplified regime (the test's ca_gst_regime = "simplified"); under
    -- the normal regime (the default) every customer is charged and the id decides nothing
    if r.reverse_charge == "b2b_foreign_seller"
       or (r.reverse_charge == "b2b_simplified_regime" and test.ca_gst_regime == "simplified") then
      local on, note = b2b_foreign_seller(ctx)
      -- the simplified regime needs a GST/HST number (a Luhn-checked BN): a Quebec QST number
      -- (10 digits TQ 4 digits) is not one
      if on and r.reverse_charge == "b2b_simplified_regime"
         and ctx.customer.tax_id:upper():gsub("[%s%.%-/]", ""):match("^%d+TQ%d+$") then
        on, note = false, { code = "tax_id_invalid", message = "not a GST/HST registration number" }
      end
      if note and ctx.customer.exempt ~= true then notes[#notes + 1] = note end
      rc_lines(ctx, on)
    elseif r.reverse_charge == "b2b_qst_specified" then
      local on, note = qst_specified(ctx, test)
      if note then notes[#notes + 1] = note end
      rc_lines(ctx, on)
    end
    -- a customer exemption: every jurisdiction listed at 0, the rule is not consulted
    local cust_exempt = (req.customer or {}).exempt == true
    if cust_exempt then
      for _, line in ipairs(ctx.lines) do
        if line.reason ~= "no_tax_in_region" and line.reason ~= "not_collecting" then
          line.taxes = {}
          for _, t in ipairs(reg.taxes) do line.taxes[#line.taxes + 1] = copy(t) end
          line.reason, line.zero = "customer_exempt", true
        end
      end
    end
    -- calculate_for (docs/rules.md section 3): calculate runs only when a line's code or its
    -- parent is listed; without the declaration, always
    -- calculate_before (compile.c levy_tax_rule_calc_before): before that day calculate runs
    -- for every request, as if calculate_for were not declared; from it, only as calculate_for
    -- says (none declared: never)
    -- calculate_election (compile.c levy_tax_rule_calc_election): also when the seller made
    -- that election; alone, only then
    local elected = r.calculate_election ~= nil and ctx.seller_elections ~= nil
                    and ctx.seller_elections[r.calculate_election] == true
    local wanted = (r.calculate_for == nil and r.calculate_before == nil and r.calculate_election == nil)
                   or (r.calculate_before ~= nil and req.date < r.calculate_before) or elected
    for _, c in ipairs(r.calculate_for or {}) do
      for _, line in ipairs(ctx.lines) do
        if line.tax_code == c or TAX_CODE_PARENT[line.tax_code] == c then wanted = true end
      end
    end
    oos_by_region[ri] = {}
    if r.calculate and wanted and not cust_exempt then
      local was = {}
      for i, line in ipairs(ctx.lines) do was[i] = line.reason end
      r.calculate(ctx)
      -- out of scope for this region's tax only (calc.c levy_tax_decide, meta.oos): the line
      -- keeps its reason; it is out of scope when no other region's tax is left on it (below)
      for i, line in ipairs(ctx.lines) do
        if line.reason == "out_of_scope" and was[i] ~= "out_of_scope" then
          oos_by_region[ri][i] = true
          line.reason = was[i]
        end
      end
      -- notes a rule's calculate left (ctx.notes: {code, message})
      for _, n in ipairs(ctx.notes or {}) do notes[#notes + 1] = n end
      -- the delivery follows the goods as calculate left them
      for i, line in ipairs(ctx.lines) do
        if follows[i] and #reg.taxes > 0 then
          -- from every jurisdiction of the region again (docs/rules.md)
          line.taxes = {}
          for _, t in ipairs(reg.taxes) do line.taxes[#line.taxes + 1] = copy(t) end
          -- an election's jurisdiction calculate added to the goods (calc.c carry_added): the
          -- delivery follows it too, once, in full before its share
          if elected then
            for j, g in ipairs(ctx.lines) do
              if j ~= i and not follows[j] then
                for _, o in ipairs(g.taxes or {}) do
                  local named = false
                  for _, t in ipairs(line.taxes) do
                    if t.level == o.level and t.jurisdiction == o.jurisdiction then named = true end
                  end
                  if not named and cmp(o.percentage, "0") > 0 then
                    local c = copy(o)
                    c.fraction, c.unit_from, c.unit_to = "1", nil, nil
                    line.taxes[#line.taxes + 1] = c
                  end
                end
              end
            end
          end
          follow_goods(ctx.lines, i, follows[i] == "follows_goods_any", follows)
        end
      end
    end
    ctx_lines_by_region[ri] = ctx.lines
  end
  local total = 0
  for i in ipairs(req.lines) do
    local tax, reason, taxable, taxes = 0, nil, nil, {}
    local rc_any, oos_any, other = false, false, false
    for ri in ipairs(regions) do
      local line = ctx_lines_by_region[ri][i]
      local amounts, net, taxables = compute(line, exp)
      local zero = line.reverse_charge or line.zero
      for j, t in ipairs(line.taxes) do
        if not zero then tax = tax + amounts[j] end
        -- authority_code: the one a rule gives a jurisdiction it adds (law26, calc.c restore_codes;
        -- this reference knows no US resolution codes, so a self-test pins only the rule's)
        taxes[#taxes + 1] = { jurisdiction = t.jurisdiction, level = t.level, type = t.type, name = t.name,
                              authority_code = type(t.authority_code) == "string" and t.authority_code or nil,
                              percentage = pct_str(t.percentage),
                              amount = cents_str(zero and 0 or amounts[j], exp),
                              taxable_amount = cents_str(line.zero and 0 or taxables[j], exp) }
      end
      -- one reason per line (calc.c): reverse_charge when any region's tax was reverse-charged
      if line.reverse_charge then rc_any = true end
      if reason == nil then reason = line.reason end
      taxable = taxable or net
      if oos_by_region[ri][i] then oos_any = true
      elseif #line.taxes > 0 then other = true end
    end
    if rc_any then reason = "reverse_charge" end
    if oos_any and not other then reason = "out_of_scope" end
    total = total + tax
    out_lines[i] = { tax = cents_str(tax, exp), taxability_reason = reason, taxable_amount = cents_str(taxable, exp),
                     taxes = taxes }
  end
  return { total_tax = cents_str(total, exp), lines = out_lines, notes = #notes > 0 and notes or nil }
end

local function compare(expect, got)
  local errs = {}
  for i, ne in ipairs(expect.notes or {}) do -- the listed keys of each note
    for k, v in pairs(ne) do
      local g = got.notes and got.notes[i] and got.notes[i][k]
      if g ~= v then errs[#errs + 1] = string.format("notes[%d] %s %s, expected %s", i, k, tostring(g), v) end
    end
  end
  if expect.total_tax and expect.total_tax ~= got.total_tax then
    errs[#errs + 1] = string.format("total_tax %s, expected %s", got.total_tax, expect.total_tax)
  end
  for i, le in ipairs(expect.lines or {}) do
    for k, v in pairs(le) do
      local g = got.lines[i] and got.lines[i][k]
      if k == "taxes" and type(v) == "table" then     -- per jurisdiction: the listed keys only
        for j, te in ipairs(v) do
          for tk, tv in pairs(te) do
            local tg = g and g[j] and g[j][tk]
            if tg ~= tv then
              errs[#errs + 1] = string.format("line %d taxes[%d] %s %s, expected %s", i, j, tk, tostring(tg), tv)
            end
          end
        end
      elseif g ~= v then errs[#errs + 1] = string.format("line %d %s %s, expected %s", i, k, tostring(g), v) end
    end
  end
  return errs
end

local files = {}
local p = io.popen("find " .. SCRIPTS .. " -name '*.lua' ! -name '_*' ! -path '*/_*/*' | sort")
for f in p:lines() do files[#files + 1] = f end
p:close()

local rules, fails, passes = {}, 0, 0
for _, f in ipairs(files) do
  local ok, r = pcall(load_rule, f)
  if not ok then print("FAIL " .. f .. ": " .. tostring(r)); fails = fails + 1
  else
    local errs = check_shape(r)
    if #errs > 0 then print("FAIL " .. f .. ": " .. table.concat(errs, "; ")); fails = fails + 1 end
    if rules[r.region] then print("FAIL " .. f .. ": duplicate region " .. r.region); fails = fails + 1 end
    rules[r.region] = r
    r._file = f
  end
end
for _, f in ipairs(files) do
  for _, r in pairs(rules) do
    if r._file == f then
      local bad = 0
      for _, t in ipairs(r.selftest or {}) do
        local ok, got = pcall(run, rules, r, t)
        local errs = ok and compare(t.expect, got) or { tostring(got) }
        if #errs > 0 then
          bad = bad + 1
          print(string.format("FAIL %s: %s: %s", f, t.name, table.concat(errs, "; ")))
        end
      end
      if bad == 0 then passes = passes + 1 else fails = fails + 1 end
      if #(r.selftest or {}) == 0 then print("FAIL " .. f .. ": no selftest"); fails = fails + 1 end
    end
  end
end
print(string.format("%d files passed, %d failed", passes, fails))
os.exit(fails == 0 and 0 or 1)
