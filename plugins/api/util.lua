-- Helpers shared by the api plugin's modules: JSON shapes, request parsing, validation
-- error collection, pagination arguments.
local json = require "levy.json"
local http = require "levy.http"

local M = {}

-- Raises an API error (levy.http.error). Always passes all five arguments: the host's
-- levy.http.error reads arguments 4 and 5 by stack index after pushing its own table, so
-- with fewer arguments it takes the error table itself for details/headers.
function M.fail(status, code, message, details, headers)
  return http.error(status, code, message, details, headers)
end

-- A JSON number literal decoded by levy.json is a string starting with "\0".
function M.is_string(v)
  return type(v) == "string" and v:byte(1) ~= 0
end

function M.is_object(v)
  return type(v) == "table" and v ~= json.null and v ~= json.empty_array
    and getmetatable(v) ~= json.array_mt
end

function M.is_array(v)
  if type(v) ~= "table" then return false end
  if getmetatable(v) == json.array_mt then return true end
  -- Plain Lua sequences built by other plugins (exports) count as arrays too.
  return next(v) == nil or (v[1] ~= nil and #v > 0)
end

function M.is_null(v)
  return v == nil or v == json.null
end

-- nil for JSON null, the value otherwise.
function M.nn(v)
  if v == json.null then return nil end
  return v
end

-- Lua nil -> json.null (for response bodies, so the key is present).
function M.orjnull(v)
  if v == nil then return json.null end
  return v
end

function M.array(t)
  if t == nil or next(t) == nil then return json.empty_array end
  return json.array(t)
end

function M.valid_date(s)
  if not M.is_string(s) or not s:match("^%d%d%d%d%-%d%d%-%d%d$") then return false end
  local y, m, d = s:match("^(%d+)-(%d+)-(%d+)$")
  y, m, d = math.tointeger(tonumber(y)), math.tointeger(tonumber(m)), math.tointeger(tonumber(d))
  if m < 1 or m > 12 or d < 1 then return false end
  local mdays = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
  if m == 2 and ((y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0) then return d <= 29 end
  return d <= mdays[m]
end

-- Validation error collector: v:add(field, message); v:raise() raises 422 validation_failed
-- with every collected detail when there is at least one.
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

local function media_type(req)
  local ct = req.headers and req.headers["content-type"]
  if ct == nil or ct == "" then return nil end
  return (ct:match("^%s*([^;%s]+)") or ""):lower()
end

-- Parses the request body as a JSON object (CONTRACT 2.1): a body sent with a Content-Type
-- other than application/json (or +json) -> 415; not JSON or not an object -> 400
-- invalid_json. Raises API errors; returns the decoded table.
function M.body_object(req)
  local body = req.body or ""
  local mt = media_type(req)
  if body ~= "" and mt ~= nil and mt ~= "application/json" and not mt:match("%+json$") then
    M.fail(415, "unsupported_media_type", "the request body must be application/json")
  end
  if body:match("^%s*$") then
    M.fail(400, "invalid_json", "a JSON object body is required")
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

-- limit (1..500, default 50) and an opaque cursor from the query string.
-- The cursor is the URL-safe Base64 of the last key of the previous page.
function M.page_args(req)
  local crypto = require "levy.crypto"
  local q = req.query or {}
  local errs = M.errors()
  local limit = 50
  if q.limit ~= nil then
    limit = q.limit:match("^%d+$") and math.tointeger(tonumber(q.limit)) or nil
    if limit == nil or limit < 1 or limit > 500 then
      errs:add("limit", "must be an integer from 1 to 500")
    end
  end
  local after
  if q.cursor ~= nil and q.cursor ~= "" then
    after = crypto.b64decode(q.cursor, true)
    if after == nil or after == "" then errs:add("cursor", "invalid cursor") end
  end
  errs:raise()
  return limit, after
end

function M.cursor_for(key)
  local crypto = require "levy.crypto"
  return crypto.b64encode(key, true, true)
end

return M
