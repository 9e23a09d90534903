-- "Recount kept sums" (recount.lua, issue 20 operations): every table levy keeps from the
-- documents, corrupted by SQL behind levy's back (the triggers and writers bypassed), is equal
-- to the documents again after the recount, which says what it changed; a clean store is left
-- as it is; a write between two chunks is counted once.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local filing_sums = require "filing_sums"
local recount = require "recount"
local json = require "levy.json"

local TABLES = { invoice = "invoices", credit_memo = "credit_memos" }

local n = 0
local function calc(dt, id, amount, tax, flags)
  n = n + 1
  local cid = "calc_rc_" .. id .. "_" .. n
  local taxes = { { jurisdiction = "CA", level = "state", type = "sales", amount = tax, taxable_amount = amount,
                    percentage = "7.25", authority_code = "06" } }
  local result = { currency = "USD", region = "US-CA", total_tax = tax, total_taxable = amount, total_amount = amount,
                   lines = { { amount = amount, taxable_amount = amount, taxes = taxes } } }
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, total_tax, region,
    created_at, created_ms) VALUES (?, ?, ?, 'f', '{}', ?, ?, 'US-CA', 'x', 0)]], cid, dt, id, json.encode(result), tax)
  calc_rows.record(cid, { ship_to = { country = "US", state = "CA" } }, result, tax, "US-CA")
  if flags then
    store.exec("UPDATE rillet_calc_heads SET imprecise = ?, cert_expired = ? WHERE calculation_id = ?",
      flags[1], flags[2], cid)
  end
  return cid
end

-- a document of connection conn, calculated (a not-collected candidate) or written back
local function doc(dt, id, conn, date, amount, tax, written, flags)
  local cid = calc(dt, id, amount, tax, flags)
  filing_sums.tx(dt, id, function()
    store.exec("INSERT INTO " .. TABLES[dt] .. [[(id, connection_id, currency, doc_date, raw, region, tax_status,
      calculation_id, net_amount, imported_at) VALUES (?, ?, 'USD', ?, '{}', 'US-CA', 'calculated', ?, ?, 'x')]],
      id, conn, date, cid, amount)
  end)
  if written then
    filing_sums.tx(dt, id, function()
      store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
        VALUES (?, ?, ?, 'k', 'written', 'x')]], dt, id, cid)
      store.exec("UPDATE " .. TABLES[dt] .. " SET tax_status = 'written' WHERE id = ?", id)
    end)
  end
end

local function setup()
  store.exec("UPDATE rillet_filing_state SET liab_ready = 1, ready = 1, phase = NULL WHERE id = 1")
  doc("invoice", "i1", "conn_a", "2026-01-05", "100.00", "7.25", true, { 1, 0 })
  doc("invoice", "i2", "conn_a", "2026-01-20", "40.00", "2.90", false)
  doc("invoice", "i3", "conn_b", "2026-02-03", "10.00", "0.73", true, { 0, 1 })
  doc("invoice", "i4", "conn_b", "2026-03-09", "12.50", "0.91", false)
  doc("credit_memo", "m1", "conn_a", "2026-02-10", "5.00", "0.36", true)
  -- the not-collected memo summed, as the nc_memo job leaves it
  report_rows.warm_nc_memo(1000)
end

-- ---- the oracles: each kept table counted from the documents

local function conn_counts()
  local out = {}
  for dt, t in pairs(TABLES) do
    for r in store.query("SELECT connection_id AS c, count(*) AS docs, sum(CASE WHEN tax_status <> 'pending' OR " ..
        "reason IS NOT NULL THEN 1 ELSE 0 END) AS decided FROM " .. t .. " WHERE deleted = 0 GROUP BY connection_id") do
      out[r.c .. "|" .. dt] = r.docs .. "/" .. r.decided
    end
  end
  return out
end
local function kept_conn_counts()
  local out = {}
  for r in store.query("SELECT connection_id AS c, doc_type, sum(docs) AS docs, sum(decided) AS decided " ..
      "FROM rillet_conn_doc_counts GROUP BY connection_id, doc_type HAVING sum(docs) <> 0 OR sum(decided) <> 0") do
    out[r.c .. "|" .. r.doc_type] = r.docs .. "/" .. r.decided
  end
  return out
end

local function wrong_flags()
  local n_wrong = 0
  for _, t in pairs(TABLES) do
    n_wrong = n_wrong + store.row("SELECT count(*) AS n FROM " .. t .. " d LEFT JOIN rillet_calc_heads h ON " ..
      "h.calculation_id = d.calculation_id WHERE d.calc_imprecise <> COALESCE(h.imprecise, 0) OR " ..
      "d.calc_cert_expired <> COALESCE(h.cert_expired, 0)").n
  end
  return n_wrong
end

local function us_days_counted()
  local out = {}
  for dt, t in pairs(TABLES) do
    for r in store.query("SELECT d.doc_date AS d, upper(k.ship_state) AS s, " ..
        "COALESCE(d.net_amount, k.total_amount) AS a FROM " .. t .. " d JOIN rillet_calc_heads k ON " ..
        "k.calculation_id = d.calculation_id WHERE d.deleted = 0 AND d.currency = 'USD' AND " ..
        "upper(k.ship_country) = 'US' AND k.ship_state IS NOT NULL") do
      local key = table.concat({ dt, r.d, r.s }, "|")
      local e = out[key] or { 0, 0 }
      out[key] = e
      e[1] = e[1] + 1
      e[2] = e[2] + math.tointeger(tonumber((r.a:gsub("%.", ""))))
    end
  end
  return out
end
local function us_days_kept()
  local out = {}
  for r in store.query("SELECT doc_type, doc_date, state, docs, minor FROM rillet_us_days") do
    out[table.concat({ r.doc_type, r.doc_date, r.state }, "|")] = { r.docs, r.minor }
  end
  return out
end

local function memo_right()
  for r in store.query("SELECT month, region, doc_type, sums FROM rillet_nc_memo") do
    local fresh = report_rows.nc_month_rows(r.doc_type, r.month, r.region)
    local a, b = {}, {}
    for _, x in ipairs(json.decode(r.sums)) do a[#a + 1] = json.canonical(x) end
    for _, x in ipairs(fresh) do b[#b + 1] = json.canonical(x) end
    table.sort(a); table.sort(b)
    if table.concat(a, "\n") ~= table.concat(b, "\n") then return false, r.month .. " " .. r.doc_type end
  end
  return true
end

-- ---- driving the jobs as the runner would: the recount a chunk a run, and the filing sums'
-- check and rebuild it waits for

local filing_run = filing_sums.job(report_rows.filing_sums_sql, report_rows.collected_sums_sql,
  report_rows.warm_nc_memo)
local function run_filing()
  local row = store.row("SELECT cursor FROM rillet_recount WHERE id = 1")
  if row.cursor == "rebuild" then
    for _ = 1, 100 do if filing_sums.ready() then break end filing_run({ payload = { op = "rebuild" } }) end
    for _ = 1, 100 do if filing_sums.liab_ready() then break end filing_run({ payload = { op = "liab" } }) end
  end
  for _ = 1, 200 do
    if filing_sums.check_status().check.state ~= "running" then break end
    filing_run({ payload = { op = "check" } })
  end
end

local function finish()
  for _ = 1, 500 do
    if recount.status().state ~= "running" then return recount.status() end
    recount.job({ attempts = 1 })
    if store.row("SELECT phase FROM rillet_recount WHERE id = 1").phase == "filing" then run_filing() end
  end
  error("the recount never finished")
end

local function by_table(st)
  local out = {}
  for _, t in ipairs(st.tables) do out[t.table] = t end
  return out
end

describe("recount kept sums", function()
  before_each(function()
    recount.BUDGET_SHARE = 0 -- one chunk a run
    recount.FLAG_BATCH = 2   -- several chunks a table
  end)
  after_each(function()
    recount.BUDGET_SHARE = 300
    recount.FLAG_BATCH = 1000
    recount.DAY_CHUNK = 20000
    recount.DAY_RESTARTS = 3
  end)

  it("leaves a store whose kept sums are right as it is, and says so", function()
    setup()
    assert.same(conn_counts(), kept_conn_counts())
    local st = recount.start(nil)
    assert.equal("running", st.state)
    st = finish()
    assert.equal("done", st.state)
    assert.equal(0, st.fixed)
    local t = by_table(st)
    for _, p in ipairs(recount.PHASES) do assert.truthy(t[p] ~= nil, p) end
    assert.equal(4, t.conn_counts.checked) -- 2 connections x 2 types
    assert.equal(5, t.doc_flags.checked)
    assert.truthy(t.us_days.checked >= 5)
    assert.truthy(t.nc_memo.checked > 0)
    assert.equal("ok", filing_sums.check_status().check.state)
    assert.truthy(st.summary:find("nothing was changed", 1, true))
    assert.equal(5, st.progress.done)
  end)

  it("rebuilds every kept table corrupted behind levy's back and says what it changed", function()
    setup()
    -- behind levy's back: the kept tables written directly, triggers and writers bypassed
    store.exec("UPDATE rillet_conn_doc_counts SET docs = docs + 7 WHERE connection_id = 'conn_a' AND doc_type = " ..
      "'invoice' AND shard = (SELECT min(shard) FROM rillet_conn_doc_counts WHERE connection_id = 'conn_a' AND " ..
      "doc_type = 'invoice')")
    store.exec("INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided) " ..
      "VALUES ('conn_gone', 'invoice', 3, 2, 1)")
    store.exec("UPDATE invoices SET calc_imprecise = 0 WHERE id = 'i1'")
    store.exec("UPDATE invoices SET calc_imprecise = 1 WHERE id = 'i4'")
    store.exec("DELETE FROM rillet_us_days WHERE doc_date = '2026-01-05'")
    store.exec("UPDATE rillet_us_days SET minor = minor + 100 WHERE doc_date = '2026-03-09'")
    store.exec("INSERT INTO rillet_us_days(doc_type, doc_date, state, docs, minor, bad) " ..
      "VALUES ('credit_memo', '2025-12-31', 'NY', 3, 999, 0)")
    local g = store.row("SELECT count(*) AS n FROM rillet_nc_memo m WHERE m.gen = COALESCE((SELECT x.gen FROM " ..
      "rillet_nc_months x WHERE x.month = m.month), 0) AND m.sums <> '[]'").n
    assert.truthy(g > 0, "a memo row to corrupt")
    store.exec("UPDATE rillet_nc_memo SET sums = '[]' WHERE month = '2026-01' AND doc_type = 'invoice' AND region = ''")
    store.exec("UPDATE rillet_filing_sums SET tax = tax + 500 WHERE kind = 'taxes' AND month = '2026-02'")
    -- each is wrong now
    assert.falsy(json.canonical(conn_counts()) == json.canonical(kept_conn_counts()))
    assert.equal(2, wrong_flags())
    assert.falsy(json.canonical(us_days_counted()) == json.canonical(us_days_kept()))
    assert.falsy(memo_right())

    recount.start(nil)
    local st = finish()
    assert.equal("done", st.state)

    -- every table equals the documents again
    assert.same(conn_counts(), kept_conn_counts())
    assert.equal(0, wrong_flags())
    assert.same(us_days_counted(), us_days_kept())
    assert.truthy(memo_right())
    assert.equal("ok", filing_sums.check_status().check.state)
    assert.truthy(filing_sums.ready() and filing_sums.liab_ready())

    -- and it says what it changed
    local t = by_table(st)
    assert.equal(2, t.conn_counts.fixed)   -- conn_a's invoices, conn_gone's row
    assert.equal(2, t.doc_flags.fixed)     -- i1, i4
    assert.equal(3, t.us_days.fixed)       -- a day missing, a day's cents, a day without documents
    assert.equal(1, t.nc_memo.fixed)
    assert.truthy(t.filing.fixed > 0)
    assert.equal("ok", t.filing.after_rebuild)
    assert.equal(2 + 2 + 3 + 1 + t.filing.fixed, st.fixed)
    local ex = t.conn_counts.examples[1]
    assert.equal("conn_a", ex.connection_id)
    assert.equal(9, ex.kept.documents)
    assert.equal(2, ex.actual.documents)
    assert.truthy(st.summary:find("Documents per connection", 1, true))
    assert.truthy(st.summary:find("Exposure sums", 1, true))
    -- audited: who asked, and what the recount found
    local rows = store.rows("SELECT action FROM audit_log WHERE object_kind = 'store' ORDER BY id")
    assert.equal("store.recount_requested", rows[1].action)
    assert.equal("store.recount_finished", rows[#rows].action)
  end)

  it("counts a write between two chunks once", function()
    setup()
    store.exec("UPDATE rillet_conn_doc_counts SET docs = docs + 3 WHERE connection_id = 'conn_b'")
    recount.start(nil)
    recount.job({ attempts = 1 }) -- conn_a recounted
    assert.equal("conn_a", store.row("SELECT cursor FROM rillet_recount WHERE id = 1").cursor)
    -- levy writes meanwhile: into a connection recounted, and into one not yet
    doc("invoice", "i5", "conn_a", "2026-01-06", "1.00", "0.07", true)
    doc("invoice", "i6", "conn_b", "2026-03-10", "2.00", "0.15", false, { 1, 1 })
    finish()
    assert.same(conn_counts(), kept_conn_counts())
    assert.equal("3/3", kept_conn_counts()["conn_a|invoice"])
    assert.equal("3/3", kept_conn_counts()["conn_b|invoice"])
    assert.equal(0, wrong_flags())
    assert.same(us_days_counted(), us_days_kept())
  end)

  it("rewrites a memo row whose text is not JSON, also of a month without candidates", function()
    setup()
    -- a month whose documents were all written back: its memo row holds no rows ('[]')
    local m = store.row("SELECT month, region, doc_type FROM rillet_nc_memo WHERE sums = '[]' ORDER BY month LIMIT 1")
    assert.truthy(m, "an empty memo row")
    store.exec("UPDATE rillet_nc_memo SET sums = 'not json' WHERE month = ? AND region = ? AND doc_type = ?",
      m.month, m.region, m.doc_type)
    recount.start(nil)
    local st = finish()
    assert.equal("done", st.state)
    assert.equal(1, by_table(st).nc_memo.fixed)
    assert.truthy(memo_right())
  end)

  it("rewrites a tracked customer's exposure rows (rillet_us_days_cust, 0028)", function()
    setup()
    store.exec("UPDATE invoices SET customer_id = 'mk' WHERE id IN ('i1', 'i2', 'i4')")
    assert.truthy(report_rows.us_days_track(json.encode(json.array({ "mk" }))))
    local function cust_rows()
      local out = {}
      for r in store.query("SELECT doc_type, doc_date, state, customer_id, docs, minor, bad " ..
          "FROM rillet_us_days_cust ORDER BY doc_type, doc_date, state, customer_id") do
        out[#out + 1] = table.concat({ r.doc_type, r.doc_date, r.state, r.customer_id, r.docs, r.minor, r.bad }, "|")
      end
      return out
    end
    local right = cust_rows()
    assert.same({ "invoice|2026-01-05|CA|mk|1|10000|0", "invoice|2026-01-20|CA|mk|1|4000|0",
      "invoice|2026-03-09|CA|mk|1|1250|0" }, right)
    store.exec("UPDATE rillet_us_days_cust SET minor = minor + 1 WHERE doc_date = '2026-01-20'")
    store.exec("DELETE FROM rillet_us_days_cust WHERE doc_date = '2026-03-09'")
    store.exec("INSERT INTO rillet_us_days_cust(doc_type, doc_date, state, customer_id, docs, minor, bad) " ..
      "VALUES ('invoice', '2026-04-01', 'CA', 'mk', 1, 5, 0)")
    recount.start(nil)
    local st = finish()
    assert.equal("done", st.state)
    assert.same(right, cust_rows())
    local t = by_table(st)
    assert.equal(3, t.us_days.fixed)
    local ex = t.us_days.examples[1]
    assert.equal("mk", ex.customer_id)
    assert.same(us_days_counted(), us_days_kept())
  end)

  -- issue 20 (recount24): a day of more documents than a chunk (the 1M store holds 802,346
  -- invoices on one day) is summed in chunks of DAY_CHUNK documents, its partial sums carried
  -- from chunk to chunk: the same sums as the day at once, each chunk bounded by rows
  local function big_day()
    setup()
    for i = 1, 7 do doc("invoice", "d" .. i, "conn_a", "2026-01-05", i .. ".25", "0.10", false) end
    store.exec("UPDATE invoices SET customer_id = 'mk' WHERE id IN ('d2', 'd5', 'd6', 'i1')")
    assert.truthy(report_rows.us_days_track(json.encode(json.array({ "mk" }))))
  end
  local function cust_rows()
    local out = {}
    for r in store.query("SELECT doc_type, doc_date, state, customer_id, docs, minor, bad " ..
        "FROM rillet_us_days_cust ORDER BY doc_type, doc_date, state, customer_id") do
      out[#out + 1] = table.concat({ r.doc_type, r.doc_date, r.state, r.customer_id, r.docs, r.minor, r.bad }, "|")
    end
    return out
  end
  -- runs the recount a chunk a run, returning the mid-day cursors it went through
  local function finish_seen()
    local seen = {}
    for _ = 1, 500 do
      if recount.status().state ~= "running" then return recount.status(), seen end
      recount.job({ attempts = 1 })
      local row = store.row("SELECT phase, cursor FROM rillet_recount WHERE id = 1")
      if row.cursor and row.cursor:sub(1, 1) == "{" then seen[#seen + 1] = json.decode(row.cursor) end
      if row.phase == "filing" then run_filing() end
    end
    error("the recount never finished")
  end

  it("sums a day of more documents than a chunk in chunks, to the same sums", function()
    recount.DAY_CHUNK = 2
    big_day()
    local right_cust = cust_rows()
    assert.same({ "invoice|2026-01-05|CA|mk|4|11375|0" }, right_cust) -- d2, d5, d6, i1
    local right = us_days_kept()
    assert.same({ 8, 2975 + 10000 }, right["invoice|2026-01-05|CA"]) -- d1..d7: 1.25 .. 7.25
    -- behind levy's back: the big day's rows wrong, in both tables
    store.exec("UPDATE rillet_us_days SET minor = minor + 100, docs = docs - 3 WHERE doc_date = '2026-01-05'")
    store.exec("DELETE FROM rillet_us_days_cust WHERE doc_date = '2026-01-05'")
    recount.start(nil)
    local st, seen = finish_seen()
    assert.equal("done", st.state)
    assert.same(right, us_days_kept())
    assert.same(us_days_counted(), us_days_kept())
    assert.same(right_cust, cust_rows())
    local t = by_table(st)
    assert.equal(2, t.us_days.fixed)
    -- the day went through chunks of two documents each: d2, d4, d6, i1 (ids in order)
    local ids = {}
    for _, c in ipairs(seen) do
      assert.equal("2026-01-05", c.day)
      ids[#ids + 1] = c.id
    end
    -- then, its sums differing from the kept rows, the day once more in one chunk (cursor id
    -- "") before the rows are rewritten
    assert.same({ "d2", "d4", "d6", "i1", "" }, ids)
    assert.equal(4, t.us_days.chunks_within_days)
    assert.equal(1, t.us_days.days_confirmed_whole)
    -- each chunk's bound and sums seek the report index's (doc_date, id) range: rows read, not the day
    local function plan(sql, ...)
      local out = {}
      for r in store.query("EXPLAIN QUERY PLAN " .. sql, ...) do out[#out + 1] = r.detail end
      return table.concat(out, "\n")
    end
    for _, cust in ipairs({ false, true }) do
      local p = plan(recount.us_days_sql("invoices", cust, "d4"), "2026-01-05", "d2", "2026-01-05", "d4")
      assert.truthy(p:find("INDEX invoices_report ((doc_date,id)>(?,?) AND (doc_date,id)<(?,?))", 1, true), p)
      assert.truthy(p:find("SEARCH d USING INDEX sqlite_autoindex_invoices_1 (id=?)", 1, true), p)
      assert.falsy(p:find("invoices_exposure", 1, true), p)
      p = plan(recount.us_days_sql("invoices", cust, nil), "2026-01-05", "d6", "2026-01-05")
      assert.truthy(p:find("INDEX invoices_report ((doc_date,id)>(?,?) AND doc_date<?)", 1, true), p)
      assert.falsy(p:find("invoices_exposure", 1, true), p)
    end
    local p = plan(recount.us_days_bound_sql("invoices"), "2026-01-05", "d2", "2026-01-05")
    assert.truthy(p:find("INDEX invoices_report ((doc_date,id)>(?,?) AND doc_date<?)", 1, true), p)
    assert.falsy(p:find("TEMP B-TREE", 1, true), p)
  end)

  it("never rewrites a day from chunks torn by two writes whose changes cancel", function()
    recount.DAY_CHUNK = 2
    big_day()
    recount.start(nil)
    for _ = 1, 50 do
      recount.job({ attempts = 1 })
      local c = store.row("SELECT cursor FROM rillet_recount WHERE id = 1").cursor
      if c and c:sub(1, 1) == "{" and json.decode(c).id == "d4" then break end
    end
    assert.equal("d4", json.decode(store.row("SELECT cursor FROM rillet_recount WHERE id = 1").cursor).id)
    -- one document already summed gains a dollar, one not yet summed loses one (same day, state,
    -- no tracked customer): the day's kept rows, and so its mark, are unchanged
    store.exec("UPDATE invoices SET net_amount = '2.25' WHERE id = 'd1'")
    store.exec("UPDATE invoices SET net_amount = '6.25' WHERE id = 'd7'")
    local st = finish_seen()
    assert.equal("done", st.state)
    assert.same(us_days_counted(), us_days_kept())
    local t = by_table(st)
    assert.equal(0, t.us_days.fixed) -- the torn sum (a dollar short) was not written
    assert.equal(1, t.us_days.days_confirmed_whole)
  end)

  it("starts a day again when a write changed it between two of its chunks", function()
    recount.DAY_CHUNK = 2
    big_day()
    store.exec("UPDATE rillet_us_days SET minor = minor + 100 WHERE doc_date = '2026-01-05'")
    recount.start(nil)
    for _ = 1, 50 do
      recount.job({ attempts = 1 })
      local c = store.row("SELECT cursor FROM rillet_recount WHERE id = 1").cursor
      if c and c:sub(1, 1) == "{" and json.decode(c).id == "d4" then break end
    end
    assert.equal("d4", json.decode(store.row("SELECT cursor FROM rillet_recount WHERE id = 1").cursor).id)
    -- levy writes meanwhile: a document of the day before the cursor (already summed), and
    -- one already summed changes its amount
    doc("invoice", "d0", "conn_a", "2026-01-05", "3.00", "0.20", false)
    store.exec("UPDATE invoices SET net_amount = '9.99' WHERE id = 'd1'")
    local st = finish_seen()
    assert.equal("done", st.state)
    assert.same(us_days_counted(), us_days_kept())
    local t = by_table(st)
    assert.equal(1, t.us_days.day_restarts)
    assert.equal(1, t.us_days.fixed) -- the +100 only: the writes were counted, not "fixed"
  end)

  it("sums a day written between every two chunks at once after DAY_RESTARTS restarts", function()
    recount.DAY_CHUNK = 2
    recount.DAY_RESTARTS = 2
    big_day()
    recount.start(nil)
    local writes = 0
    for _ = 1, 100 do
      if recount.status().state ~= "running" then break end
      recount.job({ attempts = 1 })
      local c = store.row("SELECT cursor FROM rillet_recount WHERE id = 1").cursor
      if c and c:sub(1, 1) == "{" then
        writes = writes + 1
        doc("invoice", "w" .. writes, "conn_a", "2026-01-05", "1.00", "0.07", false)
      end
      if store.row("SELECT phase FROM rillet_recount WHERE id = 1").phase == "filing" then run_filing() end
    end
    assert.equal("done", recount.status().state)
    assert.equal(2, writes) -- a chunk, a chunk after the first restart; the second restart sums the day at once
    assert.same(us_days_counted(), us_days_kept())
    local t = by_table(recount.status())
    assert.equal(2, t.us_days.day_restarts)
    assert.equal(0, t.us_days.fixed)
  end)

  it("does not start a second recount beside a running one", function()
    setup()
    recount.start(nil)
    recount.job({ attempts = 1 })
    local cur = store.row("SELECT cursor, started_at FROM rillet_recount WHERE id = 1")
    local st = recount.start(nil)
    assert.equal("running", st.state)
    assert.equal(cur.cursor, store.row("SELECT cursor FROM rillet_recount WHERE id = 1").cursor)
    assert.equal(1, store.row("SELECT count(*) AS n FROM audit_log WHERE action = 'store.recount_requested'").n)
  end)
end)
