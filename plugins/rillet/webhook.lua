-- Webhook verification (CONTRACT §2.7, rillet-api.md §4.5).
--   signed bytes = timestamp "." id "." entity "." event "." raw_body   (header values verbatim)
--   signature    = Base64(HMAC-SHA256(key, signed bytes))
--   key          = the signing token's Base64-decoded bytes when the token is valid Base64,
--                  and (additionally, or otherwise) the token's text bytes
--   X-Rillet-Signature may carry up to 10 signatures separated by ","; any match accepts.
local crypto = require "levy.crypto"
local util = require "util"
local lutil = require "levy.util"

local M = {}

-- The signed headers by role (the route's `fast` declaration hands them to the host), and
-- in the order a missing one is listed.
M.HEADER_OF = { signature = "x-rillet-signature", timestamp = "x-rillet-timestamp", id = "x-rillet-id",
                entity = "x-rillet-entity", event = "x-rillet-event" }
M.HEADERS = { M.HEADER_OF.signature, M.HEADER_OF.timestamp, M.HEADER_OF.id, M.HEADER_OF.entity,
              M.HEADER_OF.event }
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

M.MAX_WORD = 64

-- The grammar of the signed headers, the freshness window and the signature check are the
-- core's (core/crypto/hook.c, through levy.crypto.webhook_*): the one implementation that
-- the host's fast path (core/host/fasthook.c, the route's `fast` declaration in handler.lua)
-- uses too, so both paths accept and refuse the same deliveries.
--
-- X-Rillet-Timestamp: an RFC 3339 date-time (the OAS says `format: date-time`), strictly
--   YYYY-MM-DD "T" hh:mm:ss [ "." 1-9 digits ] ( "Z" | ("+"|"-") hh:mm )   ("t", "z" allowed)
-- with real calendar and clock ranges (no leap second). Returns ms since the epoch, or nil.
function M.parse_timestamp(s)
  return crypto.webhook_timestamp(s)
end

-- Format checks of the headers that form the signed string, before any secret is used.
-- Returns true, or nil, message. X-Rillet-Id a UUID (8-4-4-4-12 hex digits, any case: the OAS
-- says `format: uuid`), X-Rillet-Entity / X-Rillet-Event words of letters, digits, '_' or '-'
-- (at most 64): with no '.' in those and the timestamp's strict grammar,
-- `timestamp "." id "." entity "." event "."` splits one way only, so a signature cannot be
-- re-used under other header values (e.g. timestamp "…T10:00:00" with id "123Z.<uuid>" for
-- "…T10:00:00.123Z" + "<uuid>").
function M.check(h)
  local ms, why = crypto.webhook_check(h["x-rillet-timestamp"], h["x-rillet-id"],
    h["x-rillet-entity"], h["x-rillet-event"])
  if not ms then return nil, why end
  return true
end

-- Freshness: "ok", or "old" / "future" with the age in seconds (negative: ahead of us).
-- tolerance_s 0 = not checked. FUTURE_SKEW_S: how far ahead of levy's clock Rillet's may be.
M.FUTURE_SKEW_S = 300
function M.freshness(ts_ms, now_ms, tolerance_s)
  return crypto.webhook_fresh(ts_ms, now_ms, tolerance_s or 0, M.FUTURE_SKEW_S)
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

-- Candidate HMAC keys derived from the token: its Base64-decoded bytes when it is valid
-- Base64, then its text bytes.
function M.keys(token)
  return crypto.webhook_keys(token) or {}
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
-- signature (at most MAX_SIGNATURES, comma-separated, trimmed, standard or URL-safe Base64) is
-- compared in constant time with the HMAC of each key; the key that verified last time
-- (keys.hit, kept in the list the connection's cache holds: conn.signing_keys) is tried first
-- and, when it verifies, the other key's HMAC over the ~2 KB signed bytes is not computed
-- (issue 21: one HMAC per delivery instead of two). A refused delivery always computes every
-- key's HMAC; an early accept tells the sender only that the signature is valid, which the
-- answer tells anyway. Returns ok, and the number of HMACs computed.
function M.verify_keys(keys, h, body)
  return crypto.webhook_verify(keys, h["x-rillet-signature"], M.signed_bytes(h, body), M.MAX_SIGNATURES)
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
