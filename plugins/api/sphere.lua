-- POST /tax_api/calculate_tax: a drop-in for Sphere's Tax Calculation API (CONTRACT 2.5).
--
-- Request:  {currency (lowercase ISO 4217), customer_address{address1,address2,city,state,
--            postal_code,country}, ship_from{the same fields} (the seller's location, as
--            ship_from of /v1/calculate), customer_id, tax_id, tax_exempt, customer_type
--            (levy's extension: "business" | "individual"; a tax_id alone means business),
--            qst_number (levy's extension, issue 19: the customer's Quebec QST number, as
--            customer.qst_number of /v1/calculate),
--            include_taxability_reason, line_items[{id, amount (integer minor units),
--            product_id, discount_amount (integer minor units), tax_inclusive}]}
-- Response: {"message":"Tax calculated successfully","data":{"lines":[{"id","tax_amounts":[
--            {"amount","taxable_amount","tax_rate":{"percentage" (JSON number),"inclusive",
--            "display_name","jurisdiction","country","state","tax_type" (lowercase)}}]}],
--            "sphere_tax_calculation_id":"calc_..."}}, amounts in integer minor units.
--            As Sphere: `tax_amounts` lists the taxes applied and is empty where none is due
--            (reverse charge, exempt customer or product, zero rate, not collecting, no tax
--            in the region), never a zero-amount entry at a would-be rate (a Canadian line
--            whose QST or GST/HST alone is not collected lists the other tax); with
--            include_taxability_reason = true each tax_rate carries `taxability_reason`, and
--            so does each line (the only place for it when tax_amounts is empty); without
--            it neither appears.
-- Errors:   {"type":"api_error","code","message"}: 401 unauthorized_access,
--           403 read_only (a read-only named token), 400 validation_errors,
--           400 customer_tax_location_invalid.
-- Auth:     X-API-KEY = the endpoint's own scoped key (POST /v1/sphere-api-key; it opens
--           this endpoint and nothing else), levy's API token (CONTRACT 2.1 compatibility) or
--           a live named token (issue 20, tokens23: admin or full; a read-only one is refused
--           403 as on any POST). The host reads the API token or a named token there and
--           hands its role as req.key_role and its name as req.actor ("Alice's token"; its
--           last use stamped in GET /v1/tokens), as it does for a Bearer token
--           (core/host/routes.c dispatch_lua).
--
-- Key management (routes in handler.lua, all need the API token or a browser session):
--   GET /v1/sphere-api-key    -> {configured, hint, created_at}
--   POST /v1/sphere-api-key   -> 201 {api_key, hint, created_at}: a new key, shown once;
--                                replaces the previous one
--   DELETE /v1/sphere-api-key -> 204
local crypto = require "levy.crypto"
local json = require "levy.json"
local money = require "levy.money"
local util = require "levy.util"
local store = require "levy.store"
local audit = require "levy.audit"
local db = require "db"
local calc = require "calc"

local M = {}

local function api_error(status, code, message)
  return status, { type = "api_error", code = code, message = message }
end

local TYPE_LABEL = { SALES_TAX = "Sales Tax", VAT = "VAT", GST = "GST", HST = "HST", PST = "PST", QST = "QST" }

local function title(s)
  s = tostring(s or "")
  return (s:lower():gsub("(%a)([%w']*)", function(a, b) return a:upper() .. b end))
end

-- "California Sales Tax", "Orange County Sales Tax", "Irvine District Tax", "Germany VAT".
local LEVEL_WORD = { county = "County", city = "City" }
local function display_name(t)
  -- a tax with its own name (issue 19: Chicago's Personal Property Lease Transaction Tax)
  if type(t.name) == "string" and t.name ~= "" then return t.name end
  local label = TYPE_LABEL[t.type] or tostring(t.type or "Tax")
  if t.jurisdiction == nil or t.jurisdiction == "" then return label end
  local name = title(t.jurisdiction)
  local word = LEVEL_WORD[t.level]
  if word and not name:find(word, 1, true) then name = name .. " " .. word end
  if name:find("Tax", 1, true) or name:find(label, 1, true) then return name end
  return name .. " " .. label
end

-- Engine field names -> this endpoint's names, for error messages.
local function sphere_field(f)
  f = tostring(f or "")
  f = f:gsub("^lines%[", "line_items["):gsub("^ship_to", "customer_address")
  f = f:gsub("%.discount$", ".discount_amount"):gsub("%.zip_code$", ".postal_code")
  f = f:gsub("%.line1$", ".address1"):gsub("%.line2$", ".address2")
  f = f:gsub("^customer%.id$", "customer_id"):gsub("^customer%.tax_id$", "tax_id")
    :gsub("^customer%.qst_number$", "qst_number")
    :gsub("^customer%.type$", "customer_type")
  return f
end

local function join(list)
  local parts = {}
  for _, d in ipairs(list) do
    parts[#parts + 1] = (d.field ~= "" and (d.field .. ": ") or "") .. d.message
  end
  return table.concat(parts, "; ")
end

local ADDRESS_MAP = { address1 = "line1", address2 = "line2", city = "city", state = "state",
                      postal_code = "zip_code", country = "country" }

-- A Sphere address object -> levy's Address (fields renamed, empty strings dropped); nil when
-- it is not an object or a field is not a string (bad() told why).
local function map_address(addr, name, bad)
  if not util.is_object(addr) then
    bad(name, "must be an object")
    return nil
  end
  local out, ok = {}, true
  for k, v in pairs(addr) do
    local to = ADDRESS_MAP[k]
    if to and not util.is_null(v) then
      if not util.is_string(v) then
        bad(name .. "." .. k, "must be a string")
        ok = false
      elseif v ~= "" then
        out[to] = v
      end
    end
  end
  return ok and out or nil
end

-- Lines whose reason means no tax is due answer an empty tax_amounts (Sphere: "one entry per
-- tax applied to the line. Empty when no tax is due"); the engine lists some of them with
-- their would-be rates and zero amounts (CONTRACT 2.5 for /v1/calculate).
local NO_TAX_DUE = { reverse_charge = true, customer_exempt = true, product_exempt = true,
                     zero_rated = true, not_collecting = true, no_tax_in_region = true }

-- Validates and maps the Sphere body; returns request, line_ids | nil, status, body.
local function map_request(body)
  local errs = {}
  local function bad(field, message) errs[#errs + 1] = { field = field, message = message } end

  local currency
  if not util.is_string(body.currency) or not body.currency:match("^%a%a%a$") then
    bad("currency", "required: a three-letter ISO 4217 code")
  else
    currency = body.currency:upper()
    if money.exponent(currency) == nil then bad("currency", "unknown currency") ; currency = nil end
  end

  local pull = body.pull_customer_address
  if not util.is_null(pull) and type(pull) ~= "boolean" then
    bad("pull_customer_address", "must be a boolean")
  elseif pull == true then
    -- Sphere reads the customer's address from Stripe only; levy has no billing system to ask
    return nil, api_error(400, "unsupported_feature",
      "pull_customer_address is not available: send customer_address")
  end
  local addr = body.customer_address
  local ship_to, ship_from
  if util.is_null(addr) then
    return nil, api_error(400, "customer_tax_location_invalid", "customer_address is required")
  end
  ship_to = map_address(addr, "customer_address", bad)
  if not util.is_null(body.ship_from) then
    ship_from = map_address(body.ship_from, "ship_from", bad)
    if ship_from and ship_from.country == nil then bad("ship_from.country", "required with ship_from") end
  end
  local with_reason = false
  if not util.is_null(body.include_taxability_reason) then
    if type(body.include_taxability_reason) == "boolean" then with_reason = body.include_taxability_reason
    else bad("include_taxability_reason", "must be a boolean") end
  end

  local customer = {}
  if not util.is_null(body.customer_id) then
    if util.is_string(body.customer_id) then customer.id = body.customer_id
    elseif math.type(body.customer_id) == "integer" then customer.id = tostring(body.customer_id)
    else bad("customer_id", "must be a string") end
  end
  if not util.is_null(body.tax_id) then
    if util.is_string(body.tax_id) then
      if body.tax_id ~= "" then customer.tax_id = body.tax_id end
    else bad("tax_id", "must be a string") end
  end
  if not util.is_null(body.qst_number) then -- issue 19: Quebec QST under the specified system
    if util.is_string(body.qst_number) then
      if body.qst_number ~= "" then customer.qst_number = body.qst_number end
    else bad("qst_number", "must be a string") end
  end
  if not util.is_null(body.tax_exempt) then
    if type(body.tax_exempt) == "boolean" then customer.exempt = body.tax_exempt
    else bad("tax_exempt", "must be a boolean") end
  end
  -- customer type (issue 19, business vs personal use): Sphere's request has no such field;
  -- a customer that sends a tax id buys as a business (Sphere's own B2B signal), and levy's
  -- extension `customer_type` says it outright. Neither: the stored customer's type, else the
  -- default_customer_type setting (docs/connector.md "Sphere drop-in").
  if not util.is_null(body.customer_type) then
    if body.customer_type == "business" or body.customer_type == "individual" then
      customer.type = body.customer_type
    else bad("customer_type", 'must be "business" or "individual"') end
  elseif customer.tax_id then
    customer.type = "business"
  end

  local items = body.line_items
  local lines, ids = {}, {}
  if not util.is_array(items) or #items == 0 then
    bad("line_items", "required: a non-empty array")
    items = {}
  end
  local pids = {}
  for i, it in ipairs(items) do
    local p = "line_items[" .. (i - 1) .. "]"
    if not util.is_object(it) then
      bad(p, "must be an object")
    else
      local line = {}
      if util.is_string(it.id) and it.id ~= "" then line.id = it.id
      elseif math.type(it.id) == "integer" then line.id = tostring(it.id)
      elseif util.is_null(it.id) then line.id = tostring(i)
      else bad(p .. ".id", "must be a string") end
      ids[#ids + 1] = util.is_null(it.id) and line.id or it.id
      if math.type(it.amount) ~= "integer" then
        bad(p .. ".amount", "required: an integer amount in minor units")
      elseif currency then
        line.amount = money.format(it.amount, currency)
      end
      if not util.is_null(it.discount_amount) then
        if math.type(it.discount_amount) ~= "integer" or it.discount_amount < 0 then
          bad(p .. ".discount_amount", "must be a non-negative integer in minor units")
        elseif currency then
          line.discount = money.format(it.discount_amount, currency)
        end
      end
      if not util.is_null(it.tax_inclusive) then
        if type(it.tax_inclusive) ~= "boolean" then bad(p .. ".tax_inclusive", "must be a boolean")
        else line.tax_inclusive = it.tax_inclusive end
      end
      for _, k in ipairs({ "ship_to", "ship_from" }) do
        if not util.is_null(it[k]) then
          bad(p .. "." .. k, "per-line addresses are not supported: send one request per address "
            .. "(customer_address, ship_from)")
        end
      end
      if not util.is_null(it.product_id) then
        if util.is_string(it.product_id) then line.product_id = it.product_id; pids[it.product_id] = true
        elseif math.type(it.product_id) == "integer" then
          line.product_id = tostring(it.product_id); pids[line.product_id] = true
        else bad(p .. ".product_id", "must be a string") end
      end
      lines[#lines + 1] = line
    end
  end

  if #errs > 0 then return nil, api_error(400, "validation_errors", join(errs)) end
  if ship_to.country == nil then
    return nil, api_error(400, "customer_tax_location_invalid", "customer_address.country is required")
  end
  for _, a in ipairs({ ship_to, ship_from or {} }) do
    if a.country then a.country = a.country:upper() end
    if a.state then a.state = a.state:upper() end
  end

  -- Known products use their tax code; an unknown product_id is taxed as general.
  local codes = db.product_codes(pids)
  for _, line in ipairs(lines) do
    line.tax_code = line.product_id and codes[line.product_id] or "general"
    line.product_id = nil
  end

  local request = { currency = currency, ship_to = ship_to, ship_from = ship_from, lines = json.array(lines) }
  if next(customer) ~= nil then request.customer = customer end
  return request, ids, with_reason
end

local function location_error(err)
  if err.code == "address_unresolved" then return true end
  if type(err.details) == "table" then
    for _, d in ipairs(err.details) do
      if type(d) == "table" and tostring(d.field or ""):match("^ship_to") then return true end
    end
  end
  return false
end

local KEY_PREFIX = "lsk_"

-- True when key is the scoped Sphere key (compared as SHA-256, in constant time).
local function scoped_key_ok(key)
  if key:sub(1, #KEY_PREFIX) ~= KEY_PREFIX then return false end
  local row = db.sphere_key()
  if row == nil then return false end
  return crypto.equal(crypto.hex(crypto.sha256(key)), row.key_sha256)
end

local function key_public(row)
  if row == nil then return { configured = false, hint = json.null, created_at = json.null } end
  return { configured = true, hint = row.hint, created_at = row.created_at }
end

function M.get_key()
  return 200, key_public(db.sphere_key())
end

-- The audit rows (issue 20) of the key: its hint (the last 4 characters, which GET shows),
-- never the key. Written in the transaction of the change.
local function audit_key(req, action, before, after)
  audit.record(req, { action = action, object_kind = "sphere_api_key", label = "Sphere API key",
                      changes = { api_key = { before = before and audit.replaced(before.hint:sub(-4)) or json.null,
                                              after = after or json.null } } })
end

function M.create_key(now_iso, req)
  local key = KEY_PREFIX .. crypto.b64encode(crypto.random(32), true, true)
  local row = { key_sha256 = crypto.hex(crypto.sha256(key)), hint = "\u{2026}" .. key:sub(-4),
                created_at = now_iso }
  store.transaction(function()
    local old = db.sphere_key()
    db.set_sphere_key(row.key_sha256, row.hint, row.created_at)
    audit_key(req, old and "sphere_api_key.replaced" or "sphere_api_key.created", old,
              audit.replaced(key:sub(-4)))
  end)
  local out = key_public(row)
  out.configured = nil
  out.api_key = key
  return 201, out
end

function M.delete_key(req)
  store.transaction(function()
    local old = db.sphere_key()
    db.delete_sphere_key()
    if old then audit_key(req, "sphere_api_key.deleted", old, nil) end
  end)
  return 204
end

function M.handle(req)
  local key = req.headers and req.headers["x-api-key"]
  if type(key) ~= "string" or key == "" or not (scoped_key_ok(key) or req.key_role) then
    return api_error(401, "unauthorized_access", "a valid X-API-KEY header is required")
  end
  if req.key_role == "read_only" then
    return api_error(403, "read_only", "this token is read-only: it may look (GET), not calculate here")
  end
  local body, msg = json.decode(req.body or "")
  if body == nil then
    return api_error(400, "validation_errors", "body is not valid JSON: " .. tostring(msg))
  end
  if not util.is_object(body) then
    return api_error(400, "validation_errors", "body must be a JSON object")
  end
  local request, ids_or_status, ebody_or_reason = map_request(body)
  if request == nil then return ids_or_status, ebody_or_reason end
  local ids, with_reason = ids_or_status, ebody_or_reason

  local result, err = calc.run(request)
  if result == nil then
    local details = {}
    for _, d in ipairs(type(err.details) == "table" and err.details or {}) do
      details[#details + 1] = { field = sphere_field(d.field), message = tostring(d.message or "") }
    end
    local text = #details > 0 and join(details) or tostring(err.message)
    if location_error(err) then
      return api_error(400, "customer_tax_location_invalid", text)
    end
    return api_error(400, "validation_errors", text)
  end

  local cur = result.currency or request.currency
  local out_lines = {}
  for i, line in ipairs(result.lines or {}) do
    local amounts = {}
    local inclusive = request.lines[i] and request.lines[i].tax_inclusive == true or false
    local reason = line.taxability_reason
    -- a Canadian line's reverse charge is per tax (issue 19): the GST/HST not collected under
    -- the simplified regime, or the QST under the specified system, while the other tax is
    -- charged; the taxes charged are listed, each with its own reason
    local rc = reason == "reverse_charge"
    for _, t in ipairs((NO_TAX_DUE[reason] and not rc) and {} or line.taxes or {}) do
      local amt = assert(money.parse(t.amount, cur))
      if rc and amt == 0 then goto next_tax end
      amounts[#amounts + 1] = {
        amount = amt,
        taxable_amount = assert(money.parse(t.taxable_amount or line.taxable_amount, cur)),
        tax_rate = {
          percentage = json.number(t.percentage),
          inclusive = inclusive,
          display_name = display_name(t),
          jurisdiction = util.orjnull(t.jurisdiction),
          country = request.ship_to.country,
          state = util.orjnull(request.ship_to.state),
          tax_type = string.lower(tostring(t.type or "")),
          taxability_reason = with_reason and (rc and "standard_rated" or reason) or nil,
        },
      }
      ::next_tax::
    end
    out_lines[#out_lines + 1] = { id = ids[i] or line.id, tax_amounts = util.array(amounts),
                                  taxability_reason = with_reason and reason or nil }
  end
  return 200, {
    message = "Tax calculated successfully",
    data = { lines = util.array(out_lines), sphere_tax_calculation_id = result.calculation_id },
  }
end

return M
