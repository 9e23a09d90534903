-- Rillet <-> levy mappings: THE place to customise how levy reads your Rillet data.
--
-- Every function here is small and pure (no I/O, no clock): it gets decoded Rillet JSON
-- (tables as Rillet sends them; `levy.json.null` for nulls; numbers as integers or JSON
-- number literals) and returns plain values. Edit this file and reload (SIGHUP,
-- POST /admin/reload or --watch); a document is re-taxed when its tax inputs change.
-- See docs/connector.md for examples.
local json = require "levy.json"
local util = require "util"

local M = {}

local function nn(v) return util.nonnull(v) end

local function usable_address(a)
  a = nn(a)
  if type(a) ~= "table" then return nil end
  local country = nn(a.country)
  if type(country) ~= "string" or country == "" then return nil end
  return a
end

local function address(a)
  a = usable_address(a)
  if not a then return nil end
  local out = {}
  for _, k in ipairs({ "line1", "line2", "city", "state", "zip_code", "country" }) do
    local v = nn(a[k])
    if type(v) == "string" and v ~= "" then out[k] = v end
  end
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
-- 3. Customer -> tax id (and exemption hints). Rillet has no tax-id or exemption field;
--    many teams keep them in external references or custom fields. Examples:
--      external reference of type "vat" / "tax_id"  -> tax id
--    Exemptions set in levy (PUT /v1/customers/{id}) always win.
---------------------------------------------------------------------------------------
M.customer_tax_id_reference_types = { vat = true, vat_id = true, tax_id = true, gst = true, abn = true }

function M.customer_tax_id(customer)
  if type(customer) ~= "table" then return nil end
  local refs = nn(customer.external_references)
  if type(refs) == "table" then
    for _, ref in ipairs(refs) do
      local t = tostring(nn(ref.type) or ""):lower()
      if M.customer_tax_id_reference_types[t] and type(nn(ref.id)) == "string" then return ref.id end
    end
  end
  return nil
end

---------------------------------------------------------------------------------------
-- 4. Line -> calculation line. Rillet's InvoiceItem.total_amount is the line amount after
--    its total_discount (subtotal = sum(total_amount + total_discount)), so levy taxes
--    total_amount as is. If your data has gross amounts, set the flag below to false and
--    levy sends total_discount as the line's discount.
---------------------------------------------------------------------------------------
M.line_amount_includes_discount = true   -- Rillet's total_amount is net of total_discount; set false if yours is gross

function M.line(doc_type, item)
  local amount = util.amount(item.total_amount) or "0"
  local discount = util.amount(item.total_discount)
  if M.line_amount_includes_discount or doc_type == "credit_memo" then discount = nil end
  local line = {
    id = nn(item.id),
    amount = amount,
    quantity = util.num_str(item.quantity),
    product_id = nn(item.product_id),
  }
  if discount and discount ~= "0" and discount ~= "0.00" then line.discount = discount end
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

function M.should_tax(doc, doc_type)
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
M.rillet_type = { VAT = "VAT", GST = "VAT", HST = "VAT", PST = "VAT", QST = "VAT", SALES_TAX = "SALES_TAX" }

local function title(s)
  s = tostring(s or ""):lower()
  return (s:gsub("(%a)([%w']*)", function(a, b) return a:upper() .. b end))
end

local type_words = { SALES_TAX = "sales tax", VAT = "VAT", GST = "GST", HST = "HST", PST = "PST", QST = "QST" }

-- Description Rillet shows for a rate, e.g. "California state sales tax".
function M.describe(tax)
  local j = title(tax.jurisdiction)
  local lvl = tax.level and tax.level ~= "country" and (" " .. tax.level) or ""
  return j .. lvl .. " " .. (type_words[tax.type] or tostring(tax.type or "tax"))
end

-- line_result: one line of the calculation result (CONTRACT §2.5); country: ship-to
-- country; currency: document currency. Returns an array (possibly empty) of TaxRate.
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
  if #out == 0 then return json.empty_array end
  return out
end

return M
