-- Validation of PUT bodies. Each function collects every problem and raises one 422
-- validation_failed with `details` ({field, message} per problem), or returns the
-- normalised changes (json.null = clear the field).
local json = require "levy.json"
local util = require "levy.util"
local ltime = require "levy.time"

local M = {}

local MAX_TEXT = 200

local function text_or_null(errs, field, v, max)
  if v == json.null then return json.null end
  if not util.is_string(v) then errs:add(field, "must be a string or null"); return nil end
  v = util.trim(v)
  if v == "" then return json.null end
  if #v > (max or MAX_TEXT) then errs:add(field, "must be at most " .. (max or MAX_TEXT) .. " characters"); return nil end
  return v
end

local function date_or_null(errs, field, v)
  if v == json.null then return json.null end
  if not ltime.valid_date(v) then errs:add(field, "must be a date YYYY-MM-DD or null"); return nil end
  return v
end

local function boolean(errs, field, v)
  if type(v) ~= "boolean" then errs:add(field, "must be true or false"); return nil end
  return v
end

---------------------------------------------------------------- address

local ADDRESS_FIELDS = { line1 = true, line2 = true, city = true, state = true, zip_code = true, country = true }

-- Rillet's Address (line1, line2, city, state, zip_code, country). Returns the normalised
-- address (no null fields; country and state upper-case) or nil.
function M.address(errs, prefix, v)
  if not util.is_object(v) then errs:add(prefix, "must be an address object"); return nil end
  local before = #errs.list
  util.check_unknown(errs, v, ADDRESS_FIELDS, prefix .. ".")
  local out = {}
  for k in pairs(ADDRESS_FIELDS) do
    local x = v[k]
    if x ~= nil and x ~= json.null then
      if not util.is_string(x) then errs:add(prefix .. "." .. k, "must be a string")
      elseif #x > MAX_TEXT then errs:add(prefix .. "." .. k, "must be at most " .. MAX_TEXT .. " characters")
      elseif x ~= "" then out[k] = x end
    end
  end
  if out.country == nil then
    if v.country == nil or v.country == json.null or v.country == "" then
      errs:add(prefix .. ".country", "required: a two-letter ISO 3166 country code")
    end
  elseif not out.country:match("^%a%a$") then
    errs:add(prefix .. ".country", "must be a two-letter ISO 3166 country code")
  else
    out.country = out.country:upper()
    if (out.country == "US" or out.country == "CA") then
      if out.state == nil then
        errs:add(prefix .. ".state", "required for " .. out.country .. " addresses (two-letter code)")
      elseif not out.state:match("^%a%a$") then
        errs:add(prefix .. ".state", "must be a two-letter state or province code")
      end
    end
    if out.country == "US" and out.zip_code ~= nil
       and not (out.zip_code:match("^%d%d%d%d%d$") or out.zip_code:match("^%d%d%d%d%d%-%d%d%d%d$")) then
      errs:add(prefix .. ".zip_code", "must be a ZIP code (12345 or 12345-6789)")
    end
  end
  if out.state ~= nil then out.state = out.state:upper() end
  if #errs.list > before then return nil end
  return out
end

---------------------------------------------------------------- regions

local REGION_FIELDS = { subscribed = true, tax_calculation = true, registration_number = true,
                        effective_from = true }
local REGION_READONLY = { code = true, name = true, country = true, tax_type = true }

-- current: the public region (read-only fields may be echoed back unchanged).
function M.region(body, current)
  local errs = util.errors()
  local changes = {}
  local names = {}
  for k in pairs(body) do names[#names + 1] = tostring(k) end
  table.sort(names)
  for _, k in ipairs(names) do
    local v = body[k]
    if REGION_READONLY[k] then
      if v ~= current[k] then errs:add(k, "is read-only") end
    elseif not REGION_FIELDS[k] then
      errs:add(k, "unknown field")
    elseif k == "subscribed" or k == "tax_calculation" then
      changes[k] = boolean(errs, k, v)
    elseif k == "registration_number" then
      changes[k] = text_or_null(errs, k, v, 100)
    elseif k == "effective_from" then
      changes[k] = date_or_null(errs, k, v)
    end
  end
  errs:raise()
  return changes
end

---------------------------------------------------------------- settings

local SETTINGS_FIELDS = { seller_address = true, rounding = true, default_customer_type = true,
                          sweep_interval_minutes = true,
                          sweep_overlap_seconds = true, reconcile_interval_minutes = true,
                          webhook_silent_minutes = true, customer_data = true, tax_id_online = true,
                          ca_gst_regime = true, qc_qst_regime = true, certificate_max_bytes = true,
                          eu_below_threshold = true, pickup_offered = true,
                          us_al_ssut = true, us_tx_single_local = true }
-- the settable keys a connection may set for itself (customer_data is organisation-wide:
-- customers are not per subsidiary in Rillet; ca_gst_regime too: it only matters for a seller
-- not established in Canada, and a connection whose seller address is in Canada charges
-- GST/HST whatever it says)
M.SETTINGS_FIELDS = { seller_address = true, rounding = true, default_customer_type = true,
                      sweep_interval_minutes = true,
                      sweep_overlap_seconds = true, reconcile_interval_minutes = true,
                      webhook_silent_minutes = true,
                      -- a subsidiary is its own supplier: its own EU threshold (issue 19)
                      eu_below_threshold = true,
                      -- each subsidiary ships from its own place: its own pick-up (issue 19)
                      pickup_offered = true,
                      -- each subsidiary is its own seller: its own registrations (law24)
                      us_al_ssut = true, us_tx_single_local = true }

-- customer_data (issue 17): where the Rillet data keeps tax ids and exemptions, added to
-- mapping.lua's lists without writing Lua. Each list: at most 50 names of 1..100 characters.
local CUSTOMER_DATA_LISTS = { tax_id_reference_types = true, tax_id_fields = true, exempt_fields = true,
                              exempt_values = true, customer_type_fields = true, business_values = true,
                              individual_values = true, qst_number_reference_types = true,
                              qst_number_fields = true }

local function customer_data(errs, v)
  if v == json.null then return json.null end
  if not util.is_object(v) then errs:add("customer_data", "must be an object or null"); return nil end
  local out = {}
  for k, list in pairs(v) do
    local f = "customer_data." .. tostring(k)
    if not CUSTOMER_DATA_LISTS[k] then
      errs:add(f, "unknown field (tax_id_reference_types, tax_id_fields, exempt_fields, exempt_values, " ..
        "customer_type_fields, business_values, individual_values, qst_number_reference_types, qst_number_fields)")
    elseif not util.is_array(list) or #list > 50 then
      errs:add(f, "must be an array of at most 50 names")
    else
      local names = {}
      for i, n in ipairs(list) do
        if not util.is_string(n) or not n:match("%w") or #n > 100 then
          errs:add(f .. "[" .. (i - 1) .. "]", "must be a name of 1 to 100 characters with a letter or digit")
        else names[#names + 1] = n end
      end
      out[k] = util.array(names)
    end
  end
  return out
end

-- body[field], when present, must be an integer from lo to hi (into changes, else an error on
-- (prefix or "") .. field).
local function int_setting(errs, changes, body, field, lo, hi, note, prefix)
  local v = body[field]
  if v == nil then return end
  if math.type(v) ~= "integer" or v < lo or v > hi then
    errs:add((prefix or "") .. field, "must be an integer from " .. lo .. " to " .. hi .. (note or ""))
  else
    changes[field] = v
  end
end

-- body[field], when present, must be one of two words (into changes, else an error naming
-- both); `nullable`: null is taken too (json.null: back to the default).
local function word_setting(errs, changes, body, field, a, b, nullable)
  local v = body[field]
  if v == nil then return end
  if nullable and v == json.null then changes[field] = json.null
  elseif v ~= a and v ~= b then errs:add(field, 'must be "' .. a .. '" or "' .. b .. '"')
  else changes[field] = v end
end

-- tax_id_online (issue 19): optional online check of tax ids against VIES, off by default.
-- null resets to the defaults (db.TAX_ID_ONLINE_DEFAULTS).
local TAX_ID_ONLINE_FIELDS = { enabled = true, vies_url = true, timeout_seconds = true, max_age_days = true }
local function tax_id_online(errs, v)
  if v == json.null then return json.null end
  if not util.is_object(v) then errs:add("tax_id_online", "must be an object or null"); return nil end
  util.check_unknown(errs, v, TAX_ID_ONLINE_FIELDS, "tax_id_online.")
  local out = {}
  if v.enabled ~= nil then
    if type(v.enabled) ~= "boolean" then errs:add("tax_id_online.enabled", "must be true or false")
    else out.enabled = v.enabled end
  end
  if v.vies_url ~= nil then
    local u = v.vies_url
    if type(u) ~= "string" or #u > 300 or not (u:match("^https://[%w%.%-]+[:/%w%.%-_]*$")
                                              or u:match("^http://127%.0%.0%.1[:/%w%.%-_]*$")
                                              or u:match("^http://localhost[:/%w%.%-_]*$")) then
      errs:add("tax_id_online.vies_url", "must be an https URL (http only for 127.0.0.1 or localhost), at most 300 bytes")
    else out.vies_url = (u:gsub("/+$", "")) end
  end
  int_setting(errs, out, v, "timeout_seconds", 1, 60, nil, "tax_id_online.")
  int_setting(errs, out, v, "max_age_days", 1, 366, nil, "tax_id_online.")
  return out
end

function M.settings(body)
  local errs = util.errors()
  util.check_unknown(errs, body, SETTINGS_FIELDS)
  local changes = {}
  if body.seller_address ~= nil then
    -- null or an address with no non-empty field clears the seller address.
    local sa, blank = body.seller_address, true
    if util.is_object(sa) then
      for _, x in pairs(sa) do if not (x == json.null or x == "") then blank = false end end
    end
    if sa == json.null or (util.is_object(sa) and blank) then changes.seller_address = json.null
    else changes.seller_address = M.address(errs, "seller_address", body.seller_address) end
  end
  word_setting(errs, changes, body, "rounding", "line", "document")
  -- the customer type of a customer that says none (issue 19; docs/rules.md "Customer type")
  word_setting(errs, changes, body, "default_customer_type", "business", "individual")
  int_setting(errs, changes, body, "sweep_interval_minutes", 1, 1440)
  int_setting(errs, changes, body, "sweep_overlap_seconds", 0, 86400)
  if body.customer_data ~= nil then changes.customer_data = customer_data(errs, body.customer_data) end
  if body.tax_id_online ~= nil then changes.tax_id_online = tax_id_online(errs, body.tax_id_online) end
  -- ca_gst_regime (issue 19): how the seller is registered for Canadian GST/HST; "simplified"
  -- (ETA s. 211.1 ff., non-residents: a customer giving its GST/HST number is not charged) or
  -- "normal" (every customer charged; the default). docs/rules.md section 2.
  word_setting(errs, changes, body, "ca_gst_regime", "simplified", "normal", true)
  -- qc_qst_regime (issue 19): how the seller is registered for Quebec's QST; "specified" (the
  -- specified registration system for suppliers outside Quebec: a customer giving its QST
  -- number is not charged) or "regular" (every customer charged; the default).
  word_setting(errs, changes, body, "qc_qst_regime", "specified", "regular", true)
  -- eu_below_threshold (issue 19): the seller, established in one EU member state, stays under
  -- the EUR 10,000 of cross-border B2C supplies of Directive 2006/112/EC art. 59c (art. 58(2)
  -- from 2019-01-01): "yes" charges its own member state's VAT on e-services (and goods) to
  -- consumers elsewhere in the EU; "no" (the default; also a seller that opted under art.
  -- 59c(3)) the customer's. docs/rules.md section 2, "Place of supply".
  word_setting(errs, changes, body, "eu_below_threshold", "yes", "no", true)
  -- pickup_offered (issue 19): "yes" when customers can collect the goods instead of paying for
  -- delivery, so a separately stated delivery charge is one the buyer can avoid (exempt in IL, FL:
  -- 86 Ill. Adm. Code 130.415, Rule 12A-1.045(3)); "no" (the default: most online sellers only
  -- ship) makes delivery mandatory and part of the taxable price there. docs/rules.md "Shipping".
  word_setting(errs, changes, body, "pickup_offered", "yes", "no", true)
  -- us_al_ssut, us_tx_single_local (issue 19, law24): a remote seller's election of a state's
  -- simplified collection; "yes" when the seller is in Alabama's Simplified Sellers Use Tax
  -- program (a flat 8 % in place of state and local tax, Ala. Code 40-23-191 ff.) or elected
  -- Texas's single local use tax rate (in place of the destination's local taxes, Tex. Tax
  -- Code 151.0595); "no" (the default) charges the destination's rates. docs/rules.md
  -- section 2, "Remote sellers' flat-rate options".
  word_setting(errs, changes, body, "us_al_ssut", "yes", "no", true)
  word_setting(errs, changes, body, "us_tx_single_local", "yes", "no", true)
  int_setting(errs, changes, body, "webhook_silent_minutes", 1, 1440)
  -- issue 20: the largest exemption certificate file accepted (1 KiB .. 64 MiB, the host's cap)
  int_setting(errs, changes, body, "certificate_max_bytes", 1024, 67108864, " (64 MiB)")
  int_setting(errs, changes, body, "reconcile_interval_minutes", 1, 44640, " (31 days)")
  errs:raise()
  return changes
end

-- The settings a connection cannot override (PUT /v1/connections/{id}/settings): each applies
-- to every connection, set with PUT /v1/settings; the first one body names is refused (422),
-- with why where there is more to say.
local GLOBAL_ONLY = {
  { "tax_id_online", "" },
  { "ca_gst_regime", " (only a seller not established in Canada can use the simplified regime)" },
  { "qc_qst_regime", "" },
  { "customer_data", " (Rillet's customers are organisation-wide)" },
}
function M.refuse_global_only(body)
  for _, g in ipairs(GLOBAL_ONLY) do
    local field, why = g[1], g[2]
    if body[field] ~= nil then
      util.fail(422, "validation_failed", field .. ": applies to every connection" .. why .. "; set it with PUT /v1/settings",
        json.array({ { field = field, message = "applies to every connection; set it with PUT /v1/settings" } }))
    end
  end
end

---------------------------------------------------------------- products

-- Returns the new tax code.
function M.product(body, known_codes)
  local errs = util.errors()
  util.check_unknown(errs, body, { tax_code = true })
  local code = body.tax_code
  if code == nil or code == json.null then
    errs:add("tax_code", "required")
  elseif not util.is_string(code) then
    errs:add("tax_code", "must be a string")
  elseif not known_codes[code] then
    errs:add("tax_code", "unknown tax code " .. code .. " (see GET /v1/tax-codes)")
  end
  errs:raise()
  return code
end

---------------------------------------------------------------- customers

local CUSTOMER_FIELDS = { exempt = true, exempt_regions = true, exemption_certificate = true,
                          exemption_expires = true, tax_id = true, customer_type = true, qst_number = true }

-- A Quebec QST registration number of the regular system (issue 19; docs/rules.md section 2):
-- 10 digits, "TQ", 4 digits (1234567890TQ0001), spaces and case ignored, as the engine reads
-- it (core/tax/calc.c levy_tax_qst_number_valid). Returns the normalised number, or nil and
-- why not. An "NR" number (NR00012345) is a registration under the specified system itself,
-- which does not make the customer a QST registrant of the regular system.
function M.qst_number(s)
  if not util.is_string(s) then return nil, "must be a string or null" end
  local n = s:gsub("%s", ""):upper()
  if n:match("^%d%d%d%d%d%d%d%d%d%dTQ%d%d%d%d$") then return n end
  if n:find("NR", 1, true) then
    return nil, "is an NR number of the QST specified registration system, not a QST registration " ..
      "of the regular system (10 digits, TQ, 4 digits: 1234567890TQ0001); a specified-system " ..
      "registrant is charged QST"
  end
  return nil, "must be a QST registration number: 10 digits, TQ, 4 digits (1234567890TQ0001)"
end

function M.customer(body, known_regions)
  local errs = util.errors()
  util.check_unknown(errs, body, CUSTOMER_FIELDS)
  local changes = {}
  if body.exempt == json.null then changes.exempt = json.null -- back to the Rillet data's value
  elseif body.exempt ~= nil then changes.exempt = boolean(errs, "exempt", body.exempt) end
  local er = body.exempt_regions
  if er ~= nil then
    if er == json.null then
      changes.exempt_regions = {}
    elseif not util.is_array(er) then
      errs:add("exempt_regions", "must be an array of region codes")
    else
      local list, seen = {}, {}
      for i, c in ipairs(er) do
        local f = "exempt_regions[" .. (i - 1) .. "]"
        if not util.is_string(c) then errs:add(f, "must be a region code")
        elseif not known_regions[c:upper()] then errs:add(f, "unknown region " .. c)
        elseif not seen[c:upper()] then seen[c:upper()] = true; list[#list + 1] = c:upper() end
      end
      changes.exempt_regions = list
    end
  end
  if body.exemption_certificate ~= nil then
    changes.exemption_certificate = text_or_null(errs, "exemption_certificate", body.exemption_certificate)
  end
  if body.exemption_expires ~= nil then
    changes.exemption_expires = date_or_null(errs, "exemption_expires", body.exemption_expires)
  end
  if body.customer_type ~= nil then -- null: back to the Rillet data's value (none: the default)
    local t = body.customer_type
    if t == json.null or t == "business" or t == "individual" then changes.customer_type = t
    else errs:add("customer_type", 'must be "business", "individual" or null') end
  end
  if body.qst_number ~= nil then -- null: back to the Rillet data's value; "": none
    local q = body.qst_number
    if q == json.null then changes.qst_number = json.null
    elseif util.is_string(q) and util.trim(q) == "" then changes.qst_number = ""
    else
      local n, why = M.qst_number(q)
      if n then changes.qst_number = n else errs:add("qst_number", why) end
    end
  end
  if body.tax_id ~= nil then
    local t = body.tax_id
    if t == json.null then changes.tax_id = json.null
    elseif not util.is_string(t) then errs:add("tax_id", "must be a string or null")
    else
      t = util.trim(t)
      if t == "" then changes.tax_id = "" -- no tax id, whatever the Rillet data says (null: back to it)
      elseif #t > 64 or not t:match("^[%w%-%.%s/]+$") then errs:add("tax_id", "must be at most 64 letters, digits, spaces, '-', '.', '/'")
      else changes.tax_id = t end
    end
  end
  errs:raise()
  return changes
end

return M
