-- nginx + ngx_lua (LuaJIT) peer of levy's POST /v1/calculate (bench/run.sh).
-- Built at start from the same data files levy ships (init(DATA_ROOT), DATA_ROOT = levy's data/):
--   US ZIP rates from us/avalara-zip5-2025-12/*.csv in flat arrays (no table per row);
--   California city rates from us/cdtfa-2026-01/*.csv (a CA ship-to whose city is a CDTFA city
--   row: state 6.00 + county 0.25 + district (rate - 7.25) + city 1.00, as levy splits it);
--   EU VAT rates by member state and date from intl/ibericode-vat-rates.json (standard, first
--   reduced rate for groceries);
--   Canadian GST/HST/PST/QST rows by province and date from ca/rates.csv.
-- Rates as integer millionths, amounts in integer cents, half-up rounding per jurisdiction of the
-- unrounded taxable share (TX SaaS 80 %), a
-- contract-shaped answer with the same keys and totals as levy's for bench/mkreq.py's bodies.
-- It does not implement levy's rules beyond what those bodies need (TX SaaS at 80 %, EU
-- groceries at the reduced rate, everything else standard rated; no exemptions, no B2B).
local cjson = require "cjson.safe"
local M = {}

local zip_idx = {}                    -- "78701" -> i
local st, region = {}, {}             -- i -> state code, TaxRegionName
local r_state, r_county, r_city, r_special = {}, {}, {}, {}
local STATE_NAMES = { TX = "TEXAS", CA = "CALIFORNIA" }
local STATE_FIPS = { TX = "48", CA = "06" }
local cdtfa_rate, cdtfa_county = {}, {}  -- lower(city) -> millionths, COUNTY
-- EU: code -> flat arrays of periods (newest first): from, standard, reduced
local eu_from, eu_std, eu_red = {}, {}, {}
local EU_NAMES = { AT = "AUSTRIA", BE = "BELGIUM", BG = "BULGARIA", CY = "CYPRUS", CZ = "CZECHIA",
  DE = "GERMANY", DK = "DENMARK", EE = "ESTONIA", EL = "GREECE", GR = "GREECE", ES = "SPAIN",
  FI = "FINLAND", FR = "FRANCE", HR = "CROATIA", HU = "HUNGARY", IE = "IRELAND", IT = "ITALY",
  LT = "LITHUANIA", LU = "LUXEMBOURG", LV = "LATVIA", MT = "MALTA", NL = "NETHERLANDS",
  PL = "POLAND", PT = "PORTUGAL", RO = "ROMANIA", SE = "SWEDEN", SI = "SLOVENIA", SK = "SLOVAKIA" }
-- Canada: province -> flat arrays of rows: type, level, jurisdiction, millionths, from, to
local ca_rows = {}

local function millionths(s)          -- "0.062500" -> 62500 (exact, no float parsing of money)
  local int, frac = s:match("^(%d*)%.?(%d*)$")
  frac = (frac .. "000000"):sub(1, 6)
  return tonumber(int ~= "" and int or "0") * 1000000 + tonumber(frac)
end

local function pct_millionths(s)      -- "9.975" (a percentage) -> 99750
  local int, frac = tostring(s):match("^(%d+)%.?(%d*)$")
  frac = (frac .. "0000"):sub(1, 4)
  return tonumber(int) * 10000 + tonumber(frac)
end

local function slurp(path)
  local f = assert(io.open(path))
  local s = f:read("*a")
  f:close()
  return s
end

function M.init(root)
  local n = 0
  local p = io.popen('ls "' .. root .. '"/us/avalara-zip5-2025-12/*.csv')
  for path in p:lines() do
    local f = assert(io.open(path))
    f:read("*l") -- header
    for line in f:lines() do
      local s, z, name, _, rs, rc, rci, rsp = line:match("^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)")
      if z then
        n = n + 1
        zip_idx[z] = n
        st[n], region[n] = s, name
        r_state[n], r_county[n], r_city[n], r_special[n] = millionths(rs), millionths(rc), millionths(rci), millionths(rsp)
      end
    end
    f:close()
  end
  p:close()
  p = io.popen('ls "' .. root .. '"/us/cdtfa-2026-01/*.csv')
  for path in p:lines() do
    local f = assert(io.open(path))
    f:read("*l")
    for line in f:lines() do
      local loc, rate, _, county, typ = line:match("^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)")
      if typ == "City" then
        cdtfa_rate[loc:lower()], cdtfa_county[loc:lower()] = millionths(rate), county:upper()
      end
    end
    f:close()
  end
  p:close()
  local vat = cjson.decode(slurp(root .. "/intl/ibericode-vat-rates.json"))
  for code, periods in pairs(vat.items) do
    local from, std, red = {}, {}, {}
    for i, per in ipairs(periods) do
      local r = per.rates
      from[i], std[i] = per.effective_from, pct_millionths(r.standard)
      local first = r.reduced or r.reduced1
      red[i] = first and pct_millionths(first) or std[i]
    end
    eu_from[code], eu_std[code], eu_red[code] = from, std, red
  end
  local f = assert(io.open(root .. "/ca/rates.csv"))
  f:read("*l")
  for line in f:lines() do
    local prov, _, typ, level, jur, rate, from, to = line:match("^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)")
    if prov then
      local t = ca_rows[prov] or { n = 0 }
      ca_rows[prov] = t
      local k = t.n * 6
      t[k + 1], t[k + 2], t[k + 3], t[k + 4], t[k + 5], t[k + 6] = typ, level, jur, pct_millionths(rate), from, to ~= "" and to or "9999-12-31"
      t.n = t.n + 1
    end
  end
  f:close()
  collectgarbage()
end

local function cents(s)               -- "101.25" -> 10125 (up to 2 decimals)
  if type(s) ~= "string" then return nil end
  local neg, int, frac = s:match("^(%-?)(%d+)%.?(%d*)$")
  if not int or #frac > 2 then return nil end
  local v = tonumber(int) * 100 + tonumber((frac .. "00"):sub(1, 2))
  return neg == "-" and -v or v
end

local function fmt_cents(v)
  local neg = v < 0
  if neg then v = -v end
  return string.format("%s%d.%02d", neg and "-" or "", math.floor(v / 100), v % 100)
end

local function fmt_pct(m)             -- millionths of 1 -> percentage "6.25", "9.975", "1.375"
  local s = string.format("%d.%04d", math.floor(m / 10000), m % 10000)
  return (s:gsub("0$", ""):gsub("0$", ""))
end

local function tax_of(base, share, rate) -- cents * share % * millionths, rounded half-up, integer
  return math.floor((base * share * rate + 50000000) / 100000000)   -- (levy taxes the unrounded share)
end

local function fail(status, code, msg)
  ngx.status = status
  ngx.print(cjson.encode { error = { code = code, message = msg } })
  return ngx.exit(status)
end

local NOTE_SPECIAL = "special district(s) not named: the ZIP table gives only the total special-district rate of the ZIP, without names or codes"
local NOTE_CDTFA = "district taxes of the city: CDTFA gives their total for the city, without their names or codes"

-- The jurisdictions of a ship-to as parallel arrays (rate, name, level, type, code, note) and
-- the answer's region, rules and resolution; nil, message when it cannot be resolved.
local function jurisdictions(to, date)
  local country = to.country
  local J = { rate = {}, name = {}, level = {}, type = {}, code = {}, note = {} }
  local function add(rate, name, level, typ, code, note)
    if rate > 0 then
      local k = #J.rate + 1
      J.rate[k], J.name[k], J.level[k], J.type[k], J.code[k], J.note[k] = rate, name, level, typ, code or cjson.null, note
    end
  end
  if country == "US" then
    local i = zip_idx[to.zip_code]
    if not i then return nil, "unknown ZIP" end
    local state = st[i]
    local city = type(to.city) == "string" and to.city:lower()
    if state == "CA" and city and cdtfa_rate[city] then
      local up = to.city:upper()
      add(60000, "CALIFORNIA", "state", "SALES_TAX", "06")
      add(2500, cdtfa_county[city], "county", "SALES_TAX")
      add(cdtfa_rate[city] - 72500, up .. " DISTRICT TAX", "district", "SALES_TAX", nil, NOTE_CDTFA)
      add(10000, up, "city", "SALES_TAX")
      J.region, J.resolution = "US-CA", "zip5_city"
      J.rules = { generation = 1, rates_source = "avalara-zip5 2025-12; cdtfa 2026-01-01", region_rule = "scripts/us/ca.lua" }
    else
      add(r_state[i], STATE_NAMES[state] or state, "state", "SALES_TAX", STATE_FIPS[state])
      add(r_county[i], region[i] .. " (COUNTY)", "county", "SALES_TAX")
      add(r_city[i], region[i], "city", "SALES_TAX")
      add(r_special[i], region[i] .. " (SPECIAL)", "district", "SALES_TAX", nil, NOTE_SPECIAL)
      J.region, J.resolution = "US-" .. state, "zip5"
      J.rules = { generation = 1, rates_source = "avalara-zip5 2025-12", region_rule = "scripts/us/" .. state:lower() .. ".lua" }
    end
    J.state = state
  elseif country == "CA" then
    local t = ca_rows[to.state]
    if not t then return nil, "unknown province" end
    for r = 0, t.n - 1 do
      local k = r * 6
      if t[k + 5] <= date and date <= t[k + 6] then
        add(t[k + 4], t[k + 3], t[k + 2], t[k + 1], t[k + 2] == "country" and "CA" or to.state)
      end
    end
    J.region = "CA"
    J.rules = { generation = 1, rates_source = "ca-rates 2025-04-01", region_rule = "scripts/ca/gst.lua" }
  else
    local from = eu_from[country]
    if not from then return nil, "unknown country" end
    for p = 1, #from do
      if from[p] <= date then
        J.std, J.red = eu_std[country][p], eu_red[country][p]
        break
      end
    end
    add(J.std, EU_NAMES[country], "country", "VAT", country)
    J.region, J.eu = "EU", true
    J.rules = { generation = 1, rates_source = "ibericode-vat 2025-08-01", region_rule = "scripts/eu/vat.lua" }
  end
  return J
end

function M.handle()
  ngx.req.read_body()
  local req = cjson.decode(ngx.req.get_body_data() or "")
  if type(req) ~= "table" or type(req.lines) ~= "table" or type(req.ship_to) ~= "table"
     or type(req.date) ~= "string" then
    return fail(422, "validation_failed", "bad request")
  end
  local J, msg = jurisdictions(req.ship_to, req.date)
  if not J then return fail(422, "address_unresolved", msg) end
  local nj = #J.rate
  local out_lines, t_amount, t_tax, t_taxable = {}, 0, 0, 0
  for k, line in ipairs(req.lines) do
    local amount = cents(line.amount) -- the line amount (CONTRACT 2.5), quantity is informative
    if not amount or (line.quantity ~= nil and not tonumber(line.quantity)) then
      return fail(422, "validation_failed", "lines[" .. k .. "]")
    end
    local taxable, reason, share = amount, "standard_rated", 100
    if line.tax_code == "saas" and J.state == "TX" then
      taxable, reason, share = math.floor((amount * 80 + 50) / 100), "partially_taxable", 80
    end
    local taxes, tax = {}, 0
    for l = 1, nj do
      local rate = J.rate[l]
      if J.eu and line.tax_code == "food_grocery" then rate, reason = J.red, "reduced_rated" end
      local a = tax_of(amount, share, rate)
      tax = tax + a
      taxes[l] = { amount = fmt_cents(a), authority_code = J.code[l], jurisdiction = J.name[l],
        jurisdiction_note = J.note[l], level = J.level[l], percentage = fmt_pct(rate),
        taxable_amount = fmt_cents(taxable), type = J.type[l] }
    end
    setmetatable(taxes, cjson.array_mt)
    out_lines[k] = { amount = fmt_cents(amount), id = line.id, tax = fmt_cents(tax),
      taxability_reason = reason, taxable_amount = fmt_cents(taxable), taxes = taxes }
    t_amount, t_tax, t_taxable = t_amount + amount, t_tax + tax, t_taxable + taxable
  end
  ngx.print(cjson.encode {
    calculation_id = string.format("calc_%020x", math.random(0, 2^52)),
    currency = req.currency, date = req.date, lines = out_lines, region = J.region,
    resolution = J.resolution, rules = J.rules,
    total_amount = fmt_cents(t_amount), total_tax = fmt_cents(t_tax), total_taxable = fmt_cents(t_taxable),
  })
end

return M
