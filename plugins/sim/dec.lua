-- Exact decimal helpers on Lua integers (never floats): parse a decimal string into
-- (integer, scale), multiply two decimals and round half-up (away from zero) to a scale.
local M = {}

function M.parse(s)
  if type(s) ~= "string" then return nil end
  local neg, ip, fp = s:match("^(%-?)(%d+)%.(%d+)$")
  if not neg then
    neg, ip = s:match("^(%-?)(%d+)$")
    fp = ""
  end
  if not neg or #ip + #fp > 17 then return nil end
  local n = math.tointeger(tonumber(ip .. fp, 10))
  if not n then return nil end
  if neg == "-" then n = -n end
  return n, #fp
end

local function pow10(n)
  local r = 1
  for _ = 1, n do r = r * 10 end
  return r
end
M.pow10 = pow10

-- Rescale integer n of scale s to scale e, rounding half away from zero.
function M.rescale(n, s, e)
  if s <= e then return n * pow10(e - s) end
  local d = pow10(s - e)
  local a = n < 0 and -n or n
  local q, r = a // d, a % d
  if r * 2 >= d then q = q + 1 end
  return n < 0 and -q or q
end

-- a * b (decimal strings) as an integer at scale e, half-up.
function M.mul(a, b, e)
  local an, as = M.parse(a)
  local bn, bs = M.parse(b)
  if not an or not bn then return nil end
  return M.rescale(an * bn, as + bs, e)
end

-- a * pct / 100 (decimal strings) as an integer at scale e, rounded once, half-up.
function M.mul_pct(a, pct, e)
  local an, as = M.parse(a)
  local bn, bs = M.parse(pct)
  if not an or not bn then return nil end
  return M.rescale(an * bn, as + bs + 2, e)
end

-- Compare decimal string with integer bounds lo..hi (inclusive).
function M.between(s, lo, hi)
  local n, sc = M.parse(s)
  if not n then return false end
  local p = pow10(sc)
  return n >= lo * p and n <= hi * p
end

return M
