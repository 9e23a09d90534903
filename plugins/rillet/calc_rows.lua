-- The parts of a stored calculation that the reports sum and list, kept as rows beside it
-- (issue 22): the liability report summed the per-line taxes inside the stored result JSON with
-- SQLite's json_each/json_extract/typeof/GLOB, and the exposure report read the ship-to from the
-- stored request the same way; neither exists on PostgreSQL. writeback.lua records these rows
-- in the transaction that stores the calculation; migration 0013 fills them for the
-- calculations stored before it (the same rules in SQL). report_rows.lua reads them.
--
-- rillet_calc_totals: one row per calculation; rillet_calc_taxes: one row per tax of each
-- line (seq = line index * 1000000 + tax index, from 0). An amount is kept as the text the
-- result holds and, when that is a canonical decimal string (an optional "-", digits, an
-- optional "." and digits, at most 18 characters), as its digits without the point (*_minor)
-- and its count of decimals (*_scale); anything else leaves *_minor NULL, and the report then
-- decodes the results itself (report_rows.collected_sums' `bad`).
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

local function text(v)
  return type(v) == "string" and v or nil
end

-- an amount field: the text kept, its minor units and decimals. A value that is present but
-- not text is kept as "" (present, not canonical), as the migration does.
local function amount(v)
  if v == nil or v == json.null then return nil end
  if type(v) ~= "string" then return "" end
  local minor, scale = M.decimal(v)
  return v, minor, scale
end

-- Records the rows of calculation `id` (request and result: the Lua tables stored as its JSON;
-- result nil when the calculation failed). Call inside the transaction that inserts it.
function M.record(id, request, result)
  local obj = type(result) == "table"
  local tt, tt_minor, tt_scale
  local total
  if obj then
    tt, tt_minor, tt_scale = amount(result.total_taxable)
    total = result.total_amount
    if math.type(total) == "integer" then total = tostring(total) elseif type(total) ~= "string" then total = nil end
  end
  local ship = type(request) == "table" and type(request.ship_to) == "table" and request.ship_to or {}
  store.exec([[INSERT INTO rillet_calc_totals(calculation_id, result_object, total_taxable, total_taxable_minor,
    total_taxable_scale, total_amount, ship_country, ship_state) VALUES (?,?,?,?,?,?,?,?)]],
    id, obj and 1 or 0, tt, tt_minor, tt_minor and tt_scale or nil, total, text(ship.country), text(ship.state))
  if not obj or type(result.lines) ~= "table" then return end
  for i, line in ipairs(result.lines) do
    if type(line) == "table" and type(line.taxes) == "table" then
      for j, t in ipairs(line.taxes) do
        local seq = (i - 1) * 1000000 + (j - 1)
        if type(t) ~= "table" then t = {} end
        local a, a_minor, a_scale = amount(t.amount)
        local b, b_minor, b_scale = amount(t.taxable_amount)
        store.exec([[INSERT INTO rillet_calc_taxes(calculation_id, seq, jurisdiction, level, type, authority_code,
          amount, amount_minor, amount_scale, taxable, taxable_minor, taxable_scale) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)]],
          id, seq, text(t.jurisdiction), text(t.level), text(t.type), text(t.authority_code),
          a, a_minor, a_minor and a_scale or nil, b, b_minor, b_minor and b_scale or nil)
      end
    end
  end
end

return M
