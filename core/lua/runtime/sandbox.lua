-- Host prelude of a generation (embedded; runs once per lua_State with the full standard
-- library before any plugin or rule code, then the raw globals become unreachable).
-- Builds the sandboxed environments, the restricted `require`, plugin and rule loading and
-- validation, the route table and the request object. Called with one argument: a table
-- of C helpers (core/lua/sandbox.c). Returns the host API table H used by the C side.
local C = ...

local assert, error, next, pairs, ipairs, pcall, rawget, select, setmetatable, tostring,
      type, getmetatable, rawequal, rawlen, tonumber, xpcall, rawset =
      assert, error, next, pairs, ipairs, pcall, rawget, select, setmetatable, tostring,
      type, getmetatable, rawequal, rawlen, tonumber, xpcall, rawset
local raw_load = load
local string, table, math, utf8, coroutine, os = string, table, math, utf8, coroutine, os
local getinfo = debug.getinfo
local fmt = string.format

-- Hide what no sandboxed code may reach through shared metatables.
string.dump = nil
-- Pattern matching runs in C, out of the budget hook's reach: ("a"):rep(2e4):find(".-.-b")
-- would run for hours. The same functions, charging their work to the call's budget
-- (core/lua/pattern.c), replace the library's (for string methods too: the string
-- metatable's __index is this table).
string.find, string.match, string.gmatch, string.gsub =
  C.str_find, C.str_match, C.str_gmatch, C.str_gsub
getmetatable("").__metatable = false

local H = {}

-- Read-only proxies --------------------------------------------------------------------

local function ro_error(name)
  return function(_, k)
    error(fmt("attempt to modify read-only table '%s' (field '%s')", name, tostring(k)), 2)
  end
end

-- Shallow read-only view of t (fields read through, writes raise).
local function readonly(t, name)
  local proxy = {}
  return setmetatable(proxy, {
    __index = t,
    __newindex = ro_error(name),
    __pairs = function() return function(_, k) return next(t, k) end, proxy, nil end,
    __len = function() return #t end,
    __metatable = false,
  })
end

-- Deep read-only view (config): nested tables come back as read-only views too.
local function deep_readonly(t, name)
  local cache = {}
  local proxy = {}
  local function wrap(k, v)
    if type(v) ~= "table" then return v end
    local p = cache[k]
    if not p then p = deep_readonly(v, name .. "." .. tostring(k)); cache[k] = p end
    return p
  end
  return setmetatable(proxy, {
    __index = function(_, k) return wrap(k, t[k]) end,
    __newindex = ro_error(name),
    __pairs = function()
      return function(_, k) local nk, v = next(t, k); return nk, wrap(nk, v) end, proxy, nil
    end,
    __len = function() return #t end,
    __metatable = false,
  })
end
H.readonly = readonly
H.deep_readonly = deep_readonly

-- Metatables ---------------------------------------------------------------------------
-- Finalizers: Lua runs __gc with hooks off, so a finalizer escapes the instruction and time
-- budget (a `while true do end` in __gc hangs the event loop, the reload thread or `levy
-- check` for good). Lua marks an object for finalization only when its metatable has a __gc
-- field at setmetatable time (a raw lookup), so the sandbox's setmetatable refuses such a
-- metatable (checked with rawget, like Lua does); a __gc added later is never called. The
-- other ways to a finalizer are closed too: scripts have no rawset and no debug library; the
-- metatables the C bindings install (statements, API errors, job outcomes...) are hidden from
-- getmetatable, so a script cannot add a __gc (or an __index) to them; and the one host
-- metatable scripts must see, levy.json's array_mt, is locked against new fields.
-- __close runs as ordinary code with the budget hook on, so it needs no guard.

-- Metatables a script may get back from getmetatable: the ones it set itself, plus the
-- locked host metatables listed here (weak keys: a script's metatable is collected with it).
local visible_mt = setmetatable({}, { __mode = "k" })

local function sb_setmetatable(t, mt)
  if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    error("setmetatable: a metatable with a __gc field is not allowed (finalizers run " ..
          "outside the instruction budget)", 2)
  end
  local r = setmetatable(t, mt)
  if type(mt) == "table" then visible_mt[mt] = true end
  return r
end

local function sb_getmetatable(v)
  local mt = getmetatable(v)
  if type(mt) == "table" and not visible_mt[mt] then return false end
  return mt
end

-- Locks a host metatable that scripts may see (compare against, pass to setmetatable):
-- no new field (no __gc, no __index...) can be added; it stays visible to getmetatable.
local function lock_mt(mt, name)
  if type(mt) ~= "table" or visible_mt[mt] then return end
  setmetatable(mt, { __newindex = ro_error(name), __metatable = false })
  visible_mt[mt] = true
end

-- Modules ------------------------------------------------------------------------------

local modcache = {}    -- name -> read-only module value (shared by the generation)
local plugins = {}     -- name -> plugin table (validated)
local plugin_order = {}
local loading = true   -- true while the generation is being built
local overrides = {}   -- name -> value that replaces a host module (`levy test`'s stubs)
local load_util        -- (defined with the environments below) levy.util's module table
local load_runtime     -- (likewise) an embedded runtime module's table (levy.audit)

local function open_module(name)
  local m = modcache[name]
  if m ~= nil then return m end
  if overrides[name] ~= nil then
    modcache[name] = overrides[name]
    return overrides[name]
  end
  if name == "levy.plugin" then
    m = function(pname)
      if type(pname) ~= "string" then error("levy.plugin: name must be a string", 2) end
      if loading then
        -- lookup deferred: a view that resolves on access (plugins may load in any order)
        return setmetatable({}, {
          __index = function(_, k)
            local p = plugins[pname]
            if not p then error(fmt("plugin '%s' is not loaded", pname), 2) end
            local ex = p.exports
            return ex and ex[k]
          end,
          __newindex = ro_error("exports of " .. pname),
          __metatable = false,
        })
      end
      local p = plugins[pname]
      if not p or type(p.exports) ~= "table" then return nil end
      return readonly(p.exports, "exports of " .. pname)
    end
  elseif name == "levy.events" then
    m = readonly({ emit = C.gated(H.emit, "levy.events.emit", "request") }, "levy.events")
  elseif name == "levy.config" then
    m = deep_readonly(C.open_module(name), "levy.config")
  elseif name == "levy.util" then
    m = readonly(load_util(), "levy.util")
  elseif name == "levy.audit" then
    m = readonly(load_runtime("core/lua/runtime/audit.lua", name), name)
  elseif C.has_module(name) then
    local v = C.open_module(name)
    if name == "levy.json" then lock_mt(v.array_mt, "levy.json.array_mt") end
    if type(v) == "table" then m = readonly(v, name) else m = v end
  else
    return nil
  end
  modcache[name] = m
  return m
end
H.open_module = open_module

-- Replaces a host module for every plugin of this generation (`levy test` installs its HTTP
-- and sleep stubs, core/lua/runtime/spec.lua). Only before any plugin has loaded.
function H.override_module(name, value)
  if modcache[name] ~= nil or not loading then
    error(fmt("override_module: '%s' is already in use", name), 2)
  end
  overrides[name] = value
end

local function json_encode(v)
  if C.has_module("levy.json") then
    return open_module("levy.json").encode(v)
  end
  local s, err = open_module("cjson.safe").encode(v)
  if not s then error(err, 2) end
  return s
end
H.encode = json_encode

local function json_decode(s)
  if C.has_module("levy.json") then
    return open_module("levy.json").decode(s)
  end
  return open_module("cjson.safe").decode(s)
end

H.decode = json_decode

-- Environments -------------------------------------------------------------------------

local function gate(fn, name, kinds)
  return C.gated(fn, name, kinds)
end

-- Base functions every context gets.
local BASE = {
  "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
  "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type", "xpcall",
}

-- Coroutines: only those a script created may be resumed or closed (not a host thread such
-- as the handler's own coroutine, reachable through coroutine.running). A coroutine kept in
-- a module-level table outlives the call that created it: resuming or closing it first
-- hands it the caller's context and budget (C.co_adopt), so it never runs on a finished
-- call's (freed) context, nor with a capability the caller does not have.
local script_co = setmetatable({}, { __mode = "k" })
local co_resume, co_close = coroutine.resume, coroutine.close

local function own_co(co, fname)
  if type(co) ~= "thread" then
    error(fmt("bad argument #1 to '%s' (coroutine expected)", fname), 3)
  end
  if not script_co[co] then
    error(fmt("%s: not a coroutine created by coroutine.create or coroutine.wrap", fname), 3)
  end
  C.co_adopt(co)
end

local co_lib = {
  create = function(f)
    local co = C.co_create(f)
    script_co[co] = true
    return co
  end,
  resume = function(co, ...)
    own_co(co, "resume")
    return co_resume(co, ...)
  end,
  yield = coroutine.yield,
  status = coroutine.status,
  isyieldable = coroutine.isyieldable,
  running = coroutine.running,
  close = function(co)
    own_co(co, "close")
    return co_close(co)
  end,
}
function co_lib.wrap(f)
  local co = co_lib.create(f)
  local resume, unpack_ = co_lib.resume, table.unpack
  return function(...)
    local r = table.pack(resume(co, ...))
    if r[1] then return unpack_(r, 2, r.n) end
    local e = r[2]
    if type(e) == "string" then error(e, 0) end
    error(e, 0)
  end
end

local math_pure = {}
for k, v in pairs(math) do
  if k ~= "random" and k ~= "randomseed" then math_pure[k] = v end
end

local os_lib = {
  time = gate(os.time, "os.time", "request"),
  clock = gate(os.clock, "os.clock", "request"),
  date = gate(os.date, "os.date", "request"),
}

-- Builds a strict environment: reads of unknown names and every global write raise.
-- kind: "plugin" (load + request) or "rule" (pure).
-- extra (optional): more globals (`levy test`'s describe / it / assert / stub).
local function new_env(kind, label, require_fn, extra)
  local g = {}
  for _, k in ipairs(BASE) do g[k] = _G[k] end
  g.setmetatable = sb_setmetatable
  g.getmetatable = sb_getmetatable
  g._VERSION = _VERSION
  g.string = readonly(string, "string")
  g.table = readonly(table, "table")
  g.utf8 = readonly(utf8, "utf8")
  if kind == "plugin" then
    g.math = readonly(math, "math")
    g.coroutine = readonly(co_lib, "coroutine")
    g.os = readonly(os_lib, "os")
  else
    g.math = readonly(math_pure, "math")
  end
  g.require = require_fn
  for k, v in pairs(extra or {}) do g[k] = v end
  -- A global read finds g's value through a table __index, without a Lua call (issue 21: a
  -- function here made every `type`, `pairs`, `ipairs`... of plugin and rule code a call of
  -- it); an unknown name still raises, from g's own __index, at the reader's level.
  setmetatable(g, {
    __index = function(_, k) error(fmt("unknown global '%s'", tostring(k)), 2) end,
    __metatable = false,
  })
  local env = setmetatable({}, {
    __index = g,
    __newindex = function(_, k)
      error(fmt("assignment to global '%s' (use local)", tostring(k)), 2)
    end,
    __metatable = false,
  })
  g.load = function(chunk, name, mode, e)
    if mode ~= nil and mode ~= "t" then error("load: only text chunks are allowed", 2) end
    -- "@plugins/<name>/..." names a plugin's file (levy.store's table check): a loaded chunk
    -- may not claim one
    if type(name) == "string" and name:sub(1, 1) == "@" then name = "=" .. name:sub(2) end
    return raw_load(chunk, name, "t", e or env)
  end
  return env
end

local helper_cache = {}  -- rule folders: dir -> {name -> value} (helpers shared per folder)
local plugin_require = {} -- plugin name -> its `require` (a spec shares the plugin's modules)
local copy_lib_module     -- (defined with the plain copy below) the value a `_lib` module returns

-- The only modules a rule (context pure) may require: data and arithmetic helpers with no
-- capability (levy.taxid: the offline tax id check, core/tax/taxid.c). Not levy.store,
-- levy.crypto, levy.http, levy.jobs, levy.plugin (which would reach other plugins' exports),
-- levy.config, levy.tax...
local RULE_MODULES = { ["levy.money"] = true, ["levy.json"] = true, ["levy.taxid"] = true }
local RULE_MODULE_LIST = "levy.money, levy.json, levy.taxid"

-- Table ownership (docs/plugins.md §1, "tables"): levy.store refuses a statement of a plugin's
-- code on a table another plugin (or the core) owns (core/lua/bind_store.c reads these
-- registry tables).
local CORE_TABLES = { "jobs", "meta", "schema_migrations", "generations", "replicas", "files",
                      "audit_log", "api_tokens" } -- core/store/migrations, migrate.c
-- ("files": levy.files' bodies on PostgreSQL, reached through levy.files only; "audit_log":
-- through levy.audit only; "api_tokens": the named tokens' hashes, the host's only)
local table_owner = {}   -- table name -> plugin name, or "core"
local chunk_plugin = {}  -- chunk name folder ("plugins/rillet") -> plugin name
for _, t in ipairs(CORE_TABLES) do table_owner[t] = "core" end
C.set_registry("levy.table_owner", table_owner)
C.set_registry("levy.chunk_plugin", chunk_plugin)

-- A `require` over `loaded` (name -> value; a module still loading maps to `loaded` itself,
-- so a loop raises). `levy.*` and `cjson.safe` are host modules, opened unless refuse(name)
-- gives a reason; any other name goes to find(name) -> file, chunkname, env[, post] or nil,
-- message. The file runs once in env; post (optional) turns its value into what `require`
-- gives.
local function make_require(loaded, refuse, find)
  return function(name)
    if type(name) ~= "string" then error("bad argument #1 to 'require' (string expected)", 2) end
    local v = loaded[name]
    if v ~= nil then
      if v == loaded then error(fmt("require loop on '%s'", name), 2) end
      return v
    end
    if name:sub(1, 5) == "levy." or name == "cjson.safe" then
      local why = refuse and refuse(name)
      if why then error(why, 2) end
      v = open_module(name)
      if v == nil then error(fmt("module '%s' not found", name), 2) end
      loaded[name] = v
      return v
    end
    local file, chunk, env, post = find(name)
    if not file then error(chunk, 2) end
    local src, err = C.read_file(file)
    if not src then error(fmt("module '%s' not found: %s", name, err), 2) end
    local f, perr = raw_load(src, chunk, "t", env)
    if not f then error(perr, 0) end
    loaded[name] = loaded
    local ok, r = pcall(function()
      local x = f(name)
      if x == nil then x = true end
      if post then x = post(x) end
      return x
    end)
    if not ok then loaded[name] = nil; error(r, 0) end
    loaded[name] = r
    return r
  end
end

local function refuse_for_rules(name)
  if RULE_MODULES[name] then return nil end
  return fmt("module '%s' is not available to rules (a rule may require %s, _lib.<name> and " ..
             "the _helpers of its folder)", name, RULE_MODULE_LIST)
end

-- The `require` of the `_lib` modules of one rule folder: `_lib.<name>` loads
-- root/_lib/<name>.lua (once, into this cache of its own, so a _lib module never sees a
-- module of the folder that required it) in a `pure` environment with this same `require`; the
-- value it returns is copied plain (copy_lib_module). Nothing else but levy.money/levy.json/
-- levy.taxid.
local function lib_require(root)
  local req
  req = make_require({}, refuse_for_rules, function(name)
    local lib = name:match("^_lib%.([%a_][%w_]*)$")
    if not lib then
      return nil, fmt("module '%s' not found (require resolves only %s and _lib.<name>)", name,
                      RULE_MODULE_LIST)
    end
    local chunk = "@scripts/_lib/" .. lib .. ".lua"
    return root .. "/_lib/" .. lib .. ".lua", chunk, new_env("rule", name, req),
           function(v) return copy_lib_module(chunk:sub(2), name, v) end
  end)
  return req
end

-- The rules' `require`. folder: the rule folder's caches { loaded = name -> value of its
-- _helpers, lib = its lib_require or nil (no _lib) }; dir: the rule's folder. `_lib.<name>`
-- goes to folder.lib: loaded once per rule folder, so no folder can change what another one
-- runs. (The calls below are tail calls: an error's level still names the rule's line.)
local function rule_require(folder, dir, chunkprefix)
  local req, helpers
  req = function(name)
    if folder.lib and type(name) == "string" and name:sub(1, 5) == "_lib." then
      return folder.lib(name)
    end
    return helpers(name)
  end
  helpers = make_require(folder.loaded, refuse_for_rules, function(name)
    if dir and name:match("^_[%w_]*$") then
      return dir .. "/" .. name .. ".lua", "@" .. chunkprefix .. "/" .. name .. ".lua",
             new_env("rule", name, req)
    end
    return nil, fmt("module '%s' not found (require resolves only %s, _lib.<name> and %s)", name,
                    RULE_MODULE_LIST, "_helpers in the rule's folder")
  end)
  return req
end

local function loader_for(kind, label, dir, chunkprefix, root)
  if kind == "plugin" and chunkprefix then chunk_plugin[chunkprefix] = label end
  if kind == "rule" then
    local folder = dir and helper_cache[dir] or { loaded = {} }
    if dir then helper_cache[dir] = folder end
    if root and not folder.lib then folder.lib = lib_require(root) end
    return new_env("rule", label, rule_require(folder, dir, chunkprefix))
  end
  local env
  local req = make_require({}, nil, function(name)
    if not dir or not name:match("^[%a_][%w_]*$") or name == "handler" then
      return nil, fmt("module '%s' not found (require resolves only levy.* and files of this " ..
                      "plugin)", name)
    end
    return dir .. "/" .. name .. ".lua", "@" .. chunkprefix .. "/" .. name .. ".lua", env
  end)
  env = new_env(kind, label, req)
  plugin_require[label] = req
  return env
end

-- levy.util and levy.audit (docs/plugins.md §3): the embedded core/lua/runtime/util.lua and
-- audit.lua, each run once per
-- generation in a plugin environment whose `require` reaches only levy.* modules, so the
-- helpers can do nothing a plugin could not do itself. Not for rules (RULE_MODULES).
load_runtime = function(path, mname)
  local src = C.embedded(path)
  if not src then error("embedded " .. path .. " missing", 0) end
  local env
  local req = make_require({}, nil, function(name)
    return nil, fmt("module '%s' not found (%s requires only levy.* modules)", name, mname)
  end)
  env = new_env("plugin", mname, req)
  local f, err = raw_load(src, "@" .. path, "t", env)
  if not f then error(err, 0) end
  local v = f()
  if type(v) ~= "table" then error(path .. " did not return a table", 0) end
  return v
end
load_util = function() return load_runtime("core/lua/runtime/util.lua", "levy.util") end

-- The environment of a spec file of plugin `name` (`levy test`): a plugin environment whose
-- `require` is the plugin's own (the spec sees the very module tables the plugin uses) with
-- the spec globals in `extra`. nil when the plugin is not loaded.
function H.spec_env(name, extra)
  local req = plugin_require[name]
  if not req or not plugins[name] then return nil end
  return new_env("plugin", name, req, extra)
end

-- Plugins ------------------------------------------------------------------------------

-- An event name: "<plugin>.<what>", e.g. "api.region_changed".
local EVENT_NAME = "^[%a_][%w_]*%.[%a_][%w_.]*$"
local METHODS = { GET = true, POST = true, PUT = true, PATCH = true, DELETE = true, HEAD = true, OPTIONS = true }
local routes = {}      -- array of {method, path, auth, plugin, handler, pattern}
local route_keys = {}  -- "METHOD pattern" -> plugin
local jobs = {}        -- kind -> spec
local schedules = {}   -- array
local starts = {}      -- array of {plugin, fn}
local files_of = {}    -- plugin -> handler path
local sealed_cols = {} -- "table.column" -> plugin (a sealed column has one owner)
local emitted = {}     -- event name -> the plugin that declares it in `emits`
local subscribers = {} -- event name -> array of {plugin, fn, file}, in plugin load order

local function fn_line(f)
  if type(f) == "function" then
    local i = getinfo(f, "S")
    if i and i.linedefined and i.linedefined > 0 then return i.linedefined end
  end
  return 0
end

local function fail(file, line, msg)
  error(fmt("%s:%d: %s", file, line or 0, msg), 0)
end

local function is_int(v) return math.type(v) == "integer" end

-- A table whose keys are exactly 1..#t (a Lua sequence, nothing else).
local function is_array(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

local function path_pattern(path)
  -- "/v1/things/{id}" -> "/v1/things/{}" (collision key) ; validates segments
  if type(path) ~= "string" or path:sub(1, 1) ~= "/" then return nil, "path must start with '/'" end
  local out = {}
  for seg in path:gmatch("[^/]+") do
    if seg:match("^{[%a_][%w_]*}$") then out[#out + 1] = "{}"
    elseif seg:find("[{}]") then return nil, fmt("bad path segment '%s'", seg)
    else out[#out + 1] = seg end
  end
  return "/" .. table.concat(out, "/")
end

local function validate_plugin(name, file, p, role)
  if type(p) ~= "table" then fail(file, 0, "handler.lua must return a table") end
  if p.name ~= name then fail(file, 0, fmt("plugin name must be '%s' (got %s)", name, tostring(p.name))) end
  if type(p.version) ~= "string" or p.version == "" then fail(file, 0, "plugin version must be a non-empty string") end
  local roles = p.roles
  if roles ~= nil then
    if type(roles) ~= "table" then fail(file, 0, "roles must be an array of strings") end
    for _, r in ipairs(roles) do
      if type(r) ~= "string" then fail(file, 0, "roles must be an array of strings") end
    end
  end
  if p.routes ~= nil then
    if type(p.routes) ~= "table" then fail(file, 0, "routes must be an array") end
    for i, r in ipairs(p.routes) do
      local where = fmt("routes[%d]", i)
      if type(r) ~= "table" then fail(file, 0, where .. " must be a table") end
      local line = fn_line(r.handler)
      if not METHODS[r.method] then fail(file, line, where .. ": unknown method " .. tostring(r.method)) end
      local pat, perr = path_pattern(r.path)
      if not pat then fail(file, line, where .. ": " .. perr) end
      if type(r.handler) ~= "function" then fail(file, line, where .. ": handler must be a function") end
      if r.auth ~= nil and r.auth ~= "token" and r.auth ~= "none" and r.auth ~= "admin" then
        fail(file, line, where .. ": auth must be \"token\", \"admin\" or \"none\"")
      end
      if r.max_body ~= nil and (not is_int(r.max_body) or r.max_body < 1 or r.max_body > 64 * 1024 * 1024) then
        fail(file, line, where .. ": max_body must be an integer number of bytes from 1 to 67108864")
      end
      -- roexport24: a write a read-only token may make (it changes no tax data, settings or
      -- secrets: an export job, a calculation); only on a token route, the host's gate honours it
      if r.read_only_ok ~= nil and (type(r.read_only_ok) ~= "boolean" or (r.read_only_ok and
          (r.method == "GET" or (r.auth or "token") ~= "token"))) then
        fail(file, line, where .. ": read_only_ok must be true or false, and true only on a route " ..
          "other than GET with auth = \"token\"")
      end
      if r.fast ~= nil and (type(r.fast) ~= "table" or r.method ~= "POST" or r.auth ~= "none") then
        fail(file, line, where .. ": fast must be a table, on a POST route with auth = \"none\"")
      end
    end
  end
  if p.jobs ~= nil then
    if type(p.jobs) ~= "table" then fail(file, 0, "jobs must be a table") end
    for kind, j in pairs(p.jobs) do
      if type(kind) ~= "string" or kind == "" then fail(file, 0, "job kinds must be strings") end
      if type(j) ~= "table" or type(j.run) ~= "function" then fail(file, 0, fmt("jobs['%s'].run must be a function", kind)) end
      for _, f in ipairs({ "max_attempts", "concurrency", "base_delay_ms", "max_delay_ms" }) do
        if j[f] ~= nil and (not is_int(j[f]) or j[f] < 1) then
          fail(file, fn_line(j.run), fmt("jobs['%s'].%s must be a positive integer", kind, f))
        end
      end
    end
  end
  if p.schedule ~= nil then
    if type(p.schedule) ~= "table" then fail(file, 0, "schedule must be an array") end
    for i, s in ipairs(p.schedule) do
      if type(s) ~= "table" or type(s.run) ~= "function" or type(s.name) ~= "string"
         or not is_int(s.every_ms) or s.every_ms < 10 then
        fail(file, type(s) == "table" and fn_line(s.run) or 0,
             fmt("schedule[%d] needs name, every_ms (integer >= 10) and run", i))
      end
    end
  end
  if p.on_start ~= nil and type(p.on_start) ~= "function" then fail(file, 0, "on_start must be a function") end
  if p.sealed ~= nil then
    -- { { table = "t", key = "id", columns = { col = "field" } } }: AAD = row[key] .. ":" .. field
    if not is_array(p.sealed) then fail(file, 0, "sealed must be an array") end
    local ident = "^[%a_][%w_]*$"
    for i, s in ipairs(p.sealed) do
      local where = fmt("sealed[%d]", i)
      if type(s) ~= "table" then fail(file, 0, where .. " must be a table") end
      if type(s.table) ~= "string" or not s.table:match(ident) then
        fail(file, 0, where .. ".table must be an SQL identifier") end
      if type(s.key) ~= "string" or not s.key:match(ident) then
        fail(file, 0, where .. ".key must be an SQL identifier") end
      if type(s.columns) ~= "table" or next(s.columns) == nil then
        fail(file, 0, where .. ".columns must be a non-empty table of column = field") end
      for col, field in pairs(s.columns) do
        if type(col) ~= "string" or not col:match(ident) or col == s.key then
          fail(file, 0, where .. ".columns: keys must be SQL identifiers other than the key") end
        if type(field) ~= "string" or field == "" then
          fail(file, 0, fmt("%s.columns.%s must be a non-empty string (the AAD field)", where, col)) end
      end
      for k in pairs(s) do
        if k ~= "table" and k ~= "key" and k ~= "columns" then
          fail(file, 0, fmt("%s: unknown field '%s'", where, tostring(k))) end
      end
    end
  end
  if p.exports ~= nil and type(p.exports) ~= "table" then fail(file, 0, "exports must be a table") end
  -- host events (docs/plugins.md §1, "emits" / "events"): names "<emitting plugin>.<what>"
  if p.emits ~= nil then
    if not is_array(p.emits) then fail(file, 0, "emits must be an array of event names") end
    for i, ev in ipairs(p.emits) do
      if type(ev) ~= "string" or ev:sub(1, #name + 1) ~= name .. "." or not ev:match(EVENT_NAME) then
        fail(file, 0, fmt("emits[%d] must be an event name '%s.<what>' (letters, digits, _ and .)", i, name))
      end
    end
  end
  if p.events ~= nil then
    if type(p.events) ~= "table" then fail(file, 0, "events must be a table of event name = function") end
    for ev, f in pairs(p.events) do
      if type(ev) ~= "string" or not ev:match(EVENT_NAME) then
        fail(file, fn_line(f), fmt("events: '%s' is not an event name '<plugin>.<what>'", tostring(ev)))
      end
      if type(f) ~= "function" then fail(file, 0, fmt("events['%s'] must be a function", ev)) end
    end
  end
  local v = p.tables
  if v ~= nil then
    if not is_array(v) then fail(file, 0, "tables must be an array of table names") end
    for i, t in ipairs(v) do
      if type(t) ~= "string" or not t:match("^[%a_][%w_]*$") then
        fail(file, 0, fmt("tables[%d] must be an SQL identifier", i))
      end
    end
  end
end

local function plugin_has_role(p, role)
  local roles = p.roles or { "serve" }
  for _, r in ipairs(roles) do if r == role then return true end end
  return false
end

-- Loads plugins/<name>/handler.lua (src given by C). Returns true when the plugin serves
-- `role`, false when it was loaded but does not take part in this role.
function H.load_plugin(name, dir, relpath, src, role)
  local env = loader_for("plugin", name, dir, relpath:match("^(.*)/[^/]*$"))
  local f, err = raw_load(src, "@" .. relpath, "t", env)
  if not f then error(err, 0) end
  local p = f()
  validate_plugin(name, relpath, p, role)
  if role ~= "check" and role ~= "calc" and role ~= "test" and not plugin_has_role(p, role) then
    return false
  end
  if plugins[name] then fail(relpath, 0, "duplicate plugin " .. name) end
  for _, t in ipairs(p.tables or {}) do
    local owner = table_owner[t]
    if owner then
      fail(relpath, 0, fmt("table '%s' is already owned by %s", t,
                           owner == "core" and "the core" or fmt("plugin '%s'", owner)))
    end
  end
  plugins[name] = p
  plugin_order[#plugin_order + 1] = name
  for _, t in ipairs(p.tables or {}) do table_owner[t] = name end
  files_of[name] = relpath
  for _, r in ipairs(p.routes or {}) do
    local pat = path_pattern(r.path)
    local key = r.method .. " " .. pat
    if route_keys[key] then
      fail(relpath, fn_line(r.handler), fmt("route %s %s collides with a route of plugin '%s'", r.method, r.path, route_keys[key]))
    end
    route_keys[key] = name
    routes[#routes + 1] = { method = r.method, path = r.path, auth = r.auth or "", plugin = name, handler = r.handler,
                            max_body = r.max_body, fast = r.fast, read_only_ok = r.read_only_ok == true }
  end
  for kind, j in pairs(p.jobs or {}) do
    if jobs[kind] then fail(relpath, fn_line(j.run), fmt("job kind '%s' already defined by plugin '%s'", kind, jobs[kind].plugin)) end
    jobs[kind] = { plugin = name, run = j.run, max_attempts = j.max_attempts or 8,
                   concurrency = j.concurrency or 4, base_delay_ms = j.base_delay_ms or 1000,
                   max_delay_ms = j.max_delay_ms or 3600000 }
  end
  for _, s in ipairs(p.schedule or {}) do
    schedules[#schedules + 1] = { plugin = name, name = s.name, every_ms = s.every_ms, run = s.run }
  end
  if p.on_start then starts[#starts + 1] = { plugin = name, fn = p.on_start } end
  for _, ev in ipairs(p.emits or {}) do emitted[ev] = name end
  local evs = {}
  for ev in pairs(p.events or {}) do evs[#evs + 1] = ev end
  table.sort(evs)
  for _, ev in ipairs(evs) do
    local list = subscribers[ev] or {}
    subscribers[ev] = list
    list[#list + 1] = { plugin = name, fn = p.events[ev], file = relpath }
  end
  for _, sd in ipairs(p.sealed or {}) do
    for col in pairs(sd.columns) do
      local k = sd.table .. "." .. col
      if sealed_cols[k] then fail(relpath, 0, fmt("sealed column %s is already declared by plugin '%s'", k, sealed_cols[k])) end
      sealed_cols[k] = name
    end
  end
  return true
end

-- After every plugin of the generation loaded: a subscription to an event of a loaded plugin
-- that does not declare it in `emits` is a mistake (a typo would never fire) and rejects the
-- load/reload. A subscription to a plugin that is not loaded (another role) stays silent.
function H.check_events()
  local names = {}
  for ev in pairs(subscribers) do names[#names + 1] = ev end
  table.sort(names)
  for _, ev in ipairs(names) do
    local owner = ev:match("^([^.]+)%.")
    if plugins[owner] and emitted[ev] ~= owner then
      local s = subscribers[ev][1]
      fail(s.file, fn_line(s.fn), fmt("events: plugin '%s' emits no event '%s' (its emits: %s)", owner, ev,
        table.concat(plugins[owner].emits or {}, ", ")))
    end
  end
end

-- The plugin whose code called levy.events.emit (its chunk "@plugins/<name>/<file>.lua", as
-- levy.store's table check finds it: C functions and chunks made with `load` are their
-- caller's), or nil for code that is no plugin's (a spec, the host).
local function calling_plugin()
  local level = 3
  while true do
    local i = getinfo(level, "S")
    if not i then return nil end
    if i.what ~= "C" and i.source:sub(1, 1) == "@" then
      local dir = i.source:match("^@(.*)/[^/]*$")
      return dir and chunk_plugin[dir] or nil
    end
    level = level + 1
  end
end

-- levy.events.emit(name, payload) -> array of the values the subscribers returned (nil ones
-- left out), in plugin load order. Every subscriber runs now, in the caller's coroutine and
-- transaction, as a function call would: what it enqueues commits with the caller's work,
-- and an error it raises reaches the caller (who decides, as it would for an export).
function H.emit(name, payload)
  if type(name) ~= "string" or not name:match(EVENT_NAME) then
    error("levy.events.emit: bad event name " .. tostring(name), 2)
  end
  if payload ~= nil and type(payload) ~= "table" then
    error("levy.events.emit: payload must be a table", 2)
  end
  local owner = name:match("^([^.]+)%.")
  if emitted[name] ~= owner then
    error(fmt("levy.events.emit: plugin '%s' declares no event '%s' in emits", owner, name), 2)
  end
  local caller = calling_plugin()
  if caller ~= nil and caller ~= owner then
    error(fmt("levy.events.emit: plugin '%s' may not emit '%s' (only plugin '%s' emits it)", caller, name,
      owner), 2)
  end
  local out = {}
  for _, s in ipairs(subscribers[name] or {}) do
    local r = s.fn(payload or {})
    if r ~= nil then out[#out + 1] = r end
  end
  return out
end

-- Route / job / schedule accessors for the C side.
function H.route_count() return #routes end
function H.route(i)
  local r = routes[i]
  return r.method, r.path, r.auth, r.plugin, r.handler, r.max_body
end
-- whether a read-only token may call the route (read_only_ok), read by gen.c
function H.route_read_only_ok(i) return routes[i].read_only_ok end
-- the route's fast-path declaration (docs/plugins.md "Fast webhook intake"), read by gen.c
function H.route_fast(i) return routes[i].fast end
function H.job_kinds()
  local out = {}
  for kind, j in pairs(jobs) do out[#out + 1] = { kind = kind, plugin = j.plugin, max_attempts = j.max_attempts,
    concurrency = j.concurrency, base_delay_ms = j.base_delay_ms, max_delay_ms = j.max_delay_ms } end
  table.sort(out, function(a, b) return a.kind < b.kind end)
  return out
end
function H.job_run(kind) local j = jobs[kind]; return j and j.run, j and j.plugin end
function H.schedules() return schedules end
function H.starts() return starts end
function H.plugin_names() return plugin_order end
-- Every loaded plugin's `sealed` declarations, flattened and sorted (levy rotate-master-key):
-- array of { plugin, table, key, column, field }.
function H.sealed()
  local out = {}
  for _, name in ipairs(plugin_order) do
    for _, s in ipairs(plugins[name].sealed or {}) do
      local cols = {}
      for col in pairs(s.columns) do cols[#cols + 1] = col end
      table.sort(cols)
      for _, col in ipairs(cols) do
        out[#out + 1] = { plugin = name, table = s.table, key = s.key, column = col, field = s.columns[col] }
      end
    end
  end
  return out
end
function H.done_loading() loading = false end

-- Rules --------------------------------------------------------------------------------

local rules = {}       -- region -> rule
local rule_files = {}  -- region -> relpath
local rule_order = {}
local TAX_TYPES = { SALES_TAX = true, VAT = true, GST = true, HST = true, PST = true, QST = true }
local SOURCING = { destination = true, origin = true, origin_intrastate = true }
-- reverse charge kinds the decision implements (core/tax/calc.c, docs/rules.md)
local REVERSE_CHARGE = { b2b_foreign_seller = true, b2b_simplified_regime = true, b2b_qst_specified = true }
local SIMPLE_TREATMENTS = { taxable = true, exempt = true, zero_rated = true, reduced = true,
                            follows_goods = true, follows_goods_any = true }

local function is_decimal(s)
  return type(s) == "string" and s:match("^%-?%d+%.?%d*$") ~= nil and s:sub(-1) ~= "."
end

local function check_treatment(t, where)
  if type(t) == "string" then
    if not SIMPLE_TREATMENTS[t] then return fmt("%s: unknown treatment '%s'", where, t) end
    return nil
  end
  if type(t) ~= "table" then return fmt("%s: treatment must be a string or a table", where) end
  -- dated taxability (docs/rules.md section 2): { T, from =, to = } or a list of such rows
  local function dated_row(row, w)
    if type(row) ~= "table" then return w .. ": a dated row is { T, from = \"YYYY-MM-DD\", to = ... }" end
    for _, k in ipairs({ "from", "to" }) do
      local v = row[k]
      local m, d = nil, nil
      if type(v) == "string" then m, d = v:match("^%d%d%d%d%-(%d%d)%-(%d%d)$") end
      if v ~= nil and (m == nil or tonumber(m) < 1 or tonumber(m) > 12 or tonumber(d) < 1 or tonumber(d) > 31) then
        return fmt("%s.%s must be a date YYYY-MM-DD", w, k)
      end
    end
    if row.from and row.to and row.from > row.to then return w .. ": from is after to" end
    if row[1] == nil then return w .. ": a dated row needs its treatment first ({ \"taxable\", from = ... })" end
    return check_treatment(row[1], w .. "[1]")
  end
  if t.from ~= nil or t.to ~= nil then return dated_row(t, where) end
  if type(t[1]) == "table" then
    for i, row in ipairs(t) do
      local e = dated_row(row, fmt("%s[%d]", where, i))
      if e then return e end
    end
    return nil
  end
  if t.fraction ~= nil then
    if not is_decimal(t.fraction) then return where .. ": fraction must be a decimal string" end
  elseif t.rate ~= nil then
    if not is_decimal(t.rate) then return where .. ": rate must be a decimal string" end
    if t.level ~= nil and type(t.level) ~= "string" then return where .. ": level must be a string" end
  elseif t.exempt_levels ~= nil then
    if type(t.exempt_levels) ~= "table" then return where .. ": exempt_levels must be an array" end
  elseif t.threshold ~= nil then
    if not is_decimal(t.threshold) then return where .. ": threshold must be a decimal string" end
    if t.per ~= nil and t.per ~= "unit" and t.per ~= "line" then return where .. ": per must be \"unit\" or \"line\"" end
    local e = check_treatment(t.below, where .. ".below") or check_treatment(t.above, where .. ".above")
    if e then return e end
  elseif t.reduced ~= nil then
    if type(t.reduced) ~= "string" then return where .. ": reduced must be a rate name" end
  elseif t.business ~= nil or t.individual ~= nil then
    -- by the customer's type (issue 19; docs/rules.md): an absent branch is taxable
    for k in pairs(t) do
      if k ~= "business" and k ~= "individual" then
        return fmt("%s: a customer-type table has only business and individual, not %s", where, tostring(k))
      end
    end
    local e = (t.business ~= nil and check_treatment(t.business, where .. ".business")) or
              (t.individual ~= nil and check_treatment(t.individual, where .. ".individual"))
    if e then return e end
  elseif t.pickup_offered ~= nil or t.ship_only ~= nil then
    -- by the seller's delivery (issue 19, setting pickup_offered; docs/rules.md "Shipping"):
    -- an absent branch is taxable
    for k in pairs(t) do
      if k ~= "pickup_offered" and k ~= "ship_only" and k ~= "cite" then
        return fmt("%s: a delivery table has only pickup_offered and ship_only, not %s", where, tostring(k))
      end
    end
    local e = (t.pickup_offered ~= nil and check_treatment(t.pickup_offered, where .. ".pickup_offered")) or
              (t.ship_only ~= nil and check_treatment(t.ship_only, where .. ".ship_only"))
    if e then return e end
  else
    return where .. ": unknown treatment table"
  end
  return nil
end

local function validate_rule(file, r)
  if type(r) ~= "table" then fail(file, 0, "a rule file must return a table") end
  if type(r.region) ~= "string" or r.region == "" then fail(file, 0, "rule needs region (string)") end
  if type(r.name) ~= "string" then fail(file, 0, "rule needs name (string)") end
  if not TAX_TYPES[r.tax_type] then fail(file, 0, "rule needs tax_type (SALES_TAX, VAT, GST, HST, PST or QST)") end
  if r.sourcing ~= nil and not SOURCING[r.sourcing] then fail(file, 0, "sourcing must be destination, origin or origin_intrastate") end
  if r.reverse_charge ~= nil and not REVERSE_CHARGE[r.reverse_charge] then fail(file, 0, "reverse_charge must be b2b_foreign_seller, b2b_simplified_regime or b2b_qst_specified") end
  if type(r.taxability) ~= "table" then fail(file, 0, "rule needs taxability (table)") end
  for code, t in pairs(r.taxability) do
    local e = check_treatment(t, "taxability." .. tostring(code))
    if e then fail(file, 0, e) end
  end
  if r.calculate ~= nil and type(r.calculate) ~= "function" then fail(file, 0, "calculate must be a function") end
  -- calculate_for (and what else of the table C compiles): checked by the compiler itself
  if (r.calculate_for ~= nil or r.calculate_before ~= nil or r.calculate_election ~= nil or r.place_of_supply ~= nil
      or r.marketplace_from ~= nil or r.marketplace_law ~= nil)
     and C.has_module("levy.tax") then
    local ok, e = pcall(open_module("levy.tax").check_rule, r)
    if not ok then fail(file, 0, tostring(e)) end
  end
  if r.selftest ~= nil then
    if type(r.selftest) ~= "table" then fail(file, 0, "selftest must be an array") end
    for i, c in ipairs(r.selftest) do
      if type(c) ~= "table" or type(c.request) ~= "table" or type(c.expect) ~= "table" then
        fail(file, 0, fmt("selftest[%d] needs request and expect tables", i))
      end
    end
  end
end

-- Rule data is copied into plain tables at load: the C engine reads a rule's fields (and
-- calculate's ctx) on the caller's thread, so a metatable left on them (an __index, __len...)
-- would run rule code outside the pure context, e.g. in a request, with its capabilities.
-- The copy reads with next/rawget only, refuses any table with a metatable, any function
-- other than the rule's `calculate`, coroutines and userdata with a metatable, and cycles.
local PLAIN_MAX_DEPTH = 32

-- The path of the value being copied, built only for an error message: keys[1..n] under root.
local function path_of(root, keys, n)
  local out = { root }
  for i = 1, n do
    local k = keys[i]
    if type(k) == "string" and k:match("^[%a_][%w_]*$") then out[#out + 1] = "." .. k
    elseif type(k) == "string" then out[#out + 1] = fmt("[%q]", k)
    else out[#out + 1] = fmt("[%s]", tostring(k)) end
  end
  return table.concat(out)
end

local function copy_fail(st, depth, msg)
  fail(st.file, 0, path_of(st.root, st.keys, depth) .. ": " .. msg)
end

local PLAIN_LEAF = { string = true, number = true, boolean = true }

-- st = { file =, root =, keys = {}, active = {}, done = {} }; depth = #keys in use.
local function plain_copy(st, v, depth)
  local tv = type(v)
  if PLAIN_LEAF[tv] then return v end
  if tv == "userdata" then
    if getmetatable(v) ~= nil then copy_fail(st, depth, "userdata is not allowed in rule data") end
    return v -- light userdata such as levy.json.null
  end
  if tv == "function" and st.functions then return v end -- a _lib module's functions
  if tv ~= "table" then
    copy_fail(st, depth, fmt("a %s is not allowed in rule data (only calculate may be a function)", tv))
  end
  if getmetatable(v) ~= nil then
    copy_fail(st, depth, "rule data must be plain tables (this one has a metatable)")
  end
  local d = st.done[v]
  if d then return d end
  if st.active[v] then copy_fail(st, depth, "rule data must not contain cycles") end
  if depth >= PLAIN_MAX_DEPTH then copy_fail(st, depth, "rule data nested too deep") end
  st.active[v] = true
  local out, keys = {}, st.keys
  local k, x = next(v)
  while k ~= nil do
    if not PLAIN_LEAF[type(k)] then
      copy_fail(st, depth, fmt("keys of rule data must be strings or numbers (found a %s)", type(k)))
    end
    if PLAIN_LEAF[type(x)] then
      rawset(out, k, x)
    else
      keys[depth + 1] = k
      rawset(out, k, plain_copy(st, x, depth + 1))
    end
    k, x = next(v, k)
  end
  st.active[v] = nil
  st.done[v] = out
  return out
end

-- The value a `_lib` module returns, as the rules that require it get it: the same plain copy
-- as rule data (raw reads, no metatables, no cycles, no coroutines or userdata with a
-- metatable), except that functions are allowed. So a `_lib` module hands out data and
-- functions only, and nothing it returns runs code when read.
copy_lib_module = function(file, name, v)
  local st = { file = file, root = name, keys = {}, active = {}, done = {}, functions = true }
  return plain_copy(st, v, 0)
end

-- After calculate(ctx): the tables the engine reads back (ctx.lines, each line, its taxes and
-- each tax entry) must still be plain, so reading them runs no rule code.
local function check_ctx_plain(ctx)
  local function bad(what)
    error(fmt("%s must stay a plain table (no metatable)", what), 0)
  end
  local lines = rawget(ctx, "lines")
  if type(lines) ~= "table" then return end -- the engine reports it
  if getmetatable(lines) ~= nil then bad("ctx.lines") end
  for i, line in next, lines do
    if type(line) == "table" then
      if getmetatable(line) ~= nil then bad(fmt("ctx.lines[%s]", tostring(i))) end
      local taxes = rawget(line, "taxes")
      if type(taxes) == "table" then
        if getmetatable(taxes) ~= nil then bad(fmt("ctx.lines[%s].taxes", tostring(i))) end
        for k, t in next, taxes do
          if type(t) == "table" and getmetatable(t) ~= nil then
            bad(fmt("ctx.lines[%s].taxes[%s]", tostring(i), tostring(k)))
          end
        end
      end
    end
  end
end

local function plain_rule(file, r)
  if type(r) ~= "table" then fail(file, 0, "a rule file must return a table") end
  if getmetatable(r) ~= nil then
    fail(file, 0, "the rule table must be a plain table (this one has a metatable)")
  end
  local calc = rawget(r, "calculate")
  if calc ~= nil and type(calc) ~= "function" then fail(file, 0, "calculate must be a function") end
  local st = { file = file, root = "rule", keys = {}, active = { [r] = true }, done = {} }
  local out = {}
  local k, x = next(r)
  while k ~= nil do
    if k == "selftest" then
      -- the copy lives until the self-tests have run (H.selftest drops it): on pool pages of
      -- its own, so that dropping it empties whole pages instead of leaving holes between
      -- the rule's objects that live on
      st.keys[1] = k
      local was = C.pool_arena(1)
      local ok, v = pcall(plain_copy, st, x, 1)
      C.pool_arena(was)
      if not ok then error(v, 0) end
      rawset(out, k, v)
    elseif k ~= "calculate" then
      if type(k) ~= "string" then fail(file, 0, "the fields of a rule table must be strings") end
      st.keys[1] = k
      rawset(out, k, plain_copy(st, x, 1))
    end
    k, x = next(r, k)
  end
  if calc then
    rawset(out, "calculate", function(ctx)
      calc(ctx)
      check_ctx_plain(ctx)
    end)
  end
  return out
end

-- root: the scripts folder (its `_lib/` is the rules' shared helper folder); nil: no `_lib`.
function H.load_rule(relpath, src, dir, root)
  local env = loader_for("rule", relpath, dir, relpath:match("^(.*)/[^/]*$"), root)
  local f, err = raw_load(src, "@" .. relpath, "t", env)
  if not f then error(err, 0) end
  local r = plain_rule(relpath, f())
  validate_rule(relpath, r)
  if rules[r.region] then
    fail(relpath, 0, fmt("region %s is already defined by %s", r.region, rule_files[r.region]))
  end
  rules[r.region] = r
  rule_files[r.region] = relpath
  rule_order[#rule_order + 1] = r.region
  return r.region
end

function H.publish_rules()
  C.set_registry("levy.rules", rules)
  C.set_registry("levy.rule_files", rule_files)
end

function H.rule_regions() return rule_order end

local function show(v)
  if type(v) == "string" then return fmt("%q", v) end
  return tostring(v)
end

local function match(expect, got, path)
  if type(expect) == "table" then
    if type(got) ~= "table" then return fmt("%s: expected a table, got %s", path, show(got)) end
    for k, v in pairs(expect) do
      local e = match(v, got[k], path == "" and tostring(k) or (type(k) == "number" and fmt("%s[%d]", path, k) or path .. "." .. tostring(k)))
      if e then return e end
    end
    return nil
  end
  if expect ~= got then return fmt("%s: expected %s, got %s", path, show(expect), show(got)) end
  return nil
end

-- Runs the self-tests of the rule for region. Raises "file:0: message" on the first failure.
function H.selftest(region)
  local r, file = rules[region], rule_files[region]
  if not r.selftest then return 0 end
  if not C.has_module("levy.tax") then return 0 end
  local tax = open_module("levy.tax")
  for i, c in ipairs(r.selftest) do
    local name = c.name or fmt("#%d", i)
    local res, err = tax.calculate(c.request, { all_regions = true, rule = r, seller = c.seller,
                                                ca_gst_regime = c.ca_gst_regime, qc_qst_regime = c.qc_qst_regime,
                                                eu_below_threshold = c.eu_below_threshold,
                                                pickup_offered = c.pickup_offered,
                                                -- a remote seller's flat-rate elections (issue 19, law24)
                                                us_al_ssut = c.us_al_ssut, us_tx_single_local = c.us_tx_single_local })
    if not res then
      local m = type(err) == "table" and (tostring(err.message) .. (err.details and err.details[1] and (" (" .. tostring(err.details[1].field) .. ": " .. tostring(err.details[1].message) .. ")") or "")) or tostring(err)
      fail(file, 0, fmt("selftest '%s' failed: %s", name, m))
    end
    local e = match(c.expect, res, "")
    if e then fail(file, 0, fmt("selftest '%s' failed: %s", name, e)) end
  end
  -- they ran: a generation runs them once, when it is built (a reload builds a new one from the
  -- files), so their requests and expectations (1.4 MB of the shipped rules' 3.2 MB) go
  local n = #r.selftest
  r.selftest = nil
  return n
end

-- Requests -----------------------------------------------------------------------------

local REQ_METHODS = {}
-- req:json(): the body as a JSON object, by levy.util's body_object (the one parser of a
-- request body: 415 for another Content-Type than application/json or +json, 400 invalid_json
-- for an empty body, bad JSON or no object).
function REQ_METHODS.json(req)
  return open_module("levy.util").body_object(req)
end

-- Wraps the request fields (built by C) into a read-only object with methods. No closure and
-- no function call per read (issue 21): the proxy's `__index` is the fields table itself, whose
-- shared metatable falls back to REQ_METHODS; the fields stay unreachable (`__metatable`).
local REQ_FIELDS_MT = { __index = REQ_METHODS }
local REQ_RO = ro_error("req")
function H.make_req(fields)
  setmetatable(fields, REQ_FIELDS_MT)
  return setmetatable({}, { __index = fields, __newindex = REQ_RO, __metatable = false })
end
-- the same object built in C by levy_sandbox_make_req (core/lua/sandbox.c) from these two
H.req_fields_mt, H.req_ro = REQ_FIELDS_MT, REQ_RO

-- Renders an API error table (from levy.http.error) to status, body, headers.
function H.render_api_error(e)
  local body = { error = { code = e.code, message = e.message, details = e.details } }
  return e.status, json_encode(body), e.headers
end

-- Encodes a handler's body value to a string.
function H.render_body(body)
  if type(body) == "string" then return body end
  -- a body held in C (levy.tax.calculate's opts.encode = "body"): the host sends its bytes
  if type(body) == "userdata" and C.is_body(body) then return body end
  if body == nil then return "" end
  return json_encode(body)
end

return H
