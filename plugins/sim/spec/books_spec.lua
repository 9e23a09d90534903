-- books.lua: invoices edited in Rillet's UI (void, tax typed by hand) send the same UPDATED
-- webhook as every other change: the invoice as the API shows it (under the `line_amounts:
-- "gross"` setting a line's total_amount before its discount), not the stored net form.
local json = require "levy.json"
local store = require "levy.store"
local books = require "books"
local db = require "db"
local docs = require "docs"
local state = require "state"

local function usd(a) return { amount = a, currency = "USD" } end

local function stored_invoice()
  local inv = { id = "inv_books", invoice_number = "INV-00001", subsidiary_id = "sub_1", customer_id = "cus_1",
                status = "UNPAID", invoice_date = "2026-08-01", due_date = "2099-01-01",
                items = json.array({ { id = "line_1", total_amount = usd("90.00"), total_discount = usd("10.00"),
                                       taxed_amount = usd("0.00") } }) }
  docs.invoice_totals(inv, {}, "USD")
  db.insert("invoice", inv, db.doc_cols(inv, "USD"), nil, { paid = 0, credited = 0 })
  store.exec([[INSERT INTO sim_webhooks(id, url, token, events, enabled, created_at)
    VALUES ('wh_1', 'http://127.0.0.1:9/', 'dG9rZW4=', '{"INVOICE":["UPDATED"]}', 1, '2026-08-01T00:00:00Z')]])
end

local function req(body)
  return { params = { id = "inv_books" }, body = body and json.encode(body) or "", headers = {},
           json = function() return body end }
end

local function delivered_line()
  local d = store.row("SELECT body FROM sim_deliveries WHERE entity = 'INVOICE' AND event = 'UPDATED' " ..
    "ORDER BY seq DESC")
  assert(d, "an UPDATED delivery was queued")
  return json.decode(d.body).items[1]
end

describe("books webhooks", function()
  after_each(function() state.reset_config() end)

  for _, case in ipairs({
    { name = "void", run = function() return books.ctl_void(req()) end },
    { name = "manual tax", run = function() return books.ctl_manual_tax(req({ percentage = "10" })) end },
  }) do
    it("sends the invoice as the API shows it after a " .. case.name, function()
      state.set_config({ line_amounts = "gross" })
      stored_invoice()
      assert.equal(200, (case.run()))
      assert.same(usd("100.00"), delivered_line().total_amount)
      state.set_config({ line_amounts = "net" })
      assert.equal(200, (case.run()))
      assert.same(usd("90.00"), delivered_line().total_amount)
    end)
  end
end)
