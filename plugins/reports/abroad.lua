-- Exposure abroad (issues 19/20): a US seller's registration thresholds as a FOREIGN
-- (non-resident) seller, per country of data/intl/foreign-seller-thresholds.csv (loaded strictly
-- by core/tax/foreign.c: levy.tax.foreign_thresholds). Kept apart from the US rows (CONTRACT
-- §2.6's fields are the US states'): GET /v1/reports/exposure answers these as `international`.
--
-- What counts: the documents shipped to the country (the ship-to of their latest calculation),
-- invoices less credit memos, pre-tax. scope b2c leaves out a document whose calculation
-- reverse-charged a line (a B2B sale to a customer with a usable tax id: the consumer-only
-- thresholds count sales to consumers); scope all counts every document; scope worldwide (the
-- seller's worldwide turnover, e.g. Switzerland) is shown and not measured: levy sees only its
-- documents.
--
-- Currency: a document in the threshold's currency counts as it is; another currency is
-- converted with the document's own exchange_rate (Rillet's ExchangeRate {base, target, rate,
-- date}, read as `rate` units of target per one unit of base: docs/rillet-assumptions.md), either
-- way round, exactly and rounded once half away from zero; a document without a usable rate is
-- not guessed at: it is listed in `unconverted` per currency and the row says so.
--
-- Periods: previous_12_months: the 12 months ending on each day; the threshold is crossed on
-- the first day (of the two years before as_of) whose 12 months meet it, and the status is
-- exceeded from then on (registration does not lapse by itself), approaching at >= 80 % of the
-- 12 months ending as_of. first_sale: no threshold: crossed on the first invoice counted.
local type, ipairs, pairs, tostring, table, string, math = type, ipairs, pairs, tostring, table, string, math
local json = require "levy.json"
local money = require "levy.money"
local tax = require "levy.tax"
local plugin = require "levy.plugin"
local util = require "levy.util"
local dates = require "dates"
local oss = require "oss"

local null = util.orjnull

local M = {}

local EU = {}
for cc in ("AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK"):gmatch("%u%u") do
  EU[cc] = true
end

local MAXI = math.maxinteger

-- minor units of `from` -> minor units of `to`, multiplied (mul) or divided by the decimal
-- string rate, exactly, rounded once half away from zero; nil when the rate is not a positive
-- decimal or the amount too large.
local function scale(minor, from, to, rate, mul)
  local ef, et = money.exponent(from), money.exponent(to)
  if not ef or not et or type(rate) ~= "string" then return nil end
  local int, frac = rate:match("^%s*(%d+)%.?(%d*)%s*$")
  if not int or #int + #frac > 15 then return nil end
  local digits = math.tointeger(tonumber(int .. frac))
  if not digits or digits <= 0 then return nil end
  local num, den = minor
  local function times(v, k)
    for _ = 1, k do
      if v > MAXI // 10 or v < -(MAXI // 10) then return nil end
      v = v * 10
    end
    return v
  end
  if mul then
    if num ~= 0 and (num > MAXI // digits or num < -(MAXI // digits)) then return nil end
    num = num * digits
    den = times(1, #frac)
  else
    num = times(num, #frac)
    den = digits
  end
  if not num or not den then return nil end
  local shift = et - ef
  if shift >= 0 then num = times(num, shift) else den = times(den, -shift) end
  if not num or not den then return nil end
  return oss.div_half_up(num, den)
end

-- A document's amount (minor units of its currency) in the threshold's currency cur, or nil.
function M.convert(minor, doc_cur, cur, fx_base, fx_target, fx_rate)
  if doc_cur == cur then return minor end
  if fx_base == doc_cur and fx_target == cur then return scale(minor, doc_cur, cur, fx_rate, true) end
  if fx_base == cur and fx_target == doc_cur then return scale(minor, doc_cur, cur, fx_rate, false) end
  return nil
end
M.scale = scale

-- The row in force at as_of per country (latest effective_from <= as_of).
local function thresholds(as_of)
  local by = {}
  for _, r in ipairs(tax.foreign_thresholds()) do
    local eff = r.effective_from or ""
    if eff <= as_of then
      local cur = by[r.country]
      if not cur or (cur.effective_from or "") < eff then by[r.country] = r end
    end
  end
  return by
end
M.thresholds = thresholds

local function pct(sales, thr)
  if thr <= 0 or sales <= 0 then return "0.0" end
  local pm = (sales * 1000) // thr
  return string.format("%d.%d", pm // 10, pm % 10)
end

-- One country's row from its documents (sorted by date). registered: levy collects there.
local function measure(th, docs, as_of, registered)
  local cur = th.currency
  local thr = money.parse(th.threshold, cur)
  local period_start = dates.add_days(dates.year_before(as_of), 1)
  local row = {
    country = th.country, region = th.country, currency = cur, threshold = th.threshold,
    period = th.period, scope = th.scope, period_start = period_start, period_end = as_of,
    effective_from = null(th.effective_from), source = th.source, subscribed = registered,
  }
  local counted, unconv, b2b = {}, {}, { documents = 0 }
  for _, d in ipairs(docs) do
    local sign = d.type == "invoice" and 1 or -1
    local minor = money.parse(d.amount, d.currency or "")
    if th.scope == "b2c" and d.reverse_charge == 1 then
      b2b.documents = b2b.documents + 1
    elseif not minor then
      local u = unconv[tostring(d.currency)] or { currency = tostring(d.currency), minor = 0, documents = 0, unreadable = 0 }
      unconv[tostring(d.currency)] = u
      u.documents = u.documents + 1
      u.unreadable = u.unreadable + 1
    else
      local v = M.convert(minor, d.currency, cur, d.fx_base, d.fx_target, d.fx_rate)
      if v then
        counted[#counted + 1] = { date = d.date, v = sign * v, invoice = sign > 0 }
      else
        local u = unconv[d.currency] or { currency = d.currency, minor = 0, documents = 0, unreadable = 0 }
        unconv[d.currency] = u
        u.documents = u.documents + 1
        if d.date >= period_start then u.minor = u.minor + sign * minor end
      end
    end
  end
  local ulist = {}
  for c, u in pairs(unconv) do
    ulist[#ulist + 1] = { currency = c, documents = u.documents,
      amount = money.exponent(c) and money.format(u.minor, c) or json.null }
  end
  table.sort(ulist, function(a, b) return a.currency < b.currency end)
  row.unconverted = json.array(ulist)
  row.b2b_excluded = b2b.documents
  -- the 12 months ending as_of
  local sales, n = 0, 0
  for _, c in ipairs(counted) do
    if c.date >= period_start and c.date <= as_of then
      sales = sales + c.v
      if c.invoice then n = n + 1 end
    end
  end
  row.sales, row.invoices = money.format(sales, cur), n
  local crossed
  if th.scope == "worldwide" then
    row.threshold_status, row.percent = "not_measured", json.null
    row.note = "the threshold is the seller's worldwide turnover, which levy cannot see from its documents: check it yourself"
  elseif th.period == "first_sale" then
    for _, c in ipairs(counted) do
      if c.invoice then crossed = c.date; break end
    end
    if not crossed then -- a sale in a currency levy cannot convert is still a sale
      for _, d in ipairs(docs) do
        if d.type == "invoice" and not (th.scope == "b2c" and d.reverse_charge == 1) then crossed = d.date; break end
      end
    end
    row.threshold_status = crossed and "exceeded" or "below"
    row.percent = json.null
  else
    -- the first day whose 12 months meet the threshold: a two-pointer pass over the dates
    local lo, run = 1, 0
    local first_day = dates.add_days(as_of, -730)
    local i = 1
    while i <= #counted do
      local day = counted[i].date
      while i <= #counted and counted[i].date == day do run = run + counted[i].v; i = i + 1 end
      local start = dates.add_days(dates.year_before(day), 1)
      while counted[lo].date < start do run = run - counted[lo].v; lo = lo + 1 end
      if day >= first_day and run >= thr then crossed = day; break end
    end
    row.percent = pct(sales, thr)
    row.threshold_status = crossed and "exceeded" or ((sales * 10 >= thr * 8) and "approaching" or "below")
  end
  row.crossed_on = null(crossed)
  row.status = registered and "registered" or row.threshold_status
  local problems = {}
  if crossed and not registered then
    problems[#problems + 1] = (th.period == "first_sale"
      and ("a foreign seller registers in " .. th.country .. " from the first sale (" .. crossed .. ")")
      or ("the " .. th.country .. " registration threshold (" .. th.threshold .. " " .. cur .. ") was crossed on " .. crossed)) ..
      " but levy does not collect there (not subscribed)"
  end
  if #ulist > 0 then
    local cs = {}
    for k, u in ipairs(ulist) do cs[k] = u.currency end
    problems[#problems + 1] = "documents in " .. table.concat(cs, ", ") .. " could not be converted to " .. cur ..
      " (no exchange rate on the document between the two currencies): they are not counted"
  end
  row.problem = #problems > 0 and table.concat(problems, "; ") or json.null
  row.note = null(row.note)
  return row
end
M.measure = measure

-- Rows per country of the table (sorted by country) at as_of.
function M.exposure(as_of)
  local ths = thresholds(as_of)
  local api = plugin("api")
  local registered = api and api.subscribed_codes() or {}
  local r = plugin("rillet")
  local by = {}
  if r and r.report_shipped_foreign_documents then
    for _, d in ipairs(r.report_shipped_foreign_documents(dates.add_days(as_of, -1095), as_of)) do
      local l = by[d.country]
      if not l then l = {}; by[d.country] = l end
      l[#l + 1] = d
    end
  end
  local ccs = {}
  for cc in pairs(ths) do ccs[#ccs + 1] = cc end
  table.sort(ccs)
  local out = {}
  for _, cc in ipairs(ccs) do
    local reg = (registered[cc] or (EU[cc] and registered.EU)) and true or false
    out[#out + 1] = measure(ths[cc], by[cc] or {}, as_of, reg)
  end
  return out
end

return M
