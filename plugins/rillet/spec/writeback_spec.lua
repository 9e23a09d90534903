-- writeback.lua: the body levy sends to Rillet (POST /invoices/{id}/taxes, UpdateTaxesRequest)
-- and how it reads Rillet's answer.
local json = require "levy.json"
local mapping = require "mapping"
local writeback = require "writeback"

local TS = 1785585600000 -- 2026-08-01T12:00:00Z

local function money(amount, currency) return { amount = amount, currency = currency or "USD" } end

local DOC = {
  id = "inv_1",
  updated_at = "2026-08-01T11:00:00Z",
  total = money("300.00"),
  items = {
    { id = "line_1", total_amount = money("200.00") },
    { id = "line_2", total_amount = money("100.00") },
    { id = json.null, total_amount = money("0.00") },   -- a line without id is not written
  },
}

local RESULT = {
  region = "US-CA", currency = "USD", total_tax = "17.25",
  lines = {
    { id = "line_1", tax = "17.25", taxability_reason = "taxable", taxes = {
      { jurisdiction = "CALIFORNIA", level = "state", type = "SALES_TAX", percentage = "7.25", amount = "14.50" },
      { jurisdiction = "san francisco", level = "county", type = "SALES_TAX", percentage = "1.375", amount = "2.75" },
    } },
    { id = "line_2", tax = "0.00", taxability_reason = "customer_exempt", note = "Exempt: certificate CA-1",
      taxes = { { jurisdiction = "CALIFORNIA", level = "state", type = "SALES_TAX", percentage = "0",
                  amount = "0.00" } } },
  },
}

local REQ = { ship_to = { country = "US", state = "CA" } }

describe("body", function()
  it("writes each line's rates, a note as a 0 % rate, in Rillet's field names", function()
    local body = writeback.body("invoice", DOC, RESULT, REQ, TS)
    assert.equal("2026-08-01T12:00:00Z", body.taxes_calculated_at)
    assert.equal(2, #body.items)
    assert.same({
      { type = "SALES_TAX", country = "US", description = "California state sales tax",
        percentage = json.number("7.25"), tax_amount = { amount = "14.50", currency = "USD" } },
      { type = "SALES_TAX", country = "US", description = "San Francisco county sales tax",
        percentage = json.number("1.375"), tax_amount = { amount = "2.75", currency = "USD" } },
    }, body.items[1].tax_rates)
    assert.same({
      { type = "SALES_TAX", country = "US", description = "Exempt: certificate CA-1",
        percentage = json.number("0"), tax_amount = { amount = "0.00", currency = "USD" } },
    }, body.items[2].tax_rates)
  end)

  it("names a jurisdiction once when its name says its level (issue 19)", function()
    assert.equal("Erie County sales tax", mapping.describe({ jurisdiction = "ERIE COUNTY", level = "county",
                                                             type = "SALES_TAX" }))
    assert.equal("Richmond City sales tax", mapping.describe({ jurisdiction = "RICHMOND CITY", level = "city",
                                                               type = "SALES_TAX" }))
    assert.equal("Orange county sales tax", mapping.describe({ jurisdiction = "ORANGE", level = "county",
                                                               type = "SALES_TAX" }))
  end)

  it("sends percentages as JSON numbers and amounts as strings", function()
    local text = json.encode(writeback.body("invoice", DOC, RESULT, REQ, TS).items[1].tax_rates[1])
    assert.matches('"percentage":7%.25[,}]', text)
    assert.matches('"amount":"14%.50"', text)
  end)

  it("clears the tax of a line the result does not cover (empty tax_rates array)", function()
    local result = { currency = "USD", total_tax = "0", lines = {} }
    local body = writeback.body("invoice", DOC, result, REQ, TS)
    assert.equal('[]', json.encode(body.items[1].tax_rates))
    assert.equal('[]', json.encode(body.items[2].tax_rates))
  end)

  it("takes the currency from the document before the result", function()
    local doc = { id = "inv_2", total = money("10.00", "EUR"),
                  items = { { id = "l", total_amount = money("10.00", "EUR") } } }
    local result = { currency = "USD", lines = { { id = "l", tax = "1.90", taxes = {
      { jurisdiction = "germany", level = "country", type = "VAT", percentage = "19", amount = "1.90" } } } } }
    local body = writeback.body("invoice", doc, result, { ship_to = { country = "DE" } }, TS)
    assert.same({ amount = "1.90", currency = "EUR" }, body.items[1].tax_rates[1].tax_amount)
    assert.equal("Germany VAT", body.items[1].tax_rates[1].description)
  end)

  it("follows a customised mapping.tax_rates", function()
    local saved = mapping.describe
    mapping.describe = function(t) return "Tax " .. t.percentage .. "%" end
    local ok, err = pcall(function()
      local body = writeback.body("invoice", DOC, RESULT, REQ, TS)
      assert.equal("Tax 7.25%", body.items[1].tax_rates[1].description)
    end)
    mapping.describe = saved
    if not ok then error(err, 0) end
  end)
end)

describe("result_hash and idempotency_key", function()
  it("changes when a note changes, so a new certificate is written", function()
    local other = json.decode(json.encode(RESULT))
    other.lines[2].note = "Exempt: certificate CA-2"
    assert.truthy(writeback.result_hash(RESULT) ~= writeback.result_hash(other))
  end)

  it("keeps one key per document version and a new one per version or unverified write", function()
    local h = writeback.result_hash(RESULT)
    local k1 = writeback.idempotency_key("inv_1", "fp", h, DOC, 0)
    assert.equal(k1, writeback.idempotency_key("inv_1", "fp", h, DOC, 0))
    assert.matches("^levy%-%x+$", k1)
    assert.equal(53, #k1)
    local newer = { updated_at = "2026-08-01T11:30:00Z" }
    assert.truthy(k1 ~= writeback.idempotency_key("inv_1", "fp", h, newer, 0))
    assert.truthy(k1 ~= writeback.idempotency_key("inv_1", "fp", h, DOC, 1))
  end)
end)

describe("unverified", function()
  -- Rillet's copy after the write: per-line and total tax as it holds them
  local function answer(tax, updated_at)
    return { id = "inv_1", updated_at = updated_at, taxed_amount = money(tax), items = {
      { id = "line_1", taxed_amount = money(tax) }, { id = "line_2", taxed_amount = money("0.00") } } }
  end

  it("accepts Rillet's newer copy holding the tax levy sent", function()
    assert.is_nil(writeback.unverified("inv_1", DOC, RESULT, answer("17.25", "2026-08-01T12:00:01Z"), {}))
  end)

  it("does not trust a replayed answer", function()
    assert.matches("Idempotent%-Replayed", writeback.unverified("inv_1", DOC, RESULT,
      answer("17.25", "2026-08-01T12:00:01Z"), { ["idempotent-replayed"] = "true" }))
  end)

  it("does not trust an answer without the document or with other tax", function()
    assert.matches("holds no document", writeback.unverified("inv_1", DOC, RESULT, {}, {}))
    assert.matches("holds 3.00 tax, levy sent 17.25",
      writeback.unverified("inv_1", DOC, RESULT, answer("3.00", "2026-08-01T12:00:01Z"), {}))
  end)

  it("does not trust an answer that is not newer than the version written against", function()
    assert.matches("not newer", writeback.unverified("inv_1", DOC, RESULT, answer("17.25", DOC.updated_at), {}))
  end)
end)

describe("own_failure", function()
  it("counts a document's own failures, not Rillet being down", function()
    -- a failure after the key's last request was answered: the document's own
    assert.equal(true, writeback.own_failure({ kind = "http", status = 503 }))
    assert.equal(true, writeback.own_failure({ kind = "transport", code = "timeout" }))
    assert.equal(true, writeback.own_failure({ kind = "http", status = 422 }))
    -- the key's requests were failing anyway, Rillet's rate limit, a wait for the circuit: not counted
    assert.equal(false, writeback.own_failure({ kind = "http", status = 503, others_failing = true }))
    assert.equal(false, writeback.own_failure({ kind = "transport", code = "timeout", others_failing = true }))
    assert.equal(false, writeback.own_failure({ kind = "http", status = 429 }))
    assert.equal(false, writeback.own_failure({ kind = "rate", circuit = true }))
  end)
end)
