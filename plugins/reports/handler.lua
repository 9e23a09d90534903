-- reports: compliance views over what the rillet plugin imported, taxed and wrote (issues 8, 16).
--
--   GET /v1/reports/liability?from=YYYY-MM-DD&to=YYYY-MM-DD[&region=US-CA][&format=csv[&section=not_collected]]
--   GET /v1/reports/exposure[?as_of=YYYY-MM-DD][&format=csv]   (exposure.lua)
--   GET /v1/reports/exposure/{region}/documents[?as_of=...][&format=csv]
--   GET|POST /v1/reports/presence, DELETE /v1/reports/presence/{id}
--   GET /v1/reports/marketplace, PUT /v1/reports/marketplace/{customers|invoices|credit-memos}/{id}
--
-- Reads the rillet plugin's documents, calculations and write-backs through its exports
-- (report_accepted_writes, report_calculated_documents, report_calculation_result,
-- report_shipped_documents: plugins/rillet/report_rows.lua) and the api plugin's regions
-- through its exports (region_subscription, subscribed_codes), never their tables. The
-- liability report is
-- what Rillet holds: tax "collected" is the latest write-back per document that Rillet
-- accepted (accepted_writes, the one place that decides it); tax calculated but not in
-- Rillet is a separate list with a reason per document. Its own table
-- (reports_nexus_crossings) remembers which states' crossings were already logged.
-- Globals used per document, as locals: a global read in a plugin goes through the sandbox's
-- __index function (core/lua/runtime/sandbox.lua), a Lua call each, which a report over a year
-- of documents paid hundreds of thousands of times (issue 20 follow-up, bench/reports.py).
local type, ipairs, pairs, tostring, error, table = type, ipairs, pairs, tostring, error, table
local json = require "levy.json"
local http = require "levy.http"
local store = require "levy.store"
local audit = require "levy.audit"
local plugin = require "levy.plugin"
local money = require "levy.money"
local time = require "levy.time"
local exposure = require "exposure"
local abroad = require "abroad"
local filing = require "filing"

local LEVEL_ORDER = { country = 1, state = 2, province = 3, county = 4, city = 5, district = 6 }

local function bad(details)
  http.error(422, "validation_failed", "invalid query", details)
end

local null = require("levy.util").orjnull

-- ?format= of a report (liability, OSS, exposure): json, the default, or csv; another value
-- gives the detail of the 422, nil otherwise.
local function format_detail(format)
  if format ~= nil and format ~= "" and format ~= "json" and format ~= "csv" then
    return { field = "format", message = "must be json or csv" }
  end
end

-- The rillet plugin owns the documents, calculations and write-backs: their rows come
-- through its exports (plugins/rillet/report_rows.lua). nil when it is not loaded.
local function rillet() return plugin("rillet") end

---------------------------------------------------------------- liability

-- q: the query; req (optional): the request, whose Accept: text/csv asks for CSV when q has no
-- format (levy.util.wants_csv, as the lists)
local function liability_query(q, req)
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
  d[#d + 1] = format_detail(format)
  local section = q.section
  if section ~= nil and section ~= "" and section ~= "collected" and section ~= "not_collected" then
    d[#d + 1] = { field = "section", message = "must be collected or not_collected" }
  end
  if #d > 0 then bad(d) end
  local csv = require("levy.util").wants_csv({ query = { format = format }, headers = req and req.headers })
  return from, to, region, csv, section == "not_collected"
end

local DOC_TABLES = { { "invoice" }, { "credit_memo" } }

local function parse_amount(s, cur, what)
  local v = type(s) == "string" and money.parse(s, cur)
  if not v then error("stored " .. what .. " is not an amount in " .. tostring(cur) .. ": " .. tostring(s)) end
  return v
end

-- Tax of a calculation result in minor units: the sum of its jurisdiction amounts (what a
-- write-back sends as tax_rates).
local function result_tax(result, cur)
  local sum = 0
  for _, line in ipairs(result.lines or {}) do
    for _, t in ipairs(line.taxes or {}) do sum = sum + parse_amount(t.amount, cur, "tax amount") end
  end
  return sum
end

-- Drift (issue 16): a document the reconciliation flagged `drift` holds in Rillet the tax the
-- latest reconciliation read (its row's rillet_tax), not the tax levy last wrote.
local held_result

-- The written calculation with its jurisdiction amounts restated to what Rillet holds (held,
-- minor units): Rillet keeps one tax total per line, not levy's jurisdictions, so the held total
-- is shared over the written jurisdiction amounts in proportion (largest remainder, exact sum;
-- 0.00 held -> every jurisdiction 0). Taxable amounts are unchanged: the sale is the same. A
-- written calculation with no tax to share carries the held amount on one row without a
-- jurisdiction.
held_result = function(result, cur, held)
  local items, total = {}, 0
  for _, line in ipairs(result.lines or {}) do
    for _, t in ipairs(line.taxes or {}) do
      local a = parse_amount(t.amount, cur, "tax amount")
      items[#items + 1] = { t = t, a = a }
      total = total + a
    end
  end
  local copy = {}
  for k, v in pairs(result) do copy[k] = v end
  local lines = {}
  local negative = false
  for _, it in ipairs(items) do if it.a < 0 then negative = true end end
  if total <= 0 or negative then
    for i, line in ipairs(result.lines or {}) do
      local nl = {}
      for k, v in pairs(line) do nl[k] = v end
      nl.taxes = {}
      for ti, t in ipairs(line.taxes or {}) do
        local nt = {}
        for k, v in pairs(t) do nt[k] = v end
        nt.amount = money.format(0, cur)
        nl.taxes[ti] = nt
      end
      lines[i] = nl
    end
    if held ~= 0 then
      lines[#lines + 1] = { taxes = { { amount = money.format(held, cur), taxable_amount = money.format(0, cur) } } }
    end
    copy.lines = lines
    return copy
  end
  local sign, mag = 1, held
  if held < 0 then sign, mag = -1, -held end
  local shares, given = {}, 0
  for i, it in ipairs(items) do
    local q = (mag * it.a) // total
    shares[i] = { q = q, rem = (mag * it.a) - q * total, i = i }
    given = given + q
  end
  local order = {}
  for i = 1, #shares do order[i] = shares[i] end
  table.sort(order, function(x, y) if x.rem ~= y.rem then return x.rem > y.rem end return x.i < y.i end)
  for k = 1, mag - given do order[(k - 1) % #order + 1].q = order[(k - 1) % #order + 1].q + 1 end
  local n = 0
  for li, line in ipairs(result.lines or {}) do
    local nl = {}
    for k, v in pairs(line) do nl[k] = v end
    nl.taxes = {}
    for ti, t in ipairs(line.taxes or {}) do
      n = n + 1
      local nt = {}
      for k, v in pairs(t) do nt[k] = v end
      nt.amount = money.format(sign * shares[n].q, cur)
      nl.taxes[ti] = nt
    end
    lines[li] = nl
  end
  copy.lines = lines
  return copy
end

-- What Rillet holds, per document: the LATEST write-back of the document that Rillet
-- accepted, and the calculation it sent (its lines[].taxes are the tax_rates levy wrote).
-- This is the only place that decides "collected". With verified write-backs (issue 16,
-- case 2) outcome 'written' is recorded only once Rillet's answer (or a re-read) shows it
-- holds the tax sent; 'unverified', 'retry' and 'failed' rows never count. Should the
-- verification get its own column, this is the query to narrow.
-- Documents dated in [from, to], not deleted in Rillet; the region is the written
-- calculation's (changing or unsubscribing a region afterwards does not move or drop it).
-- Returns {["invoice:<id>"] = {type, id, currency, region, result, calculation_id, written_at}}
-- and the keys in a stable order.
-- lazy: results are decoded only for documents in drift; the others keep the stored text
-- (`text`, decoded by write_result when needed): the liability report sums them in SQL.
-- One accepted write (a row of report_accepted_writes' shape: id, number, doc_date, region,
-- currency, result, calculation_id, attempted_at, tax_status, rillet_tax) -> the entry
-- accepted_writes keeps per document, or nil when its stored result is not a JSON object.
local function write_entry(doc_type, row, lazy)
  local result = (not lazy or row.tax_status == "drift") and json.decode(row.result) or nil
  if lazy and result == nil then
    return { type = doc_type, id = row.id, number = row.number, date = row.doc_date,
             region = row.region, currency = row.currency, text = row.result, in_sql = true,
             calculation_id = row.calculation_id, written_at = row.attempted_at }
  elseif type(result) == "table" then
    local cur = row.currency or result.currency
    local w = { type = doc_type, id = row.id, number = row.number, date = row.doc_date,
                region = row.region or result.region, currency = cur, result = result,
                calculation_id = row.calculation_id, written_at = row.attempted_at }
    if row.tax_status == "drift" and type(row.rillet_tax) == "string" then
      -- Rillet's tax changed after levy's verified write and levy may not write it back
      -- (a paid invoice): Rillet holds what the latest reconciliation read, not levy's write
      local held = parse_amount(row.rillet_tax, cur, "reconciliation rillet_tax")
      w.drift = { held = held, written = result_tax(result, cur) }
      w.result = held_result(result, cur, held)
    end
    return w
  end
end

local function accepted_writes(from, to, region, lazy, drift_only)
  local out, keys = {}, {}
  local r = rillet()
  if not r then return out, keys end
  for _, t in ipairs(DOC_TABLES) do
    for _, row in ipairs(r.report_accepted_writes(t[1], from, to, region, drift_only)) do
      local w = write_entry(t[1], row, lazy)
      if w then
        local key = t[1] .. ":" .. row.id
        out[key] = w
        keys[#keys + 1] = key
      end
    end
  end
  return out, keys
end

-- An accepted write's result (decoded now when accepted_writes was lazy).
local function write_result(w)
  if w.result == nil then
    local result = json.decode(w.text)
    if type(result) ~= "table" then error("stored calculation " .. tostring(w.calculation_id) .. " is not JSON") end
    w.result = result
    w.currency = w.currency or result.currency
    w.region = w.region or result.region
  end
  return w.result
end

-- Is the region collecting on this date (subscribed, tax calculation on, effective_from
-- on or before the date)? nil when levy has no regions table. cid: the document's connection,
-- whose own value of the region (connection_regions, issue 17) replaces the global one.
local function region_collecting(code, date, cid, memo)
  if type(code) ~= "string" then return false end
  -- memo: one report's subscriptions by region and connection (one query each, not one per
  -- document) and the api plugin (looked up once: plugin() is a sandbox call each time)
  local api = memo and memo.api or plugin("api") -- it owns regions and connection_regions
  if not api then return nil end
  local mk = code .. "\0" .. tostring(cid)
  local r = memo and memo[mk]
  if r == nil then
    r = api.region_subscription(code, cid) or false
    if memo then memo[mk] = r end
  end
  if not r or r.subscribed ~= 1 or r.tax_calculation ~= 1 then return false end
  return r.effective_from == nil or r.effective_from == "" or type(date) ~= "string" or r.effective_from <= date
end

local KNOWN_STATES = { pending = true, calculated = true, written = true, not_collecting = true,
                       failed = true, deleted = true }

-- Why a document's calculated tax is not (all) in Rillet: {reason, detail}. Derived from the
-- document's state; a reason levy's document state names itself (a `tax_reason` / `reason`
-- column, or a tax_status this report does not know, such as outside_window,
-- manual_tax_kept or closed_period) passes through unchanged.
local function not_collected_reason(doc_type, row, has_write, memo)
  local own = row.tax_reason or row.reason
  if type(own) == "string" and own ~= "" and own ~= "written" then
    return own, row.reason_detail or row.last_error
  end
  if type(row.tax_status) == "string" and not KNOWN_STATES[row.tax_status] then
    return row.tax_status, row.last_error
  end
  if row.tax_status == "failed" then
    return "failed", row.last_error or row.calc_error
  end
  if doc_type == "invoice" and row.status == "PAID" then
    return "paid_before_calculation", has_write
      and "paid in Rillet before levy's latest calculation was written; Rillet keeps the tax written earlier"
      or "paid in Rillet before levy calculated its tax; levy does not write tax to paid invoices"
  end
  if region_collecting(row.calc_region, row.doc_date, row.connection_id, memo) == false then
    return "not_collecting", "region " .. tostring(row.calc_region) .. " is not collecting on " .. tostring(row.doc_date)
  end
  return "write_pending", row.last_error or "queued for write-back to Rillet"
end

-- One document for not_collected: listed when its current calculation's tax differs from
-- what Rillet holds per levy's accepted writes (w, or none). calcs: the stored calculations
-- of the candidates, read in one query (report_calculations); memo: region_collecting's.
-- A tax summed in SQL (v, with the fewest and most decimals seen: lo, hi) in minor units of
-- exponent e, or nil when it is not canonical (read the result instead).
local function sql_sum(e, v, lo, hi)
  if lo == nil and hi == nil then return e and 0 or nil end -- no tax rows: no tax
  if not e or math.type(v) ~= "integer" then return nil end
  if (lo == e or lo == 99) and (hi == e or hi == -99) then return v end
end

local function not_collected_row(out, doc_type, row, w, calcs, memo)
  -- the tax of the current and of the written calculation, summed in SQL from their integer
  -- columns (report_not_collected_candidates: calc_tax / w_tax with the decimals seen) when
  -- every amount is canonical for the currency; else read from the stored results
  local cur0 = row.currency
  local e = type(cur0) == "string" and (memo.exp[cur0] or money.exponent(cur0))
  if e then memo.exp[cur0] = e end
  local result, calculated, collected
  if row.has_result == 1 then
    calculated = sql_sum(e, row.calc_tax or 0, row.calc_lo, row.calc_hi)
    -- a result whose every line is not collecting carries no tax (api's not_collecting): only
    -- a zero-tax result is read to ask it
    if calculated == nil or calculated == 0 then
      local c = calcs[row.calculation_id]
      local text = c and c.result
      result = text and json.decode(text)
      if type(result) ~= "table" then error("stored calculation " .. tostring(row.calculation_id) .. " is not JSON") end
    end
  end
  local cur = cur0 or (result and result.currency) or (w and w.currency)
  if w and not w.drift then collected = sql_sum(e, row.w_tax or 0, row.w_lo, row.w_hi) end
  collected = collected or (w and result_tax(write_result(w), cur) or 0)
  if calculated == nil and result then calculated = result_tax(result, cur) end
  local listed
  if w and w.drift then
    listed = true -- Rillet's tax changed after levy's write: always shown for review
  elseif row.has_result ~= 1 then
    listed = true -- the calculation failed: nothing levy could write
  elseif result and memo.api.not_collecting(result) then
    listed = false -- the region stopped collecting: what was written stays collected
  else
    listed = calculated ~= collected
  end
  if not listed then return end
  local reason, detail
  if w and w.drift then
    reason = "drift"
    detail = "Rillet holds " .. money.format(w.drift.held, cur) .. " tax since the document changed in Rillet; " ..
      "levy last wrote " .. money.format(w.drift.written, cur) .. " and does not write it again" ..
      (type(row.last_error) == "string" and row.last_error ~= "" and (" (" .. row.last_error .. ")") or "")
  else
    reason, detail = not_collected_reason(doc_type, row, w ~= nil, memo)
  end
  out[#out + 1] = {
    type = doc_type, id = row.id, number = null(row.number), date = null(row.doc_date),
    region = null(row.calc_region), currency = cur, status = null(row.status),
    tax_status = row.tax_status,
    calculated_tax = calculated and money.format(calculated, cur) or json.null,
    collected_tax = money.format(collected, cur),
    not_collected_tax = calculated and money.format(calculated - collected, cur) or json.null,
    reason = reason, detail = null(detail),
    _minor = calculated and (calculated - collected) or 0,
  }
end

local function is_zero(s)
  return type(s) == "string" and money.is_decimal(s) and money.cmp(s, "0") == 0
end

-- The not-collected totals per currency ({tax, invoices, credit_memos, by_reason}) and the
-- number of documents, from nc_summed's groups and rows, or from the whole list (not_collected).
local function nc_totals_of(groups, rows)
  local totals, count = {}, 0
  local function add(cur, t, reason, minor, docs)
    local tt = totals[cur]
    if not tt then tt = { tax = 0, invoices = 0, credit_memos = 0, reasons = {} }; totals[cur] = tt end
    local sign = t == "invoice" and 1 or -1
    tt.tax = tt.tax + sign * minor
    if t == "invoice" then tt.invoices = tt.invoices + docs else tt.credit_memos = tt.credit_memos + docs end
    local rr = tt.reasons[reason]
    if not rr then rr = { tax = 0, documents = 0 }; tt.reasons[reason] = rr end
    rr.tax = rr.tax + sign * minor
    rr.documents = rr.documents + docs
    count = count + docs
  end
  for _, g in ipairs(groups) do add(g.currency, g.type, g.reason, g.minor, g.docs) end
  for _, r in ipairs(rows) do
    local minor = r.not_collected_tax ~= json.null and money.parse(r.not_collected_tax, r.currency) or 0
    add(r.currency, r.type, r.reason, minor, 1)
  end
  local tout = {}
  for cur, tt in pairs(totals) do
    local reasons = {}
    for k, v in pairs(tt.reasons) do reasons[k] = { tax = money.format(v.tax, cur), documents = v.documents } end
    tout[cur] = { tax = money.format(tt.tax, cur), invoices = tt.invoices, credit_memos = tt.credit_memos,
                  by_reason = reasons }
  end
  return tout, count
end


---------------------------------------------------------------- calculated, not collected: paged

-- GET /v1/reports/not-collected?from=&to=[&region=][&limit=][&cursor=][&format=csv] (issue 20):
-- the liability report's "calculated, not collected" list a page at a time, in its order
-- (date, type, id), so a year with thousands of documents waiting for their write-back is read
-- in pages (the whole list in one answer is over a request's budget at 10,000 invoices). The
-- candidates are chosen in SQL after the cursor (report_not_collected_candidates' keyset, a
-- window per type); only the page's are decided and reasoned in Lua. CSV: the page shown.
local NC_PAGE_MAX = 500
local NC_PAGE_DEFAULT = 100

local function key_less(a, b)
  if a[1] ~= b[1] then return tostring(a[1]) < tostring(b[1]) end
  if a[2] ~= b[2] then return a[2] < b[2] end
  return tostring(a[3]) < tostring(b[3])
end

-- candidates ({type, row} in the report's order) -> the listed rows, each with its key
local function nc_rows(rl, list)
  local cand, ids = {}, {}
  for _, c in ipairs(list) do
    local t, row = c[1], c[2]
    local w
    if row.w_calculation_id ~= nil then
      w = write_entry(t, { id = row.id, number = row.number, doc_date = row.doc_date, region = row.w_region,
        currency = row.currency, result = row.w_result, calculation_id = row.w_calculation_id,
        attempted_at = row.w_attempted_at, tax_status = row.tax_status, rillet_tax = row.rillet_tax }, true)
    end
    cand[#cand + 1] = { t, row, w }
    if row.has_result == 1 and (row.calc_tax == nil or row.calc_tax == 0 or row.calc_lo ~= row.calc_hi) then
      ids[#ids + 1] = row.calculation_id
    end
  end
  local calcs = #ids > 0 and rl.report_calculations(ids) or {}
  local memo = { api = plugin("api"), exp = {} }
  local out, keys = {}, {}
  for _, c in ipairs(cand) do
    local n = #out
    not_collected_row(out, c[1], c[2], c[3], calcs, memo)
    if #out > n then keys[#out] = { c[2].doc_date, c[1], c[2].id } end
  end
  for _, r in ipairs(out) do r._minor = nil end
  return out, keys
end

-- Documents dated in [from, to] whose current calculation has tax Rillet does not hold per
-- levy's accepted writes: calculated tax <> collected tax, each decided (nc_rows), and their
-- totals (nc_totals_of). A current calculation that no longer taxes the document because its
-- region stopped collecting (unsubscribed, or effective_from moved) is not listed: what was
-- written stays collected. A failed calculation is listed with no calculated amount. Only the
-- candidates chosen in SQL are read (report_not_collected_candidates), their calculations in
-- one query. The whole list: the liability report's CSV download and the fallback when
-- nc_summed cannot sum (its JSON sums them: nc_summed).
local function not_collected(from, to, region)
  local rl = rillet()
  if not rl then return {}, {} end
  -- the candidates come per type in (date, id) order (report_not_collected_candidates'
  -- ORDER BY): merged into (date, type, id) order, not sorted again
  local cm = rl.report_not_collected_candidates("credit_memo", from, to, region)
  local inv = rl.report_not_collected_candidates("invoice", from, to, region)
  local merged, i, j = {}, 1, 1
  while i <= #cm or j <= #inv do
    local a, b = cm[i], inv[j]
    -- a credit memo first on the same date ("credit_memo" < "invoice")
    if b == nil or (a ~= nil and tostring(a.doc_date) <= tostring(b.doc_date)) then
      merged[#merged + 1] = { "credit_memo", a }; i = i + 1
    else
      merged[#merged + 1] = { "invoice", b }; j = j + 1
    end
  end
  local out = nc_rows(rl, merged)
  return out, (nc_totals_of({}, out))
end

-- One page after `after` ({date, type, id} or nil): rows, and the key to continue after (nil
-- when the list ends here)
local function not_collected_page(from, to, region, after, limit)
  local rl = rillet()
  local out = {}
  if not rl then return out, nil end
  local chunk = limit + 1
  local pos = after
  while true do
    local per, full = {}, {}
    for _, t in ipairs({ "credit_memo", "invoice" }) do
      per[t] = rl.report_not_collected_candidates(t, from, to, region, { after = pos, limit = chunk })
      full[t] = #per[t] == chunk
    end
    -- a type that filled its window: the other's candidates past its last one wait for the
    -- next window (the order is not known beyond it)
    local horizon
    for _, t in ipairs({ "credit_memo", "invoice" }) do
      if full[t] then
        local l = per[t][#per[t]]
        local k = { l.doc_date, t, l.id }
        if not horizon or key_less(k, horizon) then horizon = k end
      end
    end
    local merged, i, j, cm, inv = {}, 1, 1, per.credit_memo, per.invoice
    while i <= #cm or j <= #inv do
      local a, b = cm[i], inv[j]
      local m
      if b == nil or (a ~= nil and tostring(a.doc_date) <= tostring(b.doc_date)) then
        m = { "credit_memo", a }; i = i + 1
      else
        m = { "invoice", b }; j = j + 1
      end
      if horizon and key_less(horizon, { m[2].doc_date, m[1], m[2].id }) then break end
      merged[#merged + 1] = m
    end
    local rows, keys = nc_rows(rl, merged)
    for n, r in ipairs(rows) do
      out[#out + 1] = r
      if #out == limit then
        -- full: continue after this row, unless every candidate was read and none after it
        -- is listed
        local more = horizon ~= nil or n < #rows
        return out, more and keys[n] or nil
      end
    end
    if not horizon then return out, nil end
    pos = horizon
  end
end

-- a keyset {date, type, id} as an opaque cursor, and back (nil: not one this report gave)
local function cursor_of(k)
  return (json.encode(json.array(k)):gsub(".", function(c) return string.format("%02x", c:byte()) end))
end
local function keyset_of(c)
  if type(c) ~= "string" or #c > 2000 or #c % 2 ~= 0 or c:find("[^0-9a-f]") then return nil end
  local ok, k = pcall(json.decode, (c:gsub("%x%x", function(x) return string.char(tonumber(x, 16)) end)))
  if not ok or type(k) ~= "table" or #k ~= 3 then return nil end
  for i = 1, 3 do if type(k[i]) ~= "string" then return nil end end
  return k
end

-- The "calculated, not collected" documents of [from, to] summed (issue 20: a year of
-- thousands waiting for their write-back within a request's budget), the same sums as deciding
-- every document (not_collected): the candidates whose listing and amount follow from integer
-- columns (report_not_collected_candidates' NC_SIMPLE) summed in SQL per month, region,
-- currency and the inputs of their reason (not_collected_reason, asked once per group: whether
-- the region collects on the group's first and last date; a group the region starts collecting
-- inside is summed again per day), the others (drift, a failed or zero-tax calculation, mixed
-- decimals) decided one by one in Lua (nc_rows). Returns the groups ({type, date (the group's
-- first: its period), region, currency, reason, minor = calculated - collected, docs}) and the
-- rows decided in Lua, or nil when a group's decimals are not its currency's (every document
-- decided then: not_collected).
local function nc_group_reason(t, g, date, memo)
  return (not_collected_reason(t, { reason = g.own_reason, tax_status = g.tax_status,
    status = g.paid == 1 and "PAID" or nil, calc_region = g.region, doc_date = date,
    connection_id = g.connection_id }, false, memo))
end

local function nc_summed(rl, from, to, region)
  if not (rl and rl.report_not_collected_candidates) then return nil end
  local memo = { api = plugin("api"), exp = {} }
  local groups, n_complex = {}, 0
  local function canonical(r)
    local e = type(r.currency) == "string" and r.currency:match("^%u%u%u$") and money.exponent(r.currency)
    return e and r.calc_lo == e and r.calc_hi == e and (r.w_lo == nil or r.w_lo == e) and
      (r.w_hi == nil or r.w_hi == e) and math.type(r.minor) == "integer"
  end
  local function add(t, r, reason)
    groups[#groups + 1] = { type = t, date = r.d_min, region = r.region, currency = r.currency, reason = reason,
                            minor = r.minor, docs = r.docs }
  end
  for _, t in ipairs({ "credit_memo", "invoice" }) do
    for _, r in ipairs(rl.report_not_collected_candidates(t, from, to, region, { sums = true }) or {}) do
      n_complex = n_complex + (r.complex or 0)
      if (r.docs or 0) > 0 then
        if not canonical(r) then return nil end
        local reason = nc_group_reason(t, r, r.d_min, memo)
        if reason == nc_group_reason(t, r, r.d_max, memo) then
          add(t, r, reason)
        else
          -- the region's collecting starts (effective_from) inside the group's days: per day
          for _, s in ipairs(rl.report_not_collected_candidates(t, r.d_min, r.d_max, r.region,
              { sums = true, by_day = true })) do
            if (s.docs or 0) > 0 and s.region == r.region and s.currency == r.currency and
                s.connection_id == r.connection_id and s.own_reason == r.own_reason and
                s.tax_status == r.tax_status and s.paid == r.paid then
              if not canonical(s) then return nil end
              add(t, s, nc_group_reason(t, s, s.d_min, memo))
            end
          end
        end
      end
    end
  end
  local complex = {}
  for _, t in ipairs(n_complex > 0 and { "credit_memo", "invoice" } or {}) do
    for _, row in ipairs(rl.report_not_collected_candidates(t, from, to, region, { complex = true })) do
      complex[#complex + 1] = { t, row }
    end
  end
  return groups, (nc_rows(rl, complex))
end

-- Does a tax row count in the region filter? A province's region (CA-QC) counts only its own
-- tax (QST), region CA only the GST/HST (rillet's region_filter.lua; issues 19/20).
local function region_tax_in(rl, region, ty, code)
  return not (region and rl and rl.report_region_tax_in) or rl.report_region_tax_in(region, ty, code)
end

-- Collected tax (what Rillet holds per levy's accepted writes) per currency, region,
-- jurisdiction, level and type.
local function collected(from, to, region)
  local groups, order, totals = {}, {}, {}
  -- the currency's totals, made at its first document
  local function total_of(cur)
    local tot = totals[cur]
    if not tot then
      tot = { taxable = 0, tax = 0, invoices = 0, credit_memos = 0 }
      totals[cur] = tot
    end
    return tot
  end
  -- the row of (currency, region, jurisdiction, level, type), made at its first tax; its
  -- authority code (issue 19) is the one every document gave, or none (false) when they
  -- disagree or one had none. Returns the row and its key.
  local function group_of(cur, rg, jurisdiction, level, ty, code)
    local key = table.concat({ cur, tostring(rg), tostring(jurisdiction), tostring(level), tostring(ty) }, "\0")
    local g = groups[key]
    if not g then
      g = { currency = cur, region = rg, jurisdiction = jurisdiction, level = level, type = ty,
            authority_code = code, taxable = 0, tax = 0, invoices = 0, credit_memos = 0 }
      groups[key] = g
      order[#order + 1] = g
    elseif g.authority_code ~= code then
      g.authority_code = false
    end
    return g, key
  end
  -- the written documents not in drift summed in SQL (report_collected_sums, on the integer
  -- columns rillet's triggers keep): no stored result is read or decoded for them, only the
  -- documents in drift (restated below from what Rillet holds); when any stored amount is not
  -- canonical, every document is decoded and summed here instead
  local summed = false
  local rl = rillet()
  local writes, keys
  if rl and rl.report_collected_sums then
    local parts, nbad = {}, 0
    for _, t in ipairs(DOC_TABLES) do
      local g, tt, b = rl.report_collected_sums(t[1], from, to, region)
      parts[#parts + 1] = { t[1], g, tt }
      nbad = nbad + b
    end
    if nbad == 0 then
      summed = true
      for _, part in ipairs(parts) do
        local is_inv, sign = part[1] == "invoice", part[1] == "invoice" and 1 or -1
        for _, r in ipairs(part[3]) do
          local tot = total_of(r.currency)
          if is_inv then tot.invoices = tot.invoices + r.docs else tot.credit_memos = tot.credit_memos + r.docs end
          tot.taxable = tot.taxable + sign * r.taxable
        end
        for _, r in ipairs(part[2]) do
          local cur = r.currency
          local code = r.n_code == r.n and r.code_min == r.code_max and r.code_min or false
          if not region_tax_in(rl, region, r.type, r.code_min) then goto next_group end
          local g = group_of(cur, r.region, r.jurisdiction, r.level, r.type, code)
          g.taxable = g.taxable + sign * r.taxable
          g.tax = g.tax + sign * r.tax
          totals[cur].tax = totals[cur].tax + sign * r.tax
          if is_inv then g.invoices = g.invoices + r.docs else g.credit_memos = g.credit_memos + r.docs end
          ::next_group::
        end
      end
    end
  end
  writes, keys = accepted_writes(from, to, region, false, summed)
  for _, key in ipairs(keys) do
    local doc = writes[key]
    write_result(doc)
    local cur = doc.currency
    local sign = doc.type == "invoice" and 1 or -1
    local tot = total_of(cur)
    if doc.type == "invoice" then tot.invoices = tot.invoices + 1 else tot.credit_memos = tot.credit_memos + 1 end
    tot.taxable = tot.taxable + sign * parse_amount(doc.result.total_taxable or "0", cur, "total_taxable")
    local seen = {}
    for _, line in ipairs(doc.result.lines or {}) do
      for _, t in ipairs(line.taxes or {}) do
        -- issue 19: the jurisdiction's authority code (FIPS / ISO) as written; a row whose
        -- documents disagree on it (or never had one) shows none
        local code = type(t.authority_code) == "string" and t.authority_code or false
        if not region_tax_in(rl, region, t.type, t.authority_code) then goto next_tax end
        local g, key2 = group_of(cur, doc.region, t.jurisdiction, t.level, t.type, code)
        g.taxable = g.taxable + sign * parse_amount(t.taxable_amount, cur, "taxable_amount")
        g.tax = g.tax + sign * parse_amount(t.amount, cur, "tax amount")
        tot.tax = tot.tax + sign * parse_amount(t.amount, cur, "tax amount")
        if not seen[key2] then
          seen[key2] = true
          if doc.type == "invoice" then g.invoices = g.invoices + 1 else g.credit_memos = g.credit_memos + 1 end
        end
        ::next_tax::
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
      type = null(g.type), authority_code = null(g.authority_code or nil), currency = g.currency, taxable = money.format(g.taxable, g.currency),
      tax = money.format(g.tax, g.currency), invoices = g.invoices, credit_memos = g.credit_memos }
  end
  local tout = {}
  for cur, t in pairs(totals) do
    tout[cur] = { taxable = money.format(t.taxable, cur), tax = money.format(t.tax, cur),
                  invoices = t.invoices, credit_memos = t.credit_memos }
  end
  return data, tout
end

-- The report with its whole not-collected list (the reports plugin's export `liability`).
local function liability(from, to, region)
  local data, tout = collected(from, to, region)
  local nc, nc_totals = not_collected(from, to, region)
  return data, tout, nc, nc_totals
end

-- authority_code (issue 19) last: the published columns keep their places
local CSV_COLUMNS = { "region", "jurisdiction", "level", "type", "currency", "taxable", "tax", "invoices", "credit_memos",
                      "authority_code" }
local NC_CSV_COLUMNS = { "type", "id", "number", "date", "region", "currency", "status", "tax_status",
                         "calculated_tax", "collected_tax", "not_collected_tax", "reason", "detail" }
-- the paged list's CSV (GET /v1/reports/not-collected): the same columns and the filing period
local NC_PAGE_CSV_COLUMNS = { table.unpack(NC_CSV_COLUMNS) }
NC_PAGE_CSV_COLUMNS[#NC_PAGE_CSV_COLUMNS + 1] = "period"

local to_csv = require("levy.util").csv

-- JSON: the not-collected list's first page (not_collected_limit rows, default 100, at most
-- 500) and the cursor of the next (GET /v1/reports/not-collected?cursor=...), so an answer
-- over a year with thousands of documents waiting for their write-back stays a page; its
-- totals (not_collected_totals, not_collected_count) still count every document. The CSV
-- (section=not_collected) is the whole list, a download.
-- A page size from the query (levy.util.page_size: digits only, 1..max; tonumber let 1e2 or
-- 2.0 through as a float that reached SQL's LIMIT as a 500). Adds the error to `e`.
local function page_limit(e, raw, name, default, max)
  local n = require("levy.util").page_size(raw ~= "" and raw or nil, default, max)
  if not n then e:add(name, "must be a whole number from 1 to " .. max) end
  return n
end

local function get_liability(req)
  local q = req.query or {}
  local from, to, region, csv, nc_section = liability_query(q, req)
  local le = require("levy.util").errors()
  local limit = page_limit(le, q.not_collected_limit, "not_collected_limit", NC_PAGE_DEFAULT, NC_PAGE_MAX)
  le:raise("invalid query")
  local rl = rillet()
  if csv and nc_section then
    -- the whole list in one answer decides every document: past NC_PAGE_MAX (what one page of
    -- GET /v1/reports/not-collected decides) it would run over the request's budget at
    -- thousands waiting for their write-back (a 500). Counted in SQL (nc_summed), refused with
    -- the way that reads any size.
    local groups, rows = nc_summed(rl, from, to, region)
    local count = groups and select(2, nc_totals_of(groups, rows))
    if count and count > NC_PAGE_MAX then
      le:add("section", "the not-collected list has " .. count .. " documents, more than one answer holds (" ..
        NC_PAGE_MAX .. "): read it as CSV a page at a time with GET /v1/reports/not-collected?format=csv&limit=" ..
        NC_PAGE_MAX .. " (each page's X-Levy-Next-Cursor header is the next page's cursor)")
      le:raise("invalid query")
    end
  end
  local data, totals = collected(from, to, region)
  if csv then
    local name = "levy-liability-" .. (nc_section and "not-collected-" or "") .. from .. "-to-" .. to ..
      (region and ("-" .. region) or "") .. ".csv"
    return 200, nc_section and to_csv((not_collected(from, to, region)), NC_CSV_COLUMNS) or to_csv(data, CSV_COLUMNS),
      { ["Content-Type"] = "text/csv; charset=utf-8",
        ["Content-Disposition"] = 'attachment; filename="' .. name .. '"' }
  end
  -- the not-collected totals summed (nc_summed) and the list's first page decided (the list is
  -- in the paged list's order, date, type, id: the next page starts after the last row shown);
  -- else the whole list decided and cut
  local groups, rows = nc_summed(rl, from, to, region)
  local page, next_cursor, nc_totals, count
  if groups then
    nc_totals, count = nc_totals_of(groups, rows)
    local last
    page, last = not_collected_page(from, to, region, nil, limit)
    next_cursor = count > limit and last and cursor_of(last) or json.null
  else
    local nc
    nc, nc_totals = not_collected(from, to, region)
    page, next_cursor, count = nc, json.null, #nc
    if #nc > limit then
      page = table.move(nc, 1, limit, 1, {})
      local last = nc[limit]
      next_cursor = cursor_of({ tostring(last.date), last.type, last.id })
    end
  end
  return 200, { from = from, to = to, region = null(region), data = json.array(data), totals = totals,
                not_collected = json.array(page), not_collected_next_cursor = next_cursor,
                not_collected_count = count, not_collected_limit = limit, not_collected_totals = nc_totals }
end

---------------------------------------------------------------- filing-ready liability (issue 20)

-- Filing frequency per region (reports_filing_frequency); a region without a row files
-- filing.DEFAULT_FREQUENCY.
local function frequencies()
  local out = {}
  for r in store.query("SELECT region, frequency FROM reports_filing_frequency") do out[r.region] = r.frequency end
  return out
end

local PERIOD_PATTERNS = { "^%d%d%d%d$", "^%d%d%d%d%-Q[1-4]$", "^%d%d%d%d%-%d%d$" }

-- from, to, region (liability_query's checks) + frequency (override for every region),
-- period (a period key, detail only) and jurisdiction (detail only).
local function filing_query(req)
  local q = req.query or {}
  local from, to, region = liability_query({ from = q.from, to = q.to, region = q.region, format = q.format })
  local e = require("levy.util").errors()
  local freq = q.frequency
  if freq == "" then freq = nil end
  if freq ~= nil and not filing.FREQUENCIES[freq] then e:add("frequency", "must be month, quarter or year") end
  local period = q.period
  if period == "" then period = nil end
  if period ~= nil then
    local ok = false
    for _, p in ipairs(PERIOD_PATTERNS) do if period:match(p) then ok = true end end
    if not ok then e:add("period", "must be a filing period such as 2026, 2026-Q1 or 2026-03") end
  end
  local jurisdiction = q.jurisdiction
  if jurisdiction == "" then jurisdiction = nil end
  e:raise("invalid query")
  return { from = from, to = to, region = region, frequency = freq, period = period,
           jurisdiction = jurisdiction, csv = require("levy.util").wants_csv(req) }
end

-- The documents the filing report counts, dated in [from, to], each with its basis:
-- "collected" (Rillet holds levy's latest accepted write: accepted_writes, drift restated to
-- what Rillet holds) or "no_tax_due" (the current calculation has no tax and nothing was
-- written: an exempt or non-taxable sale, which a return still reports). Documents with tax
-- levy calculated but Rillet does not hold are the not_collected list, never in these sums.
-- Also returns the writes (for not_collected).
local function prep_doc(d, p, freqs, periods)
  d.frequency = p.frequency or freqs[d.region] or filing.DEFAULT_FREQUENCY
  local date = d.date or d.result.date
  local pk = tostring(date) .. d.frequency
  local pp = periods[pk]
  if not pp then pp = { filing.period(date, d.frequency) }; periods[pk] = pp end
  d.period, d.period_start, d.period_end = pp[1], pp[2], pp[3]
  d.sign = d.type == "invoice" and 1 or -1
  d.f = filing.figures(d.result, d.currency)
  -- a region filter's own taxes only (region_tax_in: CA-QC's QST, CA's GST/HST)
  local rl = p.region and rillet()
  if rl and rl.report_region_figures then d.f = rl.report_region_figures(p.region, d.f) end
  return d
end

-- A row of report_filing_documents -> a filing document (its result decoded; a document in
-- drift restated to what Rillet holds, as accepted_writes does).
local function filing_doc(row, p, freqs, periods)
  local d
  if row.basis == "collected" then
    local w = write_entry(row.type, { id = row.id, number = row.number, doc_date = row.doc_date, region = row.region,
      currency = row.currency, result = row.result, calculation_id = row.calculation_id,
      attempted_at = row.written_at, tax_status = row.tax_status, rillet_tax = row.rillet_tax }, false)
    if not w then error("stored calculation " .. tostring(row.calculation_id) .. " is not JSON") end
    d = { type = w.type, id = w.id, number = w.number, date = w.date, region = w.region, currency = w.currency,
          basis = "collected", result = w.result, calculation_id = w.calculation_id, written_at = w.written_at,
          drift = w.drift }
  else
    local result = json.decode(row.result)
    if type(result) ~= "table" then error("stored calculation " .. tostring(row.calculation_id) .. " is not JSON") end
    d = { type = row.type, id = row.id, number = row.number, date = row.doc_date,
          region = row.region or result.region, currency = row.currency or result.currency,
          basis = "no_tax_due", result = result, calculation_id = row.calculation_id }
  end
  return prep_doc(d, p, freqs, periods)
end

-- Every document of the filing report, decoded in Lua: the summary's fallback when a stored
-- amount is not canonical (report_filing_sums' bad > 0) or the rillet plugin predates
-- report_filing_sums.
local function filing_docs(p)
  local writes, keys = accepted_writes(p.from, p.to, p.region)
  local freqs = frequencies()
  local docs = {}
  for _, key in ipairs(keys) do
    local w = writes[key]
    docs[#docs + 1] = { type = w.type, id = w.id, number = w.number, date = w.date, region = w.region,
      currency = w.currency, basis = "collected", result = w.result, calculation_id = w.calculation_id,
      written_at = w.written_at, drift = w.drift }
  end
  local rl = rillet()
  local zero, ids = {}, {}
  for _, t in ipairs(rl and DOC_TABLES or {}) do
    for _, row in ipairs(rl.report_calculated_documents(t[1], p.from, p.to, p.region)) do
      if not writes[t[1] .. ":" .. row.id] and row.has_result == 1 and is_zero(row.total_tax) then
        zero[#zero + 1] = { t[1], row }
        ids[#ids + 1] = row.calculation_id
      end
    end
  end
  -- the zero-tax documents' results in one query (not one per document)
  local calcs = #ids > 0 and rl.report_calculations(ids) or {}
  for _, z in ipairs(zero) do
    local row = z[2]
    local c = calcs[row.calculation_id]
    local result = c and c.result and json.decode(c.result)
    if type(result) ~= "table" then error("stored calculation " .. tostring(row.calculation_id) .. " is not JSON") end
    docs[#docs + 1] = { type = z[1], id = row.id, number = row.number, date = row.doc_date,
      region = row.calc_region or result.region, currency = row.currency or result.currency,
      basis = "no_tax_due", result = result, calculation_id = row.calculation_id }
  end
  local periods = {} -- filing.period per date and frequency, once (many documents share a day)
  for _, d in ipairs(docs) do prep_doc(d, p, freqs, periods) end
  return docs
end

local SUM_FIELDS = { "gross_sales", "exempt_sales", "non_taxable_sales", "taxable_sales", "tax_collected",
                     "credit_memo_sales", "credit_memo_taxable", "credit_memo_tax", "net_taxable_sales",
                     "tax_due", "not_collected_tax" }
local J_FIELDS = { "taxable_sales", "tax_collected", "credit_memo_taxable", "credit_memo_tax", "tax_due" }

local function new_sums(fields)
  local s = { exempt_by_reason = {} }
  for _, k in ipairs(fields) do s[k] = 0 end
  return s
end

-- The reasons whose sales are not taxable (filing.CLASS): a jurisdiction's taxable sales
-- leave their lines out (report_filing_sums sums the others).
local UNTAXED_REASONS = {}
for r, class in pairs(filing.CLASS) do if class ~= "taxable" then UNTAXED_REASONS[#UNTAXED_REASONS + 1] = r end end
table.sort(UNTAXED_REASONS)

-- The parts of a row's sums (minor units; sign 1 invoice, -1 credit memo), shared by the
-- per-document reading (add_doc) and the SQL sums (filing_summary).
local function add_count(g, sign, n)
  if sign > 0 then g.invoices = g.invoices + n else g.credit_memos = g.credit_memos + n end
end

-- a line's sale (amount less discount) and taxable amount, by its taxability reason
local function add_line(g, sign, reason, sale, taxable)
  local class = filing.CLASS[reason] or "taxable"
  local t = class == "taxable" and taxable or 0
  if sign > 0 then
    g.gross_sales = g.gross_sales + sale
    if class == "taxable" then
      g.taxable_sales = g.taxable_sales + t
      g.non_taxable_sales = g.non_taxable_sales + (sale - t)
    elseif class == "exempt" then
      g.exempt_sales = g.exempt_sales + sale
      g.exempt_by_reason[reason] = (g.exempt_by_reason[reason] or 0) + sale
    else
      g.non_taxable_sales = g.non_taxable_sales + sale
    end
  else
    g.credit_memo_sales = g.credit_memo_sales - sale
    g.credit_memo_taxable = g.credit_memo_taxable - t
  end
  g.net_taxable_sales = g.net_taxable_sales + sign * t
end

local function add_tax(g, sign, tax)
  if sign > 0 then g.tax_collected = g.tax_collected + tax else g.credit_memo_tax = g.credit_memo_tax - tax end
  g.tax_due = g.tax_due + sign * tax
end

local function jrow(g, jurisdiction, level, ty, code)
  local key = table.concat({ tostring(jurisdiction), tostring(level), tostring(ty), tostring(code) }, "\0")
  local jr = g.jmap[key]
  if not jr then
    jr = new_sums(J_FIELDS)
    jr.jurisdiction, jr.level, jr.type, jr.authority_code = jurisdiction, level, ty, code
    jr.rates, jr.docs, jr.ndocs = {}, {}, 0
    g.jmap[key] = jr
    g.jlist[#g.jlist + 1] = jr
  end
  return jr
end

local function add_juris(jr, sign, taxable, tax)
  if sign > 0 then
    jr.taxable_sales = jr.taxable_sales + taxable
    jr.tax_collected = jr.tax_collected + tax
  else
    jr.credit_memo_taxable = jr.credit_memo_taxable - taxable
    jr.credit_memo_tax = jr.credit_memo_tax - tax
  end
  jr.tax_due = jr.tax_due + sign * tax
end

-- Adds one document's figures to a region row (g) and its jurisdiction rows.
local function add_doc(g, d)
  local f, sign = d.f, d.sign
  add_count(g, sign, 1)
  for _, line in ipairs(d.result.lines or {}) do
    local cur = d.currency
    local sale = filing.amount(line.amount or "0", cur, "line amount")
    if line.discount ~= nil then sale = sale - filing.amount(line.discount, cur, "line discount") end
    local class = filing.CLASS[line.taxability_reason] or "taxable"
    local taxable = class == "taxable" and filing.amount(line.taxable_amount or "0", cur, "line taxable_amount") or 0
    add_line(g, sign, line.taxability_reason, sale, taxable)
  end
  add_tax(g, sign, f.tax)
  for _, j in ipairs(f.juris) do
    local jr = jrow(g, j.jurisdiction, j.level, j.type, j.authority_code)
    add_juris(jr, sign, j.taxable, j.tax)
    if j.rate then jr.rates[j.rate] = true end
    jr.docs[d.type .. ":" .. d.id] = true
  end
end

local function fmt_sums(out, s, fields, cur)
  for _, k in ipairs(fields) do out[k] = money.format(s[k], cur) end
end

local function exempt_by(s, cur)
  local o = {}
  for r, v in pairs(s.exempt_by_reason) do o[r] = money.format(v, cur) end
  return o
end

local function count_keys(t)
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n
end

local function sorted_keys(t)
  local o = {}
  for k in pairs(t) do o[#o + 1] = k end
  table.sort(o)
  return o
end

-- The summary: one row per filing period, region and currency (sales split, tax collected,
-- credit-memo adjustments, tax due = collected + adjustments, calculated-not-collected
-- beside it) with its jurisdictions; totals per currency; the not-collected list with periods.
local function filing_summary(p)
  local freqs = frequencies()
  local groups, order, totals = {}, {}, {}
  local function group(period, pstart, pend, freq, region, cur)
    local key = table.concat({ period, tostring(region), cur }, "\0")
    local g = groups[key]
    if not g then
      g = new_sums(SUM_FIELDS)
      g.period, g.period_start, g.period_end, g.frequency = period, pstart, pend, freq
      g.region, g.currency, g.invoices, g.credit_memos, g.not_collected_documents = region, cur, 0, 0, 0
      g.jmap, g.jlist = {}, {}
      groups[key] = g
      order[#order + 1] = g
    end
    return g
  end
  local function total(cur)
    local t = totals[cur]
    if not t then
      t = new_sums(SUM_FIELDS)
      t.invoices, t.credit_memos, t.not_collected_documents, t.jmap, t.jlist = 0, 0, 0, {}, {}
      totals[cur] = t
    end
    return t
  end
  local periods = {}
  local rl = rillet()
  local sums = rl and rl.report_filing_sums and rl.report_filing_sums(p.from, p.to, p.region, UNTAXED_REASONS)
  if sums and sums.bad == 0 then
    -- summed in SQL per month (report_filing_sums: exact minor units, no Lua work per
    -- document); a month lies in one filing period whatever the region's frequency
    local function at(r)
      local freq = p.frequency or freqs[r.region] or filing.DEFAULT_FREQUENCY
      local pk = r.month .. freq
      local pp = periods[pk]
      if not pp then pp = { filing.period(r.month .. "-01", freq) }; periods[pk] = pp end
      return group(pp[1], pp[2], pp[3], freq, r.region, r.currency), total(r.currency),
        r.type == "invoice" and 1 or -1
    end
    for _, r in ipairs(sums.docs) do
      local g, t, sign = at(r)
      add_count(g, sign, r.docs)
      add_count(t, sign, r.docs)
    end
    for _, r in ipairs(sums.lines) do
      local g, t, sign = at(r)
      add_line(g, sign, r.reason, r.sale, r.taxable)
      add_line(t, sign, r.reason, r.sale, r.taxable)
    end
    for _, r in ipairs(sums.taxes) do
      local g, t, sign = at(r)
      local rates = json.decode(r.rates)
      add_tax(g, sign, r.tax)
      add_tax(t, sign, r.tax)
      local jr = jrow(g, r.jurisdiction, r.level, r.tax_type, r.authority_code)
      add_juris(jr, sign, r.taxable, r.tax)
      for _, rate in ipairs(type(rates) == "table" and rates or {}) do
        if rate ~= json.null and rate ~= nil then jr.rates[rate] = true end
      end
      jr.ndocs = jr.ndocs + r.docs
    end
    -- documents in drift: restated in Lua from what Rillet holds (few)
    for _, row in ipairs(rl.report_filing_documents(p.from, p.to, { region = p.region, restate = true })) do
      local d = filing_doc(row, p, freqs, periods)
      add_doc(group(d.period, d.period_start, d.period_end, d.frequency, d.region, d.currency), d)
      add_doc(total(d.currency), d)
    end
  else
    for _, d in ipairs(filing_docs(p)) do
      add_doc(group(d.period, d.period_start, d.period_end, d.frequency, d.region, d.currency), d)
      add_doc(total(d.currency), d)
    end
  end
  -- calculated, not collected: per row's period, region and currency. The documents whose
  -- amounts follow from integer columns are summed in SQL (report_not_collected_candidates
  -- sums), the others decided in Lua; the list itself is the first page (the rest:
  -- GET /v1/reports/not-collected, not_collected_next_cursor)
  local function nc_period(date, region)
    local freq = p.frequency or freqs[region] or filing.DEFAULT_FREQUENCY
    local pk = date .. freq
    local pp = periods[pk]
    if not pp then pp = { filing.period(date, freq) }; periods[pk] = pp end
    return pp, freq
  end
  local function nc_add(date, region, cur, sign, minor, docs)
    local pp, freq = nc_period(date, region)
    local g = group(pp[1], pp[2], pp[3], freq, region, cur)
    g.not_collected_tax = g.not_collected_tax + sign * minor
    g.not_collected_documents = g.not_collected_documents + docs
    local t = total(cur)
    t.not_collected_tax = t.not_collected_tax + sign * minor
    t.not_collected_documents = t.not_collected_documents + docs
  end
  local function nc_listed(r)
    if r.not_collected_tax ~= json.null then
      local minor = filing.amount(r.not_collected_tax, r.currency, "not_collected_tax")
      nc_add(r.date ~= json.null and r.date or p.from, r.region ~= json.null and r.region or nil, r.currency,
        r.type == "invoice" and 1 or -1, minor, 1)
    end
  end
  local nc, nc_next
  local nc_groups, complex = nc_summed(rl, p.from, p.to, p.region)
  if nc_groups then
    -- a group's days lie in one month: its first date gives the period
    for _, g in ipairs(nc_groups) do
      nc_add(g.date, g.region, g.currency, g.type == "invoice" and 1 or -1, g.minor, g.docs)
    end
    for _, r in ipairs(complex) do nc_listed(r) end
    local last
    -- (not for split_canada's rows of a Canadian return: only the rows are used)
    nc = {}
    if not p.rows_only then nc, last = not_collected_page(p.from, p.to, p.region, nil, NC_PAGE_DEFAULT) end
    nc_next = last and cursor_of(last) or nil
  else
    nc = not_collected(p.from, p.to, p.region)
    for _, r in ipairs(nc) do nc_listed(r) end
  end
  for _, r in ipairs(nc) do
    r.period = nc_period(r.date ~= json.null and r.date or p.from, r.region ~= json.null and r.region or nil)[1]
  end
  table.sort(order, function(a, b)
    if a.period_start ~= b.period_start then return a.period_start < b.period_start end
    if a.region ~= b.region then return tostring(a.region) < tostring(b.region) end
    return a.currency < b.currency
  end)
  local rows = {}
  for _, g in ipairs(order) do
    local cur = g.currency
    table.sort(g.jlist, function(a, b)
      local la, lb = LEVEL_ORDER[a.level] or 9, LEVEL_ORDER[b.level] or 9
      if la ~= lb then return la < lb end
      if a.jurisdiction ~= b.jurisdiction then return tostring(a.jurisdiction) < tostring(b.jurisdiction) end
      return tostring(a.type) < tostring(b.type)
    end)
    local js = {}
    for _, jr in ipairs(g.jlist) do
      local o = { jurisdiction = null(jr.jurisdiction), level = null(jr.level), type = null(jr.type),
                  authority_code = null(jr.authority_code), rates = json.array(sorted_keys(jr.rates)),
                  documents = jr.ndocs + count_keys(jr.docs) }
      fmt_sums(o, jr, J_FIELDS, cur)
      js[#js + 1] = o
    end
    local o = { period = g.period, period_start = g.period_start, period_end = g.period_end,
                frequency = g.frequency, region = null(g.region), currency = cur, invoices = g.invoices,
                credit_memos = g.credit_memos, not_collected_documents = g.not_collected_documents,
                exempt_by_reason = exempt_by(g, cur), jurisdictions = json.array(js) }
    fmt_sums(o, g, SUM_FIELDS, cur)
    rows[#rows + 1] = o
  end
  local tout = {}
  for cur, t in pairs(totals) do
    local o = { invoices = t.invoices, credit_memos = t.credit_memos,
                not_collected_documents = t.not_collected_documents, exempt_by_reason = exempt_by(t, cur) }
    fmt_sums(o, t, SUM_FIELDS, cur)
    tout[cur] = o
  end
  return rows, tout, nc, nc_next
end

local SUMMARY_CSV = { "row", "period", "period_start", "period_end", "frequency", "region", "jurisdiction", "level",
  "authority_code", "type", "currency", "invoices", "credit_memos", "gross_sales", "exempt_sales" }
for _, r in ipairs(filing.EXEMPT_REASONS) do SUMMARY_CSV[#SUMMARY_CSV + 1] = "exempt_sales_" .. r end
for _, c in ipairs({ "exempt_sales_other", "non_taxable_sales", "taxable_sales", "tax_collected", "credit_memo_sales",
  "credit_memo_taxable", "credit_memo_tax", "net_taxable_sales", "tax_due", "not_collected_tax", "rates" }) do
  SUMMARY_CSV[#SUMMARY_CSV + 1] = c
end

-- Summary rows flattened for CSV: a "region" row per period, region and currency, then its
-- "jurisdiction" rows (sales columns left empty: a return reports them per region).
local function summary_csv_rows(rows)
  local out = {}
  local known = {}
  for _, r in ipairs(filing.EXEMPT_REASONS) do known[r] = true end
  for _, g in ipairs(rows) do
    local o = { row = "region" }
    for k, v in pairs(g) do if type(v) ~= "table" then o[k] = v end end
    local other = 0
    for r, v in pairs(g.exempt_by_reason) do
      if known[r] then o["exempt_sales_" .. r] = v else other = other + filing.amount(v, g.currency, "exempt") end
    end
    for r in pairs(known) do if o["exempt_sales_" .. r] == nil then o["exempt_sales_" .. r] = money.format(0, g.currency) end end
    o.exempt_sales_other = money.format(other, g.currency)
    out[#out + 1] = o
    for _, j in ipairs(g.jurisdictions) do
      local jo = { row = "jurisdiction", period = g.period, period_start = g.period_start, period_end = g.period_end,
                   frequency = g.frequency, region = g.region, currency = g.currency, documents = j.documents,
                   rates = table.concat(j.rates, " ") }
      for k, v in pairs(j) do if type(v) ~= "table" then jo[k] = v end end
      out[#out + 1] = jo
    end
  end
  return out
end

local csv_reply = require("levy.util").csv_reply

local function filing_name(p, what)
  return "levy-filing-" .. what .. p.from .. "-to-" .. p.to .. (p.region and ("-" .. p.region) or "") ..
    (p.period and ("-" .. p.period) or "") .. ".csv"
end

-- Canadian returns (issues 19/20): without a region filter, region CA's rows hold the federal
-- and the provincial returns together (a Quebec invoice is region CA, its QST a group inside its
-- answer), while a row's drill-down of region CA is the GST/HST and of CA-QC the QST (rillet
-- region_filter.lua). They are shown as those returns: the summary of CA and of each province
-- whose PST/QST they hold or that is subscribed, filtered (each row then adds up to its
-- drill-down; a Quebec invoice's sales are in CA's row and in CA-QC's). Totals stay the
-- unfiltered ones (each document once, every tax).
local function split_canada(p, rows)
  if p.region or not rows[1] then return rows end
  local codes, seen, has_ca = { "CA" }, { CA = true }, false
  local function add(code)
    if not seen[code] then seen[code] = true; codes[#codes + 1] = code end
  end
  for _, r in ipairs(rows) do
    if r.region == "CA" then
      has_ca = true
      for _, j in ipairs(r.jurisdictions or {}) do
        if (j.type == "QST" or j.type == "PST") and type(j.authority_code) == "string" and
            j.authority_code:match("^%u%u$") then
          add("CA-" .. j.authority_code)
        end
      end
    end
  end
  if not has_ca then return rows end
  local api = plugin("api")
  local subscribed = api and api.subscribed_codes and api.subscribed_codes() or {}
  local provinces = {}
  for code in pairs(subscribed) do
    if type(code) == "string" and code:match("^CA%-%u%u$") then provinces[#provinces + 1] = code end
  end
  table.sort(provinces)
  for _, code in ipairs(provinces) do add(code) end
  local out = {}
  for _, r in ipairs(rows) do
    if r.region ~= "CA" then out[#out + 1] = r end
  end
  for _, code in ipairs(codes) do
    local q = {}
    for k, v in pairs(p) do q[k] = v end
    q.region, q.rows_only = code, true
    for _, r in ipairs((filing_summary(q))) do out[#out + 1] = r end
  end
  table.sort(out, function(a, b)
    if a.period_start ~= b.period_start then return a.period_start < b.period_start end
    if a.region ~= b.region then return tostring(a.region) < tostring(b.region) end
    return a.currency < b.currency
  end)
  return out
end

local function get_filing(req)
  local p = filing_query(req)
  local rows, totals, nc, nc_next = filing_summary(p)
  rows = split_canada(p, rows)
  if p.csv then
    return csv_reply(to_csv(summary_csv_rows(rows), SUMMARY_CSV), filing_name(p, ""))
  end
  return 200, { from = p.from, to = p.to, region = null(p.region), frequency = null(p.frequency),
                default_frequency = filing.DEFAULT_FREQUENCY, data = json.array(rows), totals = totals,
                not_collected = json.array(nc), not_collected_next_cursor = nc_next or json.null }
end

-- GET /v1/reports/filing/sums, POST .../sums/check, POST .../sums/rebuild: the state of the
-- sums the rillet plugin keeps on write for the reports (ready: complete; the rebuild's
-- progress otherwise) and of the last check (state never / running / ok / mismatch, per kind
-- — filing, liability, not_collected — and the differences found: kind, month, key, the kept
-- value and the value summed from the documents' rows); a check or a rebuild is a job
local function filing_sums_call(op, status)
  return function(req)
    local rl = rillet()
    local f = rl and rl["report_filing_sums_" .. op]
    if not f then
      http.error(503, "unavailable", "the rillet plugin keeps no filing sums")
    end
    return status, f(req) -- req: who asked, for a check's / rebuild's audit row
  end
end

local function money_or_null(v, cur) return v and money.format(v, cur) or json.null end

-- One document of the drill-down (signed: a credit memo's amounts are negative, so the
-- documents of a row add up to it), with the audit record: the inputs levy taxed, the rate
-- vintage (rules.rates_source, rules.generation) and the result Rillet holds.
local function detail_doc(d, calc)
  local cur, s, f = d.currency, d.sign, d.f
  local reasons = sorted_keys(f.exempt_by)
  local req = calc and calc.request and json.decode(calc.request)
  local rules = type(d.result.rules) == "table" and d.result.rules or {}
  return {
    type = d.type, id = d.id, number = null(d.number), date = null(d.date), period = d.period,
    frequency = d.frequency, region = null(d.region), currency = cur, basis = d.basis,
    gross_sales = money.format(s * f.gross, cur), exempt_sales = money.format(s * f.exempt, cur),
    exempt_reasons = json.array(reasons), non_taxable_sales = money.format(s * f.non_taxable, cur),
    taxable_sales = money.format(s * f.taxable, cur), tax = money.format(s * f.tax, cur),
    rillet_holds_since_drift = d.drift and money_or_null(s * d.drift.held, cur) or json.null,
    calculation_id = null(d.calculation_id), written_at = null(d.written_at),
    rates_source = null(rules.rates_source), generation = null(rules.generation),
    calculated_at = null(calc and calc.created_at),
    inputs = type(req) == "table" and req or json.null, result = d.result,
  }
end

local DETAIL_CSV = { "type", "id", "number", "date", "period", "region", "currency", "basis", "customer_id",
  "ship_to_country", "ship_to_state", "ship_to_postal_code", "ship_to_city", "line_id", "product_id", "quantity",
  "line_amount", "line_discount", "taxability_reason", "line_taxable", "jurisdiction", "level", "authority_code",
  "tax_type", "rate", "jurisdiction_taxable", "tax", "calculation_id", "calculated_at", "rates_source", "generation",
  "written_at" }

-- The audit CSV: one row per document line and jurisdiction (a line without tax: one row
-- with the jurisdiction empty); amounts signed as in the JSON. The text: DETAIL_CSV's header,
-- then the rows, CRLF after each (what levy.util.csv makes of them). Each row is written from
-- its document's, line's and tax's fields, each field quoted once (issue 20, export22: a row
-- table copied from the document's and the line's for every tax and then quoted field by
-- field was most of the export's CPU per document after its reads).
local csv_field = require("levy.util").csv_field
local concat = table.concat
local function detail_csv(list)
  local out = { concat(DETAIL_CSV, ",") }
  for _, o in ipairs(list) do
    local cur, s = o.currency, o.type == "invoice" and 1 or -1
    local inp = type(o.inputs) == "table" and o.inputs or {}
    local to = type(inp.ship_to) == "table" and inp.ship_to or {}
    local cust = type(inp.customer) == "table" and inp.customer or {}
    local inlines = {}
    for _, l in ipairs(type(inp.lines) == "table" and inp.lines or {}) do
      if type(l) == "table" and l.id ~= nil then inlines[tostring(l.id)] = l end
    end
    -- type .. ship_to_city, and calculation_id .. written_at: the same on each of its rows
    local head = concat({ csv_field(o.type), csv_field(o.id), csv_field(o.number), csv_field(o.date),
      csv_field(o.period), csv_field(o.region), csv_field(cur), csv_field(o.basis), csv_field(cust.id),
      csv_field(to.country), csv_field(to.state), csv_field(to.postal_code or to.zip or to.zip_code),
      csv_field(to.city) }, ",") .. ","
    local tail = "," .. concat({ csv_field(o.calculation_id), csv_field(o.calculated_at), csv_field(o.rates_source),
      csv_field(o.generation), csv_field(o.written_at) }, ",")
    local function signed(v)
      if type(v) ~= "string" then return "" end
      return csv_field(money.format(s * filing.amount(v, cur, "amount"), cur))
    end
    for _, line in ipairs(o.result.lines or {}) do
      local il = inlines[tostring(line.id)] or {}
      -- line_id .. line_taxable
      local mid = head .. concat({ csv_field(line.id), csv_field(il.product_id), csv_field(il.quantity),
        signed(line.amount), signed(line.discount), csv_field(line.taxability_reason),
        signed(line.taxable_amount) }, ",") .. ","
      local taxes = line.taxes or {}
      if #taxes == 0 then
        -- jurisdiction .. jurisdiction_taxable empty, the tax zero
        out[#out + 1] = mid .. ",,,,,," .. csv_field(money.format(0, cur)) .. tail
      end
      for _, t in ipairs(taxes) do
        out[#out + 1] = mid .. concat({ csv_field(t.jurisdiction), csv_field(t.level), csv_field(t.authority_code),
          csv_field(t.type), csv_field(t.percentage), signed(t.taxable_amount), signed(t.amount) }, ",") .. tail
      end
    end
  end
  return concat(out, "\r\n") .. "\r\n"
end

-- The documents of the drill-down and the audit export, a page at a time in the report's
-- order (date, type, id) from report_filing_documents, so any number of documents is read
-- within the running-time budget (issue 20, reportperf II). p: filing_query's. after: the
-- keyset {date, type, id} of the last document of the previous page, or nil. Returns the
-- detail documents (detail_doc), the keyset of the last row read (nil: no more rows) and
-- whether more may follow.
local PAGE_MAX = 200
-- the documents a total counts before it says "at least" (filing_count)
local COUNT_MAX = 2000

-- A period key -> its frequency and first and last day ("2026-Q1" -> "quarter", ...).
local function period_range(key)
  local freq = key:match("^%d%d%d%d$") and "year" or key:match("Q") and "quarter" or "month"
  local first = freq == "year" and key .. "-01-01" or freq == "quarter"
    and string.format("%s-%02d-01", key:sub(1, 4), (tonumber(key:sub(7, 7)) - 1) * 3 + 1) or key .. "-01"
  local _, ps, pe = filing.period(first, freq)
  return freq, ps, pe
end

-- report_filing_documents' options for p (region, jurisdiction, period: the period's dates and
-- the regions that file by its frequency), and the date range; nil when no document can match.
local function page_query(p)
  local from, to = p.from, p.to
  local o = { region = p.region, jurisdiction = p.jurisdiction }
  if p.period then
    local freq, ps, pe = period_range(p.period)
    if ps > from then from = ps end
    if pe < to then to = pe end
    if from > to then return nil end
    if p.frequency then
      if p.frequency ~= freq then return nil end
    elseif p.region then
      -- one region: its own frequency decides (a province's, CA-QC, is not its documents'
      -- stored region's, CA: a regions list would compare it with CA; region_filter.lua)
      if (frequencies()[p.region] or filing.DEFAULT_FREQUENCY) ~= freq then return nil end
    else
      local list = {}
      for region, f in pairs(frequencies()) do
        if (f == freq) ~= (freq == filing.DEFAULT_FREQUENCY) then list[#list + 1] = region end
      end
      table.sort(list)
      o.regions = list
      o.regions_in = freq ~= filing.DEFAULT_FREQUENCY -- else: every region but those listed
    end
  end
  return o, from, to
end

local function filing_page(p, after, limit)
  local rl = rillet()
  local o, from, to = page_query(p)
  if not rl or not o then return {}, nil, false end
  o.after, o.limit, o.audit = after, limit, true
  local rows, next_key = rl.report_filing_documents(from, to, o)
  local freqs, periods, docs, ids = frequencies(), {}, {}, {}
  -- the audit records (inputs, created_at) come with the rows (audit); from a rillet plugin
  -- that does not give them, in one query of the page's ids
  local calcs, joined = {}, rows[1] ~= nil and rows[1].calculated_at ~= nil
  for _, row in ipairs(rows) do
    local d = filing_doc(row, p, freqs, periods)
    docs[#docs + 1] = d
    if d.calculation_id then
      ids[#ids + 1] = d.calculation_id
      if joined then calcs[d.calculation_id] = { request = row.request, created_at = row.calculated_at } end
    end
  end
  if not joined and #ids > 0 then calcs = rl.report_calculations(ids, true) end
  local list = {}
  for _, d in ipairs(docs) do list[#list + 1] = detail_doc(d, d.calculation_id and calcs[d.calculation_id]) end
  -- the keyset to go on from: after the last document listed, or past documents read and
  -- left out (a page stops at its budget share with fewer; report_rows.filing_documents)
  return list, next_key, next_key ~= nil
end

-- How many documents filing_page would list over all pages (issue 20: counting a quarter of
-- 85,000 documents was 590 ms at 100k, 6.5 s at 1M): at most COUNT_MAX documents of each type
-- are read; the second value is false when there are more (the number is then a lower bound,
-- and the answer says so: total_exact).
local function filing_count(p)
  local rl = rillet()
  local o, from, to = page_query(p)
  if not rl or not o then return 0, true end
  o.count, o.count_max = true, COUNT_MAX
  return rl.report_filing_documents(from, to, o)
end

-- A keyset as an opaque cursor (hex of its JSON) and back; nil for a malformed cursor.
local function get_filing_documents(req)
  local p = filing_query(req)
  local q = req.query or {}
  local e = require("levy.util").errors()
  local limit = page_limit(e, q.limit, "limit", PAGE_MAX, PAGE_MAX)
  local after
  if q.cursor ~= nil and q.cursor ~= "" then
    after = keyset_of(q.cursor)
    if not after then e:add("cursor", "is not a cursor this report gave (next_cursor)") end
  end
  local total, exact = filing_count(p)
  if p.csv and after == nil and total > PAGE_MAX then
    e:add("format", "CSV of " .. (exact and "" or "more than ") .. total .. " documents is more than one answer holds (" ..
      PAGE_MAX .. "): export them with POST /v1/reports/filing/exports")
  end
  e:raise("invalid query")
  local list, last, more = filing_page(p, after, p.csv and PAGE_MAX or limit)
  if p.csv and more then
    -- the page stopped before the last document (its budget share: report_rows.filing_documents)
    local e2 = require("levy.util").errors()
    e2:add("format", "CSV of these documents is more than one answer holds (" .. PAGE_MAX ..
      "): export them with POST /v1/reports/filing/exports")
    e2:raise("invalid query")
  end
  if p.csv then
    return csv_reply(detail_csv(list), filing_name(p, "documents-"))
  end
  return 200, { from = p.from, to = p.to, region = null(p.region), frequency = null(p.frequency),
                period = null(p.period), jurisdiction = null(p.jurisdiction), total = total, total_exact = exact,
                data = json.array(list), next_cursor = more and last and cursor_of(last) or json.null }
end

local function get_not_collected(req)
  local q = req.query or {}
  local from, to, region, csv = liability_query({ from = q.from, to = q.to, region = q.region, format = q.format }, req)
  local e = require("levy.util").errors()
  local limit = page_limit(e, q.limit, "limit", NC_PAGE_DEFAULT, NC_PAGE_MAX)
  local after
  if q.cursor ~= nil and q.cursor ~= "" then
    after = keyset_of(q.cursor)
    if not after or (after[2] ~= "invoice" and after[2] ~= "credit_memo") then
      e:add("cursor", "is not a cursor this report gave (next_cursor)")
    end
  end
  local freq = q.frequency
  if freq == "" then freq = nil end
  if freq ~= nil and not filing.FREQUENCIES[freq] then e:add("frequency", "must be month, quarter or year") end
  e:raise("invalid query")
  local rows, last = not_collected_page(from, to, region, after, limit)
  -- each row's filing period (the region's filing frequency, or `frequency` for every region)
  local freqs = frequencies()
  for _, r in ipairs(rows) do
    local f = freq or freqs[r.region] or filing.DEFAULT_FREQUENCY
    r.period = filing.period(r.date ~= json.null and r.date or from, f)
  end
  if csv then
    local name = "levy-not-collected-" .. from .. "-to-" .. to .. (region and ("-" .. region) or "") ..
      (after and "-from-" .. tostring(after[1]) or "") .. ".csv"
    -- the next page's cursor in a header (X-Levy-Next-Cursor; none on the last page): a
    -- client reads the whole list as CSV a page at a time (the Reports page's download)
    local st, text, hd = csv_reply(to_csv(rows, NC_PAGE_CSV_COLUMNS), name)
    if last then hd["X-Levy-Next-Cursor"] = cursor_of(last) end
    return st, text, hd
  end
  return 200, { from = from, to = to, region = null(region), limit = limit, data = json.array(rows),
                next_cursor = last and cursor_of(last) or json.null }
end

---------------------------------------------------------------- audit export as a job

-- POST /v1/reports/filing/exports: the documents export of any size (issue 20, reportperf
-- II). A job (reports.export) writes it EXPORT_BATCH documents a run, each run's text a part
-- (reports_export_parts); the parts in order are the file (CSV: the header in part 1;
-- ndjson: one document a line). GET .../exports/{id} reports progress, GET
-- .../exports/{id}/parts/{n} answers part n once the export is done.
local jobs = require "levy.jobs"
local EXPORT_BATCH = 200
local EXPORT_KEEP_DAYS = 7
local EXPORT_FORMATS = { csv = true, ndjson = true }

local function export_view(x)
  local parts = json.array({})
  if x.state == "done" then
    for n = 1, x.parts do parts[n] = "/v1/reports/filing/exports/" .. x.id .. "/parts/" .. n end
  end
  return { id = x.id, state = x.state, format = x.format, params = json.decode(x.params), total = x.total,
           total_exact = x.total_exact ~= 0, done = x.done_docs, parts = x.parts, bytes = x.bytes, created_at = x.created_at,
           finished_at = null(x.finished_at), error = null(x.error), part_urls = parts,
           filename = x.filename, created_by = null(x.created_by), created_by_person = null(x.created_by_person) }
end

local function export_row(id)
  local x = type(id) == "string" and store.row("SELECT * FROM reports_exports WHERE id = ?", id)
  if not x then http.error(404, "not_found", "no export " .. tostring(id)) end
  return x
end

local function post_export(req)
  local util = require "levy.util"
  local body = util.body_object(req)
  local e = util.errors()
  util.check_unknown(e, body, { from = true, to = true, region = true, period = true, jurisdiction = true,
                                frequency = true, format = true })
  local format = body.format
  if format == nil or format == json.null then format = "csv" end
  if not EXPORT_FORMATS[format] then e:add("format", "must be csv or ndjson") end
  for _, k in ipairs({ "from", "to", "region", "period", "jurisdiction", "frequency" }) do
    if body[k] ~= nil and body[k] ~= json.null and type(body[k]) ~= "string" then e:add(k, "must be a string") end
  end
  e:raise()
  local q = {}
  for _, k in ipairs({ "from", "to", "region", "period", "jurisdiction", "frequency" }) do
    if type(body[k]) == "string" then q[k] = body[k] end
  end
  local p = filing_query({ query = q })
  local params = { from = p.from, to = p.to, region = p.region, period = p.period,
                   jurisdiction = p.jurisdiction, frequency = p.frequency }
  local total, exact = filing_count(p)
  local now = time.now_ms()
  local id = require("levy.crypto").id("exp_")
  local filename = filing_name(p, "documents-"):gsub("%.csv$", format == "csv" and ".csv" or ".ndjson")
  store.transaction(function()
    -- exports older than EXPORT_KEEP_DAYS go (their parts with them)
    local old = time.iso(now - EXPORT_KEEP_DAYS * 86400000)
    store.exec("DELETE FROM reports_export_parts WHERE export_id IN (SELECT id FROM reports_exports WHERE created_at < ?)", old)
    store.exec("DELETE FROM reports_exports WHERE created_at < ?", old)
    -- who started it, on the row (issue 20; reports migration 0007): the audit log's actor and person
    local by_kind, by = req.actor_kind or "system", req.actor or "levy"
    store.exec([[INSERT INTO reports_exports(id, params, format, filename, state, total, total_exact, done_docs, parts,
      bytes, created_at, created_by, created_by_person) VALUES (?, ?, ?, ?, 'running', ?, ?, 0, 0, 0, ?, ?, ?)]], id,
      json.encode(params), format, filename, total, exact and 1 or 0, time.iso(now), by, audit.person(by_kind, by))
    jobs.enqueue { kind = "reports.export", key = id, payload = { id = id } }
    -- who started it (a read-only token may: read_only_ok), in the export's transaction
    audit.record(req, { action = "export.started", object_kind = "export", object_id = id, label = filename,
                        changes = { export = { before = json.null, after = { format = format, params = params } } } })
  end)
  return 202, export_view(export_row(id)), { Location = "/v1/reports/filing/exports/" .. id }
end

-- One run of the export job: the next EXPORT_BATCH documents as the next part, and more
-- parts while less than EXPORT_RUN_SHARE (per mille) of the run's budget is spent (issue 20,
-- export22: a part's documents cost about 40 ms, so a run a part spent as much on the job's
-- claim, its transactions and the chunk's ends as on the documents). Each part is written
-- with the export's cursor in its own transaction: a run stopped after any of them goes on
-- from there.
local EXPORT_RUN_SHARE = 300
local function run_export(job)
  local id = type(job.payload) == "table" and job.payload.id
  local x = type(id) == "string" and store.row("SELECT * FROM reports_exports WHERE id = ?", id)
  if not x or x.state ~= "running" then return end
  local params = json.decode(x.params)
  local p = filing_query({ query = params })
  while true do
    local after = x.cursor and json.decode(x.cursor) or nil
    local ok, list, last, more = pcall(filing_page, p, after, EXPORT_BATCH)
    if not ok then
      -- a stored record levy cannot read: the export fails with the reason (a budget or store
      -- error is retried by the job runner instead)
      if job.attempts < 3 then error(list) end
      store.exec("UPDATE reports_exports SET state = 'failed', error = ?, finished_at = ? WHERE id = ?",
        tostring(list), time.iso(time.now_ms()), id)
      return
    end
    local text
    if x.format == "csv" then
      text = detail_csv(list)
      if x.parts > 0 then text = text:gsub("^[^\n]*\n", "", 1) end -- the header once, in part 1
    else
      local lines = {}
      for i, d in ipairs(list) do lines[i] = json.encode(d) end
      text = #lines > 0 and (table.concat(lines, "\n") .. "\n") or ""
    end
    store.transaction(function()
      if #list > 0 or x.parts == 0 then
        store.exec("INSERT INTO reports_export_parts(export_id, seq, body) VALUES (?, ?, ?)", id, x.parts + 1, text)
      end
      local added = (#list > 0 or x.parts == 0) and 1 or 0
      -- done: the total is the documents written (exact even when the count at the start was a
      -- lower bound); running: at least those written so far
      store.exec([[UPDATE reports_exports SET cursor = ?, done_docs = done_docs + ?, parts = parts + ?,
        bytes = bytes + ?, state = ?, finished_at = ?,
        total = CASE WHEN ? = 1 THEN done_docs + ? WHEN total_exact = 0 AND total < done_docs + ? THEN done_docs + ?
                     ELSE total END, total_exact = CASE WHEN ? = 1 THEN 1 ELSE total_exact END WHERE id = ?]],
        last and json.encode(json.array(last)) or x.cursor, #list, added, added == 1 and #text or 0,
        more and "running" or "done", not more and time.iso(time.now_ms()) or nil,
        more and 0 or 1, #list, #list, #list, more and 0 or 1, id)
    end)
    if not more then return end
    if time.budget_used() >= EXPORT_RUN_SHARE then
      return jobs.retry(0, "export " .. id .. ": " .. (x.done_docs + #list) .. " documents")
    end
    x = store.row("SELECT * FROM reports_exports WHERE id = ?", id)
    if not x or x.state ~= "running" then return end
  end
end

local function get_export(req)
  return 200, export_view(export_row(req.params.id))
end

local function list_exports()
  local data = {}
  for x in store.query("SELECT * FROM reports_exports ORDER BY created_at DESC, id DESC LIMIT 20") do
    data[#data + 1] = export_view(x)
  end
  return 200, { data = json.array(data) }
end

local function get_export_part(req)
  local x = export_row(req.params.id)
  local n = tonumber(req.params.n)
  if not n or n % 1 ~= 0 or n < 1 then http.error(404, "not_found", "no part " .. tostring(req.params.n)) end
  if x.state ~= "done" then
    http.error(409, "not_ready", "export " .. x.id .. " is " .. x.state .. " (" .. x.done_docs .. " of " ..
      x.total .. " documents): download it when it is done")
  end
  local part = store.row("SELECT body FROM reports_export_parts WHERE export_id = ? AND seq = ?", x.id, n)
  if not part then http.error(404, "not_found", "export " .. x.id .. " has " .. x.parts .. " parts") end
  return 200, part.body, {
    ["Content-Type"] = x.format == "csv" and "text/csv; charset=utf-8" or "application/x-ndjson",
    ["Content-Disposition"] = 'attachment; filename="' .. (x.parts == 1 and x.filename or
      x.filename:gsub("(%.%w+)$", "-part" .. n .. "%1")) .. '"',
    ["X-Levy-Export-Parts"] = tostring(x.parts) }
end

local function list_frequencies()
  local data = {}
  local f = frequencies()
  for _, region in ipairs(sorted_keys(f)) do data[#data + 1] = { region = region, frequency = f[region] } end
  return 200, { default = filing.DEFAULT_FREQUENCY, data = json.array(data) }
end

local function put_frequency(req)
  local util = require "levy.util"
  local region = req.params.region
  if type(region) ~= "string" or not (region:match("^%u%u$") or region:match("^%u%u%-%u%u%u?$")) then
    util.invalid("region", "must be a region code such as US-CA, DE or EU", "invalid region")
  end
  local body = util.body_object(req)
  local e = util.errors()
  util.check_unknown(e, body, { frequency = true })
  if body.frequency == nil or body.frequency == json.null then
    e:add("frequency", "is required: month, quarter or year")
  elseif not filing.FREQUENCIES[body.frequency] then
    e:add("frequency", "must be month, quarter or year")
  end
  e:raise()
  store.transaction(function()
    local old = store.row("SELECT frequency FROM reports_filing_frequency WHERE region = ?", region)
    store.exec([[INSERT INTO reports_filing_frequency(region, frequency, updated_at) VALUES (?,?,?)
      ON CONFLICT(region) DO UPDATE SET frequency = excluded.frequency, updated_at = excluded.updated_at]],
      region, body.frequency, time.iso(time.now_ms()))
    if not old or old.frequency ~= body.frequency then
      audit.record(req, { action = "filing_frequency.updated", object_kind = "region", object_id = region,
                          label = region, changes = { frequency = { before = old and old.frequency or json.null,
                                                                    after = body.frequency } } })
    end
  end)
  return 200, { region = region, frequency = body.frequency }
end


---------------------------------------------------------------- EU One-Stop-Shop (issue 20)
-- plugins/reports/oss.lua: the ECB rate files and the conversion to EUR.
local oss = require "oss"

local FX_MAX_BODY = 16777216 -- eurofxref-hist.csv is about 2 MB
local OSS_CSV = { "member_state", "member_state_name", "rate", "rate_type", "currency", "taxable_amount", "vat",
  "fx_rate", "fx_date", "taxable_amount_eur", "vat_eur", "line_taxable_amount_eur", "line_vat_eur", "documents" }

-- A file up to FX_INLINE bytes is checked in the request (201); a larger one (the whole
-- history, about 2 MB) by the job reports.fx_check, whose running time is 10x a request's
-- (202, state checking): checking 7,000 lines takes about half a request's 80 ms.
local FX_INLINE = 262144

local function fx_files()
  local texts = {}
  for r in store.query("SELECT body FROM reports_fx_files WHERE state = 'ready' ORDER BY id DESC") do
    texts[#texts + 1] = r.body
  end
  return texts
end

local function fx_view(r)
  return { id = r.id, imported_at = r.imported_at, state = r.state, error = null(r.error),
           first_date = null(r.first_date), last_date = null(r.last_date), days = null(r.days),
           currencies = r.currencies and json.decode(r.currencies) or json.null, bytes = r.bytes, sha256 = r.sha256 }
end

local FX_COLS = "id, imported_at, state, error, first_date, last_date, days, currencies, bytes, sha256"

local function fx_row(id)
  local r = store.row("SELECT " .. FX_COLS .. " FROM reports_fx_files WHERE id = ?", id)
  if not r then http.error(404, "not_found", "no exchange-rate file " .. tostring(id)) end
  return r
end

-- check_file's answer stored on the file's row: ready with its days, or refused with the reason.
local function fx_checked(id, info, msg)
  if info then
    store.exec([[UPDATE reports_fx_files SET state = 'ready', error = NULL, first_date = ?, last_date = ?, days = ?,
      currencies = ? WHERE id = ?]], info.first, info.last, info.days, json.encode(json.array(info.currencies)), id)
    require("levy.log").info("ECB reference rates imported", { file = id, days = info.days, first = info.first,
      last = info.last })
  else
    store.exec("UPDATE reports_fx_files SET state = 'refused', error = ? WHERE id = ?", msg, id)
    require("levy.log").warn("ECB reference-rate file refused", { file = id, reason = msg })
  end
end

-- POST /v1/reports/fx-rates: the ECB's eurofxref-hist.csv as the body (text/csv). Every line
-- is checked; a file with any malformed line is refused whole, naming the line (422 at once for
-- a small file; state refused with error for a large one). The same file again: its row.
local function post_fx(req)
  local util = require "levy.util"
  local body = (req.body or ""):gsub("^\239\187\191", "")
  local header = body:match("^([^\r\n]*)")
  if body == "" or not header:match("^Date,") then
    util.invalid("file", "the first line must be the ECB header Date,USD,JPY,... (eurofxref-hist.csv)",
      "not an ECB reference-rate file")
  end
  local info, msg
  if #body <= FX_INLINE then
    info, msg = oss.check_file(body)
    if not info then util.invalid("file", msg, "not an ECB reference-rate file") end
  end
  local crypto = require "levy.crypto"
  local sha = crypto.hex(crypto.sha256(body))
  local same = store.row("SELECT id FROM reports_fx_files WHERE sha256 = ? AND state <> 'refused'", sha)
  if same then return 200, fx_view(fx_row(same.id)) end
  local id
  store.transaction(function()
    store.exec([[INSERT INTO reports_fx_files(imported_at, state, bytes, sha256, body) VALUES (?, 'checking', ?, ?, ?)]],
      time.iso(time.now_ms()), #body, sha, body)
    id = store.row("SELECT max(id) AS id FROM reports_fx_files WHERE sha256 = ?", sha).id
    if info then fx_checked(id, info)
    else jobs.enqueue { kind = "reports.fx_check", key = "fx" .. id, payload = { id = id } } end
    audit.record(req, { action = "fx_rates.imported", object_kind = "fx_rates", object_id = tostring(id),
                        label = "ECB reference rates file " .. id, changes = { file = { before = json.null,
                          after = { bytes = #body, sha256 = sha, state = info and "ready" or "checking",
                                    first_date = info and info.first or json.null, last_date = info and info.last or json.null } } } })
  end)
  return info and 201 or 202, fx_view(fx_row(id)), { Location = "/v1/reports/fx-rates/" .. id }
end

local function run_fx_check(job)
  local id = type(job.payload) == "table" and job.payload.id
  local r = id and store.row("SELECT id, state, body FROM reports_fx_files WHERE id = ?", id)
  if not r or r.state ~= "checking" then return end
  fx_checked(r.id, oss.check_file(r.body))
end

local function list_fx()
  local data = {}
  for r in store.query("SELECT " .. FX_COLS .. " FROM reports_fx_files ORDER BY id DESC") do
    data[#data + 1] = fx_view(r)
  end
  return 200, { data = json.array(data) }
end

-- The member state of consumption of a tax entry of region EU: its ISO code (authority_code),
-- else its name.
local TAXED = { standard_rated = "standard", reduced_rated = "reduced", partially_taxable = "standard" }

-- The OSS return's line of a member state and rate ({lines, order} in acc), made on first use.
-- A line met again under another name or rate type marks acc.conflict (the decoding path keeps
-- the first, in the documents' order, which SQL sums do not know).
local function oss_line(acc, ms, name, rate, kind)
  local key = ms .. "\0" .. rate
  local l = acc.lines[key]
  if not l then
    l = { member_state = ms, name = name, rate = rate, rate_type = kind, by = {}, docs = {},
          invoices = 0, credit_memos = 0 }
    acc.lines[key] = l
    acc.order[#acc.order + 1] = l
  elseif l.name ~= name or l.rate_type ~= kind then
    acc.conflict = true
  end
  return l
end

-- The decoding path: each accepted write's result (writes, keys: accepted_writes') read in Lua,
-- its taxed entries added to acc's lines per currency in minor units.
local function oss_decoded(acc, writes, keys)
  for _, wk in ipairs(keys) do
    local d = writes[wk]
    d.sign = d.type == "invoice" and 1 or -1
    local cur = d.currency
    if d.region == "EU" and type(cur) == "string" then
      for _, line in ipairs(d.result.lines or {}) do
        local kind = TAXED[line.taxability_reason]
        for _, t in ipairs(kind and line.taxes or {}) do
          local ms = type(t.authority_code) == "string" and t.authority_code or tostring(t.jurisdiction)
          local l = oss_line(acc, ms, t.jurisdiction, oss.rate_key(t.percentage), kind)
          local c = l.by[cur]
          if not c then c = { taxable = 0, vat = 0 }; l.by[cur] = c end
          c.taxable = c.taxable + d.sign * filing.amount(t.taxable_amount or "0", cur, "taxable_amount")
          c.vat = c.vat + d.sign * filing.amount(t.amount, cur, "tax amount")
          local dk = d.type .. ":" .. d.id
          if not l.docs[dk] then
            l.docs[dk] = true
            if d.type == "invoice" then l.invoices = l.invoices + 1 else l.credit_memos = l.credit_memos + 1 end
          end
          if not acc.docs[dk] then acc.docs[dk] = true; acc.ndocs = acc.ndocs + 1 end
          acc.currencies[cur] = true
        end
      end
    end
  end
end

local function oss_acc()
  return { lines = {}, order = {}, currencies = {}, docs = {}, ndocs = 0 }
end

-- The OSS return's lines of [ps, pe] in minor units per currency: what Rillet holds (accepted
-- writes, drift restated) of the documents of region EU; a document with no tax Rillet holds has
-- no line. The writes not in drift are summed in SQL from the figure rows (report_oss_sums: no
-- stored result decoded, issue 20 OSS at scale), the few in drift decoded and restated here.
-- When the figure rows cannot answer exactly (an amount not canonical, a line under two names
-- or rate types, a rate written two ways) every result is decoded instead, as before.
local function oss_collect(ps, pe)
  local rl = rillet()
  if rl and rl.report_oss_sums then
    local acc, ok = oss_acc(), true
    for _, t in ipairs(DOC_TABLES) do
      local groups, docs, nbad = rl.report_oss_sums(t[1], ps, pe, "EU")
      if nbad > 0 then ok = false; break end
      local is_inv, sign = t[1] == "invoice", t[1] == "invoice" and 1 or -1
      for _, g in ipairs(groups) do
        local kind = (g.n_reduced == 0 and "standard") or (g.n_reduced == g.n and "reduced") or nil
        if not kind or g.name_min ~= g.name_max or (g.name_min ~= nil and g.n_noname > 0) then ok = false; break end
        local l = oss_line(acc, g.ms == nil and "nil" or g.ms, g.name_min, oss.rate_key(g.rate), kind)
        local c = l.by[g.currency]
        if not c then c = { taxable = 0, vat = 0, [t[1]] = true }; l.by[g.currency] = c
        elseif c[t[1]] then acc.conflict = true -- two rate texts of one line: a document may be in both
        else c[t[1]] = true end
        c.taxable = c.taxable + sign * g.taxable
        c.vat = c.vat + sign * g.tax
        if is_inv then l.invoices = l.invoices + g.docs else l.credit_memos = l.credit_memos + g.docs end
        acc.currencies[g.currency] = true
      end
      if not ok then break end
      acc.ndocs = acc.ndocs + docs
    end
    if ok then
      local writes, keys = accepted_writes(ps, pe, "EU", false, true)
      oss_decoded(acc, writes, keys)
      if not acc.conflict then
        for _, l in ipairs(acc.order) do
          for _, c in pairs(l.by) do c.invoice, c.credit_memo = nil, nil end
        end
        return acc
      end
    end
  end
  local acc = oss_acc()
  local writes, keys = accepted_writes(ps, pe, "EU")
  oss_decoded(acc, writes, keys)
  return acc
end

-- GET /v1/reports/oss?period=YYYY-Qn: per member state of consumption and rate, taxable
-- amount and VAT in EUR, from the documents of region EU whose tax Rillet holds (the filing
-- report's "collected": accepted_writes, drift restated to what Rillet holds). Amounts are summed exactly per line of the return and
-- currency in the currency's minor units and converted once at the ECB rate of the period's
-- last day (else the next publication), half away from zero to the cent; the line's EUR
-- amounts are the sums of those. A currency without a rate -> 422 fx_rate_missing naming it.
local function get_oss(req)
  local q = req.query or {}
  local e = require("levy.util").errors()
  local period = q.period
  local ps, pe = oss.quarter(period)
  if period == nil or period == "" then e:add("period", "is required: a quarter such as 2026-Q3")
  elseif not ps then e:add("period", "must be a quarter such as 2026-Q3") end
  local format = q.format
  local fd = format_detail(format)
  if fd then e:add(fd.field, fd.message) end
  e:raise("invalid query")
  local acc = oss_collect(ps, pe)
  local order, currencies = acc.order, acc.currencies
  -- the rates: EUR needs none; any other currency the ECB rate of the last day (or the next
  -- publication an imported file holds), never a guess
  local files = fx_files()
  local until_day = pe
  for r in store.query("SELECT max(last_date) AS m FROM reports_fx_files WHERE state = 'ready'") do
    if r.m and r.m > until_day then until_day = r.m end
  end
  local rates, missing = {}, {}
  for _, cur in ipairs(sorted_keys(currencies)) do
    if cur ~= "EUR" then
      local rate, day = oss.rate_for(files, cur, pe, until_day)
      if rate then rates[cur] = { currency = cur, rate = rate, date = day }
      else missing[#missing + 1] = { field = "period", currency = cur, date = pe,
        message = "no ECB reference rate for " .. cur .. " on " .. pe .. " or a later publication day: import the ECB's eurofxref-hist.csv (Settings → Exchange rates, or POST /v1/reports/fx-rates)" }
      end
    end
  end
  if #missing > 0 then
    local names = {}
    for i, m in ipairs(missing) do names[i] = m.currency end
    local checking = store.row("SELECT count(*) AS n FROM reports_fx_files WHERE state = 'checking'").n
    http.error(422, "fx_rate_missing", "no ECB exchange rate for " .. table.concat(names, ", ") .. " on " .. pe ..
      " (the last day of " .. period .. ") or a later publication day" .. (checking > 0 and
      " (an imported rate file is still being checked: ask again in a moment)" or ""), missing)
  end
  table.sort(order, function(a, b)
    if a.member_state ~= b.member_state then return a.member_state < b.member_state end
    return (tonumber(a.rate) or 0) > (tonumber(b.rate) or 0)
  end)
  local data, tot_taxable, tot_vat = {}, 0, 0
  for _, l in ipairs(order) do
    local taxable, vat, by = 0, 0, {}
    for _, cur in ipairs(sorted_keys(l.by)) do
      local c = l.by[cur]
      local r = rates[cur]
      local te = oss.to_eur(c.taxable, cur, r and r.rate or "1")
      local ve = oss.to_eur(c.vat, cur, r and r.rate or "1")
      taxable, vat = taxable + te, vat + ve
      by[#by + 1] = { currency = cur, taxable_amount = money.format(c.taxable, cur), vat = money.format(c.vat, cur),
                      fx_rate = r and r.rate or json.null, fx_date = r and r.date or json.null,
                      taxable_amount_eur = money.format(te, "EUR"), vat_eur = money.format(ve, "EUR") }
    end
    tot_taxable, tot_vat = tot_taxable + taxable, tot_vat + vat
    data[#data + 1] = { member_state = l.member_state, member_state_name = null(l.name), rate = l.rate,
      rate_type = l.rate_type, taxable_amount = money.format(taxable, "EUR"), vat = money.format(vat, "EUR"),
      documents = l.invoices + l.credit_memos, invoices = l.invoices, credit_memos = l.credit_memos,
      by_currency = json.array(by) }
  end
  local rlist = {}
  for _, cur in ipairs(sorted_keys(rates)) do rlist[#rlist + 1] = rates[cur] end
  local ndocs = acc.ndocs
  if format == "csv" then
    local rows = {}
    for _, l in ipairs(data) do
      for _, c in ipairs(l.by_currency) do
        rows[#rows + 1] = { member_state = l.member_state, member_state_name = l.member_state_name, rate = l.rate,
          rate_type = l.rate_type, currency = c.currency, taxable_amount = c.taxable_amount, vat = c.vat,
          fx_rate = c.fx_rate, fx_date = c.fx_date, taxable_amount_eur = c.taxable_amount_eur, vat_eur = c.vat_eur,
          line_taxable_amount_eur = l.taxable_amount, line_vat_eur = l.vat, documents = l.documents }
      end
    end
    return csv_reply(to_csv(rows, OSS_CSV), "levy-oss-" .. period .. ".csv")
  end
  return 200, { period = period, period_start = ps, period_end = pe, currency = "EUR",
    rounding = "per line of the return and currency: the exact sum converted once at the ECB rate, half away from zero to the cent",
    data = json.array(data), totals = { taxable_amount = money.format(tot_taxable, "EUR"),
    vat = money.format(tot_vat, "EUR"), documents = ndocs }, fx_rates = json.array(rlist) }
end

---------------------------------------------------------------- exposure
-- plugins/reports/exposure.lua: economic thresholds, physical presence, marketplace sales.

local function get_exposure(req)
  local q = req.query or {}
  local today = time.date(time.now_ms())
  local as_of = q.as_of
  if as_of == "" then as_of = nil end
  local d = {}
  if as_of ~= nil and not time.valid_date(as_of) then
    d[#d + 1] = { field = "as_of", message = "must be a date YYYY-MM-DD" }
  end
  local format = q.format
  d[#d + 1] = format_detail(format)
  local only
  if req.params and req.params.region then
    only = exposure.state_of(req.params.region)
    if not only then http.error(404, "not_found", "no economic-nexus threshold for region " .. tostring(req.params.region)) end
  end
  if #d > 0 then bad(d) end
  as_of = as_of or today
  -- crossings are logged only for the live view (today), not for a what-if date
  local data, counting = exposure.exposure(as_of, as_of == today, only, only ~= nil)
  if require("levy.util").wants_csv(req) then
    local rows, columns, name = {}, exposure.CSV_COLUMNS, "levy-exposure-" .. as_of .. ".csv"
    if only then
      rows, columns = data[1].documents, exposure.DOC_CSV_COLUMNS
      name = "levy-exposure-US-" .. only .. "-" .. as_of .. "-documents.csv"
    else
      for i, r in ipairs(data) do rows[i] = exposure.csv_row(r) end
    end
    return 200, to_csv(rows, columns), { ["Content-Type"] = "text/csv; charset=utf-8",
      ["Content-Disposition"] = 'attachment; filename="' .. name .. '"' }
  end
  if only then
    local r = data[1]
    local docs = r.documents
    r.documents = nil
    return 200, { as_of = as_of, region = r.region, exposure = r, data = docs }
  end
  -- marketplace_counting: the marketplace customers whose sums are still being counted (too many
  -- documents for one job run: rillet 0030), {customer_id, counted, documents}; meanwhile their
  -- sales count as direct ones (marketplace_sales leaves them out)
  -- international (issues 19/20): the registration thresholds of a foreign seller per country
  -- (plugins/reports/abroad.lua), beside the US rows, which keep CONTRACT §2.6's fields
  return 200, { as_of = as_of, data = json.array(data), marketplace_counting = counting,
                international = json.array(abroad.exposure(as_of)) }
end

return {
  name = "reports",
  version = "0.1.0",
  -- the tables this plugin's migrations create: no other plugin may use them (docs/plugins.md).
  -- It uses no other table: rillet's documents, calculations and write-backs and api's regions
  -- come through their exports (rillet(), plugin("api")), and levy.store refuses this plugin's
  -- SQL on another plugin's table (core/lua/bind_store.c).
  tables = {
    "reports_nexus_crossings",
    "reports_presence",
    "reports_marketplace_customers",
    "reports_marketplace_documents",
    "reports_filing_frequency",
    "reports_exports",
    "reports_export_parts",
    "reports_fx_files",
  },
  jobs = {
    -- the documents export (POST /v1/reports/filing/exports): EXPORT_BATCH documents a run
    ["reports.export"] = { run = run_export, max_attempts = 100000, concurrency = 1,
                           base_delay_ms = 1000, max_delay_ms = 60000 },
    -- an imported ECB rate file larger than a request checks (POST /v1/reports/fx-rates)
    ["reports.fx_check"] = { run = run_fx_check, max_attempts = 5, concurrency = 1,
                             base_delay_ms = 1000, max_delay_ms = 60000 },
    -- the rillet plugin's per-customer exposure sums of the marketplace customers (exposure.lua)
    ["reports.marketplace_sums"] = { run = function()
        if not exposure.sync_marketplace_sums() then return jobs.retry(0, "marketplace customers' sums: more to count") end
      end, max_attempts = 100000, concurrency = 1, base_delay_ms = 1000, max_delay_ms = 60000 },
  },
  roles = { "serve" },
  -- the marketplace customers' kept exposure sums counted if some are not (a store migrated
  -- to rillet 0028 with marketplace customers set; a recount): the job is quick when none is
  on_start = function() jobs.enqueue { kind = "reports.marketplace_sums", key = "sync", payload = {} } end,
  routes = {
    { method = "GET", path = "/v1/reports/liability", auth = "token", handler = get_liability },
    { method = "GET", path = "/v1/reports/not-collected", auth = "token", handler = get_not_collected },
    { method = "GET", path = "/v1/reports/exposure", auth = "token", handler = get_exposure },
    -- issue 20: drill-down, physical presence, marketplace flags (plugins/reports/exposure.lua)
    { method = "GET", path = "/v1/reports/exposure/{region}/documents", auth = "token", handler = get_exposure },
    { method = "GET", path = "/v1/reports/presence", auth = "token",
      handler = function() return 200, { data = json.array(exposure.presence_list()) } end },
    { method = "POST", path = "/v1/reports/presence", auth = "token",
      handler = function(req) return 201, exposure.presence_add(req:json(), req) end },
    { method = "DELETE", path = "/v1/reports/presence/{id}", auth = "token",
      handler = function(req) exposure.presence_delete(req.params.id, req); return 204, "" end },
    { method = "GET", path = "/v1/reports/marketplace", auth = "token",
      handler = function() return 200, exposure.marketplace_list() end },
    { method = "PUT", path = "/v1/reports/marketplace/customers/{id}", auth = "token",
      handler = function(req) return 200, exposure.marketplace_customer(req.params.id, req:json(), req) end },
    { method = "PUT", path = "/v1/reports/marketplace/invoices/{id}", auth = "token",
      handler = function(req) return 200, exposure.marketplace_document("invoice", req.params.id, req:json(), req) end },
    { method = "PUT", path = "/v1/reports/marketplace/credit-memos/{id}", auth = "token",
      handler = function(req)
        return 200, exposure.marketplace_document("credit_memo", req.params.id, req:json(), req)
      end },
    { method = "GET", path = "/v1/reports/filing", auth = "token", handler = get_filing },
    { method = "GET", path = "/v1/reports/filing/documents", auth = "token", handler = get_filing_documents },
    -- the filing summary's sums kept on write (rillet filing_sums.lua): state, check, rebuild
    { method = "GET", path = "/v1/reports/filing/sums", auth = "token", handler = filing_sums_call("status", 200) },
    { method = "POST", path = "/v1/reports/filing/sums/check", auth = "token",
      handler = filing_sums_call("check", 202) },
    { method = "POST", path = "/v1/reports/filing/sums/rebuild", auth = "token",
      handler = filing_sums_call("rebuild", 202) },
    -- read_only_ok: an auditor's read-only token starts the export (it writes the job and its
    -- parts, audited as export.started, no tax data or setting)
    { method = "POST", path = "/v1/reports/filing/exports", auth = "token", handler = post_export,
      read_only_ok = true },
    { method = "GET", path = "/v1/reports/filing/exports", auth = "token", handler = list_exports },
    { method = "GET", path = "/v1/reports/filing/exports/{id}", auth = "token", handler = get_export },
    { method = "GET", path = "/v1/reports/filing/exports/{id}/parts/{n}", auth = "token", handler = get_export_part },
    { method = "GET", path = "/v1/reports/filing-frequencies", auth = "token", handler = list_frequencies },
    -- the EU One-Stop-Shop view in EUR and the ECB rate files it converts with
    { method = "GET", path = "/v1/reports/oss", auth = "token", handler = get_oss },
    { method = "GET", path = "/v1/reports/fx-rates", auth = "token", handler = list_fx },
    { method = "GET", path = "/v1/reports/fx-rates/{id}", auth = "token",
      handler = function(req) return 200, fx_view(fx_row(tonumber(req.params.id) or -1)) end },
    { method = "POST", path = "/v1/reports/fx-rates", auth = "token", handler = post_fx, max_body = FX_MAX_BODY },
    { method = "PUT", path = "/v1/reports/filing-frequencies/{region}", auth = "token", handler = put_frequency },
  },
  schedule = {
    -- logs a crossing even when nobody opens the Reports page
    { name = "reports.exposure", every_ms = 3600000, run = function()
        exposure.exposure(time.date(time.now_ms()), true)
      end },
    -- the marketplace customers' kept exposure sums (a store that had marketplace customers
    -- before rillet migration 0028, or whose sums a recount made count again)
    { name = "reports.marketplace_sums", every_ms = 600000, run = function()
        jobs.enqueue { kind = "reports.marketplace_sums", key = "sync", payload = {} }
      end },
  },
  exports = {
    liability = liability,
    -- rows per state (see docs/reports.md): the dashboard's nexus item reads nexus_status,
    -- subscribed, problem, crossed_on / nexus_since
    exposure = function(as_of) return exposure.exposure(as_of, false) end,
  },
}
