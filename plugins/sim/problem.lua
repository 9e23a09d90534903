-- RFC 9457 problem details, as Rillet answers errors (application/problem+json).
local json = require "levy.json"

local M = {}

local TYPES = {
  [400] = { "bad-request", "Bad Request" },
  [401] = { "unauthorized", "Unauthorized" },
  [403] = { "forbidden", "Forbidden" },
  [404] = { "not-found", "Not Found" },
  [405] = { "method-not-allowed", "Method Not Allowed" },
  [409] = { "conflict", "Conflict" },
  [422] = { "unprocessable-entity", "Unprocessable Entity" },
  [429] = { "too-many-requests", "Too Many Requests" },
  [500] = { "internal-server-error", "Internal Server Error" },
  [502] = { "bad-gateway", "Bad Gateway" },
  [503] = { "service-unavailable", "Service Unavailable" },
  [504] = { "gateway-timeout", "Gateway Timeout" },
}

-- Returns status, body, headers ready for a route handler.
function M.response(status, detail, errors, headers, type_slug)
  local t = TYPES[status] or { "error", "Error" }
  local p = { type = "https://rillet.io/" .. (type_slug or t[1]), title = t[2], status = status,
              detail = detail }
  if errors and #errors > 0 then p.errors = json.array(errors) end
  local h = { ["Content-Type"] = "application/problem+json" }
  for k, v in pairs(headers or {}) do h[k] = v end
  return status, json.canonical(p), h
end

local Problem = {}
Problem.__index = Problem

-- Raise a problem from anywhere inside an API handler; the route wrapper renders it.
function M.raise(status, detail, errors, headers, type_slug)
  error(setmetatable({ status = status, detail = detail, errors = errors, headers = headers,
                       type_slug = type_slug }, Problem), 0)
end

function M.is(e)
  return getmetatable(e) == Problem
end

function M.render(e)
  return M.response(e.status, e.detail, e.errors, e.headers, e.type_slug)
end

-- Validation error list helper: collects {field, message}; raise() if non-empty.
function M.errors()
  local list = {}
  return {
    add = function(field, message) list[#list + 1] = { field = field, message = message } end,
    any = function() return #list > 0 end,
    raise = function()
      if #list > 0 then
        local parts = {}
        for i, e in ipairs(list) do
          if i > 5 then parts[#parts + 1] = "..."; break end
          parts[#parts + 1] = e.field .. ": " .. e.message
        end
        M.raise(400, table.concat(parts, "; "), list, nil, "validation-error")
      end
    end,
  }
end

return M
