-- Deterministic demo data: same seed -> same bytes (ids, names, dates, amounts from a
-- xorshift PRNG; timestamps from a fixed base, never the clock).
local json = require "levy.json"
local store = require "levy.store"
local time = require "levy.time"
local crypto = require "levy.crypto"
local prng = require "prng"
local db = require "db"
local docs = require "docs"
local state = require "state"

local M = {}

-- Real addresses; every US ZIP exists in data/us/avalara-zip5-2025-12. Denver 80123 (south-west
-- Denver; the ZIP also reaches Littleton and unincorporated Jefferson County) is one levy
-- locates at ZIP level only: Denver's city tax on SaaS is charged on the city name with the
-- note local_tax_uncertain (scripts/us/co.lua `partial_zips`), the Home item "N invoices were
-- taxed at a ZIP-level rate".
M.US = {
  { "Irvine", "CA", "92614" }, { "Los Angeles", "CA", "90002" }, { "San Francisco", "CA", "94103" },
  { "Austin", "TX", "78701" }, { "Dallas", "TX", "75201" }, { "Chicago", "IL", "60601" },
  { "New York", "NY", "10001" }, { "Brooklyn", "NY", "11201" }, { "Seattle", "WA", "98101" },
  { "Nashville", "TN", "37203" }, { "Ramsey", "NJ", "07446" }, { "Portland", "OR", "97201" },
  { "Hartford", "CT", "06103" }, { "Miami", "FL", "33101" }, { "Denver", "CO", "80123" },
  { "Atlanta", "GA", "30303" }, { "Boston", "MA", "02108" }, { "Philadelphia", "PA", "19103" },
  { "Phoenix", "AZ", "85004" }, { "Las Vegas", "NV", "89101" }, { "Minneapolis", "MN", "55401" },
  { "St. Louis", "MO", "63101" }, { "Columbus", "OH", "43215" }, { "Detroit", "MI", "48226" },
  { "Raleigh", "NC", "27601" }, { "Richmond", "VA", "23219" }, { "Baltimore", "MD", "21201" },
  { "Milwaukee", "WI", "53202" }, { "Salt Lake City", "UT", "84101" }, { "New Orleans", "LA", "70112" },
  { "Birmingham", "AL", "35203" }, { "Louisville", "KY", "40202" }, { "Indianapolis", "IN", "46204" },
  { "Columbia", "SC", "29201" }, { "Oklahoma City", "OK", "73102" }, { "Albuquerque", "NM", "87102" },
  { "Boise", "ID", "83702" }, { "Omaha", "NE", "68102" }, { "Des Moines", "IA", "50309" },
  { "Honolulu", "HI", "96813" }, { "Anchorage", "AK", "99501" }, { "Washington", "DC", "20001" },
  { "Concord", "NH", "03301" }, { "Wilmington", "DE", "19801" }, { "Helena", "MT", "59601" },
  { "Sioux Falls", "SD", "57104" },
}

-- {city, state/province/region, postal code, country, VAT id or nil}
M.INTL = {
  { "Toronto", "ON", "M5V 2T6", "CA" }, { "Montreal", "QC", "H2Y 1C6", "CA" },
  { "Vancouver", "BC", "V6B 1A1", "CA" }, { "Halifax", "NS", "B3J 1S9", "CA" },
  { "Berlin", "BE", "10115", "DE", "DE811907980" }, { "Munich", "BY", "80331", "DE" },
  { "Paris", "IDF", "75001", "FR", "FR40303265045" }, { "Lyon", "ARA", "69002", "FR" },
  { "Amsterdam", "NH", "1012 AB", "NL", "NL004495445B01" }, { "Rotterdam", "ZH", "3011 AA", "NL" },
  { "Dublin", "D", "D02 X285", "IE" }, { "Madrid", "MD", "28013", "ES", "ESA28015865" },
  { "London", "LND", "EC1A 1BB", "GB", "GB980780684" }, { "Manchester", "MAN", "M1 1AE", "GB" },
  { "Sydney", "NSW", "2000", "AU" }, { "Melbourne", "VIC", "3000", "AU" },
}
local EU = { DE = true, FR = true, NL = true, IE = true, ES = true }
-- Custom fields the demo organisation has: "VAT number" (the London customer keeps its VAT
-- id there instead of an external reference) and "Tax exempt" (Yes / No, assigned to none).
M.FIELD_VAT = "5eedf1e1-0000-4000-8000-000000000001"
M.FIELD_EXEMPT = "5eedf1e1-0000-4000-8000-000000000002"
M.FIELD_EXEMPT_YES = "5eedf1e1-0000-4000-8000-000000000003"
M.FIELD_EXEMPT_NO = "5eedf1e1-0000-4000-8000-000000000004"
M.VAT_IN_FIELD = { GB980780684 = true }

local STREETS = { "Main St", "Market St", "Oak Ave", "Pine St", "Cedar Rd", "Elm St", "Broadway",
                  "Park Ave", "Lake Dr", "Hill Rd", "River Rd", "Maple Ave", "Washington Blvd" }
local NAME_A = { "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay",
                 "Soylent", "Tyrell", "Cyberdyne", "Wonka", "Gringotts", "Monarch", "Aperture",
                 "Pied Piper", "Dunder", "Oscorp", "Nakatomi", "Massive", "Blue Sun", "Virtucon" }
local NAME_B = { "Labs", "Systems", "Industries", "Holdings", "Analytics", "Logistics", "Foods",
                 "Robotics", "Media", "Health", "Studios", "Partners", "Energy", "Retail" }
local ORG = { "Northwind Cloud", "Bluebird Software", "Granite Data", "Lumen Metrics", "Harbor Apps" }

-- {name, description, kind, price, account_code, recurring?}
M.PRODUCTS = {
  { "Platform subscription", "Monthly SaaS platform access", "saas", "499.00", "4000", true },
  { "Analytics add-on", "SaaS analytics module", "saas", "149.00", "4000", true },
  { "API usage pack", "Prepaid API calls (SaaS)", "saas", "75.50", "4010", false },
  { "Seat license", "Per-user SaaS seat", "saas", "29.99", "4000", true },
  { "Implementation services", "Professional services: onboarding", "services", "1500.00", "4100", false },
  { "Consulting hour", "Professional services, hourly", "services", "185.00", "4100", false },
  { "Training workshop", "Live training session", "services", "950.00", "4110", false },
  { "Edge router", "Hardware appliance (tangible goods)", "goods", "349.95", "4200", false },
  { "Barcode scanner", "Handheld scanner (tangible goods)", "goods", "129.00", "4200", false },
  { "Printed manual", "Printed documentation (tangible goods)", "goods", "24.50", "4200", false },
  { "Branded T-shirt", "Clothing merchandise", "goods", "18.00", "4210", false },
  { "Software download", "Downloadable desktop software", "digital", "89.00", "4020", false },
  { "Shipping", "Shipping and handling", "shipping", "15.00", "4300", false },
}

function M.api_key(seed)
  return "rk_demo_" .. crypto.hex(crypto.sha256("levy-sim-demo-key:" .. seed)):sub(1, 32)
end

-- The first invoices of every seed are unpaid USD invoices shipping to these ZIPs, so a
-- demo always shows tax being written (CA, NY, TX, WA, IL, NJ) whatever the seed; the
-- seventh (M.ZIP_LEVEL) ships to Denver 80123 with the SaaS platform subscription on its first
-- line, so a demo also shows an address located at ZIP level only.
M.SHOWCASE = { "92614", "10001", "78701", "98101", "60601", "07446", "80123" }
M.ZIP_LEVEL = 7

local BASE_MS = 1767225600000 -- 2026-01-01T00:00:00Z
M.FIRST_DATE = "2026-01-01"   -- no demo document is dated earlier (levy demo --auto taxes from here)

-- Organisation, subsidiaries, products and customers (cheap; done inline).
function M.base(seed)
  local r = prng.new(seed)
  local clock = BASE_MS
  local function tick() clock = clock + 1000 + r:int(0, 999); return clock end

  local org = { id = r:uuid(), currency = "USD", timezone = "America/Los_Angeles",
                trade_name = r:pick(ORG) .. " Inc." }
  db.insert("organization", org, nil, tick(), nil, true)
  local us = { id = r:uuid(), currency = "USD", timezone = "America/Los_Angeles",
               trade_name = org.trade_name, type = "LEGAL_ENTITY" }
  local eu = { id = r:uuid(), currency = "EUR", timezone = "Europe/Amsterdam",
               trade_name = org.trade_name:gsub(" Inc%.$", "") .. " Europe B.V.", type = "LEGAL_ENTITY" }
  local seller = {
    USD = { line1 = "535 Mission St", city = "San Francisco", state = "CA", zip_code = "94105", country = "US" },
    EUR = { line1 = "Herengracht 420", city = "Amsterdam", state = "NH", zip_code = "1017 BZ", country = "NL" },
  }
  db.insert("subsidiary", us, { currency = "USD" }, tick(), { address = seller.USD }, true)
  -- setting `subsidiaries` = 1: an organisation with one subsidiary (the EUR one is still
  -- drawn, so every other id and time of a seed stays what it is with two)
  local eu_ms = tick()
  if state.config().subsidiaries ~= 1 then
    db.insert("subsidiary", eu, { currency = "EUR" }, eu_ms, { address = seller.EUR }, true)
  end

  for _, p in ipairs(M.PRODUCTS) do
    local price = { type = p[6] and "FIXED_RECURRING" or "ONE_TIME", amount = { amount = p[4], currency = "USD" } }
    if p[6] then price.interval_months = 1 end
    local prod = { id = r:uuid(), name = p[1], description = p[2], price = price,
                   include_in_arr_mrr = p[6] and true or false,
                   revenue_pattern = p[6] and "DAILY" or "EVEN_PERIOD", status = "ACTIVE",
                   account_code = p[5],
                   external_references = json.array({ { type = "levy-tax-code", id = p[3] } }) }
    db.insert("product", prod, { status = "ACTIVE", currency = "USD" }, tick(), nil, true)
  end

  local n = 0
  local vat_values = {}
  local function add_customer(city, st, zip, country, vat)
    n = n + 1
    local name = r:pick(NAME_A) .. " " .. r:pick(NAME_B) .. " " .. n
    local addr = { line1 = r:int(1, 9899) .. " " .. r:pick(STREETS), city = city, state = st,
                   zip_code = zip, country = country }
    local c = { id = r:uuid(), name = name, name_on_invoice = name, address = addr,
                emails = json.array({ { email = "billing" .. n .. "@example.com", type = "MAIN_SENDER" } }),
                payment_terms = 30, send_invoices_automatically = false, send_payment_reminders = false }
    if r:chance(1, 4) then
      local o = M.US[r:int(1, #M.US)]
      if country == "US" then
        c.shipping_address = { line1 = r:int(1, 9899) .. " " .. r:pick(STREETS), city = o[1],
                               state = o[2], zip_code = o[3], country = "US" }
      else
        c.shipping_address = { line1 = addr.line1, line2 = "Receiving dock", city = city,
                               state = st, zip_code = zip, country = country }
      end
    end
    -- the ZIP-level customer ships to its own address (drawn as the others, then dropped, so
    -- that every seed's draws stay what they were)
    if zip == M.SHOWCASE[M.ZIP_LEVEL] then c.shipping_address = nil end
    if vat and M.VAT_IN_FIELD[vat] then
      -- kept in the custom field "VAT number" (issue 17: levy resolves fields by name)
      c.fields = json.array({ { field_id = M.FIELD_VAT, field_value_id = vat_values[vat] } })
    elseif vat then
      c.external_references = json.array({ { type = "vat-id", id = vat } })
    end
    db.insert("customer", c, nil, tick())
  end
  -- custom fields (GET /fields), with fixed ids so that the seeded data stays what it was
  -- for a seed (no draw from the generator)
  local vat_field = { id = M.FIELD_VAT, name = "VAT number", values = {},
                      settings = { REVENUE = { mandatory = false, display = "STANDALONE" } } }
  for i, a in ipairs(M.INTL) do
    if a[5] and M.VAT_IN_FIELD[a[5]] then
      local vid = string.format("5eed0000-0000-4000-8000-%012d", i)
      vat_values[a[5]] = vid
      vat_field.values[#vat_field.values + 1] = { id = vid, name = a[5], deactivated = false }
    end
  end
  vat_field.values = json.array(vat_field.values)
  db.insert("field", vat_field, nil, BASE_MS)
  db.insert("field", { id = M.FIELD_EXEMPT, name = "Tax exempt", settings = {
      REVENUE = { mandatory = false, display = "STANDALONE" } },
    values = json.array({ { id = M.FIELD_EXEMPT_YES, name = "Yes", deactivated = false },
                         { id = M.FIELD_EXEMPT_NO, name = "No", deactivated = false } }) }, nil, BASE_MS)
  for _, a in ipairs(M.US) do add_customer(a[1], a[2], a[3], "US") end
  for _, a in ipairs(M.INTL) do add_customer(a[1], a[2], a[3], a[4], a[5]) end
end

local function context()
  local ctx = { subs = {}, seller = {}, products = {}, customers = {} }
  for _, row in ipairs(store.rows("SELECT body, extra FROM sim_entities WHERE kind = 'subsidiary' ORDER BY seq")) do
    local s = json.decode(row.body)
    ctx.subs[s.currency] = s
    ctx.seller[s.currency] = (json.decode(row.extra or "{}") or {}).address
  end
  for _, row in ipairs(store.rows("SELECT body FROM sim_entities WHERE kind = 'product' ORDER BY seq")) do
    local p = json.decode(row.body)
    local kind = p.external_references and p.external_references[1] and p.external_references[1].id or "goods"
    ctx.products[#ctx.products + 1] = { obj = p, price = p.price.amount.amount, kind = kind }
  end
  for _, row in ipairs(store.rows("SELECT body FROM sim_entities WHERE kind = 'customer' ORDER BY seq")) do
    local c = json.decode(row.body)
    ctx.customers[#ctx.customers + 1] = { obj = c, eu = c.address and EU[c.address.country] or false }
  end
  return ctx
end

-- Invoices from..to (1-based). Each invoice has its own PRNG stream (seed, index) and fixed
-- timestamps, so generating in chunks (jobs) gives the same bytes as one go.
function M.invoices(seed, from, to)
  local ctx = context()
  local us, eu = ctx.subs.USD, ctx.subs.EUR -- eu: nil with one subsidiary (all invoices USD)
  local customers, products = ctx.customers, ctx.products
  local function day(d) return time.date(BASE_MS + d * 86400000) end
  for i = from, to do
    local r = prng.new(seed * 1000003 + i)
    local clock = BASE_MS + 86400000 + i * 10000
    local function tick() clock = clock + 1; return clock end
    local cu = customers[r:int(1, #customers)]
    local showcase = M.SHOWCASE[i]
    if showcase then
      for _, c in ipairs(customers) do
        if c.obj.address and c.obj.address.zip_code == showcase then cu = c end
      end
    end
    local sub = (cu.eu and r:chance(3, 4)) and eu or us
    local cur = sub.currency
    local nlines = r:int(1, 10)
    local items = {}
    for k = 1, nlines do
      local p = products[r:int(1, #products)]
      if k == 1 and i == M.ZIP_LEVEL then p = products[1] end -- the platform subscription (SaaS)
      local q
      if p.kind == "services" and r:chance(1, 3) then q = docs.number(r:int(1, 9) .. ".5")
      else q = r:int(1, 5) end
      local it = { description = p.obj.name, price = { product_id = p.obj.id, quantity = q,
                   amount_per_unit = { amount = p.price, currency = cur } } }
      if r:chance(1, 10) then it.price.discount = { type = "AMOUNT", amount_off = { amount = "5.00", currency = cur } } end
      items[#items + 1] = it
    end
    local errs = { add = function(f, m) error("seed line invalid: " .. f .. ": " .. m) end }
    local lines = docs.build_lines(errs, items, cur, "invoice")
    for _, l in ipairs(lines) do l.id = r:uuid() end
    local d = r:int(0, 300)
    local inv = {
      id = r:uuid(), subsidiary_id = sub.id, invoice_number = string.format("INV-%05d", i),
      customer_id = cu.obj.id, items = lines, invoice_date = day(d), due_date = day(d + 30),
      address = ctx.seller[cur], customer_address = cu.obj.address, payment_terms = 30,
      status = "UNPAID", external_references = json.array({}),
    }
    if cu.obj.shipping_address then inv.shipping_address = cu.obj.shipping_address end
    if r:chance(1, 6) then inv.memo = "Thank you for your business." end
    local extra = { paid = 0, credited = 0 }
    docs.invoice_totals(inv, extra, cur)
    local total = docs.minor(inv.total, cur)
    local pay
    local roll = r:int(1, 20)
    if showcase then roll = 20 end
    if roll <= 5 then pay = total elseif roll <= 7 then pay = total // 2 end
    local inv_upd = tick()
    if pay and pay > 0 then
      extra.paid = pay
      docs.invoice_totals(inv, extra, cur)
    end
    local cols = { subsidiary_id = sub.id, customer_id = cu.obj.id, status = inv.status, currency = cur }
    db.insert("invoice", inv, cols, inv_upd, extra)
    if pay and pay > 0 then
      local pm = { id = r:uuid(), status = "SUCCESSFUL", invoice_id = inv.id,
                   amount = docs.m(pay, cur), date = day(d + r:int(1, 40)), account_code = "1010" }
      db.insert("payment", pm, { parent_id = inv.id, currency = cur }, tick())
    elseif r:chance(1, 6) and not showcase then
      -- a credit memo for half of the first line, applied to the invoice
      local l1 = lines[1]
      local amt = docs.minor(l1.total_amount, cur) // 2
      if amt > 0 then
        local cm_lines = json.array({ { id = r:uuid(), description = "Credit: " .. l1.description,
          product_id = l1.product_id, quantity = 1, revenue = {}, total_amount = docs.m(amt, cur),
          net_amount = docs.m(amt, cur), taxed_amount = docs.m(0, cur) } })
        local cm = { id = r:uuid(), subsidiary_id = sub.id,
                     credit_memo_number = string.format("CM-%05d", i), customer_id = cu.obj.id,
                     items = cm_lines, credit_memo_date = day(d + r:int(1, 20)),
                     address = inv.shipping_address or inv.customer_address, status = "UNAPPLIED",
                     applications = json.array({}), external_references = json.array({}) }
        cm.applications[1] = { id = r:uuid(), credit_memo_id = cm.id, invoice_id = inv.id,
                               invoice_number = inv.invoice_number, amount = docs.m(amt, cur),
                               application_date = cm.credit_memo_date }
        docs.memo_totals(cm, {}, cur)
        extra.credited = amt
        docs.invoice_totals(inv, extra, cur)
        db.insert("credit_memo", cm, { subsidiary_id = sub.id, customer_id = cu.obj.id,
                                       status = cm.status, currency = cur }, tick(), {})
        cols.status = inv.status
        db.update_fixed("invoice", inv, cols, extra)
      end
    end
  end
end

return M
