-- Entity storage (canonical JSON bodies) and Rillet-style cursor pagination.
local json = require "levy.json"
local store = require "levy.store"
local crypto = require "levy.crypto"
local time = require "levy.time"
local state = require "state"

local M = {}

-- Next updated_at: the clock, but strictly after every stored updated_at (so updated.gt
-- sweeps never miss a write made in the same millisecond).
function M.next_updated_ms()
  local now = state.now()
  local row = store.row("SELECT max(updated_ms) AS m FROM sim_entities")
  local m = row and row.m
  if m and m >= now then now = m + 1 end
  return now
end

local function cols(c)
  c = c or {}
  return c.subsidiary_id, c.customer_id, c.parent_id, c.status, c.currency
end

-- The indexed columns of a stored invoice or credit memo (cur: its currency).
function M.doc_cols(doc, cur)
  return { subsidiary_id = doc.subsidiary_id, customer_id = doc.customer_id, status = doc.status, currency = cur }
end

-- obj.updated_at is set from updated_ms (unless the object has no updated_at field: noupd).
function M.insert(kind, obj, c, updated_ms, extra, noupd)
  updated_ms = updated_ms or M.next_updated_ms()
  if not noupd then obj.updated_at = time.iso_ms(updated_ms) end
  local s, cu, p, st, cur = cols(c)
  store.exec("INSERT INTO sim_entities(kind, id, subsidiary_id, customer_id, parent_id, status, "
             .. "currency, updated_ms, body, extra) VALUES (?,?,?,?,?,?,?,?,?,?)",
             kind, obj.id, s, cu, p, st, cur, updated_ms, json.canonical(obj),
             extra and json.encode(extra) or nil)
  return obj
end

function M.update(kind, obj, c, extra, noupd)
  local updated_ms = M.next_updated_ms()
  if not noupd then obj.updated_at = time.iso_ms(updated_ms) end
  local s, cu, p, st, cur = cols(c)
  store.exec("UPDATE sim_entities SET subsidiary_id = ?, customer_id = ?, parent_id = ?, status = ?, "
             .. "currency = ?, updated_ms = ?, body = ?, extra = coalesce(?, extra) "
             .. "WHERE kind = ? AND id = ?",
             s, cu, p, st, cur, updated_ms, json.canonical(obj), extra and json.encode(extra) or nil,
             kind, obj.id)
  return obj
end

-- Re-encode a body without touching updated_at (demo-data fix-ups only).
function M.update_fixed(kind, obj, c, extra)
  local s, cu, p, st, cur = cols(c)
  store.exec("UPDATE sim_entities SET subsidiary_id = ?, customer_id = ?, parent_id = ?, status = ?, "
             .. "currency = ?, body = ?, extra = coalesce(?, extra) WHERE kind = ? AND id = ?",
             s, cu, p, st, cur, json.canonical(obj), extra and json.encode(extra) or nil, kind, obj.id)
end

function M.delete(kind, id)
  return store.exec("DELETE FROM sim_entities WHERE kind = ? AND id = ?", kind, id)
end

function M.row(kind, id)
  if type(id) ~= "string" then return nil end
  return store.row("SELECT * FROM sim_entities WHERE kind = ? AND id = ?", kind, id)
end

-- Decoded object, extra table, row.
function M.get(kind, id)
  local r = M.row(kind, id)
  if not r then return nil end
  local obj = assert(json.decode(r.body))
  local extra = r.extra and json.decode(r.extra) or {}
  return obj, extra, r
end

function M.count(kind)
  return store.row("SELECT count(*) AS n FROM sim_entities WHERE kind = ?", kind).n
end

---------------------------------------------------------------------------------------------
-- Cursors: opaque, HMAC-tagged, carry kind, last seq and issue time. An expired (older than
-- cursor_ttl_ms) or invalid cursor silently restarts at page 1, as Rillet does.

local function cursor_secret()
  local s = state.get("cursor_secret")
  if not s then
    s = crypto.hex(crypto.random(32))
    state.put("cursor_secret", s)
  end
  return s
end

local function make_cursor(kind, seq)
  local payload = string.format("%s:%d:%d", kind, seq, state.now())
  local tag = crypto.hex(crypto.hmac_sha256(cursor_secret(), payload)):sub(1, 24)
  return crypto.b64encode(payload .. ":" .. tag, true, true)
end

local function read_cursor(kind, cursor)
  if type(cursor) ~= "string" or cursor == "" then return nil end
  local raw = crypto.b64decode(cursor, true)
  if not raw then return nil end
  local k, seq, issued, tag = raw:match("^([%w_]+):(%d+):(%d+):(%x+)$")
  if not k or k ~= kind then return nil end
  local want = crypto.hex(crypto.hmac_sha256(cursor_secret(), k .. ":" .. seq .. ":" .. issued)):sub(1, 24)
  if not crypto.equal(want, tag) then return nil end
  local ttl = state.config().cursor_ttl_ms
  if state.now() - math.tointeger(tonumber(issued)) > ttl then return nil end
  return math.tointeger(tonumber(seq))
end

-- filters: list of {column, value} (equality) plus updated_gt_ms.
-- Returns a JSON body string {"<key>":[...],"pagination":{"next_cursor":...}}.
-- order: "seq" (creation, default) or "updated_ms"; both strictly decreasing, newest first.
-- paginate: true, or "optional" for a list whose `pagination` Rillet's schema makes optional
-- (customers, invoices, credit memos): with the setting pagination = "when_more" its last
-- page then carries no `pagination` object at all.
-- map: optional function(body_text) -> body_text applied to each listed body.
function M.list(kind, list_key, filters, updated_gt_ms, limit, cursor, paginate, order, map)
  order = order == "updated_ms" and "updated_ms" or "seq"
  local ckind = order == "seq" and kind or (kind .. "_u")
  local where, params = { "kind = ?" }, { kind }
  for _, f in ipairs(filters) do
    where[#where + 1] = f[1] .. " = ?"
    params[#params + 1] = f[2]
  end
  if updated_gt_ms then
    where[#where + 1] = "updated_ms > ?"
    params[#params + 1] = updated_gt_ms
  end
  local after = paginate and read_cursor(ckind, cursor) or nil
  if after then
    where[#where + 1] = order .. " < ?"
    params[#params + 1] = after
  end
  local sql = "SELECT seq, updated_ms, body FROM sim_entities WHERE " .. table.concat(where, " AND ")
              .. " ORDER BY " .. order .. " DESC"
  if paginate then
    sql = sql .. " LIMIT ?"
    params[#params + 1] = limit + 1
  end
  local rows = store.rows(sql, table.unpack(params, 1, #params))
  local bodies, last = {}, nil
  local n = paginate and math.min(#rows, limit) or #rows
  for i = 1, n do
    bodies[i] = map and map(rows[i].body) or rows[i].body
    last = rows[i][order]
  end
  local out = '{"' .. list_key .. '":[' .. table.concat(bodies, ",") .. ']'
  if paginate then
    if #rows > limit then
      out = out .. ',"pagination":{"next_cursor":' .. json.encode(make_cursor(ckind, last)) .. '}}'
    elseif paginate == "optional" and state.config().pagination == "when_more" then
      out = out .. '}'
    else
      out = out .. ',"pagination":{}}'
    end
  else
    out = out .. '}'
  end
  return out
end

return M
