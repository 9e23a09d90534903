-- Canonical JSON encoder for the simulator: object keys sorted, so the same data always
-- gives the same bytes (levy.json.encode follows Lua's hash order, which varies by run).
-- Handles levy.json number literals, json.null and json.array_mt; raises on floats.
local json = require "levy.json"

local M = {}

local esc = { ['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
              ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t' }

local function enc_str(s)
  return '"' .. s:gsub('[%z\1-\31"\\\127]', function(c)
    return esc[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end
M.string = enc_str

local function is_array(t)
  local mt = getmetatable(t)
  if mt ~= nil and mt == json.array_mt then return true end
  if t == json.empty_array then return true end
  return t[1] ~= nil
end

local function enc(v, out)
  local tv = type(v)
  if tv == "string" then
    if json.is_number(v) then out[#out + 1] = json.decimal(v) else out[#out + 1] = enc_str(v) end
  elseif tv == "number" then
    if math.type(v) ~= "integer" then error("cjs: float in JSON value", 3) end
    out[#out + 1] = string.format("%d", v)
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif v == nil or v == json.null then
    out[#out + 1] = "null"
  elseif tv == "table" then
    if is_array(v) then
      out[#out + 1] = "["
      for i = 1, #v do
        if i > 1 then out[#out + 1] = "," end
        enc(v[i], out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" then error("cjs: non-string object key", 3) end
        keys[#keys + 1] = k
      end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = enc_str(k)
        out[#out + 1] = ":"
        enc(v[k], out)
      end
      out[#out + 1] = "}"
    end
  else
    error("cjs: cannot encode " .. tv, 3)
  end
end

function M.encode(v)
  local out = {}
  enc(v, out)
  return table.concat(out)
end

-- An array value (always encodes as [] even when empty).
function M.array(t)
  return setmetatable(t or {}, json.array_mt)
end

return M
