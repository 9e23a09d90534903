-- nc_docs.lua (issue 20): the "calculated, not collected" candidates kept on write answer what
-- walking every document answers (report_rows.not_collected_candidates with scan = true: the
-- oracle) after each change that decides a candidate: a calculation, a write-back, a newer
-- calculation, drift, a payment, a date move, a deletion.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local filing_sums = require "filing_sums"
local json = require "levy.json"

local n = 0
-- a calculation of one line with one state tax (tax nil: a failed calculation); returns its id
local function calc(id, amount, tax)
  n = n + 1
  local cid = "calc_" .. id .. "_" .. n
  local result = tax and { currency = "USD", region = "US-CA", total_tax = tax, lines = {
    { amount = amount, taxable_amount = amount,
      taxes = { { jurisdiction = "CA", level = "state", type = "sales", amount = tax,
                  taxable_amount = amount, percentage = "7.25", authority_code = "06" } } } } }
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, error, total_tax, region,
    created_at, created_ms) VALUES (?, 'invoice', ?, 'f', '{}', ?, ?, ?, 'US-CA', 'x', 0)]], cid, id,
    result and json.encode(result) or nil, (not result) and "failed" or nil, tax)
  calc_rows.record(cid, { ship_to = { country = "US", state = "CA" } }, result, tax, "US-CA")
  return cid
end

-- what the calculate step does: the document's current calculation, in its transaction
local function calculated(id, cid, status)
  filing_sums.tx("invoice", id, function()
    store.exec("UPDATE invoices SET calculation_id = ?, tax_status = ? WHERE id = ?", cid, status or "calculated", id)
  end)
end

local function doc(id, date)
  filing_sums.tx("invoice", id, function()
    store.exec([[INSERT INTO invoices(id, connection_id, currency, doc_date, raw, region, tax_status, imported_at)
      VALUES (?, 'c', 'USD', ?, '{}', 'US-CA', 'pending', 'x')]], id, date)
  end)
end

local function written(id, cid)
  filing_sums.tx("invoice", id, function()
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
      VALUES ('invoice', ?, ?, 'k', 'written', 'x')]], id, cid)
    store.exec("UPDATE invoices SET tax_status = 'written' WHERE id = ?", id)
  end)
end

local FROM, TO = "2026-01-01", "2026-12-31"

-- the kept path's answers against the scan's: the candidates, a keyset page, the sums
local function same_as_scan(what)
  for _, opts in ipairs({ {}, { complex = true }, { sums = true }, { sums = true, by_day = true },
                          { after = { "2026-03-05", "invoice", "a" }, limit = 2 } }) do
    local kept = report_rows.not_collected_candidates("invoice", FROM, TO, nil, opts)
    local o = { scan = true }
    for k, v in pairs(opts) do o[k] = v end
    local scan = report_rows.not_collected_candidates("invoice", FROM, TO, nil, o)
    if opts.sums then
      local function key(r) return r.month .. r.region .. tostring(r.own_reason) .. r.tax_status .. r.paid end
      table.sort(kept, function(a, b) return key(a) < key(b) end)
      table.sort(scan, function(a, b) return key(a) < key(b) end)
    end
    assert.same(scan, kept, what .. " " .. json.encode(opts))
  end
end

local function ids()
  local out = {}
  for _, r in ipairs(report_rows.not_collected_candidates("invoice", FROM, TO, nil, {})) do out[#out + 1] = r.id end
  return table.concat(out, " ")
end

describe("nc_docs", function()
  it("keeps the candidates the scan finds through every change that decides them", function()
    doc("a", "2026-03-05"); calculated("a", calc("a", "100.00", "7.25"))
    doc("b", "2026-03-05"); calculated("b", calc("b", "50.00", "3.63"))
    doc("c", "2026-04-10"); calculated("c", calc("c", "80.00", "0.00")) -- no tax due: not a candidate
    doc("d", "2026-05-01"); calculated("d", calc("d", "10.00", nil), "failed")
    doc("e", "2026-06-01"); calculated("e", calc("e", "20.00", "1.45"))
    same_as_scan("calculated")
    assert.equal("a b d e", ids())
    -- a's write-back accepted: collected, no longer a candidate
    written("a", store.row("SELECT calculation_id FROM invoices WHERE id = 'a'").calculation_id)
    same_as_scan("written")
    assert.equal("b d e", ids())
    -- a new calculation of a after its write: its tax differs from what Rillet holds again
    calculated("a", calc("a", "200.00", "14.50"))
    same_as_scan("recalculated after the write")
    assert.equal("a b d e", ids())
    -- written again, then Rillet's tax changed (drift, as reconcile.lua flags it)
    written("a", store.row("SELECT calculation_id FROM invoices WHERE id = 'a'").calculation_id)
    assert.equal("b d e", ids())
    filing_sums.tx("invoice", "a", function()
      store.exec("UPDATE invoices SET tax_status = 'drift' WHERE id = 'a'")
      store.exec([[INSERT INTO reconciliation(run_id, connection_id, doc_type, doc_id, rillet_tax, reason, action,
        found_at) VALUES (1, 'c', 'invoice', 'a', '1.00', 'r', 'flagged drift', 'x')]])
    end)
    same_as_scan("drift")
    assert.equal("a b d e", ids())
    -- the documents in drift chosen from the kept candidates: the same as all of them filtered
    local function drift_of(list, pick)
      local out = {}
      for _, r in ipairs(list) do if pick(r) then out[#out + 1] = r end end
      return out
    end
    local dw = report_rows.accepted_writes("invoice", FROM, TO, nil, true)
    assert.equal(1, #dw)
    assert.same(drift_of(report_rows.accepted_writes("invoice", FROM, TO, nil, false),
      function(r) return r.tax_status == "drift" end), dw)
    local fr = report_rows.filing_documents(FROM, TO, { restate = true })
    assert.equal(1, #fr)
    assert.same(drift_of(report_rows.filing_documents(FROM, TO, {}), function(r) return r.restate == 1 end), fr)
    -- b paid in Rillet (a reason's input, read from the document: the sums regroup it)
    filing_sums.tx("invoice", "b", function() store.exec("UPDATE invoices SET status = 'PAID' WHERE id = 'b'") end)
    same_as_scan("paid")
    -- e moved to another month, then out of the year
    filing_sums.tx("invoice", "e", function()
      store.exec("UPDATE invoices SET doc_date = '2026-02-14' WHERE id = 'e'")
    end)
    same_as_scan("moved")
    assert.equal("e a b d", ids())
    filing_sums.tx("invoice", "e", function()
      store.exec("UPDATE invoices SET doc_date = '2027-01-02' WHERE id = 'e'")
    end)
    same_as_scan("moved out")
    assert.equal("a b d", ids())
    -- d deleted in Rillet
    filing_sums.tx("invoice", "d", function()
      store.exec("UPDATE invoices SET deleted = 1, tax_status = 'deleted' WHERE id = 'd'")
    end)
    same_as_scan("deleted")
    assert.equal("a b", ids())
    -- c's new calculation has tax: a candidate now
    calculated("c", calc("c", "80.00", "5.80"))
    same_as_scan("taxed")
    assert.equal("a b c", ids())
    assert.equal(3, store.row("SELECT count(*) AS n FROM rillet_nc_docs WHERE doc_date <= '2026-12-31'").n)
  end)

  it("a kept row whose document stopped being a candidate is not counted", function()
    doc("f", "2026-07-01"); calculated("f", calc("f", "100.00", "7.25"))
    assert.equal("f", ids())
    -- written behind the kept table's back (no refresh): the live check leaves f out
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
      SELECT 'invoice', id, calculation_id, 'k', 'written', 'x' FROM invoices WHERE id = 'f']])
    assert.equal("", ids())
    same_as_scan("written without a refresh")
  end)
end)
