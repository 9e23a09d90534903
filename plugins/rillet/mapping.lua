-- Rillet <-> levy mappings: THE place to customise how levy reads your Rillet data.
--
-- Every function here is small and pure (no I/O, no clock): it gets decoded Rillet JSON
-- (tables as Rillet sends them; `levy.json.null` for nulls; numbers as integers or JSON
-- number literals) and returns plain values. Edit this file and reload (SIGHUP,
-- POST /admin/reload or --watch); a document is re-taxed when its tax inputs change.
-- See docs/connector.md for examples.
local json = require "levy.json"
local money = require "levy.money"
local util = require "util"
local lutil = require "levy.util"

local M = {}

local nn = lutil.nn

local function usable_address(a)
  a = nn(a)
  if type(a) ~= "table" then return nil end
  local country = nn(a.country)
  if type(country) ~= "string" or country == "" then return nil end
  return a
end

-- A US ZIP+4 as levy reads it: "66210 1050", "66210-1050" and "662101050" -> "66210-1050"
-- (issue 19, address precision: the +4 locates an address in a ZIP5 that spans several
-- rates; Rillet's Address.zip_code is a free string). Anything else is kept as written.
local function us_zip(z)
  local five, four = z:match("^%s*(%d%d%d%d%d)[%s%-]*(%d%d%d%d)%s*$")
  if five then return five .. "-" .. four end
  return (z:match("^%s*(%d%d%d%d%d)%s*$")) or z
end
M.us_zip = us_zip

-- Rillet's Address (line1, line2, city, state, zip_code, country) as levy's request reads it:
-- the street line and the city pass through with the ZIP+4, so a document is located as
-- precisely as its address allows (an SST boundary file's ZIP+4 or street records).
local function address(a)
  a = usable_address(a)
  if not a then return nil end
  local out = {}
  for _, k in ipairs({ "line1", "line2", "city", "state", "zip_code", "country" }) do
    local v = nn(a[k])
    if type(v) == "string" and v ~= "" then out[k] = v end
  end
  if out.zip_code and (out.country == "US" or out.country == "PR") then out.zip_code = us_zip(out.zip_code) end
  return out
end
M.address = address

---------------------------------------------------------------------------------------
-- 1. Ship-to: which address decides the tax region.
--    Invoices: shipping_address, else customer_address, else the customer's
--    shipping_address, else the customer's address. Credit memos: their `address`
--    (when applied to an invoice, the invoice's ship-to is used instead: see sync.lua).
---------------------------------------------------------------------------------------
function M.ship_to(doc_type, doc, customer)
  if doc_type == "credit_memo" then
    return address(doc.address)
      or (customer and (address(customer.shipping_address) or address(customer.address)))
  end
  return address(doc.shipping_address)
    or address(doc.customer_address)
    or (customer and (address(customer.shipping_address) or address(customer.address)))
end

-- Ship-from: the seller address printed on the invoice (Invoice.address); nil lets levy
-- use the seller address from settings. Credit memos have no seller address.
function M.ship_from(doc_type, doc)
  if doc_type == "invoice" then return address(doc.address) end
  return nil
end

-- Document date used for rates.
function M.doc_date(doc_type, doc)
  if doc_type == "credit_memo" then return nn(doc.credit_memo_date) end
  return nn(doc.invoice_date)
end

---------------------------------------------------------------------------------------
-- 2. Product -> default levy tax code (the user can still override it per product with
--    PUT /v1/products/{id}, which wins). Return nil to keep levy's default ("general").
--    Rules are tried in order; first match wins. Examples of what you can match:
--      name / description (Lua patterns, lower-cased), account_code (revenue account),
--      external_references ({type,id}), custom field assignments on the product.
---------------------------------------------------------------------------------------
M.product_rules = {
  -- { account_code = "4100", tax_code = "saas" },
  -- { external_reference_type = "avalara", map = { SW052000 = "saas" } },
  -- the product taxonomy's refinements (GET /v1/tax-codes; docs/rules.md section 2a), before
  -- the broad words below that would catch them
  { name = "gift card", tax_code = "gift_card" },
  { name = "late fee", tax_code = "finance_charge" },
  { name = "custom software", tax_code = "custom_software" },
  { name = "custom development", tax_code = "custom_programming" },
  { name = "webinar", tax_code = "online_course_live" },
  { name = "on%-demand course", tax_code = "online_course_recorded" },
  { name = "installation", tax_code = "installation" },
  { name = "subscription", tax_code = "saas" },
  { name = "saas", tax_code = "saas" },
  { name = "software licen[cs]e", tax_code = "saas" },
  { name = "platform", tax_code = "saas" },
  { name = "download", tax_code = "software_download" },
  { name = "e%-?book", tax_code = "digital_goods" },
  { name = "consult", tax_code = "professional_services" },
  { name = "implementation", tax_code = "professional_services" },
  { name = "onboarding", tax_code = "professional_services" },
  { name = "professional service", tax_code = "professional_services" },
  { name = "training", tax_code = "training" },
  { name = "shipping", tax_code = "shipping" },
  { name = "freight", tax_code = "shipping" },
  { name = "t%-shirt", tax_code = "clothing" },
  { name = "apparel", tax_code = "clothing" },
}

function M.product_tax_code(product)
  if type(product) ~= "table" then return nil end
  local name = (tostring(nn(product.name) or "") .. " " .. tostring(nn(product.description) or "")):lower()
  local account = nn(product.account_code)
  local refs = nn(product.external_references)
  for _, r in ipairs(M.product_rules) do
    if r.name and name:find(r.name) then return r.tax_code end
    if r.account_code and account == r.account_code then return r.tax_code end
    if r.external_reference_type and type(refs) == "table" then
      for _, ref in ipairs(refs) do
        if nn(ref.type) == r.external_reference_type then
          local code = r.map and r.map[nn(ref.id)] or r.tax_code
          if code then return code end
        end
      end
    end
  end
  return nil
end

---------------------------------------------------------------------------------------
-- 3. Customer -> tax id and exemption. Rillet has no tax-id or exemption field; teams keep
--    them in external references ({type, id}) or in custom fields (Rillet `fields`: a field
--    has a name and pick-list values; a customer carries {field_id, field_value_id} pairs).
--    levy resolves the custom fields by name (GET /fields, cached per connection) and hands
--    them here as `fields` = { ["VAT number"] = "GB980780684", ["Tax exempt"] = "Yes" }.
--    `conf` is the `customer_data` setting (PUT /v1/settings, no Lua needed): its lists
--    add to the ones below. Names and types are compared case- and punctuation-
--    insensitively ("vat-id" = "VAT ID" = "vat_id" = "VATID").
--    Values set in levy (PUT /v1/customers/{id}) always win.
---------------------------------------------------------------------------------------
-- external_references types that hold a tax id (first match in the customer's order wins)
M.customer_tax_id_reference_types = { "vat", "vat-id", "vat_number", "vat-no", "vat-reg-no", "tax_id",
  "tax_number", "tin", "gst", "gst_number", "gstin", "hst", "abn", "ein", "ust-idnr", "nif",
  "btw", "piva" }
-- custom fields (by name) whose value is the tax id; tried after the external references
M.customer_tax_id_fields = { "VAT number", "VAT ID", "VAT", "Tax ID", "Tax number", "GST number", "ABN", "EIN" }
-- custom fields (by name) whose value says the customer is exempt (M.exempt_values)
M.customer_exempt_fields = { "Tax exempt", "Exempt", "Tax exemption" }
-- values of an exemption field that mean exempt (anything else: not exempt)
M.exempt_values = { "yes", "y", "true", "exempt", "1", "tax exempt" }

-- "VAT-Id" -> "vatid": lower case, letters and digits only.
function M.norm(s)
  if type(s) ~= "string" then return "" end
  return (s:lower():gsub("[^%w]", ""))
end

-- A list ({"vat", ...}, or a set {vat = true} as older mapping.lua files had) plus the
-- setting's list -> set of normalised names, with their order (list first) at set[i].
local function name_set(list, extra)
  local set = {}
  local function add(v)
    local k = M.norm(v)
    if k ~= "" and not set[k] then set[k] = true; set[#set + 1] = k end
  end
  list = type(list) == "table" and list or {}
  for _, v in ipairs(list) do if type(v) == "string" then add(v) end end
  local keys = {}
  for k, v in pairs(list) do if v == true and type(k) == "string" then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do add(k) end
  for _, v in ipairs(type(extra) == "table" and extra or {}) do if type(v) == "string" then add(v) end end
  return set
end

-- The first of `names` (a name_set's order list) that the customer's fields carry with a
-- non-blank value: its field name and value.
local function field_value(fields, names)
  if type(fields) ~= "table" then return nil end
  local by_norm = {}
  for name, v in pairs(fields) do
    if type(name) == "string" and type(v) == "string" and v:match("%S") then
      local k = M.norm(name)
      -- two fields whose names normalise alike: the alphabetically first name, not table order
      if not by_norm[k] or name < by_norm[k][1] then by_norm[k] = { name, v } end
    end
  end
  for _, k in ipairs(names) do
    if by_norm[k] then return by_norm[k][1], by_norm[k][2] end
  end
  return nil
end

-- The value of a customer attribute Rillet has no field for: the first external reference
-- whose type is in `types`, else the first custom field named in `names`; the value and where
-- it came from, or nil.
local function customer_attr(customer, fields, types, names)
  local refs = nn(customer.external_references)
  if type(refs) == "table" then
    for _, ref in ipairs(refs) do
      local t = type(ref) == "table" and nn(ref.type)
      local id = type(ref) == "table" and nn(ref.id)
      if type(t) == "string" and types[M.norm(t)] and type(id) == "string" and id:match("%S") then
        return lutil.trim(id), "external reference " .. t
      end
    end
  end
  local name, v = field_value(fields, names)
  if name then return lutil.trim(v), "custom field " .. name end
  return nil
end

-- Returns the tax id and where it came from ("external reference vat-id",
-- "custom field VAT number"), or nil.
function M.customer_tax_id(customer, fields, conf)
  if type(customer) ~= "table" then return nil end
  conf = type(conf) == "table" and conf or {}
  return customer_attr(customer, fields, name_set(M.customer_tax_id_reference_types, conf.tax_id_reference_types),
    name_set(M.customer_tax_id_fields, conf.tax_id_fields))
end

-- Returns true/false and where it came from ("custom field Tax exempt = Yes") when an
-- exemption field is set on the customer, else nil (levy's own exemption stays as it is).
function M.customer_exempt(customer, fields, conf)
  if type(customer) ~= "table" then return nil end
  conf = type(conf) == "table" and conf or {}
  local name, v = field_value(fields, name_set(M.customer_exempt_fields, conf.exempt_fields))
  if not name then return nil end
  local yes = name_set(M.exempt_values, conf.exempt_values)
  return yes[M.norm(v)] == true, "custom field " .. name .. " = " .. v
end

-- Customer type (issue 19: business vs personal use; CT, MD, IA, OH, WA, NJ tax some codes
-- differently). Rillet's Customer has no such field (docs/rillet-assumptions.md): a custom
-- field by name says it, its value compared against the two value lists below (names and
-- values normalised as above; conf.customer_type_fields / business_values /
-- individual_values add to them). Nothing said: the default_customer_type setting applies.
M.customer_type_fields = { "Customer type", "Customer category", "Business or consumer", "B2B or B2C",
  "Buyer type", "Purchase use" }
M.business_values = { "business", "b2b", "company", "corporate", "commercial", "organization",
  "organisation", "enterprise", "business use" }
M.individual_values = { "individual", "b2c", "consumer", "personal", "person", "private",
  "personal use", "household" }

-- Returns "business" / "individual" and where it came from ("custom field Customer type =
-- Consumer"), or nil (a value in neither list says nothing: logged by the caller's detail).
function M.customer_type(customer, fields, conf)
  if type(customer) ~= "table" then return nil end
  conf = type(conf) == "table" and conf or {}
  local name, v = field_value(fields, name_set(M.customer_type_fields, conf.customer_type_fields))
  if not name then return nil end
  local k = M.norm(v)
  local detail = "custom field " .. name .. " = " .. v
  if name_set(M.business_values, conf.business_values)[k] then return "business", detail end
  if name_set(M.individual_values, conf.individual_values)[k] then return "individual", detail end
  return nil
end

-- Quebec QST registration number (issue 19: the QST specified system, docs/rules.md section
-- 2). Rillet's Customer has no tax-registration field of its own (docs/rillet-assumptions.md):
-- an external reference of one of these types, else a custom field of one of these names,
-- holds it (conf.qst_number_reference_types / qst_number_fields add to them). The api plugin
-- keeps only a number of the regular system (10 digits, TQ, 4 digits); anything else is
-- ignored with a WARN log.
M.customer_qst_number_reference_types = { "qst", "qst_number", "qst-no", "tvq", "tvq_number", "qst_registration" }
M.customer_qst_number_fields = { "QST number", "QST", "QST registration number", "TVQ", "TVQ number",
  "Numero de TVQ" }

-- Returns the QST number and where it came from ("external reference qst", "custom field
-- QST number"), or nil.
function M.customer_qst_number(customer, fields, conf)
  if type(customer) ~= "table" then return nil end
  conf = type(conf) == "table" and conf or {}
  return customer_attr(customer, fields,
    name_set(M.customer_qst_number_reference_types, conf.qst_number_reference_types),
    name_set(M.customer_qst_number_fields, conf.qst_number_fields))
end

---------------------------------------------------------------------------------------
-- 4. Line -> calculation line. Rillet's docs leave open whether InvoiceItem.total_amount
--    is the line amount after its total_discount ("net": the spec's amount_per_unit is the
--    rate after the discount) or before it ("gross": the discount is taken off at the
--    invoice level). levy taxes the discounted amount either way: net lines are sent as is,
--    gross lines with total_discount as the line's discount. Which reading a document uses
--    is read from its own totals (M.line_reading); where they cannot tell, the connection's
--    `line_amounts` setting decides (default "net"). docs/rillet-assumptions.md.
---------------------------------------------------------------------------------------

-- Used only when no reading is given (older callers): true = "net", false = "gross".
M.line_amount_includes_discount = true

local function eq(a, b)
  if type(a) ~= "string" or type(b) ~= "string" then return false end
  local ok, c = pcall(money.cmp, a, b)
  return ok and c == 0
end

local function arith(f, a, b, cur)
  local ok, v = pcall(f, a, b, cur)
  if ok and type(v) == "string" then return v end
  return nil
end

local function sum_lines(items, field, cur)
  local total = "0"
  for _, it in ipairs(items) do
    if type(it) == "table" then
      local a = util.amount(it[field])
      if a == nil then a = "0" end
      if type(a) ~= "string" or not money.is_decimal(a) then return nil end
      total = arith(money.add, total, a, cur)
      if not total then return nil end
    end
  end
  return total
end

-- Which reading of the line amounts a document uses: returns reading ("net" | "gross"),
-- how ("no_discount" | "totals" | "setting") and a short explanation. `setting` is the
-- connection's `line_amounts` ("net" | "gross"; anything else counts as "net").
--   net:   sum(total_amount) = net_amount  and  sum(total_amount) + sum(total_discount) = subtotal
--   gross: sum(total_amount) = subtotal    and  sum(total_amount) - sum(total_discount) = net_amount
-- With no discount both hold and agree (no decision needed); with a discount at most one
-- holds (they would need sum(total_discount) = 0). Neither holds when the totals are
-- missing, unreadable or carry a discount that is not on the lines: the setting decides.
function M.line_reading(doc_type, doc, setting)
  setting = setting == "gross" and "gross" or "net"
  local items = type(doc) == "table" and nn(doc.items)
  if doc_type ~= "invoice" or type(items) ~= "table" then
    return "net", "no_discount", "no line discounts"
  end
  local cur = util.currency(doc.subtotal) or util.currency(doc.net_amount) or util.currency(doc.total)
  if type(cur) ~= "string" or not money.exponent(cur) then
    return setting, "setting", "document currency unknown"
  end
  local ta, td = sum_lines(items, "total_amount", cur), sum_lines(items, "total_discount", cur)
  if not ta or not td then return setting, "setting", "line amounts unreadable" end
  if eq(td, "0") then return "net", "no_discount", "no line discounts" end
  local sub, net = util.amount(doc.subtotal), util.amount(doc.net_amount)
  if type(sub) ~= "string" or type(net) ~= "string" or not money.is_decimal(sub) or not money.is_decimal(net) then
    return setting, "setting", "subtotal / net_amount missing"
  end
  local net_ok = eq(ta, net) and eq(arith(money.add, ta, td, cur), sub)
  local gross_ok = eq(ta, sub) and eq(arith(money.sub, ta, td, cur), net)
  local facts = "lines " .. ta .. ", line discounts " .. td .. ", subtotal " .. sub .. ", net_amount " .. net
  if net_ok and not gross_ok then return "net", "totals", facts end
  if gross_ok and not net_ok then return "gross", "totals", facts end
  return setting, "setting", "totals do not tell (" .. facts .. ")"
end

-- reading: "net" | "gross" (M.line_reading); nil = M.line_amount_includes_discount.
function M.line(doc_type, item, reading)
  if reading == nil then reading = M.line_amount_includes_discount and "net" or "gross" end
  local amount = util.amount(item.total_amount) or "0"
  local discount = util.amount(item.total_discount)
  if reading ~= "gross" or doc_type == "credit_memo" then discount = nil end
  local line = {
    id = nn(item.id),
    amount = amount,
    quantity = util.num_str(item.quantity),
    product_id = nn(item.product_id),
  }
  if type(discount) == "string" and money.is_decimal(discount) and not eq(discount, "0") then
    line.discount = discount
  end
  return line
end

---------------------------------------------------------------------------------------
-- 6. Which documents levy may write at all. Return false (and, optionally, a reason shown
--    to the user) to leave a document's tax alone: it is still calculated and listed with
--    reason `skipped_by_mapping`. Called before every write with the Rillet document
--    (invoice or credit memo) and its type. Example: invoices issued and taxed by another
--    billing system carry its external reference:
--
--      M.skip_external_reference_types = { stripe = true, chargebee = true }
--
--    Documents dated before the connection's `tax_documents_from`, paid / voided /
--    credited documents and closed books periods are handled by levy (docs/connector.md).
---------------------------------------------------------------------------------------
M.skip_external_reference_types = {}

function M.should_tax(doc, doc_type) -- luacheck: no unused args (doc_type is yours to use)
  local refs = type(doc) == "table" and nn(doc.external_references)
  if type(refs) == "table" then
    for _, ref in ipairs(refs) do
      local t = type(ref) == "table" and tostring(nn(ref.type) or ""):lower() or ""
      if M.skip_external_reference_types[t] then
        return false, "issued by " .. t .. " (external reference " .. tostring(nn(ref.id)) .. ")"
      end
    end
  end
  return true
end

---------------------------------------------------------------------------------------
-- 5. Result -> Rillet tax_rates for one line (POST /invoices/{id}/taxes).
--    Rillet knows only VAT and SALES_TAX: GST/HST/PST/QST are written as VAT.
--    `group_by_level = true` would merge jurisdictions of the same level.
---------------------------------------------------------------------------------------
--    A local tax outside sales tax (LEASE_TRANSACTION_TAX: Chicago's Personal Property Lease
--    Transaction Tax; AMUSEMENT_TAX: Chicago's Amusement Tax on streaming) is a US tax the
--    seller collects like a sales tax: written as SALES_TAX
--    under its own name, one entry of its own (docs/rillet-assumptions.md).
M.rillet_type = { VAT = "VAT", GST = "VAT", HST = "VAT", PST = "VAT", QST = "VAT", SALES_TAX = "SALES_TAX",
                  LEASE_TRANSACTION_TAX = "SALES_TAX", AMUSEMENT_TAX = "SALES_TAX" }

local function title(s)
  s = tostring(s or ""):lower()
  return (s:gsub("(%a)([%w']*)", function(a, b) return a:upper() .. b end))
end

local type_words = { SALES_TAX = "sales tax", VAT = "VAT", GST = "GST", HST = "HST", PST = "PST", QST = "QST",
                     LEASE_TRANSACTION_TAX = "lease transaction tax", AMUSEMENT_TAX = "amusement tax" }

-- Description Rillet shows for a rate, e.g. "California state sales tax"; a tax with its own
-- name (the result's `name`, e.g. "Chicago Personal Property Lease Transaction Tax") is
-- written under that name. A name that already says its level (issue 19: "ERIE COUNTY",
-- "RICHMOND CITY") does not repeat it.
function M.describe(tax)
  if type(tax.name) == "string" and tax.name ~= "" then return tax.name end
  local j = title(tax.jurisdiction)
  local lvl = tax.level and tax.level ~= "country" and (" " .. tax.level) or ""
  if lvl ~= "" and j:lower():sub(-#lvl) == lvl then lvl = "" end
  return j .. lvl .. " " .. (type_words[tax.type] or tostring(tax.type or "tax"))
end

-- line_result: one line of the calculation result (CONTRACT §2.5); country: ship-to
-- country; currency: document currency. Returns an array (possibly empty) of TaxRate.
-- A line without tax that carries a legal note (section 6: reverse charge, exemption) gets
-- one 0 % rate whose description is the note: Rillet's TaxRate has a required free-text
-- `description` and takes percentage 0 and a 0 amount, so the invoice shows why there is
-- no tax (Rillet has no other per-line text a write-back could set).
function M.tax_rates(line_result, country, currency)
  local out = {}
  if type(line_result) == "table" and type(line_result.taxes) == "table" then
    for _, t in ipairs(line_result.taxes) do
      local amt = t.amount
      if type(amt) == "string" and amt:match("[1-9]") then
        out[#out + 1] = {
          type = M.rillet_type[t.type] or "SALES_TAX",
          country = country,
          description = M.describe(t),
          percentage = json.number(t.percentage),
          tax_amount = { amount = amt, currency = currency },
        }
      end
    end
  end
  if #out == 0 and type(line_result) == "table" and type(line_result.note) == "string"
     and line_result.note ~= "" and type(line_result.tax) == "string" and not line_result.tax:match("[1-9]") then
    local t = type(line_result.taxes) == "table" and line_result.taxes[1] or nil
    out[1] = {
      type = (t and M.rillet_type[t.type]) or (country == "US" and "SALES_TAX" or "VAT"),
      country = country,
      description = line_result.note,
      percentage = json.number("0"),
      tax_amount = { amount = line_result.tax, currency = currency },
    }
  end
  if #out == 0 then return json.empty_array end
  return out
end

---------------------------------------------------------------------------------------
-- 6. Legal wording on lines without tax (written as the description of a 0 % rate, see
--    tax_rates): why a B2B line or an exempt customer's line carries no tax. ctx:
--    {region = the result's region ("EU", "GB", "US-CA"...), certificate = the customer's
--    exemption certificate set in levy (PUT /v1/customers/{id}) or nil}. Return a string,
--    or nil for no wording. Change the texts here (e.g. your own translation).
---------------------------------------------------------------------------------------
M.REVERSE_CHARGE_EU = "Reverse charge \u{2014} Article 196 Council Directive 2006/112/EC"
-- Canada (issue 19, setting ca_gst_regime = "simplified"): a simplified-regime registrant does
-- not collect from a GST/HST registrant (Excise Tax Act s. 211.1, "specified supply"); the
-- customer self-assesses where its use is not exclusively commercial (s. 217/218).
M.REVERSE_CHARGE_CA = "GST/HST not collected \u{2014} supply to a GST/HST registrant under the simplified regime (Excise Tax Act s. 211.1); the recipient self-assesses where required"
-- Quebec (issue 19, setting qc_qst_regime = "specified"): a seller under the specified QST
-- registration system collects only from persons not registered for QST (Act respecting the
-- QST, s. 477.1 ff.); a line may have its QST, its GST/HST or both not collected.
M.REVERSE_CHARGE_QC = "QST not collected \u{2014} supply to a QST registrant by a supplier under the specified registration system (Act respecting the QST); the recipient self-assesses where required"

-- Which of a Canadian line's taxes were not collected (a 0 amount): GST/HST, QST.
local function ca_zero(line_result)
  local gst, qst = false, false
  for _, t in ipairs(type(line_result.taxes) == "table" and line_result.taxes or {}) do
    local zero = type(t.amount) == "string" and t.amount:match("^%-?[0.]+$") ~= nil
    if zero and (t.type == "GST" or t.type == "HST") then gst = true end
    if zero and t.type == "QST" then qst = true end
  end
  return gst, qst
end

function M.legal_note(line_result, ctx)
  if type(line_result) ~= "table" then return nil end
  local why = line_result.taxability_reason
  if why == "reverse_charge" then
    if ctx.region == "EU" then return M.REVERSE_CHARGE_EU end
    if ctx.region == "CA" then
      local gst, qst = ca_zero(line_result)
      if qst and gst then return M.REVERSE_CHARGE_CA .. "; " .. M.REVERSE_CHARGE_QC end
      if qst then return M.REVERSE_CHARGE_QC end
      return M.REVERSE_CHARGE_CA
    end
    -- outside the EU (GB, CH, NO, AU, NZ, SG...) the directive does not apply
    local t = type(line_result.taxes) == "table" and line_result.taxes[1] or {}
    return "Reverse charge \u{2014} the customer accounts for the " .. (type_words[t.type] or "tax")
  elseif why == "customer_exempt" then
    if type(ctx.certificate) == "string" and ctx.certificate ~= "" then
      return "Exempt: certificate " .. ctx.certificate
    end
    return "Exempt: customer exemption"
  end
  return nil
end

return M
