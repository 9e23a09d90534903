-- The EU One-Stop-Shop view (issue 20): ECB reference rates and the conversion to EUR.
-- Pure parts (no store, no clock): plugins/reports/spec/oss_spec.lua tests them on their own.
--
-- The OSS return is made out in euro; amounts in another currency are converted "by applying
-- the exchange rates published by the European Central Bank for that day [the last day of the
-- tax period], or, if there is no publication on that day, on the next day of publication"
-- (Directive 2006/112/EC Art. 366(2) for the non-Union scheme, Art. 369h(2) for the Union
-- scheme in the same words). levy is offline: the user imports the ECB's eurofxref-hist.csv
-- (header `Date,USD,JPY,...,` with a trailing comma, one row per publication day, newest
-- first, `N/A` where a currency has no value) and levy keeps the file as it came; a rate is
-- read from it as the exact decimal string the ECB wrote (units of the currency per 1 EUR).
local type, tostring, error, math = type, tostring, error, math
local money = require "levy.money"
local dates = require "dates"
local select, ipairs, tonumber = select, ipairs, tonumber

local M = {}

-- The refusal of line number lineno of a rate file, which the ECB layout does not match.
local function bad_line(line, lineno)
  if not line:match("^%d%d%d%d%-%d%d%-%d%d,") then
    return nil, "line " .. lineno .. " does not start with a date YYYY-MM-DD: " .. line:sub(1, 40)
  end
  return nil, "line " .. lineno .. " (" .. line:sub(1, 10) .. ") has another number of columns than the header," ..
    " or something other than a rate or N/A"
end

-- eurofxref-hist.csv -> {currencies = {"USD", ...}, first = "1999-01-04", last = "2026-09-30",
-- days = n} or nil, message. Checks the layout of every line (one C-level pattern per line, so
-- the 7,000-day file stays well inside a request's time): a date, then as many fields as the
-- header names currencies, each a decimal, N/A or empty.
function M.check_file(text)
  if type(text) ~= "string" or text == "" then return nil, "the file is empty" end
  text = text:gsub("^\239\187\191", "") -- a UTF-8 byte-order mark
  local header = text:match("^([^\r\n]*)")
  if not header:match("^Date,") then
    return nil, "the first line must be the ECB header Date,USD,JPY,... (eurofxref-hist.csv)"
  end
  local currencies, n = {}, 0
  for field in (header:sub(6) .. ","):gmatch("([^,]*),") do
    field = field:match("^%s*(.-)%s*$")
    n = n + 1
    if field ~= "" then
      if not field:match("^%u%u%u$") then return nil, "header column " .. (n + 1) .. " is not a currency code: " .. field end
      currencies[#currencies + 1] = field
    end
  end
  if #currencies == 0 then return nil, "the header names no currency" end
  local fields = select(2, header:gsub(",", ","))
  -- every line after the header: a date and `fields` comma-separated rates (digits, '.', N/A).
  -- One pattern for the whole line, applied by gsub in C: the 7,000-day file is checked in a
  -- few milliseconds (a Lua loop per line and field ran out of a request's time).
  local line_pat = "%d%d%d%d%-%d%d%-%d%d" .. (",[%d%.N/A ]*"):rep(fields) .. "\r?\n"
  local body = text:sub(#header + 1):gsub("^\r?\n", "")
  if body ~= "" and body:sub(-1) ~= "\n" then body = body .. "\n" end
  local rest, days = body:gsub(line_pat, "")
  if rest ~= "" then
    -- name the first line that is not one: gsub left it whole (a bad line has no match
    -- inside it that ends the line), so find it and count the lines before it in C; else
    -- (garbage before a date) a loop over the lines, on this error path only
    local frag = rest:match("^[^\n]*\n?")
    local at = body:find(frag, 1, true)
    if at and (at == 1 or body:sub(at - 1, at - 1) == "\n") then
      local line = frag:gsub("\r?\n$", "")
      return bad_line(line, select(2, body:sub(1, at - 1):gsub("\n", "")) + 2)
    end
    local pos, lineno = 1, 2
    while pos <= #body do
      local e = body:find("\n", pos, true)
      local line = body:sub(pos, e - 1):gsub("\r$", "")
      if not (line .. "\n"):find("^" .. line_pat .. "$") then return bad_line(line, lineno) end
      pos, lineno = e + 1, lineno + 1
    end
    return nil, "the file is not in the ECB layout"
  end
  local first = body:match("^(%d%d%d%d%-%d%d%-%d%d)")
  local cut = body:sub(1, -2):reverse():find("\n", 1, true) -- the last line's start, in C
  local last = (cut and body:sub(#body - cut + 1) or body):match("^(%d%d%d%d%-%d%d%-%d%d)")
  if first and last and first > last then first, last = last, first end
  if days == 0 then return nil, "the file holds no day" end
  return { currencies = currencies, first = first, last = last, days = days }
end

-- The rate of `cur` published on `date` in an imported file: the exact decimal string, or nil
-- (no row for that day, or N/A / empty for that currency). Errors on a malformed value.
function M.rate_on(text, cur, date)
  local header = text:match("^\239?\187?\191?([^\r\n]*)")
  local col
  local i = 0
  for field in (header .. ","):gmatch("([^,]*),") do
    i = i + 1
    if field:match("^%s*(.-)%s*$") == cur then col = i end
  end
  if not col then return nil end
  local s = text:find("\n" .. date .. ",", 1, true)
  if not s then return nil end
  local line = text:match("^([^\r\n]*)", s + 1)
  i = 0
  for field in (line .. ","):gmatch("([^,]*),") do
    i = i + 1
    if i == col then
      field = field:match("^%s*(.-)%s*$")
      if field == "" or field == "N/A" then return nil end
      if not field:match("^%d+%.?%d*$") or not field:match("[1-9]") then
        error("ECB file: the " .. cur .. " rate of " .. date .. " is not a positive decimal: " .. field)
      end
      return field
    end
  end
  return nil
end

-- The rate the return uses for `cur` and the period ending `last_day`: published on that day,
-- else on the next day of publication (searched up to `until_day`, the last day an imported
-- file covers). files: the imported files' texts, newest first. Returns rate, date or nil.
function M.rate_for(files, cur, last_day, until_day)
  local day = last_day
  while day <= until_day do
    for _, text in ipairs(files) do
      local r = M.rate_on(text, cur, day)
      if r then return r, day end
    end
    day = dates.add_days(day, 1)
  end
  return nil
end

local MAXI = math.maxinteger

-- n / d rounded half away from zero (d > 0): "half-up" on the magnitude, so a credit memo's
-- negative amount rounds to the mirror of the invoice's.
local function div_half_up(n, d)
  if n < 0 then return -div_half_up(-n, d) end
  local q, r = n // d, n % d
  if 2 * r >= d then q = q + 1 end
  return q
end
M.div_half_up = div_half_up

-- minor units of `cur` -> euro cents at `rate` (a decimal string, units of cur per 1 EUR),
-- exactly, rounded once, half away from zero. EUR itself is not converted.
function M.to_eur(minor, cur, rate)
  if cur == "EUR" then return minor end
  local e = money.exponent(cur)
  if not e then error("unknown currency " .. tostring(cur)) end
  local int, frac = rate:match("^(%d+)%.?(%d*)$")
  local den = math.tointeger(tonumber(int .. frac))
  local num = minor
  local scale = #frac + 2 - e -- cents = minor * 10^(2-e) * 10^#frac / (rate * 10^#frac)
  if scale >= 0 then
    for _ = 1, scale do
      if num > MAXI // 10 or num < -(MAXI // 10) then error("amount too large to convert: " .. tostring(minor) .. " " .. cur) end
      num = num * 10
    end
  else
    for _ = 1, -scale do den = den * 10 end
  end
  return div_half_up(num, den)
end

-- A VAT percentage as one line of the return names it, whatever decimals the calculation wrote
-- ("19", "19.0", "19.000" -> "19.00"; "5.5" -> "5.50"; "7.125" stays): string work, no float.
function M.rate_key(p)
  local int, frac = tostring(p):match("^(%d+)%.?(%d*)$")
  if not int then return tostring(p) end
  frac = frac:gsub("0+$", "")
  if #frac < 2 then frac = frac .. ("0"):rep(2 - #frac) end
  return (int:gsub("^0+(%d)", "%1")) .. "." .. frac
end

-- A period key of the OSS return (quarterly: "2026-Q3") -> first and last day, or nil.
function M.quarter(key)
  local y, q = tostring(key):match("^(%d%d%d%d)%-Q([1-4])$")
  if not y then return nil end
  y, q = tonumber(y), tonumber(q)
  local m2 = q * 3
  local last = m2 == 12 and dates.fmt(y, 12, 31) or dates.add_days(dates.fmt(y, m2 + 1, 1), -1)
  return dates.fmt(y, m2 - 2, 1), last
end

return M
