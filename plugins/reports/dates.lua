-- Calendar arithmetic on "YYYY-MM-DD" strings (proleptic Gregorian, integers only) and the
-- economic-nexus measurement periods named in data/us/economic-nexus.csv.
-- Globals used per document, as locals: a global read in a plugin goes through the sandbox's
-- __index function (core/lua/runtime/sandbox.lua), a Lua call each, which a report over a year
-- of documents paid hundreds of thousands of times (issue 20 follow-up, bench/reports.py).
local tostring, tonumber, error, string, math = tostring, tonumber, error, string, math
local time = require "levy.time"

local M = {}

local function parse(s)
  local y, m, d = s:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)$")
  return math.tointeger(tonumber(y)), math.tointeger(tonumber(m)), math.tointeger(tonumber(d))
end
M.parse = parse

function M.fmt(y, m, d) return string.format("%04d-%02d-%02d", y, m, d) end

-- n days after (before, when negative) the date: levy.time's calendar (core/clock.c)
local DAY_MS = 86400000
function M.add_days(s, n)
  return time.date(assert(time.parse_iso(s)) + n * DAY_MS)
end

-- The same day one year earlier (29 Feb -> 28 Feb: the only date a year earlier lacks).
function M.year_before(s)
  local y, m, d = parse(s)
  local t = M.fmt(y - 1, m, d)
  if time.valid_date(t) then return t end
  return M.fmt(y - 1, m, 28)
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
