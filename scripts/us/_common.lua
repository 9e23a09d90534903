-- Shared helpers for the US state rules (scripts/us/*.lua). Loaded only through
-- `require "_common"` (files starting with "_" are not rule files).
--
-- Everything here is plain data or table plumbing: no money arithmetic (the C engine does
-- that), no floats. Amounts are compared with levy.money.cmp.
--
-- Tax codes (CONTRACT §2.4): general, saas, software_download, digital_goods,
-- professional_services, training, shipping, clothing, food_grocery, exempt.
--
-- Defaults below are the most common US treatment; each state file lists only what differs,
-- with a comment naming the source. Sources used throughout:
--   [TF]   /work/shared/docs/tax-facts.md §1.3 (SaaS table) and §5 (special rules)
--   [SHIP] state DOR guidance on delivery charges as summarised by TaxJar/Avalara
--          "sales tax on shipping" state guides (secondary)
--   [SST]  Streamlined Sales Tax taxability matrices (member states: digital products,
--          prewritten software delivered electronically, clothing, food)
--   [FOOD] state grocery-rate laws named in the file (reduced state rates on food)
local money = require "levy.money"

local M = {}

-- Levels below the state in the rate data (ZIP tables: county, city, special -> district).
M.LOCAL_LEVELS = { "county", "city", "district" }

-- A reduced state rate on a product while the local levels keep their own rates.
function M.state_rate(rate)
  return { rate = rate, level = "state", keep_levels = M.LOCAL_LEVELS }
end

-- The defaults every state starts from.
local DEFAULTS = {
  default = "taxable",
  general = "taxable",
  saas = "exempt",                   -- [TF] not taxable in most states
  software_download = "taxable",     -- prewritten ("canned") software is tangible personal
                                     -- property in most states, however delivered [SST]
  digital_goods = "exempt",          -- specified digital products: taxable only where listed
  professional_services = "exempt",  -- services are generally outside sales tax
  training = "exempt",
  shipping = "exempt",               -- separately stated delivery: each state says [SHIP];
                                     -- "taxable" | "exempt" | "follows_goods" (allocated by
                                     -- price, SSUTA 317) | "follows_goods_any" (docs/rules.md §2)
  clothing = "taxable",
  food_grocery = "exempt",           -- groceries exempt in most states
  exempt = "exempt",
  -- issue 19, product taxonomy (docs/rules.md section 2a): refinements whose treatment is the
  -- same in every state that has a sales tax, with the law that makes it so. A refinement not
  -- listed here or in the state's file is taxed as its parent, with the note
  -- taxability_fallback in the answer.
  hardware = "taxable",              -- tangible personal property (SSUTA Appendix C, Library of
                                     -- Definitions "tangible personal property"; the same in
                                     -- every non-member state's statute): taxed like general
  prewritten_software_tangible = "taxable", -- SSUTA Appendix C: "prewritten computer software"
                                     -- is tangible personal property; on a tangible medium it is
                                     -- taxed in every sales-tax state (e.g. Cal. Reg. 1502(f)(1),
                                     -- N.Y. Tax Law 1101(b)(6), Tex. Tax Code 151.009)
  prepared_food = "taxable",         -- SSUTA Appendix C: "prepared food" is excluded from "food
                                     -- and food ingredients", so grocery exemptions and reduced
                                     -- grocery rates do not reach it (the general rate applies)
  finance_charge = "exempt",         -- SSUTA Appendix C "sales price" excludes interest,
                                     -- financing and carrying charges separately stated
}

M.DEFAULTS = DEFAULTS

-- Streamlined Sales Tax full member states (SSUTA; streamlinedsalestax.org "State
-- information"): they use the Agreement's Appendix C definitions.
M.SST_MEMBERS = { AR = true, GA = true, IN = true, IA = true, KS = true, KY = true, MI = true,
  MN = true, NE = true, NV = true, NJ = true, NC = true, ND = true, OH = true, OK = true, RI = true,
  SD = true, UT = true, VT = true, WA = true, WV = true, WI = true, WY = true }

M.SST_CUSTOM_SOFTWARE_EXEMPT = { AR = true, GA = true, IN = true, KS = true, MI = true, MN = true,
  NV = true, NC = true, ND = true, OK = true, RI = true, UT = true, VT = true, WI = true }

-- The branch of a treatment for one customer type ("business" | "individual"), through dated
-- rows: { business = T1, individual = T2 } -> T1 or T2 (an absent branch is "taxable", as the
-- engine reads it); a dated row or list of rows -> the same rows with each row's treatment
-- branched; anything else is the same for both types.
local function branch(t, which)
  if type(t) ~= "table" then return t end
  if t.business ~= nil or t.individual ~= nil then
    local b = t[which]
    if b == nil then return "taxable" end
    return b
  end
  if t[1] == nil then return t end -- a fraction, a rate, a threshold...
  local single = type(t[1]) ~= "table" or t.from ~= nil or t.to ~= nil or t.cite ~= nil
  local function row(r)
    local c = {}
    for k, v in pairs(r) do c[k] = v end
    c[1] = branch(r[1], which)
    return c
  end
  if single then return row(t) end
  local out = {}
  for i, r in ipairs(t) do out[i] = row(r) end
  return out
end
M.branch = branch

-- Builds a state rule table.
--   spec.code        two-letter code ("TX")
--   spec.name        state name
--   spec.sourcing    "destination" (default) | "origin" | "origin_intrastate":
--                    "origin" = the state sources a sale by a seller located in the state at
--                    the seller's place of business (all levels); remote sellers always collect
--                    at destination. "origin_intrastate" = California's modified origin:
--                    state/county/city at the seller for in-state sales, district taxes at the
--                    destination. The engine applies origin sourcing only when the seller
--                    (ship_from / settings) is in the same state as the ship-to.
--   spec.taxability  overrides of DEFAULTS (tax code -> treatment)
--   spec.no_sales_tax      true: the state has no sales tax at all (documented extension:
--                          the engine finds no taxing jurisdiction and answers
--                          no_tax_in_region; the flag records it for readers and UIs)
--   spec.no_state_sales_tax true: no state-level tax, local taxes may apply (Alaska)
--   spec.local_taxes       local taxes outside sales tax that the rule's calculate applies with
--                          scripts/_lib/local_tax.lua (data, kept on the rule for readers)
--   spec.calculate, spec.selftest as in docs/rules.md
function M.state(spec)
  assert(type(spec.code) == "string" and #spec.code == 2, "state code")
  local tax = {}
  for k, v in pairs(DEFAULTS) do tax[k] = v end
  for k, v in pairs(spec.taxability or {}) do tax[k] = v end
  -- SSUTA Appendix C, "mandatory computer software maintenance contract": part of the sale of
  -- the prewritten software it comes with, so it follows the state's software_download row
  -- (a state file may still say otherwise)
  local own = spec.taxability or {}
  if own.software_maintenance_mandatory == nil then
    tax.software_maintenance_mandatory = tax.software_download
  end
  -- saas_business / saas_personal: the state's own SaaS row for that kind of buyer (the same
  -- law and citation as the saas row, which decides by the customer's type where the state
  -- distinguishes business and personal use; docs/rules.md "Customer type")
  if own.saas_business == nil then tax.saas_business = branch(tax.saas, "business") end
  if own.saas_personal == nil then tax.saas_personal = branch(tax.saas, "individual") end
  -- digital_audio / digital_video / digital_books: exactly the three "specified digital
  -- products" of SSUTA Appendix C (digital audio works, digital audio-visual works, digital
  -- books) that the digital_goods row of every state file is about
  for _, c in ipairs({ "digital_audio", "digital_video", "digital_books" }) do
    if own[c] == nil then tax[c] = tax.digital_goods end
  end
  -- shipping_handling in a Streamlined member: SSUTA Appendix C "delivery charges" are the
  -- charges for preparation and delivery, "including transportation, shipping, postage,
  -- handling, crating, and packing", so handling follows the state's delivery row
  -- custom_software in a Streamlined member that taxes software only as tangible personal
  -- property: SSUTA Appendix C makes "prewritten computer software" tangible personal
  -- property and excludes from it software "designed and developed ... to the specifications
  -- of a specific purchaser"; the states that also tax it as a service are left out (SD: all
  -- services; WA from 2025-10-01; OH computer services; IA, KY, WV, NE, WY: not verified)
  if own.custom_software == nil and M.SST_CUSTOM_SOFTWARE_EXEMPT[spec.code] then
    tax.custom_software = "exempt"
  end
  if own.shipping_handling == nil and M.SST_MEMBERS[spec.code] then
    tax.shipping_handling = tax.shipping
  end
  return {
    region = "US-" .. spec.code,
    name = spec.name,
    country = "US",
    tax_type = "SALES_TAX",
    sourcing = spec.sourcing or "destination",
    no_sales_tax = spec.no_sales_tax or nil,
    no_state_sales_tax = spec.no_state_sales_tax or nil,
    local_taxes = spec.local_taxes, -- local taxes outside sales tax, as data (scripts/_lib/local_tax.lua)
    taxability = tax,
    calculate_for = spec.calculate_for, -- the codes calculate acts on (docs/rules.md section 3)
    calculate_election = spec.calculate_election, -- a remote seller's election it acts on (section 2)
    marketplace_from = spec.marketplace_from, -- the state's marketplace facilitator law in force from (doubts26)
    marketplace_law = spec.marketplace_law,   -- ... and its citation (docs/rules.md "Marketplace sales")
    calculate = spec.calculate,
    selftest = spec.selftest or {},
  }
end

-- Self-test request builders: they return exactly the /v1/calculate body of CONTRACT §2.5.
function M.line(id, amount, quantity, tax_code)
  return { id = id, amount = amount, quantity = quantity, tax_code = tax_code }
end

function M.request(state, city, zip, date, lines, extra)
  local r = {
    currency = "USD",
    date = date,
    ship_to = { line1 = "1 Main St", city = city, state = state, zip_code = zip, country = "US" },
    lines = lines,
  }
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

-- True when the line still carries tax entries (not exempted by a treatment or customer).
function M.is_taxed(line)
  if line.reason == "product_exempt" or line.reason == "customer_exempt"
     or line.reverse_charge then
    return false
  end
  return line.taxes ~= nil and #line.taxes > 0
end

-- The lines of ctx that still carry tax (M.is_taxed) and pass match(line): the lines a rule's
-- calculate(ctx) adjusts (e.g. `function(l) return l.tax_code == "clothing" end`).
function M.taxed_lines(ctx, match)
  local out = {}
  for _, line in ipairs(ctx.lines) do
    if match(line) and M.is_taxed(line) then
      out[#out + 1] = line
    end
  end
  return out
end

-- The state entry of every taxed line with tax code `code` at `rate` (a percentage string)
-- on dates from `from` (nil: always): a state's own rate for a kind of sale, e.g. meals taxed
-- above the general rate (CT, DC, ME, VT).
function M.state_rate_for(ctx, code, rate, from)
  if not M.date_on_or_after(ctx.date, from) then
    return
  end
  for _, line in ipairs(M.taxed_lines(ctx, function(l) return l.tax_code == code end)) do
    for _, t in ipairs(line.taxes) do
      if t.level == "state" then
        t.percentage = rate
      end
    end
  end
end

-- The magnitude of a line's unit price: a credit (negative amount) mirrors the sale it
-- refunds, and the engine applies per-unit windows (unit_from, unit_to) to |amount|.
function M.unit_magnitude(line)
  return (line.unit_amount:gsub("^%-", ""))
end

-- The keys of the sets given (tables code -> true), sorted: a rule's calculate_for made from
-- the tables its calculate matches lines with, so the two cannot drift apart.
function M.codes(...)
  local seen, out = {}, {}
  for _, set in ipairs({ ... }) do
    for code in pairs(set) do
      if not seen[code] then
        seen[code] = true
        out[#out + 1] = code
      end
    end
  end
  table.sort(out)
  return out
end

-- True when the line's tax code is `code` or one of its refinements in the product taxonomy
-- (ctx.lines[i].tax_code_parent, docs/rules.md section 2a): a rule that treats "general"
-- goods specially treats "hardware" the same way.
function M.in_family(line, code)
  return line.tax_code == code or line.tax_code_parent == code
end

-- Exempts the first `amount` of each unit's price of lines with `tax_code` (e.g.
-- Massachusetts clothing: only the part of an item's price above $175 is taxed). Every tax
-- entry of the line gets unit_from = amount (keeping a larger unit_from if one is set).
function M.exempt_first(ctx, tax_code, amount)
  for _, line in ipairs(M.taxed_lines(ctx, function(l) return l.tax_code == tax_code end)) do
    for _, t in ipairs(line.taxes) do
      if t.unit_from == nil or money.cmp(t.unit_from, amount) < 0 then
        t.unit_from = amount
      end
    end
    if money.cmp(M.unit_magnitude(line), amount) <= 0 then
      line.taxes = {}
      line.reason = "product_exempt"
    else
      line.reason = "partially_taxable"
    end
  end
end

-- Dated state rates for one tax code: `periods` = { { before = "YYYY-MM-DD", rate = "4.00",
-- reason = "standard_rated" (optional, default "reduced_rated") }, ... }
-- in date order; the first period with ctx.date < before sets the state entry's percentage
-- (adding a state entry named `jurisdiction` when the table treatment removed it, e.g. an
-- exemption that started on `before`). Lines exempted per customer or reverse-charged are left
-- alone. Used where a grocery rate changed recently (IL, AL, MS): the table holds today's
-- treatment, this function the older ones.
function M.dated_state_rate(ctx, tax_code, periods, jurisdiction)
  local rate, reason
  for _, p in ipairs(periods) do
    if ctx.date < p.before then
      rate, reason = p.rate, p.reason or "reduced_rated"
      break
    end
  end
  if rate == nil then
    return
  end
  for _, line in ipairs(ctx.lines) do
    if line.tax_code == tax_code and line.reason ~= "customer_exempt"
       and line.reason ~= "no_tax_in_region" and not line.reverse_charge then
      line.taxes = line.taxes or {}
      local state
      for _, t in ipairs(line.taxes) do
        if t.level == "state" then
          state = t
        end
      end
      if state == nil then
        state = { jurisdiction = jurisdiction, level = "state", type = "SALES_TAX", fraction = "1" }
        line.taxes[#line.taxes + 1] = state
      end
      state.percentage = rate
      line.reason = reason
    end
  end
end

-- A remote seller's election of a state's simplified collection (issue 19, law24; docs/rules.md
-- section 2, "Remote sellers' flat-rate options"): when the seller made the election (its
-- setting, ctx.seller_elections[spec.election]; the rule declares calculate_election), the
-- jurisdictions of `spec.replace` ("all" levels, or "local": county, city, district) on every
-- taxed line become one entry at the rate of the row of `spec.rows` in force at ctx.date
-- ({ from =, to =, rate =, cite = }, both ends inclusive, either open), taxed on the replaced
-- entries' fraction; the others are kept. A seller whose address is in the state (ctx.seller)
-- is not a remote seller, and a date no row covers has no sourced rate: then the destination's
-- rates stay and a note says why. spec: election, state ("AL"), label, replace, rows, and the
-- new entry's jurisdiction, name, level, and optionally its authority_code and
-- jurisdiction_note (law26: used when the resolution has no jurisdiction of that name and
-- level; the answer and the filing report show them). Returns true when it replaced.
function M.remote_election(ctx, spec)
  local chosen = ctx.seller_elections
  if type(chosen) ~= "table" or not chosen[spec.election] then
    return false
  end
  ctx.notes = ctx.notes or {}
  local seller = ctx.seller
  if type(seller) == "table" and seller.country == "US" and seller.state == spec.state then
    ctx.notes[#ctx.notes + 1] = { code = "remote_election_not_remote",
      message = ("%s: the seller's address is in %s, so it is not a remote seller; the destination's rates are charged")
        :format(spec.label, spec.state) }
    return false
  end
  local row
  for _, r in ipairs(spec.rows) do
    if (r.from == nil or ctx.date >= r.from) and (r.to == nil or ctx.date <= r.to) then
      row = r
      break
    end
  end
  if row == nil then
    ctx.notes[#ctx.notes + 1] = { code = "remote_election_no_rate",
      message = ("%s: levy has no sourced rate for %s (the program's dates and rates: %s); the destination's rates are charged")
        :format(spec.label, ctx.date, spec.known) }
    return false
  end
  local n = 0
  for _, line in ipairs(ctx.lines) do
    if M.is_taxed(line) and line.reason ~= "out_of_scope" then
      local keep, fraction = {}, nil
      for _, t in ipairs(line.taxes) do
        if spec.replace == "all" or t.level ~= "state" then
          if fraction == nil and money.cmp(t.percentage, "0") > 0 then fraction = t.fraction end
        else
          keep[#keep + 1] = t
        end
      end
      if fraction ~= nil then
        keep[#keep + 1] = { jurisdiction = spec.jurisdiction, name = spec.name, level = spec.level,
                            type = "SALES_TAX", percentage = row.rate, fraction = fraction,
                            authority_code = spec.authority_code, jurisdiction_note = spec.jurisdiction_note }
        line.taxes = keep
        if spec.replace == "all" and line.reason == "reduced_rated" then line.reason = "standard_rated" end
        n = n + 1
      end
    end
  end
  if n > 0 then
    ctx.notes[#ctx.notes + 1] = { code = "remote_election",
      message = ("%s: %s %%%s (%s)"):format(spec.label, row.rate,
        spec.replace == "all" and " in place of the state and local taxes" or " in place of the destination's local taxes",
        row.cite) }
  end
  return n > 0
end

-- "YYYY-MM-DD" strings compare correctly as strings.
function M.date_on_or_after(date, from)
  return from == nil or date >= from
end

return M
