-- Builds levy.tax.calculate options from the store and runs a calculation.
-- Shared by POST /v1/calculate, `levy calc`, the Sphere endpoint and the `calculate` export.
local json = require "levy.json"
local tax = require "levy.tax"
local config = require "levy.config"
local util = require "levy.util"
local db = require "db"
local taxid = require "levy.taxid"
local ltime = require "levy.time"

local M = {}

-- Issue 21: what every calculation reads, taken once per generation. A global (`type`,
-- `ipairs`...) read in plugin code goes through the sandbox env's __index, a levy module's
-- field through its read-only proxy's, and a levy.config field through a Lua function; the
-- values cannot change within a generation (config is a snapshot made when it was opened).
local type, pairs, ipairs = type, pairs, ipairs
local is_object, is_string = util.is_object, util.is_string
local tax_calculate = tax.calculate
local ROLE, GENERATION = config.role, config.generation

-- Product ids named by the request's lines (ignores malformed lines: the engine reports them);
-- nil when no line names one (issue 21: no table made for nothing).
local function product_ids(request)
  local ids
  local lines = request.lines
  if type(lines) == "table" then
    for _, line in ipairs(lines) do
      if type(line) == "table" and is_string(line.product_id) and line.product_id ~= "" then
        ids = ids or {}
        ids[line.product_id] = true
      end
    end
  end
  return ids
end

local function region_opt(row)
  local s = db.region_state(row)
  return { subscribed = s.subscribed, tax_calculation = s.tax_calculation,
           effective_from = s.effective_from }
end

-- The engine's view of the stored regions: {[code] = {subscribed, tax_calculation, effective_from}}.
-- cid (optional): a connection whose own regions replace the global ones, code by code.
local function region_opts(cid)
  local out = {}
  for code, row in pairs(db.region_rows()) do out[code] = region_opt(row) end
  if cid ~= nil then
    for code, row in pairs(db.conn_region_rows(cid)) do out[code] = region_opt(row) end
  end
  return out
end

-- {[id] = tax_code} for the ids, through the cache (false marks a known-missing product).
local function cached_product_codes(cache, ids)
  local out, missing = {}, nil
  local known = cache.products
  for id in pairs(ids) do
    local code = known[id]
    if code == nil then
      missing = missing or {}
      missing[id] = true
    elseif code then
      out[id] = code
    end
  end
  if missing then
    local found = db.product_codes(missing)
    for id in pairs(missing) do
      local code = found[id]
      known[id] = code or false
      cache.n = cache.n + 1
      if code then out[id] = code end
    end
  end
  return out
end

-- Options for levy.tax.calculate from the regions, settings, products and customers tables.
-- cid (optional): the connection (legal entity) the document belongs to; its own regions and
-- settings (connection_regions, connection_settings) replace the global ones.
-- The tables read are cached per store version (db.calc_cache); the returned opts and its
-- `products`/`customers` maps are fresh tables (merge() writes into them); `regions` is the
-- cached map itself (issue 21: no copy per request; merge() copies it before writing), and the
-- per-entry values are shared and never modified.
-- Issue 19, setting tax_id_online (off by default): the latest registry answer (VIES) for
-- the customer's tax id, while younger than max_age_days, as opts.tax_id_registry; the
-- reverse charge of core/tax/calc.c (levy_tax_id_usable) treats a "not_registered" number as
-- invalid.
-- Nothing here goes to the network: POST /v1/customers/{id}/tax_id/verify asks the registry.
local function registry_opt(opts, request, online)
  if not online.enabled then return end
  local cust = request.customer
  local tid = is_object(cust) and is_string(cust.tax_id) and cust.tax_id ~= "" and cust.tax_id or nil
  if tid == nil and is_object(cust) and is_string(cust.id) then
    local c = opts.customers[cust.id]
    tid = type(c) == "table" and is_string(c.tax_id) and c.tax_id ~= "" and c.tax_id or nil
  end
  local to = is_object(request.ship_to) and request.ship_to.country or nil
  if tid == nil or not is_string(to) then return end
  local r = taxid.check(to, tid)
  if not (r.valid and r.eu) then return end
  local last = db.tax_id_check_latest(r.country, r.normalized)
  if last == nil or last.status == "unavailable" then return end
  local ok, now = pcall(ltime.now_ms)
  if not ok or now - last.checked_ms > online.max_age_days * 86400000 then return end
  opts.tax_id_registry = { status = last.status, source = last.source, checked_at = last.checked_at,
                           country = last.country, number = last.number }
end

function M.build_opts(request, cid)
  local cache = db.calc_cache()
  local regions, settings, online
  if cache then
    -- the global view, or one per connection (cache.conns[cid])
    local slot = cache
    if cid ~= nil then
      cache.conns = cache.conns or {}
      slot = cache.conns[cid]
      if slot == nil then
        slot = {}
        cache.conns[cid] = slot
        cache.n = cache.n + 1
      end
    end
    regions, settings = slot.regions, slot.settings
    if regions == nil then
      regions = region_opts(cid)
      slot.regions = regions
    end
    if settings == nil then
      settings = db.settings(cid)
      slot.settings = settings
      slot.online = nil
    end
    online = slot.online
    if online == nil then
      online = db.tax_id_online(settings)
      slot.online = online
    end
  else
    regions = region_opts(cid)
    settings = db.settings(cid)
    online = db.tax_id_online(settings)
  end
  -- issue 21 (calc22): the keys every calculation sets are in the constructor, so the table is
  -- made with room for them and for `seller` and `encode` (8): no rehash as keys are added
  -- (two per request before, ~2k instructions). customer_type: the customer type of a
  -- customer that says none (issue 19), business unless set. products: the codes of the
  -- lines' product ids (a fresh table either way: merge() writes into it).
  local ids = product_ids(request)
  local products
  if ids then
    products = cache and cached_product_codes(cache, ids) or db.product_codes(ids)
  end
  local opts = { products = products or {}, customers = {}, regions = regions,
                 rounding = settings.rounding or "line",
                 customer_type = settings.default_customer_type, generation = GENERATION }
  if is_object(settings.seller_address) then opts.seller = settings.seller_address end
  -- the seller's Canadian GST/HST regime (docs/rules.md section 2; core/tax/calc.c)
  if settings.ca_gst_regime == "simplified" then opts.ca_gst_regime = "simplified" end
  -- the seller's QST registration (issue 19; docs/rules.md section 2)
  if settings.qc_qst_regime == "specified" then opts.qc_qst_regime = "specified" end
  -- the seller under the EU's EUR 10,000 cross-border threshold (issue 19; docs/rules.md
  -- section 2, "Place of supply"): its own member state's VAT
  if settings.eu_below_threshold == "yes" then opts.eu_below_threshold = "yes" end
  -- customers can collect the goods (issue 19; docs/rules.md section 2, "Shipping"): a
  -- separately stated delivery charge is avoidable (IL, FL: exempt); else mandatory (taxable)
  if settings.pickup_offered == "yes" then opts.pickup_offered = "yes" end
  -- a remote seller's flat-rate elections (issue 19, law24; docs/rules.md section 2, "Remote
  -- sellers' flat-rate options"): Alabama's SSUT, Texas's single local use tax rate
  if settings.us_al_ssut == "yes" then opts.us_al_ssut = "yes" end
  if settings.us_tx_single_local == "yes" then opts.us_tx_single_local = "yes" end
  local customer = request.customer
  if is_object(customer) and is_string(customer.id) and customer.id ~= "" then
    local c
    if cache then
      c = cache.customers[customer.id]
      if c == nil then
        c = db.customer_opts(customer.id) or false
        cache.customers[customer.id] = c
        cache.n = cache.n + 1
      end
    else
      c = db.customer_opts(customer.id)
    end
    if c then opts.customers[customer.id] = c end
  end
  registry_opt(opts, request, online)
  if ROLE == "calc" and type(config.cli) == "table" and config.cli.all_regions then
    opts.all_regions = true
  end
  return opts
end

-- extra: optional opts merged over the built ones; `products`, `customers` and `regions` maps
-- are merged per key (into a copy of `regions`, which build_opts shares with the cache), every
-- other key replaces.
local function merge(opts, extra)
  if type(extra) ~= "table" then return opts end
  for k, v in pairs(extra) do
    if (k == "products" or k == "customers" or k == "regions") and type(v) == "table" then
      if k == "regions" then
        local copy = {}
        for code, r in pairs(opts.regions) do copy[code] = r end
        opts.regions = copy
      end
      for id, x in pairs(v) do opts[k][id] = x end
    else
      opts[k] = v
    end
  end
  return opts
end

-- JSON arrays in a result that may be empty must encode as [] rather than {}.
local function fix_arrays(result)
  if type(result) ~= "table" then return result end
  if type(result.lines) == "table" then
    for _, line in ipairs(result.lines) do
      if type(line) == "table" then
        line.taxes = util.array(line.taxes)
      end
    end
    result.lines = util.array(result.lines)
  end
  return result
end

-- -> result | nil, err ({status, code, message, details})
-- extra.connection_id (optional, never passed to the engine): calculate as that connection
-- (its regions and settings over the global ones).
-- encode = true: the result comes back as its JSON text (levy.tax's opts.encode: the same
-- bytes json.encode would write for the table, without building the table); encode = "body":
-- those bytes as a body held in C (levy.tax's opts.encode = "body"), for a handler to return.
-- A result in which every line is `not_collecting` (the ship-to is in no subscribed region
-- with tax calculation on) or `out_of_scope` (a territory outside the VAT area); false for a result without lines. The one reading of it, for
-- the connector (status not_collecting) and the reports (what was written stays collected).
function M.not_collecting(result)
  local lines = type(result) == "table" and result.lines or {}
  if #lines == 0 then return false end
  for _, l in ipairs(lines) do
    -- out_of_scope (a territory outside the EU/UK VAT area, result.territory): nothing to
    -- collect either, so levy leaves the document's tax as it is, like not_collecting
    if l.taxability_reason ~= "not_collecting" and l.taxability_reason ~= "out_of_scope" then return false end
  end
  return true
end

-- parsed (optional): the same request as levy.tax.parse made it from the body's text (then
-- `request` is its view: the fields build_opts reads); levy.tax reads it instead of the table.
function M.run(request, extra, encode, parsed)
  if not is_object(request) then
    return nil, { status = 422, code = "validation_failed", message = "request must be an object",
                  details = json.array({ { field = "", message = "must be an object" } }) }
  end
  local cid
  if type(extra) == "table" and extra.connection_id ~= nil then
    cid = extra.connection_id
    if type(cid) ~= "string" or cid == "" then
      return nil, { status = 422, code = "validation_failed", message = "connection_id must be a non-empty string" }
    end
    local rest = {}
    for k, v in pairs(extra) do if k ~= "connection_id" then rest[k] = v end end
    extra = rest
  end
  local opts = merge(M.build_opts(request, cid), extra)
  if encode then opts.encode = encode end
  local result, err = tax_calculate(parsed or request, opts)
  if result == nil then
    if type(err) ~= "table" then
      err = { status = 422, code = "validation_failed", message = tostring(err) }
    end
    err.status = err.status or 422
    err.code = err.code or "validation_failed"
    err.message = err.message or "calculation failed"
    return nil, err
  end
  if type(result) ~= "table" then return result end -- the JSON text or body (encode)
  return fix_arrays(result)
end

return M
