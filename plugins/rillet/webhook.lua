-- Webhook verification (CONTRACT §2.7, rillet-api.md §4.5).
--   signed bytes = timestamp "." id "." entity "." event "." raw_body   (header values verbatim)
--   signature    = Base64(HMAC-SHA256(key, signed bytes))
--   key          = the signing token's Base64-decoded bytes when the token is valid Base64,
--                  and (additionally, or otherwise) the token's text bytes
--   X-Rillet-Signature may carry up to 10 signatures separated by ","; any match accepts.
local crypto = require "levy.crypto"
local util = require "util"

local M = {}

M.HEADERS = { "x-rillet-signature", "x-rillet-timestamp", "x-rillet-id",
              "x-rillet-entity", "x-rillet-event" }
M.MAX_SIGNATURES = 10

-- Case-insensitive header lookup (the host lower-cases names; be defensive anyway).
local function header(headers, name)
  local v = headers[name]
  if v ~= nil then return v end
  for k, val in pairs(headers) do
    if type(k) == "string" and k:lower() == name then return val end
  end
  return nil
end

-- Returns the five header values, or nil, list_of_missing_names.
function M.headers(headers)
  local h, missing = {}, {}
  for _, name in ipairs(M.HEADERS) do
    local v = header(headers or {}, name)
    if type(v) ~= "string" or v == "" then
      missing[#missing + 1] = name
    else
      h[name] = v
    end
  end
  if #missing > 0 then return nil, missing end
  return h
end

-- Candidate HMAC keys derived from the token.
function M.keys(token)
  local keys = {}
  local decoded = crypto.b64decode(token)
  if decoded and #decoded > 0 then keys[#keys + 1] = decoded end
  keys[#keys + 1] = token
  return keys
end

function M.signed_bytes(h, body)
  return h["x-rillet-timestamp"] .. "." .. h["x-rillet-id"] .. "." .. h["x-rillet-entity"] ..
    "." .. h["x-rillet-event"] .. "." .. (body or "")
end

-- Constant-time verification of every candidate signature against every key.
function M.verify(token, h, body)
  if type(token) ~= "string" or token == "" then return false end
  return M.verify_keys(M.keys(token), h, body)
end

-- Same, with the keys already derived (M.keys) from a non-empty token.
function M.verify_keys(keys, h, body)
  local msg = M.signed_bytes(h, body)
  local macs = {}
  for _, k in ipairs(keys) do macs[#macs + 1] = crypto.hmac_sha256(k, msg) end
  local ok, n = false, 0
  for part in (h["x-rillet-signature"] .. ","):gmatch("([^,]*),") do
    n = n + 1
    if n > M.MAX_SIGNATURES then break end
    local sig = util.trim(part)
    local raw = sig ~= "" and (crypto.b64decode(sig) or crypto.b64decode(sig, true)) or nil
    if raw then
      for _, mac in ipairs(macs) do
        if crypto.equal(raw, mac) then ok = true end
      end
    end
  end
  return ok
end

-- Body of a DELETED event: a JSON string uuid, or a bare uuid (or an object with id).
function M.deleted_id(body, json)
  local v = json.decode(body or "", util.LENIENT)
  if type(v) == "string" and v:sub(1, 1) ~= "\0" then return v end
  if type(v) == "table" and type(v.id) == "string" then return v.id end
  local bare = util.trim(body or ""):gsub('^"', ""):gsub('"$', "")
  if bare:match("^[%w%-_]+$") then return bare end
  return nil
end

return M
