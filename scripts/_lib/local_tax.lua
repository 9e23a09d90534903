-- Local taxes outside sales tax (issue 19): a city's own tax on a product that the state's
-- sales tax may exempt, e.g. Chicago's Personal Property Lease Transaction Tax on cloud
-- software. Loaded with `require "_lib.local_tax"` from a rule's calculate(ctx).
--
-- A local tax is data (the rule file declares it with a citation per row):
--
--   {
--     name = "Chicago Personal Property Lease Transaction Tax",  -- the tax's name (notes)
--     jurisdiction = "CHICAGO", level = "city",                  -- who levies it
--     type = "LEASE_TRANSACTION_TAX",                            -- its tax type in the answer
--     city = "CHICAGO", city_name = "Chicago",                   -- the city (as matched; as shown)
--     place_code = "1714000",          -- the city's Census place (authority) code
--     zips = { "60601", ... },         -- ZIP5s taken as inside the city (without boundary data)
--     partial_zips = { "60007", ... }, -- ZIP5s partly inside: never charged silently (below)
--     codes = { saas = true },         -- the tax codes it covers
--     rates = { { rate = "9.00", from = "2015-07-01", to = "2015-12-31", cite = "..." }, ... },
--     entry_name = "Chicago Personal Property Lease Transaction Tax", -- the answer's `name` (optional)
--   }
--
-- A city's own sales tax that reaches what the state exempts (Denver on SaaS) takes its rate
-- from the rate data instead of `rates`: `rate_from = { level = "city", jurisdiction =
-- "DENVER" }` looks in ctx.jurisdictions (the resolution, before treatments); when the ZIP's
-- data has no such entry, nothing is charged and the note says so.
--
-- Where the ship-to is (issue 19, one mechanism for split ZIPs). With the state's SST
-- boundary data loaded (`levy rates import`, core/tax/boundary.c) the resolution decides, by
-- the city's `place_code` among the authority codes:
--   ctx.resolution zip4/address              -> charged when the located jurisdictions include
--                                               the city, else not; no note either way
--   ctx.zip_candidates (the ZIP's jurisdiction sets, no record matched the address):
--     every set includes the city           -> the ZIP is inside (as if in `zips`)
--     no set includes it                     -> the ZIP is outside (in neither list)
--     some do                                -> the ZIP is partly inside (as if in `partial_zips`)
-- Without boundary data for the ZIP, the hand lists `zips` / `partial_zips` decide. Then, from
-- the ZIP's place and the city name (upper-cased, dots dropped, spaces collapsed):
--   city given and not `city`            -> not charged (a note when the ZIP is one of the lists)
--   city = `city`, ZIP in `zips`         -> charged
--   city = `city`, ZIP in `partial_zips` -> charged, with a note local_tax_uncertain
--   city = `city`, ZIP in neither        -> not charged, note local_tax_uncertain
--   no city, ZIP in `zips`               -> charged
--   no city, ZIP in `partial_zips`       -> not charged, note local_tax_uncertain
-- Notes are written only when a line carries a covered code. A line is charged when its code
-- is covered and it is not exempt per customer, reverse-charged, not collected or out of
-- scope; a line the state exempts (product_exempt) becomes `spec.reason` or standard_rated
-- (the local tax is due at its full rate). Rates: the row whose [from, to] holds ctx.date (none: not charged).
local M = {}

local SKIP = { customer_exempt = true, not_collecting = true, no_tax_in_region = true, out_of_scope = true }

local function norm_city(s)
  if type(s) ~= "string" then return nil end
  s = s:upper():gsub("%.", ""):gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  if s == "" then return nil end
  return s
end

local function member(list, v)
  for _, x in ipairs(list or {}) do
    if x == v then return true end
  end
  return false
end

-- The rate row of `spec` at `date`, or nil.
function M.rate_at(spec, date)
  for _, r in ipairs(spec.rates) do
    if (r.from == nil or date >= r.from) and (r.to == nil or date <= r.to) then
      return r
    end
  end
  return nil
end

-- 1 when the jurisdictions `list` (ctx.jurisdictions or a candidate's) include spec's place.
local function has_place(spec, list)
  for _, j in ipairs(list or {}) do
    if j.authority_code == spec.place_code then return true end
  end
  return false
end

-- From the boundary data (ctx.resolution, ctx.zip_candidates): "charge" / "outside" for a
-- located ZIP+4 or address, "inside" / "outside_zip" / "partial" for a ZIP5 whose sets are
-- listed; nil without boundary data for the ZIP.
function M.by_boundary(spec, ctx)
  if spec.place_code == nil or ctx == nil then return nil end
  if ctx.resolution == "zip4" or ctx.resolution == "address" then
    return has_place(spec, ctx.jurisdictions) and "charge" or "outside"
  end
  local cands = ctx.zip_candidates
  if type(cands) ~= "table" or #cands == 0 then return nil end
  local n = 0
  for _, c in ipairs(cands) do
    if has_place(spec, c.jurisdictions) then n = n + 1 end
  end
  if n == #cands then return "inside" end
  if n == 0 then return "outside_zip" end
  return "partial"
end

-- "charge", "charge_uncertain", "uncertain" or "outside": where the ship-to is for `spec`
-- (ctx: the rule's ctx, for the boundary data; optional).
function M.locate(spec, ship_to, ctx)
  local zip = type(ship_to.zip_code) == "string" and ship_to.zip_code:sub(1, 5) or ""
  local city = norm_city(ship_to.city)
  local inside, partial
  local b = M.by_boundary(spec, ctx)
  if b == "charge" or b == "outside" then return b end
  if b ~= nil then
    inside, partial = b == "inside", b == "partial"
  else
    inside, partial = member(spec.zips, zip), member(spec.partial_zips, zip)
  end
  if city ~= nil and city ~= spec.city then
    return (inside or partial) and "uncertain_other_city" or "outside"
  end
  if city == spec.city then
    if inside then return "charge" end
    if partial then return "charge_uncertain" end
    return "uncertain_zip_outside"
  end
  if inside then return "charge" end
  if partial then return "uncertain" end
  return "outside"
end

local function add_note(ctx, code, message)
  ctx.notes = ctx.notes or {}
  ctx.notes[#ctx.notes + 1] = { code = code, message = message }
end

-- Applies one local tax to ctx (rule calculate). Returns the number of lines charged.
function M.apply(ctx, spec)
  if ctx.ship_to == nil or ctx.ship_to.country ~= "US" then return 0 end
  local covered = false
  for _, line in ipairs(ctx.lines) do
    if spec.codes[line.tax_code] and not SKIP[line.reason] and not line.reverse_charge then
      covered = true
    end
  end
  if not covered then return 0 end
  local pct
  if spec.rate_from == nil then
    local row = M.rate_at(spec, ctx.date)
    if row == nil then return 0 end -- before (or after) the tax
    pct = row.rate
  end
  local where = M.locate(spec, ctx.ship_to, ctx)
  local zip = tostring(ctx.ship_to.zip_code or ""):sub(1, 5)
  local city = tostring(ctx.ship_to.city or "")
  if where == "outside" then return 0 end
  if where == "uncertain_other_city" then
    add_note(ctx, "local_tax_uncertain", ("%s not charged: ZIP %s lies partly or wholly in %s, but the city is given as '%s'; check the address"):format(spec.name, zip, spec.city_name or spec.city, city))
    return 0
  elseif where == "uncertain_zip_outside" then
    add_note(ctx, "local_tax_uncertain", ("%s not charged: the city is given as '%s' but ZIP %s is not one levy knows in it; check the address"):format(spec.name, city, zip))
    return 0
  elseif where == "uncertain" then
    add_note(ctx, "local_tax_uncertain", ("%s not charged: ZIP %s lies only partly in %s and no city was given; give the city to decide"):format(spec.name, zip, spec.city_name or spec.city))
    return 0
  end
  if spec.rate_from ~= nil then -- the city's rate in the rate data (its sales tax)
    for _, j in ipairs(ctx.jurisdictions or {}) do
      if j.level == spec.rate_from.level and (j.jurisdiction == spec.rate_from.jurisdiction
          or (spec.place_code ~= nil and j.authority_code == spec.place_code)) then
        pct = j.percentage
      end
    end
    if pct == nil then
      add_note(ctx, "local_tax_uncertain", ("%s not charged: the rate data gives ZIP %s no %s rate (the ZIP lies only partly in %s); check the address"):format(spec.name, zip, spec.rate_from.jurisdiction, spec.city_name or spec.city))
      return 0
    end
  end
  if where == "charge_uncertain" then
    add_note(ctx, "local_tax_uncertain", ("%s charged on the city name: ZIP %s lies only partly in %s; check the address if the customer is outside the city limits"):format(spec.name, zip, spec.city_name or spec.city))
  end
  local n = 0
  for _, line in ipairs(ctx.lines) do
    if spec.codes[line.tax_code] and not SKIP[line.reason] and not line.reverse_charge then
      line.taxes = line.taxes or {}
      line.taxes[#line.taxes + 1] = {
        jurisdiction = spec.jurisdiction, name = spec.entry_name, level = spec.level, type = spec.type,
        percentage = pct, fraction = "1",
      }
      if line.reason == "product_exempt" then line.reason = spec.reason or "standard_rated" end
      n = n + 1
    end
  end
  return n
end

return M
