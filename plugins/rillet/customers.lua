-- Customers (issue 17, "Every customer" and "Tax ids and exemptions from Rillet data"):
-- storing a Rillet customer with the tax id and exemption its data gives (mapping.lua over
-- external references and custom fields resolved by name), the custom-field cache
-- (GET /fields), and fetching a customer levy has not seen (GET /customers/{id}) before a
-- document that names it is calculated or a user sets its exemption.
local jobs = require "levy.jobs"
local log = require "levy.log"
local store = require "levy.store"
local time = require "levy.time"
local conn = require "conn"
local docs = require "docs"
local mapping = require "mapping"
local util = require "util"
local lutil = require "levy.util"

local M = {}

local nn = lutil.nn
local now_iso = lutil.now_iso

-- connection id -> levy's clock when GET /fields was last read (this generation)
local fields_checked = {}

-- The `customer_data` setting (PUT /v1/settings): lists that add to mapping.lua's.
function M.conf()
  local api = docs.api()
  if api and api.settings then
    local ok, st = pcall(api.settings)
    if ok and type(st) == "table" and type(st.customer_data) == "table" then return st.customer_data end
  end
  return {}
end

---------------------------------------------------------------- custom fields

-- {field_id = {name =, values = {value_id = name}}} of a connection's cached GET /fields
-- (cid nil: of every connection; one organisation's fields have one set of ids).
local function field_defs(cid)
  local rows
  if cid then
    rows = store.rows("SELECT field_id, name, field_values FROM rillet_fields WHERE connection_id = ?", cid)
  else
    rows = store.rows("SELECT field_id, name, field_values FROM rillet_fields ORDER BY connection_id")
  end
  local out = {}
  for _, r in ipairs(rows) do
    if not out[r.field_id] then out[r.field_id] = { name = r.name, values = util.decode_obj(r.field_values) or {} } end
  end
  return out
end

-- The customer's custom fields by name: { ["VAT number"] = "GB980780684" } (a field
-- assigned several values: the first). Assignments of fields or values levy does not know
-- (yet) are left out.
function M.fields_by_name(raw, cid, defs)
  local out = {}
  local a = type(raw) == "table" and nn(raw.fields)
  if type(a) ~= "table" then return out end
  defs = defs or field_defs(cid)
  for _, f in ipairs(a) do
    local fid = type(f) == "table" and nn(f.field_id)
    local vid = type(f) == "table" and nn(f.field_value_id)
    local def = type(fid) == "string" and defs[fid]
    if def and type(vid) == "string" then
      local v = def.values[vid]
      if type(v) == "string" and out[def.name] == nil then out[def.name] = v end
    end
  end
  return out
end

-- A tax id levy can send: what PUT /v1/customers/{id} accepts (validate.lua).
local function usable_tax_id(t)
  return type(t) == "string" and #t <= 64 and t:match("^[%w%-%.%s/]+$") ~= nil
end

-- What the Rillet data says of a customer: tax_id, tax_id_detail, exempt (true / false /
-- nil = nothing said), exempt_detail, customer type ("business" / "individual" / nil =
-- nothing said), its detail.
function M.resolve(raw, cid, defs)
  local fields = M.fields_by_name(raw, cid, defs)
  local conf = M.conf()
  local tid, tdetail = mapping.customer_tax_id(raw, fields, conf)
  if tid ~= nil and not usable_tax_id(tid) then
    log.warn("rillet customer tax id not usable (at most 64 letters, digits, spaces, '-', '.', '/'); ignored",
      { customer = type(raw) == "table" and tostring(nn(raw.id)) or "?", source = tostring(tdetail) })
    tid, tdetail = nil, nil
  end
  local ex, edetail = mapping.customer_exempt(raw, fields, conf)
  if type(ex) ~= "boolean" then ex, edetail = nil, nil end
  local ty, tydetail = nil, nil
  if type(mapping.customer_type) == "function" then -- an older mapping.lua has none
    ty, tydetail = mapping.customer_type(raw, fields, conf)
    if ty ~= "business" and ty ~= "individual" then ty, tydetail = nil, nil end
  end
  local qst, qdetail = nil, nil
  if type(mapping.customer_qst_number) == "function" then -- an older mapping.lua has none
    qst, qdetail = mapping.customer_qst_number(raw, fields, conf)
    if type(qst) ~= "string" then qst, qdetail = nil, nil end
  end
  return tid, type(tdetail) == "string" and tdetail or nil, ex, type(edetail) == "string" and edetail or nil,
    ty, type(tydetail) == "string" and tydetail or nil, qst, type(qdetail) == "string" and qdetail or nil
end

-- Stores one customer from Rillet JSON. Returns its stored raw before (nil: new), and
-- whether its tax-relevant data changed; "invalid" for a body without an id.
function M.apply(c, cid, defs)
  if type(c) ~= "table" or type(nn(c.id)) ~= "string" then return "invalid" end
  local api = docs.api()
  if not api then error("api plugin not loaded") end
  local before = api.customer(c.id)
  local tid, tdetail, ex, edetail, ty, tydetail, qst, qdetail = M.resolve(c, cid, defs)
  local _, changed = api.upsert_customer { id = c.id, name = nn(c.name), raw = c, updated_at = nn(c.updated_at),
    tax_id_hint = tid, tax_id_detail = tdetail, exempt_hint = ex, exempt_detail = edetail,
    customer_type_hint = ty, customer_type_detail = tydetail, qst_number_hint = qst, qst_number_detail = qdetail }
  return before and before.raw, changed
end

-- GET /fields into the cache. Returns true, altered (a field or value levy knew was renamed
-- or removed), changed (anything) | nil, err (a client error). A Rillet
-- that has no GET /fields (404 / 405) or refuses it to this key (403) is not an error: the
-- connection's fields_state says why, and tax ids come from external references only.
function M.refresh_fields(crow, c)
  local data, err = c:get("/fields")
  if not data then
    if err.kind == "http" and (err.status == 403 or err.status == 404 or err.status == 405) then
      local st = "unavailable: " .. tostring(err.message)
      if crow.fields_state ~= st then
        log.warn("rillet custom fields unavailable; tax ids come from external references only",
          { connection = crow.id, error = err.message })
        store.exec("UPDATE connections SET fields_state = ? WHERE id = ?", st, crow.id)
      end
      fields_checked[crow.id] = time.now_ms() -- asked again with the hourly refresh
      return true, false, false
    end
    return nil, err
  end
  local list = nn(data.fields)
  if type(list) ~= "table" then list = {} end
  local rows = {}
  for _, f in ipairs(list) do
    local id, name = type(f) == "table" and nn(f.id), type(f) == "table" and nn(f.name)
    if type(id) == "string" and type(name) == "string" then
      local vals = {}
      for _, v in ipairs(type(nn(f.values)) == "table" and f.values or {}) do
        local vid, vname = type(v) == "table" and nn(v.id), type(v) == "table" and nn(v.name)
        if type(vid) == "string" and type(vname) == "string" then vals[vid] = vname end
      end
      rows[#rows + 1] = { id = id, name = name, values = util.encode(vals), updated_at = nn(f.updated_at) }
    end
  end
  table.sort(rows, function(a, b) return a.id < b.id end)
  local changed, altered = false, false
  store.transaction(function()
    local old = store.rows("SELECT field_id, name, field_values FROM rillet_fields WHERE connection_id = ? ORDER BY field_id",
      crow.id)
    if #old ~= #rows then changed = true end
    for i, r in ipairs(rows) do
      local o = old[i]
      if not o or o.field_id ~= r.id or o.name ~= r.name or o.field_values ~= r.values then changed = true end
    end
    -- altered: a field or value levy knew was renamed or removed (customers already stored
    -- may read differently now); only added ones change nothing for them
    local new_by_id = {}
    for _, r in ipairs(rows) do new_by_id[r.id] = r end
    for _, o in ipairs(old) do
      local r = new_by_id[o.field_id]
      if not r or r.name ~= o.name then altered = true
      else
        local ov, nv = util.decode_obj(o.field_values) or {}, util.decode_obj(r.values) or {}
        for vid, name in pairs(ov) do if nv[vid] ~= name then altered = true end end
      end
    end
    if changed then
      store.exec("DELETE FROM rillet_fields WHERE connection_id = ?", crow.id)
      local now = now_iso()
      for _, r in ipairs(rows) do
        store.exec([[INSERT INTO rillet_fields(connection_id, field_id, name, field_values, updated_at, fetched_at)
          VALUES (?,?,?,?,?,?)]], crow.id, r.id, r.name, r.values, type(r.updated_at) == "string" and r.updated_at or nil, now)
      end
    end
    store.exec("UPDATE connections SET fields_state = 'ok' WHERE id = ?", crow.id)
  end)
  fields_checked[crow.id] = time.now_ms()
  return true, altered, changed
end

-- Is a periodic GET /fields due for the connection (hourly; first sweep after a start)?
M.FIELDS_EVERY_MS = 3600000
function M.fields_due(cid, now)
  local last = fields_checked[cid]
  return not last or now - last >= M.FIELDS_EVERY_MS
end

-- Does a customer carry an assignment of a field or value the cache does not know (added in
-- Rillet after levy last read GET /fields)?
function M.unknown_assignments(raw, cid)
  local a = type(raw) == "table" and nn(raw.fields)
  if type(a) ~= "table" or #a == 0 then return false end
  local defs = field_defs(cid)
  for _, f in ipairs(a) do
    local fid = type(f) == "table" and nn(f.field_id)
    local vid = type(f) == "table" and nn(f.field_value_id)
    if type(fid) == "string" and type(vid) == "string" and not (defs[fid] and defs[fid].values[vid]) then
      return true
    end
  end
  return false
end

-- Before storing customers (a sweep page, a webhook, a fetch): when one names a field or
-- value levy does not know, read GET /fields again first. Not again for a customer last
-- changed before levy's latest read (plus a minute for clock skew): a value is created
-- before it is assigned, so that read already had it (an assignment Rillet itself no longer
-- lists does not cost a request per customer). Returns true | nil, err.
M.FIELDS_SKEW_MS = 60000
function M.ensure_fields(crow, c, raws)
  local last = fields_checked[crow.id]
  local need = false
  for _, raw in ipairs(raws) do
    if M.unknown_assignments(raw, crow.id) then
      local u = type(raw) == "table" and nn(raw.updated_at)
      local ums = type(u) == "string" and time.parse_iso(u) or nil
      if not last or not ums or ums + M.FIELDS_SKEW_MS >= last then need = true; break end
    end
  end
  if not need then return true end
  local ok, res = M.refresh_fields(crow, c)
  if not ok then return nil, res end
  if res then M.request_remap() end
  return true
end

-- rillet.customers_remap: the custom fields or the customer_data setting changed; read
-- every stored customer's Rillet data again (BATCH a run) and re-check the documents of
-- those whose tax id or exemption changed.
M.BATCH = 200
function M.remap(job)
  local api = docs.api()
  if not api or not api.customer_ids then return end
  local after = (job.payload or {}).after
  local defs = field_defs(nil)
  local ids = api.customer_ids(M.BATCH, after)
  for _, id in ipairs(ids) do
    local c = api.customer(id)
    local raw = c and c.raw
    if type(raw) == "table" then
      M.apply(raw, nil, defs)
      local now = api.customer(id) or {}
      -- only a changed tax id or exemption re-checks documents (the raw JSON is the same
      -- data, whatever order its keys were written in)
      if now.tax_id ~= c.tax_id or now.exempt ~= c.exempt or now.qst_number ~= c.qst_number then
        docs.requeue_customer(id, false)
      end
    end
  end
  -- a remap requested while this one ran is queued from the first customer: keep that one
  if #ids == M.BATCH and jobs.count { kind = "rillet.customers_remap", states = { "queued" } } == 0 then
    jobs.enqueue { kind = "rillet.customers_remap", key = "remap", payload = { after = ids[#ids] } }
  end
end

function M.request_remap()
  jobs.enqueue { kind = "rillet.customers_remap", key = "remap", payload = {} }
end

-- Once per generation (a start, an upgrade, a reload after mapping.lua was edited): read
-- every customer's tax id and exemption again, since the mapping that derived them may have
-- changed. Called by the schedule tick (sync.tick, every --schedule-tick).
local remapped = false
function M.remap_once()
  if remapped then return end
  remapped = true
  if store.row("SELECT 1 AS x FROM connections WHERE deleted_at IS NULL LIMIT 1") then M.request_remap() end
end

---------------------------------------------------------------- unknown customers

-- Rillet ids are UUIDs; anything that could not be one is never put in a request path.
local function plausible_id(id)
  return type(id) == "string" and #id >= 1 and #id <= 100 and id:match("^[%w%-_]+$") ~= nil
end
M.plausible_id = plausible_id

-- GET /customers/{id} on one connection and store it. Returns the customer | nil, err
-- (client error table; status 404 when Rillet does not know it).
function M.fetch(crow, id)
  if not plausible_id(id) then
    return nil, { kind = "http", status = 404, message = "not a Rillet customer id" }
  end
  local c, cerr = conn.client(crow)
  if not c then return nil, { kind = "config", message = tostring(cerr) } end
  local data, err = c:get("/customers/" .. lutil.urlencode(id))
  if not data then return nil, err end
  if type(data) ~= "table" or nn(data.id) ~= id then
    return nil, { kind = "http", status = 502, retryable = true,
                  message = "Rillet answered GET /customers/" .. id .. " with another object" }
  end
  local fok, ferr = M.ensure_fields(crow, c, { data })
  if not fok then return nil, ferr end
  store.transaction(function() M.apply(data, crow.id) end)
  log.info("rillet customer fetched", { connection = crow.id, customer = id })
  return data
end

-- Export for PUT /v1/customers/{id}: asks each live connection for a customer levy has not
-- seen. Returns true | nil, {status = 404 | 502 | 503, code, message}.
function M.fetch_any(id)
  if type(id) ~= "string" or not plausible_id(id) then
    return nil, { status = 404, code = "not_found", message = "unknown customer" }
  end
  local last
  local asked = 0
  for _, crow in ipairs(store.rows([[SELECT * FROM connections WHERE deleted_at IS NULL
      AND api_key_sealed IS NOT NULL ORDER BY created_at]])) do
    asked = asked + 1
    local got, err = M.fetch(crow, id)
    if got then return true end
    if not (err.kind == "http" and err.status == 404) then last = err end
  end
  if last then
    if last.kind == "rate" then
      return nil, { status = 503, code = "rillet_busy", message = "customer " .. id ..
        " is not known to levy yet and Rillet cannot be asked right now: " .. tostring(last.message) }
    end
    return nil, { status = 502, code = "upstream_error", message = "customer " .. id ..
      " is not known to levy yet and Rillet could not be asked: " .. tostring(last.message) }
  end
  if asked == 0 then return nil, { status = 404, code = "not_found", message = "unknown customer (no Rillet connection to ask)" } end
  return nil, { status = 404, code = "not_found", message = "unknown customer: Rillet has no customer " .. id }
end

return M
