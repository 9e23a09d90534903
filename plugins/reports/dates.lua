-- Calendar arithmetic on "YYYY-MM-DD" strings (proleptic Gregorian, integers only) and the
-- economic-nexus measurement periods named in data/us/economic-nexus.csv.
local M = {}

local function parse(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  return math.tointeger(tonumber(y)), math.tointeger(tonumber(m)), math.tointeger(tonumber(d))
end
M.parse = parse

function M.fmt(y, m, d) return string.format("%04d-%02d-%02d", y, m, d) end

-- days since 1970-01-01 (Howard Hinnant's days_from_civil)
local function days(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

local function civil(z)
  z = z + 719468
  local era = (z >= 0 and z or z - 146096) // 146097
  local doe = z - era * 146097
  local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
  local y = yoe + era * 400
  local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
  local mp = (5 * doy + 2) // 153
  local d = doy - (153 * mp + 2) // 5 + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then y = y + 1 end
  return y, m, d
end

function M.add_days(s, n)
  local y, m, d = parse(s)
  return M.fmt(civil(days(y, m, d) + n))
end

local function dim(y, m)
  if m == 2 then return (y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0)) and 29 or 28 end
  return ({ 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 })[m]
end

-- The same day one year earlier (29 Feb -> 28 Feb).
function M.year_before(s)
  local y, m, d = parse(s)
  return M.fmt(y - 1, m, math.min(d, dim(y - 1, m)))
end

-- Measurement windows {start, end} (inclusive) for a period name at date as_of. A period
-- with two alternatives (previous or current calendar year) returns two windows.
function M.windows(period, as_of)
  local y, m = parse(as_of)
  if period == "calendar_year_previous_or_current" then
    return { { M.fmt(y - 1, 1, 1), M.fmt(y - 1, 12, 31) }, { M.fmt(y, 1, 1), as_of } }
  elseif period == "calendar_year_previous" then
    return { { M.fmt(y - 1, 1, 1), M.fmt(y - 1, 12, 31) } }
  elseif period == "previous_12_months" then
    return { { M.add_days(M.year_before(as_of), 1), as_of } }
  elseif period == "twelve_months_ending_sep30" then
    local e = M.fmt(y, 9, 30)
    if as_of <= e then e = M.fmt(y - 1, 9, 30) end
    local ey = parse(e)
    return { { M.fmt(ey - 1, 10, 1), e } }
  elseif period == "four_quarters_ny" then
    -- NY sales-tax quarters: Mar-May, Jun-Aug, Sep-Nov, Dec-Feb; the four before the current
    local qy, qm
    if m >= 3 and m <= 11 then qy, qm = y, m - (m - 3) % 3 elseif m == 12 then qy, qm = y, 12 else qy, qm = y - 1, 12 end
    local qs = M.fmt(qy, qm, 1)
    return { { M.fmt(qy - 1, qm, 1), M.add_days(qs, -1) } }
  end
  error("unknown measurement period " .. tostring(period))
end

return M
