-- reports: compliance views over what the rillet plugin imported and taxed (issue 8).
--
--   GET /v1/reports/liability?from=YYYY-MM-DD&to=YYYY-MM-DD[&region=US-CA][&format=csv]
--   GET /v1/reports/exposure[?as_of=YYYY-MM-DD]
--
-- Read-only over the rillet plugin's tables (invoices, credit_memos, calculations) and the
-- api plugin's regions table, by SQL: a report reads, it never changes those tables, and a
-- plugin-to-plugin export would only wrap the same SELECTs. Its own table
-- (reports_nexus_crossings) remembers which states' crossings were already logged.
local json = require "levy.json"
local http = require "levy.http"
local store = require "levy.store"
local money = require "levy.money"
local time = require "levy.time"
local log = require "levy.log"
local tax = require "levy.tax"
local dates = require "dates"

local LEVEL_ORDER = { country = 1, state = 2, province = 3, county = 4, city = 5, district = 6 }

local function bad(details)
  http.error(422, "validation_failed", "invalid query", details)
end

local function null(v) if v == nil then return json.null end return v end

local function tables_ready()
  return store.row("SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'calculations'") ~= nil
end

---------------------------------------------------------------- liability

local function liability_query(q)
  local d = {}
  local from, to = q.from, q.to
  if from == nil or from == "" then d[#d + 1] = { field = "from", message = "is required (YYYY-MM-DD)" }
  elseif not time.valid_date(from) then d[#d + 1] = { field = "from", message = "must be a date YYYY-MM-DD" } end
  if to == nil or to == "" then d[#d + 1] = { field = "to", message = "is required (YYYY-MM-DD)" }
  elseif not time.valid_date(to) then d[#d + 1] = { field = "to", message = "must be a date YYYY-MM-DD" } end
  if #d == 0 and from > to then d[#d + 1] = { field = "from", message = "must not be after to" } end
  local region = q.region
  if region == "" then region = nil end
  if region ~= nil and not (region:match("^%u%u$") or region:match("^%u%u%-%u%u$")) then
    d[#d + 1] = { field = "region", message = "must be a region code such as US-CA or EU" }
  end
  local format = q.format
  if format ~= nil and format ~= "" and format ~= "json" and format ~= "csv" then
    d[#d + 1] = { field = "format", message = "must be json or csv" }
  end
  if #d > 0 then bad(d) end
  return from, to, region, format == "csv"
end

-- Documents that count: dated in [from, to], not deleted, taxed by levy (tax_status
-- calculated or written: not pending, failed, not_collecting or deleted), with the result
-- of their current calculation (the one GET /v1/invoices/{id} shows).
local function liability_docs(from, to, region)
  local out = {}
  if not tables_ready() then return out end
  for _, t in ipairs({ { "invoice", "invoices" }, { "credit_memo", "credit_memos" } }) do
    local sql = "SELECT d.id, d.currency, d.region, c.result FROM " .. t[2] .. [[ d
      JOIN calculations c ON c.id = d.calculation_id
      WHERE d.deleted = 0 AND d.tax_status IN ('calculated', 'written')
        AND d.doc_date >= ? AND d.doc_date <= ? AND c.result IS NOT NULL]]
    local args = { from, to }
    if region then sql = sql .. " AND d.region = ?"; args[#args + 1] = region end
    for row in store.query(sql .. " ORDER BY d.id", table.unpack(args)) do
      local result = json.decode(row.result)
      if type(result) == "table" then
        out[#out + 1] = { type = t[1], id = row.id, region = row.region or result.region,
                          currency = row.currency or result.currency, result = result }
      end
    end
  end
  return out
end

local function parse_amount(s, cur, what)
  local v = type(s) == "string" and money.parse(s, cur)
  if not v then error("stored " .. what .. " is not an amount in " .. tostring(cur) .. ": " .. tostring(s)) end
  return v
end

local function liability(from, to, region)
  local groups, order, totals = {}, {}, {}
  for _, doc in ipairs(liability_docs(from, to, region)) do
    local cur = doc.currency
    local sign = doc.type == "invoice" and 1 or -1
    local tot = totals[cur]
    if not tot then
      tot = { taxable = 0, tax = 0, invoices = 0, credit_memos = 0 }
      totals[cur] = tot
    end
    if doc.type == "invoice" then tot.invoices = tot.invoices + 1 else tot.credit_memos = tot.credit_memos + 1 end
    tot.taxable = tot.taxable + sign * parse_amount(doc.result.total_taxable or "0", cur, "total_taxable")
    local seen = {}
    for _, line in ipairs(doc.result.lines or {}) do
      for _, t in ipairs(line.taxes or {}) do
        local key = table.concat({ cur, tostring(doc.region), tostring(t.jurisdiction), tostring(t.level), tostring(t.type) }, "\0")
        local g = groups[key]
        if not g then
          g = { currency = cur, region = doc.region, jurisdiction = t.jurisdiction, level = t.level, type = t.type,
                taxable = 0, tax = 0, invoices = 0, credit_memos = 0 }
          groups[key] = g
          order[#order + 1] = g
        end
        g.taxable = g.taxable + sign * parse_amount(t.taxable_amount, cur, "taxable_amount")
        g.tax = g.tax + sign * parse_amount(t.amount, cur, "tax amount")
        tot.tax = tot.tax + sign * parse_amount(t.amount, cur, "tax amount")
        if not seen[key] then
          seen[key] = true
          if doc.type == "invoice" then g.invoices = g.invoices + 1 else g.credit_memos = g.credit_memos + 1 end
        end
      end
    end
  end
  table.sort(order, function(a, b)
    if a.currency ~= b.currency then return a.currency < b.currency end
    if a.region ~= b.region then return tostring(a.region) < tostring(b.region) end
    local la, lb = LEVEL_ORDER[a.level] or 9, LEVEL_ORDER[b.level] or 9
    if la ~= lb then return la < lb end
    if a.jurisdiction ~= b.jurisdiction then return tostring(a.jurisdiction) < tostring(b.jurisdiction) end
    return tostring(a.type) < tostring(b.type)
  end)
  local data = {}
  for _, g in ipairs(order) do
    data[#data + 1] = { region = null(g.region), jurisdiction = null(g.jurisdiction), level = null(g.level),
      type = null(g.type), currency = g.currency, taxable = money.format(g.taxable, g.currency),
      tax = money.format(g.tax, g.currency), invoices = g.invoices, credit_memos = g.credit_memos }
  end
  local tout = {}
  for cur, t in pairs(totals) do
    tout[cur] = { taxable = money.format(t.taxable, cur), tax = money.format(t.tax, cur),
                  invoices = t.invoices, credit_memos = t.credit_memos }
  end
  return data, tout
end

local CSV_COLUMNS = { "region", "jurisdiction", "level", "type", "currency", "taxable", "tax", "invoices", "credit_memos" }

local function csv_field(v)
  if v == nil or v == json.null then return "" end
  local s = tostring(v)
  if s:find('[,"\r\n]') or s:match("^%s") or s:match("%s$") then s = '"' .. s:gsub('"', '""') .. '"' end
  return s
end

local function to_csv(data)
  local lines = { table.concat(CSV_COLUMNS, ",") }
  for _, r in ipairs(data) do
    local f = {}
    for i, c in ipairs(CSV_COLUMNS) do f[i] = csv_field(r[c]) end
    lines[#lines + 1] = table.concat(f, ",")
  end
  return table.concat(lines, "\r\n") .. "\r\n"
end

local function get_liability(req)
  local from, to, region, csv = liability_query(req.query or {})
  local data, totals = liability(from, to, region)
  if csv then
    local name = "levy-liability-" .. from .. "-to-" .. to .. (region and ("-" .. region) or "") .. ".csv"
    return 200, to_csv(data), { ["Content-Type"] = "text/csv; charset=utf-8",
                                 ["Content-Disposition"] = 'attachment; filename="' .. name .. '"' }
  end
  return 200, { from = from, to = to, region = null(region), data = json.array(data), totals = totals }
end

---------------------------------------------------------------- exposure

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

-- USD documents shipped to a US state, by state: {date, sign, minor}. The state is the
-- ship-to of the document's latest calculation request (what levy taxed or would tax);
-- the amount is the pre-tax net_amount Rillet holds (total_amount of the calculation when
-- absent). Documents never calculated yet (pending) are not counted.
local function us_documents(since, to)
  local by_state = {}
  if not tables_ready() then return by_state end
  for _, t in ipairs({ { 1, "invoices" }, { -1, "credit_memos" } }) do
    for row in store.query([[SELECT d.doc_date AS date, d.currency AS currency,
        json_extract(c.request, '$.ship_to.country') AS country, json_extract(c.request, '$.ship_to.state') AS state,
        COALESCE(json_extract(d.raw, '$.net_amount.amount'), json_extract(c.result, '$.total_amount')) AS amount
      FROM ]] .. t[2] .. [[ d JOIN calculations c ON c.id = d.calculation_id
      WHERE d.deleted = 0 AND d.doc_date >= ? AND d.doc_date <= ?]], since, to) do
      if row.currency == "USD" and type(row.country) == "string" and row.country:upper() == "US"
         and type(row.state) == "string" and type(row.amount) == "string" then
        local minor = money.parse(row.amount, "USD")
        if minor then
          local st = row.state:upper()
          local l = by_state[st]
          if not l then l = {}; by_state[st] = l end
          l[#l + 1] = { date = row.date, sign = t[1], minor = minor }
        end
      end
    end
  end
  return by_state
end

local RANK = { below = 0, approaching = 1, exceeded = 2 }

-- Status of one window: exceeded / approaching (>= 80 %) / below, by "or" / "and" / sales only.
local function evaluate(th, sales, txns)
  local thr = money.parse(th.sales_threshold, "USD")
  local tthr = th.transactions_threshold
  local s_met, s_near = sales >= thr, sales * 10 >= thr * 8
  local status
  if tthr then
    local t_met, t_near = txns >= tthr, txns * 10 >= tthr * 8
    if th.combine == "and" then
      status = (s_met and t_met) and "exceeded" or ((s_near and t_near) and "approaching" or "below")
    else
      status = (s_met or t_met) and "exceeded" or ((s_near or t_near) and "approaching" or "below")
    end
  else
    status = s_met and "exceeded" or (s_near and "approaching" or "below")
  end
  return status
end

-- Share of the sales threshold in percent with one decimal, truncated ("84.0").
local function percent(sales, th)
  local thr = money.parse(th.sales_threshold, "USD")
  local pm = (sales * 1000) // thr
  return string.format("%d.%d", pm // 10, pm % 10)
end

local function exposure(as_of, persist)
  local ths = thresholds(as_of)
  local registered = {}
  if store.row("SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = 'regions'") then
    for r in store.query("SELECT code FROM regions WHERE subscribed = 1") do registered[r.code] = true end
  end
  local since = as_of
  local states = {}
  for st, th in pairs(ths) do
    states[#states + 1] = st
    for _, w in ipairs(dates.windows(th.period, as_of)) do
      if w[1] < since then since = w[1] end
    end
  end
  table.sort(states)
  local docs = us_documents(since, as_of)
  local logged = {}
  for r in store.query("SELECT state, logged_at FROM reports_nexus_crossings") do logged[r.state] = r.logged_at end
  local now = time.iso(time.now_ms())
  local data = {}
  for _, st in ipairs(states) do
    local th = ths[st]
    local best
    for _, w in ipairs(dates.windows(th.period, as_of)) do
      local sales, txns = 0, 0
      for _, d in ipairs(docs[st] or {}) do
        if d.date >= w[1] and d.date <= w[2] then
          sales = sales + d.sign * d.minor
          if d.sign > 0 then txns = txns + 1 end
        end
      end
      local status = evaluate(th, sales, txns)
      -- alternatives (previous or current year): the worse status wins; ties -> the later
      if not best or RANK[status] >= RANK[best.status] then
        best = { from = w[1], to = w[2], sales = sales, txns = txns, status = status }
      end
    end
    local region = "US-" .. st
    local status = registered[region] and "registered" or best.status
    if persist and best.status == "exceeded" and not logged[st] then
      local n = store.exec([[INSERT OR IGNORE INTO reports_nexus_crossings(state, logged_at, as_of, period_start,
        period_end, sales, transactions, sales_threshold, transactions_threshold, combine)
        VALUES (?,?,?,?,?,?,?,?,?,?)]], st, now, as_of, best.from, best.to, money.format(best.sales, "USD"),
        best.txns, th.sales_threshold, th.transactions_threshold, th.combine)
      if n == 1 then
        logged[st] = now
        log.warn("economic nexus threshold crossed", { state = st, region = region,
          sales = money.format(best.sales, "USD"), transactions = best.txns,
          sales_threshold = th.sales_threshold, transactions_threshold = th.transactions_threshold,
          combine = th.combine, period = th.period, period_start = best.from, period_end = best.to,
          registered = registered[region] and "yes" or "no" })
      end
    end
    data[#data + 1] = {
      region = region, state = st, currency = "USD",
      sales = money.format(best.sales, "USD"), transactions = best.txns,
      sales_threshold = th.sales_threshold, transactions_threshold = null(th.transactions_threshold),
      combine = null(th.combine), period = th.period, period_start = best.from, period_end = best.to,
      percent = percent(best.sales, th), threshold_status = best.status, status = status,
      effective_from = null(th.effective_from), source = th.source,
      crossed_logged_at = null(logged[st]),
    }
  end
  return data
end

local function get_exposure(req)
  local q = req.query or {}
  local today = time.date(time.now_ms())
  local as_of = q.as_of
  if as_of == "" then as_of = nil end
  if as_of ~= nil and not time.valid_date(as_of) then
    bad({ { field = "as_of", message = "must be a date YYYY-MM-DD" } })
  end
  -- crossings are logged only for the live view (today), not for a what-if date
  local data = exposure(as_of or today, as_of == nil or as_of == today)
  return 200, { as_of = as_of or today, data = json.array(data) }
end

return {
  name = "reports",
  version = "0.1.0",
  roles = { "serve" },
  routes = {
    { method = "GET", path = "/v1/reports/liability", auth = "token", handler = get_liability },
    { method = "GET", path = "/v1/reports/exposure", auth = "token", handler = get_exposure },
  },
  schedule = {
    -- logs a crossing even when nobody opens the Reports page
    { name = "reports.exposure", every_ms = 3600000, run = function()
        exposure(time.date(time.now_ms()), true)
      end },
  },
  exports = {
    liability = liability,
    exposure = function(as_of) return exposure(as_of, false) end,
  },
}
