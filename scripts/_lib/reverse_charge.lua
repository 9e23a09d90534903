-- Reverse charge for VAT/GST regions (CONTRACT §2.5 "Seller location"; EU: VAT Directive
-- 2006/112/EC art. 44 and 196). A business customer (one with a tax id) buying from a seller
-- not established in the country of destination accounts for the tax itself: the lines keep
-- their would-be rate with a zero amount (reason `reverse_charge`). A seller established in
-- the customer's country charges domestic tax (domestic B2B is charged). The seller's country
-- is ctx.seller.country (ship_from, else the settings address); an unknown seller counts as
-- not established. Lines already exempt (product or customer) or zero-rated stay as they are.
--
-- One implementation for every region that has it: eu/vat.lua and the national files (gb au
-- nz ch no sg jp in) set `calculate = require("_lib.reverse_charge").calculate`. The national
-- copies this replaces compared the seller with their own fixed country code; a national rule
-- applies only where the destination is that country, so comparing with the destination is
-- the same there and also right for the EU, whose destination is one of 27 member states.
-- Greece is "EL" in VIES numbers and "GR" in ISO 3166: both name the same country.
--
-- A tax id is not a word (issue 19): "N/A", an EIN or "DE12345" used to turn on reverse
-- charge. The id must be a well-formed number with a correct check digit (levy.taxid, the
-- offline check of core/tax/taxid.c; per-country sources there and in docs/rules.md "Tax
-- ids") of the destination country -- in the EU, of any member state (Implementing
-- Regulation (EU) 282/2011 art. 18(1)(a): the supplier may regard a customer that
-- communicates its VAT identification number as a taxable person). Otherwise the sale is a
-- consumer sale: tax is charged and the answer carries the note `tax_id_invalid`. A
-- destination levy knows no format for (none of the reverse-charge regions) keeps the old
-- behaviour: the id is taken as given.
local taxid = require "levy.taxid"

local M = {}

-- The ISO country of a code as a rule sees it (upper case; "EL" is Greece), nil if none.
function M.country(c)
  if type(c) ~= "string" or c == "" then
    return nil
  end
  c = string.upper(c)
  if c == "EL" then
    return "GR"
  end
  return c
end

-- The customer's tax id judged for ctx: nil without one, else levy.taxid's result with
-- `usable` (it may stand for a business customer in the destination) and, when not, `note`
-- (the answer's tax_id_invalid text). One decision, in C (levy_taxid_usable, core/tax/taxid.c),
-- shared with the engine's default: valid and of the destination, in the EU of any member
-- state; a registry answer "not_registered" (setting tax_id_online, customer.tax_id_registry)
-- makes it unusable too.
function M.tax_id(ctx)
  local customer = ctx.customer
  local tax_id = customer and customer.tax_id
  if type(tax_id) ~= "string" or tax_id == "" then
    return nil
  end
  local dest = M.country(ctx.ship_to and ctx.ship_to.country)
  local reg = customer.tax_id_registry
  local usable, note, r = taxid.usable(dest, tax_id,
    { eu = ctx.region == "EU", registry = type(reg) == "table" and reg or nil })
  r.usable, r.note = usable, note
  return r
end

-- The note an answer carries when the customer's id was not usable (nil otherwise).
function M.invalid_note(_, r)
  if not r or r.usable then
    return nil
  end
  return { code = "tax_id_invalid", message = r.note }
end

-- true when ctx is a business sale (a usable tax id) from a seller not established in the
-- destination country; second value: the tax id result (nil without an id).
function M.applies(ctx)
  local r = M.tax_id(ctx)
  if not r or not r.usable then
    return false, r
  end
  local dest = M.country(ctx.ship_to and ctx.ship_to.country)
  local seller = M.country(ctx.seller and ctx.seller.country)
  return not (seller ~= nil and seller == dest), r
end

-- A rule's `calculate`: marks the lines reverse-charged where M.applies(ctx); an unusable
-- tax id adds the note `tax_id_invalid` to ctx.notes (the answer's `notes`).
function M.calculate(ctx)
  local on, r = M.applies(ctx)
  local note = M.invalid_note(ctx, r)
  if note then
    ctx.notes = ctx.notes or {}
    ctx.notes[#ctx.notes + 1] = note
  end
  if not on then
    return
  end
  for _, line in ipairs(ctx.lines) do
    if line.reason ~= "product_exempt" and line.reason ~= "customer_exempt"
       and line.reason ~= "zero_rated" then
      line.reverse_charge = true
      line.reason = "reverse_charge"
    end
  end
end

return M
