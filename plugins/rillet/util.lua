-- Small helpers shared by the rillet plugin modules (no I/O).
local json = require "levy.json"
local crypto = require "levy.crypto"
local nn = require("levy.util").nn

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

-- Money object {amount, currency} -> amount string or nil.
function M.amount(m)
  m = nn(m)
  if type(m) ~= "table" then return nil end
  return nn(m.amount)
end

function M.currency(m)
  m = nn(m)
  if type(m) ~= "table" then return nil end
  return nn(m.currency)
end

-- Normalise a Rillet entity / event value: upper case, "-" == "_".
function M.norm(s)
  return (tostring(s or ""):upper():gsub("%-", "_"))
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
