-- Rillet documents: building invoices / credit memos from requests, totals, payments,
-- applications and the taxes write-back (validated as Rillet's UpdateTaxesRequest).
local json = require "levy.json"
local lutil = require "levy.util"
local money = require "levy.money"
local time = require "levy.time"
local crypto = require "levy.crypto"
local dec = require "dec"
local db = require "db"
local P = require "problem"
local state = require "state"

local M = {}

function M.uuid()
  local b = { crypto.random(16):byte(1, 16) }
  b[7] = (b[7] & 0x0f) | 0x40
  b[9] = (b[9] & 0x3f) | 0x80
  local h = {}
  for i = 1, 16 do h[i] = string.format("%02x", b[i]) end
  h = table.concat(h)
  return h:sub(1, 8) .. "-" .. h:sub(9, 12) .. "-" .. h:sub(13, 16) .. "-" .. h:sub(17, 20) .. "-" .. h:sub(21)
end

-- A JSON number literal from a decimal string (Rillet quantities/percentages are numbers).
function M.number(lit)
  return json.number(lit)
end

function M.m(minor, cur) return { amount = money.format(minor, cur), currency = cur } end

function M.minor(obj, cur)
  return money.parse(obj.amount, cur) or 0
end

-- A JSON number (integer or literal) as a decimal string, or nil.
function M.numstr(v)
  if math.type(v) == "integer" then return string.format("%d", v) end
  if type(v) == "string" and json.is_number(v) then return json.decimal(v) end
  return nil
end

local is_array = lutil.is_json_array
local is_obj = lutil.is_object

local function nonempty_str(v) return type(v) == "string" and v ~= "" end

function M.utc_datetime(v)
  if type(v) ~= "string" then return false end
  if not v:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.?%d*Z$") then return false end
  return time.parse_iso(v) ~= nil
end

-- Address validation: when present, every field except line2 is required.
function M.check_address(errs, field, a, required)
  if a == nil or a == json.null then
    if required then errs.add(field, "is required") end
    return nil
  end
  if not is_obj(a) then errs.add(field, "must be an object"); return nil end
  for _, k in ipairs({ "line1", "city", "state", "zip_code", "country" }) do
    if not nonempty_str(a[k]) then errs.add(field .. "." .. k, "is required") end
  end
  if a.line2 ~= nil and a.line2 ~= json.null and type(a.line2) ~= "string" then
    errs.add(field .. ".line2", "must be a string")
  end
  if type(a.country) == "string" and not a.country:match("^%u%u$") then
    errs.add(field .. ".country", "must be an ISO 3166-1 alpha-2 code")
  end
  if (a.country == "US" or a.country == "CA") and type(a.state) == "string"
     and not a.state:match("^%u%u$") then
    errs.add(field .. ".state", "must be a 2-letter state or province code")
  end
  local out = { line1 = a.line1, city = a.city, state = a.state, zip_code = a.zip_code, country = a.country }
  if type(a.line2) == "string" then out.line2 = a.line2 end
  return out
end

---------------------------------------------------------------------------------------------
-- Customers and products

function M.customer_from(body, errs, id)
  if not nonempty_str(body.name) then errs.add("name", "is required") end
  local c = { id = id, name = body.name }
  for _, k in ipairs({ "name_on_invoice" }) do
    if body[k] ~= nil and body[k] ~= json.null then
      if type(body[k]) ~= "string" then errs.add(k, "must be a string") else c[k] = body[k] end
    end
  end
  c.address = M.check_address(errs, "address", body.address)
  c.shipping_address = M.check_address(errs, "shipping_address", body.shipping_address)
  if body.payment_terms ~= nil and body.payment_terms ~= json.null then
    if math.type(body.payment_terms) ~= "integer" or body.payment_terms < 0 then
      errs.add("payment_terms", "must be a non-negative integer")
    else c.payment_terms = body.payment_terms end
  end
  for _, k in ipairs({ "send_invoices_automatically", "send_payment_reminders" }) do
    if body[k] == nil or body[k] == json.null then c[k] = false
    elseif type(body[k]) ~= "boolean" then errs.add(k, "must be a boolean")
    else c[k] = body[k] end
  end
  for _, k in ipairs({ "emails", "external_references", "fields" }) do
    if body[k] ~= nil and body[k] ~= json.null then
      if not is_array(body[k]) then errs.add(k, "must be an array") else c[k] = body[k] end
    end
  end
  if body.emails and is_array(body.emails) then
    for i, e in ipairs(body.emails) do
      if not is_obj(e) or not nonempty_str(e.email) then errs.add(("emails[%d].email"):format(i - 1), "is required") end
      if is_obj(e) and e.type ~= "MAIN_SENDER" and e.type ~= "CC" and e.type ~= "BCC" then
        errs.add(("emails[%d].type"):format(i - 1), "must be MAIN_SENDER, CC or BCC")
      end
    end
  end
  if c.fields then
    -- FieldAssignments: {field_id, field_value_id}, naming a field of GET /fields and one of
    -- its values
    for i, f in ipairs(c.fields) do
      local fld = is_obj(f) and type(f.field_id) == "string" and db.get("field", f.field_id)
      local found = false
      if fld and type(f.field_value_id) == "string" then
        for _, v in ipairs(fld.values or {}) do if v.id == f.field_value_id then found = true end end
      end
      if not found then
        errs.add(("fields[%d]"):format(i - 1), "needs field_id and field_value_id naming a field and one of its values")
      end
    end
  end
  if body.external_references and is_array(body.external_references) then
    for i, r in ipairs(body.external_references) do
      if not is_obj(r) or not nonempty_str(r.type) or not nonempty_str(r.id) then
        errs.add(("external_references[%d]"):format(i - 1), "needs type and id")
      end
    end
  end
  return c
end

function M.product_from(body, errs, id)
  local p = { id = id }
  for _, k in ipairs({ "name", "description", "account_code" }) do
    if not nonempty_str(body[k]) then errs.add(k, "is required") else p[k] = body[k] end
  end
  if type(body.include_in_arr_mrr) ~= "boolean" then errs.add("include_in_arr_mrr", "is required (boolean)")
  else p.include_in_arr_mrr = body.include_in_arr_mrr end
  if body.revenue_pattern ~= "DAILY" and body.revenue_pattern ~= "EVEN_PERIOD" then
    errs.add("revenue_pattern", "must be DAILY or EVEN_PERIOD")
  else p.revenue_pattern = body.revenue_pattern end
  local st = body.status
  if st == nil or st == json.null then st = "ACTIVE" end
  if st ~= "ACTIVE" and st ~= "INACTIVE" then errs.add("status", "must be ACTIVE or INACTIVE") end
  p.status = st
  local pr = body.price
  if not is_obj(pr) then
    errs.add("price", "is required")
  elseif pr.type == "ONE_TIME" or pr.type == "FIXED_RECURRING" then
    if not is_obj(pr.amount) or not money.is_decimal(pr.amount.amount or "")
       or type(pr.amount.currency) ~= "string" or not money.exponent(pr.amount.currency) then
      errs.add("price.amount", "must be a MonetaryAmount {amount, currency}")
    end
    if pr.type == "FIXED_RECURRING" and (math.type(pr.interval_months) ~= "integer"
       or pr.interval_months < 1 or pr.interval_months > 12) then
      errs.add("price.interval_months", "must be an integer 1..12")
    end
    p.price = pr
  elseif pr.type == "USAGE" then
    if math.type(pr.interval_months) ~= "integer" or pr.interval_months < 1 or pr.interval_months > 12 then
      errs.add("price.interval_months", "must be an integer 1..12")
    end
    if not is_obj(pr.billing_scheme) then errs.add("price.billing_scheme", "is required") end
    p.price = pr
  else
    errs.add("price.type", "must be ONE_TIME, FIXED_RECURRING or USAGE")
  end
  if body.external_references ~= nil and body.external_references ~= json.null then
    p.external_references = body.external_references
  end
  return p
end

---------------------------------------------------------------------------------------------
-- Lines

-- Tax of one TaxRateWithOptionalAmount on a net amount (minor units).
local function line_tax(errs, f, tr, net, cur, need_amount)
  local ok = M.check_tax_rate(errs, f, tr, cur, need_amount)
  if not ok then return 0 end
  if is_obj(tr.tax_amount) then return money.parse(tr.tax_amount.amount, cur) end
  return dec.mul_pct(money.format(net, cur), M.numstr(tr.percentage), money.exponent(cur))
end

-- items of CreateFullInvoiceItemRequest / CreateCreditMemoItemRequest -> stored lines.
-- keep: existing lines by id (a sim extension: an update may pass `id` to keep a line id).
function M.build_lines(errs, items, cur, kind, keep)
  local lines = json.array({})
  if not is_array(items) or #items == 0 then
    errs.add("items", "must be a non-empty array")
    return lines
  end
  local e = money.exponent(cur)
  for i, it in ipairs(items) do
    local f = ("items[%d]"):format(i - 1)
    if not is_obj(it) then errs.add(f, "must be an object"); goto continue end
    if not nonempty_str(it.description) then errs.add(f .. ".description", "is required") end
    local pr = it.price
    if not is_obj(pr) then errs.add(f .. ".price", "is required"); goto continue end
    if not nonempty_str(pr.product_id) or not db.row("product", pr.product_id) then
      errs.add(f .. ".price.product_id", "must name an existing product")
    end
    local q = M.numstr(pr.quantity)
    local qn = dec.parse(q or "")
    if not q or not qn or qn < 0 or (kind == "invoice" and qn == 0) then
      errs.add(f .. ".price.quantity", kind == "invoice" and "must be a number > 0" or "must be a number >= 0")
      goto continue
    end
    local apu = pr.amount_per_unit
    if not is_obj(apu) or type(apu.amount) ~= "string" or not dec.parse(apu.amount) or not money.is_decimal(apu.amount) then
      errs.add(f .. ".price.amount_per_unit.amount", "must be a decimal string")
      goto continue
    end
    if apu.currency ~= cur then
      errs.add(f .. ".price.amount_per_unit.currency", "must be the document currency " .. cur)
      goto continue
    end
    do
      local gross = dec.mul(apu.amount, q, e)
      local disc = 0
      local d = pr.discount
      if is_obj(d) then
        if d.type == "PERCENTAGE" then
          local ps = M.numstr(d.percentage_off)
          if not ps or not dec.between(ps, 0, 100) then
            errs.add(f .. ".price.discount.percentage_off", "must be a number between 0 and 100")
          else
            disc = dec.mul_pct(money.format(gross, cur), ps, e)
          end
        else
          local ao = d.amount_off
          local mn = is_obj(ao) and ao.currency == cur and type(ao.amount) == "string" and money.parse(ao.amount, cur)
          if not mn or mn < 0 or mn > gross then
            errs.add(f .. ".price.discount.amount_off", "must be a rounded amount in " .. cur .. " not above the line amount")
          else disc = mn end
        end
      end
      local net = gross - disc
      local taxed = 0
      if it.tax_rate ~= nil and it.tax_rate ~= json.null then
        taxed = line_tax(errs, f .. ".tax_rate", it.tax_rate, net, cur, false)
      end
      local unit = dec.rescale(dec.parse(apu.amount), select(2, dec.parse(apu.amount)), e)
      local id = (keep and type(it.id) == "string" and keep[it.id]) and it.id or M.uuid()
      local line = {
        id = id, description = it.description, product_id = pr.product_id,
        quantity = pr.quantity, revenue = is_obj(it.revenue) and it.revenue or {},
        total_amount = M.m(net, cur), taxed_amount = M.m(taxed, cur),
      }
      if kind == "invoice" then
        line.total_discount = M.m(disc, cur)
        line.gross_rate = M.m(unit, cur)
        line.external_references = json.array({})
      else
        line.net_amount = M.m(net, cur)
      end
      if is_array(it.fields) then line.fields = it.fields end
      lines[#lines + 1] = line
    end
    ::continue::
  end
  return lines
end

---------------------------------------------------------------------------------------------
-- Totals and status

-- extra = {paid = minor, credited = minor, taxes = {[line_id] = tax_rates}}
function M.invoice_totals(inv, extra, cur)
  cur = cur or inv.total.currency
  local sub, disc, taxed = 0, 0, 0
  for _, l in ipairs(inv.items) do
    local net = M.minor(l.total_amount, cur)
    local d = M.minor(l.total_discount, cur)
    sub = sub + net + d
    disc = disc + d
    taxed = taxed + M.minor(l.taxed_amount, cur)
  end
  local net = sub - disc
  local total = net + taxed
  local paid, credited = extra.paid or 0, extra.credited or 0
  local due = total - paid - credited
  if due < 0 then due = 0 end
  inv.subtotal, inv.total_discount, inv.net_amount = M.m(sub, cur), M.m(disc, cur), M.m(net, cur)
  inv.taxed_amount, inv.total, inv.amount_due = M.m(taxed, cur), M.m(total, cur), M.m(due, cur)
  local st
  if extra.voided then st = "VOIDED" -- /_sim/invoices/{id}/void (books.lua)
  elseif inv.status == "UNBILLED" and paid == 0 and credited == 0 then st = "UNBILLED"
  elseif due == 0 and total > 0 then
    st = (credited >= total) and "CREDITED" or (paid > 0 and "PAID" or "CREDITED")
  elseif paid > 0 then st = "PARTIALLY_PAID"
  elseif credited > 0 then st = "PARTIALLY_CREDITED"
  elseif due == 0 then st = "PAID"
  else st = "UNPAID" end
  inv.status = st
  inv.overdue = (st ~= "PAID" and st ~= "CREDITED" and st ~= "VOIDED") and type(inv.due_date) == "string"
                and inv.due_date < time.date(require("state").now()) or false
  return inv
end

-- The invoice as the API shows it. Stored lines always hold the net amount; under the
-- `line_amounts: "gross"` setting (state.lua) a line's total_amount is shown before its
-- total_discount (the invoice's subtotal, total_discount and net_amount are unchanged:
-- subtotal = sum(total_amount), net_amount = subtotal - total_discount). Returns a copy.
function M.render_invoice(inv)
  if type(inv) ~= "table" or type(inv.items) ~= "table" or inv.invoice_number == nil then return inv end
  if require("state").config().line_amounts ~= "gross" then return inv end
  local out = {}
  for k, v in pairs(inv) do out[k] = v end
  local items = json.array({})
  for i, l in ipairs(inv.items) do
    local c = {}
    for k, v in pairs(l) do c[k] = v end
    if type(l.total_discount) == "table" and type(l.total_amount) == "table" then
      local cur = l.total_amount.currency
      c.total_amount = M.m(M.minor(l.total_amount, cur) + M.minor(l.total_discount, cur), cur)
    end
    items[i] = c
  end
  out.items = items
  return out
end

-- The same for a stored invoice body (JSON text), as listed or fetched.
function M.render_invoice_body(text)
  if require("state").config().line_amounts ~= "gross" then return text end
  local inv = json.decode(text)
  if type(inv) ~= "table" then return text end
  return json.canonical(M.render_invoice(inv))
end

function M.memo_totals(cm, extra, cur) -- luacheck: no unused args (the shared signature)
  cur = cur or cm.total.currency
  local net, taxed = 0, 0
  for _, l in ipairs(cm.items) do
    net = net + M.minor(l.net_amount, cur)
    taxed = taxed + M.minor(l.taxed_amount, cur)
  end
  local total = net + taxed
  local applied = 0
  for _, a in ipairs(cm.applications) do applied = applied + M.minor(a.amount, cur) end
  cm.net_amount, cm.taxed_amount, cm.total = M.m(net, cur), M.m(taxed, cur), M.m(total, cur)
  cm.applied_amount = M.m(applied, cur)
  local rem = total - applied
  if rem < 0 then rem = 0 end
  cm.remaining_amount = M.m(rem, cur)
  if cm.status ~= "REFUNDED" then
    cm.status = applied == 0 and "UNAPPLIED" or (rem == 0 and "APPLIED" or "PARTIALLY_APPLIED")
  end
  return cm
end

---------------------------------------------------------------------------------------------
-- Taxes write-back (UpdateTaxesRequest)

local TAX_TYPES = { VAT = true, SALES_TAX = true }

-- Validates a TaxRate (need_amount) or TaxRateWithOptionalAmount. Returns true when valid.
function M.check_tax_rate(errs, f, tr, cur, need_amount)
  if not is_obj(tr) then errs.add(f, "must be an object"); return false end
  local ok = true
  local function bad(k, msg) errs.add(f .. "." .. k, msg); ok = false end
  if not TAX_TYPES[tr.type] then bad("type", "must be VAT or SALES_TAX") end
  if type(tr.country) ~= "string" or not tr.country:match("^%u%u$") then
    bad("country", "must be an ISO 3166-1 alpha-2 country code")
  end
  if not nonempty_str(tr.description) then bad("description", "is required") end
  if not json.is_number(tr.percentage) then
    bad("percentage", "must be a JSON number between 0 and 100")
  elseif not dec.between(M.numstr(tr.percentage), 0, 100) then
    bad("percentage", "must be between 0 and 100")
  end
  local ta = tr.tax_amount
  if ta == nil or ta == json.null then
    if need_amount then bad("tax_amount", "is required") end
  elseif not is_obj(ta) then
    bad("tax_amount", "must be a RoundedMonetaryAmount {amount, currency}")
  else
    if type(ta.currency) ~= "string" or not money.exponent(ta.currency) then
      bad("tax_amount.currency", "must be an ISO 4217 currency code")
    elseif ta.currency ~= cur then
      bad("tax_amount.currency", "must equal the document currency " .. cur)
    end
    if type(ta.amount) ~= "string" then
      bad("tax_amount.amount", "must be a decimal string")
    elseif not money.is_decimal(ta.amount) then
      bad("tax_amount.amount", "must be a decimal string")
    elseif type(ta.currency) == "string" and money.exponent(ta.currency)
           and not money.parse(ta.amount, ta.currency) then
      bad("tax_amount.amount", ("must be rounded to %d decimal places for %s"):format(
        money.exponent(ta.currency), ta.currency))
    elseif ta.amount:sub(1, 1) == "-" then
      bad("tax_amount.amount", "must not be negative")
    end
  end
  return ok
end

-- Apply an UpdateTaxesRequest body to a document (invoice or credit memo) in place.
-- Raises a 400 problem naming the field when invalid.
-- The rates of a line as the simulator keeps them (setting tax_rates_per_line): as written,
-- or folded to one per type (amounts and percentages summed exactly, the first description).
local function dec_add(a, b)
  local an, as = dec.parse(a)
  local bn, bs = dec.parse(b)
  local sc = math.max(as, bs)
  local n = an * dec.pow10(sc - as) + bn * dec.pow10(sc - bs)
  if sc == 0 then return string.format("%d", n) end
  local neg, d = n < 0 and "-" or "", string.format("%0" .. (sc + 1) .. "d", n < 0 and -n or n)
  return neg .. d:sub(1, #d - sc) .. "." .. d:sub(#d - sc + 1)
end

function M.keep_rates(rates, cur)
  if state.config().tax_rates_per_line ~= "one_per_type" then return rates end
  local out, by_type = json.array({}), {}
  for _, tr in ipairs(rates) do
    local k = by_type[tr.type]
    if not k then
      out[#out + 1] = { type = tr.type, country = tr.country, description = tr.description,
                        percentage = json.number(M.numstr(tr.percentage)),
                        tax_amount = { amount = tr.tax_amount.amount, currency = tr.tax_amount.currency } }
      by_type[tr.type] = out[#out]
    else
      local a = money.parse(k.tax_amount.amount, cur) + money.parse(tr.tax_amount.amount, cur)
      k.tax_amount.amount = M.m(a, cur).amount
      k.percentage = json.number(dec_add(M.numstr(k.percentage), M.numstr(tr.percentage)))
    end
  end
  return out
end

function M.apply_taxes(doc, extra, body, cur)
  local errs = P.errors()
  if not is_obj(body) then
    errs.add("body", "must be a JSON object"); errs.raise()
  end
  if body.taxes_calculated_at == nil or body.taxes_calculated_at == json.null then
    errs.add("taxes_calculated_at", "is required")
  elseif not M.utc_datetime(body.taxes_calculated_at) then
    errs.add("taxes_calculated_at", "must be an ISO 8601 UTC date-time ending with 'Z'")
  end
  local items = body.items
  local lines_by_id = {}
  for _, l in ipairs(doc.items) do lines_by_id[l.id] = l end
  local updates = {}
  if items == nil or items == json.null then
    errs.add("items", "is required")
  elseif not is_array(items) or #items == 0 then
    errs.add("items", "must be a non-empty array")
  else
    local seen = {}
    for i, it in ipairs(items) do
      local f = ("items[%d]"):format(i - 1)
      if not is_obj(it) then errs.add(f, "must be an object"); goto continue end
      if not nonempty_str(it.id) then
        errs.add(f .. ".id", "is required")
      elseif not lines_by_id[it.id] then
        errs.add(f .. ".id", "is not a line of this document")
      elseif seen[it.id] then
        errs.add(f .. ".id", "is listed twice")
      end
      seen[it.id or ""] = true
      local rates = it.tax_rates
      if rates == nil or rates == json.null then rates = json.array({}) end
      if not is_array(rates) then
        errs.add(f .. ".tax_rates", "must be an array")
        goto continue
      end
      do
        local sum = 0
        for j, tr in ipairs(rates) do
          local ff = ("%s.tax_rates[%d]"):format(f, j - 1)
          if M.check_tax_rate(errs, ff, tr, cur, true) then
            sum = sum + money.parse(tr.tax_amount.amount, cur)
          end
        end
        updates[#updates + 1] = { id = it.id, sum = sum, rates = M.keep_rates(rates, cur) }
      end
      ::continue::
    end
  end
  -- the document's lines the write does not list (rillet-api.md 3.6: not documented)
  local omitted_mode = state.config().taxes_omitted_lines
  if omitted_mode ~= "keep" and #updates > 0 then
    local listed, missing = {}, {}
    for _, u in ipairs(updates) do listed[u.id] = true end
    for _, l in ipairs(doc.items) do if not listed[l.id] then missing[#missing + 1] = l.id end end
    if #missing > 0 and omitted_mode == "refuse" then
      errs.add("items", "must list every line of the document (missing: " .. table.concat(missing, ", ") .. ")")
    elseif #missing > 0 then -- "clear": as if listed with tax_rates []
      for _, id in ipairs(missing) do updates[#updates + 1] = { id = id, sum = 0, rates = json.array({}) } end
    end
  end
  errs.raise()
  extra.taxes = extra.taxes or {}
  for _, u in ipairs(updates) do
    lines_by_id[u.id].taxed_amount = M.m(u.sum, cur)
    extra.taxes[u.id] = u.rates
  end
  extra.taxes_calculated_at = body.taxes_calculated_at
  extra.tax_writes = (extra.tax_writes or 0) + 1
end

return M
