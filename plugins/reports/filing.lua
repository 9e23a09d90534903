-- The filing-ready liability report's pure parts (issue 20): filing periods and how one
-- document's calculation result splits into the figures a sales-tax return asks for.
-- No store, no clock: plugins/reports/spec/filing_spec.lua tests it on its own.
-- Globals used per document, as locals: a global read in a plugin goes through the sandbox's
-- __index function (core/lua/runtime/sandbox.lua), a Lua call each, which a report over a year
-- of documents paid hundreds of thousands of times (issue 20 follow-up, bench/reports.py).
local type, ipairs, tostring, error, string = type, ipairs, tostring, error, string
local money = require "levy.money"
local dates = require "dates"

local M = {}

M.FREQUENCIES = { month = true, quarter = true, year = true }
-- A region with no filing frequency set files quarterly (the most common assignment for a
-- new registration); PUT /v1/reports/filing-frequencies/{region} changes it.
M.DEFAULT_FREQUENCY = "quarter"

-- The filing period holding the date: key ("2026-03", "2026-Q1", "2026"), first and last day.
function M.period(date, freq)
  local y, m = dates.parse(date)
  if not y then error("not a date: " .. tostring(date)) end
  local m1, m2, key
  if freq == "month" then
    m1, m2, key = m, m, string.format("%04d-%02d", y, m)
  elseif freq == "quarter" then
    local q = (m - 1) // 3 + 1
    m1, m2, key = q * 3 - 2, q * 3, string.format("%04d-Q%d", y, q)
  elseif freq == "year" then
    m1, m2, key = 1, 12, string.format("%04d", y)
  else
    error("unknown filing frequency " .. tostring(freq))
  end
  local last = m2 == 12 and dates.fmt(y, 12, 31) or dates.add_days(dates.fmt(y, m2 + 1, 1), -1)
  return key, dates.fmt(y, m1, 1), last
end

-- A line's taxability reason (core/tax/engine.c reason_names) -> where its sale is counted.
-- "taxable": its taxable_amount is taxable, the rest of the sale non-taxable (a partial base);
-- "exempt": the sale is exempt for that reason (the customer, reverse charge, zero rate);
-- "non_taxable": the item or the place is not taxed (SaaS in California, Oregon, outside the
-- VAT area, a region levy does not collect in).
M.CLASS = {
  standard_rated = "taxable", reduced_rated = "taxable", partially_taxable = "taxable",
  zero_rated = "exempt", customer_exempt = "exempt", reverse_charge = "exempt",
  product_exempt = "non_taxable", no_tax_in_region = "non_taxable", out_of_scope = "non_taxable",
  not_collecting = "non_taxable",
}
-- Exempt reasons, in the order the CSV lists their columns (exempt_sales_<reason>).
M.EXEMPT_REASONS = { "customer_exempt", "reverse_charge", "zero_rated" }

local function amount(s, cur, what)
  local v = type(s) == "string" and money.parse(s, cur)
  if not v then error("stored " .. what .. " is not an amount in " .. tostring(cur) .. ": " .. tostring(s)) end
  return v
end
M.amount = amount

-- One calculation result -> figures in minor units (all >= 0 for a sale; a credit memo's are
-- signed by the caller): {gross, taxable, exempt, exempt_by = {reason = minor},
-- non_taxable, tax, juris = {{jurisdiction, level, type, authority_code, rate, taxable, tax}}}.
-- gross = exempt + non_taxable + taxable for every document (a line's sale is its amount
-- less its discount, split by its reason).
function M.figures(result, cur)
  local f = { gross = 0, taxable = 0, exempt = 0, exempt_by = {}, non_taxable = 0, tax = 0, juris = {} }
  for _, line in ipairs(result.lines or {}) do
    local sale = amount(line.amount or "0", cur, "line amount")
    if line.discount ~= nil then sale = sale - amount(line.discount, cur, "line discount") end
    f.gross = f.gross + sale
    local class = M.CLASS[line.taxability_reason] or "taxable"
    if class == "taxable" then
      local t = amount(line.taxable_amount or "0", cur, "line taxable_amount")
      f.taxable = f.taxable + t
      f.non_taxable = f.non_taxable + (sale - t)
    elseif class == "exempt" then
      local r = line.taxability_reason
      f.exempt = f.exempt + sale
      f.exempt_by[r] = (f.exempt_by[r] or 0) + sale
    else
      f.non_taxable = f.non_taxable + sale
    end
    for _, t in ipairs(line.taxes or {}) do
      local a = amount(t.amount, cur, "tax amount")
      f.tax = f.tax + a
      f.juris[#f.juris + 1] = { jurisdiction = t.jurisdiction, level = t.level, type = t.type,
        authority_code = t.authority_code, rate = t.percentage, line = line,
        taxable = class == "taxable" and amount(t.taxable_amount or "0", cur, "taxable_amount") or 0, tax = a }
    end
  end
  return f
end

return M
