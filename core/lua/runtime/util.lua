-- levy.util: the host's helper module for plugins (docs/plugins.md §3, "levy.util").
-- Embedded in the binary (core/embed.cmake) and loaded once per generation by the sandbox
-- (core/lua/runtime/sandbox.lua, open_module) in a plugin environment whose `require` reaches
-- only levy.* modules: pure Lua over levy.json, levy.http, levy.time and levy.crypto, so it
-- can do nothing a plugin could not do itself. It holds the helpers the plugins used to
-- carry each in their own copy (JSON shapes, null handling, request bodies, validation
-- errors, pagination, trimming, URL encoding, timestamps): one copy, here.
local json = require "levy.json"
local http = require "levy.http"
local time = require "levy.time"
local money = require "levy.money"

local M = {}

-- JSON shapes ---------------------------------------------------------------------------

-- A JSON string: a Lua string that is not a JSON number literal (levy.json decodes a
-- non-integer number to a string starting with "\0").
function M.is_string(v)
  return type(v) == "string" and v:byte(1) ~= 0
end

-- A table levy.json.encode writes as an array: json.array_mt, json.empty_array, or a plain
-- Lua sequence (lists built by another plugin and passed through its exports); a plain
-- empty table counts too, as the empty list a plugin builds with `{}`.
function M.is_array(v)
  if type(v) ~= "table" then return false end
  if getmetatable(v) == json.array_mt then return true end
  return next(v) == nil or (v[1] ~= nil and #v > 0)
end

-- A JSON array as levy.json.decode gives it: json.array_mt or json.empty_array, or a
-- non-empty plain sequence; a plain empty table is not one (a decoded `{}` is an object).
function M.is_json_array(v)
  return type(v) == "table"
    and (getmetatable(v) == json.array_mt or v == json.empty_array or v[1] ~= nil)
end

-- A table levy.json.encode writes as an object: not json.null, not an array (json.array_mt,
-- json.empty_array, a non-empty sequence). A plain empty table is an object.
function M.is_object(v)
  return type(v) == "table" and v ~= json.null and v ~= json.empty_array
    and getmetatable(v) ~= json.array_mt and v[1] == nil
end

function M.is_null(v)
  return v == nil or v == json.null
end

-- nil for JSON null, the value otherwise (reading decoded JSON).
function M.nn(v)
  if v == json.null then return nil end
  return v
end

-- json.null for Lua nil, the value otherwise (response bodies, so the key is present).
function M.orjnull(v)
  if v == nil then return json.null end
  return v
end

-- An array for a response body: json.empty_array for nil or an empty table.
function M.array(t)
  if t == nil or next(t) == nil then return json.empty_array end
  return json.array(t)
end

-- Values --------------------------------------------------------------------------------

-- s without leading and trailing white space.
function M.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- v when it is a decimal string (levy.money.is_decimal), "0" otherwise (a missing or
-- malformed amount read from stored or upstream JSON counts as zero).
function M.decimal_or_zero(v)
  if type(v) == "string" and money.is_decimal(v) then return v end
  return "0"
end

-- The current time as an ISO 8601 UTC timestamp (levy.time.iso of levy.time.now_ms).
function M.now_iso()
  return time.iso(time.now_ms())
end

-- Percent-encoding of everything but the RFC 3986 unreserved characters.
function M.urlencode(s)
  return (tostring(s):gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

-- A query string "?a=1&b=2" from name -> value (names sorted; nil and "" values left out);
-- "" when nothing is left.
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

-- API errors ----------------------------------------------------------------------------

-- Raises an API error: levy.http.error(status, code, message[, details[, headers]]).
function M.fail(status, code, message, details, headers)
  return http.error(status, code, message, details, headers)
end

-- Raises 422 validation_failed for one field: `summary` (default "request body is invalid")
-- as the message, {field, message} as the one detail.
function M.invalid(field, message, summary)
  return M.fail(422, "validation_failed", summary or "request body is invalid",
    json.array({ { field = field, message = message } }))
end

-- Validation error collector: e:add(field, message); e:raise([message]) raises 422
-- validation_failed with every collected detail when there is at least one.
local Errors = {}
Errors.__index = Errors

function M.errors()
  return setmetatable({ list = {} }, Errors)
end

function Errors:add(field, message)
  self.list[#self.list + 1] = { field = field, message = message }
end

function Errors:empty()
  return #self.list == 0
end

function Errors:raise(message)
  if #self.list == 0 then return end
  local first = self.list[1]
  M.fail(422, "validation_failed",
    message or (#self.list == 1 and (first.field .. ": " .. first.message))
      or ("request has " .. #self.list .. " invalid fields"),
    json.array(self.list))
end

-- Fields of `body` not listed in `allowed` ({name=true}) are reported as unknown.
function M.check_unknown(errs, body, allowed, prefix)
  local names = {}
  for k in pairs(body) do
    if not allowed[k] then names[#names + 1] = tostring(k) end
  end
  table.sort(names)
  for _, k in ipairs(names) do
    errs:add((prefix or "") .. k, "unknown field")
  end
end

-- Requests ------------------------------------------------------------------------------

local function media_type(req)
  local ct = req.headers and req.headers["content-type"]
  if ct == nil or ct == "" then return nil end
  -- issue 21 (calc22): the usual header, as the pattern and lower() would give it, without
  -- running them (~1.5k instructions a request)
  if ct == "application/json" then return ct end
  return (ct:match("^%s*([^;%s]+)") or ""):lower()
end

-- Parses the request body as a JSON object (CONTRACT 2.1): a body sent with a Content-Type
-- other than application/json (or +json) -> 415; not JSON or not an object -> 400
-- invalid_json. Raises API errors; returns the decoded table.
-- parse (optional): the parser, text -> value, view | nil, message (levy.tax.parse: the body
-- parsed in C for levy.tax.calculate, view false when not an object); default json.decode.
function M.body_object(req, parse)
  local body = req.body or ""
  local mt = media_type(req)
  if body ~= "" and mt ~= nil and mt ~= "application/json" and not mt:match("%+json$") then
    M.fail(415, "unsupported_media_type", "the request body must be application/json")
  end
  -- a body whose first byte is above " " is not blank (%s is " " and \t..\r): no pattern run
  -- over it (issue 21, calc22)
  if body == "" or (body:byte(1) <= 32 and body:match("^%s*$")) then
    M.fail(400, "invalid_json", "a JSON object body is required")
  end
  if parse ~= nil then
    local v, view_or_msg = parse(body)
    if v == nil then
      M.fail(400, "invalid_json", "body is not valid JSON: " .. tostring(view_or_msg))
    end
    if not view_or_msg then
      M.fail(400, "invalid_json", "body must be a JSON object")
    end
    return v, view_or_msg
  end
  local v, msg = json.decode(body)
  if v == nil then
    M.fail(400, "invalid_json", "body is not valid JSON: " .. tostring(msg))
  end
  if not M.is_object(v) then
    M.fail(400, "invalid_json", "body must be a JSON object")
  end
  return v
end

local LIMIT_MESSAGE = "must be an integer from 1 to 500"

-- ?limit= of query table q: an integer from 1 to 500, `default` when absent, nil when bad.
-- A page size from a query value: digits only, 1..max (a float such as 1e2 or 2.0, hex or a sign
-- is not one); `default` when absent; nil when it is not one.
function M.page_size(raw, default, max)
  if raw == nil then return default end
  local n = tostring(raw):match("^%d+$") and math.tointeger(tonumber(raw))
  if not n or n < 1 or n > max then return nil end
  return n
end

local function limit_of(q, default)
  return M.page_size(q.limit, default, 500)
end

-- ?limit= of query table q (1..500, `default` when absent); raises 422 "invalid query"
-- naming the field otherwise.
function M.limit_arg(q, default)
  local limit = limit_of(q, default)
  if limit == nil then M.invalid("limit", LIMIT_MESSAGE, "invalid query") end
  return limit
end

-- The key a cursor names: cursor_for's "k:"-tagged form, or (cursors issued before the tag)
-- a key of printable UTF-8. nil for anything else: text that happens to be Base64 (e.g.
-- "not-a-cursor") decodes to bytes no page ever ended on, and must be refused, not answered
-- with an empty page.
local function cursor_key(raw)
  if raw == nil or raw == "" then return nil end
  if raw:sub(1, 2) == "k:" then
    raw = raw:sub(3)
    return raw ~= "" and raw or nil
  end
  if utf8.len(raw) == nil or raw:find("[%c\127]") then return nil end
  return raw
end

-- limit (1..500, default 50) and an opaque cursor from the query string (cursor_for's).
function M.page_args(req)
  local crypto = require "levy.crypto"
  local q = req.query or {}
  local errs = M.errors()
  local limit = limit_of(q, 50)
  if limit == nil then errs:add("limit", LIMIT_MESSAGE) end
  local after
  if q.cursor ~= nil and q.cursor ~= "" then
    after = cursor_key(crypto.b64decode(q.cursor, true))
    if after == nil then errs:add("cursor", "invalid cursor") end
  end
  errs:raise()
  return limit, after
end

-- The cursor page_args reads back: URL-safe Base64 of "k:" and the page's last key.
function M.cursor_for(key)
  local crypto = require "levy.crypto"
  return crypto.b64encode("k:" .. key, true, true)
end

-- CSV (RFC 4180, CRLF) ---------------------------------------------------------------------

-- One field: nil / JSON null -> empty; quoted when it holds a comma, a quote, a line break or
-- leading/trailing blanks.
-- (issue 20, export22: the audit export writes about 150 fields a document; the patterns
-- "[,\"\r\n]" and "%s$" were tried at every character of each, a sixth of the export's CPU:
-- plain searches and the two end bytes (%s is C isspace: 9-13 and 32) decide the same.)
local find, byte = string.find, string.byte
local function blank(b) return b == 32 or (b ~= nil and b >= 9 and b <= 13) end
function M.csv_field(v)
  if v == nil or v == json.null then return "" end
  local s = tostring(v)
  if find(s, ",", 1, true) or find(s, '"', 1, true) or find(s, "\r", 1, true) or find(s, "\n", 1, true) or
      blank(byte(s, 1)) or blank(byte(s, -1)) then
    s = '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

-- rows (tables) -> CSV text: the header `columns`, then one line per row.
function M.csv(rows, columns)
  local lines = { table.concat(columns, ",") }
  for _, r in ipairs(rows) do
    local f = {}
    for i, c in ipairs(columns) do f[i] = M.csv_field(r[c]) end
    lines[#lines + 1] = table.concat(f, ",")
  end
  return table.concat(lines, "\r\n") .. "\r\n"
end

-- Does the request ask for CSV: ?format=csv, or no ?format= and an Accept header naming
-- text/csv (issue 20: the list endpoints and the reports answer both ways).
function M.wants_csv(req)
  local q = req.query or {}
  if q.format == "csv" then return true end
  if q.format ~= nil and q.format ~= "" then return false end
  local accept = req.headers and req.headers["accept"]
  return type(accept) == "string" and accept:lower():find("text/csv", 1, true) ~= nil
end

-- A CSV reply: 200, the text, text/csv with an attachment name.
function M.csv_reply(text, filename)
  return 200, text, { ["Content-Type"] = "text/csv; charset=utf-8",
                      ["Content-Disposition"] = 'attachment; filename="' .. filename .. '"' }
end

return M
