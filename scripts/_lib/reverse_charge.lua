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

-- true when ctx is a business sale from a seller not established in the destination country.
function M.applies(ctx)
  local customer = ctx.customer
  local tax_id = customer and customer.tax_id
  if type(tax_id) ~= "string" or tax_id == "" then
    return false
  end
  local dest = M.country(ctx.ship_to and ctx.ship_to.country)
  local seller = M.country(ctx.seller and ctx.seller.country)
  return not (seller ~= nil and seller == dest)
end

-- A rule's `calculate`: marks the lines reverse-charged where M.applies(ctx).
function M.calculate(ctx)
  if not M.applies(ctx) then
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
