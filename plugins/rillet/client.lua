-- Rillet REST client over levy.http.request: Bearer auth + X-Rillet-API-Version: 4,
-- cursor pagination, a rate limit per API key (60 requests / rolling 60 s; the bucket is
-- conn.key_bucket, a digest of the key, shared by every connection that uses it) kept in the store,
-- 429 / Retry-After, Idempotency-Key on POST and RFC 9457 problem+json parsing.
--
-- Every call returns `data, status, headers` on 2xx, or `nil, err` where err is
--   {kind="http", status=, title=, detail=, type=, message=, retryable=bool, retry_after_ms=}
--   {kind="transport", code=, message=, retryable=true}
--   {kind="rate", message=, retryable=true, retry_after_ms=}   (local bucket empty: call later)
-- with others_failing = true on a transport error or 5xx that followed another on the key (or,
-- for a write, on its writes) with nothing answered since: Rillet failing, not this request.
-- Never logs or returns the API key.
local http = require "levy.http"
local json = require "levy.json"
local store = require "levy.store"
local time = require "levy.time"
local log = require "levy.log"
local util = require "util"
local lutil = require "levy.util"
local config = require "levy.config"
local crypto = require "levy.crypto"
local health = require "health"
local metrics = require "levy.metrics"

local M = {}

-- The endpoint of a request path for metrics: ids (any segment other than a plain word, e.g.
-- a uuid) become {id}, so the label has a handful of values: "/invoices/{id}/taxes".
function M.endpoint(path)
  local out = {}
  for seg in tostring(path):gmatch("[^/?]+") do
    out[#out + 1] = (seg:match("^[%a_%-]+$") and #seg <= 40) and seg or "{id}"
  end
  return "/" .. table.concat(out, "/")
end

-- Rillet calls by endpoint and status class (2xx..5xx, "error" = no answer) and their
-- durations (docs/operations.md section 7).
local function count_call(method, path, status, started_ms)
  local ep = method .. " " .. M.endpoint(path)
  local class = status and (tostring(status // 100) .. "xx") or "error"
  metrics.inc("levy_rillet_requests_total", { endpoint = ep, status_class = class })
  metrics.observe("levy_rillet_request_duration_seconds", { endpoint = ep }, time.now_ms() - started_ms)
end

M.API_VERSION = "4"
M.PAGE_SIZE = 100
M.CAPACITY = 60        -- requests
M.WINDOW_MS = 61000    -- per rolling 60 s, plus 1 s of slack for latency / clock skew
M.CIRCUIT_FIRST = 3    -- consecutive transport errors / 5xx that open the circuit
M.CIRCUIT_MAX_MS = 60000
M.PROBE_HOLD_MS = 2000 -- others wait this long for the probe's outcome (its failure re-blocks)

-- Requests per window: --rillet-rate-limit / LEVY_RILLET_RATE_LIMIT (default 60, Rillet's
-- limit); 0 = no local limit (a mock without one). A 429 still blocks the bucket.
function M.capacity()
  local n = config.rillet_rate_limit
  if math.type(n) ~= "integer" or n < 0 then return M.CAPACITY end
  return n
end

-- Sliding window (the token bucket that never lets more than CAPACITY requests into any
-- window): returns 0 and records the request when one may be sent now, else the wait in
-- ms. Synchronous store statements only (no yield), so it is atomic on the event loop.
-- Circuit breaker (see M.outcome): once open, the bucket is blocked; when the block has
-- passed, the first request through is the probe and holds the others back (PROBE_HOLD_MS,
-- at most the next open interval) until its outcome is known. Returns true when this request is the probe.
local function circuit_probe(bucket, row, now)
  if not row or (row.circuit_open or 0) == 0 then return false end
  store.exec("UPDATE rillet_rate SET blocked_until_ms = ? WHERE bucket = ?",
    now + math.min(M.circuit_wait_ms(row.fail_streak + 1), M.PROBE_HOLD_MS), bucket)
  return true
end

-- Sliding window (the token bucket that never lets more than CAPACITY requests into any
-- window): returns 0 and records the request when one may be sent now, else the wait in
-- ms (second result: true for the circuit's probe; third: the failure streak when an open
-- circuit is what holds the request back). Synchronous store statements only (no
-- yield), so it is atomic on the event loop; and across processes (several replicas on one
-- PostgreSQL, one budget per API key): the first statement writes the bucket's row, which
-- locks it until the transaction ends, so a second process's take on the same bucket waits
-- and then counts the window with this one's request in it. Without the lock each replica
-- counted the window while the others' requests were uncommitted and all of them took the
-- last token (reliab_replicas_rate: 9 requests in a window of 8). On SQLite the
-- transaction's write lock does the same.
function M.take_token(bucket)
  local now = time.now_ms()
  local cap = M.capacity()
  return store.transaction(function()
    -- (rows, not row: the statement is stepped to its end)
    local row = store.rows("INSERT INTO rillet_rate(bucket, tokens, updated_ms, blocked_until_ms) VALUES (?, 0, ?, 0) " ..
      "ON CONFLICT(bucket) DO UPDATE SET updated_ms = excluded.updated_ms " ..
      "RETURNING blocked_until_ms, fail_streak, circuit_open", bucket, now)[1]
    if row and row.blocked_until_ms > now then
      return row.blocked_until_ms - now, false, row.circuit_open == 1 and row.fail_streak or nil
    end
    if cap == 0 then -- no local window: only a 429's Retry-After or the circuit hold requests back
      return 0, circuit_probe(bucket, row, now)
    end
    store.exec("DELETE FROM rillet_rate_log WHERE bucket = ? AND at_ms <= ?", bucket, now - M.WINDOW_MS)
    local c = store.row("SELECT count(*) AS n, min(at_ms) AS oldest FROM rillet_rate_log WHERE bucket = ?", bucket)
    if cap > 0 and c.n >= cap then
      local wait = c.oldest + M.WINDOW_MS - now
      return wait > 0 and wait or 1
    end
    store.exec("INSERT INTO rillet_rate_log(bucket, at_ms) VALUES (?, ?)", bucket, now)
    return 0, circuit_probe(bucket, row, now)
  end)
end

-- Open interval for a failure streak: min(60 s, 1 s * 2^(streak - 3)) plus up to 10 % jitter.
function M.circuit_wait_ms(streak)
  local e = streak - M.CIRCUIT_FIRST
  if e < 0 then e = 0 end
  local w = M.CIRCUIT_MAX_MS
  if e < 16 then w = math.min(M.CIRCUIT_MAX_MS, 1000 * (1 << e)) end
  local b = crypto.random(2)
  return w + ((b:byte(1) << 8) | b:byte(2)) % (w // 10 + 1)
end

-- Outcome of a request sent on a bucketed client: failed = transport error or 5xx. From the
-- CIRCUIT_FIRST-th consecutive failure on, the circuit opens (the bucket is blocked for
-- circuit_wait_ms); while open, only the probe's failure lengthens it (requests that were in
-- flight when it opened do not count). Any other answer (2xx/3xx/4xx) closes it.
-- Returns the ms until the circuit lets the next request through when it is open after a
-- failure, else nil; second result: the failure streak before this outcome (0 = the previous
-- request on this circuit was answered).
function M.outcome(bucket, failed, probe)
  local now = time.now_ms()
  return store.transaction(function()
    local row = store.row("SELECT fail_streak, circuit_open FROM rillet_rate WHERE bucket = ?", bucket)
    local before = row and row.fail_streak or 0
    if not failed then
      if not row or (row.fail_streak == 0 and row.circuit_open == 0) then return end
      if row.circuit_open == 1 then
        store.exec("UPDATE rillet_rate SET fail_streak = 0, circuit_open = 0, blocked_until_ms = 0 WHERE bucket = ?", bucket)
        log.info("rillet circuit closed", { bucket = bucket, failures = row.fail_streak })
      else
        store.exec("UPDATE rillet_rate SET fail_streak = 0 WHERE bucket = ?", bucket)
      end
      return
    end
    local open = row and row.circuit_open == 1
    if open and not probe then
      local b = store.row("SELECT blocked_until_ms FROM rillet_rate WHERE bucket = ?", bucket)
      return math.max(b.blocked_until_ms - now, 1), before
    end
    local streak = (row and row.fail_streak or 0) + 1
    store.exec("INSERT INTO rillet_rate(bucket, tokens, updated_ms, blocked_until_ms, fail_streak) " ..
      "VALUES (?, 0, ?, 0, ?) ON CONFLICT(bucket) DO UPDATE SET fail_streak = excluded.fail_streak",
      bucket, now, streak)
    if streak >= M.CIRCUIT_FIRST then
      local wait = M.circuit_wait_ms(streak)
      store.exec("UPDATE rillet_rate SET circuit_open = 1, blocked_until_ms = ? WHERE bucket = ?", now + wait, bucket)
      if not open then
        log.warn("rillet circuit open", { bucket = bucket, failures = streak, wait_ms = wait })
      end
      return wait, before
    end
    return nil, before
  end)
end

-- The writes' circuit of a bucket (its own rillet_rate row, bucket .. WRITE_CIRCUIT; no entries
-- in rillet_rate_log: the budget stays the bucket's). Writes (POST) feed both circuits, reads
-- only the bucket's: in an outage that refuses only writes (Rillet's write path down, its reads
-- up) a successful read closed the one circuit, and every read let a burst of doomed writes out
-- again, whose failures then counted as the documents' attempts. Here only a write's answer
-- closes the writes' circuit: while it is open writes wait (one write probe per interval, up
-- to CIRCUIT_MAX_MS), whatever the reads do.
M.WRITE_CIRCUIT = ":writes"

-- Before a write, like take_token: 0 and whether this write is the writes' circuit's probe, or
-- the wait in ms while the writes' circuit holds writes back, false and its failure streak.
function M.write_gate(wbucket)
  local now = time.now_ms()
  return store.transaction(function()
    local row = store.row("SELECT blocked_until_ms, fail_streak, circuit_open FROM rillet_rate WHERE bucket = ?",
      wbucket)
    if not row then return 0, false end
    if row.blocked_until_ms > now then return row.blocked_until_ms - now, false, row.fail_streak end
    return 0, circuit_probe(wbucket, row, now)
  end)
end

-- Rillet said 429: block the bucket until Retry-After has passed.
function M.block(bucket, wait_ms)
  local now = time.now_ms()
  store.exec("INSERT INTO rillet_rate(bucket, tokens, updated_ms, blocked_until_ms) VALUES (?, 0, ?, ?) " ..
    "ON CONFLICT(bucket) DO UPDATE SET blocked_until_ms = CASE WHEN rillet_rate.blocked_until_ms > " ..
    "excluded.blocked_until_ms THEN rillet_rate.blocked_until_ms ELSE excluded.blocked_until_ms END",
    bucket, now, now + wait_ms)
end

-- Retry-After: delta-seconds or an HTTP date. Returns ms or nil.
function M.retry_after_ms(headers)
  local v = headers and headers["retry-after"]
  if not v then return nil end
  v = lutil.trim(tostring(v))
  -- delta-seconds: at most 9 digits (a longer one would not be an integer in Lua; found by
  -- tests/fuzz/fuzz_rillet_mapping.c), capped at a day
  local digits = v:match("^(%d+)$")
  if digits then
    if #digits > 9 then return 86400000 end
    return math.min(math.tointeger(tonumber(digits)), 86400) * 1000
  end
  -- IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT" (fixed field widths: an overlong field
  -- made string.format raise)
  local d, mon, y, hh, mm, ss = v:match("^%a+, (%d%d?) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  if d then
    local months = {Jan=1,Feb=2,Mar=3,Apr=4,May=5,Jun=6,Jul=7,Aug=8,Sep=9,Oct=10,Nov=11,Dec=12}
    local m = months[mon]
    if m then
      local iso = string.format("%04d-%02d-%02dT%02d:%02d:%02dZ", tonumber(y), m, tonumber(d),
        tonumber(hh), tonumber(mm), tonumber(ss))
      local at = time.parse_iso(iso)
      if at then
        local w = at - time.now_ms()
        return w > 0 and w or 0
      end
    end
  end
  return nil
end

-- Problem details (RFC 9457) -> err table.
local function http_error(status, headers, body)
  local p = util.decode_obj(body) or {}
  local title = type(p.title) == "string" and p.title or nil
  local detail = type(p.detail) == "string" and p.detail or nil
  local msg = "Rillet answered " .. status
  if title then msg = msg .. " " .. title end
  if detail then msg = msg .. ": " .. detail end
  return {
    kind = "http", status = status, title = title, detail = detail,
    type = type(p.type) == "string" and p.type or nil,
    message = msg,
    retryable = status >= 500 or status == 408 or status == 409 or status == 429,
    retry_after_ms = M.retry_after_ms(headers),
  }
end

local Client = {}
Client.__index = Client

-- opts: base_url, api_key, bucket (nil = no rate limiting, e.g. the connect flow),
-- timeout_ms, connection (a connections row: Rillet's answers then feed its health, health.lua;
-- nil in the connect flow, where nothing is stored yet)
function M.new(opts)
  local base = tostring(opts.base_url or ""):gsub("/+$", "")
  local row = opts.connection
  return setmetatable({ base = base, key = opts.api_key, bucket = opts.bucket,
                        timeout_ms = opts.timeout_ms or 30000,
                        conn_id = row and row.id, key_problem = row and row.key_problem,
                        rate_count = row and row.rate_limited_count or 0 }, Client)
end

-- Rillet's answer as a health signal of the connection (health.lua): 401 → key_invalid, 403
-- → key_read_only on a write (key_invalid on a read), 429 → rate_limited; an accepted request
-- clears what it disproves. Only on a client made for a stored connection.
function Client:note(method, status, wait_ms, message)
  local id = self.conn_id
  if not id or not status then return end
  local write = method ~= "GET"
  if status == 401 or status == 403 then
    local kind = (status == 403 and write) and "read_only" or "invalid"
    health.key_refused(id, kind, message)
    self.key_problem = kind
  elseif status == 429 then
    health.rate_limited(id, wait_ms or 5000)
    self.rate_count = self.rate_count + 1
  elseif status >= 200 and status < 300 then
    if self.key_problem and health.key_accepted(id, self.key_problem, write) then self.key_problem = nil end
    if self.rate_count > 0 then health.rate_ok(id); self.rate_count = 0 end
  end
end

-- method, path (starting with "/"), query table or nil, body table or nil,
-- opts {idempotency_key=, request_id=}
function Client:request(method, path, query, body, opts)
  opts = opts or {}
  local probe, wprobe = false, false
  local wbucket = self.bucket and method ~= "GET" and (self.bucket .. M.WRITE_CIRCUIT) or nil
  if wbucket then
    local wait, wstreak
    wait, wprobe, wstreak = M.write_gate(wbucket)
    if wait > 0 then
      return nil, { kind = "rate", retryable = true, retry_after_ms = wait, circuit = true,
                    message = "writes held: circuit open after " .. tostring(wstreak) .. " consecutive " ..
                      "failed writes to Rillet (transport errors or 5xx); next write attempt in " .. wait .. " ms" }
    end
  end
  if self.bucket then
    local wait, streak
    wait, probe, streak = M.take_token(self.bucket)
    if wait > 0 then
      return nil, { kind = "rate", retryable = true, retry_after_ms = wait, circuit = streak and true or nil,
                    message = streak and ("circuit open after " .. streak .. " consecutive transport errors or 5xx " ..
                      "from Rillet; next attempt in " .. wait .. " ms")
                      or ("rate limit: waiting " .. wait .. " ms for a request token") }
    end
  end
  local headers = {
    ["Authorization"] = "Bearer " .. self.key,
    ["X-Rillet-API-Version"] = M.API_VERSION,
    ["Accept"] = "application/json",
  }
  local payload
  if body ~= nil then
    payload = type(body) == "string" and body or util.encode(body)
    headers["Content-Type"] = "application/json"
  end
  if opts.idempotency_key then headers["Idempotency-Key"] = opts.idempotency_key end
  if opts.request_id then headers["X-Request-Id"] = opts.request_id end
  local url = self.base .. path .. lutil.query(query or {})
  local started = time.now_ms()
  local status, rh, rb = http.request {
    method = method, url = url, headers = headers, body = payload, timeout_ms = self.timeout_ms,
  }
  count_call(method, path, status, started)
  local failed = not status or status >= 500
  local open_ms, before = nil, 0
  if self.bucket then open_ms, before = M.outcome(self.bucket, failed, probe) end
  if wbucket then
    local wopen_ms, wbefore = M.outcome(wbucket, failed, wprobe)
    open_ms = open_ms and wopen_ms and math.max(open_ms, wopen_ms) or open_ms or wopen_ms
    before = math.max(before or 0, wbefore or 0)
  end
  if open_ms then
    -- the circuit is open: the caller waits like for a rate-limit token (no attempt counted)
    local what = status and ("Rillet answered " .. status) or ("Rillet unreachable (" .. tostring(rb) .. ")")
    if status then log.info("rillet request failed", { method = method, path = path, status = status }) end
    return nil, { kind = "rate", circuit = true, retryable = true, retry_after_ms = open_ms, status = status,
                  message = what .. "; circuit open, next attempt in " .. open_ms .. " ms" }
  end
  -- others_failing: the request just before this one on the key (or, for a write, the write
  -- before it) failed too (transport error or 5xx, nothing answered since): Rillet is failing,
  -- not refusing this request in particular (writeback.lua counts no attempt of the document)
  local others_failing = failed and (before or 0) > 0 or nil
  if not status then
    -- rh is the message, rb the code on failure
    return nil, { kind = "transport", code = rb, retryable = true, others_failing = others_failing,
                  message = "Rillet unreachable (" .. tostring(rb) .. "): " .. tostring(rh) }
  end
  if status == 429 and self.bucket then
    M.block(self.bucket, M.retry_after_ms(rh) or 5000)
  end
  if status >= 200 and status < 300 then
    self:note(method, status)
    if rb == nil or rb == "" then return {}, status, rh end
    local data, derr = json.decode(rb, util.LENIENT)
    if data == nil and opts.any_body then return {}, status, rh end
    if data == nil then
      return nil, { kind = "http", status = status, retryable = true,
                    message = "Rillet answered " .. status .. " with invalid JSON: " .. tostring(derr) }
    end
    return data, status, rh
  end
  local err = http_error(status, rh, rb)
  err.others_failing = others_failing
  log.info("rillet request failed", { method = method, path = path, status = status })
  self:note(method, status, err.retry_after_ms or 5000, method .. " " .. path .. ": " .. err.message)
  return nil, err
end

function Client:get(path, query, opts) return self:request("GET", path, query, nil, opts) end
function Client:post(path, body, opts) return self:request("POST", path, nil, body, opts) end

-- One page of a list endpoint: returns items, next_cursor (or nil) | nil, err
function Client:page(path, list_key, params)
  local data, err = self:get(path, params)
  if not data then return nil, err end
  local items = lutil.nn(data[list_key])
  if type(items) ~= "table" then items = {} end
  local nc = nil
  local pg = lutil.nn(data.pagination)
  if type(pg) == "table" then
    local c = lutil.nn(pg.next_cursor)
    if type(c) == "string" and c ~= "" then nc = c end
  end
  return items, nc
end

return M
