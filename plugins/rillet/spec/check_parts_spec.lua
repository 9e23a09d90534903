-- The kept sums' check recomputes a month a part at a time (filing_sums.lua check_step, issue
-- 20: at 100,000 documents one month summed in one job run was over the run's budget, so the
-- check never finished; bench/README.md "Reports and the sums check at 100k and 1M
-- documents"). A run's budget is played here by the recomputation itself: asked for more
-- than CHECK_PART documents at once it fails as levy's budget would ("running-time budget
-- exceeded"). A month bigger than that must still be compared, a write into a part already
-- summed must not show as a difference, and a real difference must be found.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local filing_sums = require "filing_sums"
local json = require "levy.json"

local n = 0
local function calc(id, amount, tax)
  n = n + 1
  local cid = "calc_" .. id .. "_" .. n
  local taxes = { { jurisdiction = "CA", level = "state", type = "sales", amount = tax, taxable_amount = amount,
                    percentage = "7.25", authority_code = "06" } }
  local result = { currency = "USD", region = "US-CA", total_tax = tax, total_taxable = amount,
                   lines = { { amount = amount, taxable_amount = amount, taxes = taxes } } }
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, total_tax, region,
    created_at, created_ms) VALUES (?, 'invoice', ?, 'f', '{}', ?, ?, 'US-CA', 'x', 0)]], cid, id,
    json.encode(result), tax)
  calc_rows.record(cid, { ship_to = { country = "US", state = "CA" } }, result, tax, "US-CA")
  return cid
end

local TABLE = { invoice = "invoices", credit_memo = "credit_memos" }

local function doc(t, id, date)
  filing_sums.tx(t, id, function()
    store.exec("INSERT INTO " .. TABLE[t] .. [[(id, connection_id, currency, doc_date, raw, region, tax_status,
      imported_at) VALUES (?, 'c', 'USD', ?, '{}', 'US-CA', 'calculated', 'x')]], id, date)
  end)
end

local function written(t, id, amount, tax)
  local cid = calc(id, amount, tax)
  filing_sums.tx(t, id, function()
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
      VALUES (?, ?, ?, 'k', 'written', 'x')]], t, id, cid)
    store.exec("UPDATE " .. TABLE[t] .. " SET calculation_id = ?, tax_status = 'written' WHERE id = ?", cid, id)
  end)
end

-- the documents a recomputation of the rows covers (a month, or a part of one)
local function covered(t, from, to, range)
  if range and range.type ~= t then return 0 end
  local args, w = {}, {}
  if range and range.lo then
    w[1] = "(d.doc_date, d.id) > (?, ?)"
    table.move(range.lo, 1, 2, #args + 1, args)
  else
    w[1] = "d.doc_date >= ?"
    args[#args + 1] = from
  end
  if range and range.hi then
    w[2] = "(d.doc_date, d.id) <= (?, ?)"
    table.move(range.hi, 1, 2, #args + 1, args)
  else
    w[2] = "d.doc_date <= ?"
    args[#args + 1] = to
  end
  return store.row("SELECT count(*) AS n FROM " .. TABLE[t] .. " d WHERE " .. table.concat(w, " AND "),
    table.unpack(args)).n
end

-- report_rows' recomputations, failing as a run's budget would when asked for more than
-- CHECK_PART documents at once
local asked = {}
local function over(docs)
  asked[#asked + 1] = docs
  if docs > filing_sums.CHECK_PART then error("running-time budget exceeded (LEVY_LUA_TIME_MS)", 0) end
end
local function filing_sql(from, to, region, untaxed, range)
  over(covered("invoice", from, to, range) + covered("credit_memo", from, to, range))
  return report_rows.filing_sums_sql(from, to, region, untaxed, range)
end
local function collected_sql(t, from, to, region, range)
  over(covered(t, from, to, range))
  return report_rows.collected_sums_sql(t, from, to, region, range)
end

local run = filing_sums.job(filing_sql, collected_sql)
local function status() return filing_sums.check_status().check end
local function step()
  local ok, err = pcall(run, { payload = { op = "check" } })
  -- a run cut off by its budget is retried by the job queue: the next step runs again
  if not ok and not tostring(err):match("budget exceeded") then error(err, 0) end
  return ok
end
local function finish(max)
  for _ = 1, max or 200 do
    if status().state ~= "running" then break end
    step()
  end
  return status()
end

-- March: 7 documents (a part is 2), the other months one each
local function month_docs()
  store.exec("UPDATE rillet_filing_state SET liab_ready = 1, ready = 1, phase = NULL WHERE id = 1")
  for i, d in ipairs({ "2026-01-05", "2026-02-05", "2026-04-05" }) do
    doc("invoice", "o" .. i, d); written("invoice", "o" .. i, "100.00", "7.25")
  end
  for i, d in ipairs({ "2026-03-02", "2026-03-02", "2026-03-03", "2026-03-09", "2026-03-20", "2026-03-31" }) do
    doc("invoice", "m" .. i, d); written("invoice", "m" .. i, tostring(10 * i) .. ".00", tostring(i) .. ".00")
  end
  doc("credit_memo", "cm1", "2026-03-04"); written("credit_memo", "cm1", "5.00", "0.36")
end

-- steps until March has at least `parts` parts summed
local function into_march(parts)
  for _ = 1, 100 do
    local r = store.row("SELECT count(*) AS n FROM rillet_check_parts WHERE month = '2026-03' AND done_gen = gen")
    if r.n >= parts then return end
    step()
  end
  error("March never reached")
end

describe("the kept sums' check, a month a part at a time", function()
  before_each(function()
    filing_sums.CHECK_PART = 2
    filing_sums.CHECK_BUDGET_SHARE = 0 -- one step a run
    asked = {}
  end)
  after_each(function()
    filing_sums.CHECK_PART = 2000
    filing_sums.CHECK_BUDGET_SHARE = 300
  end)

  it("compares a month bigger than a run's share, over several runs", function()
    month_docs()
    filing_sums.start_check()
    local st = finish()
    assert.equal("ok", st.state)
    assert.equal(4, st.months)
    assert.equal(0, st.mismatches)
    assert.equal(10, st.kinds.not_collected.documents)
    for _, a in ipairs(asked) do assert.equal(true, a <= 2, "a recomputation of " .. a .. " documents") end
    -- nothing left of the parts
    assert.equal(0, store.row("SELECT count(*) AS n FROM rillet_check_parts").n)
    -- a budget that allows it: the whole walk in one run
    filing_sums.CHECK_BUDGET_SHARE = 1001
    filing_sums.start_check()
    step()
    st = status()
    assert.equal("nc_invoice", json.decode(store.row("SELECT check_diffs FROM rillet_filing_state").check_diffs).phase)
    assert.equal(4, st.months)
  end)

  it("takes writes into parts already summed without a false difference", function()
    month_docs()
    filing_sums.start_check()
    into_march(2)
    -- a newer calculation written, a document added before the first part's end, one moved
    -- from a later part into the first, one deleted, one moved out of March
    written("invoice", "m1", "999.00", "99.00")
    doc("invoice", "m0", "2026-03-01"); written("invoice", "m0", "1.00", "0.07")
    filing_sums.tx("invoice", "m5", function()
      store.exec("UPDATE invoices SET doc_date = '2026-03-02' WHERE id = 'm5'")
    end)
    filing_sums.tx("invoice", "m2", function()
      store.exec("UPDATE invoices SET deleted = 1, tax_status = 'deleted' WHERE id = 'm2'")
    end)
    filing_sums.tx("invoice", "m3", function()
      store.exec("UPDATE invoices SET doc_date = '2026-04-01' WHERE id = 'm3'")
    end)
    -- the parts written to are summed again: March compares equal at its first reading (no
    -- second pass, which would hide a difference seen once)
    local passes = {}
    for _ = 1, 200 do
      if status().state ~= "running" then break end
      step()
      local cur = json.decode(store.row("SELECT check_diffs FROM rillet_filing_state").check_diffs).cur
      if type(cur) == "table" then passes[cur.month .. " " .. cur.pass] = true end
    end
    assert.is_nil(passes["2026-03 2"])
    local st = status()
    assert.equal("ok", st.state)
    assert.equal(0, st.mismatches)
    assert.equal(4, st.months)
  end)

  it("finds a kept sum changed behind its back while the month is summed", function()
    month_docs()
    filing_sums.start_check()
    into_march(1)
    -- the kept filing and liability sums of March differ from the rows (no writer did this)
    store.exec("UPDATE rillet_filing_sums SET tax = tax + 1 WHERE month = '2026-03' AND kind = 'taxes' AND " ..
      "type = 'invoice'")
    store.exec("UPDATE rillet_filing_sums SET taxable = taxable + 100 WHERE month = '2026-03' AND kind = 'ltot' AND " ..
      "type = 'invoice'")
    local st = finish()
    assert.equal("mismatch", st.state)
    assert.same({ "2026-03" }, st.kinds.filing.months)
    assert.same({ "2026-03" }, st.kinds.liability.months)
    assert.equal(1, st.kinds.filing.mismatches)
    assert.equal(1, st.kinds.liability.mismatches)
    assert.equal("ok", st.kinds.not_collected.state)
    assert.equal(4, st.months)
  end)

  it("a difference seen once (a write between two reads) is summed again and not reported", function()
    month_docs()
    local real, calls = filing_sums.check_part, 0
    -- the first reading of a March part has a document too many; the second does not
    filing_sums.check_part = function(part, ...)
      local a = real(part, ...)
      if part.month == "2026-03" then
        calls = calls + 1
        if calls == 1 then
          for k, e in pairs(a.f) do
            if k:match("^docs") then e.d = e.d + 1 end
          end
        end
      end
      return a
    end
    filing_sums.start_check()
    local st = finish()
    filing_sums.check_part = real
    assert.equal(true, calls > 5) -- March summed twice
    assert.equal("ok", st.state)
    assert.equal(0, st.mismatches)
  end)
end)

-- A part is a (doc_date, id) range: the report index (rillet migration 0023: doc_date, id, ...)
-- is sought at both ends (a month of the 1M bench store is one day of 830,000 documents: with
-- the date range alone every part walked the whole day). The statements' document choice as
-- report_rows builds it (doc_dates) and filing_sums' part cut; the plan is SQLite's.
describe("a part of the check reads its range from the index", function()
  local function plan(sql, ...)
    local out = {}
    for r in store.query("EXPLAIN QUERY PLAN " .. sql, ...) do out[#out + 1] = r.detail end
    return table.concat(out, "\n")
  end
  for _, t in ipairs({ "invoice", "credit_memo" }) do
    it(t .. ": the filing and liability sums' documents, and the part's cut", function()
      local args = {}
      local range = { type = t, lo = { "2026-03-01", "a" }, hi = { "2026-03-01", "b" } }
      local w = report_rows.doc_dates(t, "2026-03", "2026-03~", range, args)
      local p = plan("SELECT d.id, d.number, d.doc_date, d.currency, d.region, d.tax_status, d.calculation_id FROM " ..
        TABLE[t] .. " d WHERE " .. w .. " AND d.deleted = 0", table.unpack(args))
      assert.truthy(p:find("INDEX " .. TABLE[t] .. "_report ((doc_date,id)>(?,?) AND (doc_date,id)<(?,?))", 1, true), p)
      args = {}
      w = report_rows.doc_dates(t, "2026-03", "2026-03~", range, args)
      p = plan("SELECT d.id, d.currency, d.region FROM " .. TABLE[t] .. " d WHERE " .. w ..
        " AND d.deleted = 0 AND d.tax_status IS DISTINCT FROM 'drift'", table.unpack(args))
      assert.truthy(p:find("(doc_date,id)>(?,?) AND (doc_date,id)<(?,?)", 1, true), p)
      p = plan("SELECT doc_date, id FROM " .. TABLE[t] .. " WHERE (doc_date, id) > (?, ?) AND doc_date <= ? " ..
        "ORDER BY doc_date, id LIMIT 2001", "2026-03-01", "a", "2026-03~")
      assert.truthy(p:find("INDEX " .. TABLE[t] .. "_report ((doc_date,id)>(?,?) AND doc_date<?)", 1, true), p)
      assert.truthy(p:find("TEMP B-TREE", 1, true) == nil, p)
    end)
  end
end)
