-- Webhook verification (CONTRACT §2.7, rillet-api.md §4.5).
--   signed bytes = timestamp "." id "." entity "." event "." raw_body   (header values verbatim)
--   signature    = Base64(HMAC-SHA256(key, signed bytes))
--   key          = the signing token's Base64-decoded bytes when the token is valid Base64,
--                  and (additionally, or otherwise) the token's text bytes
--   X-Rillet-Signature may carry up to 10 signatures separated by ","; any match accepts.
local crypto = require "levy.crypto"
local time = require "levy.time"
local util = require "util"
local lutil = require "levy.util"

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

-- X-Rillet-Id: a UUID, 8-4-4-4-12 hex digits (any case) — the OAS says `format: uuid`.
local UUID = "^%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x$"
-- X-Rillet-Entity / X-Rillet-Event: enum words (INVOICE, PAYMENT_UPDATED, credit-memo).
local WORD = "^[%w_%-]+$"
M.MAX_WORD = 64

-- X-Rillet-Timestamp: an RFC 3339 date-time (the OAS says `format: date-time`), strictly
--   YYYY-MM-DD "T" hh:mm:ss [ "." 1-9 digits ] ( "Z" | ("+"|"-") hh:mm )   ("t", "z" allowed)
-- with real calendar and clock ranges (no leap second). Returns ms since the epoch, or nil.
-- The grammar has a '.' only before the fraction digits and always ends in a zone, so no
-- other split of `timestamp "." id` into a timestamp and a UUID exists (see M.check).
function M.parse_timestamp(s)
  if type(s) ~= "string" or #s > 40 then return nil end
  local rest = s:match("^%d%d%d%d%-%d%d%-%d%d[Tt]%d%d:%d%d:%d%d(.*)$")
  if not rest then return nil end
  local frac, zone = rest:match("^%.(%d+)(.*)$")
  if frac then
    if #frac > 9 then return nil end
  else
    zone = rest
  end
  if zone ~= "Z" and zone ~= "z" and not zone:match("^[+-]%d%d:%d%d$") then return nil end
  -- the calendar, clock and offset ranges and the milliseconds (first three fraction digits):
  -- levy.time's one ISO 8601 reader (core/clock.c), which this grammar narrows
  return (time.parse_iso(s))
end

-- Format checks of the headers that form the signed string, before any secret is used.
-- Returns true, or nil, message. With the id a UUID (no '.'), entity and event words
-- (no '.') and the timestamp's strict grammar, `timestamp "." id "." entity "." event "."`
-- splits one way only, so a signature cannot be re-used under other header values
-- (e.g. timestamp "…T10:00:00" with id "123Z.<uuid>" for "…T10:00:00.123Z" + "<uuid>").
local WORD_HEADERS = { { "x-rillet-entity", "X-Rillet-Entity" }, { "x-rillet-event", "X-Rillet-Event" } }
function M.check(h)
  if not h["x-rillet-id"]:match(UUID) then
    return nil, "X-Rillet-Id must be a UUID (8-4-4-4-12 hex digits)"
  end
  if not M.parse_timestamp(h["x-rillet-timestamp"]) then
    return nil, "X-Rillet-Timestamp must be an RFC 3339 date-time, e.g. 2026-08-01T12:00:00Z"
  end
  for _, p in ipairs(WORD_HEADERS) do
    local v, label = h[p[1]], p[2]
    if #v > M.MAX_WORD or not v:match(WORD) then
      return nil, label .. " must be a word of letters, digits, '_' or '-' (at most 64)"
    end
  end
  return true
end

-- Freshness: "ok", or "old" / "future" with the age in seconds (negative: ahead of us).
-- tolerance_s 0 = not checked. future_s: how far ahead of levy's clock Rillet's may be.
M.FUTURE_SKEW_S = 300
function M.freshness(ts_ms, now_ms, tolerance_s)
  local age_ms = now_ms - ts_ms
  if not tolerance_s or tolerance_s <= 0 then return "ok", age_ms // 1000 end
  if age_ms > tolerance_s * 1000 then return "old", age_ms // 1000 end
  if -age_ms > M.FUTURE_SKEW_S * 1000 then return "future", age_ms // 1000 end
  return "ok", age_ms // 1000
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

-- Same, with the keys already derived (M.keys) from a non-empty token. Every candidate
-- signature is compared (crypto.equal, constant time) with the HMAC of each key; the key that
-- verified last time (keys.hit, kept in the list the connection's cache holds: conn.signing_keys)
-- is tried first and, when it verifies, the other key's HMAC over the ~2 KB signed bytes is not
-- computed (issue 21: one HMAC per delivery instead of two). A refused delivery always computes
-- every key's HMAC; an early accept tells the sender only that the signature is valid, which
-- the answer tells anyway.
M.hmac = crypto.hmac_sha256 -- (a field: the spec counts the calls)
function M.verify_keys(keys, h, body)
  local raws, n = {}, 0
  for part in (h["x-rillet-signature"] .. ","):gmatch("([^,]*),") do
    n = n + 1
    if n > M.MAX_SIGNATURES then break end
    local sig = lutil.trim(part)
    local raw = sig ~= "" and (crypto.b64decode(sig) or crypto.b64decode(sig, true)) or nil
    if raw then raws[#raws + 1] = raw end
  end
  if #raws == 0 then return false end
  local msg = M.signed_bytes(h, body)
  local first = keys.hit or 1
  local function matches(k)
    local mac, ok = M.hmac(k, msg), false
    for _, raw in ipairs(raws) do
      if crypto.equal(raw, mac) then ok = true end
    end
    return ok
  end
  if keys[first] and matches(keys[first]) then return true end
  for i, k in ipairs(keys) do
    if i ~= first and matches(k) then
      keys.hit = i
      return true
    end
  end
  return false
end

-- Body of a DELETED event: a JSON string uuid, or a bare uuid (or an object with id).
function M.deleted_id(body, json)
  local v = json.decode(body or "", util.LENIENT)
  if type(v) == "string" and v:sub(1, 1) ~= "\0" then return v end
  if type(v) == "table" and type(v.id) == "string" then return v.id end
  local bare = lutil.trim(body or ""):gsub('^"', ""):gsub('"$', "")
  if bare:match("^[%w%-_]+$") then return bare end
  return nil
end

return M
