-- Store access for the api plugin's tables (regions, settings, products, customers, and the
-- per-connection connection_regions / connection_settings). Every other module goes through
-- here. regions_audit (migration 0001) is no longer written (issue 20): every region change is
-- in levy.audit's audit_log (region.updated, connection_region.updated / .reset, with who
-- asked and the fields' before and after), which the Activity page and GET /v1/audit show;
-- the table keeps the rows of levies before, which no page reads (docs/operations.md "Audit
-- log"). It held a row for every PUT, also one that changed nothing, with the whole state.
--
-- `levy calc` (config.role == "calc") may run without a store, or with a data dir whose
-- tables do not exist yet: there, every read that fails is treated as an empty table.
-- In every other role a failing read propagates (the host turns a busy store into 503).
local json = require "levy.json"
local config = require "levy.config"
local util = require "levy.util"
local ltime = require "levy.time"
local taxid = require "levy.taxid" -- offline tax id check (issue 19)

local has_store, store = pcall(require, "levy.store")
if not has_store then store = nil end

local M = {}

-- fixed for the generation (config is a snapshot); read once, not through config's proxy
-- function on every calculation (issue 21)
local LENIENT_ROLE = config.role == "calc" or config.role == "check"

local function lenient()
  return LENIENT_ROLE
end

-- Runs a read; in calc mode a missing store or failing read yields `default()`.
local function read(fn, default)
  if store == nil then return default() end
  if lenient() then
    local ok, v = pcall(fn)
    if ok then return v end
    return default()
  end
  return fn()
end

local function empty() return {} end
local function none() return nil end

-- Stored JSON: levy's own, or raw Rillet objects kept verbatim (a repeated key there lets the
-- last one win, as when it arrived; request bodies are refused one at the door).
local LENIENT = { duplicate_keys = "last" }
local function decode_json(s)
  if s == nil then return nil end
  local v = json.decode(s, LENIENT)
  return v
end

local function encode_raw(raw)
  if raw == nil or raw == json.null then return nil end
  if type(raw) == "string" then return raw end
  return json.encode(raw)
end

local function bool(i) return i ~= nil and i ~= 0 and i ~= false end

---------------------------------------------------------------- calculation cache

-- What POST /v1/calculate reads from the store (regions, settings, product tax codes,
-- customer exemptions), kept while the stamp in `api_version` is unchanged. Triggers
-- (migrations/0002_calc_version.sql) set a new random stamp on every write to those tables,
-- whoever makes it, and a rolled-back write rolls its stamp back with it, so an entry can
-- never outlive the data it was read from. One cache per generation (module state).
-- Returns the cache table ({version, regions?, settings?, products = {}, customers = {}, n})
-- or nil when there is no stamp to check (`levy calc` without a store, older schema).
-- The stamp is read only when the store says it may have changed (issue 21: the SELECT was a
-- per-request cost): store.data_version() gives two counters (SQLite, outside a transaction:
-- other connections' commits, this connection's changed rows) that stay the same while no
-- committed row changed; they are taken before the stamp is read, so a commit in between
-- moves them for the next call. nil (PostgreSQL, where another replica's write shows only by
-- reading; inside a transaction, whose stamp may still roll back) reads every time, as before.
local CALC_CACHE_MAX = 20000 -- products + customers entries before the cache starts over
local calc_cache = { version = nil }
local seen_other, seen_own -- store.data_version() when calc_cache.version was last read

local function calc_version()
  local r = store.row("SELECT v FROM api_version WHERE id = 1")
  return r and r.v
end

local store_data_version = store and store.data_version

local function data_version()
  if store_data_version == nil then return nil end
  if LENIENT_ROLE then
    local ok, other, own = pcall(store_data_version)
    if ok then return other, own end
    return nil
  end
  return store_data_version()
end

function M.calc_cache()
  local other, own = data_version()
  if other ~= nil and other == seen_other and own == seen_own and calc_cache.n <= CALC_CACHE_MAX then
    return calc_cache
  end
  seen_other, seen_own = nil, nil
  local v = read(calc_version, none)
  if v == nil then return nil end
  if calc_cache.version ~= v or calc_cache.n > CALC_CACHE_MAX then
    calc_cache = { version = v, products = {}, customers = {}, n = 0 }
  end
  seen_other, seen_own = other, own
  return calc_cache
end

---------------------------------------------------------------- regions

-- {[code] = row} for every stored region.
function M.region_rows()
  return read(function()
    local out = {}
    for _, r in ipairs(store.rows("SELECT code, subscribed, tax_calculation, registration_number, effective_from, updated_at FROM regions")) do
      out[r.code] = r
    end
    return out
  end, empty)
end

function M.region_row(code)
  return read(function()
    return store.row("SELECT code, subscribed, tax_calculation, registration_number, effective_from, updated_at FROM regions WHERE code = ?", code)
  end, none)
end

-- The settable part of a region as plain values.
-- reports' view of a region's subscription (exports.region_subscription)
function M.region_subscription(code, cid)
  local r
  if type(cid) == "string" then
    r = store.row("SELECT subscribed, tax_calculation, effective_from FROM connection_regions WHERE connection_id = ? AND code = ?",
      cid, code)
  end
  return r or store.row("SELECT subscribed, tax_calculation, effective_from FROM regions WHERE code = ?", code)
end

function M.subscribed_codes()
  local out = {}
  for r in store.query("SELECT code FROM regions WHERE subscribed = 1") do out[r.code] = true end
  -- a region one entity (connection) subscribes on its own counts too (issue 17)
  for r in store.query("SELECT DISTINCT code FROM connection_regions WHERE subscribed = 1") do out[r.code] = true end
  return out
end

function M.region_state(row)
  return {
    subscribed = row ~= nil and bool(row.subscribed) or false,
    tax_calculation = row ~= nil and bool(row.tax_calculation) or false,
    registration_number = row and row.registration_number or nil,
    effective_from = row and row.effective_from or nil,
  }
end

local function state_json(s)
  return json.encode({
    subscribed = s.subscribed, tax_calculation = s.tax_calculation,
    registration_number = util.orjnull(s.registration_number),
    effective_from = util.orjnull(s.effective_from),
  })
end

-- A region state with `changes` applied (json.null clears a field); `before` is not touched.
local function with_changes(before, changes)
  local after = {}
  for k, v in pairs(before) do after[k] = v end
  for k, v in pairs(changes) do
    if v == json.null then after[k] = nil else after[k] = v end
  end
  return after
end

-- Applies `changes` (subset of the settable fields; json.null clears a string field) to
-- region `code` and appends an audit row, in one transaction.
-- Returns before_state, after_state, changed.
function M.put_region(code, changes, now_iso)
  return store.transaction(function()
    local row = store.row("SELECT code, subscribed, tax_calculation, registration_number, effective_from FROM regions WHERE code = ?", code)
    local before = M.region_state(row)
    local after = with_changes(before, changes)
    store.exec([[INSERT INTO regions(code, subscribed, tax_calculation, registration_number, effective_from, updated_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(code) DO UPDATE SET subscribed = excluded.subscribed,
                   tax_calculation = excluded.tax_calculation,
                   registration_number = excluded.registration_number,
                   effective_from = excluded.effective_from, updated_at = excluded.updated_at]],
      code, after.subscribed and 1 or 0, after.tax_calculation and 1 or 0,
      after.registration_number, after.effective_from, now_iso)
    -- the change's audit row is levy.audit's (region.updated, written by the caller in this
    -- transaction when the state changed); regions_audit is no longer written (see the head)
    return before, after, state_json(before) ~= state_json(after)
  end)
end

---------------------------------------------------------------- regions of one connection

-- A connection (legal entity) may override regions (migrations/0005): its row holds the whole
-- settable state and replaces the global row for that connection's documents; regions it
-- has no row for follow the global ones.
local CR_COLS = "code, subscribed, tax_calculation, registration_number, effective_from, updated_at"

-- {[code] = row} of the connection's overrides.
function M.conn_region_rows(cid)
  return read(function()
    local out = {}
    for _, r in ipairs(store.rows("SELECT " .. CR_COLS .. " FROM connection_regions WHERE connection_id = ?", cid)) do
      out[r.code] = r
    end
    return out
  end, empty)
end

function M.conn_region_row(cid, code)
  return read(function()
    return store.row("SELECT " .. CR_COLS .. " FROM connection_regions WHERE connection_id = ? AND code = ?", cid, code)
  end, none)
end

-- The region's state for the connection: its override, else the global row. Returns the row
-- and "connection" | "default".
function M.conn_region_effective(cid, code)
  local row = M.conn_region_row(cid, code)
  if row then return row, "connection" end
  return M.region_row(code), "default"
end

-- Sets the connection's override of region `code` to its effective state with `changes`
-- applied (the first override starts from the global state) and audits it, in one
-- transaction. Returns before_state, after_state, changed (effective state).
function M.put_conn_region(cid, code, changes, now_iso)
  return store.transaction(function()
    local own = store.row("SELECT " .. CR_COLS .. " FROM connection_regions WHERE connection_id = ? AND code = ?", cid, code)
    local base = own or store.row("SELECT " .. CR_COLS .. " FROM regions WHERE code = ?", code)
    local before = M.region_state(base)
    local after = with_changes(before, changes)
    store.exec([[INSERT INTO connection_regions(connection_id, code, subscribed, tax_calculation,
                   registration_number, effective_from, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(connection_id, code) DO UPDATE SET subscribed = excluded.subscribed,
                   tax_calculation = excluded.tax_calculation,
                   registration_number = excluded.registration_number,
                   effective_from = excluded.effective_from, updated_at = excluded.updated_at]],
      cid, code, after.subscribed and 1 or 0, after.tax_calculation and 1 or 0,
      after.registration_number, after.effective_from, now_iso)
    -- audited by the caller (connection_region.updated), as put_region
    return before, after, state_json(before) ~= state_json(after)
  end)
end

-- Drops the connection's override of region `code` (it follows the global region again).
-- Returns before_state, after_state, changed (effective state); changed is false, and
-- nothing is written, when there was no override.
function M.delete_conn_region(cid, code)
  return store.transaction(function()
    local own = store.row("SELECT " .. CR_COLS .. " FROM connection_regions WHERE connection_id = ? AND code = ?", cid, code)
    local global = store.row("SELECT " .. CR_COLS .. " FROM regions WHERE code = ?", code)
    local after = M.region_state(global)
    if own == nil then return after, after, false end
    local before = M.region_state(own)
    store.exec("DELETE FROM connection_regions WHERE connection_id = ? AND code = ?", cid, code)
    -- audited by the caller (connection_region.reset), as put_region
    return before, after, state_json(before) ~= state_json(after)
  end)
end

---------------------------------------------------------------- settings

M.SETTINGS_DEFAULTS = { rounding = "line", default_customer_type = "business", sweep_interval_minutes = 15, sweep_overlap_seconds = 300,
                       reconcile_interval_minutes = 1440, webhook_silent_minutes = 10, ca_gst_regime = "normal",
                       qc_qst_regime = "regular", eu_below_threshold = "no", pickup_offered = "no",
                       us_al_ssut = "no", us_tx_single_local = "no",
                       certificate_max_bytes = 10485760 }

-- {seller_address = table|nil, rounding = "line"|"document", sweep_interval_minutes = int,
--  sweep_overlap_seconds = int, reconcile_interval_minutes = int, webhook_silent_minutes = int,
--  ca_gst_regime = "normal"|"simplified", qc_qst_regime = "regular"|"specified" (organisation-wide),
--  eu_below_threshold = "no"|"yes", pickup_offered = "no"|"yes", us_al_ssut = "no"|"yes",
--  us_tx_single_local = "no"|"yes"}
-- cid (optional): a connection id; its overrides (connection_settings) replace the global
-- values key by key.
function M.settings(cid)
  local rows = read(function()
    return store.rows("SELECT key, value FROM settings")
  end, empty)
  local out = { rounding = M.SETTINGS_DEFAULTS.rounding,
                default_customer_type = M.SETTINGS_DEFAULTS.default_customer_type,
                sweep_interval_minutes = M.SETTINGS_DEFAULTS.sweep_interval_minutes,
                sweep_overlap_seconds = M.SETTINGS_DEFAULTS.sweep_overlap_seconds,
                reconcile_interval_minutes = M.SETTINGS_DEFAULTS.reconcile_interval_minutes,
                webhook_silent_minutes = M.SETTINGS_DEFAULTS.webhook_silent_minutes,
                ca_gst_regime = M.SETTINGS_DEFAULTS.ca_gst_regime,
                qc_qst_regime = M.SETTINGS_DEFAULTS.qc_qst_regime,
                eu_below_threshold = M.SETTINGS_DEFAULTS.eu_below_threshold,
                pickup_offered = M.SETTINGS_DEFAULTS.pickup_offered,
                us_al_ssut = M.SETTINGS_DEFAULTS.us_al_ssut,
                us_tx_single_local = M.SETTINGS_DEFAULTS.us_tx_single_local,
                certificate_max_bytes = M.SETTINGS_DEFAULTS.certificate_max_bytes }
  for _, r in ipairs(rows) do
    local v = decode_json(r.value)
    if v ~= nil and v ~= json.null then out[r.key] = v end
  end
  if type(cid) == "string" then
    for k, v in pairs(M.conn_settings(cid)) do out[k] = v end
  end
  return out
end

-- tax_id_online (issue 19): the optional online check of tax ids, off by default. A stored
-- object replaces the previous one; a field it leaves out takes its default here.
M.TAX_ID_ONLINE_DEFAULTS = { enabled = false, vies_url = "https://ec.europa.eu/taxation_customs/vies/rest-api",
                             timeout_seconds = 10, max_age_days = 30 }
function M.tax_id_online(settings)
  local v = (settings or M.settings()).tax_id_online
  local out = {}
  for k, d in pairs(M.TAX_ID_ONLINE_DEFAULTS) do
    out[k] = (util.is_object(v) and v[k] ~= nil and v[k] ~= json.null) and v[k] or d
  end
  return out
end

-- The registry answers kept as evidence (migration 0006): the latest for a number, or nil.
function M.tax_id_check_latest(country, number)
  return read(function()
    return store.row([[SELECT country, number, source, status, name, address, request_date, request_id,
      http_status, detail, checked_at, checked_ms FROM api_tax_id_checks WHERE country = ? AND number = ?
      ORDER BY checked_ms DESC, id DESC LIMIT 1]], country, number)
  end, none)
end

function M.tax_id_check_insert(r)
  store.transaction(function() store.exec([[INSERT INTO api_tax_id_checks(country, number, source, status, name, address, request_date,
    request_id, http_status, detail, checked_at, checked_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)]],
    r.country, r.number, r.source, r.status, r.name, r.address, r.request_date, r.request_id,
    r.http_status, r.detail, r.checked_at, r.checked_ms) end)
end

-- The public form of a registry answer (customer tax_id_registry, verify endpoint).
function M.tax_id_check_public(r)
  if r == nil then return json.null end
  return { country = r.country, number = r.number, source = r.source, status = r.status,
           name = util.orjnull(r.name), address = util.orjnull(r.address),
           request_date = util.orjnull(r.request_date), request_id = util.orjnull(r.request_id),
           detail = util.orjnull(r.detail), checked_at = r.checked_at }
end

-- {key = value} of the connection's own settings (the overrides only).
function M.conn_settings(cid)
  local rows = read(function()
    return store.rows("SELECT key, value FROM connection_settings WHERE connection_id = ?", cid)
  end, empty)
  local out = {}
  for _, r in ipairs(rows) do
    local v = decode_json(r.value)
    if v ~= nil and v ~= json.null then out[r.key] = v end
  end
  return out
end

-- changes: {key = value|json.null}; json.null drops the connection's value for that key (the
-- connection follows the global setting again).
function M.put_conn_settings(cid, changes)
  store.transaction(function()
    for k, v in pairs(changes) do
      if v == json.null then
        store.exec("DELETE FROM connection_settings WHERE connection_id = ? AND key = ?", cid, k)
      else
        store.exec([[INSERT INTO connection_settings(connection_id, key, value) VALUES (?, ?, ?)
                     ON CONFLICT(connection_id, key) DO UPDATE SET value = excluded.value]],
          cid, k, json.encode(v))
      end
    end
  end)
end

-- changes: {key = value|json.null}; json.null deletes the key (back to its default).
function M.put_settings(changes)
  store.transaction(function()
    for k, v in pairs(changes) do
      if v == json.null then
        store.exec("DELETE FROM settings WHERE key = ?", k)
      else
        store.exec("INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          k, json.encode(v))
      end
    end
  end)
end

---------------------------------------------------------------- Sphere API key

-- {key_sha256, hint, created_at} | nil
function M.sphere_key()
  return read(function()
    return store.row("SELECT key_sha256, hint, created_at FROM sphere_api_key WHERE id = 1")
  end, none)
end

function M.set_sphere_key(key_sha256, hint, now_iso)
  store.exec("INSERT INTO sphere_api_key(id, key_sha256, hint, created_at) VALUES (1, ?, ?, ?) "
    .. "ON CONFLICT(id) DO UPDATE SET key_sha256 = excluded.key_sha256, hint = excluded.hint, "
    .. "created_at = excluded.created_at", key_sha256, hint, now_iso)
end

function M.delete_sphere_key()
  store.exec("DELETE FROM sphere_api_key WHERE id = 1")
end

---------------------------------------------------------------- products

local PRODUCT_COLS = "id, name, raw, tax_code, tax_code_source, updated_at"

function M.product_row(id)
  return read(function()
    return store.row("SELECT " .. PRODUCT_COLS .. " FROM products WHERE id = ?", id)
  end, none)
end

-- Product as exported to other plugins: raw decoded to a table.
function M.product_plain(row)
  if row == nil then return nil end
  return { id = row.id, name = row.name, raw = decode_json(row.raw), tax_code = row.tax_code,
           tax_code_source = row.tax_code_source, updated_at = row.updated_at }
end

-- An imported product or customer as the API answers it, before levy's fields: the Rillet
-- object stored in raw, then id and name from the row.
local function imported_public(row)
  local out = {}
  local raw = decode_json(row.raw)
  if util.is_object(raw) then for k, v in pairs(raw) do out[k] = v end end
  out.id = row.id
  out.name = util.orjnull(row.name)
  return out
end

-- Product as the API answers it: the imported Rillet fields plus levy's.
function M.product_public(row)
  local out = imported_public(row)
  out.tax_code = row.tax_code
  out.tax_code_source = row.tax_code_source
  out.updated_at = util.orjnull(row.updated_at)
  return out
end

-- One page of a table in id order: limit + 1 rows (the extra one says there is a next page)
-- after the id `after` (nil: from the start).
-- filt (issue 20, the searchable lists): {q = text the name contains (case-insensitive) or
-- the id, source = tax_code_source (products only)}; limit nil = every row (the CSV).
local function list_where(tbl, filt)
  local where, args = {}, {}
  if filt and filt.q then
    -- LIKE with the text's wildcards escaped, not instr() (SQLite only; issue 22)
    where[#where + 1] = "(lower(COALESCE(name, '')) LIKE ? ESCAPE '!' OR id = ?)"
    args[#args + 1], args[#args + 2] = "%" .. filt.q:lower():gsub("[!%%_]", "!%0") .. "%", filt.q
  end
  if filt and filt.source and tbl == "products" then
    where[#where + 1] = "tax_code_source = ?"
    args[#args + 1] = filt.source
  end
  return where, args
end

-- filt.sort (issue 20, "sortable"): "name" / "-name" orders by the name, case-insensitive
-- (no name first ascending, last descending; ties by id) and `after` is then an offset into
-- that order (the handler's "o<n>" cursor); nil: id order, `after` the last id.
local function id_page(tbl, cols, limit, after, filt)
  local where, args = list_where(tbl, filt)
  local sort = filt and filt.sort
  local order = "id"
  if sort then
    local d = sort:sub(1, 1) == "-" and " DESC" or ""
    order = "lower(COALESCE(name, ''))" .. d .. ", id" .. d
  elseif after then
    where[#where + 1] = "id > ?"
    args[#args + 1] = after
  end
  local sql = "SELECT " .. cols .. " FROM " .. tbl .. (#where > 0 and (" WHERE " .. table.concat(where, " AND ")) or "") ..
    " ORDER BY " .. order
  if limit then
    sql = sql .. " LIMIT ?"
    args[#args + 1] = limit + 1
    if sort then
      sql = sql .. " OFFSET ?"
      args[#args + 1] = after or 0
    end
  end
  return store.rows(sql, table.unpack(args))
end

-- How many rows a list's filters select (its `total`).
function M.list_total(tbl, filt)
  local where, args = list_where(tbl, filt)
  return store.row("SELECT count(*) AS n FROM " .. tbl .. (#where > 0 and (" WHERE " .. table.concat(where, " AND ")) or ""),
    table.unpack(args)).n
end

function M.product_page(limit, after, filt) return id_page("products", PRODUCT_COLS, limit, after, filt) end

-- {[id] = tax_code} for the given ids (missing ids are left out).
function M.product_codes(ids)
  local out = {}
  if next(ids) == nil then return out end
  local list = {}
  for id in pairs(ids) do list[#list + 1] = id end
  return read(function()
    -- one query per 100 ids (well under SQLite's bound-parameter limit)
    for i = 1, #list, 100 do
      local chunk = table.move(list, i, math.min(i + 99, #list), 1, {})
      local marks = string.rep("?", #chunk, ",")
      for _, r in ipairs(store.rows("SELECT id, tax_code FROM products WHERE id IN (" .. marks .. ")",
                                    table.unpack(chunk))) do
        out[r.id] = r.tax_code
      end
    end
    return out
  end, empty)
end

function M.set_product_tax_code(id, code)
  return store.transaction(function()
    local row = store.row("SELECT tax_code, tax_code_source FROM products WHERE id = ?", id)
    if row == nil then return nil end
    store.exec("UPDATE products SET tax_code = ?, tax_code_source = 'user' WHERE id = ?", code, id)
    return row.tax_code ~= code or row.tax_code_source ~= "user"
  end)
end

-- p = {id, name, raw, updated_at, tax_code_hint (validated by the caller or nil)}.
-- New rows get the hint ("mapping") or "general" ("default"). Existing rows keep a
-- user-set code; otherwise they follow the current hint. An update whose updated_at is
-- older than the stored one changes nothing. Returns row, tax_code_changed, stored.
function M.upsert_product(p, older)
  return store.transaction(function()
    local row = store.row("SELECT " .. PRODUCT_COLS .. " FROM products WHERE id = ?", p.id)
    local code = p.tax_code_hint or "general"
    local source = p.tax_code_hint and "mapping" or "default"
    if row == nil then
      store.exec("INSERT INTO products(id, name, raw, tax_code, tax_code_source, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        p.id, p.name, encode_raw(p.raw), code, source, p.updated_at)
      return store.row("SELECT " .. PRODUCT_COLS .. " FROM products WHERE id = ?", p.id), false, true
    end
    if older(p.updated_at, row.updated_at) then return row, false, false end
    if row.tax_code_source == "user" then code, source = row.tax_code, "user" end
    store.exec("UPDATE products SET name = ?, raw = ?, tax_code = ?, tax_code_source = ?, updated_at = ? WHERE id = ?",
      p.name, encode_raw(p.raw), code, source, p.updated_at or row.updated_at, p.id)
    return store.row("SELECT " .. PRODUCT_COLS .. " FROM products WHERE id = ?", p.id),
           code ~= row.tax_code, true
  end)
end

---------------------------------------------------------------- customers

local CUSTOMER_COLS = "id, name, raw, updated_at, exempt, exempt_regions, exemption_certificate, exemption_expires, " ..
  "tax_id, tax_id_source, tax_id_detail, mapped_tax_id, mapped_tax_id_detail, exempt_source, exempt_detail, " ..
  "mapped_exempt, mapped_exempt_detail, customer_type, customer_type_source, customer_type_detail, " ..
  "mapped_customer_type, mapped_customer_type_detail, qst_number, qst_number_source, qst_number_detail, " ..
  "mapped_qst_number, mapped_qst_number_detail"

function M.customer_row(id)
  return read(function()
    return store.row("SELECT " .. CUSTOMER_COLS .. " FROM customers WHERE id = ?", id)
  end, none)
end

local function regions_list(s)
  local v = decode_json(s)
  local out = {}
  if type(v) == "table" then for _, c in ipairs(v) do out[#out + 1] = c end end
  return out
end

function M.customer_plain(row)
  if row == nil then return nil end
  return { id = row.id, name = row.name, raw = decode_json(row.raw), updated_at = row.updated_at,
           exempt = bool(row.exempt), exempt_regions = regions_list(row.exempt_regions),
           exemption_certificate = row.exemption_certificate,
           exemption_expires = row.exemption_expires, tax_id = row.tax_id,
           tax_id_source = row.tax_id_source, tax_id_detail = row.tax_id_detail,
           exempt_source = row.exempt_source, exempt_detail = row.exempt_detail,
           customer_type = row.customer_type, customer_type_source = row.customer_type_source,
           customer_type_detail = row.customer_type_detail, qst_number = row.qst_number,
           qst_number_source = row.qst_number_source, qst_number_detail = row.qst_number_detail }
end

-- Issue 19: the offline check of the customer's tax id (core/tax/taxid.c) for the country of
-- its shipping address, else its address, else the id's own prefix; null without an id. A
-- calculation judges the id for the document's destination (core/tax/calc.c levy_tax_id_usable);
-- this is what the customer list shows ("invalid tax id").
local function tax_id_check(id, raw)
  if type(id) ~= "string" or id == "" then return json.null end
  local country
  if util.is_object(raw) then
    for _, k in ipairs({ "shipping_address", "address" }) do
      local a = raw[k]
      if util.is_object(a) and type(a.country) == "string" and a.country ~= "" then
        country = a.country
        break
      end
    end
  end
  local r = taxid.check(country, id)
  return { status = r.status, valid = r.valid, country = util.orjnull(r.country),
           checksum = r.checksum, detail = util.orjnull(r.detail) }
end

function M.customer_public(row)
  local out = imported_public(row)
  out.updated_at = util.orjnull(row.updated_at)
  out.exempt = bool(row.exempt)
  out.exempt_regions = util.array(regions_list(row.exempt_regions))
  out.exemption_certificate = util.orjnull(row.exemption_certificate)
  out.exemption_expires = util.orjnull(row.exemption_expires)
  -- issue 20: the certificates on file (certs.lua), counted by status on today's date; when
  -- on_file > 0 they decide the exemption instead of exempt / exempt_regions / expires
  local today = util.now_iso():sub(1, 10)
  local soon = ltime.date((ltime.parse_iso(today .. "T00:00:00Z") // 86400000 + 30) * 86400000)
  local cs = read(function()
    return store.row([[SELECT count(*) AS n,
        sum(CASE WHEN issued <= ?1 AND (expires IS NULL OR expires > ?2) THEN 1 ELSE 0 END) AS valid,
        sum(CASE WHEN issued <= ?1 AND expires >= ?1 AND expires <= ?2 THEN 1 ELSE 0 END) AS expiring,
        sum(CASE WHEN expires < ?1 THEN 1 ELSE 0 END) AS expired,
        min(CASE WHEN expires >= ?1 THEN expires END) AS next_expiry
      FROM api_certificates WHERE customer_id = ?3]], today, soon, row.id)
  end, none) or {}
  out.exemption_certificates = { on_file = cs.n or 0, valid = cs.valid or 0, expiring = cs.expiring or 0,
                                 expired = cs.expired or 0, next_expiry = util.orjnull(cs.next_expiry) }
  out.tax_id = util.orjnull(row.tax_id)
  out.tax_id_source = util.orjnull(row.tax_id_source)
  -- where each value came from (issue 17): "external reference vat-id", "custom field VAT
  -- number", "set in levy"; `rillet` is what the Rillet data gives, whatever is in effect
  out.tax_id_detail = util.orjnull(row.tax_id_source == "user" and "set in levy" or row.tax_id_detail)
  out.tax_id_check = tax_id_check(row.tax_id, out) -- out holds the Rillet object's addresses
  -- the latest online answer for this number (setting tax_id_online), as evidence
  local tc = out.tax_id_check
  out.tax_id_registry = (tc ~= json.null and tc.valid and tc.country ~= json.null)
    and M.tax_id_check_public(M.tax_id_check_latest(tc.country, taxid.check(tc.country, row.tax_id).normalized))
    or json.null
  out.exempt_source = util.orjnull(row.exempt_source)
  out.exempt_detail = util.orjnull(row.exempt_source == "user" and "set in levy" or row.exempt_detail)
  -- business | individual, or null: the default_customer_type setting applies (issue 19)
  out.customer_type = util.orjnull(row.customer_type)
  out.customer_type_source = util.orjnull(row.customer_type_source)
  out.customer_type_detail = util.orjnull(row.customer_type_source == "user" and "set in levy" or row.customer_type_detail)
  -- the Quebec QST registration number (issue 19): with the setting qc_qst_regime =
  -- "specified" the customer's CA-QC documents carry no QST (docs/rules.md section 2)
  out.qst_number = util.orjnull(row.qst_number)
  out.qst_number_source = util.orjnull(row.qst_number_source)
  out.qst_number_detail = util.orjnull(row.qst_number_source == "user" and "set in levy" or row.qst_number_detail)
  out.rillet = {
    tax_id = util.orjnull(row.mapped_tax_id), tax_id_detail = util.orjnull(row.mapped_tax_id_detail),
    exempt = row.mapped_exempt == nil and json.null or bool(row.mapped_exempt),
    exempt_detail = util.orjnull(row.mapped_exempt_detail),
    customer_type = util.orjnull(row.mapped_customer_type),
    customer_type_detail = util.orjnull(row.mapped_customer_type_detail),
    qst_number = util.orjnull(row.mapped_qst_number),
    qst_number_detail = util.orjnull(row.mapped_qst_number_detail),
  }
  return out
end

function M.customer_page(limit, after, filt) return id_page("customers", CUSTOMER_COLS, limit, after, filt) end

-- Fields for the tax engine's opts.customers entry, or nil.
function M.customer_opts(id)
  local row = M.customer_row(id)
  if row == nil then return nil end
  -- issue 20: the certificates on file decide the exemption when there are any
  local certs = read(function()
    return store.rows("SELECT id, number, regions, issued, expires FROM api_certificates WHERE customer_id = ? ORDER BY issued, id", id)
  end, empty)
  local list = {}
  for _, c in ipairs(certs) do
    list[#list + 1] = { id = c.id, number = c.number, regions = regions_list(c.regions), issued = c.issued,
                        expires = c.expires }
  end
  return { exempt = bool(row.exempt), exempt_regions = regions_list(row.exempt_regions),
           exemption_expires = row.exemption_expires, tax_id = row.tax_id, customer_type = row.customer_type,
           qst_number = row.qst_number, certificates = #list > 0 and list or nil }
end

local SOURCE_COLS = { "exempt", "exempt_regions", "exemption_certificate", "exemption_expires", "tax_id",
                      "tax_id_source", "tax_id_detail", "exempt_source", "exempt_detail",
                      "customer_type", "customer_type_source", "customer_type_detail",
                      "qst_number", "qst_number_source", "qst_number_detail" }

local function save_sources(id, set)
  store.exec([[UPDATE customers SET exempt = ?, exempt_regions = ?, exemption_certificate = ?,
               exemption_expires = ?, tax_id = ?, tax_id_source = ?, tax_id_detail = ?, exempt_source = ?,
               exempt_detail = ? WHERE id = ?]],
    set.exempt, set.exempt_regions, set.exemption_certificate, set.exemption_expires,
    set.tax_id, set.tax_id_source, set.tax_id_detail, set.exempt_source, set.exempt_detail, id)
  store.exec([[UPDATE customers SET customer_type = ?, customer_type_source = ?, customer_type_detail = ?
               WHERE id = ?]], set.customer_type, set.customer_type_source, set.customer_type_detail, id)
  store.exec([[UPDATE customers SET qst_number = ?, qst_number_source = ?, qst_number_detail = ?
               WHERE id = ?]], set.qst_number, set.qst_number_source, set.qst_number_detail, id)
end

-- changes: validated subset of exempt, exempt_regions, exemption_certificate,
-- exemption_expires, tax_id. A value set here overrides what the Rillet data gives (source
-- "user"; tax_id "" = no tax id whatever the data says); json.null for tax_id or exempt goes
-- back to the Rillet data's value (none: no tax id / not exempt). Returns nil when the
-- customer is unknown, else changed (boolean).
function M.put_customer(id, changes)
  return store.transaction(function()
    local row = store.row("SELECT " .. CUSTOMER_COLS .. " FROM customers WHERE id = ?", id)
    if row == nil then return nil end
    local set = {}
    for _, k in ipairs(SOURCE_COLS) do set[k] = row[k] end
    for k, v in pairs(changes) do
      if k == "exempt" then
        if v == json.null then
          set.exempt = row.mapped_exempt or 0
          set.exempt_source = row.mapped_exempt ~= nil and "mapping" or nil
          set.exempt_detail = row.mapped_exempt ~= nil and row.mapped_exempt_detail or nil
        else
          set.exempt, set.exempt_source, set.exempt_detail = v and 1 or 0, "user", nil
        end
      elseif k == "customer_type" then -- null: back to the Rillet data's value (none: the default)
        if v == json.null then
          set.customer_type, set.customer_type_detail = row.mapped_customer_type, row.mapped_customer_type_detail
          set.customer_type_source = row.mapped_customer_type and "mapping" or nil
        else
          set.customer_type, set.customer_type_source, set.customer_type_detail = v, "user", nil
        end
      elseif k == "qst_number" then
        if v == json.null then -- back to the Rillet data's value (none: no QST number)
          set.qst_number, set.qst_number_detail = row.mapped_qst_number, row.mapped_qst_number_detail
          set.qst_number_source = row.mapped_qst_number and "mapping" or nil
        else -- "" = no QST number, set by the user
          set.qst_number, set.qst_number_source, set.qst_number_detail = v ~= "" and v or nil, "user", nil
        end
      elseif k == "exempt_regions" then set.exempt_regions = json.encode(util.array(v == json.null and {} or v))
      elseif k == "tax_id" then
        if v == json.null then
          set.tax_id, set.tax_id_detail = row.mapped_tax_id, row.mapped_tax_id_detail
          set.tax_id_source = row.mapped_tax_id and "mapping" or nil
        else -- "" = no tax id, set by the user
          set.tax_id, set.tax_id_source, set.tax_id_detail = v ~= "" and v or nil, "user", nil
        end
      else
        if v == json.null then v = nil end
        set[k] = v
      end
    end
    local changed = false
    for _, k in ipairs(SOURCE_COLS) do if row[k] ~= set[k] then changed = true end end
    save_sources(id, set)
    return changed
  end)
end

-- c = {id, name, raw, updated_at, tax_id_hint, tax_id_detail, exempt_hint, exempt_detail,
--      customer_type_hint, customer_type_detail, qst_number_hint, qst_number_detail}:
-- the hints are what the Rillet data gives (mapping.lua). A user-set tax id or exemption is
-- kept; otherwise the hint replaces it. Stale updates change nothing.
-- Returns row, changed (tax-relevant fields), stored.
function M.upsert_customer(c, older)
  return store.transaction(function()
    local row = store.row("SELECT " .. CUSTOMER_COLS .. " FROM customers WHERE id = ?", c.id)
    local hint, ehint = c.tax_id_hint, c.exempt_hint
    local tdetail = hint and c.tax_id_detail or nil
    local edetail = ehint ~= nil and c.exempt_detail or nil
    local mexempt = ehint == nil and nil or (ehint and 1 or 0)
    local thint = c.customer_type_hint
    local ctdetail = thint and c.customer_type_detail or nil
    local qhint = c.qst_number_hint
    local qdetail = qhint and c.qst_number_detail or nil
    if row == nil then
      store.exec([[INSERT INTO customers(id, name, raw, updated_at, exempt_regions, tax_id, tax_id_source,
        tax_id_detail, mapped_tax_id, mapped_tax_id_detail, exempt, exempt_source, exempt_detail, mapped_exempt,
        mapped_exempt_detail) VALUES (?, ?, ?, ?, '[]', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)]],
        c.id, c.name, encode_raw(c.raw), c.updated_at, hint, hint and "mapping" or nil, tdetail, hint, tdetail,
        mexempt or 0, mexempt and "mapping" or nil, edetail, mexempt, edetail)
      store.exec([[UPDATE customers SET customer_type = ?, customer_type_source = ?, customer_type_detail = ?,
        mapped_customer_type = ?, mapped_customer_type_detail = ? WHERE id = ?]],
        thint, thint and "mapping" or nil, ctdetail, thint, ctdetail, c.id)
      store.exec([[UPDATE customers SET qst_number = ?, qst_number_source = ?, qst_number_detail = ?,
        mapped_qst_number = ?, mapped_qst_number_detail = ? WHERE id = ?]],
        qhint, qhint and "mapping" or nil, qdetail, qhint, qdetail, c.id)
      return store.row("SELECT " .. CUSTOMER_COLS .. " FROM customers WHERE id = ?", c.id), true, true
    end
    if older(c.updated_at, row.updated_at) then return row, false, false end
    local set = {}
    for _, k in ipairs(SOURCE_COLS) do set[k] = row[k] end
    if row.tax_id_source ~= "user" then
      set.tax_id, set.tax_id_source, set.tax_id_detail = hint, hint and "mapping" or nil, tdetail
    end
    if row.exempt_source ~= "user" then
      set.exempt, set.exempt_source, set.exempt_detail = mexempt or 0, mexempt and "mapping" or nil, edetail
    end
    if row.customer_type_source ~= "user" then
      set.customer_type, set.customer_type_source, set.customer_type_detail = thint, thint and "mapping" or nil, ctdetail
    end
    if row.qst_number_source ~= "user" then
      set.qst_number, set.qst_number_source, set.qst_number_detail = qhint, qhint and "mapping" or nil, qdetail
    end
    local raw = encode_raw(c.raw)
    store.exec([[UPDATE customers SET name = ?, raw = ?, updated_at = ?, mapped_tax_id = ?, mapped_tax_id_detail = ?,
      mapped_exempt = ?, mapped_exempt_detail = ? WHERE id = ?]],
      c.name, raw, c.updated_at or row.updated_at, hint, tdetail, mexempt, edetail, c.id)
    store.exec("UPDATE customers SET mapped_customer_type = ?, mapped_customer_type_detail = ? WHERE id = ?",
      thint, ctdetail, c.id)
    store.exec("UPDATE customers SET mapped_qst_number = ?, mapped_qst_number_detail = ? WHERE id = ?",
      qhint, qdetail, c.id)
    save_sources(c.id, set)
    return store.row("SELECT " .. CUSTOMER_COLS .. " FROM customers WHERE id = ?", c.id),
           set.tax_id ~= row.tax_id or set.exempt ~= row.exempt or set.customer_type ~= row.customer_type or
             set.qst_number ~= row.qst_number or raw ~= row.raw, true
  end)
end

return M
