-- rillet plugin: the Rillet connector. Webhook intake, documents API, and the durable jobs
-- that import, sweep, process deliveries, calculate and write tax back.
-- The connect-flow routes live in the admin plugin, which calls this plugin's exports.
local config = require "levy.config"
local crypto = require "levy.crypto"
local http = require "levy.http"
local jobs = require "levy.jobs"
local json = require "levy.json"
local log = require "levy.log"
local metrics = require "levy.metrics"
local store = require "levy.store"
local time = require "levy.time"
local backfill = require "backfill"
local bulk = require "bulk"
local conn = require "conn"
local customers = require "customers"
local docs = require "docs"
local health = require "health"
local reconcile = require "reconcile"
local report_rows = require "report_rows"
local region_filter = require "region_filter"
local filing_sums = require "filing_sums"
local recount = require "recount"
local sync = require "sync"
local util = require "util"
local lutil = require "levy.util"
local audit = require "levy.audit"
local webhook = require "webhook"
local inbox = require "inbox"
local writeback = require "writeback"

local nn = lutil.nn

-- The schedule's period: levy serve --schedule-tick / LEVY_SCHEDULE_TICK_S (1..3600 s, checked
-- by the host); 60 s where the role has no such setting (levy check, levy test).
local TICK_MS = (math.type(config.schedule_tick_s) == "integer" and config.schedule_tick_s >= 1
                 and config.schedule_tick_s or 60) * 1000

---------------------------------------------------------------- webhook intake

local DUPLICATE = '{"duplicate":true,"received":true}'
local RECEIVED = '{"duplicate":false,"received":true}' -- the same JSON, not encoded per delivery

-- What a delivery stores, declared once (issue 21): the intake below builds its write unit
-- from it, and the host answers the common case from it without entering Lua (the route's
-- `fast`, docs/plugins.md "Fast webhook intake", core/host/fasthook.c). The values a step's
-- params name: id (X-Rillet-Id), param (the connection id), entity / event (util.norm),
-- received_at (now, ms), second (now, s), body (raw), ignored_at / ignored_outcome (now /
-- "ignored" when the entity is not `used`, else NULL). A step runs always, `when = "used"`
-- (a used entity) or `when = "changed"` (last_webhook_at is not this second).
--   1. the body into `inbox` unless the id was pruned since the read (inbox_seen) or another
--      delivery of it got in first (ON CONFLICT); either way the unit stops there and the
--      answer is a duplicate's;
--   2. last_webhook_at, second resolution, only when it changes (fewer pages per commit),
--      deferred (`defer`, issue 22): on PostgreSQL the writer runs it once per group just
--      before the COMMIT, not inside the unit, so a group does not hold the connection's row
--      lock from this unit to its COMMIT (which serialised the replicas' groups of one
--      connection); it only moves forward, so whenever it runs an older second never
--      overwrites a newer one (another replica's, a later group's);
--   3. always for a used entity: a process_inbox job that is due now may already be running
--      (and past its read of the inbox) by the time this unit commits; a queued one absorbs
--      this (one queued job per connection: the enqueue updates it).
local INTAKE = {
  param = "connection_id",
  headers = webhook.HEADER_OF,
  max_signatures = webhook.MAX_SIGNATURES,
  future_skew_s = webhook.FUTURE_SKEW_S,
  lookup = conn.FAST_SQL,
  used = { "INVOICE", "CREDIT_MEMO", "CUSTOMER" },
  unit = {
    { sql = [[INSERT INTO inbox(delivery_id, connection_id, entity, event, received_at, body,
      processed_at, outcome) SELECT ?,?,?,?,?,?,?,? WHERE NOT EXISTS
      (SELECT 1 FROM inbox_seen WHERE delivery_id = ?) ON CONFLICT(delivery_id) DO NOTHING]],
      params = { "id", "param", "entity", "event", "received_at", "body", "ignored_at", "ignored_outcome", "id" },
      stop_if_none = true },
    { sql = [[UPDATE connections SET last_webhook_at = ?1 WHERE id = ?2
      AND (last_webhook_at IS NULL OR last_webhook_at < ?1)]], params = { "second", "param" },
      when = "changed", defer = true },
    { job = "rillet.process_inbox", payload_field = "connection_id", when = "used" },
  },
  answers = { duplicate = DUPLICATE, received = RECEIVED },
  metric = "levy_webhook_deliveries_total",
}
local USED = {}
for _, e in ipairs(INTAKE.used) do USED[e] = true end
-- job payloads, encoded once per connection id (a generation lives until the next reload;
-- connections are few)
local PAYLOAD = {}

-- The write unit of INTAKE for the values v (named as above).
local function intake_unit(v, used, changed)
  local unit = {}
  for _, s in ipairs(INTAKE.unit) do
    if not s.when or (s.when == "used" and used) or (s.when == "changed" and changed) then
      if s.job then
        local payload = PAYLOAD[v.param]
        if not payload then
          payload = json.encode { [s.payload_field] = v.param }
          PAYLOAD[v.param] = payload
        end
        unit[#unit + 1] = { job = { kind = s.job, key = v.param, payload = payload } }
      else
        local step = { s.sql, stop_if_none = s.stop_if_none, defer = s.defer }
        for i, name in ipairs(s.params) do step[i + 1] = v[name] end
        unit[#unit + 1] = step
      end
    end
  end
  return unit
end

-- the labels of the outcomes every delivery counts (metrics.inc only reads them)
local R_DUPLICATE, R_ACCEPTED, R_IGNORED = { result = "duplicate" }, { result = "accepted" }, { result = "ignored" }

local function intake(req)
  local cid = req.params.connection_id
  local crow = conn.get_intake(cid)
  if not crow then
    metrics.inc("levy_webhook_deliveries_total", { result = "unknown_connection" })
    http.error(404, "not_found", "unknown or disconnected connection")
  end
  local h, missing = webhook.headers(req.headers)
  if not h then
    metrics.inc("levy_webhook_deliveries_total", { result = "missing_header" })
    http.error(400, "missing_header", "missing webhook header: " .. table.concat(missing, ", "))
  end
  local fine, why = webhook.check(h)
  if not fine then
    metrics.inc("levy_webhook_deliveries_total", { result = "invalid_header" })
    http.error(400, "invalid_header", why)
  end
  local token, keys = conn.signing_keys(crow, webhook.keys)
  if not token and crow.signing_token_sealed then
    -- sealed but it does not open (the master key is not the one it was sealed with): the
    -- delivery is fine and must come again once the operator fixes the key, so 503, never
    -- 404 (Rillet disables a webhook that keeps answering 404)
    metrics.inc("levy_webhook_deliveries_total", { result = "unavailable" })
    log.error("webhook: the signing token of the connection does not open under the master key",
      { connection_id = cid })
    http.error(503, "unavailable", "the connection's signing token cannot be opened; retry later",
      nil, { ["Retry-After"] = "60" })
  end
  if not token or token == "" then
    metrics.inc("levy_webhook_deliveries_total", { result = "unknown_connection" })
    http.error(404, "not_found", "the connection has no signing token yet")
  end
  if not webhook.verify_keys(keys, h, req.body) then
    metrics.inc("levy_webhook_deliveries_total", { result = "invalid_signature" })
    -- counted on the connection (health webhook_failing), WARN once a minute (health.lua);
    -- a store that cannot take the count does not change the answer
    local hok, herr = pcall(health.signature_failed, crow, h)
    if not hok then
      log.error("webhook: the refused delivery could not be counted", { connection = cid,
        error = type(herr) == "table" and tostring(herr.message) or tostring(herr) })
    end
    http.error(401, "invalid_signature", "webhook signature does not match")
  end
  -- a verified delivery (even a duplicate) proves the token: the failures end (nothing to do
  -- while the connection is quiet: health.QUIET_SQL)
  local quiet = crow.quiet == 1
  if not quiet and health.signature_verified(crow) then health.refresh(cid) end
  -- A repeated X-Rillet-Id is answered from a read: no write transaction (and no fsync) for a
  -- delivery that is already committed. No transaction is ever open across a yield, so this
  -- read sees committed rows only; the INSERT below still decides for a first delivery.
  if inbox.seen(h["x-rillet-id"]) then
    metrics.inc("levy_webhook_deliveries_total", R_DUPLICATE)
    return 200, DUPLICATE
  end
  -- Replay window (checked after the signature and the duplicate answer: a late retry of a
  -- delivery levy already holds still gets its 200). Processed bodies are pruned after the
  -- retention period (inbox.lua) but every X-Rillet-Id ever accepted stays (inbox_seen), so
  -- it stays a duplicate whatever the window.
  local tolerance = config.webhook_tolerance_s
  if tolerance == nil then tolerance = 604800 end
  local fresh, age_s = webhook.freshness(webhook.parse_timestamp(h["x-rillet-timestamp"]), time.now_ms(), tolerance)
  if fresh ~= "ok" then
    metrics.inc("levy_webhook_deliveries_total", { result = "stale_timestamp" })
    log.warn("webhook delivery refused: X-Rillet-Timestamp outside the accepted window (check this host's clock, or LEVY_WEBHOOK_TOLERANCE_S)",
      { connection = cid, delivery = h["x-rillet-id"], timestamp = h["x-rillet-timestamp"], age_s = age_s,
        tolerance_s = tolerance, future_skew_s = webhook.FUTURE_SKEW_S })
    http.error(401, "stale_timestamp", fresh == "old"
      and ("X-Rillet-Timestamp is %d s old; at most %d s is accepted"):format(age_s, tolerance)
      or ("X-Rillet-Timestamp is %d s ahead of this server's clock; at most %d s is accepted"):format(-age_s, webhook.FUTURE_SKEW_S))
  end
  local entity = util.norm(h["x-rillet-entity"])
  local used = USED[entity] and true or false
  local now_ms = time.now_ms()
  local now, seen = time.iso_ms(now_ms), time.iso(now_ms)
  -- One write unit (INTAKE.unit), group-committed by the store's writer thread
  -- (store.durable, issue 21): this call is parked until the group holding the row is
  -- durable, and only then answers 2xx.
  local unit = intake_unit({ id = h["x-rillet-id"], param = cid, entity = entity,
    event = util.norm(h["x-rillet-event"]), received_at = now, second = seen, body = req.body or "",
    ignored_at = (not used) and now or nil, ignored_outcome = (not used) and "ignored" or nil },
    used, crow.last_webhook_at ~= seen)
  local res = store.durable(unit)
  local duplicate = res.stopped == 1
  -- deliveries of this kind flow again: webhook_silent ends for it (health.lua; a write only
  -- while the connection is flagged silent)
  local silent_changed = false
  if not duplicate and not quiet and (crow.silent_count or 0) > 0 then
    silent_changed = store.transaction(function() return health.delivery_verified(crow, entity) end)
  end
  metrics.inc("levy_webhook_deliveries_total", duplicate and R_DUPLICATE or (used and R_ACCEPTED or R_IGNORED))
  -- the first verified delivery: awaiting_webhook -> connected
  if (not quiet and not crow.last_webhook_at and not duplicate) or silent_changed then health.refresh(cid) end
  return 200, duplicate and DUPLICATE or RECEIVED
end

---------------------------------------------------------------- documents API

-- Documents are encoded here (Rillet objects may hold empty objects such as "revenue":{}).
local JSON_HEADERS = { ["Content-Type"] = "application/json" }

local FILTERS = { status = "status", tax_status = "tax_status", customer_id = "customer_id", reason = "reason" }
-- ?tax_status= takes the values CONTRACT §2.6 names (+ drift, docs/openapi.yaml TaxStatus): a
-- misspelt one is a 422 naming it, not an empty page a client reads as "none of those"
local TAX_STATUSES = { pending = true, calculated = true, written = true, not_collecting = true, failed = true,
                       deleted = true, drift = true }

local opt = lutil.orjnull

local function doc_view(doc_type, row) -- luacheck: no unused args (the shared signature)
  local out = util.decode_obj(row.raw) or { id = row.id }
  out.tax_status = row.tax_status
  out.levy_tax = opt(row.levy_tax)
  out.rillet_taxed_amount = opt(row.rillet_taxed_amount)
  out.calculation_id = opt(row.calculation_id)
  out.written_at = opt(row.written_at)
  out.last_error = opt(row.last_error)
  out.connection_id = row.connection_id
  -- why the document is (or is not) written (scope.lua REASONS; null while work is pending)
  out.reason = opt(row.reason)
  out.reason_detail = opt(row.reason_detail)
  -- the region of the latest calculation (issue 20: "No tax due — … in California")
  out.region = opt(row.region)
  return out
end

local function bad(field, message) lutil.invalid(field, message, "invalid query") end

-- ?limit= as an integer from 1 to 500 (else 422 naming it), or `default` when absent.
local limit_param = lutil.limit_arg

-- A page of a list holds at most `limit` documents and stops early (with next_cursor) once
-- its JSON passes LIST_PAGE_BYTES, so a page of very large documents stays bounded too...
local LIST_PAGE_BYTES = 8 * 1024 * 1024
-- ... or once this share (per mille, levy.time.budget_used) of the request's budget is spent:
-- the rest is left for joining the page and for what the runtime does after the handler
local LIST_BUDGET_SHARE = 500

-- One listed document as JSON text, equal (as JSON) to doc_view's encoding. The stored Rillet
-- JSON (`raw`: one object, well-formed UTF-8, checked when it was received) is spliced as it
-- is with levy's fields appended, so a list does no per-document decode and encode: decoding
-- and re-encoding 500 documents took 20-40 ms of the request's 80 ms CPU budget on an idle
-- machine, and answered 500 "running-time budget exceeded" on ~2,700 simulator invoices
-- under load; spliced, 500 take under 10 ms. levy's fields come last: none of Rillet's schemas has one of these keys, and should
-- a document ever carry one at its top level (docs.apply warns), levy's value is the one a
-- JSON reader keeps (the last), as in the single-document view, which overwrites it. Scanning
-- every document for the ten names cost as much as the decode. A raw text that is not one
-- object goes the slow way (decode, overwrite, encode). VIEW_COLS: the columns doc_view
-- reads (a list fetches no others).
local VIEW_COLS = "id, raw, tax_status, levy_tax, rillet_taxed_amount, calculation_id, written_at, last_error, " ..
  "connection_id, reason, reason_detail, region"
local SPACE = { [32] = true, [9] = true, [10] = true, [13] = true }
local function doc_view_text(doc_type, row)
  local raw = row.raw
  if type(raw) == "string" then
    local first, last = 1, #raw
    while first <= last and SPACE[raw:byte(first)] do first = first + 1 end
    while last >= first and SPACE[raw:byte(last)] do last = last - 1 end
    if last > first and raw:byte(first) == 123 and raw:byte(last) == 125 then -- { }
      local inner = first + 1
      while inner < last and SPACE[raw:byte(inner)] do inner = inner + 1 end
      local mine = json.encode({ tax_status = row.tax_status, levy_tax = opt(row.levy_tax),
        rillet_taxed_amount = opt(row.rillet_taxed_amount), calculation_id = opt(row.calculation_id),
        written_at = opt(row.written_at), last_error = opt(row.last_error), connection_id = row.connection_id,
        reason = opt(row.reason), reason_detail = opt(row.reason_detail), region = opt(row.region) })
      -- raw without its closing brace, a comma unless raw is {}, levy's fields without their "{"
      return raw:sub(first, last - 1) .. (inner == last and "" or ",") .. mine:sub(2)
    end
  end
  return json.encode(doc_view(doc_type, row))
end

-- ?sort= of the document lists: a column (ties by rowid, the import order); "-" = descending.
local SORTS = { date = "doc_date", number = "number" }
-- The CSV of a list (issue 20): exactly the documents the filters select, in the list's order,
-- every page (`total` rows); columns read without decoding the stored document.
local CSV_COLS = { "id", "number", "date", "customer_id", "status", "tax_status", "reason", "region", "currency",
                   "net_amount", "levy_tax", "rillet_taxed_amount", "written_at" }
local CSV_SELECT = "id, number, doc_date AS date, customer_id, status, tax_status, reason, region, currency, " ..
  "net_amount, levy_tax, rillet_taxed_amount, written_at"
local CSV_MAX = 100000

-- The WHERE of a document list from its query (filters of FILTERS, q = number or id, from/to =
-- document date, region) and its ORDER BY; 422 naming a bad parameter.
local function list_where(q)
  local where, args = { "1 = 1" }, {}
  for name, col in pairs(FILTERS) do
    local v = q[name]
    if v ~= nil and v ~= "" then
      where[#where + 1] = col .. " = ?"
      args[#args + 1] = v
    end
  end
  local e = lutil.errors()
  if q.tax_status ~= nil and q.tax_status ~= "" and not TAX_STATUSES[q.tax_status] then
    e:add("tax_status", "must be one of pending, calculated, written, not_collecting, failed, deleted, drift")
  end
  if q.q ~= nil and q.q ~= "" then
    if #q.q > 200 then e:add("q", "must be at most 200 characters") end
    -- number contains the text (case-insensitive), or the id is the text
    -- LIKE with the text's wildcards escaped, not instr() (SQLite only; issue 22)
    where[#where + 1] = "(lower(COALESCE(number, '')) LIKE ? ESCAPE '!' OR id = ?)"
    args[#args + 1], args[#args + 2] = "%" .. q.q:lower():gsub("[!%%_]", "!%0") .. "%", q.q
  end
  for _, k in ipairs({ "from", "to" }) do
    local v = q[k]
    if v ~= nil and v ~= "" then
      if not time.valid_date(v) then e:add(k, "must be a date YYYY-MM-DD")
      else
        where[#where + 1] = "doc_date " .. (k == "from" and ">=" or "<=") .. " ?"
        args[#args + 1] = v
      end
    end
  end
  if q.from and q.to and q.from ~= "" and q.to ~= "" and time.valid_date(q.from) and time.valid_date(q.to) and
     q.from > q.to then
    e:add("from", "must not be after to")
  end
  if q.region ~= nil and q.region ~= "" then
    -- a province (CA-QC): region CA's documents whose calculation's ship-to is in QC (their
    -- stored region is their answer's, CA; region_filter.lua)
    local s = region_filter.scope(q.region)
    if s.state then
      where[#where + 1] = "(region = ? AND calculation_id IN (SELECT h.calculation_id FROM rillet_calc_heads h " ..
        "WHERE upper(h.ship_state) = ?))"
      args[#args + 1], args[#args + 2] = s.stored, s.state
    else
      where[#where + 1] = "region = ?"
      args[#args + 1] = q.region
    end
  end
  -- precision=imprecise (issue 20, the dashboard's "address located at ZIP level"): the
  -- document's current calculation located the ship-to by its ZIP5 alone where that ZIP spans
  -- several rates (resolution zip5 with ambiguous_zip), or noted local_tax_uncertain (a city's
  -- own tax decided on a partial address): calc_rows.imprecise, kept in rillet_calc_heads
  -- (migration 0021) so that the same SQL runs on SQLite and PostgreSQL (no JSON functions),
  -- and copied onto the document (calc_imprecise, migration 0024's triggers)
  if q.precision ~= nil and q.precision ~= "" then
    if q.precision ~= "imprecise" then
      e:add("precision", "must be imprecise")
    else
      -- the document's own copy of its calculation's flag (migration 0024: a partial index of
      -- the flagged documents; the subquery on the heads was a scan of every document)
      where[#where + 1] = "calc_imprecise = 1"
    end
  end
  -- certificate=expired (issue 20, "a document exempted by an expired certificate is taxed and
  -- flagged"): the document's current calculation carries the note exemption_certificate_expired
  -- (the customer's certificate for the region had expired, or was not yet valid, on its date),
  -- kept as rillet_calc_heads.cert_expired (migration 0021) and copied onto the document
  -- (calc_cert_expired, migration 0024's triggers); the Home dashboard counts them
  if q.certificate ~= nil and q.certificate ~= "" then
    if q.certificate ~= "expired" then
      e:add("certificate", "must be expired")
    else
      where[#where + 1] = "calc_cert_expired = 1"
    end
  end
  local order = "rowid"
  local sort = q.sort
  if sort ~= nil and sort ~= "" then
    local desc, key = sort:match("^(%-?)(%a+)$")
    if not key or not SORTS[key] then
      e:add("sort", "must be date or number, with - in front for descending")
    else
      -- documents without the value first (ascending) or last (descending), as SQLite orders
      -- NULL; said explicitly so that PostgreSQL (NULL last ascending) lists them alike (issue 22)
      local d = desc == "-" and " DESC" or ""
      order = "CASE WHEN " .. SORTS[key] .. " IS NULL THEN 0 ELSE 1 END" .. d .. ", " .. SORTS[key] .. d .. ", rowid" .. d
    end
  end
  if q.format ~= nil and q.format ~= "" and q.format ~= "json" and q.format ~= "csv" then
    e:add("format", "must be json or csv")
  end
  e:raise("invalid query")
  return where, args, order
end

local function list_docs(doc_type)
  local T = docs.TYPES[doc_type]
  return function(req)
    local q = req.query or {}
    local limit = limit_param(q, 50)
    local where, args, order = list_where(q)
    local sorted = order ~= "rowid"
    local total = store.row("SELECT count(*) AS n FROM " .. T.table .. " WHERE " .. table.concat(where, " AND "),
      table.unpack(args)).n
    if lutil.wants_csv(req) then
      args[#args + 1] = CSV_MAX
      local rows = store.rows("SELECT " .. CSV_SELECT .. " FROM " .. T.table .. " WHERE " .. table.concat(where, " AND ") ..
        " ORDER BY " .. order .. " LIMIT ?", table.unpack(args))
      return lutil.csv_reply(lutil.csv(rows, CSV_COLS), "levy-" .. T.table:gsub("_", "-") .. ".csv")
    end
    -- a cursor: after a rowid ("r<rowid>", the import order) or, for a sorted list, an
    -- offset into it ("o<n>")
    local offset = 0
    if q.cursor ~= nil and q.cursor ~= "" then
      local raw = crypto.b64decode(q.cursor, true)
      local after = raw and not sorted and tonumber(raw:match("^r(%d+)$"))
      local off = raw and sorted and tonumber(raw:match("^o(%d+)$"))
      if not after and not off then bad("cursor", "invalid cursor") end
      if after then
        where[#where + 1] = "rowid > ?"
        args[#args + 1] = math.tointeger(after)
      else
        offset = math.tointeger(off)
      end
    end
    args[#args + 1] = limit + 1
    args[#args + 1] = offset
    -- rows are read one at a time (store.query) and the page stops early, with next_cursor,
    -- once it passes LIST_PAGE_BYTES or LIST_BUDGET_SHARE of the request's Lua budget (a slow
    -- or busy machine, very large documents): a list answers 200 with fewer documents rather
    -- than 500 "budget exceeded". next_cursor always follows the last listed document.
    local items, bytes, last_seq, n = {}, 0, nil, 0
    local next_cursor = json.null
    for r in store.query("SELECT rowid AS seq, " .. VIEW_COLS .. " FROM " .. T.table .. " WHERE " ..
        table.concat(where, " AND ") .. " ORDER BY " .. order .. " LIMIT ? OFFSET ?", table.unpack(args)) do
      if n >= limit or (n > 0 and (bytes >= LIST_PAGE_BYTES or time.budget_used() >= LIST_BUDGET_SHARE)) then
        next_cursor = crypto.b64encode(sorted and ("o" .. (offset + n)) or ("r" .. last_seq), true, true)
        break
      end
      local text = doc_view_text(doc_type, r)
      n = n + 1
      items[n] = text
      bytes = bytes + #text + 1
      last_seq = r.seq
    end
    return 200, '{"data":[' .. table.concat(items, ",") .. '],"next_cursor":' .. json.encode(next_cursor) ..
      ',"total":' .. math.tointeger(total) .. "}", JSON_HEADERS
  end
end

local function must_doc(doc_type, id)
  local T = docs.TYPES[doc_type]
  local row = store.row("SELECT * FROM " .. T.table .. " WHERE id = ?", id)
  if not row then http.error(404, "not_found", doc_type:gsub("_", " ") .. " not found") end
  return row
end

local function get_doc(doc_type)
  return function(req)
    local row = must_doc(doc_type, req.params.id)
    local out = doc_view(doc_type, row)
    local result
    if row.calculation_id then
      local c = store.row("SELECT result FROM calculations WHERE id = ?", row.calculation_id)
      result = c and util.decode_obj(c.result)
    end
    local by_id = {}
    if result and type(result.lines) == "table" then
      for _, l in ipairs(result.lines) do by_id[l.id] = l end
    end
    local lines = {}
    for _, it in ipairs(nn(out.items) or {}) do
      local l = by_id[nn(it.id)]
      lines[#lines + 1] = {
        id = opt(nn(it.id)), description = opt(nn(it.description)), product_id = opt(nn(it.product_id)),
        quantity = opt(nn(it.quantity)), amount = opt(util.amount(it.total_amount)),
        rillet_taxed_amount = opt(util.amount(it.taxed_amount)),
        taxable_amount = l and opt(l.taxable_amount) or json.null,
        tax = l and opt(l.tax) or json.null,
        taxability_reason = l and opt(l.taxability_reason) or json.null,
        -- the legal wording written to Rillet for a line without tax (mapping.legal_note)
        note = l and opt(l.note) or json.null,
        taxes = l and json.array(l.taxes or {}) or json.empty_array,
      }
    end
    out.lines = json.array(lines)
    -- how precisely the ship-to was located (issue 19): zip5 | zip5_city | zip4 | address,
    -- and for a ZIP5 spanning several rates its candidates (the UI asks for the fuller address)
    out.resolution = result and opt(result.resolution) or json.null
    out.ambiguous_zip = result and result.ambiguous_zip or json.null
    -- issue 19: the rate table that answered is older than the document's date
    out.rates_stale = result and type(result.rates_stale) == "table" and result.rates_stale or json.null
    local creq = row.calculation_id and store.row("SELECT request FROM calculations WHERE id = ?", row.calculation_id)
    creq = creq and util.decode_obj(creq.request)
    out.ship_to = creq and creq.ship_to or json.null
    -- issue 20: the answer's notes (e.g. exemption_certificate_expired) and the exemption
    -- certificate that exempted the document
    out.notes = json.array(result and type(result.notes) == "table" and result.notes or {})
    out.exemption_certificate = json.null
    if result and type(result.exemption_certificate_id) == "string" then
      local api = docs.api()
      local ok, c = pcall(function() return api and api.exemption_certificate(result.exemption_certificate_id) end)
      out.exemption_certificate = ok and c or { id = result.exemption_certificate_id }
    end
    local hist = {}
    for _, h in ipairs(store.rows("SELECT * FROM history WHERE doc_type = ? AND doc_id = ? ORDER BY id", doc_type, row.id)) do
      hist[#hist + 1] = { at = h.at, kind = h.kind, request_id = opt(h.request_id),
        calculation_id = opt(h.calculation_id), http_status = opt(h.http_status),
        outcome = h.outcome, message = opt(h.message) }
    end
    out.history = json.array(hist)
    return 200, util.encode(out), JSON_HEADERS
  end
end

local function recalculate(doc_type)
  return function(req)
    local row = must_doc(doc_type, req.params.id)
    if row.deleted == 1 then http.error(409, "conflict", "the document was deleted in Rillet") end
    local T = docs.TYPES[doc_type]
    local job_id
    store.transaction(function()
      store.exec("UPDATE " .. T.table .. " SET write_failures = 0 WHERE id = ?", row.id)
      job_id = jobs.enqueue { kind = "rillet.calculate", key = doc_type .. ":" .. row.id,
        payload = { doc_type = doc_type, id = row.id, reason = "recalculate requested", force = true } }
      -- who asked for a document's tax again (a failed write-back retried by hand: issue 20)
      audit.record(req, { action = "document.recalculate_requested", object_kind = doc_type, object_id = row.id,
                          label = (doc_type == "invoice" and "Invoice " or "Credit memo ") .. tostring(row.number or row.id),
                          changes = { tax_status = { before = row.tax_status or json.null, after = "recalculating" } } })
    end)
    return 202, { id = row.id, status = "queued", job_id = job_id }
  end
end

---------------------------------------------------------------- reconciliation

-- GET /v1/reconciliation?connection_id=&limit=: the differences reconciliation runs found
-- (newest first) and the connection's latest runs.
local function list_reconciliation(req)
  local q = req.query or {}
  local limit = limit_param(q, 100)
  local where, args = "1 = 1", {}
  if q.connection_id ~= nil and q.connection_id ~= "" then
    where, args = "connection_id = ?", { q.connection_id }
  end
  local data = {}
  args[#args + 1] = limit
  for _, r in ipairs(store.rows("SELECT * FROM reconciliation WHERE " .. where .. " ORDER BY id DESC LIMIT ?",
      table.unpack(args))) do
    data[#data + 1] = { id = r.id, run_id = r.run_id, connection_id = r.connection_id, document_type = r.doc_type,
      document_id = r.doc_id, number = opt(r.number), rillet_tax = opt(r.rillet_tax), levy_tax = opt(r.levy_tax),
      reason = r.reason, action = r.action, found_at = r.found_at }
  end
  args[#args] = 10
  local runs = {}
  for _, r in ipairs(store.rows("SELECT * FROM reconciliation_runs WHERE " .. where .. " ORDER BY id DESC LIMIT ?",
      table.unpack(args))) do
    runs[#runs + 1] = { id = r.id, connection_id = r.connection_id, state = r.state, started_at = r.started_at,
      finished_at = opt(r.finished_at), checked = r.checked, drift = r.drift, error = opt(r.error),
      phase = opt(r.phase), listed = r.listed }
  end
  return 200, json.encode({ data = json.array(data), runs = json.array(runs) }), JSON_HEADERS
end

---------------------------------------------------------------- plugin

-- The api plugin's events (levy.events; plugins/api/handler.lua says what each carries): a
-- change of a region, product, customer or a connection's own region or settings re-checks
-- the documents it touches as a bulk run (bulk.lua), answered at once as {id, documents,
-- state}; the bulk run and its job commit with the caller's change when it emits inside a
-- transaction, and before the caller's answer in any case.
local events = {
  ["api.product_changed"] = function(e) return bulk.start("product", e.id, true) end,
  ["api.customer_changed"] = function(e) return bulk.start("customer", e.id, true) end,
  ["api.region_changed"] = function(e) return bulk.start("region", e.code, true) end,
  -- a connection's own region or tax settings (seller address, rounding) changed: that
  -- connection's documents only
  ["api.connection_region_changed"] = function(e)
    local cid, code = e.connection_id, e.code
    if type(cid) ~= "string" or type(code) ~= "string" or cid:find("%s") or code:find("%s") then
      return { id = json.null, documents = 0, state = "done" }
    end
    return bulk.start("connection_region", cid .. " " .. code, true)
  end,
  ["api.connection_settings_changed"] = function(e) return bulk.start("connection_settings", e.connection_id, true) end,
  -- a global tax setting changed (default_customer_type, pickup_offered; issue 19; both
  -- remote-seller elections at once, us_al_ssut: law24): every connection's documents
  ["api.settings_changed"] = function(e)
    if e.key ~= "default_customer_type" and e.key ~= "pickup_offered" and e.key ~= "us_al_ssut" then
      return { id = json.null, documents = 0, state = "done" }
    end
    return bulk.start("settings", e.key, true)
  end,
  -- PUT /v1/settings changed customer_data: read every customer's tax id / exemption again
  ["api.customer_data_changed"] = function() customers.request_remap() end,
  -- /v1/connections/{id}/regions and /settings (api): is it one of ours (not deleted)?
  ["api.connection_lookup"] = function(e)
    if type(e.id) == "string" and conn.get(e.id) then return true end
    return nil
  end,
  -- PUT /v1/customers/{id} of a customer levy has not seen (customers.lua)
  ["api.customer_missing"] = function(e)
    local found, err = customers.fetch_any(e.id)
    if found then return { found = true } end
    return { found = false, status = err.status, code = err.code, message = err.message }
  end,
}

local exports = {
  -- the connection routes below, and the admin plugin's demo (connect flow)
  connection_create = conn.create,
  connection_subsidiary = conn.set_subsidiary,
  connection_secret = conn.set_secret,
  connection_api_key = conn.set_api_key,
  connection_import = conn.import_now,
  connection_get = function(id) return conn.view(conn.must(id)) end,
  connection_list = conn.list,
  connection_delete = conn.delete,
  connection_sync = conn.sync_now,
  connection_reconcile = reconcile.start,
  connection_scope = conn.set_scope,
  connection_backfill = backfill.request,
  connection_backfills = backfill.list,
  connection_backfill_preview = backfill.get_preview,
  log_ready = function() log.info("rillet plugin ready", {}) end,
  -- for the reports plugin: its rows of this plugin's tables (report_rows.lua)
  report_accepted_writes = report_rows.accepted_writes,
  report_calculated_documents = report_rows.calculated_documents,
  report_calculation_result = report_rows.calculation_result,
  report_calculation = report_rows.calculation,
  report_calculations = report_rows.calculations,
  report_collected_sums = report_rows.collected_sums,
  report_filing_documents = report_rows.filing_documents,
  report_oss_sums = report_rows.oss_sums,
  report_filing_sums = report_rows.filing_sums,
  -- a region filter's own taxes (region_filter.lua: CA-QC counts the QST, CA the GST/HST):
  -- whether a tax row counts, and a result's figures (reports' filing.figures) kept to them
  report_region_tax_in = function(region, tax_type, code)
    return region_filter.tax_in(region_filter.scope(region), tax_type, code)
  end,
  report_region_figures = function(region, f) return region_filter.figures(region_filter.scope(region), f) end,
  -- the sums kept on write (filing_sums.lua: the filing summary's, the liability report's
  -- collected sums, the not-collected candidates): their state and last check, a check
  -- (compares every month and every document with the documents' rows, per kind), a rebuild
  -- from scratch (followed by a check)
  report_filing_sums_status = filing_sums.check_status,
  -- req: the request, for the audit log's row (issue 20)
  report_filing_sums_check = function(req) return filing_sums.start_check(req) end,
  report_filing_sums_rebuild = function(req)
    filing_sums.start_rebuild(true, req)
    return filing_sums.check_status()
  end,
  report_not_collected_candidates = report_rows.not_collected_candidates,
  report_shipped_documents = report_rows.shipped_documents,
  report_shipped_us_documents = report_rows.shipped_us_documents,
  report_shipped_foreign_documents = report_rows.shipped_foreign_documents,
  report_shipped_us_days = report_rows.shipped_us_days,
  -- customers: JSON array of the marketplace customers' ids (reports plugin); share: per mille
  report_us_days_track = report_rows.us_days_track,
}

-- A JSON object body (the connection routes), else 415 / 400 invalid_json.
local body = lutil.body_object

-- The metric families this plugin publishes: their # HELP text (docs/operations.md section 7;
-- levy_webhook_deliveries_total, which the core's intake gate counts too, is the core's).
-- The write-back outcomes an alert watches start at 0, so increase() sees the first one.
local METRICS = {
  { "levy_writebacks_total", "counter", "Tax write-backs to Rillet, by outcome (written, retry, failed, " ..
    "unverified, superseded, deleted, key_read_only)." },
  { "levy_calculation_duration_seconds", "histogram", "Time to calculate the tax of an imported document, by source." },
  { "levy_rillet_requests_total", "counter", "Requests levy sent to Rillet, by endpoint (method and path " ..
    "template) and status class (2xx, 3xx, 4xx, 5xx; error = no answer)." },
  { "levy_rillet_request_duration_seconds", "histogram", "Duration of requests to Rillet, by endpoint." },
  { "levy_reconciliation_drift_total", "counter", "Documents reconciliation found to differ from what levy " ..
    "last wrote, by action (repaired = written again or recalculated, flagged = left as drift, " ..
    "deleted = gone in Rillet, imported = missing in levy)." },
  { "levy_reconciliation_last_drift", "gauge", "Differences the last finished reconciliation run of each " ..
    "connection found." },
  { "levy_connection_health", "gauge", "1 for the health state each connection is in, 0 for the others." },
  { "levy_documents_waiting_generation_total", "counter", "Documents that began waiting for a replica on " ..
    "the newer rules: a newer generation calculated them, they changed since, and only replicas on an " ..
    "older generation ran their calculation (a rollout stuck half-way)." },
  { "levy_inbox_pruned_total", "counter", "Processed webhook bodies deleted from the inbox after the retention." },
  { "levy_report_sums_mismatches", "gauge", "Differences the last finished check of the sums kept on write found " ..
    "against the documents, by kind (filing, liability, not_collected); POST /v1/reports/filing/sums/rebuild " ..
    "repairs them." },
}

-- A job's settings (docs/plugins.md "jobs"): a connector job retries up to 1000 times, one at a
-- time, backing off from 1 s to 1 min, unless its row says otherwise.
local function job(t)
  t.max_attempts = t.max_attempts or 1000
  t.concurrency = t.concurrency or 1
  t.base_delay_ms = t.base_delay_ms or 1000
  t.max_delay_ms = t.max_delay_ms or 60000
  return t
end

-- A connect-flow route over the export exports[name](id[, body]) (conn.lua and the others),
-- answering status with what it returns.
local function conn_route(status, name, with_body)
  return function(req)
    -- req last: the audit log's actor and request id (levy.audit, issue 20)
    if with_body then return status, exports[name](req.params.id, body(req), req) end
    return status, exports[name](req.params.id, nil, req)
  end
end

local function on_start()
  for _, m in ipairs(METRICS) do metrics.describe(m[1], m[2], m[3]) end
  for _, r in ipairs({ "written", "retry", "failed", "unverified" }) do
    metrics.inc("levy_writebacks_total", { result = r }, 0)
  end
  metrics.inc("levy_documents_waiting_generation_total", {}, 0)
  reconcile.publish_drift()
  filing_sums.on_start()
end

return {
  name = "rillet",
  version = "0.1.0",
  on_start = on_start,
  -- the tables this plugin's migrations create: no other plugin may use them (docs/plugins.md)
  tables = {
    "connections", "inbox", "invoices", "credit_memos", "calculations", "writebacks",
    "history", "sync_checkpoints", "rillet_rate", "rillet_rate_log", "sync_watermarks",
    "reconciliation_runs", "reconciliation", "reconciliation_seen", "backfills", "bulk_runs",
    "inbox_seen", "rillet_fields", "rillet_calc_sales", "rillet_calc_taxes", "rillet_calc_heads",
    "rillet_filing_docs", "rillet_filing_sums", "rillet_filing_state", "rillet_nc_docs",
    "rillet_liab_docs", "rillet_check_parts", "rillet_nc_months", "rillet_nc_memo",
    "rillet_conn_doc_counts", "rillet_us_days", "rillet_recount", "rillet_us_days_track", "rillet_us_days_cust",
  },
  events = events,
  routes = {
    { method = "POST", path = "/webhooks/rillet/{connection_id}", auth = "none", handler = intake, fast = INTAKE },
    { method = "GET", path = "/v1/invoices", auth = "token", handler = list_docs("invoice") },
    { method = "GET", path = "/v1/invoices/{id}", auth = "token", handler = get_doc("invoice") },
    { method = "POST", path = "/v1/invoices/{id}/recalculate", auth = "token", handler = recalculate("invoice") },
    { method = "GET", path = "/v1/credit-memos", auth = "token", handler = list_docs("credit_memo") },
    { method = "GET", path = "/v1/credit-memos/{id}", auth = "token", handler = get_doc("credit_memo") },
    { method = "POST", path = "/v1/credit-memos/{id}/recalculate", auth = "token", handler = recalculate("credit_memo") },
    { method = "GET", path = "/v1/reconciliation", auth = "token", handler = list_reconciliation },
    { method = "GET", path = "/v1/bulk", auth = "token", handler = bulk.list },
    { method = "GET", path = "/v1/bulk/{id}", auth = "token", handler = bulk.get },
    -- the connect flow (CONTRACT §2.3), over conn.lua, backfill.lua, reconcile.lua. Setting or
    -- re-entering a secret (the API key, the webhook signing token) is an admin's (admin23):
    -- a full token's key or token would outlive its revocation (403 admin_required, audited)
    { method = "POST", path = "/v1/connections", auth = "admin",
      handler = function(req) return 201, exports.connection_create(body(req), nil, req) end },
    { method = "GET", path = "/v1/connections", auth = "token",
      handler = function() return 200, { data = json.array(exports.connection_list()), next_cursor = json.null } end },
    { method = "GET", path = "/v1/connections/{id}", auth = "token",
      handler = conn_route(200, "connection_get") },
    { method = "DELETE", path = "/v1/connections/{id}", auth = "token",
      handler = function(req) exports.connection_delete(req.params.id, req); return 204, "" end },
    { method = "POST", path = "/v1/connections/{id}/subsidiary", auth = "token",
      handler = conn_route(200, "connection_subsidiary", true) },
    { method = "POST", path = "/v1/connections/{id}/webhook-secret", auth = "admin",
      handler = conn_route(200, "connection_secret", true) },
    { method = "POST", path = "/v1/connections/{id}/api-key", auth = "admin",
      handler = conn_route(200, "connection_api_key", true) },
    { method = "POST", path = "/v1/connections/{id}/import", auth = "token",
      handler = conn_route(202, "connection_import") },
    { method = "PATCH", path = "/v1/connections/{id}", auth = "token",
      handler = conn_route(200, "connection_scope", true) },
    { method = "POST", path = "/v1/connections/{id}/backfill", auth = "token",
      handler = function(req) return exports.connection_backfill(req.params.id, body(req), req.query, req) end },
    { method = "GET", path = "/v1/connections/{id}/backfill", auth = "token",
      handler = conn_route(200, "connection_backfills") },
    { method = "GET", path = "/v1/connections/{id}/backfill/previews/{preview_id}", auth = "token",
      handler = function(req)
        return 200, exports.connection_backfill_preview(req.params.id, req.params.preview_id)
      end },
    { method = "POST", path = "/v1/connections/{id}/sync", auth = "token",
      handler = conn_route(202, "connection_sync") },
    { method = "POST", path = "/v1/connections/{id}/reconcile", auth = "token",
      handler = conn_route(202, "connection_reconcile") },
    -- "recount kept sums" (recount.lua): every table kept from the documents rebuilt from
    -- them, a chunk a job run; its progress and what it found wrong (the UI's Settings page,
    -- levy recount)
    { method = "GET", path = "/v1/store/recount", auth = "token", handler = function() return 200, recount.status() end },
    { method = "POST", path = "/v1/store/recount", auth = "token",
      handler = function(req) return 202, recount.start(req) end },
  },
  jobs = {
    ["rillet.import"] = job{ run = sync.import, concurrency = 2, max_delay_ms = 300000 },
    ["rillet.sweep"] = job{ run = sync.sweep, concurrency = 2, max_delay_ms = 300000 },
    ["rillet.process_inbox"] = job{ run = sync.process_inbox, base_delay_ms = 500 },
    ["rillet.calculate"] = job{ run = writeback.calculate, max_attempts = 10, concurrency = 4, base_delay_ms = 500 },
    -- low priority: runs only while no live work is due (backfill.lua)
    ["rillet.backfill"] = job{ run = backfill.run },
    -- a backfill preview too large for one request (backfill.lua): reads the store only
    ["rillet.backfill_preview"] = job{ run = backfill.run_preview, max_attempts = 100 },
    ["rillet.writeback"] = job{ run = writeback.writeback, concurrency = 8, max_delay_ms = 300000 },
    -- bulk re-checks (region, product, customer, tax scope changes): BATCH documents a run
    ["rillet.bulk"] = job{ run = bulk.run },
    -- custom fields or the customer_data setting changed: every customer read again
    ["rillet.customers_remap"] = job{ run = customers.remap, max_attempts = 100 },
    -- the filing summary's kept sums: the rebuild after migration 0017 (or an operator's) and
    -- the check, a batch a run (filing_sums.lua)
    ["rillet.filing_sums"] = job{ run = filing_sums.job(report_rows.filing_sums_sql, report_rows.collected_sums_sql,
      report_rows.warm_nc_memo),
      max_attempts = 100 },
    -- the recount of every kept table (recount.lua): chunks, resumable; it counts its own
    -- failures (MAX_ATTEMPTS), a retry for the next chunk is not one
    ["rillet.recount"] = job{ run = recount.job, max_attempts = 100 },
    ["rillet.reconcile"] = job{ run = reconcile.run, max_delay_ms = 300000 },
  },
  -- secrets sealed with levy.crypto.seal, AAD = id .. ":" .. field (levy rotate-master-key)
  sealed = {
    { table = "connections", key = "id",
      columns = { api_key_sealed = "api_key", signing_token_sealed = "signing_token" } },
  },
  -- every --schedule-tick seconds (default 60): is a sweep (sync.lua) or a reconciliation
  -- (reconcile.lua) due by the settings' intervals, and a pass of the inbox prune
  schedule = {
    { name = "rillet.sweep_tick", every_ms = TICK_MS, run = sync.tick },
    { name = "rillet.reconcile_tick", every_ms = TICK_MS, run = reconcile.tick },
    -- processed webhook bodies older than --inbox-retention-days leave the inbox (inbox.lua)
    { name = "rillet.inbox_prune_tick", every_ms = TICK_MS, run = inbox.prune },
    -- the kept report sums' daily check (filing_sums.lua: one replica starts it) and its gauge
    { name = "rillet.sums_check_tick", every_ms = TICK_MS, run = filing_sums.tick },
  },
  exports = exports,
}
