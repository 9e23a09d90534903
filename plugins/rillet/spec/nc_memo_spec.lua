-- The "calculated, not collected" sums kept per whole month (report_rows' memo, migration
-- 0023; issue 20: a year's ~30,000 candidates at 1,000,000 documents were summed again by every
-- filing summary and liability report) answer what summing the candidates' rows answers
-- (opts.live: the oracle) through the writes that change a candidate: a write-back, a new
-- candidate, a date moved into another month, a document paid, deleted; for a year, a part
-- month and a region.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local filing_sums = require "filing_sums"
local json = require "levy.json"

local n = 0
local function calc(id, amount, tax, region)
  n = n + 1
  local cid = "calc_" .. id .. "_" .. n
  local taxes = { { jurisdiction = "CA", level = "state", type = "sales", amount = tax, taxable_amount = amount,
                    percentage = "7.25", authority_code = "06" } }
  local result = { currency = "USD", region = region, total_tax = tax, total_taxable = amount,
                   lines = { { amount = amount, taxable_amount = amount, taxes = taxes } } }
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, total_tax, region,
    created_at, created_ms) VALUES (?, 'invoice', ?, 'f', '{}', ?, ?, ?, 'x', 0)]], cid, id, json.encode(result), tax,
    region)
  calc_rows.record(cid, { ship_to = { country = "US", state = "CA" } }, result, tax, region)
  return cid
end

-- a document calculated with tax and not written: a candidate
local function calculated(id, date, tax, region)
  local cid = calc(id, "100.00", tax, region)
  filing_sums.tx("invoice", id, function()
    store.exec([[INSERT INTO invoices(id, connection_id, currency, doc_date, raw, region, tax_status, calculation_id,
      imported_at) VALUES (?, 'c', 'USD', ?, '{}', ?, 'calculated', ?, 'x')]], id, date, region, cid)
  end)
  return cid
end

local function write_back(id, cid)
  filing_sums.tx("invoice", id, function()
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
      VALUES ('invoice', ?, ?, 'k', 'written', 'x')]], id, cid)
    store.exec("UPDATE invoices SET tax_status = 'written' WHERE id = ?", id)
  end)
end

local function canon(list)
  local out = {}
  for _, r in ipairs(list) do
    local keys = {}
    for k in pairs(r) do keys[#keys + 1] = k end
    table.sort(keys)
    local parts = {}
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. tostring(r[k]) end
    out[#out + 1] = table.concat(parts, ",")
  end
  table.sort(out)
  return out
end

local RANGES = { { "2026-01-01", "2026-12-31" }, { "2026-02-10", "2026-04-30" }, { "2026-03-01", "2026-03-31" } }

local function same_as_rows(what)
  for _, r in ipairs(RANGES) do
    for _, region in ipairs({ false, "US-CA", "US-NY" }) do
      for _ = 1, 2 do -- summed (and kept), then from the memo
        local kept = report_rows.not_collected_candidates("invoice", r[1], r[2], region or nil, { sums = true })
        local rows = report_rows.not_collected_candidates("invoice", r[1], r[2], region or nil,
          { sums = true, live = true })
        assert.same(canon(rows), canon(kept), what .. " " .. r[1] .. ".." .. r[2] .. " " .. tostring(region))
      end
    end
  end
end

describe("the not-collected sums kept per month", function()
  it("equal the candidates' rows through write-backs, new candidates, moves, payment and deletion", function()
    local a = calculated("a", "2026-01-05", "7.25", "US-CA")
    calculated("b", "2026-03-05", "3.00", "US-CA")
    calculated("c", "2026-03-20", "4.00", "US-NY")
    same_as_rows("calculated")
    assert.equal(true, store.row("SELECT count(*) AS n FROM rillet_nc_memo").n >= 12)
    write_back("a", a) -- no longer a candidate
    same_as_rows("written")
    calculated("d", "2026-03-07", "5.00", "US-CA") -- a new one in a month kept
    same_as_rows("new")
    filing_sums.tx("invoice", "b", function()
      store.exec("UPDATE invoices SET doc_date = '2026-06-01' WHERE id = 'b'")
    end)
    same_as_rows("moved")
    filing_sums.tx("invoice", "c", function() store.exec("UPDATE invoices SET status = 'PAID' WHERE id = 'c'") end)
    same_as_rows("paid")
    filing_sums.tx("invoice", "d", function()
      store.exec("UPDATE invoices SET deleted = 1, tax_status = 'deleted' WHERE id = 'd'")
    end)
    same_as_rows("deleted")
  end)

  it("is read again, not summed, while its month's candidates do not change", function()
    calculated("e", "2026-05-05", "7.25", "US-CA")
    local year = { "invoice", "2026-01-01", "2026-12-31", nil, { sums = true } }
    report_rows.not_collected_candidates(table.unpack(year, 1, 5))
    -- the kept May is what a report reads: changed behind its back, the report shows it
    store.exec("UPDATE rillet_nc_memo SET sums = '[]' WHERE month = '2026-05' AND doc_type = 'invoice'")
    assert.same({}, report_rows.not_collected_candidates(table.unpack(year, 1, 5)))
    -- a change to May's candidates: summed again
    calculated("f", "2026-05-06", "1.00", "US-CA")
    assert.equal(1, #report_rows.not_collected_candidates(table.unpack(year, 1, 5)))
  end)

  it("is summed again by the job where a change made it stale, before a report asks", function()
    calculated("g", "2026-07-05", "7.25", "US-CA")
    calculated("h", "2026-08-05", "2.00", "CA")
    local function stale()
      return store.row("SELECT count(*) AS n FROM rillet_nc_months m CROSS JOIN (SELECT '' AS region UNION " ..
        "SELECT 'CA' UNION SELECT 'CA-BC' UNION SELECT 'CA-MB' UNION SELECT 'CA-QC' UNION SELECT 'CA-SK') f " ..
        "CROSS JOIN (SELECT 'invoice' AS doc_type UNION SELECT 'credit_memo') t WHERE NOT EXISTS " ..
        "(SELECT 1 FROM rillet_nc_memo x WHERE x.month = m.month AND x.region = f.region AND " ..
        "x.doc_type = t.doc_type AND x.gen = m.gen)").n
    end
    assert.equal(24, stale()) -- two months, six filters, two types
    local run = filing_sums.job(report_rows.filing_sums_sql, report_rows.collected_sums_sql, report_rows.warm_nc_memo)
    filing_sums.CHECK_BUDGET_SHARE = 0 -- one a run
    local runs = 0
    while stale() > 0 and runs < 40 do
      pcall(run, { payload = { op = "nc_memo" } })
      runs = runs + 1
    end
    filing_sums.CHECK_BUDGET_SHARE = 300
    assert.equal(0, stale())
    assert.equal(24, runs)
    -- and what it kept is what the rows give
    same_as_rows("warmed")
    -- a store whose candidates came without a generation (before migration 0023, or copied in
    -- behind levy's back): their months are summed too
    store.exec("DELETE FROM rillet_nc_months")
    store.exec("DELETE FROM rillet_nc_memo")
    local ok = false
    for _ = 1, 40 do
      local done = report_rows.warm_nc_memo(1001)
      if done then ok = true; break end
    end
    assert.equal(true, ok)
    assert.equal(24, store.row("SELECT count(*) AS n FROM rillet_nc_memo WHERE month IN ('2026-07', '2026-08')").n)
  end)

  it("is written by the job in one transaction a run, one that does not wait for the disk", function()
    -- issue 21: each memo row was an autocommit of its own (an fsync on the loop each, ~12 a
    -- tick for a month changed); now a run's rows are one store.replayable transaction
    calculated("i", "2026-09-05", "7.25", "US-CA")
    calculated("j", "2026-10-05", "2.00", "CA")
    store.exec("DELETE FROM rillet_nc_memo")
    local function kept() return store.row("SELECT count(*) AS n FROM rillet_nc_memo").n end
    local real = report_rows.replayable
    local seen = {}
    report_rows.replayable = function(fn, ...)
      local before = kept()
      local res = table.pack(real(fn, ...))
      seen[#seen + 1] = { before, kept() }
      return table.unpack(res, 1, res.n)
    end
    local ok, done = pcall(report_rows.warm_nc_memo, 1001)
    report_rows.replayable = real
    assert.equal(true, ok, tostring(done))
    assert.equal(true, done)
    -- two months, six filters, two types: all of them written in the one replayable call
    assert.same({ { 0, 24 } }, seen)
    assert.equal(24, kept())
    same_as_rows("warmed in one transaction")
  end)
end)
