-- Start dates of the foreign-seller regimes (issue 19, audit19b): a country's VAT/GST on digital
-- services supplied by sellers established abroad starts on a date (Thailand's e-service VAT
-- 2021-09-01, Indonesia's PMSE VAT 2020-07-01, the Philippines' VAT on digital services
-- 2025-06-02, ...). Before it, a seller not established in the country had no duty to charge
-- the country's tax on those services: levy answers the line `out_of_scope` (no tax, no
-- jurisdictions) and the note `regime_not_in_force` naming the start date and its source.
-- Loaded with `require "_lib.foreign_regime"` from a rule's calculate(ctx).
--
-- The regime is rule data (a citation per row), declared as the rule's `foreign_seller_regime`:
--
--   foreign_seller_regime = {
--     { from = "2021-09-01", codes = { "saas", "software_download", "digital_goods" },
--       cite = "Revenue Code s. 85/1-85/20 (Revenue Code Amendment Act No. 53 B.E. 2564)" },
--   },
--
-- A line's code is looked up by its own `tax_code`, then by its parent (`tax_code_parent`), in
-- the rows' `codes`; the first row listing it gives its start date (several rows: a regime
-- widened later, e.g. to more kinds of service). A code no row lists is not touched (the rule's
-- own answer stands: goods, professional services...). A seller established in the country
-- (`ctx.seller.country` equal to the rule's country) is a domestic supplier: never touched.
-- An unknown seller counts as not established, as for reverse charge (docs/rules.md section 2).
--
-- A province's tax (Canada's PST/QST: the rule of region CA-QC, CA-BC, ...) has its own regime
-- for sellers outside the province: `apply(ctx, regime, "CA", "QC")` counts a seller as
-- established only in that province, and a row may say which sellers outside it it is for:
-- `sellers = "abroad"` (established outside the country) or `sellers = "in_country"` (in the
-- country, outside the province); without it, every seller not established. Quebec's
-- specified registration started on 2019-01-01 for sellers abroad and on 2019-09-01 for
-- sellers elsewhere in Canada (two rows). Each rule's calculate(ctx) sees only its own
-- region's taxes, so the federal GST/HST and a province's tax of one line start on their
-- own dates: the engine (core/tax/calc.c) answers the line out_of_scope only when no other
-- region's tax is left on it.
-- Lines reverse-charged, exempt per customer or product, not collected or out of scope are left
-- as they are: a business customer's self-assessment of imported services is older law than the
-- collection regimes (e.g. Thailand's s. 83/6), and an exempt line owes nothing either way.
local M = {}

local LEAVE = {
  reverse_charge = true, customer_exempt = true, product_exempt = true, not_collecting = true,
  no_tax_in_region = true, out_of_scope = true,
}

local function seller_fits(row, seller, country)
  if row.sellers == nil then return true end
  local abroad = type(seller) ~= "table" or seller.country ~= country -- (a union: rows without `sellers`)
  if row.sellers == "abroad" then return abroad end
  if row.sellers == "in_country" then return not abroad end
  error("foreign_seller_regime: sellers must be \"abroad\" or \"in_country\", not " .. tostring(row.sellers))
end

local function row_for(regime, line, seller, country)
  for _, key in ipairs({ line.tax_code, line.tax_code_parent }) do
    for _, row in ipairs(regime) do
      if seller_fits(row, seller, country) then
        for _, c in ipairs(row.codes or {}) do
          if c == key then return row end
        end
      end
    end
  end
  return nil
end

-- Applies `regime` (the rule's foreign_seller_regime) to ctx for a rule of country `country`
-- (ISO code), or of its province `province` (Canada's "QC", "BC", ...: a seller is established
-- only in that province). `country` may also be a union of countries, `{ name = "EU", DE =
-- true, FR = true, ... }`: a seller established in any of them is established (the EU rule).
function M.apply(ctx, regime, country, province)
  if type(regime) ~= "table" then return end
  local seller = ctx.seller
  local union = type(country) == "table" and country or nil
  if type(seller) == "table" then
    if union and union[seller.country] then return end
    if not union and seller.country == country and (province == nil or seller.state == province) then return end
  end
  local place = union and union.name or province and (country .. "-" .. province) or country
  local noted = {}
  for _, line in ipairs(ctx.lines) do
    local row = row_for(regime, line, seller, country)
    if row and ctx.date < row.from and not LEAVE[line.reason] then
      line.taxes = {}
      line.reason = "out_of_scope"
      if not noted[row.from] then
        noted[row.from] = true
        ctx.notes = ctx.notes or {}
        ctx.notes[#ctx.notes + 1] = {
          code = "regime_not_in_force",
          message = string.format("%s: a seller established outside %s charges %s's tax on these supplies only from %s (%s); "
            .. "before that date the sale is outside the regime", place, place, place, row.from, row.cite or "no source"),
        }
      end
    end
  end
end

return M
