-- levy.audit: the audit log of admin actions (issue 20; docs/plugins.md §3, "levy.audit").
-- Embedded in the binary and loaded once per generation by the sandbox (open_module), like
-- levy.util: pure Lua over levy.store, levy.json and levy.time. It owns the core table
-- `audit_log` (core/store/migrations/0007_audit_log.sql); plugins reach it only through this
-- module (the table-ownership check refuses a plugin's own SQL on it). Not for rules.
--
-- record() writes in the caller's store.transaction: call it in the transaction that saves
-- the change, so a change is never committed without its row and a refused change (raised
-- before or inside the transaction) leaves none. The log is append-only: nothing here updates
-- or deletes a row. A row the store refuses (a constraint, a trigger, a lost connection) raises
-- the API error 503 "unavailable" ("the change was not saved"), the answer the host's C
-- routes give too, so the caller's transaction rolls the change back. Secrets never enter it: pass `audit.REPLACED` (or `audit.replaced(last4)`
-- when the UI already shows the last 4 characters) for a key or token.
local http = require "levy.http"
local json = require "levy.json"
local log = require "levy.log"
local store = require "levy.store"
local time = require "levy.time"

local M = {}

M.REPLACED = "replaced"

-- What a secret's field holds in a row: `word` ("set", "replaced"), with " (…abcd)" when
-- the UI already shows those last 4 characters (last4). Never more than 4 characters of it.
function M.secret(word, last4)
  if type(last4) == "string" and #last4 == 4 then return word .. " (…" .. last4 .. ")" end
  return word
end

-- M.secret("replaced", last4).
function M.replaced(last4)
  return M.secret(M.REPLACED, last4)
end

local function plain(v)
  if v == nil then return json.null end
  return v
end

local function same(a, b)
  if a == b then return true end
  if type(a) == "table" and type(b) == "table" then
    return json.canonical(a) == json.canonical(b)
  end
  return false
end

-- The changed fields of two records: {field = {before = v, after = v}} for each of `fields`
-- (a list of names; every key of either record when nil) whose values differ. A missing
-- record (nil: created or deleted) counts as all-null.
function M.diff(before, after, fields)
  before, after = before or {}, after or {}
  local names = fields
  if not names then
    local seen = {}
    names = {}
    for _, t in ipairs { before, after } do
      for k in pairs(t) do
        if not seen[k] then seen[k] = true; names[#names + 1] = k end
      end
    end
    table.sort(names)
  end
  local out = {}
  for _, k in ipairs(names) do
    local b, a = before[k], after[k]
    if b == json.null then b = nil end
    if a == json.null then a = nil end
    if not same(b, a) then out[k] = { before = plain(b), after = plain(a) } end
  end
  return out
end

-- Whether a diff holds any change.
function M.changed(changes)
  return next(changes) ~= nil
end

local ACTOR_KINDS = { api_token = true, named_token = true, ui_session = true, cli = true, system = true }

-- The person of a row (core migration 0009; GET /v1/audit?person=): the named token's name in
-- the actor label the host made (core/host/auth.c levy_auth_who_actor): "<name>'s token"
-- (named_token) or "UI session of <name> <8 hex>" (ui_session); nil for any other actor.
-- Exact: the two forms are fixed and a name is never cut in a label. The C twin is
-- levy_audit_person (core/store/audit.c); the migration backfills older rows by this rule.
function M.person(kind, actor)
  if type(actor) ~= "string" then return nil end
  if kind == "named_token" and #actor > 8 and actor:sub(-8) == "'s token" then
    return actor:sub(1, -9)
  end
  if kind == "ui_session" and #actor > 23 and actor:sub(1, 14) == "UI session of "
    and actor:sub(-9, -9) == " " then
    return actor:sub(15, -10)
  end
  return nil
end

-- Writes one row. req: the request (its actor and id; nil for work no request asked for: then
-- e.actor_kind / e.actor, default "system" / "levy"). e = {action, object_kind, object_id,
-- label, changes = {field = {before, after}} (or omitted: {})}.
function M.record(req, e)
  if type(e) ~= "table" or type(e.action) ~= "string" or not e.action:match("^[a-z_]+%.[a-z_]+$") then
    error("levy.audit.record: action must be a code such as 'settings.updated'", 2)
  end
  if type(e.object_kind) ~= "string" or e.object_kind == "" then
    error("levy.audit.record: object_kind must be a string", 2)
  end
  local kind, actor = e.actor_kind, e.actor
  if req and req.actor_kind then kind, actor = req.actor_kind, req.actor end
  kind = kind or "system"
  if not ACTOR_KINDS[kind] then error("levy.audit.record: unknown actor kind " .. tostring(kind), 2) end
  actor = actor or "levy"
  local oid = e.object_id
  if oid ~= nil then oid = tostring(oid) end
  local ok, msg = store.try_exec(
    "INSERT INTO audit_log(at, actor_kind, actor, action, object_kind, object_id, object_label, " ..
    "changes, request_id, person) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    time.iso(time.now_ms()), kind, actor, e.action, e.object_kind, oid, e.label,
    json.canonical(e.changes or {}), req and req.id or nil, M.person(kind, actor))
  if ok == nil then
    -- one status for a refused row, whatever the store's error class (a trigger's refusal is a
    -- constraint error that would otherwise read as a 409 conflict): the store's fault
    log.error("audit: the row could not be written; the change is not saved",
      { action = e.action, error = tostring(msg) })
    http.error(503, "unavailable", "the change was not saved: its audit log row could not be written",
      nil, { ["Retry-After"] = "1" })
  end
end

-- A page of the log, newest first. f = {limit (1..500), after (an id: rows before it),
-- from, to (YYYY-MM-DD, UTC, inclusive), action (a code, or a prefix ending in '.': "region."),
-- object_kind, object_id, actor_kind, actor, person (a named token's name: the rows of that
-- token and of every UI session opened with it)}. Returns rows ({id, at, actor_kind, actor,
-- action, object_kind, object_id, object_label, changes (decoded), request_id}) and the id to
-- pass as `after` for the next page (nil on the last page).
function M.list(f)
  f = f or {}
  local where, args = {}, {}
  local function add(cond, v)
    where[#where + 1] = cond
    args[#args + 1] = v
  end
  if f.after then add("id < ?", math.tointeger(f.after)) end
  if f.from then add("at >= ?", f.from .. "T00:00:00Z") end
  if f.to then add("at <= ?", f.to .. "T23:59:59Z") end
  if f.action then
    if f.action:sub(-1) == "." then add("substr(action, 1, ?) = ?", #f.action); args[#args + 1] = f.action
    else add("action = ?", f.action) end
  end
  if f.object_kind then add("object_kind = ?", f.object_kind) end
  if f.object_id then add("object_id = ?", f.object_id) end
  if f.actor_kind then add("actor_kind = ?", f.actor_kind) end
  if f.actor then add("actor = ?", f.actor) end
  if f.person then add("person = ?", f.person) end
  local limit = math.tointeger(f.limit) or 50
  args[#args + 1] = limit + 1
  local sql = "SELECT id, at, actor_kind, actor, action, object_kind, object_id, object_label, " ..
    "changes, request_id, person FROM audit_log" ..
    (#where > 0 and (" WHERE " .. table.concat(where, " AND ")) or "") ..
    " ORDER BY id DESC LIMIT ?"
  local rows = store.rows(sql, table.unpack(args, 1, #args))
  local next_after
  if #rows > limit then
    rows[#rows] = nil
    next_after = rows[#rows].id
  end
  for _, r in ipairs(rows) do
    r.changes = json.decode(r.changes) or {}
  end
  return rows, next_after
end

return M
