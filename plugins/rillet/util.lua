-- Small helpers shared by the rillet plugin modules (no I/O).
local json = require "levy.json"
local crypto = require "levy.crypto"

local M = {}

local find = string.find

-- JSON string: printable ASCII without '"' or '\' is its own escape (exactly what
-- json.encode writes for it), so only other strings pay for the C call.
local function quote(s)
  if not find(s, "[^\32-\126]") and not find(s, '["\\]') then return '"' .. s .. '"' end
  return json.encode(s)
end
M.quote = quote

-- Checked at load, since fingerprints and Idempotency-Keys stored in the database hash this
-- text: the fast path must write exactly json.encode's bytes (every byte value alone and
-- inside printable text; a string json.encode refuses, e.g. invalid UTF-8, takes the slow
-- path anyway).
for b = 0, 255 do
  for _, s in ipairs({ string.char(b), "a" .. string.char(b) .. "z", "" }) do
    local ok, want = pcall(json.encode, s)
    if ok and quote(s) ~= want then
      error("util.quote differs from json.encode for byte " .. b)
    end
  end
end

-- Canonical JSON: object keys sorted, no whitespace. Used for hashing (fingerprints,
-- idempotency keys), never for what is sent to Rillet.
local function canon(v, out)
  local t = type(v)
  if v == nil or v == json.null then
    out[#out + 1] = "null"
  elseif t == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif t == "number" then
    if math.type(v) ~= "integer" then error("canonical json: float") end
    out[#out + 1] = tostring(v)
  elseif t == "string" then
    -- a JSON number literal starts with "\0", so a printable string is never one
    local d = find(v, "^[\32-\126]") == nil and json.decimal(v) or nil
    if d then out[#out + 1] = d else out[#out + 1] = quote(v) end
  elseif t == "table" then
    local n = #v
    local mt = getmetatable(v)
    if n > 0 or mt == json.array_mt or v == json.empty_array then
      out[#out + 1] = "["
      for i = 1, n do
        if i > 1 then out[#out + 1] = "," end
        canon(v[i], out)
      end
      out[#out + 1] = "]"
    else
      local keys = {}
      for k in pairs(v) do keys[#keys + 1] = tostring(k) end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        if i > 1 then out[#out + 1] = "," end
        out[#out + 1] = quote(k)
        out[#out + 1] = ":"
        canon(v[k], out)
      end
      out[#out + 1] = "}"
    end
  else
    error("canonical json: unsupported " .. t)
  end
end

function M.canonical(v)
  local out = {}
  canon(v, out)
  return table.concat(out)
end

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
