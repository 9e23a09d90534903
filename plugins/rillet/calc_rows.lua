-- A stored calculation's figures as rows beside it (rillet migration 0013): what the filing,
-- liability and exposure reports sum and list, so that they read integer columns, not the
-- result JSON (issue 20 reportperf II: no JSON parsed per document; issue 22: the same SQL on
-- SQLite and PostgreSQL, which has no json_extract, json_each, typeof or GLOB). writeback.lua
-- calls record() in the transaction that stores the calculation, on both engines (no triggers);
-- migration 0013 fills the rows of the calculations stored before it by the same rules in SQL.
--
--   rillet_calc_sales: per line taxability_reason ('' for none): lines, Σ amount, Σ discount,
--     Σ taxable_amount (a missing one counts 0) and the fewest / most decimals seen;
--   rillet_calc_taxes: per line reason and jurisdiction, level, type, authority code and
--     percentage (as text): tax rows n, Σ amount (NULL when none had one), Σ taxable_amount, decimals,
--     and how many had no taxable_amount (taxable_missing);
--   rillet_calc_heads: one row: has_result, readable, total_tax and region as stored, the
--     result's currency and region, Σ tax with its decimals; result_object, total_taxable (its
--     minor units and decimals when canonical), total_amount, the request's ship-to.
-- An amount is summed as its digits without the point; its decimals are kept as dp_lo / dp_hi
-- (99 / -99: none given; -1: one is not a canonical decimal string — an optional "-", digits,
-- an optional "." and digits, at most 18 characters — or a line is not an object). A reader
-- uses a sum only when both are the currency's exponent.
local store = require "levy.store"
local json = require "levy.json"

local M = {}

-- x a canonical decimal string → its digits as an integer, its decimals; else nil.
function M.decimal(x)
  if type(x) ~= "string" or #x == 0 or #x > 18 then return nil end
  local sign, int, point, frac = x:match("^(%-?)(%d+)(%.?)(%d*)$")
  if not int or (point == "." and frac == "") or (point == "" and frac ~= "") then return nil end
  return math.tointeger(tonumber(sign .. int .. frac, 10)), #frac
end

local function absent(v)
  return v == nil or v == json.null
end

-- levy.json keeps a number it cannot hold exactly as "\0<literal>": a number, not text
local function is_text(v)
  return type(v) == "string" and v:byte(1) ~= 0
end

-- (an empty table without levy.json's array mark may be either)
local function is_array(v)
  return type(v) == "table" and (getmetatable(v) == json.array_mt or v == json.empty_array or
    next(v) == nil or #v > 0)
end

local function is_object(v)
  return type(v) == "table" and getmetatable(v) ~= json.array_mt and v ~= json.empty_array and #v == 0
end

-- a JSON value as the text column of a label (reason, jurisdiction, ...): text as is, a number
-- as its literal, anything else as its JSON; NULL when absent
local function label(v)
  if absent(v) then return nil end
  if is_text(v) then return v end
  if type(v) == "string" then return v:sub(2) end
  if math.type(v) == "integer" then return tostring(v) end
  if type(v) == "boolean" then return v and "1" or "0" end
  if type(v) == "number" then return string.format("%.17g", v) end
  return json.encode(v)
end

-- an amount to sum: its minor units (0 when absent or not canonical) and decimals (nil absent,
-- -1 not canonical)
local function figure(v)
  if absent(v) then return nil, nil end
  local minor, scale = M.decimal(is_text(v) and v or nil)
  if not minor then return 0, -1 end
  return minor, scale
end

local function lo(a, b) return (b ~= nil and b < a) and b or a end
local function hi(a, b) return (b ~= nil and b > a) and b or a end

-- Whether a result located its ship-to only imprecisely (rillet migration 0021, the lists'
-- ?precision=imprecise): by its ZIP5 alone where that ZIP spans several rates (resolution zip5
-- with ambiguous_zip), or with the note local_tax_uncertain (a city's own tax decided on a
-- partial address).
-- Whether a result carries a note of code `code`.
function M.has_note(result, code)
  if not is_object(result) or not is_array(result.notes) then return false end
  for _, n in ipairs(result.notes) do
    if is_object(n) and n.code == code then return true end
  end
  return false
end

function M.imprecise(result)
  if not is_object(result) then return false end
  if result.resolution == "zip5" and is_object(result.ambiguous_zip) then
    return true
  end
  return M.has_note(result, "local_tax_uncertain")
end

-- Records the rows of calculation `id` (request and result: the Lua tables stored as its JSON;
-- result nil when the calculation failed; total_tax and region: as stored in calculations).
-- Call inside the transaction that inserts it.
function M.record(id, request, result, total_tax, region)
  local obj = is_object(result)
  local lines = obj and result.lines or nil
  local readable = result == nil or (obj and (lines == nil or is_array(lines)))
  local sales, sales_order, taxes, taxes_order = {}, {}, {}, {}
  if obj and is_array(lines) then
    for _, line in ipairs(lines) do
      local lobj = is_object(line)
      local reason = lobj and label(line.taxability_reason) or ""
      local s = sales[reason]
      if not s then
        s = { reason = reason, lines = 0, amount = 0, discount = 0, taxable = 0, lo = 99, hi = -99 }
        sales[reason] = s; sales_order[#sales_order + 1] = s
      end
      s.lines = s.lines + 1
      if not lobj then
        s.lo, s.hi = lo(s.lo, -1), hi(s.hi, -1)
      else
        for _, k in ipairs({ "amount", "discount", "taxable_amount" }) do
          local minor, scale = figure(line[k])
          if minor then
            local f = k == "taxable_amount" and "taxable" or k
            s[f] = s[f] + minor
            s.lo, s.hi = lo(s.lo, scale), hi(s.hi, scale)
          end
        end
        if is_array(line.taxes) then
          for _, t in ipairs(line.taxes) do
            if is_object(t) then
              local key = { reason, label(t.jurisdiction), label(t.level), label(t.type),
                            label(t.authority_code), label(t.percentage) }
              local k = {}
              for i = 1, 6 do k[i] = key[i] == nil and "\1" or ("\2" .. key[i]) end
              k = table.concat(k, "\0")
              local g = taxes[k]
              if not g then
                g = { key = key, n = 0, taxable = 0, lo = 99, hi = -99, missing = 0 }
                taxes[k] = g; taxes_order[#taxes_order + 1] = g
              end
              g.n = g.n + 1
              local am, as = figure(t.amount)
              if am then g.amount = (g.amount or 0) + am end
              g.lo, g.hi = lo(g.lo, as or -1), hi(g.hi, as or -1)
              local tm, ts = figure(t.taxable_amount)
              if tm then
                g.taxable = g.taxable + tm
                g.lo, g.hi = lo(g.lo, ts), hi(g.hi, ts)
              else
                g.missing = g.missing + 1
              end
            end
          end
        end
      end
    end
  end
  for _, s in ipairs(sales_order) do
    store.exec([[INSERT INTO rillet_calc_sales(calculation_id, reason, lines, amount, discount, taxable, dp_lo, dp_hi)
      VALUES (?,?,?,?,?,?,?,?)]], id, s.reason, s.lines, s.amount, s.discount, s.taxable, s.lo, s.hi)
  end
  local tax, tax_lo, tax_hi
  for _, g in ipairs(taxes_order) do
    store.exec([[INSERT INTO rillet_calc_taxes(calculation_id, reason, jurisdiction, level, type, authority_code,
      rate, n, amount, taxable, dp_lo, dp_hi, taxable_missing) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)]],
      id, g.key[1], g.key[2], g.key[3], g.key[4], g.key[5], g.key[6], g.n, g.amount, g.taxable, g.lo, g.hi, g.missing)
    if g.amount then tax = (tax or 0) + g.amount end
    tax_lo = tax_lo and math.min(tax_lo, g.lo) or g.lo
    tax_hi = tax_hi and math.max(tax_hi, g.hi) or g.hi
  end
  local tt, tt_minor, tt_scale, total
  if obj then
    tt = result.total_taxable
    if absent(tt) then tt = nil
    elseif is_text(tt) then tt_minor, tt_scale = M.decimal(tt)
    else tt = "" end -- present, not text: kept as '' (not canonical)
    total = result.total_amount
    if math.type(total) == "integer" then total = tostring(total) elseif not is_text(total) then total = nil end
  end
  local ship = is_object(request) and is_object(request.ship_to) and request.ship_to or {}
  store.exec([[INSERT INTO rillet_calc_heads(calculation_id, has_result, readable, total_tax, region,
      result_currency, result_region, tax, tax_lo, tax_hi, result_object, total_taxable, total_taxable_minor,
      total_taxable_scale, total_amount, ship_country, ship_state, imprecise, cert_expired)
      VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)]],
    id, result ~= nil and 1 or 0, readable and 1 or 0, total_tax, region,
    obj and label(result.currency) or nil, obj and label(result.region) or nil, tax, tax_lo, tax_hi,
    obj and 1 or 0, tt, tt_minor, tt_minor and tt_scale or nil, total,
    is_text(ship.country) and ship.country or nil, is_text(ship.state) and ship.state or nil,
    M.imprecise(result) and 1 or 0, M.has_note(result, "exemption_certificate_expired") and 1 or 0)
end

return M
