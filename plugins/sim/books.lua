-- Simulator: closed books periods (GET /books/periods/last-closed), voided documents and tax
-- typed by hand in Rillet's UI (issue 16). Control endpoints under /_sim/ (no Rillet auth).
local json = require "levy.json"
local store = require "levy.store"
local time = require "levy.time"
local money = require "levy.money"
local P = require "problem"
local state = require "state"
local db = require "db"
local docs = require "docs"
local hooks = require "hooks"

local M = {}

local function ok(status, body)
  if type(body) == "table" then body = json.canonical(body) end
  return status, body, { ["Content-Type"] = "application/json" }
end

local function body_of(req)
  if req.body == nil or req.body == "" then return {} end
  local b = json.decode(req.body)
  if type(b) ~= "table" or b[1] ~= nil then P.raise(400, "The request body must be a JSON object.") end
  return b
end

local function period()
  local raw = state.get("books_period")
  return raw and json.decode(raw) or nil
end

-- GET /books/periods/last-closed (Rillet `Book`): 404 when no period was ever closed (as the
-- spec says). `/_sim/books {"fail": 500}` makes it answer that status instead (levy must hold
-- its writes then, not assume the books are open).
function M.last_closed()
  local fail = tonumber(state.get("books_fail") or "0") or 0
  if fail >= 400 then P.raise(math.tointeger(fail), "Books periods are unavailable (simulated).") end
  local p = period()
  if not p then P.raise(404, "No book period has been closed yet.") end
  return ok(200, p)
end

-- POST /_sim/books {"close_through":"YYYY-MM-DD"} closes every period up to that date (the
-- last closed period is the month ending there); {"reopen":true} reopens all;
-- {"fail":500|0} switches failures of the Rillet endpoint on or off. GET: the state.
function M.ctl_books(req)
  if req.method == "POST" then
    local b = body_of(req)
    for k in pairs(b) do
      if k ~= "close_through" and k ~= "reopen" and k ~= "fail" then
        P.raise(400, "Unknown field " .. tostring(k) .. ".", { { field = tostring(k), message = "unknown field" } })
      end
    end
    if b.fail ~= nil then
      if math.type(b.fail) ~= "integer" or (b.fail ~= 0 and (b.fail < 400 or b.fail > 599)) then
        P.raise(400, "fail: must be 0 or an HTTP status 400-599.", { { field = "fail", message = "must be 0 or 400-599" } })
      end
      state.put("books_fail", tostring(b.fail))
    end
    if b.reopen == true then store.exec("DELETE FROM sim_config WHERE name = 'books_period'") end
    if b.close_through ~= nil then
      local d = b.close_through
      if type(d) ~= "string" or not d:match("^%d%d%d%d%-%d%d%-%d%d$") or not time.valid_date(d) then
        P.raise(400, "close_through: must be a date YYYY-MM-DD.", { { field = "close_through", message = "must be a date" } })
      end
      local id = (period() or {}).id or docs.uuid()
      state.put("books_period", json.canonical({ id = id, start = d:sub(1, 8) .. "01", ["end"] = d, status = "CLOSED",
                                              closed_on = time.date(state.now()) }))
    end
  end
  return ok(200, { period = period() or json.null, fail = math.tointeger(tonumber(state.get("books_fail") or "0")) })
end

-- An invoice edited in Rillet's UI: totals recomputed, stored, UPDATED webhook (the invoice as
-- the API shows it, as every other webhook); answers it.
local function save_edited(inv, extra, cur)
  return ok(200, hooks.save_doc("invoice", inv, extra, cur))
end

-- POST /_sim/invoices/{id}/void: the invoice is voided (status VOIDED: not an InvoiceStatus value
-- in Rillet's v4 spec, but a plausible one; levy treats any *VOID* status as voided).
function M.ctl_void(req)
  local inv, extra = db.get("invoice", req.params.id)
  if not inv then P.raise(404, "Invoice not found.") end
  local cur = inv.total.currency
  extra.voided = true
  return save_edited(inv, extra, cur)
end

-- POST /_sim/invoices/{id}/manual-tax {"percentage":"10"}: tax typed by hand in Rillet's UI: every
-- line gets one SALES_TAX rate "Typed by hand" of that percentage of its amount (half-up to
-- the cent), totals recomputed, UPDATED webhook. Not counted as an API tax write.
function M.ctl_manual_tax(req)
  local inv, extra = db.get("invoice", req.params.id)
  if not inv then P.raise(404, "Invoice not found.") end
  local b = body_of(req)
  local pct = b.percentage
  if type(pct) ~= "string" or not pct:match("^%d+%.?%d*$") or tonumber(pct) > 100 then
    P.raise(400, "percentage: must be a decimal string 0-100.", { { field = "percentage", message = "must be a decimal string 0-100" } })
  end
  local cur = inv.total.currency
  local items = {}
  for _, l in ipairs(inv.items) do
    local net = docs.minor(l.total_amount, cur)
    -- net * pct / 100, half-up, in minor units (pct has at most a few decimals)
    local whole, frac = pct:match("^(%d+)%.?(%d*)$")
    local scale = 10 ^ #frac
    local p_int = math.tointeger(tonumber(whole .. frac))
    local denom = math.tointeger(100 * scale)
    local tax = (net * p_int * 2 + denom) // (2 * denom)
    items[#items + 1] = { id = l.id, tax_rates = json.array({ {
      type = "SALES_TAX", country = (inv.shipping_address or inv.customer_address or {}).country or "US",
      description = "Typed by hand", percentage = json.number(pct),
      tax_amount = { amount = money.format(tax, cur), currency = cur } } }) }
  end
  local writes = extra.tax_writes or 0
  docs.apply_taxes(inv, extra, { taxes_calculated_at = time.iso(state.now()), items = json.array(items) }, cur)
  extra.tax_writes = writes
  extra.manual_tax = pct
  return save_edited(inv, extra, cur)
end

return M
