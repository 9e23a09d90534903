-- Small helpers shared by the rillet plugin modules (no I/O).
local json = require "levy.json"
local crypto = require "levy.crypto"

local M = {}

-- Canonical JSON (sorted keys, no whitespace, number literals as plain decimals): the C
-- encoder's canonical mode (levy.json.canonical), the one canonical encoder. Used for hashing
-- (fingerprints, idempotency keys) and stored JSON, never for what is sent to Rillet.
M.canonical = json.canonical

-- JSON text for storage and responses (sorted keys; empty objects stay {}).
M.encode = M.canonical

function M.hash(v)
  return crypto.hex(crypto.sha256(type(v) == "string" and v or M.canonical(v)))
end

-- A JSON value that may be a number (integer or literal) as a decimal string.
function M.num_str(v)
  if v == nil or v == json.null then return nil end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "string" then
    local d = json.decimal(v)
    if d then return d end
    return v
  end
  return nil
end

function M.nonnull(v)
  if v == json.null then return nil end
  return v
end

-- Money object {amount, currency} -> amount string or nil.
function M.amount(m)
  m = M.nonnull(m)
  if type(m) ~= "table" then return nil end
  return M.nonnull(m.amount)
end

function M.currency(m)
  m = M.nonnull(m)
  if type(m) ~= "table" then return nil end
  return M.nonnull(m.currency)
end

-- Normalise a Rillet entity / event value: upper case, "-" == "_".
function M.norm(s)
  return (tostring(s or ""):upper():gsub("%-", "_"))
end

function M.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

function M.urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function M.query(params)
  local keys = {}
  for k in pairs(params) do keys[#keys + 1] = k end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do
    local v = params[k]
    if v ~= nil and v ~= "" then
      parts[#parts + 1] = M.urlencode(k) .. "=" .. M.urlencode(v)
    end
  end
  if #parts == 0 then return "" end
  return "?" .. table.concat(parts, "&")
end

-- Rillet's JSON (webhook bodies, API answers, the raw documents stored from them) and levy's
-- own stored JSON. A repeated key lets the last one win here: refusing it would drop a
-- delivery Rillet signed, and nothing else reads these texts. Client request bodies are
-- decoded strictly (levy.json's default: repeated keys refused).
M.LENIENT = { duplicate_keys = "last" }

function M.decode_obj(s)
  if type(s) ~= "string" then return nil end
  local v = json.decode(s, M.LENIENT)
  if type(v) ~= "table" then return nil end
  return v
end

return M
