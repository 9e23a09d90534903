-- Deterministic PRNG (xorshift64*) on 64-bit Lua integers: same seed -> same sequence.
local M = {}
M.__index = M

function M.new(seed)
  local x = (math.tointeger(seed) or 1) * 0x9E3779B97F4A7C15 + 0x2545F4914F6CDD1D
  if x == 0 then x = 0x2545F4914F6CDD1D end
  local self = setmetatable({ x = x }, M)
  for _ = 1, 8 do self:next() end
  return self
end

function M:next()
  local x = self.x
  x = x ~ (x >> 12)
  x = x ~ (x << 25)
  x = x ~ (x >> 27)
  self.x = x
  return (x * 0x2545F4914F6CDD1D) >> 1     -- non-negative 63-bit
end

-- Integer in [lo, hi].
function M:int(lo, hi)
  return lo + self:next() % (hi - lo + 1)
end

-- true with probability num/den.
function M:chance(num, den)
  return self:next() % den < num
end

function M:pick(t)
  return t[self:int(1, #t)]
end

function M:hex(nbytes)
  local out = {}
  for i = 1, nbytes do out[i] = string.format("%02x", self:next() & 0xff) end
  return table.concat(out)
end

function M:uuid()
  local h = self:hex(16)
  local v = string.format("%x", 8 + (self:next() % 4))
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-4" .. h:sub(14, 16) .. "-" .. v .. h:sub(18, 20)
         .. "-" .. h:sub(21, 32)
end

return M
