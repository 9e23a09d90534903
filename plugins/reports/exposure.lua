-- Exposure (issues 8, 20): per US state, is there sales-tax nexus, and since when?
--
-- Economic nexus: sales and transactions shipped to the state over its measurement period
-- (data/us/economic-nexus.csv, core/tax/nexus.c) against its thresholds, counting or
-- excluding marketplace-facilitated sales as the state's rule says (`marketplace` column:
-- included / excluded / unknown — unknown is counted and flagged), with the DATE the
-- threshold was crossed (the first day the running total met it). Physical presence
-- (offices, employees, inventory, entered in Settings: reports_presence) gives nexus from its
-- from-date whatever the sales. A state with nexus that levy does not collect in (not
-- subscribed) is a problem the dashboard shows.
--
-- Marketplace sales: Rillet's API has no marketplace-facilitator field (rillet-openapi.json),
-- so the flag is levy's own: a customer (every document of it) or one document
-- (reports_marketplace_customers, reports_marketplace_documents; a document's own flag wins).
--
-- Money is integer minor units (USD cents) throughout; amounts leave as decimal strings.
-- Globals used per document, as locals: a global read in a plugin goes through the sandbox's
-- __index function (core/lua/runtime/sandbox.lua), a Lua call each, which a report over a year
-- of documents paid hundreds of thousands of times (issue 20 follow-up, bench/reports.py).
local type, ipairs, pairs, tostring, tonumber, table, string, math = type, ipairs, pairs, tostring, tonumber, table, string, math
local json = require "levy.json"
local http = require "levy.http"
local store = require "levy.store"
local plugin = require "levy.plugin"
local money = require "levy.money"
local time = require "levy.time"
local log = require "levy.log"
local tax = require "levy.tax"
local util = require "levy.util"
local audit = require "levy.audit"
local jobs = require "levy.jobs"
local dates = require "dates"

local null = util.orjnull

local M = {}

local KINDS = { office = "an office", employee = "employees or remote workers", inventory = "inventory" }
M.KINDS = KINDS

local function bad(details) http.error(422, "validation_failed", "invalid request", details) end

local function now_iso() return time.iso(time.now_ms()) end

---------------------------------------------------------------- thresholds

-- The threshold row in force at as_of for each state (latest effective_from <= as_of; a row
-- without effective_from is in force before any dated one).
local function thresholds(as_of)
  local by_state = {}
  for _, r in ipairs(tax.nexus_thresholds()) do
    local eff = r.effective_from or ""
    if eff <= as_of then
      local cur = by_state[r.state]
      if not cur or (cur.effective_from or "") < eff then by_state[r.state] = r end
    end
  end
  return by_state
end
M.thresholds = thresholds

-- "US-TX" (or "TX") -> "TX" when the state has a row in the nexus table, else nil.
local function state_of(region)
  if type(region) ~= "string" then return nil end
  local st = region:match("^US%-(%u%u)$") or region:match("^(%u%u)$")
  if not st then return nil end
  for _, r in ipairs(tax.nexus_thresholds()) do
    if r.state == st then return st end
  end
  return nil
end
M.state_of = state_of

---------------------------------------------------------------- physical presence

local function presence_row(r)
  return { id = r.id, region = "US-" .. r.state, state = r.state, kind = r.kind, kind_text = KINDS[r.kind],
           from = r.from_date, to = null(r.to_date), note = null(r.note), created_at = r.created_at }
end

function M.presence_list()
  local out = {}
  for r in store.query("SELECT * FROM reports_presence ORDER BY state, from_date, id") do
    out[#out + 1] = presence_row(r)
  end
  return out
end

function M.presence_add(b, req)
  local d = {}
  local st = state_of(b.region)
  if b.region == nil or b.region == "" then
    d[#d + 1] = { field = "region", message = "is required (a US state such as US-TX)" }
  elseif not st then
    d[#d + 1] = { field = "region", message = "must be a US state with a sales tax, such as US-TX" }
  end
  if not KINDS[b.kind] then
    d[#d + 1] = { field = "kind", message = "must be office, employee or inventory" }
  end
  if type(b.from) ~= "string" or not time.valid_date(b.from) then
    d[#d + 1] = { field = "from", message = "must be the date the presence began (YYYY-MM-DD)" }
  end
  local to = b.to
  if to == json.null or to == "" then to = nil end
  if to ~= nil and (type(to) ~= "string" or not time.valid_date(to)) then
    d[#d + 1] = { field = "to", message = "must be the date the presence ended (YYYY-MM-DD) or empty" }
  elseif to ~= nil and type(b.from) == "string" and to < b.from then
    d[#d + 1] = { field = "to", message = "must not be before from" }
  end
  local note = b.note
  if note == json.null or note == "" then note = nil end
  if note ~= nil and (type(note) ~= "string" or #note > 200) then
    d[#d + 1] = { field = "note", message = "must be text of at most 200 characters" }
  end
  if #d > 0 then bad(d) end
  -- RETURNING, not last_insert_rowid() (SQLite only; issue 22); rows, not row: the statement
  -- is stepped to its end, so a failed commit raises here instead of passing unseen
  local out
  store.transaction(function()
    local r = store.rows([[INSERT INTO reports_presence(state, kind, from_date, to_date, note, created_at)
      VALUES (?,?,?,?,?,?) RETURNING id, state, kind, from_date, to_date, note, created_at]],
      st, b.kind, b.from, to, note, now_iso())[1]
    out = presence_row(r)
    audit.record(req, { action = "presence.added", object_kind = "region", object_id = "US-" .. st,
                        label = "Physical presence in US-" .. st,
                        changes = { presence = { before = json.null, after = out } } })
  end)
  return out
end

function M.presence_delete(id, req)
  local n = math.tointeger(tonumber(id))
  local old = n and store.row("SELECT * FROM reports_presence WHERE id = ?", n)
  if not old then
    http.error(404, "not_found", "no physical-presence entry " .. tostring(id))
  end
  store.transaction(function()
    store.exec("DELETE FROM reports_presence WHERE id = ?", n)
    audit.record(req, { action = "presence.removed", object_kind = "region", object_id = "US-" .. old.state,
                        label = "Physical presence in US-" .. old.state,
                        changes = { presence = { before = presence_row(old), after = json.null } } })
  end)
end

-- Presence entries in force on as_of, by state: {earliest from, entries}.
local function presence_at(as_of)
  local by = {}
  for r in store.query("SELECT * FROM reports_presence WHERE from_date <= ? AND (to_date IS NULL OR to_date >= ?) " ..
                       "ORDER BY from_date, id", as_of, as_of) do
    local p = by[r.state]
    if not p then p = { from = r.from_date, entries = {} }; by[r.state] = p end
    p.entries[#p.entries + 1] = presence_row(r)
  end
  return by
end

---------------------------------------------------------------- marketplace flags

local DOC_TYPES = { invoice = true, credit_memo = true }

local function flag_value(v, field, allow_null)
  if v == true or v == false then return v end
  if allow_null and v == json.null then return nil end
  bad({ { field = field, message = allow_null and "must be true, false or null" or "must be true or false" } })
end

function M.marketplace_list()
  local customers, documents = {}, {}
  for r in store.query("SELECT customer_id, set_at FROM reports_marketplace_customers ORDER BY customer_id") do
    customers[#customers + 1] = { customer_id = r.customer_id, marketplace = true, set_at = r.set_at }
  end
  for r in store.query("SELECT doc_type, doc_id, marketplace, set_at FROM reports_marketplace_documents " ..
                       "ORDER BY doc_type, doc_id") do
    documents[#documents + 1] = { type = r.doc_type, id = r.doc_id, marketplace = r.marketplace == 1, set_at = r.set_at }
  end
  return { customers = json.array(customers), documents = json.array(documents) }
end

-- A customer sells through a marketplace facilitator (true) or not (false: the flag is removed).
function M.marketplace_customer(id, b, req)
  local v = flag_value(b.marketplace, "marketplace", false)
  if type(id) ~= "string" or id == "" or #id > 200 then bad({ { field = "id", message = "must be a customer id" } }) end
  store.transaction(function()
    local was = store.row("SELECT 1 AS x FROM reports_marketplace_customers WHERE customer_id = ?", id) ~= nil
    if v then
      store.exec("INSERT INTO reports_marketplace_customers(customer_id, set_at) VALUES (?, ?) " ..
                 "ON CONFLICT(customer_id) DO UPDATE SET set_at = excluded.set_at", id, now_iso())
    else
      store.exec("DELETE FROM reports_marketplace_customers WHERE customer_id = ?", id)
    end
    if was ~= v then
      audit.record(req, { action = "marketplace.customer_flagged", object_kind = "customer", object_id = id,
                          label = id, changes = { marketplace = { before = was, after = v } } })
      -- the rillet plugin's per-customer exposure sums follow the marketplace customers
      jobs.enqueue { kind = "reports.marketplace_sums", key = "sync", payload = {} }
    end
  end)
  return { customer_id = id, marketplace = v }
end

-- The job reports.marketplace_sums: the rillet plugin keeps the exposure sums of the
-- marketplace customers per customer (report_us_days_track, migration rillet 0028), so the
-- overview need not read their documents; a customer added is counted in chunks of
-- LEVY_MARKETPLACE_CHUNK documents, a transaction each, over as many runs as it takes (rillet
-- 0030). Returns true when every marketplace customer's sums are ready.
function M.sync_marketplace_sums()
  local r = plugin("rillet")
  if not (r and r.report_us_days_track) then return true end
  local list = {}
  for row in store.query("SELECT customer_id FROM reports_marketplace_customers ORDER BY customer_id") do
    list[#list + 1] = row.customer_id
  end
  return r.report_us_days_track(json.encode(json.array(list)), 500)
end

-- One document sold (true) or not (false) through a marketplace facilitator, whatever its
-- customer's flag; null removes the document's own flag (the customer's applies again).
function M.marketplace_document(doc_type, id, b, req)
  if not DOC_TYPES[doc_type] then bad({ { field = "type", message = "must be invoice or credit_memo" } }) end
  if type(id) ~= "string" or id == "" or #id > 200 then bad({ { field = "id", message = "must be a document id" } }) end
  local v = flag_value(b.marketplace, "marketplace", true)
  store.transaction(function()
    local old = store.row("SELECT marketplace FROM reports_marketplace_documents WHERE doc_type = ? AND doc_id = ?",
      doc_type, id)
    if v == nil then
      store.exec("DELETE FROM reports_marketplace_documents WHERE doc_type = ? AND doc_id = ?", doc_type, id)
    else
      store.exec("INSERT INTO reports_marketplace_documents(doc_type, doc_id, marketplace, set_at) VALUES (?,?,?,?) " ..
                 "ON CONFLICT(doc_type, doc_id) DO UPDATE SET marketplace = excluded.marketplace, set_at = excluded.set_at",
                 doc_type, id, v and 1 or 0, now_iso())
    end
    local before -- nil: no flag of its own (the customer's applies)
    if old then before = old.marketplace == 1 end
    if before ~= v then
      audit.record(req, { action = "marketplace.document_flagged", object_kind = doc_type, object_id = id,
                          label = id, changes = { marketplace = { before = null(before), after = null(v) } } })
    end
  end)
  return { type = doc_type, id = id, marketplace = null(v) }
end

local function marketplace_flags()
  local cust, doc = {}, {}
  for r in store.query("SELECT customer_id FROM reports_marketplace_customers") do cust[r.customer_id] = true end
  for r in store.query("SELECT doc_type, doc_id, marketplace FROM reports_marketplace_documents") do
    doc[r.doc_type .. ":" .. r.doc_id] = r.marketplace == 1
  end
  return cust, doc
end

---------------------------------------------------------------- documents

-- USD documents shipped to a US state, by state, sorted by date then type then id:
-- {type, id, number, customer_id, date, sign, minor, marketplace}. The state is the ship-to
-- of the document's latest calculation request (what levy taxed or would tax); the amount
-- is the pre-tax net_amount Rillet holds (total_amount of the calculation when absent).
-- Documents never calculated yet (pending) are not counted. Chosen and sorted in SQL
-- (report_shipped_us_documents: columns kept by rillet's triggers, no JSON read):
-- a year of 10,000 invoices within a request's budget (issue 20).
local function us_documents(since, to, only, want_docs)
  local by_state = {}
  local r = plugin("rillet")
  if not r then return by_state end
  local cust, docflag = marketplace_flags()
  if not want_docs and r.report_shipped_us_days then
    -- the overview: each state's documents summed per day and marketplace flag in SQL
    -- (entries {date, sign = 1, minor (signed sum), n (invoices), marketplace}), unless an
    -- amount is not a plain two-decimal string (then one by one, below)
    local flags, custs = {}, {}
    for k, v in pairs(docflag) do
      local dt, id = k:match("^([%w_]+):(.*)$")
      flags[#flags + 1] = json.array({ dt, id, v })
    end
    for c in pairs(cust) do custs[#custs + 1] = c end
    local days, nbad, counting = r.report_shipped_us_days(since, to, json.encode(json.array(flags)),
      json.encode(json.array(custs)))
    if nbad == 0 then
      for _, row in ipairs(days) do
        if not only or row.state == only then
          local l = by_state[row.state]
          if not l then l = {}; by_state[row.state] = l end
          -- the row is the entry (no second table per row)
          row.sign = 1 -- minor: the day's invoices less its credit memos; n: its invoices
          row.marketplace = row.marketplace == 1
          l[#l + 1] = row
        end
      end
      return by_state, counting
    end
  end
  local parse = money.parse
  for _, row in ipairs(r.report_shipped_us_documents(since, to, only)) do
    local minor = parse(row.amount, "USD")
    if minor then
      local st = row.state
      local l = by_state[st]
      if not l then l = {}; by_state[st] = l end
      local dt = row.type
      local mk = docflag[dt .. ":" .. tostring(row.id)]
      if mk == nil then mk = row.customer_id ~= nil and cust[row.customer_id] == true end
      l[#l + 1] = { type = dt, id = row.id, number = row.number, customer_id = row.customer_id,
                    date = row.date, sign = dt == "invoice" and 1 or -1, minor = minor, marketplace = mk }
    end
  end
  return by_state
end

---------------------------------------------------------------- evaluation

local RANK = { below = 0, approaching = 1, exceeded = 2 }

-- exceeded / approaching (>= 80 %) / below, by "or" / "and" / sales only.
local function evaluate(th, sales, txns)
  local thr = money.parse(th.sales_threshold, "USD")
  local tthr = th.transactions_threshold
  local s_met, s_near = sales >= thr, sales * 10 >= thr * 8
  if tthr then
    local t_met, t_near = txns >= tthr, txns * 10 >= tthr * 8
    if th.combine == "and" then
      return (s_met and t_met) and "exceeded" or ((s_near and t_near) and "approaching" or "below")
    end
    return (s_met or t_met) and "exceeded" or ((s_near or t_near) and "approaching" or "below")
  end
  return s_met and "exceeded" or (s_near and "approaching" or "below")
end

-- Share of the sales threshold in percent with one decimal, truncated ("84.0"; negative
-- sales -> "0.0").
local function percent(sales, th)
  local thr = money.parse(th.sales_threshold, "USD")
  if sales <= 0 then return "0.0" end
  local pm = (sales * 1000) // thr
  return string.format("%d.%d", pm // 10, pm % 10)
end

-- Does this document count towards the state's threshold? Marketplace sales count unless
-- the state's cited rule excludes them.
local function counts(th, d)
  return not (d.marketplace and th.marketplace == "excluded")
end

-- The first date in [w1, w2] on which the threshold test was met. Fixed periods (calendar
-- years, CT's year to 30 September, NY's four quarters): the running total from w1, all
-- documents of a day counted before the test. Rolling periods (previous_12_months): the
-- total over the 12 months ending that day. nil when never met.
-- the first day of the 12 months ending a day, per day (a pure function of the date, asked
-- once per state and day: kept for the process, at most one entry per calendar day seen)
local ROLL_START = {}

local function crossed_on(th, docs, w1, w2, rolling)
  local sales, txns = 0, 0
  local lo = 1 -- rolling: first document still inside the 12 months ending the current day
  local i, n = 1, #docs
  while i <= n do
    local day = docs[i].date
    local j = i
    while j <= n and docs[j].date == day do
      local d = docs[j]
      if (rolling or day >= w1) and day <= w2 and counts(th, d) then
        sales = sales + d.sign * d.minor
        if d.sign > 0 then txns = txns + (d.n or 1) end
      end
      j = j + 1
    end
    if rolling then
      local start = ROLL_START[day]
      if not start then start = dates.add_days(dates.year_before(day), 1); ROLL_START[day] = start end
      while lo < j and docs[lo].date < start do
        local d = docs[lo]
        if counts(th, d) then
          sales = sales - d.sign * d.minor
          if d.sign > 0 then txns = txns - (d.n or 1) end
        end
        lo = lo + 1
      end
    end
    if day >= w1 and day <= w2 and evaluate(th, sales, txns) == "exceeded" then return day end
    i = j
  end
  return nil
end

M._crossed_on = crossed_on -- for plugins/reports/spec/exposure_spec.lua

-- One state's measurement at as_of: the window that decides (alternatives, e.g. previous
-- or current year: the worse status wins, the later on a tie) with its sums and crossing.
local function measure(th, docs, as_of)
  local best, crossed
  local rolling = th.period == "previous_12_months"
  for _, w in ipairs(dates.windows(th.period, as_of)) do
    local sales, txns, mk_sales, mk_counted = 0, 0, 0, 0
    local w1, w2, excluded = w[1], w[2], th.marketplace == "excluded"
    for _, d in ipairs(docs) do
      local day = d.date
      if day >= w1 and day <= w2 then
        if d.marketplace then
          mk_sales = mk_sales + d.sign * d.minor
        end
        if not (excluded and d.marketplace) then -- counts(th, d), inline: once per document and window
          sales = sales + d.sign * d.minor
          if d.sign > 0 then txns = txns + (d.n or 1) end
          if d.marketplace then mk_counted = mk_counted + d.sign * d.minor end
        end
      end
    end
    local status = evaluate(th, sales, txns)
    -- the crossing: the earliest among the windows whose test is met at as_of
    local c = status == "exceeded" and crossed_on(th, docs, w[1], w[2], rolling) or nil
    if c and (crossed == nil or c < crossed) then crossed = c end
    if not best or RANK[status] >= RANK[best.status] then
      best = { from = w[1], to = w[2], sales = sales, txns = txns, status = status,
               marketplace_sales = mk_sales, marketplace_counted = mk_counted }
    end
  end
  best.crossed_on = crossed
  return best
end

---------------------------------------------------------------- the report

-- Earliest date of all windows of all states at as_of (rolling periods need one more year
-- of documents to date their crossing).
local function earliest(ths, as_of)
  local since = as_of
  for _, th in pairs(ths) do
    for _, w in ipairs(dates.windows(th.period, as_of)) do
      local s = w[1]
      if th.period == "previous_12_months" then s = dates.add_days(dates.year_before(s), 1) end
      if s < since then since = s end
    end
  end
  return since
end

-- Rows per state (sorted by state). persist: log and store a first crossing (today only).
-- only: one state code, or nil. With want_docs the state's documents come along (drill-down).
function M.exposure(as_of, persist, only, want_docs)
  local ths = thresholds(as_of)
  if only then ths = { [only] = ths[only] } end
  local api = plugin("api")
  local registered = api and api.subscribed_codes() or {}
  local states = {}
  for st in pairs(ths) do states[#states + 1] = st end
  table.sort(states)
  -- counting: the marketplace customers whose sums are still being counted (rillet 0030: too
  -- many documents for one job run; their sales counted as direct ones meanwhile)
  local docs, counting = us_documents(earliest(ths, as_of), as_of, only, want_docs)
  counting = counting or json.array({})
  local presence = presence_at(as_of)
  local logged = {}
  for r in store.query("SELECT state, logged_at FROM reports_nexus_crossings") do logged[r.state] = r.logged_at end
  local now = now_iso()
  local data = {}
  for _, st in ipairs(states) do
    local th = ths[st]
    local sdocs = docs[st] or {}
    local best = measure(th, sdocs, as_of)
    local region = "US-" .. st
    local subscribed = registered[region] and true or false
    local pres = presence[st]
    -- a crossing is logged once and for good: not while a marketplace customer's sales, which
    -- this state excludes, are still counted as direct ones
    local unsure = #counting > 0 and th.marketplace == "excluded"
    if persist and not unsure and best.status == "exceeded" and not logged[st] then
      local n = store.exec([[INSERT INTO reports_nexus_crossings(state, logged_at, as_of, period_start,
        period_end, sales, transactions, sales_threshold, transactions_threshold, combine)
        VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING]], st, now, as_of, best.from, best.to, money.format(best.sales, "USD"),
        best.txns, th.sales_threshold, th.transactions_threshold, th.combine)
      if n == 1 then
        logged[st] = now
        log.warn("economic nexus threshold crossed", { state = st, region = region,
          sales = money.format(best.sales, "USD"), transactions = best.txns, crossed_on = best.crossed_on,
          sales_threshold = th.sales_threshold, transactions_threshold = th.transactions_threshold,
          combine = th.combine, period = th.period, period_start = best.from, period_end = best.to,
          registered = subscribed and "yes" or "no" })
      end
    end
    local nexus_status = (best.status == "exceeded" or pres) and "nexus" or best.status
    local since = best.status == "exceeded" and best.crossed_on or nil
    if pres and (since == nil or pres.from < since) then since = pres.from end
    local problem = json.null
    if nexus_status == "nexus" and not subscribed then
      problem = (pres and best.status ~= "exceeded")
        and ("physical presence in " .. st .. " since " .. pres.from .. " but levy does not collect there (not subscribed)")
        or ("economic-nexus threshold crossed on " .. tostring(best.crossed_on) ..
            " but levy does not collect in " .. st .. " (not subscribed)")
    end
    local row = {
      region = region, state = st, currency = "USD",
      sales = money.format(best.sales, "USD"), transactions = best.txns,
      sales_threshold = th.sales_threshold, transactions_threshold = null(th.transactions_threshold),
      combine = null(th.combine), period = th.period, period_start = best.from, period_end = best.to,
      percent = percent(best.sales, th), threshold_status = best.status,
      status = subscribed and "registered" or best.status,
      nexus_status = nexus_status, nexus_since = null(since), crossed_on = null(best.crossed_on),
      subscribed = subscribed, problem = problem,
      physical_presence = json.array(pres and pres.entries or {}),
      marketplace_rule = th.marketplace or "unknown", marketplace_source = null(th.marketplace_source),
      marketplace_sales = money.format(best.marketplace_sales, "USD"),
      marketplace_counted = money.format(best.marketplace_counted, "USD"),
      marketplace_unverified = (th.marketplace or "unknown") == "unknown" and best.marketplace_sales ~= 0,
      effective_from = null(th.effective_from), source = th.source,
      crossed_logged_at = null(logged[st]),
    }
    if want_docs then
      local list, running = {}, 0
      for _, d in ipairs(sdocs) do
        if d.date >= best.from and d.date <= best.to then
          local c = counts(th, d)
          if c then running = running + d.sign * d.minor end
          list[#list + 1] = { type = d.type, id = d.id, number = null(d.number), customer_id = null(d.customer_id),
            date = d.date, amount = money.format(d.sign * d.minor, "USD"), marketplace = d.marketplace,
            counted = c, running_sales = money.format(running, "USD") }
        end
      end
      row.documents = json.array(list)
    end
    data[#data + 1] = row
  end
  return data, counting
end

local CSV_COLUMNS = { "region", "state", "nexus_status", "nexus_since", "crossed_on", "subscribed", "problem",
  "sales", "transactions", "sales_threshold", "transactions_threshold", "combine", "percent", "period",
  "period_start", "period_end", "threshold_status", "status", "physical_presence", "marketplace_rule",
  "marketplace_sales", "marketplace_counted", "marketplace_unverified", "source", "marketplace_source" }
M.CSV_COLUMNS = CSV_COLUMNS
M.DOC_CSV_COLUMNS = { "type", "id", "number", "customer_id", "date", "amount", "marketplace", "counted",
  "running_sales" }

-- physical_presence in one CSV cell: "office from 2026-01-15; inventory from 2026-03-01"
function M.csv_row(r)
  local out = {}
  for k, v in pairs(r) do out[k] = v end
  local p = {}
  for _, e in ipairs(r.physical_presence or {}) do p[#p + 1] = e.kind .. " from " .. e.from end
  out.physical_presence = table.concat(p, "; ")
  return out
end

return M
