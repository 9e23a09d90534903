-- "Recount kept sums" (issue 20, operations): every table levy keeps from the documents,
-- rebuilt from the documents while levy serves. levy's own writers (and the triggers of
-- migrations 0024-0028, whatever writes the documents) keep them exact; they are wrong only
-- after the store was written behind levy's back without them: bench/storeclone.py, a restore
-- of some tables only, a manual SQL fix of a kept table, a copy made with triggers disabled.
--
-- The job rillet.recount walks the phases below in order, a chunk a step, as many steps a run
-- as the run's budget share allows; each chunk's fixes, the cursor of the next chunk and what
-- was found (rillet_recount.changes) commit in one transaction, so a restart resumes where the
-- last committed chunk ended and a chunk is never counted twice. A chunk compares the kept
-- rows with the documents and rewrites only the rows that differ:
--   conn_counts: rillet_conn_doc_counts (migration 0025), a connection a chunk: its
--     documents and decided documents per type, kept in shard 0 when wrong;
--   doc_flags: invoices' and credit memos' calc_imprecise / calc_cert_expired (0024), FLAG_BATCH
--     documents (by id) a chunk, against their current calculation's head;
--   us_days: rillet_us_days (0026, keyed per type, day and state since 0028) and the
--     tracked customers' rillet_us_days_cust (0028), against the documents' US-shipped USD
--     sums (the migration's grouping): a document type and day a chunk, and a day of more
--     than DAY_CHUNK documents in chunks of DAY_CHUNK by id (the report index of 0023), its
--     partial sums carried in the cursor (the filing check found a month of a 100,000-
--     document store summed at once over a job run's budget; the 1M store of bench/storeclone.py holds 802,346
--     invoices on one day: summed at once, a chunk over the run's budget on every attempt,
--     so the recount never ended at the default budget — bench/README.md, h-expo23, recount24);
--   nc_memo: rillet_nc_memo (0023), a memo row a chunk: a row summed at its month's current
--     generation is compared with the month summed again (a stale one is summed again anyway
--     before a report reads it, so it is not "wrong");
--   filing: the filing, liability and not-collected kept sums (filing_sums.lua): their check;
--     when it finds differences, their rebuild (which checks again when done).
-- A write while a chunk is counted: on SQLite the chunk's transaction is BEGIN IMMEDIATE, so
-- every writer waits for it (and it for them); on PostgreSQL (READ COMMITTED) the chunk first
-- locks the documents, their calculations and heads in SHARE ROW EXCLUSIVE mode, which waits
-- for the transactions writing them and holds new writers until the chunk commits: the count
-- sees every committed write, and a write after it adds its delta to the recounted row.
-- Not recounted: the reports plugin's export totals (reports 0006) are each export's own count
-- of what it wrote, not a sum kept from the documents.
local audit = require "levy.audit"
local store = require "levy.store"
local json = require "levy.json"
local log = require "levy.log"
local time = require "levy.time"
local filing_sums = require "filing_sums"
local report_rows = require "report_rows"

local M = {}

local DOC_TABLE = { invoice = "invoices", credit_memo = "credit_memos" }
local TYPES = { "invoice", "credit_memo" }
M.PHASES = { "conn_counts", "doc_flags", "us_days", "nc_memo", "filing" }
-- what each kept table is, in words (the API's and the UI's result)
M.LABELS = {
  conn_counts = "Documents per connection (the import progress on Integrations)",
  doc_flags = "Documents' calculation flags (imprecise address, expired exemption certificate)",
  us_days = "Exposure sums (US sales per state and day)",
  nc_memo = "Calculated-not-collected sums per month",
  filing = "Filing summary and liability report sums",
}
M.FLAG_BATCH = 1000
M.EXAMPLES = 10       -- examples kept per table (fixed counts them all)
M.BUDGET_SHARE = 300  -- per mille of a run's budget: the next chunk starts only below it
M.WAIT_MS = 500       -- the filing phase's poll of the check and rebuild

-- ---------------------------------------------------------------------------------------
-- state

local function load()
  local r = store.row("SELECT state, phase, cursor, changes, started_at, finished_at, error FROM rillet_recount " ..
    "WHERE id = 1") or { state = "idle" }
  local c = r.changes and json.decode(r.changes) or nil
  if type(c) ~= "table" then c = {} end
  r.ch = c
  return r
end

local function entry(ch, phase)
  local e = ch[phase]
  if type(e) ~= "table" then
    e = { checked = 0, fixed = 0, examples = {} }
    ch[phase] = e
  end
  if type(e.examples) ~= "table" then e.examples = {} end
  return e
end

local function found(ch, phase, example)
  local e = entry(ch, phase)
  e.fixed = e.fixed + 1
  if #e.examples < M.EXAMPLES then e.examples[#e.examples + 1] = example end
end

local function encode(ch)
  local out = {}
  for k, e in pairs(ch) do
    local v = {}
    for f, x in pairs(e) do v[f] = x end
    v.examples = json.array(e.examples or {})
    out[k] = v
  end
  return json.encode(out)
end

local function save(phase, cursor, ch)
  store.exec("UPDATE rillet_recount SET phase = ?, cursor = ?, changes = ? WHERE id = 1", phase, cursor, encode(ch))
end

-- the documents and what decides their kept rows, held for the chunk (see the head)
local function lock_documents()
  if store.engine() == "postgres" then
    store.exec("LOCK TABLE invoices, credit_memos, calculations, rillet_calc_heads IN SHARE ROW EXCLUSIVE MODE")
  end
end

-- "invoice\tX" -> "invoice", "X"
local function split(cursor)
  if not cursor then return nil, nil end
  local a, b = cursor:match("^([^\t]*)\t(.*)$")
  return a, b
end

-- ---------------------------------------------------------------------------------------
-- conn_counts: a connection a chunk

local DECIDED = "CAST(COALESCE(sum(CASE WHEN tax_status <> 'pending' OR reason IS NOT NULL THEN 1 ELSE 0 END), 0) " ..
  "AS BIGINT)"

local function step_conn_counts(st)
  local after = st.cursor or ""
  local r = store.row("SELECT min(c) AS c FROM (SELECT min(connection_id) AS c FROM invoices WHERE connection_id > ? " ..
    "UNION ALL SELECT min(connection_id) FROM credit_memos WHERE connection_id > ? " ..
    "UNION ALL SELECT min(connection_id) FROM rillet_conn_doc_counts WHERE connection_id > ?) x", after, after, after)
  local conn = r and r.c
  store.transaction(function()
    if not conn then
      save("doc_flags", nil, st.ch)
      return
    end
    lock_documents()
    for _, dt in ipairs(TYPES) do
      local a = store.row("SELECT count(*) AS docs, " .. DECIDED .. " AS decided FROM " .. DOC_TABLE[dt] ..
        " WHERE connection_id = ? AND deleted = 0", conn)
      local k = store.row("SELECT CAST(COALESCE(sum(docs), 0) AS BIGINT) AS docs, " ..
        "CAST(COALESCE(sum(decided), 0) AS BIGINT) AS decided FROM rillet_conn_doc_counts " ..
        "WHERE connection_id = ? AND doc_type = ?", conn, dt)
      entry(st.ch, "conn_counts").checked = entry(st.ch, "conn_counts").checked + 1
      if a.docs ~= k.docs or a.decided ~= k.decided then
        store.exec("DELETE FROM rillet_conn_doc_counts WHERE connection_id = ? AND doc_type = ?", conn, dt)
        if a.docs ~= 0 or a.decided ~= 0 then
          store.exec("INSERT INTO rillet_conn_doc_counts(connection_id, doc_type, shard, docs, decided) " ..
            "VALUES (?, ?, 0, ?, ?)", conn, dt, a.docs, a.decided)
        end
        found(st.ch, "conn_counts", { connection_id = conn, doc_type = dt,
          kept = { documents = k.docs, decided = k.decided }, actual = { documents = a.docs, decided = a.decided } })
      end
    end
    save("conn_counts", conn, st.ch)
  end)
end

-- ---------------------------------------------------------------------------------------
-- doc_flags: FLAG_BATCH documents of a type a chunk

local function step_doc_flags(st)
  local dt, after = split(st.cursor)
  dt = dt or "invoice"
  local t = DOC_TABLE[dt]
  local ids = {}
  for r in store.query("SELECT id FROM " .. t .. (after and " WHERE id > ?" or "") .. " ORDER BY id LIMIT " ..
      M.FLAG_BATCH, table.unpack(after and { after } or {})) do
    ids[#ids + 1] = r.id
  end
  store.transaction(function()
    if #ids > 0 then
      lock_documents()
      local sql = "SELECT d.id, d.calc_imprecise AS ki, d.calc_cert_expired AS ke, " ..
        "COALESCE(h.imprecise, 0) AS ai, COALESCE(h.cert_expired, 0) AS ae FROM " .. t .. " d " ..
        "LEFT JOIN rillet_calc_heads h ON h.calculation_id = d.calculation_id WHERE d.id <= ?" ..
        (after and " AND d.id > ?" or "") ..
        " AND (d.calc_imprecise <> COALESCE(h.imprecise, 0) OR d.calc_cert_expired <> COALESCE(h.cert_expired, 0))"
      for _, r in ipairs(store.rows(sql, table.unpack(after and { ids[#ids], after } or { ids[#ids] }))) do
        store.exec("UPDATE " .. t .. " SET calc_imprecise = ?, calc_cert_expired = ? WHERE id = ?", r.ai, r.ae, r.id)
        found(st.ch, "doc_flags", { doc_type = dt, id = r.id,
          kept = { imprecise = r.ki, cert_expired = r.ke }, actual = { imprecise = r.ai, cert_expired = r.ae } })
      end
      local e = entry(st.ch, "doc_flags")
      e.checked = e.checked + #ids
    end
    if #ids < M.FLAG_BATCH then
      if dt == "invoice" then save("doc_flags", "credit_memo\t", st.ch) else save("us_days", nil, st.ch) end
    else
      save("doc_flags", dt .. "\t" .. ids[#ids], st.ch)
    end
  end)
end
-- (a cursor "credit_memo\t" has after = "": every id is > '')

-- ---------------------------------------------------------------------------------------
-- us_days: a document type and day a chunk, a big day in chunks of DAY_CHUNK documents

-- the cents of a plain two-decimal amount A (else the document is bad): migration 0026's test
local function us_amount(a)
  local u = "(CASE WHEN " .. a .. " LIKE '-%' THEN substr(" .. a .. ", 2) ELSE " .. a .. " END)"
  local ok = "(length(" .. a .. ") <= 18 AND " .. u .. " LIKE '_%.__' AND ltrim(" .. u .. ", '0123456789') = substr(" ..
    u .. ", length(" .. u .. ") - 2) AND rtrim(" .. u .. ", '0123456789') = substr(" .. u .. ", 1, length(" .. u ..
    ") - 2))"
  return "CAST(sum(CASE WHEN " .. ok .. " THEN CAST(replace(" .. a .. ", '.', '') AS BIGINT) ELSE 0 END) AS BIGINT)",
    "CAST(sum(CASE WHEN " .. ok .. " THEN 0 ELSE 1 END) AS BIGINT)"
end

-- cust: per customer, for the tracked customers (rillet_us_days_cust, 0028) and, of a customer
-- being counted, the documents its counting has passed (0030: report_rows.us_days_counted_sql,
-- the triggers' own test); the documents
-- of the day with after < id <= upto (upto nil: to the day's end): their ids first, from the
-- report index (0023: doc_date, id, ...) sought at both ends of the (doc_date, id) range, then
-- each document by its key (read at once, the planner takes the exposure index, 0015, which
-- covers the columns summed, and walks the whole day)
local function us_days_sql(t, cust, upto)
  local minor, bad = us_amount("COALESCE(d.net_amount, k.total_amount)")
  return "WITH r AS MATERIALIZED (SELECT x.id FROM " .. t .. " x WHERE (x.doc_date, x.id) > (?, ?) AND " ..
    (upto and "(x.doc_date, x.id) <= (?, ?)" or "x.doc_date <= ?") .. " ORDER BY x.doc_date, x.id) " ..
    "SELECT d.doc_date, upper(k.ship_state) AS state, " .. (cust and "d.customer_id, " or "") ..
    "count(*) AS docs, " .. minor .. " AS minor, " .. bad ..
    " AS bad FROM r CROSS JOIN " .. t .. " d JOIN rillet_calc_heads k ON k.calculation_id = d.calculation_id " ..
    "WHERE d.id = r.id AND d.deleted = 0 AND d.currency = 'USD' AND upper(k.ship_country) = 'US' " ..
    "AND k.ship_state IS NOT NULL AND COALESCE(d.net_amount, k.total_amount) IS NOT NULL " ..
    (cust and "AND " .. report_rows.us_days_counted_sql(t == "invoices" and "invoice" or "credit_memo") .. " " or "") ..
    "GROUP BY d.doc_date, upper(k.ship_state)" .. (cust and ", d.customer_id" or "")
end

M.us_days_sql = us_days_sql -- the spec reads its plan

-- the id ending the chunk of the day after (day, after): its DAY_CHUNK-th document (none: the
-- rest of the day is the last chunk)
function M.us_days_bound_sql(t)
  return "SELECT id FROM " .. t .. " WHERE (doc_date, id) > (?, ?) AND doc_date <= ? ORDER BY doc_date, id LIMIT 1 " ..
    "OFFSET " .. math.tointeger(M.DAY_CHUNK - 1)
end

local function day_key(r)
  return r.doc_date .. "\t" .. r.state .. "\t" .. (r.customer_id or "")
end

-- one day's kept rows of one table compared with the documents' sums ACTUAL (day_key ->
-- {docs, minor, bad}, summed over the day's chunks), the rows that differ rewritten
local function us_days_compare(st, dt, day, cust, actual_sums, dry)
  local tbl = cust and "rillet_us_days_cust" or "rillet_us_days"
  local cols = cust and "doc_date, state, customer_id, docs, minor, bad" or "doc_date, state, docs, minor, bad"
  local actual, kept, keys = {}, {}, {}
  for k, v in pairs(actual_sums) do
    local d, s, c = k:match("^([^\t]*)\t([^\t]*)\t(.*)$")
    actual[k] = { doc_date = d, state = s, customer_id = cust and c or nil, docs = v[1], minor = v[2], bad = v[3] }
    keys[#keys + 1] = k
  end
  for _, x in ipairs(store.rows("SELECT " .. cols .. " FROM " .. tbl .. " WHERE doc_type = ? AND doc_date = ?", dt, day)) do
    local k = day_key(x)
    kept[k] = x
    if not actual[k] then keys[#keys + 1] = k end
  end
  table.sort(keys)
  if dry then
    local n = 0
    for _, k in ipairs(keys) do
      local a, x = actual[k], kept[k]
      if not (a and x and a.docs == x.docs and a.minor == x.minor and a.bad == x.bad) then n = n + 1 end
    end
    return n
  end
  local e = entry(st.ch, "us_days")
  e.checked = e.checked + #keys
  for _, k in ipairs(keys) do
    local a, x = actual[k], kept[k]
    if not (a and x and a.docs == x.docs and a.minor == x.minor and a.bad == x.bad) then
      local g = a or x
      if cust then
        store.exec("DELETE FROM rillet_us_days_cust WHERE doc_type = ? AND doc_date = ? AND state = ? AND customer_id = ?",
          dt, g.doc_date, g.state, g.customer_id)
      else
        store.exec("DELETE FROM rillet_us_days WHERE doc_type = ? AND doc_date = ? AND state = ?", dt, g.doc_date, g.state)
      end
      if a then
        if cust then
          store.exec("INSERT INTO rillet_us_days_cust(doc_type, doc_date, state, customer_id, docs, minor, bad) " ..
            "VALUES (?, ?, ?, ?, ?, ?, ?)", dt, a.doc_date, a.state, a.customer_id, a.docs, a.minor, a.bad)
        else
          store.exec("INSERT INTO rillet_us_days(doc_type, doc_date, state, docs, minor, bad) VALUES (?, ?, ?, ?, ?, ?)",
            dt, a.doc_date, a.state, a.docs, a.minor, a.bad)
        end
      end
      local function fig(v) return v and { documents = v.docs, cents = v.minor, unreadable = v.bad } or json.null end
      found(st.ch, "us_days", { doc_type = dt, date = g.doc_date, state = g.state,
        customer_id = cust and g.customer_id or nil, kept = fig(x), actual = fig(a) })
    end
  end
end

-- everything a day's sums are compared with, in one string: its kept rows of both tables and
-- the tracked customers. A write between two chunks of the day that changes its sums changes
-- its kept rows (the triggers of 0028 run in the writer's transaction); a customer tracked,
-- made ready or whose counting moved on meanwhile (0030: its cursor) changes which documents
-- the per-customer sums take.
local function us_days_kept_mark(dt, day)
  local out = {}
  for r in store.query("SELECT state, docs, minor, bad FROM rillet_us_days WHERE doc_type = ? AND doc_date = ? " ..
      "ORDER BY state", dt, day) do
    out[#out + 1] = table.concat({ r.state, r.docs, r.minor, r.bad }, ",")
  end
  out[#out + 1] = "|"
  for r in store.query("SELECT state, customer_id, docs, minor, bad FROM rillet_us_days_cust WHERE doc_type = ? AND " ..
      "doc_date = ? ORDER BY state, customer_id", dt, day) do
    out[#out + 1] = table.concat({ r.state, r.customer_id, r.docs, r.minor, r.bad }, ",")
  end
  out[#out + 1] = "|"
  for r in store.query("SELECT customer_id, ready, phase, counted_through FROM rillet_us_days_track " ..
      "ORDER BY customer_id") do
    out[#out + 1] = r.customer_id .. "," .. r.ready .. "," .. r.phase .. "," .. (r.counted_through or "")
  end
  return table.concat(out, "\n")
end

local function add_sums(into, rows)
  for _, a in ipairs(rows) do
    local k = day_key(a)
    local v = into[k] or { 0, 0, 0 }
    into[k] = { v[1] + a.docs, v[2] + a.minor, v[3] + a.bad }
  end
end

-- A day a chunk when it holds at most DAY_CHUNK documents (of every kind: the bound is rows
-- read, not rows summed); a bigger day in chunks of DAY_CHUNK documents by id (the report
-- index (doc_date, id, ...), migration 0023), the partial sums carried in the cursor (JSON)
-- from chunk to chunk and compared with the kept rows once the day is summed. Each chunk
-- checks first that the day's kept rows (and the tracked customers) are still those of the day's first chunk:
-- a write meanwhile may have changed documents already summed, so the day starts again; after
-- DAY_RESTARTS such restarts (a day written all the time) the day is summed in one chunk, as
-- before chunks within a day (it then takes what that costs, once).
M.DAY_CHUNK = 20000
M.DAY_RESTARTS = 3

local function step_us_days(st)
  local p
  if st.cursor and st.cursor:sub(1, 1) == "{" then
    p = json.decode(st.cursor)
    if type(p) ~= "table" or not DOC_TABLE[p.t] or type(p.day) ~= "string" then p = nil end
  end
  local dt, day
  if p then
    dt, day = p.t, p.day
  else
    local after
    dt, after = split(st.cursor)
    dt = dt or "invoice"
    after = after or ""
    local t = DOC_TABLE[dt]
    local r = store.row("SELECT min(x) AS d FROM (SELECT min(doc_date) AS x FROM " .. t .. " WHERE doc_date > ? " ..
      "UNION ALL SELECT min(doc_date) FROM rillet_us_days WHERE doc_type = ? AND doc_date > ? " ..
      "UNION ALL SELECT min(doc_date) FROM rillet_us_days_cust WHERE doc_type = ? AND doc_date > ?) q",
      after, dt, after, dt, after)
    day = r and r.d
  end
  local t = DOC_TABLE[dt]
  store.transaction(function()
    if not day then
      if dt == "invoice" then save("us_days", "credit_memo\t", st.ch) else save("nc_memo", nil, st.ch) end
      return
    end
    lock_documents()
    local mark = us_days_kept_mark(dt, day)
    if not p then
      p = { t = dt, day = day, id = "", a = {}, c = {}, k = mark, restarts = 0 }
    elseif p.k ~= mark then
      p = { t = dt, day = day, id = "", a = {}, c = {}, k = mark, restarts = (p.restarts or 0) + 1,
            confirm = p.confirm }
    end
    local upto
    if p.restarts < M.DAY_RESTARTS and not p.confirm then
      local b = store.row(M.us_days_bound_sql(t), day, p.id, day)
      upto = b and b.id
    end
    local args = upto and { day, p.id, day, upto } or { day, p.id, day }
    add_sums(p.a, store.rows(us_days_sql(t, false, upto), table.unpack(args)))
    add_sums(p.c, store.rows(us_days_sql(t, true, upto), table.unpack(args)))
    if upto then
      p.id = upto
      local e = entry(st.ch, "us_days")
      e.chunks_within_days = (e.chunks_within_days or 0) + 1
      save("us_days", json.encode(p), st.ch)
      return
    end
    if p.id ~= "" and (us_days_compare(st, dt, day, false, p.a, true) > 0 or
        us_days_compare(st, dt, day, true, p.c, true) > 0) then
      -- a day summed in chunks differs from its kept rows: summed again in one chunk before
      -- anything is rewritten. The kept rows' mark catches a write between two chunks that
      -- changed the day's sums, but not two writes whose changes cancel in every row (one to
      -- a document already summed, one to a document not yet summed); a fix is never made
      -- from a sum that may be torn
      p = { t = dt, day = day, id = "", a = {}, c = {}, k = mark, restarts = p.restarts, confirm = true }
      local e = entry(st.ch, "us_days")
      e.days_confirmed_whole = (e.days_confirmed_whole or 0) + 1
      save("us_days", json.encode(p), st.ch)
      return
    end
    us_days_compare(st, dt, day, false, p.a)
    us_days_compare(st, dt, day, true, p.c)
    if p.restarts > 0 then
      local e = entry(st.ch, "us_days")
      e.day_restarts = (e.day_restarts or 0) + p.restarts
    end
    save("us_days", dt .. "\t" .. day, st.ch)
  end)
end

-- ---------------------------------------------------------------------------------------
-- nc_memo: a memo row a chunk

local function canon_rows(rows)
  local out = {}
  for _, r in ipairs(rows or {}) do out[#out + 1] = json.canonical(r) end
  table.sort(out)
  return table.concat(out, "\n")
end

local function step_nc_memo(st)
  local c = st.cursor and json.decode(st.cursor) or nil
  local r
  if type(c) == "table" then
    r = store.row("SELECT month, region, doc_type, gen, sums FROM rillet_nc_memo WHERE (month, region, doc_type) > " ..
      "(?, ?, ?) ORDER BY month, region, doc_type LIMIT 1", c[1], c[2], c[3])
  else
    r = store.row("SELECT month, region, doc_type, gen, sums FROM rillet_nc_memo ORDER BY month, region, doc_type LIMIT 1")
  end
  store.transaction(function()
    if not r then
      save("filing", nil, st.ch)
      return
    end
    local g = store.row("SELECT gen FROM rillet_nc_months WHERE month = ?", r.month)
    local gen = g and g.gen or 0
    local e = entry(st.ch, "nc_memo")
    e.checked = e.checked + 1
    if r.gen == gen then
      local fresh = report_rows.nc_month_rows(r.doc_type, r.month, r.region)
      -- a row whose text is not a JSON array (written by hand) is wrong whatever it says
      local okd, kept = pcall(json.decode, r.sums)
      if not okd or type(kept) ~= "table" then kept = nil end
      if kept == nil or canon_rows(kept) ~= canon_rows(fresh) then
        store.exec("UPDATE rillet_nc_memo SET sums = ? WHERE month = ? AND region = ? AND doc_type = ? AND gen = ?",
          json.encode(json.array(fresh)), r.month, r.region, r.doc_type, gen)
        found(st.ch, "nc_memo", { month = r.month, region = r.region ~= "" and r.region or json.null,
          doc_type = r.doc_type, kept = kept and { rows = #kept } or json.null, actual = { rows = #fresh } })
      end
    end
    save("nc_memo", json.encode({ r.month, r.region, r.doc_type }), st.ch)
  end)
end

-- ---------------------------------------------------------------------------------------
-- filing: the kept report sums' own check, and their rebuild when it differs
-- returns the ms to wait before the next step (0: go on)

local function step_filing(st)
  if st.cursor == nil then
    store.transaction(function()
      filing_sums.start_check(nil)
      save("filing", "check", st.ch)
    end)
    return M.WAIT_MS
  end
  local s = filing_sums.check_status()
  if s.check.state == "running" then return M.WAIT_MS end
  if st.cursor == "check" then
    local e = entry(st.ch, "filing")
    e.checked = s.check.months or 0
    local n = 0
    e.kinds = {}
    for k, v in pairs(s.check.kinds) do
      e.kinds[k] = { mismatches = v.mismatches, months = v.months }
      n = n + (v.mismatches or 0)
    end
    for _, d in ipairs(s.check.differences or {}) do
      if #e.examples < M.EXAMPLES then e.examples[#e.examples + 1] = d end
    end
    e.fixed = n
    store.transaction(function()
      if n > 0 then
        filing_sums.start_rebuild(true, nil)
        save("filing", "rebuild", st.ch)
      else
        save("done", nil, st.ch)
      end
    end)
    return n > 0 and M.WAIT_MS or 0
  end
  -- "rebuild": done once both sums are rebuilt and the check that follows has finished
  if not (s.ready and s.liability_ready) then return M.WAIT_MS end
  local e = entry(st.ch, "filing")
  e.after_rebuild = s.check.state
  store.transaction(function() save("done", nil, st.ch) end)
  return 0
end

-- ---------------------------------------------------------------------------------------
-- the result in words

local function fixed_total(ch)
  local n = 0
  for _, p in ipairs(M.PHASES) do
    local e = ch[p]
    if type(e) == "table" then n = n + (e.fixed or 0) end
  end
  return n
end

local function summary(st)
  if st.state == "idle" then return "No recount has run yet." end
  if st.state == "running" then
    return "Recounting: " .. (M.LABELS[st.phase] or st.phase or "starting") .. "."
  end
  if st.state == "failed" then return "The recount stopped: " .. tostring(st.error) end
  local parts = {}
  for _, p in ipairs(M.PHASES) do
    local e = st.ch[p]
    if type(e) == "table" and (e.fixed or 0) > 0 then
      parts[#parts + 1] = M.LABELS[p] .. ": " .. e.fixed .. (e.fixed == 1 and " difference" or " differences") ..
        " fixed"
    end
  end
  if #parts == 0 then return "Every kept total matched the documents; nothing was changed." end
  return "Fixed from the documents — " .. table.concat(parts, "; ") .. "."
end

function M.status()
  local st = load()
  local idx = 0
  for i, p in ipairs(M.PHASES) do if p == st.phase then idx = i - 1 end end
  if st.state == "done" then idx = #M.PHASES end
  local tables = {}
  for _, p in ipairs(M.PHASES) do
    local e = st.ch[p]
    if type(e) == "table" then
      local t = { table = p, label = M.LABELS[p], checked = e.checked or 0, fixed = e.fixed or 0,
                  examples = json.array(e.examples or {}) }
      if e.kinds then t.kinds = e.kinds end
      if e.after_rebuild then t.after_rebuild = e.after_rebuild end
      if e.chunks_within_days then t.chunks_within_days = e.chunks_within_days end
      if e.day_restarts then t.day_restarts = e.day_restarts end
      if e.days_confirmed_whole then t.days_confirmed_whole = e.days_confirmed_whole end
      tables[#tables + 1] = t
    end
  end
  return {
    state = st.state,
    phase = st.state == "running" and st.phase or json.null,
    progress = { done = idx, total = #M.PHASES },
    started_at = st.started_at or json.null,
    finished_at = st.finished_at or json.null,
    fixed = fixed_total(st.ch),
    tables = json.array(tables),
    summary = summary(st),
  }
end

-- POST /v1/store/recount (req) or levy's own start (nil): a recount from the first phase,
-- unless one is running (then its status: the same recount, not a second one).
function M.start(req)
  local jobs = require "levy.jobs"
  store.transaction(function()
    local st = load()
    if st.state == "running" then return end
    audit.record(req, { action = "store.recount_requested", object_kind = "store", label = "Kept sums",
                        changes = { recount = { before = st.state, after = "running" } } })
    store.exec("UPDATE rillet_recount SET state = 'running', phase = ?, cursor = NULL, changes = '{}', started_at = ?, " ..
      "finished_at = NULL, error = NULL WHERE id = 1", M.PHASES[1], time.iso_ms(time.now_ms()))
    jobs.enqueue { kind = "rillet.recount", key = "recount", payload = { op = "recount" } }
    log.info("recount of the kept sums started", {})
  end)
  return M.status()
end

local STEPS = { conn_counts = step_conn_counts, doc_flags = step_doc_flags, us_days = step_us_days,
                nc_memo = step_nc_memo }

local function finish()
  store.transaction(function()
    local st = load()
    local changes = {}
    for _, p in ipairs(M.PHASES) do
      local e = st.ch[p]
      if type(e) == "table" and (e.fixed or 0) > 0 then
        changes[p] = { before = e.fixed .. " wrong", after = "recounted" }
      end
    end
    store.exec("UPDATE rillet_recount SET state = 'done', phase = NULL, cursor = NULL, finished_at = ? WHERE id = 1",
      time.iso_ms(time.now_ms()))
    audit.record(nil, { action = "store.recount_finished", object_kind = "store", label = "Kept sums",
                        changes = changes })
    local n = fixed_total(st.ch)
    if n > 0 then
      log.warn("recount of the kept sums fixed differences from the documents", { fixed = n, summary = summary(
        { state = "done", ch = st.ch }) })
    else
      log.info("recount of the kept sums: every kept total matched the documents", {})
    end
  end)
end

M.MAX_ATTEMPTS = 20

-- the recount stopped for good: said where its status is read, and in the log
local function failed(msg)
  store.exec("UPDATE rillet_recount SET state = 'failed', error = ?, finished_at = ? WHERE id = 1 AND state = 'running'",
    msg, time.iso_ms(time.now_ms()))
  log.error("recount of the kept sums stopped", { error = msg })
end

local function run_steps()
  local jobs = require "levy.jobs"
  while true do
    local st = load()
    if st.state ~= "running" then return end
    if st.phase == "done" then
      finish()
      return
    end
    local wait = 0
    if st.phase == "filing" then
      wait = step_filing(st)
    else
      local f = STEPS[st.phase]
      if not f then error("unknown phase " .. tostring(st.phase)) end
      f(st)
    end
    if wait > 0 then return jobs.retry(wait, "recount: waiting for the filing sums' check") end
    if time.budget_used() >= M.BUDGET_SHARE then return jobs.retry(0, "recount: next chunk") end
  end
end

-- the job rillet.recount: chunks while the run's budget share lasts, then again; an error
-- retries the chunk (nothing of it was committed) with back-off, MAX_ATTEMPTS times
function M.job(job)
  local ok, a, b = pcall(run_steps)
  if ok then return a, b end
  if (job.attempts or 0) >= M.MAX_ATTEMPTS then
    failed(tostring(a))
    return require("levy.jobs").dead(tostring(a))
  end
  error(a, 0)
end

return M
