-- nginx + ngx_lua (LuaJIT) peer of levy's POST /v1/calculate (bench/run.sh).
-- ZIP rates from data/us/avalara-zip5-2025-12/*.csv in flat arrays (no table per row), rates
-- as integer millionths, amounts in integer cents, half-up rounding, a contract-shaped answer.
local cjson = require "cjson.safe"
local M = {}

local zip_idx = {}                    -- "78701" -> i
local st, region = {}, {}             -- i -> state code, TaxRegionName
local r_state, r_county, r_city, r_special = {}, {}, {}, {}
local STATE_NAMES = {}

local function millionths(s)          -- "0.062500" -> 62500 (exact, no float parsing of money)
  local int, frac = s:match("^(%d+)%.?(%d*)$")
  frac = (frac .. "000000"):sub(1, 6)
  return tonumber(int) * 1000000 + tonumber(frac)
end

function M.init(dir)
  local n = 0
  local p = io.popen('ls "' .. dir .. '"/*.csv')
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
  STATE_NAMES.TX = "TEXAS"
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

local function fmt_pct(m)             -- millionths of 1 -> percentage string "6.25"
  local hundredths = math.floor((m + 50) / 100) -- 62500 -> 625
  return string.format("%d.%02d", math.floor(hundredths / 100), hundredths % 100)
end

local function tax_of(base, rate)     -- cents * millionths, rounded half-up, integer
  return math.floor((base * rate + 500000) / 1000000)
end

local LEVELS = { "state", "county", "city", "district" }

local function fail(status, code, msg)
  ngx.status = status
  ngx.print(cjson.encode { error = { code = code, message = msg } })
  return ngx.exit(status)
end

function M.handle()
  ngx.req.read_body()
  local req = cjson.decode(ngx.req.get_body_data() or "")
  if type(req) ~= "table" or type(req.lines) ~= "table" or type(req.ship_to) ~= "table" then
    return fail(422, "validation_failed", "bad request")
  end
  local i = zip_idx[req.ship_to.zip_code]
  if not i then return fail(422, "address_unresolved", "unknown ZIP") end
  local state = st[i]
  local rates = { r_state[i], r_county[i], r_city[i], r_special[i] }
  local names = { STATE_NAMES[state] or state, region[i], region[i], region[i] .. " (SPECIAL)" }
  local out_lines, t_amount, t_tax, t_taxable = {}, 0, 0, 0
  for k, line in ipairs(req.lines) do
    local amount = cents(line.amount) -- the line amount (CONTRACT 2.5), quantity is informative
    if not amount or (line.quantity ~= nil and not tonumber(line.quantity)) then
      return fail(422, "validation_failed", "lines[" .. k .. "]")
    end
    local taxable, reason = amount, "standard_rated"
    if line.tax_code == "saas" and state == "TX" then
      taxable, reason = math.floor((amount * 80 + 50) / 100), "partially_taxable"
    end
    local taxes, tax = {}, 0
    for l = 1, 4 do
      if rates[l] > 0 then
        local a = tax_of(taxable, rates[l])
        tax = tax + a
        taxes[#taxes + 1] = { amount = fmt_cents(a), jurisdiction = names[l], level = LEVELS[l],
          percentage = fmt_pct(rates[l]), taxable_amount = fmt_cents(taxable), type = "SALES_TAX" }
      end
    end
    setmetatable(taxes, cjson.array_mt)
    out_lines[k] = { amount = fmt_cents(amount), id = line.id, tax = fmt_cents(tax),
      taxability_reason = reason, taxable_amount = fmt_cents(taxable), taxes = taxes }
    t_amount, t_tax, t_taxable = t_amount + amount, t_tax + tax, t_taxable + taxable
  end
  ngx.print(cjson.encode {
    calculation_id = string.format("calc_%020x", math.random(0, 2^52)),
    currency = req.currency, date = req.date, lines = out_lines, region = "US-" .. state,
    rules = { generation = 1, rates_source = "avalara-zip5 2025-12", region_rule = "scripts/us/" .. state:lower() .. ".lua" },
    total_amount = fmt_cents(t_amount), total_tax = fmt_cents(t_tax), total_taxable = fmt_cents(t_taxable),
  })
end

return M
