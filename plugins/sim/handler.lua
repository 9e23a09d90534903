-- levy sim: a Rillet API v4 simulator (see plugins/sim/README.md).
local json = require "levy.json"
local lutil = require "levy.util"
local store = require "levy.store"
local crypto = require "levy.crypto"
local time = require "levy.time"
local money = require "levy.money"
local jobs = require "levy.jobs"
local config = require "levy.config"
local P = require "problem"
local state = require "state"
local db = require "db"
local docs = require "docs"
local hooks = require "hooks"
local seed = require "seed"
local ui = require "ui"
local books = require "books"

local function base_url()
  if config.public_url and config.public_url ~= "" then return (config.public_url:gsub("/$", "")) end
  return "http://" .. tostring(config.listen or "127.0.0.1:8080")
end

local function ok(status, body)
  if type(body) == "table" then
    -- invoices as the `line_amounts` setting shows them (docs.render_invoice)
    if body.invoice_number ~= nil then body = docs.render_invoice(body)
    elseif type(body.invoices) == "table" then
      local c = {}
      for k, v in pairs(body) do c[k] = v end
      c.invoices = json.array({})
      for i, inv in ipairs(body.invoices) do c.invoices[i] = docs.render_invoice(inv) end
      body = c
    end
    body = json.canonical(body)
  end
  return status, body, { ["Content-Type"] = "application/json" }
end

---------------------------------------------------------------------------------------------
-- Request pipeline: auth -> version -> faults -> rate limit -> latency -> idempotency -> handler

local windows = {}   -- rate-limit windows per key hash (ephemeral; per generation)
-- Every authenticated API request per key hash, for GET /_sim/requests (tests: "two
-- connections on one key stay under the limit together"). Ephemeral; the last
-- REQUEST_LOG_MAX request times per key are kept.
local request_log = {}
local REQUEST_LOG_MAX = 20000

local function log_entry(kh, hint)
  local e = request_log[kh]
  if not e then
    e = { times = {}, total = 0, limited = 0, unversioned = 0, by_path = {}, hint = hint }
    request_log[kh] = e
  end
  return e
end

-- "GET /invoices/{id}/taxes": a request's method and path with every uuid as {id}, so that
-- GET /_sim/requests can count one kind of request (e.g. GET /books/periods/last-closed)
local function path_class(req)
  local p = type(req.path) == "string" and req.path or "?"
  p = p:gsub("%x%x%x%x%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%-%x%x%x%x%x%x%x%x%x%x%x%x", "{id}")
  return tostring(req.method) .. " " .. p
end

local function log_request(kh, now, hint, req)
  local e = log_entry(kh, hint)
  e.total = e.total + 1
  e.times[#e.times + 1] = now
  if #e.times > REQUEST_LOG_MAX then table.remove(e.times, 1) end
  local pc = path_class(req)
  e.by_path[pc] = (e.by_path[pc] or 0) + 1
  return e
end

local function authenticate(req)
  local h = req.headers["authorization"]
  local tok = type(h) == "string" and h:match("^[Bb]earer%s+(%S+)%s*$")
  if not tok then P.raise(401, "Missing or malformed 'Authorization: Bearer <API key>' header.") end
  local kh = crypto.hex(crypto.sha256(tok))
  local k = store.row("SELECT key_hash, name, hint, read_only, created_at FROM sim_api_keys WHERE key_hash = ?", kh)
  if not k then P.raise(401, "The API key is invalid or has been revoked.") end
  return k
end

local function check_version(req, cfg, key)
  local v = req.headers["x-rillet-api-version"]
  if v == nil then
    -- counted whatever the setting (GET /_sim/requests `unversioned`): Rillet's docs say such
    -- a request is served as v1 (rillet-api.md section 1), whose schemas this simulator lacks
    local e = log_entry(key.key_hash, key.hint)
    e.unversioned = e.unversioned + 1
    if cfg.require_version then
      P.raise(400, "Missing X-Rillet-API-Version header; this simulator implements version 4.")
    end
  elseif v ~= "4" then
    P.raise(400, "Unsupported X-Rillet-API-Version '" .. tostring(v) .. "'; this simulator implements version 4 only.")
  end
end

local function rate_limit(cfg, kh, hint, req)
  local now = state.now()
  local e = log_request(kh, now, hint, req)
  if not cfg.rate_limit then return end
  local cutoff = now - cfg.rate_limit_window_ms
  local w = {}
  for _, t in ipairs(windows[kh] or {}) do if t > cutoff then w[#w + 1] = t end end
  windows[kh] = w
  if #w >= cfg.rate_limit_max then
    local retry = (w[1] + cfg.rate_limit_window_ms - now + 999) // 1000
    if retry < 1 then retry = 1 end
    e.limited = e.limited + 1
    -- retry_after_header = false: no Retry-After (Rillet's docs do not say it sends one)
    P.raise(429, ("Rate limit of %d requests per %d s exceeded."):format(cfg.rate_limit_max,
            cfg.rate_limit_window_ms // 1000), nil,
            cfg.retry_after_header and { ["Retry-After"] = tostring(retry) } or nil)
  end
  w[#w + 1] = now
end

-- Requests parked in the latency fault right now, and the most at once since the faults were
-- last set (GET /_sim/faults: latency_parked, latency_parked_max): shows that a delay parks
-- its handler on a timer while the loop serves others, without timing the requests.
local parked, parked_max = 0, 0

local function sleep_ms(ms)
  local t = time.sleep or time.sleep_ms
  if type(t) == "function" then t(ms); return true end
  return false
end

local function apply_faults(req)
  local f = state.faults()
  local fail = f.fail
  -- `path`: only requests whose path contains it fail (e.g. "/taxes": the write-backs, not the
  -- reads levy makes before them)
  local hit = type(fail) == "table" and (fail.path == nil or
    (type(req.path) == "string" and req.path:find(fail.path, 1, true) ~= nil))
  if hit and (fail.remaining or 0) > 0 then
    fail.remaining = fail.remaining - 1
    state.set_faults(f)
    local h
    if fail.retry_after then h = { ["Retry-After"] = tostring(fail.retry_after) } end
    P.raise(fail.status, "Injected fault (simulator).", nil, h)
  end
  -- `latency_path`: only requests whose path contains it are slowed (e.g. "/taxes": a
  -- write-back in flight while the reads around it are quick)
  if (f.latency_ms or 0) > 0 and (f.latency_path == nil or
      (type(req.path) == "string" and req.path:find(f.latency_path, 1, true) ~= nil)) then
    parked = parked + 1
    if parked > parked_max then parked_max = parked end
    local okp, slept = pcall(sleep_ms, f.latency_ms)
    parked = parked - 1
    if not okp then error(slept, 0) end
    if not slept then return { ["X-Sim-Latency"] = "unsupported-by-host" } end
  end
  return nil
end

local function parse_body(req)
  if req.body == nil or req.body == "" then P.raise(400, "A JSON request body is required.") end
  local b = json.decode(req.body)
  if b == nil then P.raise(400, "Malformed JSON in request body.") end
  if not lutil.is_object(b) then P.raise(400, "The request body must be a JSON object.") end
  return b
end

local not_found
local api
api = function(fn, opts)
  opts = opts or {}
  return function(req)
    local ctx = {}
    local okc, s, b, h = pcall(function()
      local key = authenticate(req)
      local cfg = state.config()
      check_version(req, cfg, key)
      ctx.extra_h = apply_faults(req)
      rate_limit(cfg, key.key_hash, key.hint, req)
      if opts.write and key.read_only == 1 then
        -- read_only_check = "after_lookup": a write to a document that does not exist is
        -- answered 404 before the permission is checked
        if cfg.read_only_check == "after_lookup" and req.params and req.params.id
          and not store.row("SELECT 1 AS x FROM sim_entities WHERE id = ?", req.params.id) then
          not_found("Entity", req.params.id)
        end
        P.raise(403, "User does not have rights to perform this operation (read-only API key).")
      end
      if req.method == "POST" then
        local ik = req.headers["idempotency-key"]
        if ik and ik ~= "" then
          local scope = key.key_hash .. ":" .. ik
          local rh = crypto.hex(crypto.sha256(req.method .. "\n" .. req.path .. "\n" .. req.body))
          local row = store.row("SELECT * FROM sim_idempotency WHERE scope = ?", scope)
          if row and state.now() - row.created_ms < cfg.idempotency_ttl_ms then
            if row.request_hash ~= rh then
              P.raise(422, "Idempotency-Key '" .. ik .. "' was already used with a different request.",
                      nil, nil, "idempotency-key-reused")
            end
            local ct = row.status >= 400 and "application/problem+json" or "application/json"
            local headers = { ["Content-Type"] = ct }
            if cfg.idempotency_replay_header then headers["Idempotent-Replayed"] = "true" end
            return row.status, row.body, headers
          end
          ctx.idem = { scope = scope, rh = rh }
        end
      end
      return fn(req, key)
    end)
    if not okc then
      if not P.is(s) then error(s, 0) end
      s, b, h = P.render(s)
    end
    if ctx.idem and s < 500 then
      store.exec("INSERT INTO sim_idempotency(scope, request_hash, status, body, created_ms) VALUES (?,?,?,?,?) "
                 .. "ON CONFLICT(scope) DO UPDATE SET request_hash = excluded.request_hash, "
                 .. "status = excluded.status, body = excluded.body, created_ms = excluded.created_ms",
                 ctx.idem.scope, ctx.idem.rh, s, type(b) == "string" and b or json.canonical(b or {}), state.now())
    end
    h = h or {}
    h["X-Rillet-API-Version"] = "4"
    for k, v in pairs(ctx.extra_h or {}) do h[k] = v end
    return s, b, h
  end
end

---------------------------------------------------------------------------------------------
-- Helpers

not_found = function(what, id)
  P.raise(404, ("%s '%s' not found."):format(what, tostring(id)))
end

local function list_args(req)
  local q = req.query or {}
  local limit = 25
  if q.limit ~= nil then
    local n = q.limit:match("^%d+$") and math.tointeger(tonumber(q.limit))
    if not n or n < 1 or n > 100 then
      P.raise(400, "limit: must be an integer between 1 and 100.", { { field = "limit", message = "must be between 1 and 100" } })
    end
    limit = n
  end
  local gt
  if q["updated.gt"] ~= nil then
    gt = time.parse_iso(q["updated.gt"])
    if not gt then
      P.raise(400, "updated.gt: must be an ISO 8601 date-time.", { { field = "updated.gt", message = "must be an ISO 8601 date-time" } })
    end
  end
  return limit, q.cursor, gt
end

local function first_subsidiary()
  local r = store.row("SELECT id FROM sim_entities WHERE kind = 'subsidiary' ORDER BY seq LIMIT 1")
  return r and r.id
end

local function add_days(date, n)
  local ms = time.parse_iso(date .. "T00:00:00Z")
  return time.date(ms + n * 86400000)
end

-- Optional invoice address fields (a simulator extension used by its UI editor).
local function take_addresses(errs, b, into, keys)
  for _, k in ipairs(keys) do
    if b[k] ~= nil then
      if b[k] == json.null then into[k] = nil
      else into[k] = docs.check_address(errs, k, b[k]) end
    end
  end
end

---------------------------------------------------------------------------------------------
-- Organisation, subsidiaries, key

local function get_api_key(req, key) -- luacheck: no unused args (a route handler)
  local org = store.row("SELECT id FROM sim_entities WHERE kind = 'organization' LIMIT 1")
  local out = { name = key.name, read_only = key.read_only == 1, key_hint = "…" .. key.hint,
                organization_id = org and org.id or json.null, created_at = key.created_at }
  if not state.config().api_key_reports_read_only then out.read_only = nil end
  return ok(200, out)
end

local function get_org()
  local r = store.row("SELECT body FROM sim_entities WHERE kind = 'organization' ORDER BY seq LIMIT 1")
  if not r then P.raise(404, "Organization not found.") end
  return ok(200, r.body)
end

local function get_one(kind, what)
  return function(req)
    local r = db.row(kind, req.params.id)
    if not r then not_found(what, req.params.id) end
    if kind == "invoice" then return ok(200, docs.render_invoice_body(r.body)) end
    return ok(200, r.body)
  end
end

---------------------------------------------------------------------------------------------
-- Customers

local function sort_arg(req)
  local sb = (req.query or {}).sort_by
  if sb == nil or sb == "created" then return "seq" end
  if sb == "updated" then return "updated_ms" end
  P.raise(400, "sort_by: must be 'created' or 'updated'.", { { field = "sort_by", message = "must be created or updated" } })
end

local function list_customers(req)
  local limit, cursor, gt = list_args(req)
  return ok(200, db.list("customer", "customers", {}, gt, limit, cursor, "optional", sort_arg(req)))
end

-- POST /customers (old nil) and PUT /customers/{id} (old: the stored customer): one body check,
-- one write and its webhook (CREATED or UPDATED).
local function save_customer(req, old)
  local b = parse_body(req)
  local errs = P.errors()
  local c = docs.customer_from(b, errs, old and old.id or docs.uuid())
  errs.raise()
  store.transaction(function()
    if old then db.update("customer", c) else db.insert("customer", c) end
    hooks.emit_doc("CUSTOMER", old and "UPDATED" or "CREATED", c)
  end)
  return ok(200, c)
end

local function create_customer(req) return save_customer(req, nil) end

local function update_customer(req)
  local old = db.row("customer", req.params.id)
  if not old then not_found("Customer", req.params.id) end
  return save_customer(req, old)
end

local function delete_customer(req)
  local id = req.params.id
  if not db.row("customer", id) then not_found("Customer", id) end
  local used = store.row("SELECT 1 AS x FROM sim_entities WHERE kind IN ('invoice','credit_memo') AND customer_id = ? LIMIT 1", id)
  if used then P.raise(409, "Customer has invoices or credit memos and cannot be deleted.") end
  store.transaction(function()
    db.delete("customer", id)
    hooks.emit("CUSTOMER", "DELETED", id, json.encode(id))
  end)
  return 204, ""
end

---------------------------------------------------------------------------------------------
-- Custom fields (GET/POST /fields, POST /fields/{id}/values): a field has a name and pick-list
-- values; customers carry {field_id, field_value_id} assignments (docs.customer_from checks
-- them against these). GET /fields has no pagination (FieldsResponse = {fields}).

local function fields_api()
  if not state.config().fields_api then P.raise(404, "No static resource fields.") end
end

local function list_fields(req)
  fields_api()
  local _, _, gt = list_args(req)
  local out = {}
  local rows = gt and store.rows("SELECT body FROM sim_entities WHERE kind = 'field' AND updated_ms > ? ORDER BY seq", gt)
    or store.rows("SELECT body FROM sim_entities WHERE kind = 'field' ORDER BY seq")
  for _, r in ipairs(rows) do out[#out + 1] = json.decode(r.body) end
  return ok(200, { fields = json.array(out) })
end

local function value_names(errs, field, list)
  local out = {}
  if list == nil or list == json.null then return out end
  if not lutil.is_json_array(list) then errs.add(field, "must be an array"); return out end
  for i, v in ipairs(list) do
    if not lutil.is_object(v) or type(v.name) ~= "string" or v.name == "" then
      errs.add(("%s[%d].name"):format(field, i - 1), "is required")
    else out[#out + 1] = v.name end
  end
  return out
end

local function create_field(req)
  fields_api()
  local b = parse_body(req)
  local errs = P.errors()
  if type(b.name) ~= "string" or b.name == "" then errs.add("name", "is required") end
  if b.values == nil then errs.add("values", "is required") end
  local names = value_names(errs, "values", b.values)
  errs.raise()
  local f = { id = docs.uuid(), name = b.name, values = {},
              settings = { REVENUE = { mandatory = false, display = "STANDALONE" } } }
  for _, n in ipairs(names) do f.values[#f.values + 1] = { id = docs.uuid(), name = n, deactivated = false } end
  f.values = json.array(f.values)
  store.transaction(function() db.insert("field", f) end)
  return ok(200, f)
end

local function add_field_value(req)
  fields_api()
  local f = db.get("field", req.params.id)
  if not f then not_found("Field", req.params.id) end
  local b = parse_body(req)
  local errs = P.errors()
  if type(b.name) ~= "string" or b.name == "" then errs.add("name", "is required") end
  errs.raise()
  local vals = {}
  for _, v in ipairs(f.values or {}) do vals[#vals + 1] = v end
  vals[#vals + 1] = { id = docs.uuid(), name = b.name, deactivated = false }
  f.values = json.array(vals)
  store.transaction(function() db.update("field", f) end)
  return ok(200, f)
end

---------------------------------------------------------------------------------------------
-- Products

local function list_products(req)
  local limit, cursor = list_args(req)
  local q, f = req.query or {}, {}
  if q.status then f[#f + 1] = { "status", q.status } end
  if q.currency then f[#f + 1] = { "currency", q.currency } end
  return ok(200, db.list("product", "products", f, nil, limit, cursor, true))
end

local function product_cols(p)
  return { status = p.status, currency = p.price and p.price.amount and p.price.amount.currency or nil }
end

-- POST /products (id nil: a new one) and PUT /products/{id}: one body check and one write.
local function save_product(req, id)
  local b = parse_body(req)
  local errs = P.errors()
  local p = docs.product_from(b, errs, id or docs.uuid())
  errs.raise()
  if id then
    db.update("product", p, product_cols(p), nil, true)
  else
    db.insert("product", p, product_cols(p), nil, nil, true)
  end
  return ok(200, p)
end

local function create_product(req) return save_product(req, nil) end

local function update_product(req)
  if not db.row("product", req.params.id) then not_found("Product", req.params.id) end
  return save_product(req, req.params.id)
end

local function delete_product(req)
  if db.delete("product", req.params.id) == 0 then not_found("Product", req.params.id) end
  return 204, ""
end

---------------------------------------------------------------------------------------------
-- Invoices

local STATUSES = { UNPAID = true, PAID = true, PARTIALLY_PAID = true, UNBILLED = true, CREDITED = true,
                   PARTIALLY_CREDITED = true }

local function list_invoices(req)
  local limit, cursor, gt = list_args(req)
  local q, f = req.query or {}, {}
  if q.subsidiary_id then f[#f + 1] = { "subsidiary_id", q.subsidiary_id } end
  if q.customer_id then f[#f + 1] = { "customer_id", q.customer_id } end
  if q.status then
    if not STATUSES[q.status] then
      P.raise(400, "status: unknown invoice status '" .. q.status .. "'.", { { field = "status", message = "unknown invoice status" } })
    end
    f[#f + 1] = { "status", q.status }
  end
  return ok(200, db.list("invoice", "invoices", f, gt, limit, cursor, "optional", nil, docs.render_invoice_body))
end

local function invoice_fields(errs, b, inv, cur) -- luacheck: no unused args (the shared signature)
  if not lutil.is_object(b) then return end
  if type(b.invoice_date) ~= "string" or not time.valid_date(b.invoice_date) then
    errs.add("invoice_date", "is required (YYYY-MM-DD)")
  else inv.invoice_date = b.invoice_date end
  if b.due_date ~= nil and b.due_date ~= json.null then
    if type(b.due_date) ~= "string" or not time.valid_date(b.due_date) then errs.add("due_date", "must be a date (YYYY-MM-DD)")
    else inv.due_date = b.due_date end
  elseif inv.invoice_date then
    inv.due_date = add_days(inv.invoice_date, inv.payment_terms or 0)
  end
  for _, k in ipairs({ "memo", "purchase_order_number" }) do
    if b[k] == nil or b[k] == json.null then inv[k] = nil
    elseif type(b[k]) ~= "string" then errs.add(k, "must be a string")
    else inv[k] = b[k] end
  end
  if b.external_references ~= nil and b.external_references ~= json.null then
    if not lutil.is_json_array(b.external_references) and next(b.external_references) ~= nil then
      errs.add("external_references", "must be an array")
    else inv.external_references = json.array(b.external_references) end
  end
  -- Rillet's ExchangeRate {base, target, rate, date} (rillet-openapi.json), kept as given
  if b.exchange_rate ~= nil and b.exchange_rate ~= json.null then
    local x = b.exchange_rate
    if not lutil.is_object(x) or type(x.base) ~= "string" or not x.base:match("^%u%u%u$")
        or type(x.target) ~= "string" or not x.target:match("^%u%u%u$")
        or type(x.rate) ~= "string" or not x.rate:match("^%d+%.?%d*$")
        or type(x.date) ~= "string" or not time.valid_date(x.date) then
      errs.add("exchange_rate", "must be an ExchangeRate {base, target, rate (a decimal string), date}")
    else inv.exchange_rate = { base = x.base, target = x.target, rate = x.rate, date = x.date } end
  end
  if b.scope ~= nil and b.scope ~= "FULL" then
    errs.add("scope", "only the FULL scope is supported by the simulator")
  end
end

local function create_invoice(req)
  local b = parse_body(req)
  local errs = P.errors()
  local cust = lutil.is_object(b) and type(b.customer_id) == "string" and db.get("customer", b.customer_id)
  if not cust then errs.add("customer_id", "must name an existing customer") end
  local sub_id = b.subsidiary_id
  if sub_id == nil or sub_id == json.null then sub_id = first_subsidiary() end
  local sub, sub_extra = db.get("subsidiary", sub_id)
  if not sub then errs.add("subsidiary_id", "must name an existing subsidiary"); errs.raise() end
  local cur = sub.currency
  local inv = { id = docs.uuid(), subsidiary_id = sub.id, customer_id = b.customer_id,
                payment_terms = cust and cust.payment_terms or 30, status = "UNPAID",
                external_references = json.array({}) }
  invoice_fields(errs, b, inv, cur)
  inv.items = docs.build_lines(errs, b.items, cur, "invoice")
  inv.address = sub_extra.address
  if cust then
    inv.customer_address = cust.address
    inv.shipping_address = cust.shipping_address
  end
  take_addresses(errs, b, inv, { "address", "customer_address", "shipping_address" })
  errs.raise()
  return ok(200, hooks.create_doc("invoice", inv, { paid = 0, credited = 0 }, cur, "invoice_number",
    function() return string.format("INV-%05d", state.next_counter("invoice")) end))
end

-- A stored invoice or credit memo (404 naming `what` when there is none): doc, extra, currency.
local function load_doc(kind, what, id)
  local doc, extra = db.get(kind, id)
  if not doc then not_found(what, id) end
  return doc, extra, doc.total.currency
end

local function load_invoice(id) return load_doc("invoice", "Invoice", id) end

-- Fault `replay_taxes`: the next N tax write-backs apply nothing and are answered 200 with
-- the answer to the document's previous tax write (or the document as it is), as a Rillet
-- that replays a stored response would (with `Idempotent-Replayed: true` unless the
-- `idempotency_replay_header` setting is off).
local function stale_tax_answer(kind, id)
  local f = state.faults()
  if (f.replay_taxes or 0) <= 0 then return nil end
  f.replay_taxes = f.replay_taxes - 1
  state.set_faults(f)
  local body = state.get("last_tax_answer:" .. kind .. ":" .. id) or db.row(kind, id).body
  local h = { ["Content-Type"] = "application/json" }
  if state.config().idempotency_replay_header then h["Idempotent-Replayed"] = "true" end
  return 200, body, h
end

local function remember_tax_answer(kind, obj)
  state.put("last_tax_answer:" .. kind .. ":" .. obj.id, json.canonical(obj))
end

-- A full-replace update keeps a line's written tax rates only when the update sends tax.
local function drop_cleared_taxes(extra, lines)
  for _, l in ipairs(lines) do
    if extra.taxes and l.taxed_amount and (l.taxed_amount.amount == "0" or
       (money.parse(l.taxed_amount.amount, l.taxed_amount.currency) or 0) == 0) then
      extra.taxes[l.id] = nil
    end
  end
end

local function update_invoice(req)
  local inv, extra, cur = load_invoice(req.params.id)
  local b = parse_body(req)
  local errs = P.errors()
  invoice_fields(errs, b, inv, cur)
  local keep = {}
  for _, l in ipairs(inv.items) do keep[l.id] = true end
  inv.items = docs.build_lines(errs, b.items, cur, "invoice", keep)
  take_addresses(errs, b, inv, { "address", "customer_address", "shipping_address" })
  errs.raise()
  local live = {}
  for _, l in ipairs(inv.items) do live[l.id] = true end
  for id in pairs(extra.taxes or {}) do if not live[id] then extra.taxes[id] = nil end end
  drop_cleared_taxes(extra, inv.items)
  return ok(200, hooks.save_doc("invoice", inv, extra, cur))
end

local function delete_invoice(req)
  local id = req.params.id
  if not db.row("invoice", id) then not_found("Invoice", id) end
  store.transaction(function()
    db.delete("invoice", id)
    store.exec("DELETE FROM sim_entities WHERE kind = 'payment' AND parent_id = ?", id)
    hooks.emit("INVOICE", "DELETED", id, json.encode(id))
  end)
  return 204, ""
end

local function invoice_taxes(req)
  local s, sb, sh = stale_tax_answer("invoice", req.params.id)
  if s then load_invoice(req.params.id); return s, sb, sh end
  local inv, extra, cur = load_invoice(req.params.id)
  local b = json.decode(req.body or "")
  docs.apply_taxes(inv, extra, b, cur)
  return ok(200, hooks.save_doc("invoice", inv, extra, cur, {
    after = function() remember_tax_answer("invoice", inv) end }))
end

local function sent_status(req)
  local inv, extra, cur = load_invoice(req.params.id)
  local b = parse_body(req)
  if type(b.sent) ~= "boolean" then
    P.raise(400, "sent: is required (boolean).", { { field = "sent", message = "is required (boolean)" } })
  end
  if b.sent then
    inv.sent_at = inv.sent_at or time.iso(state.now())
  else
    inv.sent_at = nil
  end
  store.transaction(function()
    db.update("invoice", inv, db.doc_cols(inv, cur), extra)
    hooks.emit_doc("INVOICE", "UPDATED", inv)
  end)
  return 200, ""
end

local function list_invoice_payments(req)
  load_invoice(req.params.id)
  return ok(200, db.list("payment", "payments", { { "parent_id", req.params.id } }, nil, 0, nil, false))
end

local function list_all_payments(req)
  local limit, cursor, gt = list_args(req)
  return ok(200, db.list("payment", "payments", {}, gt, limit, cursor, true, sort_arg(req)))
end

local function create_payment(req)
  local inv, extra, cur = load_invoice(req.params.id)
  local b = parse_body(req)
  local errs = P.errors()
  local a = b.amount
  local amt = lutil.is_object(a) and type(a.amount) == "string" and a.currency == cur and money.parse(a.amount, cur)
  if not amt then
    errs.add("amount", "must be a RoundedMonetaryAmount in the invoice currency " .. cur)
  elseif amt <= 0 then
    errs.add("amount.amount", "must be greater than 0")
  elseif amt > docs.minor(inv.amount_due, cur) then
    errs.add("amount.amount", "exceeds the invoice's amount_due " .. inv.amount_due.amount)
  end
  if type(b.date) ~= "string" or not time.valid_date(b.date) then errs.add("date", "is required (YYYY-MM-DD)") end
  if type(b.account_code) ~= "string" or b.account_code == "" then errs.add("account_code", "is required") end
  errs.raise()
  local pm = { id = docs.uuid(), status = "SUCCESSFUL", invoice_id = inv.id, amount = docs.m(amt, cur),
               date = b.date, account_code = b.account_code }
  extra.paid = (extra.paid or 0) + amt
  hooks.save_doc("invoice", inv, extra, cur, { event = "PAYMENT_UPDATED", before = function()
    db.insert("payment", pm, { parent_id = inv.id, currency = cur })
  end })
  return ok(200, pm)
end

---------------------------------------------------------------------------------------------
-- Credit memos

local function list_memos(req)
  local limit, cursor, gt = list_args(req)
  local q, f = req.query or {}, {}
  if q.subsidiary_id then f[#f + 1] = { "subsidiary_id", q.subsidiary_id } end
  if q.customer_id then f[#f + 1] = { "customer_id", q.customer_id } end
  return ok(200, db.list("credit_memo", "credit_memos", f, gt, limit, cursor, "optional"))
end

local function memo_fields(errs, b, cm)
  if type(b.credit_memo_date) ~= "string" or not time.valid_date(b.credit_memo_date) then
    errs.add("credit_memo_date", "is required (YYYY-MM-DD)")
  else cm.credit_memo_date = b.credit_memo_date end
  if b.external_references ~= nil and b.external_references ~= json.null then
    cm.external_references = json.array(b.external_references)
  end
end

local function create_memo(req)
  local b = parse_body(req)
  local errs = P.errors()
  local cust = type(b.customer_id) == "string" and db.get("customer", b.customer_id)
  if not cust then errs.add("customer_id", "must name an existing customer") end
  local sub_id = b.subsidiary_id
  if sub_id == nil or sub_id == json.null then sub_id = first_subsidiary() end
  local sub = db.get("subsidiary", sub_id)
  if not sub then errs.add("subsidiary_id", "must name an existing subsidiary"); errs.raise() end
  local cur = sub.currency
  local cm = { id = docs.uuid(), subsidiary_id = sub.id, customer_id = b.customer_id, status = "UNAPPLIED",
               applications = json.array({}), external_references = json.array({}) }
  if b.credit_memo_number ~= nil and b.credit_memo_number ~= json.null then
    if type(b.credit_memo_number) ~= "string" or not b.credit_memo_number:match("^%S+$") then
      errs.add("credit_memo_number", "must be a non-blank string")
    else cm.credit_memo_number = b.credit_memo_number end
  end
  memo_fields(errs, b, cm)
  cm.items = docs.build_lines(errs, b.items, cur, "credit_memo")
  cm.address = cust and (cust.shipping_address or cust.address) or nil
  take_addresses(errs, b, cm, { "address" })
  if cust and not cm.address then errs.add("address", "is required (the customer has no address)") end
  errs.raise()
  return ok(200, hooks.create_doc("credit_memo", cm, {}, cur, "credit_memo_number",
    function() return string.format("CM-%05d", state.next_counter("credit_memo")) end))
end

local function load_memo(id) return load_doc("credit_memo", "Credit memo", id) end

local function update_memo(req)
  local cm, extra, cur = load_memo(req.params.id)
  local b = parse_body(req)
  local errs = P.errors()
  memo_fields(errs, b, cm)
  local keep = {}
  for _, l in ipairs(cm.items) do keep[l.id] = true end
  cm.items = docs.build_lines(errs, b.items, cur, "credit_memo", keep)
  take_addresses(errs, b, cm, { "address" })
  errs.raise()
  drop_cleared_taxes(extra, cm.items)
  return ok(200, hooks.save_doc("credit_memo", cm, extra, cur))
end

-- Change the credited amount of an invoice by delta (minor units), firing PAYMENT_UPDATED.
local function credit_invoice(invoice_id, delta)
  local inv, extra = db.get("invoice", invoice_id)
  if not inv then return end
  local cur = inv.total.currency
  extra.credited = math.max(0, (extra.credited or 0) + delta)
  hooks.save_doc("invoice", inv, extra, cur, { event = "PAYMENT_UPDATED" })
end

local function apply_memo(req)
  local cm, extra, cur = load_memo(req.params.id)
  local b = parse_body(req)
  local errs = P.errors()
  local apps = b.applications
  local new = json.array({})
  if not lutil.is_json_array(apps) then errs.add("applications", "must be an array") else
    local sum = 0
    for i, a in ipairs(apps) do
      local f = ("applications[%d]"):format(i - 1)
      local inv = lutil.is_object(a) and type(a.invoice_id) == "string" and db.get("invoice", a.invoice_id)
      if not inv then errs.add(f .. ".invoice_id", "must name an existing invoice") end
      local amt = lutil.is_object(a) and lutil.is_object(a.amount) and a.amount.currency == cur
                  and type(a.amount.amount) == "string" and money.parse(a.amount.amount, cur)
      if not amt or amt <= 0 then errs.add(f .. ".amount", "must be a positive rounded amount in " .. cur) end
      if not lutil.is_object(a) or type(a.application_date) ~= "string" or not time.valid_date(a.application_date) then
        errs.add(f .. ".application_date", "is required (YYYY-MM-DD)")
      end
      if inv and amt then
        sum = sum + amt
        new[#new + 1] = { id = docs.uuid(), credit_memo_id = cm.id, invoice_id = inv.id,
                          invoice_number = inv.invoice_number, amount = docs.m(amt, cur),
                          application_date = a.application_date }
      end
    end
    if sum > docs.minor(cm.total, cur) then errs.add("applications", "total exceeds the credit memo total") end
  end
  errs.raise()
  local old = cm.applications
  cm.applications = new
  return ok(200, hooks.save_doc("credit_memo", cm, extra, cur, { before = function()
    for _, a in ipairs(old) do credit_invoice(a.invoice_id, -docs.minor(a.amount, cur)) end
    for _, a in ipairs(new) do credit_invoice(a.invoice_id, docs.minor(a.amount, cur)) end
  end }))
end

local function unapply_memo(req)
  local cm, extra, cur = load_memo(req.params.id)
  local old = cm.applications
  cm.applications = json.array({})
  hooks.save_doc("credit_memo", cm, extra, cur, { before = function()
    for _, a in ipairs(old) do credit_invoice(a.invoice_id, -docs.minor(a.amount, cur)) end
  end })
  return 204, ""
end

local function delete_memo(req)
  local cm, _, cur = load_memo(req.params.id)
  store.transaction(function()
    for _, a in ipairs(cm.applications) do credit_invoice(a.invoice_id, -docs.minor(a.amount, cur)) end
    db.delete("credit_memo", cm.id)
    hooks.emit("CREDIT_MEMO", "DELETED", cm.id, json.encode(cm.id))
  end)
  return 204, ""
end

local function memo_taxes(req)
  if db.row("credit_memo", req.params.id) then
    local s, sb, sh = stale_tax_answer("credit_memo", req.params.id)
    if s then return s, sb, sh end
  end
  local cm, extra, cur = load_memo(req.params.id)
  local b = json.decode(req.body or "")
  docs.apply_taxes(cm, extra, b, cur)
  return ok(200, hooks.save_doc("credit_memo", cm, extra, cur, {
    after = function() remember_tax_answer("credit_memo", cm) end }))
end

---------------------------------------------------------------------------------------------
-- Demo data and control endpoints (/_sim/*: no Rillet auth, test-only)

local function register_key(key, name, read_only, created_ms)
  store.exec("INSERT INTO sim_api_keys(key_hash, name, hint, read_only, created_at) VALUES (?,?,?,?,?) " ..
             "ON CONFLICT (key_hash) DO UPDATE SET name = excluded.name, hint = excluded.hint, " ..
             "read_only = excluded.read_only, created_at = excluded.created_at",
             crypto.hex(crypto.sha256(key)), name, key:sub(-4), read_only and 1 or 0, time.iso(created_ms))
end

local SIM_TABLES = { "sim_entities", "sim_counters", "sim_api_keys", "sim_idempotency", "sim_deliveries",
                     "sim_webhooks", "sim_faults" }

local SEED_CHUNK = 250   -- invoices per seeding job run (fits the background Lua budget)

local function load_demo(seed_n, invoices, wipe, inline)
  store.transaction(function()
    if wipe then
      for _, t in ipairs(SIM_TABLES) do store.exec("DELETE FROM " .. t) end
      store.exec("DELETE FROM sqlite_sequence WHERE name IN ('sim_entities', 'sim_deliveries')")
    end
    local gen = (math.tointeger(tonumber(state.get("seed_gen") or "0")) or 0) + 1
    state.put("seed_gen", tostring(gen))
    seed.base(seed_n)
    register_key(seed.api_key(seed_n), "demo", false, 1767225600000)
    state.put("seed", tostring(seed_n))
    state.put("invoices", tostring(invoices))
    store.exec("INSERT INTO sim_counters(name, value) VALUES ('invoice', ?), ('credit_memo', ?) "
               .. "ON CONFLICT(name) DO UPDATE SET value = excluded.value", invoices, invoices)
    local first = math.min(invoices, inline or 0)
    if first > 0 then seed.invoices(seed_n, 1, first) end
    state.put("seeded", tostring(first))
    if first < invoices then
      jobs.enqueue { kind = "sim.seed", key = ("seed-%d-%d"):format(gen, first + 1),
                     payload = { seed = seed_n, from = first + 1, to = invoices, gen = gen } }
    end
  end)
  windows = {}
  request_log = {}
end

local RESET_INLINE = 600      -- entities a reset may delete inline
local RESET_CHUNK = 2000      -- entities deleted per reset job run

-- Job: delete the next chunk of entities, then reseed (a newer reset makes it a no-op).
local function reset_job(job)
  local p = job.payload
  if tostring(p.gen) ~= state.get("seed_gen") then return end
  local left
  store.transaction(function()
    store.exec("DELETE FROM sim_entities WHERE seq IN (SELECT seq FROM sim_entities LIMIT ?)", RESET_CHUNK)
    left = store.row("SELECT count(*) AS n FROM sim_entities").n
    if left > 0 then
      jobs.enqueue { kind = "sim.reset", key = ("reset-%d-%d"):format(p.gen, left), payload = p }
    end
  end)
  if left == 0 then load_demo(p.seed, p.invoices, true, 0) end
end

-- Job: the next chunk of demo invoices (a reset since it was queued makes it a no-op).
local function seed_job(job)
  local p = job.payload
  if tostring(p.gen) ~= state.get("seed_gen") then return end
  local to = math.min(p.to, p.from + SEED_CHUNK - 1)
  store.transaction(function()
    seed.invoices(p.seed, p.from, to)
    state.put("seeded", tostring(to))
    if to < p.to then
      jobs.enqueue { kind = "sim.seed", key = ("seed-%d-%d"):format(p.gen, to + 1),
                     payload = { seed = p.seed, from = to + 1, to = p.to, gen = p.gen } }
    end
  end)
end

local function sim_info()
  local s = tonumber(state.get("seed") or "1")
  return {
    api_key = seed.api_key(math.tointeger(s)), url = base_url(), seed = math.tointeger(s),
    invoices = db.count("invoice"), credit_memos = db.count("credit_memo"), customers = db.count("customer"),
    products = db.count("product"), api_version = "4", documents_from = seed.FIRST_DATE,
    invoices_target = math.tointeger(tonumber(state.get("invoices") or "0")),
    seeding = (tonumber(state.get("seeded") or "0") or 0) < (tonumber(state.get("invoices") or "0") or 0),
  }
end

local function banner()
  local i = sim_info()
  local u, k = i.url, i.api_key
  return table.concat({
    "levy sim: Rillet API v4 simulator",
    "  URL:       " .. u .. "   (web UI: " .. u .. "/)",
    "  API key:   " .. k,
    ("  Demo data: seed %d, %d invoices, %d credit memos, %d customers, %d products%s"):format(
      i.seed, i.invoices, i.credit_memos, i.customers, i.products,
      i.seeding and (" (generating the rest of %d invoices in the background)"):format(i.invoices_target) or ""),
    "  Try:",
    "    curl -H 'Authorization: Bearer " .. k .. "' -H 'X-Rillet-API-Version: 4' " .. u .. "/organizations/self",
    "    curl -H 'Authorization: Bearer " .. k .. "' -H 'X-Rillet-API-Version: 4' '" .. u .. "/invoices?limit=5'",
    "    curl -X POST -H 'Content-Type: application/json' " .. u
      .. "/_sim/webhooks -d '{\"url\":\"http://127.0.0.1:8080/webhooks/rillet/CONNECTION\",\"events\":{\"INVOICE\":[\"CREATED\",\"UPDATED\",\"DELETED\",\"PAYMENT_UPDATED\"],\"CREDIT_MEMO\":[\"CREATED\",\"UPDATED\",\"DELETED\",\"PAYMENT_UPDATED\"]}}'",
    "    curl " .. u .. "/_sim/info",
  }, "\n")
end

local function sim_body(req)
  if req.body == nil or req.body == "" then return {} end
  local b = json.decode(req.body)
  if not lutil.is_object(b) and not (type(b) == "table" and next(b) == nil) then
    P.raise(400, "The request body must be a JSON object.")
  end
  return b
end

-- Wrapper for control routes: problems rendered, no auth.
local function ctl(fn)
  return function(req)
    local okc, s, b, h = pcall(fn, req)
    if not okc then
      if not P.is(s) then error(s, 0) end
      return P.render(s)
    end
    return s, b, h
  end
end

local function ctl_config(req)
  if req.method == "POST" or req.method == "PUT" then
    local cfg, errs = state.set_config(sim_body(req))
    if not cfg then P.raise(400, "Invalid simulator setting.", errs) end
    windows = {}
  end
  local c = state.config()
  local out = {}
  for k, v in pairs(c) do out[k] = v end
  out.retry_attempt_ms = json.array(c.retry_attempt_ms)
  out.retry_group_ms = json.array(c.retry_group_ms)
  return ok(200, out)
end

local function ctl_faults(req)
  if req.method == "DELETE" then
    state.set_faults({})
  elseif req.method == "POST" then
    local b = sim_body(req)
    local f = state.faults()
    local errs = {}
    local function int(k, lo, hi)
      local v = b[k]
      if v == nil then return nil end
      if math.type(v) ~= "integer" or v < lo or (hi and v > hi) then
        errs[#errs + 1] = { field = k, message = ("must be an integer %d..%s"):format(lo, hi or "") }
        return nil
      end
      return v
    end
    local n = int("fail_next", 0)
    if n then
      local st = b.status or 500
      -- 4xx other than 429: a refusal levy must not retry (a failed import, issue 17)
      local allowed = { [500] = true, [502] = true, [503] = true, [504] = true, [429] = true,
                        [400] = true, [401] = true, [403] = true, [404] = true, [422] = true }
      if not allowed[st] then errs[#errs + 1] = { field = "status", message = "must be 500, 502, 503, 504, 429, 400, 401, 403, 404 or 422" } end
      local ra = b.retry_after
      if ra == nil and st == 429 then ra = 1 end
      if ra ~= nil and math.type(ra) ~= "integer" then errs[#errs + 1] = { field = "retry_after", message = "must be an integer (seconds)" } end
      local path = b.path
      if path ~= nil and (type(path) ~= "string" or path == "" or #path > 200) then
        errs[#errs + 1] = { field = "path", message = "must be a non-empty string (a part of the request path)" }
        path = nil
      end
      f.fail = { remaining = n, status = st, retry_after = ra, path = path }
    end
    if b.latency_path ~= nil then
      if type(b.latency_path) ~= "string" or b.latency_path == "" or #b.latency_path > 200 then
        errs[#errs + 1] = { field = "latency_path", message = "must be a non-empty string (a part of the request path)" }
      else
        f.latency_path = b.latency_path
      end
    elseif b.latency_ms ~= nil then
      f.latency_path = nil -- a new latency without a path slows every request
    end
    for _, k in ipairs({ "latency_ms", "drop", "duplicate", "reorder", "replay_taxes" }) do
      local v = int(k, 0, k == "latency_ms" and 60000 or nil)
      if v then f[k] = v end
    end
    if b.reorder then f.reorder_held = 0 end
    if #errs > 0 then P.raise(400, "Invalid fault.", errs) end
    state.set_faults(f)
    parked_max = parked
  end
  if req.method == "DELETE" then parked_max = parked end
  local f = state.faults()
  f.latency_supported = type(time.sleep or time.sleep_ms) == "function"
  f.latency_parked, f.latency_parked_max = parked, parked_max
  return ok(200, f)
end

local function ctl_create_key(req)
  local b = sim_body(req)
  local key = "rk_" .. (b.read_only and "ro_" or "") .. crypto.hex(crypto.random(20))
  register_key(key, type(b.name) == "string" and b.name or "api key", b.read_only == true, state.now())
  return ok(201, { api_key = key, name = b.name or "api key", read_only = b.read_only == true })
end

-- GET /_sim/requests[?window_ms=N]: per API key (hint only), the API requests received
-- (`requests`), how many were answered 429 by the rate limit (`rate_limited`) and the most
-- received in any rolling window (`max_in_window`, default the rate-limit window, 60 s).
local function ctl_requests(req)
  if req.method == "DELETE" then -- a fresh count (tests: one phase's requests only)
    request_log = {}
    return ok(200, { keys = json.array({}) })
  end
  local cfg = state.config()
  local wq = (req.query or {}).window_ms
  local win = wq and math.tointeger(tonumber(wq)) or cfg.rate_limit_window_ms
  if not win or win < 1 then return ok(400, { error = "window_ms must be a positive integer" }) end
  local out = json.array({})
  for _, e in pairs(request_log) do
    local best, j = 0, 1
    for i = 1, #e.times do
      while e.times[i] - e.times[j] >= win do j = j + 1 end
      if i - j + 1 > best then best = i - j + 1 end
    end
    local by_path = {}
    for k, n in pairs(e.by_path) do by_path[k] = n end
    out[#out + 1] = { key_hint = "…" .. tostring(e.hint), requests = e.total, rate_limited = e.limited,
                      max_in_window = best, window_ms = win, unversioned = e.unversioned,
                      by_path = by_path }
  end
  table.sort(out, function(a, b) return a.key_hint < b.key_hint end)
  return ok(200, { keys = out })
end

local function ctl_list_keys()
  local rows = store.rows("SELECT name, hint, read_only, created_at FROM sim_api_keys ORDER BY created_at")
  local out = json.array({})
  for _, r in ipairs(rows) do
    out[#out + 1] = { name = r.name, key_hint = "…" .. r.hint, read_only = r.read_only == 1, created_at = r.created_at }
  end
  return ok(200, { api_keys = out })
end

local function check_url(u)
  return type(u) == "string" and (u:match("^https?://[%w%.%-%[%]:]+") ~= nil)
end

local function ctl_create_webhook(req)
  local b = sim_body(req)
  local errs = {}
  if not check_url(b.url) then errs[#errs + 1] = { field = "url", message = "must be an http(s) URL" } end
  local ev, everrs = hooks.check_events(b.events)
  for _, e in ipairs(everrs or {}) do errs[#errs + 1] = e end
  if b.enabled ~= nil and type(b.enabled) ~= "boolean" then errs[#errs + 1] = { field = "enabled", message = "must be a boolean" } end
  local n = store.row("SELECT count(*) AS n FROM sim_webhooks").n
  if n >= 5 then P.raise(409, "At most 5 webhooks per organisation.") end
  if #errs > 0 then P.raise(400, "Invalid webhook.", errs) end
  local row = { id = docs.uuid(), name = type(b.name) == "string" and b.name or json.null, url = b.url,
                token = hooks.new_token(), events = json.encode(ev), enabled = b.enabled == false and 0 or 1,
                created_at = time.iso_ms(state.now()) }
  store.exec("INSERT INTO sim_webhooks(id, name, url, token, events, enabled, created_at) VALUES (?,?,?,?,?,?,?)",
             row.id, type(b.name) == "string" and b.name or nil, row.url, row.token, row.events, row.enabled, row.created_at)
  return ok(201, hooks.public(store.row("SELECT * FROM sim_webhooks WHERE id = ?", row.id), true))
end

local function ctl_list_webhooks()
  local out = json.array({})
  for _, r in ipairs(store.rows("SELECT * FROM sim_webhooks ORDER BY created_at, id")) do
    out[#out + 1] = hooks.public(r, true)
  end
  return ok(200, { webhooks = out })
end

local function ctl_webhook(req)
  local id = req.params.id
  local r = store.row("SELECT * FROM sim_webhooks WHERE id = ?", id)
  if not r then P.raise(404, "Webhook '" .. tostring(id) .. "' not found.") end
  if req.method == "DELETE" then
    store.exec("DELETE FROM sim_webhooks WHERE id = ?", id)
    return 204, ""
  elseif req.method == "PUT" or req.method == "PATCH" then
    local b = sim_body(req)
    local errs = {}
    if b.url ~= nil then if check_url(b.url) then r.url = b.url else errs[#errs + 1] = { field = "url", message = "must be an http(s) URL" } end end
    if b.events ~= nil then
      local ev, e2 = hooks.check_events(b.events)
      if ev then r.events = json.encode(ev) else for _, e in ipairs(e2) do errs[#errs + 1] = e end end
    end
    if b.enabled ~= nil then
      if type(b.enabled) ~= "boolean" then errs[#errs + 1] = { field = "enabled", message = "must be a boolean" }
      else r.enabled = b.enabled and 1 or 0; if b.enabled then r.disabled_reason = nil end end
    end
    if #errs > 0 then P.raise(400, "Invalid webhook.", errs) end
    store.exec("UPDATE sim_webhooks SET url = ?, events = ?, enabled = ?, disabled_reason = ? WHERE id = ?",
               r.url, r.events, r.enabled, r.disabled_reason, id)
  end
  return ok(200, hooks.public(store.row("SELECT * FROM sim_webhooks WHERE id = ?", id), true))
end

local function ctl_regenerate(req)
  local id = req.params.id
  if not store.row("SELECT id FROM sim_webhooks WHERE id = ?", id) then P.raise(404, "Webhook not found.") end
  store.exec("UPDATE sim_webhooks SET token = ? WHERE id = ?", hooks.new_token(), id)
  return ok(200, hooks.public(store.row("SELECT * FROM sim_webhooks WHERE id = ?", id), true))
end

local function ctl_deliveries(req)
  local q = req.query or {}
  local where, params = {}, {}
  if q.webhook_id then where[#where + 1] = "webhook_id = ?"; params[#params + 1] = q.webhook_id end
  if q.state then where[#where + 1] = "state = ?"; params[#params + 1] = q.state end
  if q.entity_id then where[#where + 1] = "entity_id = ?"; params[#params + 1] = q.entity_id end
  local limit = math.tointeger(tonumber(q.limit or "100")) or 100
  if limit < 1 or limit > 1000 then limit = 100 end
  params[#params + 1] = limit
  local sql = "SELECT * FROM sim_deliveries" .. (#where > 0 and (" WHERE " .. table.concat(where, " AND ")) or "")
              .. " ORDER BY seq DESC LIMIT ?"
  local out = json.array({})
  for _, r in ipairs(store.rows(sql, table.unpack(params, 1, #params))) do
    out[#out + 1] = { seq = r.seq, id = r.id, webhook_id = r.webhook_id, entity = r.entity, event = r.event,
                      entity_id = r.entity_id, timestamp = r.ts, state = r.state, attempts = r.attempts,
                      note = r.note or json.null, log = json.decode(r.log) or json.array({}),
                      body = r.body }
  end
  return ok(200, { deliveries = out })
end

local function ctl_sign(req)
  local b = sim_body(req)
  for _, k in ipairs({ "token", "timestamp", "id", "entity", "event", "body" }) do
    if type(b[k]) ~= "string" then P.raise(400, k .. ": is required (string).", { { field = k, message = "is required" } }) end
  end
  return ok(200, { signature = hooks.sign(b.token, b.timestamp, b.id, b.entity, b.event, b.body) })
end

local function ctl_reset(req)
  local b = sim_body(req)
  local s = b.seed == nil and state.sim_settings().seed or b.seed
  local n = b.invoices == nil and state.sim_settings().invoices or b.invoices
  if math.type(s) ~= "integer" or math.type(n) ~= "integer" or n < 0 or n > 100000 then
    P.raise(400, "seed and invoices must be integers (0 <= invoices <= 100000).")
  end
  if b.reset_config then state.reset_config() end
  local n_ent = store.row("SELECT count(*) AS n FROM sim_entities").n
  if n_ent <= RESET_INLINE then
    load_demo(s, n, true, 25)
  else
    -- too much to delete within one request's Lua budget: wipe and reseed in jobs
    store.transaction(function()
      local gen = (math.tointeger(tonumber(state.get("seed_gen") or "0")) or 0) + 1
      state.put("seed_gen", tostring(gen))
      state.put("seed", tostring(s))
      state.put("invoices", tostring(n))
      state.put("seeded", "-1")
      jobs.enqueue { kind = "sim.reset", key = "reset-" .. gen, payload = { seed = s, invoices = n, gen = gen } }
    end)
  end
  return ok(200, sim_info())
end

local function ctl_export()
  local parts = {}
  for r in store.query("SELECT kind, body FROM sim_entities ORDER BY seq") do
    parts[#parts + 1] = '{"kind":' .. json.encode(r.kind) .. ',"object":' .. r.body .. '}'
  end
  local body = "[" .. table.concat(parts, ",") .. "]"
  return 200, body, { ["Content-Type"] = "application/json", ["X-Sim-Digest"] = crypto.hex(crypto.sha256(body)) }
end

local function ctl_tax_detail(req)
  local kind = req.params.kind == "credit-memos" and "credit_memo" or "invoice"
  local obj, extra = db.get(kind, req.params.id)
  if not obj then P.raise(404, "Document not found.") end
  local lines = json.array({})
  for _, l in ipairs(obj.items) do
    lines[#lines + 1] = { id = l.id, description = l.description, taxed_amount = l.taxed_amount,
                          tax_rates = (extra.taxes or {})[l.id] or json.array({}) }
  end
  return ok(200, { id = obj.id, taxes_calculated_at = extra.taxes_calculated_at or json.null,
                   tax_writes = extra.tax_writes or 0, lines = lines })
end

---------------------------------------------------------------------------------------------

local routes = {}
local function route(method, path, h, auth_api, opts)
  routes[#routes + 1] = { method = method, path = path, auth = "none",
                          handler = auth_api and api(h, opts) or ctl(h) }
end
local W = { write = true }

route("GET", "/health", function() return ok(200, { status = "UP" }) end)
route("GET", "/api-key", get_api_key, true)
route("GET", "/organizations/self", get_org, true)
route("GET", "/subsidiaries", function() return ok(200, db.list("subsidiary", "subsidiaries", {}, nil, 0, nil, false)) end, true)
route("GET", "/subsidiaries/{id}", get_one("subsidiary", "Subsidiary"), true)
route("GET", "/customers", list_customers, true)
route("POST", "/customers", create_customer, true, W)
route("GET", "/customers/{id}", get_one("customer", "Customer"), true)
route("PUT", "/customers/{id}", update_customer, true, W)
route("DELETE", "/customers/{id}", delete_customer, true, W)
route("GET", "/fields", list_fields, true)
route("POST", "/fields", create_field, true, W)
route("POST", "/fields/{id}/values", add_field_value, true, W)
route("GET", "/products", list_products, true)
route("POST", "/products", create_product, true, W)
route("GET", "/products/{id}", get_one("product", "Product"), true)
route("PUT", "/products/{id}", update_product, true, W)
route("DELETE", "/products/{id}", delete_product, true, W)
route("GET", "/invoices", list_invoices, true)
route("POST", "/invoices", create_invoice, true, W)
route("GET", "/invoices/{id}", get_one("invoice", "Invoice"), true)
route("PUT", "/invoices/{id}", update_invoice, true, W)
route("DELETE", "/invoices/{id}", delete_invoice, true, W)
route("POST", "/invoices/{id}/taxes", invoice_taxes, true, W)
route("PUT", "/invoices/{id}/sent-status", sent_status, true, W)
route("GET", "/invoices/{id}/payments", list_invoice_payments, true)
route("POST", "/invoices/{id}/payments", create_payment, true, W)
route("GET", "/invoice-payments", list_all_payments, true)
route("GET", "/credit-memos", list_memos, true)
route("POST", "/credit-memos", create_memo, true, W)
route("GET", "/credit-memos/{id}", get_one("credit_memo", "Credit memo"), true)
route("PUT", "/credit-memos/{id}", update_memo, true, W)
route("DELETE", "/credit-memos/{id}", delete_memo, true, W)
route("POST", "/credit-memos/{id}/taxes", memo_taxes, true, W)
route("POST", "/credit-memos/{id}/applications", apply_memo, true, W)
route("DELETE", "/credit-memos/{id}/applications", unapply_memo, true, W)

route("GET", "/books/periods/last-closed", books.last_closed, true)
route("GET", "/_sim/info", function() return ok(200, sim_info()) end)
route("GET", "/_sim/books", books.ctl_books)
route("POST", "/_sim/books", books.ctl_books)
route("POST", "/_sim/invoices/{id}/void", books.ctl_void)
route("POST", "/_sim/invoices/{id}/manual-tax", books.ctl_manual_tax)
route("GET", "/_sim/config", ctl_config)
route("POST", "/_sim/config", ctl_config)
route("GET", "/_sim/faults", ctl_faults)
route("POST", "/_sim/faults", ctl_faults)
route("DELETE", "/_sim/faults", ctl_faults)
route("GET", "/_sim/api-keys", ctl_list_keys)
route("GET", "/_sim/requests", ctl_requests)
route("DELETE", "/_sim/requests", ctl_requests)
route("POST", "/_sim/api-keys", ctl_create_key)
route("GET", "/_sim/webhooks", ctl_list_webhooks)
route("POST", "/_sim/webhooks", ctl_create_webhook)
route("GET", "/_sim/webhooks/{id}", ctl_webhook)
route("PUT", "/_sim/webhooks/{id}", ctl_webhook)
route("DELETE", "/_sim/webhooks/{id}", ctl_webhook)
route("POST", "/_sim/webhooks/{id}/regenerate", ctl_regenerate)
route("GET", "/_sim/deliveries", ctl_deliveries)
route("POST", "/_sim/sign", ctl_sign)
route("POST", "/_sim/reset", ctl_reset)
route("GET", "/_sim/export", ctl_export)
route("GET", "/_sim/{kind}/{id}/tax-detail", ctl_tax_detail)
route("GET", "/", function() return 200, ui.html(), { ["Content-Type"] = "text/html; charset=utf-8" } end)
route("GET", "/ui", function() return 200, ui.html(), { ["Content-Type"] = "text/html; charset=utf-8" } end)

return {
  name = "sim",
  version = "0.1.0",
  -- the tables this plugin's migrations create: no other plugin may use them (docs/plugins.md)
  tables = {
    "sim_entities", "sim_config", "sim_counters", "sim_api_keys", "sim_idempotency",
    "sim_webhooks", "sim_deliveries", "sim_faults",
  },
  roles = { "sim" },
  routes = routes,
  jobs = {
    ["sim.seed"] = { run = seed_job, max_attempts = 3, concurrency = 1 },
    ["sim.reset"] = { run = reset_job, max_attempts = 3, concurrency = 1 },
    ["sim.deliver"] = { run = hooks.run, max_attempts = 100, concurrency = 4, base_delay_ms = 100,
                        max_delay_ms = 7200000 },
  },
  on_start = function()
    local s = state.sim_settings()
    if not s.rate_limit then state.set_config({ rate_limit = false }) end
    if db.count("organization") == 0 then load_demo(s.seed, s.invoices, false, SEED_CHUNK) end
    return banner()
  end,
  exports = {
    sign = hooks.sign,
    info = sim_info,
  },
}
