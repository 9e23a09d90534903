-- api plugin: levy's REST API for regions, tax codes, settings, products, customers and
-- tax calculation (CONTRACT 2.4, 2.5), plus the Sphere-compatible endpoint.
--
-- Exports (stable; for other plugins, e.g. rillet: `require("levy.plugin")("api")`).
-- Context: request (they read or write the store), except where noted.
--
--   calculate(request, extra_opts) -> result | nil, err
--       Runs levy.tax.calculate on a /v1/calculate request body with opts built from the
--       store exactly as POST /v1/calculate does (regions, settings' seller address and
--       rounding, tax codes of the products the lines name, the customer's stored
--       exemption and tax id). extra_opts (optional) is merged over them: `products`,
--       `customers` and `regions` per key, anything else (e.g. calculation_id) replaces;
--       extra_opts.connection_id calculates as that connection (legal entity): its own
--       regions and settings (seller address, rounding) over the global ones.
--       err = {status=422, code="validation_failed"|"address_unresolved", message, details}.
--   exemption_certificate(id) -> {id, customer_id, number, reason, reason_text, regions,
--       issued, expires, status, file_url, ...} | nil: the certificate a calculate result's
--       exemption_certificate_id names (issue 20).
--   not_collecting(result) -> boolean: every line of a calculate result is `not_collecting`
--       (false for a result without lines). Context: any.
--   upsert_product{id, name, raw, updated_at, tax_code_hint} -> product, tax_code_changed
--       Inserts or updates an imported product. raw: table or JSON text. A new product gets
--       tax_code_hint ("mapping") or "general" ("default"); an existing one keeps a tax code
--       the user set (source "user"), otherwise follows the hint. An unknown hint counts as
--       none. An update with an updated_at older than the stored one changes nothing.
--   upsert_customer{id, name, raw, updated_at, tax_id_hint, tax_id_detail, exempt_hint,
--                   exempt_detail} -> customer, changed
--       Same for customers; a user-set tax_id (or exempt) is kept, otherwise it follows the
--       hint (source "mapping", detail = where in the Rillet data it was found, e.g.
--       "custom field VAT number"); exempt_hint nil = the data says nothing (not exempt).
--       customer_type_hint ("business" | "individual", with customer_type_detail) likewise;
--       nil = the data says nothing (the default_customer_type setting applies).
--       qst_number_hint (a Quebec QST number, with qst_number_detail) likewise; one that is
--       not 10 digits + TQ + 4 digits is ignored with a WARN log.
--       Regions, certificate and expiry are only set through PUT /v1/customers/{id}.
--       changed is true when the raw data, the tax id or the exemption changed.
--   product(id)  -> {id, name, raw, tax_code, tax_code_source, updated_at} | nil
--   customer_ids(limit, after) -> {id, ...} (id order; for re-reading every customer)
--   customer(id) -> {id, name, raw, updated_at, exempt, exempt_regions = {...},
--                    exemption_certificate, exemption_expires, tax_id, tax_id_source,
--                    tax_id_detail, exempt_source, exempt_detail, customer_type, qst_number,
--                    qst_number_source, qst_number_detail} | nil
--   region(code) -> {code, name, country, tax_type, subscribed, tax_calculation,
--                    registration_number, effective_from} | nil (unknown code)
--   set_region(code, changes, who) -> region | nil, message, code ("not_found"|"validation_failed")
--       Same as PUT /v1/regions/{code} (audited, requeues): changes is a subset of
--       {subscribed, tax_calculation, registration_number, effective_from}. who (optional):
--       the request, or {actor_kind = "cli"|"system", actor = name}, for the audit log's row
--       (levy.audit.record; default system).
--   settings(connection_id?) -> {seller_address = Address | nil, rounding = "line"|"document",
--                    sweep_interval_minutes = integer, sweep_overlap_seconds = integer,
--                    reconcile_interval_minutes = integer}
--       With a connection id: that connection's own settings over the global ones.
--
-- Events (levy.events; declared in `emits` below): after a change that may change the tax of
-- documents a connector holds, api emits an event; a connector that holds documents (the rillet
-- plugin) subscribes and re-checks them. api names no connector.
--   api.region_changed {code}, api.product_changed {id}, api.customer_changed {id},
--   api.connection_region_changed {connection_id, code},
--   api.connection_settings_changed {connection_id}
--       -> a subscriber answers the bulk re-check it started, {id, documents, state}; the PUT
--       answer carries the first as `requeue` (GET /v1/bulk/{id}).
--   api.settings_changed {key}: a global tax setting changed (default_customer_type,
--       pickup_offered); a
--       connector re-checks every connection's documents and answers its bulk run
--   api.customer_data_changed {} : where tax ids and exemptions are read from changed.
--   These change events are emitted inside the store.transaction that saves the change
--   (with_recheck): a subscriber's work must be store-only, and its error rolls the change
--   back and fails the request, so no change is saved without its re-check.
--   api.connection_lookup {id} -> true from the connector that holds connection id (the
--       /v1/connections/{id}/regions and /settings routes answer 404 when none does).
--   api.customer_missing {id} -> {found = true} | {found = false, status (404 | 502 | 503),
--       code, message}: PUT /v1/customers/{id} of a customer levy has not seen asks the
--       connectors to fetch it first.
local json = require "levy.json"
local tax = require "levy.tax"
local log = require "levy.log"
local ltime = require "levy.time"
local events = require "levy.events"
local store = require "levy.store"
local util = require "levy.util"
local db = require "db"
local calc = require "calc"
local sphere = require "sphere"
local validate = require "validate"
local certs = require "certs"
local taxid = require "levy.taxid"
local http = require "levy.http"
local audit = require "levy.audit"

local now_iso = util.now_iso

-- a is older than b (both ISO timestamps); unparseable or missing -> not older.
local function older(a, b)
  if type(a) ~= "string" or type(b) ~= "string" then return false end
  local ma, mb = ltime.parse_iso(a), ltime.parse_iso(b)
  if ma == nil or mb == nil then return false end
  return ma < mb
end

-- Emits a change event; returns the bulk re-check a subscriber started ({id, documents,
-- state}), or nil. Called inside the store.transaction that saves the change (see
-- with_recheck): a subscriber's error rolls the change back with it.
local function requeue(event, payload)
  for _, v in ipairs(events.emit(event, payload)) do
    if type(v) == "table" then return v end
  end
  return nil
end

-- Saves a change and emits its re-check event in one store.transaction. save() -> changed,
-- and when changed is true the event (name, payload) is emitted; returns the re-check a
-- subscriber started, or nil. The subscribers' work is store-only (a connector records a
-- bulk re-check run and queues its job, or queues a remap), so the change and its re-check
-- commit together or not at all: a subscriber that raises fails the request (500, or its API
-- error) with nothing saved, instead of a saved change whose documents are never re-checked.
local function with_recheck(save, event, payload)
  return store.transaction(function()
    if save() then return requeue(event, payload) end
    return nil
  end)
end

-- The answer to a change: the object, plus `requeue` ({id, documents, state} of the bulk
-- re-check a connector started: GET /v1/bulk/{id}) when the change re-checks documents.
local function with_requeue(obj, run)
  if run ~= nil then obj.requeue = run end
  return obj
end

---------------------------------------------------------------- regions

local function rule_regions()
  local by_code, list = {}, {}
  for _, r in ipairs(tax.regions()) do
    by_code[r.code] = r
    list[#list + 1] = r
  end
  table.sort(list, function(a, b) return a.code < b.code end)
  return by_code, list
end

local function region_public(r, row)
  local s = db.region_state(row)
  return {
    code = r.code, name = util.orjnull(r.name), country = util.orjnull(r.country),
    tax_type = util.orjnull(r.tax_type),
    subscribed = s.subscribed, tax_calculation = s.tax_calculation,
    registration_number = util.orjnull(s.registration_number),
    effective_from = util.orjnull(s.effective_from),
  }
end

local function list_regions(req)
  local _, list = rule_regions()
  local rows = db.region_rows()
  local country = req.query and req.query.country
  if country ~= nil then country = country:upper() end
  local out = {}
  for _, r in ipairs(list) do
    if country == nil or country == "" or (r.country or ""):upper() == country then
      out[#out + 1] = region_public(r, rows[r.code])
    end
  end
  return 200, { data = util.array(out), next_cursor = json.null }
end

local function find_region(code)
  local by_code = rule_regions()
  code = tostring(code or ""):upper()
  local r = by_code[code]
  if r == nil then util.fail(404, "not_found", "unknown region " .. code) end
  return r
end

local function get_region(req)
  local r = find_region(req.params.code)
  return 200, region_public(r, db.region_row(r.code))
end

-- "California (US-CA)": a region's label in the audit log.
local function region_label(r)
  if r.name and r.name ~= "" then return r.name .. " (" .. r.code .. ")" end
  return r.code
end

local REGION_FIELDS = { "subscribed", "tax_calculation", "registration_number", "effective_from" }

-- Saves a region's change with its audit row (region.updated; issue 20) and its re-check, in
-- one transaction. req: the request (the audit's actor and id), or for work no request asked
-- for a table {actor_kind, actor} (levy.audit.record), or nil (system).
local function apply_region(r, changes, req)
  local run = with_recheck(function()
    local before, after, changed = db.put_region(r.code, changes, now_iso())
    if changed then
      audit.record(req, { action = "region.updated", object_kind = "region", object_id = r.code,
                          label = region_label(r), changes = audit.diff(before, after, REGION_FIELDS) })
    end
    return changed
  end, "api.region_changed", { code = r.code })
  return with_requeue(region_public(r, db.region_row(r.code)), run)
end

local function put_region(req)
  local r = find_region(req.params.code)
  local body = util.body_object(req)
  return 200, apply_region(r, validate.region(body, region_public(r, nil)), req)
end

---------------------------------------------------------------- one connection's regions

-- A connection (legal entity) may override regions: /v1/connections/{id}/regions/{code}.
-- The connection must be one a connector holds (api.connection_lookup; 404 otherwise, also
-- when no connector is loaded).
local function must_connection(id)
  for _, found in ipairs(events.emit("api.connection_lookup", { id = id })) do
    if found == true then return id end
  end
  util.fail(404, "not_found", "connection not found")
end

-- region_public plus which value applies: the connection's own ("connection") or the global
-- default ("default").
local function conn_region_public(cid, r, row, source)
  local out = region_public(r, row)
  out.connection_id = cid
  out.source = source
  return out
end

local function list_conn_regions(req)
  local cid = must_connection(req.params.id)
  local _, list = rule_regions()
  local rows, own = db.region_rows(), db.conn_region_rows(cid)
  local country = req.query and req.query.country
  if country ~= nil then country = country:upper() end
  local out = {}
  for _, r in ipairs(list) do
    if country == nil or country == "" or (r.country or ""):upper() == country then
      local o = own[r.code]
      out[#out + 1] = conn_region_public(cid, r, o or rows[r.code], o and "connection" or "default")
    end
  end
  return 200, { data = util.array(out), next_cursor = json.null }
end

local function get_conn_region(req)
  local cid = must_connection(req.params.id)
  local r = find_region(req.params.code)
  local row, source = db.conn_region_effective(cid, r.code)
  return 200, conn_region_public(cid, r, row, source)
end

-- save(): the change of the connection's own region row -> before, after, changed; audited
-- as `action` (issue 20) in the same transaction when it changed the effective state.
local function conn_region_answer(req, action, cid, r, save)
  local run = with_recheck(function()
    local before, after, changed = save()
    if changed then
      audit.record(req, { action = action, object_kind = "connection_region", object_id = cid .. "/" .. r.code,
                          label = region_label(r) .. " for connection " .. cid,
                          changes = audit.diff(before, after, REGION_FIELDS) })
    end
    return changed
  end, "api.connection_region_changed", { connection_id = cid, code = r.code })
  local row, source = db.conn_region_effective(cid, r.code)
  return with_requeue(conn_region_public(cid, r, row, source), run)
end

local function put_conn_region(req)
  local cid = must_connection(req.params.id)
  local r = find_region(req.params.code)
  local body = util.body_object(req)
  local current = region_public(r, nil)
  -- the answer of a GET may be sent back as is (connection_id and source are read-only)
  local changes = {}
  for k, v in pairs(body) do if k ~= "connection_id" and k ~= "source" then changes[k] = v end end
  if body.connection_id ~= nil and body.connection_id ~= cid then
    util.fail(422, "validation_failed", "connection_id: is read-only",
      json.array({ { field = "connection_id", message = "is read-only" } }))
  end
  if body.source ~= nil and body.source ~= "connection" and body.source ~= "default" then
    util.fail(422, "validation_failed", 'source: must be "connection" or "default" (read-only)',
      json.array({ { field = "source", message = 'must be "connection" or "default" (read-only)' } }))
  end
  local v = validate.region(changes, current)
  return 200, conn_region_answer(req, "connection_region.updated", cid, r, function()
    return db.put_conn_region(cid, r.code, v, now_iso())
  end)
end

-- DELETE: the connection follows the global region again.
local function delete_conn_region(req)
  local cid = must_connection(req.params.id)
  local r = find_region(req.params.code)
  return 200, conn_region_answer(req, "connection_region.reset", cid, r, function()
    return db.delete_conn_region(cid, r.code)
  end)
end

---------------------------------------------------------------- tax codes

local function list_tax_codes()
  local out = {}
  for _, c in ipairs(tax.tax_codes()) do
    -- parent (issue 19, product taxonomy): null for the ten codes of CONTRACT 2.4, else the
    -- old code whose row a region without a row of its own applies (note taxability_fallback)
    out[#out + 1] = { code = c.code, name = util.orjnull(c.name), description = util.orjnull(c.description),
                      parent = util.orjnull(c.parent) }
  end
  return 200, { data = util.array(out), next_cursor = json.null }
end

local function known_tax_codes()
  local set = {}
  for _, c in ipairs(tax.tax_codes()) do set[c.code] = true end
  return set
end

local function known_region_codes()
  local set = {}
  for _, r in ipairs(tax.regions()) do set[r.code] = true end
  return set
end

---------------------------------------------------------------- settings

-- customer_data with every list present (empty when not set), in a fixed key order.
local CUSTOMER_DATA_KEYS = { "tax_id_reference_types", "tax_id_fields", "exempt_fields", "exempt_values",
                             "customer_type_fields", "business_values", "individual_values",
                             "qst_number_reference_types", "qst_number_fields" }
local function customer_data_public(v)
  local out = {}
  for _, k in ipairs(CUSTOMER_DATA_KEYS) do
    local l = type(v) == "table" and v[k]
    out[k] = util.array(type(l) == "table" and l or {})
  end
  return out
end

local function customer_data_text(v)
  local parts = {}
  for _, k in ipairs(CUSTOMER_DATA_KEYS) do parts[#parts + 1] = json.encode(customer_data_public(v)[k]) end
  return table.concat(parts, "|")
end

-- cid (optional): that connection's effective settings (its own over the global ones).
local function settings_public(cid)
  local s = db.settings(cid)
  return {
    seller_address = util.orjnull(s.seller_address),
    rounding = s.rounding,
    default_customer_type = s.default_customer_type,
    sweep_interval_minutes = s.sweep_interval_minutes,
    sweep_overlap_seconds = s.sweep_overlap_seconds,
    reconcile_interval_minutes = s.reconcile_interval_minutes,
    customer_data = customer_data_public(s.customer_data),
    webhook_silent_minutes = s.webhook_silent_minutes,
    tax_id_online = db.tax_id_online(s),
    ca_gst_regime = s.ca_gst_regime,
    qc_qst_regime = s.qc_qst_regime,
    eu_below_threshold = s.eu_below_threshold,
    pickup_offered = s.pickup_offered,
    us_al_ssut = s.us_al_ssut,
    us_tx_single_local = s.us_tx_single_local,
    certificate_max_bytes = s.certificate_max_bytes,
  }
end

local function put_settings(req)
  local body = util.body_object(req)
  local changes = validate.settings(body)
  local old = db.settings()
  local before = customer_data_text(old.customer_data)
  -- the change and the re-checks it needs commit together (as with_recheck): a customer that
  -- says no type is taxed differently when the default changes (re-check every document);
  -- the Canadian GST/HST regime decides the tax of region CA's documents (re-check them);
  -- where tax ids and exemptions are read from changed (read every customer again). One
  -- re-check covers the others changed with it: every document's ⊇ region CA's (every Canadian
  -- document, Quebec's too) ⊇ region CA-QC's (rillet bulk.lua region_args)
  local old_public = settings_public()
  local run = store.transaction(function()
    db.put_settings(changes)
    local now = settings_public()
    local diff = audit.diff(old_public, now)
    if audit.changed(diff) then
      audit.record(req, { action = "settings.updated", object_kind = "settings", label = "Settings",
                          changes = diff })
    end
    local r
    if now.default_customer_type ~= old.default_customer_type then
      r = requeue("api.settings_changed", { key = "default_customer_type" })
    elseif now.pickup_offered ~= old.pickup_offered then
      -- delivery avoidable or mandatory (issue 19): IL's and FL's documents with delivery; one
      -- re-check of every document covers them (and any region change made with it)
      r = requeue("api.settings_changed", { key = "pickup_offered" })
    elseif now.ca_gst_regime ~= old.ca_gst_regime then
      r = requeue("api.region_changed", { code = "CA" })
    elseif now.qc_qst_regime ~= old.qc_qst_regime then
      r = requeue("api.region_changed", { code = "CA-QC" })
    elseif now.eu_below_threshold ~= old.eu_below_threshold then
      -- the EU threshold places region EU's B2C documents (issue 19): re-check them
      r = requeue("api.region_changed", { code = "EU" })
    elseif now.us_al_ssut ~= old.us_al_ssut and now.us_tx_single_local ~= old.us_tx_single_local then
      -- both remote-seller elections (law24): every document (covers both states')
      r = requeue("api.settings_changed", { key = "us_al_ssut" })
    elseif now.us_al_ssut ~= old.us_al_ssut then
      -- a remote seller's election decides its Alabama documents' tax (law24)
      r = requeue("api.region_changed", { code = "US-AL" })
    elseif now.us_tx_single_local ~= old.us_tx_single_local then
      r = requeue("api.region_changed", { code = "US-TX" })
    end
    if customer_data_text(now.customer_data) ~= before then requeue("api.customer_data_changed", {}) end
    return r
  end)
  local s = settings_public()
  return 200, with_requeue(s, run)
end

-- One connection's settings: the effective values (its own over the global ones), the keys it
-- sets itself (`overrides`) and the connection id.
local function conn_settings_public(cid)
  local out = settings_public(cid)
  out.customer_data = nil -- organisation-wide: GET /v1/settings
  out.tax_id_online = nil -- organisation-wide too (tax ids are per customer)
  out.ca_gst_regime = nil -- organisation-wide (validate.lua SETTINGS_FIELDS)
  out.qc_qst_regime = nil -- organisation-wide too
  out.certificate_max_bytes = nil -- organisation-wide too
  local own = {}
  for k in pairs(db.conn_settings(cid)) do own[#own + 1] = k end
  table.sort(own)
  out.connection_id = cid
  out.overrides = util.array(own)
  return out
end

-- Settings that decide a document's tax (a change re-checks the connection's documents).
local TAX_SETTINGS = { seller_address = true, rounding = true, default_customer_type = true, eu_below_threshold = true,
                       pickup_offered = true, us_al_ssut = true, us_tx_single_local = true }

-- PUT /v1/connections/{id}/settings: the keys given become the connection's own; a key sent
-- as null (or a blank seller_address) goes back to the global value.
local function put_conn_settings(req)
  local cid = must_connection(req.params.id)
  local body = util.body_object(req)
  local set, drop = {}, {}
  for k, v in pairs(body) do
    -- connection_id and overrides are read-only echoes of a GET answer
    if k ~= "connection_id" and k ~= "overrides" then
      if v == json.null then drop[k] = json.null else set[k] = v end
    end
  end
  if body.connection_id ~= nil and body.connection_id ~= cid then
    util.fail(422, "validation_failed", "connection_id: is read-only",
      json.array({ { field = "connection_id", message = "is read-only" } }))
  end
  validate.refuse_global_only(body)
  local changes = validate.settings(set)
  local errs = util.errors()
  util.check_unknown(errs, drop, validate.SETTINGS_FIELDS)
  errs:raise()
  for k, v in pairs(drop) do changes[k] = v end
  local run = with_recheck(function()
    local before = db.settings(cid)
    local own_before = conn_settings_public(cid)
    db.put_conn_settings(cid, changes)
    local after = db.settings(cid)
    local diff = audit.diff(own_before, conn_settings_public(cid))
    if audit.changed(diff) then
      audit.record(req, { action = "connection_settings.updated", object_kind = "connection", object_id = cid,
                          label = "Connection " .. cid, changes = diff })
    end
    local changed = false
    for k in pairs(TAX_SETTINGS) do
      if json.encode(util.orjnull(before[k])) ~= json.encode(util.orjnull(after[k])) then changed = true end
    end
    return changed
  end, "api.connection_settings_changed", { connection_id = cid })
  return 200, with_requeue(conn_settings_public(cid), run)
end

---------------------------------------------------------------- products, customers

-- A list's filters (issue 20): ?q= (name contains, or the id), ?tax_code_source= (products),
-- ?sort=name|-name (by name; a cursor is then an offset); 422 naming a bad one.
local LIST_SOURCES = { user = true, mapping = true, default = true }
local function list_filter(req, tbl)
  local q = req.query or {}
  local e = util.errors()
  local filt = {}
  if q.q ~= nil and q.q ~= "" then
    if #q.q > 200 then e:add("q", "must be at most 200 characters") end
    filt.q = q.q
  end
  if tbl == "products" and q.tax_code_source ~= nil and q.tax_code_source ~= "" then
    if not LIST_SOURCES[q.tax_code_source] then e:add("tax_code_source", "must be user, mapping or default") end
    filt.source = q.tax_code_source
  end
  if q.sort ~= nil and q.sort ~= "" then
    if q.sort ~= "name" and q.sort ~= "-name" then e:add("sort", "must be name or -name") end
    filt.sort = q.sort
  end
  if q.format ~= nil and q.format ~= "" and q.format ~= "json" and q.format ~= "csv" then
    e:add("format", "must be json or csv")
  end
  e:raise("invalid query")
  return filt
end

-- CSV columns of the product and customer lists (every row the filters select).
local LIST_CSV = {
  products = { cols = { "id", "name", "tax_code", "tax_code_source", "updated_at" } },
  customers = { cols = { "id", "name", "exempt", "exempt_regions", "exemption_certificate", "exemption_expires",
                         "tax_id", "customer_type", "qst_number", "updated_at" } },
}

local function page(req, fetch, public, tbl)
  local filt = list_filter(req, tbl)
  if util.wants_csv(req) then
    local rows = {}
    for _, row in ipairs(fetch(nil, nil, filt)) do
      local p = public(row)
      local r = {}
      for _, c in ipairs(LIST_CSV[tbl].cols) do
        local v = p[c]
        if type(v) == "table" and v ~= json.null then
          local parts = {}
          for _, x in ipairs(v) do parts[#parts + 1] = tostring(x) end
          v = table.concat(parts, " ")
        end
        r[c] = v
      end
      rows[#rows + 1] = r
    end
    return util.csv_reply(util.csv(rows, LIST_CSV[tbl].cols), "levy-" .. tbl .. ".csv")
  end
  local limit, after = util.page_args(req)
  -- a sorted list's cursor is an offset into its order ("o<n>"), an unsorted one the last id
  local offset
  if filt.sort then
    offset = after and math.tointeger(tonumber(after:match("^o(%d+)$")))
    if after and not offset then util.invalid("cursor", "invalid cursor", "invalid query") end
    after = offset or 0
  end
  local rows = fetch(limit, after, filt)
  local out, next_cursor = {}, json.null
  for i, row in ipairs(rows) do
    if i > limit then
      next_cursor = util.cursor_for(filt.sort and ("o" .. ((offset or 0) + limit)) or rows[limit].id)
      break
    end
    out[#out + 1] = public(row)
  end
  return 200, { data = util.array(out), next_cursor = next_cursor, total = math.tointeger(db.list_total(tbl, filt)) }
end

local function get_product(req)
  local row = db.product_row(req.params.id)
  if row == nil then util.fail(404, "not_found", "unknown product") end
  return 200, db.product_public(row)
end

-- PUT /v1/products/{id} and PUT /v1/customers/{id}: write() (nil: the row is gone, 404) in a
-- transaction that emits api.<what>_changed when it changed something (with_recheck), then
-- answers the row as it is now, with the re-queue outcome (with_requeue).
local ENTITY = {
  product = { row = db.product_row, public = db.product_public },
  customer = { row = db.customer_row, public = db.customer_public },
}

-- The fields of a product's and a customer's public form an auditor follows (issue 20), and
-- the action a change of them is logged as (customer: exemption_changed when one of the
-- exemption's fields changed, else updated).
local AUDITED = {
  product = { fields = { "tax_code", "tax_code_source" }, action = function() return "product.tax_code_changed" end },
  customer = {
    fields = { "exempt", "exempt_regions", "exemption_certificate", "exemption_expires", "exempt_source",
               "tax_id", "tax_id_source", "customer_type", "customer_type_source", "qst_number", "qst_number_source" },
    action = function(diff)
      for k in pairs(diff) do if k:match("^exempt") then return "customer.exemption_changed" end end
      return "customer.updated"
    end,
  },
}

local function write_and_recheck(req, id, what, write)
  local e = ENTITY[what]
  local run = with_recheck(function()
    local row = e.row(id)
    local before = row and e.public(row)
    local changed = write()
    if changed == nil then util.fail(404, "not_found", "unknown " .. what) end
    local after = e.public(e.row(id))
    local a = AUDITED[what]
    local diff = audit.diff(before, after, a.fields)
    if audit.changed(diff) then
      audit.record(req, { action = a.action(diff), object_kind = what, object_id = id,
                          label = util.nn(after.name) or id, changes = diff })
    end
    return changed
  end, "api." .. what .. "_changed", { id = id })
  return 200, with_requeue(e.public(e.row(id)), run)
end

local function put_product(req)
  local id = req.params.id
  if db.product_row(id) == nil then util.fail(404, "not_found", "unknown product") end
  local body = util.body_object(req)
  local code = validate.product(body, known_tax_codes())
  return write_and_recheck(req, id, "product", function() return db.set_product_tax_code(id, code) end)
end


-- A customer levy has not seen yet (created in Rillet after the import, its webhook lost):
-- a connector fetches it (api.customer_missing; the rillet plugin: GET /customers/{id}) before
-- it is shown or changed. 404 only when the connectors say so (or none is loaded); 502/503
-- when one could not ask.
local function known_customer(id)
  if db.customer_row(id) ~= nil then return end
  local err
  for _, r in ipairs(events.emit("api.customer_missing", { id = id })) do
    if type(r) == "table" then
      if r.found == true then return end
      if err == nil or (err.status == 404 and r.status ~= 404) then err = r end
    end
  end
  if err and err.status and err.status ~= 404 then
    util.fail(err.status, err.code or "upstream_error", tostring(err.message))
  end
  util.fail(404, "not_found", err and tostring(err.message) or "unknown customer")
end

local function get_customer(req)
  known_customer(req.params.id) -- one created in Rillet after the import is fetched first
  local row = db.customer_row(req.params.id)
  if row == nil then util.fail(404, "not_found", "unknown customer") end
  return 200, db.customer_public(row)
end

local function put_customer(req)
  local id = req.params.id
  local body = util.body_object(req)
  local changes = validate.customer(body, known_region_codes()) -- a bad body asks Rillet nothing
  known_customer(id)
  return write_and_recheck(req, id, "customer", function() return db.put_customer(id, changes) end)
end

---------------------------------------------------------------- the audit log (issue 20)
-- GET /v1/audit: levy.audit's rows, newest first, with the list conventions (limit, cursor,
-- ?format=csv / Accept: text/csv for every row the filters select).

local AUDIT_KINDS = { api_token = true, named_token = true, ui_session = true, cli = true, system = true }

local function audit_filter(req)
  local q = req.query or {}
  local e, f = util.errors(), {}
  for _, k in ipairs { "from", "to" } do
    if q[k] ~= nil and q[k] ~= "" then
      if not ltime.valid_date(q[k]) then e:add(k, "must be a date YYYY-MM-DD") end
      f[k] = q[k]
    end
  end
  if f.from and f.to and f.from > f.to and ltime.valid_date(f.from) and ltime.valid_date(f.to) then
    e:add("to", "must not be before from")
  end
  if q.action ~= nil and q.action ~= "" then
    if not q.action:match("^[a-z_]+%.[a-z_]*$") then e:add("action", "must be an action code such as region.updated, or a prefix such as region.") end
    f.action = q.action
  end
  for _, k in ipairs { "object_kind", "object_id", "actor" } do
    if q[k] ~= nil and q[k] ~= "" then
      if #q[k] > 200 then e:add(k, "must be at most 200 characters") end
      f[k] = q[k]
    end
  end
  if q.person ~= nil and q.person ~= "" then
    -- a named token's name (core/host/tokens.c: 1..64 bytes, no control characters)
    if #q.person > 64 or q.person:find("[%c]") then
      e:add("person", "must be a person's token name: at most 64 bytes, no control characters")
    end
    f.person = q.person
  end
  if q.actor_kind ~= nil and q.actor_kind ~= "" then
    if not AUDIT_KINDS[q.actor_kind] then e:add("actor_kind", "must be api_token, named_token, ui_session, cli or system") end
    f.actor_kind = q.actor_kind
  end
  if q.format ~= nil and q.format ~= "" and q.format ~= "json" and q.format ~= "csv" then
    e:add("format", "must be json or csv")
  end
  e:raise("invalid query")
  return f
end

local function audit_public(r)
  return { id = r.id, at = r.at, actor_kind = r.actor_kind, actor = r.actor, action = r.action,
           object_kind = r.object_kind, object_id = util.orjnull(r.object_id),
           object_label = util.orjnull(r.object_label), changes = r.changes,
           request_id = util.orjnull(r.request_id), person = util.orjnull(r.person) }
end

-- A value of the CSV: text as is, anything else as its JSON.
local function audit_csv_value(v)
  if v == nil or v == json.null then return nil end
  if type(v) == "string" then return v end
  return json.encode(v)
end

local AUDIT_CSV = { "id", "at", "actor_kind", "actor", "action", "object_kind", "object_id", "object_label",
                    "field", "before", "after", "request_id", "person" }

local function list_audit(req)
  local f = audit_filter(req)
  if util.wants_csv(req) then
    -- one line per changed field (a row without fields: one line), every row the filters select
    local lines = {}
    f.limit = 500
    repeat
      local rows, after = audit.list(f)
      for _, r in ipairs(rows) do
        local names = {}
        for k in pairs(r.changes) do names[#names + 1] = k end
        table.sort(names)
        if #names == 0 then names[1] = false end
        for _, k in ipairs(names) do
          local c = k and r.changes[k] or {}
          lines[#lines + 1] = { id = r.id, at = r.at, actor_kind = r.actor_kind, actor = r.actor, action = r.action,
                                object_kind = r.object_kind, object_id = r.object_id, object_label = r.object_label,
                                field = k or nil, before = audit_csv_value(c.before), after = audit_csv_value(c.after),
                                request_id = r.request_id, person = r.person }
        end
      end
      f.after = after
    until after == nil
    return util.csv_reply(util.csv(lines, AUDIT_CSV), "levy-audit.csv")
  end
  local limit, after = util.page_args(req)
  if after ~= nil and not after:match("^%d+$") then util.invalid("cursor", "invalid cursor", "invalid query") end
  f.limit, f.after = limit, after and math.tointeger(tonumber(after))
  local rows, next_after = audit.list(f)
  local out = {}
  for _, r in ipairs(rows) do out[#out + 1] = audit_public(r) end
  return 200, { data = util.array(out),
                next_cursor = next_after and util.cursor_for(tostring(next_after)) or json.null }
end

---------------------------------------------------------------- exemption certificates
-- Issue 20 (certs.lua): POST the file as the body with its details in the query; a change
-- re-checks the customer's documents like PUT /v1/customers/{id} (api.customer_changed).

-- fn() saves the change -> changed; audit(): its audit row, written in the same transaction
-- when fn changed something.
local function cert_save(cid, audit_row)
  return function(fn)
    return with_recheck(function()
      local changed = fn()
      if changed then audit_row() end
      return changed
    end, "api.customer_changed", { id = cid })
  end
end

local function cert_label(cid, number)
  local c = db.customer_row(cid)
  local who = c and util.nn(c.name) or cid
  return "Certificate " .. tostring(number) .. " of " .. who
end

local function list_certs(req)
  known_customer(req.params.id)
  local today, out = certs.today(), {}
  for _, r in ipairs(certs.rows_of(req.params.id)) do out[#out + 1] = certs.public(r, today) end
  return 200, { data = util.array(out) }
end

local function post_cert(req)
  local id = req.params.id
  local meta = certs.validate(req.query or {}, known_region_codes())
  known_customer(id)
  local row, run = certs.create(id, req.body or "", meta, db.settings().certificate_max_bytes, cert_save(id, function()
    audit.record(req, { action = "certificate.uploaded", object_kind = "customer", object_id = id,
                        label = cert_label(id, meta.number),
                        changes = { certificate = { before = json.null, after = {
                          number = meta.number, reason = meta.reason, regions = util.array(meta.regions),
                          issued = util.orjnull(meta.issued), expires = util.orjnull(meta.expires) } } } })
  end))
  return 201, with_requeue(certs.public(row), run)
end

local function must_cert(req)
  local row = certs.row(req.params.id, req.params.cert)
  if row == nil then util.fail(404, "not_found", "unknown exemption certificate") end
  return row
end

local function get_cert_file(req)
  local row = must_cert(req)
  local data = certs.file(row.id)
  if data == nil then
    log.warn("exemption certificate " .. row.id .. ": its file is missing from the store (files/certificates in the data dir; the files table on PostgreSQL)")
    util.fail(500, "certificate_file_missing", "the certificate's file is missing from levy's data dir")
  end
  return 200, data, {
    ["Content-Type"] = row.content_type,
    ["Content-Disposition"] = 'attachment; filename="' .. row.filename .. '"',
    ["Cache-Control"] = "no-store",
  }
end

local function delete_cert(req)
  local row = must_cert(req)
  local run = certs.delete(row.customer_id, row.id, cert_save(row.customer_id, function()
    local pub = certs.public(row)
    audit.record(req, { action = "certificate.deleted", object_kind = "customer", object_id = row.customer_id,
                        label = cert_label(row.customer_id, row.number),
                        changes = { certificate = { before = {
                          id = row.id, number = pub.number, reason = pub.reason, regions = pub.regions,
                          issued = pub.issued, expires = pub.expires }, after = json.null } } })
  end))
  return 200, with_requeue({ id = row.id, deleted = true }, run)
end

-- GET /v1/exemption-certificates?expiring_within_days=30: every customer's certificates that
-- expire within that many days (not yet expired), soonest first (the dashboard's reminder).
local function list_expiring(req)
  local q = req.query or {}
  local within = 30
  if q.expiring_within_days ~= nil then
    within = tonumber(q.expiring_within_days)
    if within == nil or math.type(within) ~= "integer" or within < 0 or within > 3650 then
      util.invalid("expiring_within_days", "must be an integer from 0 to 3650", "invalid query")
    end
  end
  local limit = util.limit_arg(q, 100)
  local rows = certs.expiring(within, limit)
  local more = #rows > limit
  if more then rows[#rows] = nil end
  return 200, { data = util.array(rows), count = #rows, expiring_within_days = within, truncated = more }
end

-- Issue 19: the online check of a customer's tax id (setting tax_id_online, off by default).
-- VIES REST API: GET {vies_url}/ms/{CC}/vat/{number} -> {isValid, requestDate, userError, name,
-- address, requestIdentifier} (European Commission, "VIES REST API", the one behind
-- ec.europa.eu/taxation_customs/vies). Every answer, an unavailable registry included, is kept
-- in api_tax_id_checks with its date as evidence; a calculation reads the latest (calc.lua).
local function vies(conf, cc, number)
  local now = ltime.now_ms()
  local ev = { country = cc, number = number, source = "VIES", checked_ms = now, checked_at = ltime.iso_ms(now) }
  local url = conf.vies_url .. "/ms/" .. (cc == "GR" and "EL" or cc) .. "/vat/" .. number
  local st, hdr_or_msg, body = http.request { method = "GET", url = url, headers = { accept = "application/json" },
                                              timeout_ms = conf.timeout_seconds * 1000 }
  if not st then
    ev.status, ev.detail = "unavailable", "VIES not reachable: " .. tostring(hdr_or_msg)
    return ev
  end
  ev.http_status = st
  local ok, js = pcall(json.decode, body or "")
  if st ~= 200 or not ok or not util.is_object(js) then
    ev.status, ev.detail = "unavailable", "VIES answered HTTP " .. tostring(st)
    return ev
  end
  local ue = util.is_string(js.userError) and js.userError or nil
  if js.isValid == true then ev.status = "registered"
  elseif js.isValid == false and (ue == nil or ue == "VALID" or ue == "INVALID") then ev.status = "not_registered"
  else ev.status, ev.detail = "unavailable", "VIES: " .. tostring(ue or "no isValid in the answer") end
  local function str(v) return util.is_string(v) and v ~= "" and v:sub(1, 500) or nil end
  ev.name, ev.address = str(js.name), str(js.address)
  ev.request_date, ev.request_id = str(js.requestDate), str(js.requestIdentifier)
  return ev
end

local function verify_tax_id(req)
  local id = req.params.id
  known_customer(id)
  local row = db.customer_row(id)
  if row == nil then util.fail(404, "not_found", "unknown customer") end
  local conf = db.tax_id_online()
  if not conf.enabled then
    util.fail(409, "tax_id_online_disabled",
              'online tax id checks are off (PUT /v1/settings {"tax_id_online": {"enabled": true}})')
  end
  local tc = db.customer_public(row).tax_id_check
  if tc == json.null then util.fail(422, "no_tax_id", "the customer has no tax id") end
  if not tc.valid then
    util.fail(422, "tax_id_invalid", "the tax id fails the offline check (" .. tc.status ..
              (tc.detail ~= json.null and (": " .. tostring(tc.detail)) or "") .. "): nothing to ask a registry")
  end
  local r = taxid.check(tc.country, row.tax_id)
  if not r.eu then
    util.fail(422, "no_registry", "online checks cover EU VAT numbers (VIES) only; this is a number of " ..
              tostring(r.country))
  end
  local before = db.tax_id_check_latest(r.country, r.normalized)
  local ev = vies(conf, r.country, r.normalized) -- the registry is asked outside the transaction
  -- the answer is kept as evidence (also "unavailable"); a changed status re-checks the
  -- customer's documents, saved with it in one transaction (with_recheck)
  local run = with_recheck(function()
    db.tax_id_check_insert(ev)
    -- who asked the registry, and its answer against the last one (issue 20)
    audit.record(req, { action = "customer.tax_id_verified", object_kind = "customer", object_id = id,
                        label = util.nn(row.name) or id,
                        changes = { tax_id_check = { before = before and before.status or json.null,
                                                     after = ev.status } } })
    return ev.status ~= "unavailable" and (before == nil or before.status ~= ev.status)
  end, "api.customer_changed", { id = id })
  log.info("tax id checked online", { customer = id, country = ev.country, source = ev.source, status = ev.status })
  if ev.status == "unavailable" then
    util.fail(502, "registry_unavailable", ev.detail, { { field = "tax_id", message = ev.detail } })
  end
  return 200, with_requeue({ customer_id = id, check = db.tax_id_check_public(ev) }, run)
end

---------------------------------------------------------------- calculate

local body_object, tax_parse = util.body_object, tax.parse -- read once (issue 21)

local function post_calculate(req)
  -- issue 21: the body is parsed once in C (levy.tax.parse) and read there by levy.tax; no Lua
  -- table of it is built. `view` holds the few fields the options need (customer id and tax
  -- id, ship-to country, product ids).
  local parsed, view = body_object(req, tax_parse)
  -- ?connection_id=: calculate as that connection (legal entity): its regions and settings
  local extra
  local cid = req.query and req.query.connection_id
  if cid ~= nil and cid ~= "" then extra = { connection_id = must_connection(cid) } end
  local result, err = calc.run(view, extra, "body", parsed) -- the answer's bytes, served as they are
  if result == nil then
    local details = err.details
    if type(details) == "table" then details = util.array(details) end
    util.fail(err.status or 422, err.code or "validation_failed", err.message or "calculation failed", details)
  end
  return 200, result
end

---------------------------------------------------------------- exports

local function check_id(t, what)
  if type(t) ~= "table" then error(what .. ": expected a table", 3) end
  if type(t.id) ~= "string" or t.id == "" then error(what .. ": id must be a non-empty string", 3) end
end

local exports = {}

function exports.calculate(request, extra_opts)
  return calc.run(request, extra_opts)
end

exports.not_collecting = calc.not_collecting

-- issue 20: a stored exemption certificate by id (the one a result's exemption_certificate_id
-- names) -> {id, customer_id, number, reason, reason_text, regions, issued, expires, status,
-- file_url, ...} | nil
function exports.exemption_certificate(id)
  if type(id) ~= "string" then return nil end
  local row = store.row("SELECT customer_id FROM api_certificates WHERE id = ?", id)
  return row and certs.public(certs.row(row.customer_id, id)) or nil
end

function exports.upsert_product(p)
  check_id(p, "upsert_product")
  local hint = p.tax_code_hint
  if hint ~= nil and hint ~= json.null and not known_tax_codes()[hint] then
    log.warn("unknown tax code from mapping; using the default", { product = p.id, tax_code = tostring(hint) })
    hint = nil
  end
  if hint == json.null then hint = nil end
  local row, changed = db.upsert_product({ id = p.id, name = util.nn(p.name), raw = util.nn(p.raw),
    updated_at = util.nn(p.updated_at), tax_code_hint = hint }, older)
  return db.product_plain(row), changed
end

function exports.upsert_customer(c)
  check_id(c, "upsert_customer")
  local hint = util.nn(c.tax_id_hint)
  if hint ~= nil and (type(hint) ~= "string" or hint == "") then hint = nil end
  local ehint = util.nn(c.exempt_hint)
  if type(ehint) ~= "boolean" then ehint = nil end
  local thint = util.nn(c.customer_type_hint)
  if thint ~= "business" and thint ~= "individual" then thint = nil end
  local function text(v) v = util.nn(v); return type(v) == "string" and v:sub(1, 200) or nil end
  -- a QST number the Rillet data gives: kept only when it is one (validate.qst_number)
  local qhint = util.nn(c.qst_number_hint)
  if qhint ~= nil then
    local n, why = validate.qst_number(qhint)
    if not n and not (type(qhint) == "string" and qhint:match("^%s*$")) then
      log.warn("rillet customer QST number not usable; ignored",
        { customer = tostring(c.id), source = tostring(text(c.qst_number_detail)), reason = why })
    end
    qhint = n
  end
  local row, changed = db.upsert_customer({ id = c.id, name = util.nn(c.name), raw = util.nn(c.raw),
    updated_at = util.nn(c.updated_at), tax_id_hint = hint, tax_id_detail = text(c.tax_id_detail),
    exempt_hint = ehint, exempt_detail = text(c.exempt_detail), customer_type_hint = thint,
    customer_type_detail = text(c.customer_type_detail), qst_number_hint = qhint,
    qst_number_detail = text(c.qst_number_detail) }, older)
  return db.customer_plain(row), changed
end

function exports.product(id)
  return db.product_plain(db.product_row(id))
end

function exports.customer(id)
  return db.customer_plain(db.customer_row(id))
end

-- Up to `limit` customer ids after `after` (nil: from the first), in id order.
function exports.customer_ids(limit, after)
  local out = {}
  for i, r in ipairs(db.customer_page(limit, after)) do
    if i <= limit then out[#out + 1] = r.id end
  end
  return out
end

function exports.region(code)
  if type(code) ~= "string" then return nil end
  local by_code = rule_regions()
  local r = by_code[code:upper()]
  local row = db.region_row(code:upper())
  if r == nil and row == nil then return nil end
  r = r or { code = code:upper() }
  local s = db.region_state(row)
  return { code = r.code, name = r.name, country = r.country, tax_type = r.tax_type,
           subscribed = s.subscribed, tax_calculation = s.tax_calculation,
           registration_number = s.registration_number, effective_from = s.effective_from }
end

function exports.set_region(code, changes, who)
  if type(code) ~= "string" then return nil, "region code must be a string", "validation_failed" end
  local r = (rule_regions())[code:upper()]
  if r == nil then return nil, "unknown region " .. code, "not_found" end
  if not util.is_object(changes) then return nil, "changes must be a table", "validation_failed" end
  local ok, v = pcall(validate.region, changes, region_public(r, nil))
  if not ok then
    if type(v) == "table" and v.code then return nil, tostring(v.message), v.code end
    error(v, 0)
  end
  local out = apply_region(r, v, who)
  for k, x in pairs(out) do if x == json.null then out[k] = nil end end
  return out
end

-- The stored subscription of a region as a report reads it: the connection's own row
-- (connection_regions, issue 17) when cid has one, else the global row; raw columns
-- {subscribed, tax_calculation, effective_from}, or nil when neither holds the region.
function exports.region_subscription(code, cid)
  if type(code) ~= "string" then return nil end
  return db.region_subscription(code, cid)
end

-- Every region code subscribed globally or by any connection (a set: code -> true).
function exports.subscribed_codes()
  return db.subscribed_codes()
end

-- cid (optional): that connection's effective settings (its own over the global ones).
function exports.settings(cid)
  if cid ~= nil and type(cid) ~= "string" then cid = nil end
  return db.settings(cid)
end

---------------------------------------------------------------- plugin

local function products_page(limit, after, filt) return db.product_page(limit, after, filt) end
local function customers_page(limit, after, filt) return db.customer_page(limit, after, filt) end

return {
  name = "api",
  version = "0.1.0",
  -- the tables this plugin's migrations create: no other plugin may use them (docs/plugins.md)
  tables = {
    "regions", "regions_audit", "settings", "products", "customers", "api_version",
    "sphere_api_key", "connection_regions", "connection_settings", "api_tax_id_checks",
    "api_certificates",
  },
  -- the events this plugin emits (levy.events; the header comment says what each carries)
  emits = {
    "api.region_changed", "api.product_changed", "api.customer_changed",
    "api.connection_region_changed", "api.connection_settings_changed",
    "api.customer_data_changed", "api.connection_lookup", "api.customer_missing",
    "api.settings_changed",
  },
  routes = {
    { method = "GET", path = "/v1/regions", auth = "token", handler = list_regions },
    { method = "GET", path = "/v1/regions/{code}", auth = "token", handler = get_region },
    { method = "PUT", path = "/v1/regions/{code}", auth = "token", handler = put_region },
    { method = "GET", path = "/v1/tax-codes", auth = "token", handler = list_tax_codes },
    { method = "GET", path = "/v1/audit", auth = "token", handler = list_audit },
    { method = "GET", path = "/v1/settings", auth = "token",
      handler = function() return 200, settings_public() end },
    { method = "PUT", path = "/v1/settings", auth = "token", handler = put_settings },
    { method = "GET", path = "/v1/connections/{id}/regions", auth = "token", handler = list_conn_regions },
    { method = "GET", path = "/v1/connections/{id}/regions/{code}", auth = "token", handler = get_conn_region },
    { method = "PUT", path = "/v1/connections/{id}/regions/{code}", auth = "token", handler = put_conn_region },
    { method = "DELETE", path = "/v1/connections/{id}/regions/{code}", auth = "token", handler = delete_conn_region },
    { method = "GET", path = "/v1/connections/{id}/settings", auth = "token",
      handler = function(req) return 200, conn_settings_public(must_connection(req.params.id)) end },
    { method = "PUT", path = "/v1/connections/{id}/settings", auth = "token", handler = put_conn_settings },
    { method = "GET", path = "/v1/products", auth = "token",
      handler = function(req) return page(req, products_page, db.product_public, "products") end },
    { method = "GET", path = "/v1/products/{id}", auth = "token", handler = get_product },
    { method = "PUT", path = "/v1/products/{id}", auth = "token", handler = put_product },
    { method = "GET", path = "/v1/customers", auth = "token",
      handler = function(req) return page(req, customers_page, db.customer_public, "customers") end },
    { method = "GET", path = "/v1/customers/{id}", auth = "token", handler = get_customer },
    { method = "PUT", path = "/v1/customers/{id}", auth = "token", handler = put_customer },
    -- issue 20: exemption certificates (the body cap is the host's ceiling; the setting
    -- certificate_max_bytes, 10 MiB by default, answers 413 below it)
    { method = "GET", path = "/v1/customers/{id}/exemption-certificates", auth = "token", handler = list_certs },
    { method = "POST", path = "/v1/customers/{id}/exemption-certificates", auth = "token", handler = post_cert,
      max_body = 67108864 },
    { method = "GET", path = "/v1/customers/{id}/exemption-certificates/{cert}", auth = "token",
      handler = function(req) return 200, certs.public(must_cert(req)) end },
    { method = "GET", path = "/v1/customers/{id}/exemption-certificates/{cert}/file", auth = "token",
      handler = get_cert_file },
    { method = "DELETE", path = "/v1/customers/{id}/exemption-certificates/{cert}", auth = "token",
      handler = delete_cert },
    { method = "GET", path = "/v1/exemption-certificates", auth = "token", handler = list_expiring },
    { method = "POST", path = "/v1/customers/{id}/tax_id/verify", auth = "token", handler = verify_tax_id },
    -- read_only_ok: a calculation stores nothing, so a read-only token may use it
    { method = "POST", path = "/v1/calculate", auth = "token", handler = post_calculate, read_only_ok = true },
    { method = "POST", path = "/tax_api/calculate_tax", auth = "none", handler = sphere.handle },
    { method = "GET", path = "/v1/sphere-api-key", auth = "token", handler = sphere.get_key },
    -- creating or rotating the key is an admin's (admin23): a full token's key would outlive
    -- its revocation (403 admin_required, audited); reading its hint and deleting it are not
    { method = "POST", path = "/v1/sphere-api-key", auth = "admin",
      handler = function(req) return sphere.create_key(now_iso(), req) end },
    { method = "DELETE", path = "/v1/sphere-api-key", auth = "token", handler = sphere.delete_key },
  },
  exports = exports,
}
