-- The exposure report's day sums kept on write (issue 20: the report at 100k and 1M documents;
-- migrations 0026 and 0028). report_rows.shipped_us_days reads rillet_us_days, kept by
-- triggers on the documents and the calculations' heads per document type, day and state
-- (0028: not per customer, so the rows stay bounded by days × states); the kept sums must
-- equal the same sums counted from the documents after every kind of write (inserted, date /
-- amount / currency / customer / calculation changed, deleted flag, row deleted; a head
-- written before or after its document, changed, removed); the reader reads no document but
-- the marketplace customers' and those flagged on their own, and answers what the documents say.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local json = require "levy.json"

local TABLES = { invoice = "invoices", credit_memo = "credit_memos" }

-- the sums counted from the documents (the statement shipped_us_days ran before 0026); cust:
-- per customer, for the customers of rillet_us_days_track (rillet_us_days_cust, 0028)
local function counted(cust)
  local out = {}
  local tracked = {}
  for r in store.query("SELECT customer_id FROM rillet_us_days_track") do tracked[r.customer_id] = true end
  for dt, t in pairs(TABLES) do
    for r in store.query("SELECT d.doc_date AS d, upper(k.ship_state) AS s, d.customer_id AS c, " ..
        "COALESCE(d.net_amount, k.total_amount) AS a FROM " ..
        t .. " d JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id WHERE d.deleted = 0 AND " ..
        "d.currency = 'USD' AND upper(k.ship_country) = 'US' AND k.ship_state IS NOT NULL AND " ..
        "COALESCE(d.net_amount, k.total_amount) IS NOT NULL") do
      if not cust or (r.c and tracked[r.c]) then
        local key = table.concat({ dt, r.d, r.s, cust and r.c or nil }, "|")
        local e = out[key] or { 0, 0, 0 }
        out[key] = e
        local ok = r.a:match("^%-?%d+%.%d%d$") and #r.a <= 18
        e[1] = e[1] + 1
        if ok then e[2] = e[2] + math.tointeger(tonumber((r.a:gsub("%.", "")))) else e[3] = e[3] + 1 end
      end
    end
  end
  return out
end

local function kept(cust)
  local out = {}
  local sql = "SELECT doc_type, doc_date, state, " .. (cust and "customer_id" or "NULL AS customer_id") ..
    ", docs, minor, bad FROM " .. (cust and "rillet_us_days_cust" or "rillet_us_days")
  for r in store.query(sql) do
    out[table.concat({ r.doc_type, r.doc_date, r.state, r.customer_id }, "|")] = { r.docs, r.minor, r.bad }
  end
  return out
end

local function same()
  assert.same(counted(), kept())
  assert.same(counted(true), kept(true))
end

local n = 0
local function calc(dt, id, state, total, country)
  n = n + 1
  local c = "calc_us_" .. n
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at,
    created_ms) VALUES (?, ?, ?, 'f', '{}', '{}', 'US-NJ', 'x', 0)]], c, dt, id)
  calc_rows.record(c, { ship_to = { country = country or "US", state = state } },
    { total_amount = total, lines = {} }, nil, "US-" .. (state or "NJ"))
  return c
end

local function doc(dt, id, date, calc_id, customer)
  store.exec("INSERT INTO " .. TABLES[dt] .. [[(id, connection_id, currency, doc_date, raw, region, tax_status,
    imported_at, calculation_id, customer_id) VALUES (?, 'c', 'USD', ?, '{}', 'US-NJ', 'written', 'x', ?, ?)]],
    id, date, calc_id, customer)
end

describe("rillet_us_days", function()
  it("equals the sums counted from the documents after every kind of write", function()
    same()
    -- the per-customer sums of tracked customers too (cu1, cu3: the marketplace ones)
    assert.truthy(report_rows.us_days_track(json.encode(json.array({ "cu1", "cu3" }))))
    same()
    -- a head written before its document, and after it
    doc("invoice", "u1", "2026-02-01", calc("invoice", "u1", "nj", "10.00"), "cu1")
    doc("invoice", "u2", "2026-02-01", nil, nil)
    same()
    store.exec("UPDATE invoices SET calculation_id = ? WHERE id = 'u2'", calc("invoice", "u2", "NJ", "5.25"))
    same()
    doc("credit_memo", "m1", "2026-02-01", calc("credit_memo", "m1", "NJ", "2.00"), "cu1")
    doc("invoice", "u3", "2026-02-03", nil, "cu2")
    local late = "calc_us_late"
    store.exec("UPDATE invoices SET calculation_id = ? WHERE id = 'u3'", late)
    same()
    store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at,
      created_ms) VALUES (?, 'invoice', 'u3', 'f', '{}', '{}', 'US-TX', 'x', 0)]], late)
    calc_rows.record(late, { ship_to = { country = "us", state = "TX" } }, { total_amount = "3.00", lines = {} },
      nil, "US-TX")
    same()
    assert.equal(1, store.row("SELECT docs FROM rillet_us_days WHERE state = 'TX'").docs)
    assert.equal(2, store.row("SELECT count(*) AS n FROM rillet_us_days_cust WHERE customer_id = 'cu1'").n)
    -- not counted: another country, another currency, no state, no amount; a bad amount counted as bad
    doc("invoice", "x1", "2026-02-01", calc("invoice", "x1", "ON", "9.00", "CA"), nil)
    doc("invoice", "x2", "2026-02-01", calc("invoice", "x2", nil, "9.00"), nil)
    doc("invoice", "x3", "2026-02-01", calc("invoice", "x3", "NJ", nil), nil)
    doc("invoice", "x4", "2026-02-01", calc("invoice", "x4", "NJ", "1.5"), nil)
    same()
    -- each column the sums depend on changed, the deleted flag, the row deleted
    store.exec("UPDATE invoices SET net_amount = '7.00' WHERE id = 'u1'"); same()
    store.exec("UPDATE invoices SET net_amount = '3.10' WHERE id = 'x3'"); same()
    store.exec("UPDATE invoices SET doc_date = '2026-02-02' WHERE id = 'u2'"); same()
    store.exec("UPDATE invoices SET customer_id = NULL WHERE id = 'u1'"); same()
    store.exec("UPDATE invoices SET customer_id = 'cu3' WHERE id = 'u2'"); same()
    store.exec("UPDATE invoices SET currency = 'EUR' WHERE id = 'u3'"); same()
    store.exec("UPDATE credit_memos SET deleted = 1 WHERE id = 'm1'"); same()
    store.exec("UPDATE credit_memos SET deleted = 0 WHERE id = 'm1'"); same()
    store.exec("UPDATE invoices SET calculation_id = ? WHERE id = 'u1'", calc("invoice", "u1", "NY", "8.00")); same()
    store.exec("UPDATE rillet_calc_heads SET ship_state = 'PA' WHERE calculation_id = " ..
      "(SELECT calculation_id FROM invoices WHERE id = 'u2')"); same()
    store.exec("UPDATE rillet_calc_heads SET total_amount = '99.99' WHERE calculation_id = " ..
      "(SELECT calculation_id FROM credit_memos WHERE id = 'm1')"); same()
    store.exec("DELETE FROM rillet_calc_heads WHERE calculation_id = " ..
      "(SELECT calculation_id FROM invoices WHERE id = 'x4')"); same()
    -- a tracked customer's documents whose heads come after them and are removed (the heads'
    -- per-customer triggers, 0029: their WHEN reads the document's customer)
    for i, dt in ipairs({ "invoice", "credit_memo" }) do
      local id, cid = "t" .. i, "calc_us_later" .. i
      doc(dt, id, "2026-02-04", nil, i == 1 and "cu1" or "cu3")
      store.exec("UPDATE " .. TABLES[dt] .. " SET calculation_id = ? WHERE id = ?", cid, id); same()
      store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at,
        created_ms) VALUES (?, ?, ?, 'f', '{}', '{}', 'US-TX', 'x', 0)]], cid, dt, id)
      calc_rows.record(cid, { ship_to = { country = "US", state = "TX" } }, { total_amount = "4.00", lines = {} },
        nil, "US-TX")
      same()
      assert.equal(1, store.row("SELECT docs FROM rillet_us_days_cust WHERE doc_type = ? AND doc_date = '2026-02-04'",
        dt).docs)
      store.exec("DELETE FROM rillet_calc_heads WHERE calculation_id = ?", cid); same()
    end
    store.exec("DELETE FROM invoices WHERE id = 'u2'"); same()
    store.exec("DELETE FROM credit_memos WHERE id = 'm1'"); same()
    -- a row whose documents are gone is gone
    assert.is_nil(store.row("SELECT 1 AS x FROM rillet_us_days WHERE docs = 0"))
    assert.is_nil(store.row("SELECT 1 AS x FROM rillet_us_days_cust WHERE docs = 0"))
    -- a customer tracked later is counted from its documents; one dropped loses its rows
    assert.truthy(report_rows.us_days_track(json.encode(json.array({ "cu2" }))))
    same()
    assert.is_nil(store.row("SELECT 1 AS x FROM rillet_us_days_cust WHERE customer_id <> 'cu2'"))
    assert.truthy(report_rows.us_days_track("[]"))
    assert.is_nil(store.row("SELECT 1 AS x FROM rillet_us_days_cust"))
  end)

  it("the overview reads the kept sums, not the documents", function()
    local p = {}
    for r in store.query("EXPLAIN QUERY PLAN SELECT doc_type, doc_date, state, docs, " ..
        "minor, bad FROM rillet_us_days WHERE doc_date >= ? AND doc_date <= ?", "2026-01-01", "2026-12-31") do
      p[#p + 1] = r.detail
    end
    p = table.concat(p, "\n")
    assert.truthy(p:find("rillet_us_days", 1, true), p)
    assert.truthy(not p:find("invoices", 1, true), p)
    -- and answers what the documents say: a customer's documents marketplace, one document moved
    doc("invoice", "v1", "2026-05-01", calc("invoice", "v1", "VT", "10.00"), "mk")
    doc("invoice", "v2", "2026-05-01", calc("invoice", "v2", "VT", "4.00"), "mk")
    doc("credit_memo", "w1", "2026-05-01", calc("credit_memo", "w1", "VT", "1.00"), nil)
    local function vt(days)
      local out = {}
      for _, r in ipairs(days) do
        if r.state == "VT" then out[#out + 1] = { r.date, r.marketplace, r.n, r.minor } end
      end
      return out
    end
    local days = report_rows.shipped_us_days("2026-01-01", "2026-12-31",
      json.encode(json.array({ json.array({ "invoice", "v2", false }), json.array({ "credit_memo", "w1", true }) })),
      json.encode(json.array({ "mk" })))
    assert.same({ { "2026-05-01", 0, 1, 400 }, { "2026-05-01", 1, 1, 900 } }, vt(days))
    -- a credit memo alone in its group
    days = report_rows.shipped_us_days("2026-01-01", "2026-12-31",
      json.encode(json.array({ json.array({ "credit_memo", "w1", true }) })), json.encode(json.array({})))
    assert.same({ { "2026-05-01", 0, 2, 1400 }, { "2026-05-01", 1, 0, -100 } }, vt(days))
    -- every document of a group moved out: the group is not a day of the report
    days = report_rows.shipped_us_days("2026-01-01", "2026-12-31", json.encode(json.array({
      json.array({ "invoice", "v1", true }), json.array({ "invoice", "v2", true }),
      json.array({ "credit_memo", "w1", true }) })), json.encode(json.array({})))
    assert.same({ { "2026-05-01", 1, 2, 1300 } }, vt(days))
    days = report_rows.shipped_us_days("2026-01-01", "2026-04-30", "[]", "[]")
    assert.same({}, vt(days))
  end)
  it("many one-off customers: the rows stay bounded by days x states (0028)", function()
    -- 240 invoices and 60 credit memos over 3 days and 2 states, every document its own customer
    local k = 0
    for day = 1, 3 do
      for _, st in ipairs({ "OR", "NV" }) do
        for i = 1, 50 do
          k = k + 1
          local dt = i % 5 == 0 and "credit_memo" or "invoice"
          local id = "oo" .. k
          doc(dt, id, "2027-01-0" .. day, calc(dt, id, st, string.format("%d.%02d", k, k % 100)), "one_off_" .. k)
        end
      end
    end
    same()
    local rows = store.row("SELECT count(*) AS n FROM rillet_us_days WHERE doc_date >= '2027-01-01' AND " ..
      "doc_date <= '2027-01-03'").n
    assert.equal(3 * 2 * 2, rows) -- days x states x document types, not one a customer
    store.exec("DELETE FROM invoices WHERE id LIKE 'oo%'")
    store.exec("DELETE FROM credit_memos WHERE id LIKE 'oo%'")
    assert.equal(0, store.row("SELECT count(*) AS n FROM rillet_us_days WHERE doc_date LIKE '2027-01-%'").n)
  end)

  it("the overview equals the documents grouped by their marketplace flag", function()
    -- 4 days, 3 states, 8 customers (2 of them marketplace, some documents without one), each
    -- kind of per-document flag; the answer must be the documents' own grouping
    local custs = { "mc1", "mc2", "c3", "c4", "c5", "c6", "c7", "c8" }
    local k = 0
    for day = 1, 4 do
      for _, st in ipairs({ "ME", "NH", "RI" }) do
        for i = 1, 9 do
          k = k + 1
          local dt = i % 4 == 0 and "credit_memo" or "invoice"
          local id = "mx" .. k
          local c = (k % 9 == 0) and nil or custs[k % #custs + 1]
          doc(dt, id, "2027-02-0" .. day, calc(dt, id, st, string.format("%d.%02d", k * 3, k % 100)), c)
        end
      end
    end
    same()
    local marketplace = { mc1 = true, mc2 = true }
    local flags, own = {}, {}
    for r in store.query("SELECT 'invoice' AS t, id, customer_id FROM invoices WHERE id LIKE 'mx%' UNION ALL " ..
        "SELECT 'credit_memo', id, customer_id FROM credit_memos WHERE id LIKE 'mx%' ORDER BY 2") do
      local num = tonumber(r.id:sub(3))
      if num % 7 == 0 then -- flagged on its own: the opposite of its customer's flag, or the same
        local v = (num % 14 == 0) == (not marketplace[r.customer_id or ""])
        own[r.t .. ":" .. r.id] = v
        flags[#flags + 1] = json.array({ r.t, r.id, v })
      end
    end
    assert.equal(15, #flags) -- 108 documents: every 7th flagged
    local want = {}
    for r in store.query("SELECT 'invoice' AS t, d.id, d.customer_id, d.doc_date, upper(k.ship_state) AS st, " ..
        "k.total_amount AS a FROM invoices d JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id " ..
        "WHERE d.id LIKE 'mx%' UNION ALL SELECT 'credit_memo', d.id, d.customer_id, d.doc_date, " ..
        "upper(k.ship_state), k.total_amount FROM credit_memos d JOIN rillet_calc_heads k ON " ..
        "k.calculation_id = d.calculation_id WHERE d.id LIKE 'mx%'") do
      local f = own[r.t .. ":" .. r.id]
      if f == nil then f = marketplace[r.customer_id or ""] == true end
      local key = r.st .. "|" .. r.doc_date .. "|" .. (f and 1 or 0)
      local g = want[key] or { n = 0, minor = 0 }
      want[key] = g
      local m = math.tointeger(tonumber((r.a:gsub("%.", ""))))
      if r.t == "invoice" then g.n = g.n + 1; g.minor = g.minor + m else g.minor = g.minor - m end
    end
    local mks = json.encode(json.array({ "mc1", "mc2", "nobody" }))
    local function answer()
      local days, bad = report_rows.shipped_us_days("2027-02-01", "2027-02-28", json.encode(json.array(flags)), mks)
      assert.equal(0, bad)
      local got = {}
      for _, r in ipairs(days) do
        got[r.state .. "|" .. r.date .. "|" .. r.marketplace] = { n = r.n, minor = r.minor }
      end
      return got
    end
    -- the marketplace customers' documents read (their sums not kept yet)
    local got = answer()
    assert.same(want, got)
    local mk = 0
    for key in pairs(got) do if key:sub(-1) == "1" then mk = mk + 1 end end
    assert.truthy(mk >= 6, "marketplace groups: " .. mk)
    -- tracked, not counted yet (no budget share left): still their documents
    assert.falsy(report_rows.us_days_track(mks, 0))
    assert.equal(0, store.row("SELECT count(*) AS n FROM rillet_us_days_track WHERE ready = 1").n)
    assert.same(want, answer())
    -- their kept sums ready: the same answer
    assert.truthy(report_rows.us_days_track(mks))
    assert.equal(3, store.row("SELECT count(*) AS n FROM rillet_us_days_track WHERE ready = 1").n)
    same()
    assert.same(want, answer())
    -- one tracked, one not
    assert.truthy(report_rows.us_days_track(json.encode(json.array({ "mc2" }))))
    assert.same(want, answer())
    assert.truthy(report_rows.us_days_track("[]"))
    store.exec("DELETE FROM invoices WHERE id LIKE 'mx%'")
    store.exec("DELETE FROM credit_memos WHERE id LIKE 'mx%'")
  end)

  it("a customer bigger than one chunk is counted over several runs, each document once (0030)", function()
    -- issue 20: a marketplace customer too big for one job run was counted in one transaction
    -- and never became ready; now TRACK_CHUNK documents a transaction, the cursor in
    -- rillet_us_days_track, the triggers keeping the documents already counted
    local chunk = report_rows.TRACK_CHUNK
    report_rows.TRACK_CHUNK = 7
    for i = 1, 40 do -- customer bg: 30 invoices, 10 credit memos, 3 days, 2 states
      local dt = i % 4 == 0 and "credit_memo" or "invoice"
      local id = string.format("bg%03d", i)
      doc(dt, id, "2027-03-0" .. (i % 3 + 1), calc(dt, id, i % 2 == 0 and "VT" or "WV",
        string.format("%d.%02d", i * 11, i)), "bg")
    end
    for i = 1, 5 do -- another customer's, on the same days
      local id = string.format("cx%03d", i)
      doc("invoice", id, "2027-03-01", calc("invoice", id, "VT", "10.00"), "cx")
    end
    local mks = json.encode(json.array({ "bg" }))
    -- the documents' own grouping, bg's counted as marketplace sales or not
    local function want(mk)
      local w = {}
      for r in store.query("SELECT 'invoice' AS t, d.customer_id, d.doc_date, upper(k.ship_state) AS st, " ..
          "COALESCE(d.net_amount, k.total_amount) AS a FROM invoices d JOIN rillet_calc_heads k ON " ..
          "k.calculation_id = d.calculation_id WHERE d.doc_date LIKE '2027-03-%' AND d.deleted = 0 UNION ALL " ..
          "SELECT 'credit_memo', d.customer_id, d.doc_date, upper(k.ship_state), " ..
          "COALESCE(d.net_amount, k.total_amount) FROM credit_memos d JOIN rillet_calc_heads k ON " ..
          "k.calculation_id = d.calculation_id WHERE d.doc_date LIKE '2027-03-%' AND d.deleted = 0") do
        local key = r.st .. "|" .. r.doc_date .. "|" .. ((mk and r.customer_id == "bg") and 1 or 0)
        local g = w[key] or { n = 0, minor = 0 }
        w[key] = g
        local m = math.tointeger(tonumber((r.a:gsub("%.", ""))))
        if r.t == "invoice" then g.n = g.n + 1; g.minor = g.minor + m else g.minor = g.minor - m end
      end
      return w
    end
    local function answer()
      local days, bad, counting = report_rows.shipped_us_days("2027-03-01", "2027-03-31", "[]", mks)
      assert.equal(0, bad)
      local got = {}
      for _, r in ipairs(days) do
        got[r.state .. "|" .. r.date .. "|" .. r.marketplace] = { n = r.n, minor = r.minor }
      end
      return got, counting
    end
    local function track() return store.row("SELECT * FROM rillet_us_days_track WHERE customer_id = 'bg'") end
    -- one run, one chunk: not ready, the cursor on the 7th invoice
    assert.falsy(report_rows.us_days_track(mks, 1000, 1))
    local t = track()
    assert.equal(0, t.ready)
    assert.equal(0, t.phase)
    assert.equal("bg009", t.counted_through)
    assert.equal(7, t.counted_docs)
    assert.equal(40, t.total_docs)
    -- the overview meanwhile: bg's documents not read, its sales counted as direct ones, and
    -- the counting said (7 of 40)
    local got, counting = answer()
    assert.same(want(false), got)
    assert.same({ { customer_id = "bg", counted = 7, documents = 40 } }, counting)
    -- documents written while bg is counted: below the cursor (counted: the triggers keep
    -- them) and above it (the job counts them when it gets there)
    store.exec("UPDATE invoices SET net_amount = '999.99' WHERE id = 'bg001'")
    store.exec("UPDATE invoices SET net_amount = '5.55' WHERE id = 'bg030'")
    doc("invoice", "bg0005", "2027-03-02", calc("invoice", "bg0005", "VT", "70.00"), "bg")
    doc("invoice", "bg100", "2027-03-03", calc("invoice", "bg100", "WV", "80.00"), "bg")
    store.exec("DELETE FROM credit_memos WHERE id = 'bg004'")
    store.exec("UPDATE rillet_calc_heads SET ship_state = 'WV' WHERE calculation_id = " ..
      "(SELECT calculation_id FROM invoices WHERE id = 'bg002')")
    store.exec("UPDATE rillet_calc_heads SET total_amount = '1.23' WHERE calculation_id = " ..
      "(SELECT calculation_id FROM invoices WHERE id = 'bg031')")
    store.exec("UPDATE invoices SET customer_id = 'bg' WHERE id = 'cx005'") -- moved in, above the cursor
    store.exec("UPDATE invoices SET customer_id = 'cx' WHERE id = 'bg003'") -- moved out, counted
    local runs, edited = 1, false
    while not report_rows.us_days_track(mks, 1000, 1) do
      runs = runs + 1
      assert.truthy(runs < 30, "never ready")
      t = track()
      if t.phase == 1 and t.counted_through and not edited then
        -- credit memos: one counted, one not yet
        edited = true
        store.exec("UPDATE credit_memos SET net_amount = '3.33' WHERE id = 'bg008'")
        store.exec("UPDATE credit_memos SET net_amount = '4.44' WHERE id = 'bg040'")
        assert.same(want(false), (answer()))
      end
    end
    assert.truthy(edited)
    assert.truthy(runs >= 6, "runs: " .. runs)
    t = track()
    assert.equal(1, t.ready)
    assert.equal(2, t.phase)
    -- exact: the kept rows equal the documents' sums, and the overview moves bg's to marketplace
    same()
    got, counting = answer()
    assert.same(want(true), got)
    assert.same({}, counting)
    -- kept on write once ready
    store.exec("UPDATE invoices SET net_amount = '6.66' WHERE id = 'bg030'")
    same()
    report_rows.TRACK_CHUNK = chunk
    assert.truthy(report_rows.us_days_track("[]"))
    store.exec("DELETE FROM invoices WHERE doc_date LIKE '2027-03-%'")
    store.exec("DELETE FROM credit_memos WHERE doc_date LIKE '2027-03-%'")
  end)

  it("a group whose sum leaves 64 bits counts as bad, never wrapped or a float", function()
    store.exec("DELETE FROM rillet_us_days")
    local big = math.maxinteger - 10
    local ins = "INSERT INTO rillet_us_days(doc_type, doc_date, state, docs, minor, bad) VALUES (?, ?, 'TX', 1, ?, 0)"
    -- the day's invoices less its credit memos (a credit memo's negative sum adds)
    store.exec(ins, "invoice", "2026-07-01", big)
    store.exec(ins, "credit_memo", "2026-07-01", -big)
    local days, bad = report_rows.shipped_us_days("2026-07-01", "2026-07-01", "[]", "[]")
    assert.equal(1, #days)
    assert.truthy(bad > 0)
    -- a kept sum SQLite has turned into a float
    store.exec("DELETE FROM rillet_us_days")
    store.exec("INSERT INTO rillet_us_days(doc_type, doc_date, state, docs, minor, bad) " ..
      "VALUES ('invoice', '2026-07-02', 'TX', 1, 9223372036854775807 + 10, 0)")
    local _, bad2 = report_rows.shipped_us_days("2026-07-02", "2026-07-02", "[]", "[]")
    assert.truthy(bad2 > 0)
    store.exec("DELETE FROM rillet_us_days")
  end)
end)
