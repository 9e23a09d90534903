-- `levy test`: the Lua spec runner (docs/plugins.md "Specs"). Embedded; run by the sandbox
-- right after the prelude, only in a generation that `levy test` builds (core/host/spec.c),
-- before any plugin loads. Called with the prelude's API table H and the C helpers C.
-- Returns the runner table R that core/host/spec.c drives:
--   R.load(plugin, relpath, src) -> number of cases   (runs the spec file's body)
--   R.name(i)                    -> "describe > it" of case i
--   R.line(i)                    -> line of case i's `it`
--   R.run(i)                     -> true | false, message
-- A spec file is an ordinary plugin file with a few more globals (busted's shape, in
-- small): describe, it, before_each, after_each, assert (callable: assert.equal, .same,
-- .truthy, .falsy, .is_nil, .matches, .raises) and stub (stub.http, stub.requests,
-- stub.slept). `require` is its plugin's own: a spec sees the module tables the plugin runs.
local H, C = ...

local error, ipairs, pairs, pcall, rawequal, setmetatable, getmetatable, tostring, type, xpcall =
      error, ipairs, pairs, pcall, rawequal, setmetatable, getmetatable, tostring, type, xpcall
local string, table = string, table
local raw_load = load
local getinfo, traceback = debug.getinfo, debug.traceback
local fmt, concat, sort = string.format, table.concat, table.sort
local mtype = math.type

local R = {}

-- Showing values ------------------------------------------------------------------------

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return "." .. k end
  if type(k) == "string" then return fmt("[%q]", k) end
  return "[" .. tostring(k) .. "]"
end

-- A short, stable rendering of v (tables sorted by key, nested up to 4 levels).
local function show(v, depth)
  depth = depth or 0
  local t = type(v)
  if t == "string" then return fmt("%q", v) end
  if t == "number" then return mtype(v) == "float" and fmt("%.17g (float)", v) or tostring(v) end
  if t ~= "table" then return tostring(v) end
  if depth >= 4 then return "{...}" end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  local parts, n = {}, #v
  for _, k in ipairs(keys) do
    if mtype(k) == "integer" and k >= 1 and k <= n then
      parts[#parts + 1] = show(v[k], depth + 1)
    else
      local kt = type(k) == "string" and k:match("^[%a_][%w_]*$") and k or "[" .. show(k, depth + 1) .. "]"
      parts[#parts + 1] = kt .. " = " .. show(v[k], depth + 1)
    end
  end
  return "{" .. concat(parts, ", ") .. "}"
end
R.show = show

-- The first path where a and b differ (deeply, by value), or nil when they are the same.
local function diff(a, b, path, seen)
  if rawequal(a, b) then return nil end
  if type(a) ~= "table" or type(b) ~= "table" then
    if a == b and mtype(a) == mtype(b) then return nil end
    return path, a, b
  end
  seen = seen or {}
  if seen[a] == b then return nil end
  seen[a] = b
  for k, v in pairs(a) do
    local p, x, y = diff(v, b[k], path .. key_text(k), seen)
    if p then return p, x, y end
  end
  for k, v in pairs(b) do
    if a[k] == nil then return path .. key_text(k), nil, v end
  end
  return nil
end

-- Assertions ----------------------------------------------------------------------------

-- A failed assertion: a table, so the runner tells it from an error in the code under test
-- (which gets a traceback). `level` is the caller's level as for error().
local FAIL = {}
local function fail(msg, level)
  local where = ""
  local info = getinfo(level + 1, "Sl")
  if info and info.currentline and info.currentline > 0 then
    where = info.source:gsub("^@", "") .. ":" .. info.currentline .. ": "
  end
  error(setmetatable({ msg = where .. msg }, FAIL), level + 1)
end

local function with(msg, text)
  if msg ~= nil then return tostring(msg) .. ": " .. text end
  return text
end

local A = {}
-- assert.equal(expected, got[, msg]): expected == got (same Lua value; tables by identity)
function A.equal(expected, got, msg)
  if expected == got and mtype(expected) == mtype(got) then return got end
  fail(with(msg, "expected " .. show(expected) .. ", got " .. show(got)), 2)
end
-- assert.same(expected, got[, msg]): equal by value, tables compared deeply
function A.same(expected, got, msg)
  local p, x, y = diff(expected, got, "")
  if not p then return got end
  local at = p ~= "" and ("at " .. p .. ": expected " .. show(x) .. ", got " .. show(y) .. "; ") or ""
  fail(with(msg, at .. "expected " .. show(expected) .. ", got " .. show(got)), 2)
end
function A.truthy(v, msg)
  if v then return v end
  fail(with(msg, "expected a true value, got " .. show(v)), 2)
end
function A.falsy(v, msg)
  if not v then return v end
  fail(with(msg, "expected false or nil, got " .. show(v)), 2)
end
function A.is_nil(v, msg)
  if v == nil then return v end
  fail(with(msg, "expected nil, got " .. show(v)), 2)
end
-- assert.matches(pattern, s[, msg]): s (a string) matches the Lua pattern
function A.matches(pattern, s, msg)
  if type(s) == "string" and s:find(pattern) then return s end
  fail(with(msg, "expected a string matching " .. show(pattern) .. ", got " .. show(s)), 2)
end

-- Text of an error value: a string, an API error's "code: message", else tostring.
local function err_text(e)
  if type(e) == "table" and getmetatable(e) == FAIL then return e.msg end
  if type(e) == "table" and (e.code ~= nil or e.message ~= nil) then
    return tostring(e.code) .. ": " .. tostring(e.message)
  end
  return tostring(e)
end

-- assert.raises(fn[, pattern[, msg]]): fn raises; with a pattern, the error's text matches
-- it (plain text search when the pattern is not a valid Lua pattern). Returns the error.
function A.raises(fn, pattern, msg)
  local ok, e = pcall(fn)
  if ok then fail(with(msg, "expected an error, none was raised"), 2) end
  if type(e) == "table" and getmetatable(e) == FAIL then error(e, 0) end
  if pattern ~= nil then
    local text = err_text(e)
    local pok, found = pcall(string.find, text, pattern)
    if not pok then found = text:find(pattern, 1, true) end
    if not found then
      fail(with(msg, "expected an error matching " .. show(pattern) .. ", got " .. show(text)), 2)
    end
  end
  return e
end

local assert_ = setmetatable({}, {
  __index = A,
  __newindex = function(_, k) error(fmt("assert.%s is read-only", tostring(k)), 2) end,
  -- plain assert(v[, msg], ...) keeps its meaning
  __call = function(_, v, msg, ...)
    if v then return v, msg, ... end
    fail(msg ~= nil and tostring(msg) or "assertion failed!", 2)
  end,
  __metatable = false,
})

-- HTTP and sleep stubs ------------------------------------------------------------------
-- No network in a spec: levy.http.request answers from what the spec declared with
-- stub.http; a request nobody declared returns nil, message, "network" (as an unreachable
-- host would) and fails the case. levy.time.sleep returns at once and is recorded.

local answers, requests, unanswered, slept = {}, {}, {}, {}

local function copy(t, depth)
  if type(t) ~= "table" or (depth or 0) > 8 then return t end
  local out = {}
  for k, v in pairs(t) do out[k] = copy(v, (depth or 0) + 1) end
  return out
end

local function url_matches(pattern, url)
  if pattern:sub(1, 1) == "^" then return url:find(pattern) ~= nil end
  return pattern == url
end

-- One declared answer -> status, headers, body | nil, message, code.
local function respond(answer, sent)
  if type(answer) == "function" then
    local s, h, b = answer(copy(sent))
    if type(s) ~= "table" then return s, h, b end
    answer = s
  end
  if answer.error ~= nil then
    return nil, tostring(answer.message or answer.error), tostring(answer.error)
  end
  local headers = {}
  for k, v in pairs(answer.headers or {}) do headers[tostring(k):lower()] = tostring(v) end
  local body = answer.body
  if type(body) == "table" then
    body = H.encode(body)
    if headers["content-type"] == nil then headers["content-type"] = "application/json" end
  end
  return answer.status or 200, headers, body or ""
end

local http_real = C.open_module("levy.http")
local http_stub = {}
for k, v in pairs(http_real) do http_stub[k] = v end
http_stub.request = C.gated(function(req)
  if type(req) ~= "table" then error("bad argument #1 to 'request' (table expected)", 2) end
  local method, url = req.method or "GET", req.url
  if type(url) ~= "string" or not (url:sub(1, 7) == "http://" or url:sub(1, 8) == "https://") then
    error("levy.http.request: url must be http:// or https://", 2)
  end
  local sent = { method = method, url = url, headers = copy(req.headers or {}), body = req.body }
  requests[#requests + 1] = sent
  for _, a in ipairs(answers) do
    if not a.used and (a.method == "*" or a.method == method) and url_matches(a.url, url) then
      if not a.always then a.used = true end
      return respond(a.answer, sent)
    end
  end
  unanswered[#unanswered + 1] = method .. " " .. url
  return nil, "levy test: no answer declared for " .. method .. " " .. url, "network"
end, "levy.http.request", "request")
H.override_module("levy.http", H.readonly(http_stub, "levy.http"))

local time_stub = {}
for k, v in pairs(C.open_module("levy.time")) do time_stub[k] = v end
time_stub.sleep = C.gated(function(ms)
  if mtype(ms) ~= "integer" or ms < 0 then
    error("bad argument #1 to 'sleep' (non-negative integer expected)", 2)
  end
  slept[#slept + 1] = ms
end, "levy.time.sleep", "request")
H.override_module("levy.time", H.readonly(time_stub, "levy.time"))

local stub = {}
-- stub.http(method, url, answer): the next request with this method ("*": any) and url
-- (exact, or a Lua pattern when it starts with "^") gets `answer` once:
--   { status = 200, headers = {...}, body = "text" | table (sent as JSON) }
--   { error = "timeout" | "connect" | ..., message = "..." }  (a transfer failure)
--   function(request) -> one of the above, or status, headers, body
-- with `always = true` in the answer table it answers every such request.
function stub.http(method, url, answer)
  if type(method) ~= "string" or type(url) ~= "string" then
    error("stub.http(method, url, answer): method and url must be strings", 2)
  end
  if type(answer) ~= "table" and type(answer) ~= "function" then
    error("stub.http(method, url, answer): answer must be a table or a function", 2)
  end
  answers[#answers + 1] = { method = method, url = url, answer = answer,
                            always = type(answer) == "table" and answer.always == true }
end
-- stub.requests(): what the code sent, in order: { method, url, headers, body }
function stub.requests() return copy(requests) end
-- stub.slept(): the milliseconds passed to levy.time.sleep, in order
function stub.slept() return copy(slept) end

-- Cases ---------------------------------------------------------------------------------

local cases = {}
local scope = nil   -- { name, before = {}, after = {}, parent }

local function describe(name, fn)
  if type(name) ~= "string" or type(fn) ~= "function" then
    error("describe(name, fn): a string and a function", 2)
  end
  local outer = scope
  scope = { name = name, before = {}, after = {}, parent = outer }
  local ok, e = pcall(fn)
  scope = outer
  if not ok then error(e, 0) end
end

local function it(name, fn)
  if type(name) ~= "string" or type(fn) ~= "function" then
    error("it(name, fn): a string and a function", 2)
  end
  local names, s = { name }, scope
  while s do table.insert(names, 1, s.name); s = s.parent end
  local info = getinfo(2, "l")
  cases[#cases + 1] = { name = concat(names, " > "), fn = fn, scope = scope,
                        line = info and info.currentline or 0 }
end

local function before_each(fn)
  if type(fn) ~= "function" then error("before_each(fn): a function", 2) end
  if not scope then error("before_each belongs inside describe", 2) end
  scope.before[#scope.before + 1] = fn
end

local function after_each(fn)
  if type(fn) ~= "function" then error("after_each(fn): a function", 2) end
  if not scope then error("after_each belongs inside describe", 2) end
  scope.after[#scope.after + 1] = fn
end

local GLOBALS = { describe = describe, it = it, before_each = before_each,
                  after_each = after_each, assert = assert_, stub = stub }

function R.load(plugin, relpath, src)
  cases, scope = {}, nil
  local env = H.spec_env(plugin, GLOBALS)
  if not env then error(fmt("%s: plugin '%s' is not loaded", relpath, plugin), 0) end
  local f, err = raw_load(src, "@" .. relpath, "t", env)
  if not f then error(err, 0) end
  f()
  return #cases
end

function R.name(i) return cases[i] and cases[i].name end
function R.line(i) return cases[i] and cases[i].line end

local function handler(e)
  if type(e) == "table" and getmetatable(e) == FAIL then return e.msg end
  -- the traceback down to the case, without the runner's own frames
  local lines = {}
  for line in (traceback(err_text(e), 2) .. "\n"):gmatch("([^\n]*)\n") do
    if not line:find("core/lua/runtime/spec.lua", 1, true) and not line:find("in function 'xpcall'", 1, true) then
      lines[#lines + 1] = line
    end
  end
  return concat(lines, "\n")
end

-- Runs case i: before_each (outermost first), the case, after_each (innermost first, also
-- after a failure). Returns true, or false and the first failure's text.
function R.run(i)
  local c = cases[i]
  answers, requests, unanswered, slept = {}, {}, {}, {}
  local chain = {}
  local s = c.scope
  while s do table.insert(chain, 1, s); s = s.parent end
  local ok, msg = true, nil
  for _, sc in ipairs(chain) do
    for _, f in ipairs(sc.before) do
      if ok then ok, msg = xpcall(f, handler) end
    end
  end
  if ok then ok, msg = xpcall(c.fn, handler) end
  for k = #chain, 1, -1 do
    for _, f in ipairs(chain[k].after) do
      local aok, amsg = xpcall(f, handler)
      if ok and not aok then ok, msg = false, amsg end
    end
  end
  if ok and #unanswered > 0 then
    ok, msg = false, "request(s) with no declared answer: " .. concat(unanswered, ", ") ..
      " (declare them with stub.http)"
  end
  if ok then return true end
  return false, msg
end

return R
