-- Back-taxing older documents as an explicit action (issue 16): POST /v1/connections/{id}/backfill
-- answers a preview (how many documents, how much tax), and with ?confirm=true records the
-- range and starts the rillet.backfill job, which re-evaluates the documents a few at a time
-- and only while no live calculation, write-back or webhook processing is due.
local crypto = require "levy.crypto"
local http = require "levy.http"
local jobs = require "levy.jobs"
local json = require "levy.json"
local log = require "levy.log"
local money = require "levy.money"
local store = require "levy.store"
local time = require "levy.time"
local conn = require "conn"
local docs = require "docs"
local scope = require "scope"
local util = require "util"

local M = {}

M.BATCH = 5            -- documents queued per run
M.WAIT_MS = 1000       -- back off while live work is due
M.MAX_DAYS = 3660      -- a range longer than ten years is refused

local function invalid(field, message)
  http.error(422, "validation_failed", "request body is invalid", { { field = field, message = message } })
end

local function date_arg(body, f)
  local v = body[f]
  if type(v) ~= "string" or not v:match("^%d%d%d%d%-%d%d%-%d%d$") or not time.valid_date(v) then
    invalid(f, "required, a date YYYY-MM-DD")
  end
  return v
end

local function amt(v)
  if type(v) == "string" and money.is_decimal(v) then return v end
  return "0"
end

-- The documents of [from, to] levy left alone (imported, not deleted, calculated, reason other
-- than written / no_tax_due / not_collecting), each with the rule that would still stop it
-- after a backfill (nil: a backfill writes it; only `outside_window` documents can be).
local function candidates(crow, from, to, each)
  for doc_type, T in pairs(docs.TYPES) do
    for _, r in ipairs(store.rows("SELECT id, status, raw, currency, levy_tax, rillet_taxed_amount, reason FROM " ..
        T.table .. [[ WHERE connection_id = ? AND deleted = 0 AND reason IS NOT NULL
        AND reason NOT IN ('written', 'no_tax_due', 'not_collecting')
        AND doc_date >= ? AND doc_date <= ? ORDER BY rowid]], crow.id, from, to)) do
      local doc = util.decode_obj(r.raw) or {}
      -- every rule but the window (a backfill puts the date inside it)
      local shadow = {}
      for k, v in pairs(crow) do shadow[k] = v end
      shadow.tax_from = nil
      local why = scope.decide(shadow, doc_type, { id = r.id, status = r.status }, doc)
      if not why and r.reason ~= "outside_window" then why = r.reason end
      each(doc_type, r, why)
    end
  end
end

function M.preview(crow, from, to)
  local n, tax, held, excluded = 0, {}, {}, {}
  candidates(crow, from, to, function(_, r, why)
    if why then
      excluded[why] = (excluded[why] or 0) + 1
      return
    end
    n = n + 1
    local cur = r.currency
    if type(cur) == "string" and money.exponent(cur) then
      local ok1, t = pcall(money.add, tax[cur] or "0", amt(r.levy_tax), cur)
      local ok2, hh = pcall(money.add, held[cur] or "0", amt(r.rillet_taxed_amount), cur)
      if ok1 and ok2 then tax[cur], held[cur] = t, hh end
    end
  end)
  -- (an empty Lua table is encoded as {})
  return { from = from, to = to, documents = n, tax = tax, rillet_tax_now = held, excluded = excluded }
end

-- POST /v1/connections/{id}/backfill {"from","to"} [?confirm=true or "confirm":true]
function M.request(id, body, query)
  local crow = conn.must(id)
  if type(body) ~= "table" or body[1] ~= nil then http.error(400, "invalid_json", "body must be a JSON object") end
  for k in pairs(body) do
    if k ~= "from" and k ~= "to" and k ~= "confirm" then invalid(tostring(k), "unknown field") end
  end
  local from, to = date_arg(body, "from"), date_arg(body, "to")
  if to < from then invalid("to", "must not be before from") end
  if (time.parse_iso(to .. "T00:00:00Z") - time.parse_iso(from .. "T00:00:00Z")) // 86400000 > M.MAX_DAYS then
    invalid("to", "the range may span at most " .. M.MAX_DAYS .. " days")
  end
  if body.confirm ~= nil and type(body.confirm) ~= "boolean" then invalid("confirm", "must be true or false") end
  local q = query or {}
  if q.confirm ~= nil and q.confirm ~= "true" and q.confirm ~= "false" then
    http.error(422, "validation_failed", "invalid query", { { field = "confirm", message = "must be true or false" } })
  end
  local confirm = body.confirm == true or q.confirm == "true"
  if crow.status ~= "connected" and crow.status ~= "error" then
    http.error(409, "conflict", "the connection is not connected yet")
  end
  local pv = M.preview(crow, from, to)
  if not confirm then
    pv.status = "preview"
    pv.confirm = "POST again with ?confirm=true to write these documents"
    return 200, pv
  end
  local bid = crypto.id("bf_")
  local jid
  store.transaction(function()
    store.exec([[INSERT INTO backfills(id, connection_id, date_from, date_to, state, documents, created_at)
      VALUES (?,?,?,?, 'running', ?, ?)]], bid, crow.id, from, to, pv.documents, time.iso(time.now_ms()))
    jid = jobs.enqueue { kind = "rillet.backfill", key = bid, payload = { backfill_id = bid } }
  end)
  log.info("rillet backfill confirmed", { connection = crow.id, backfill = bid, from = from, to = to,
    documents = pv.documents })
  pv.status = "queued"
  pv.backfill_id = bid
  pv.job_id = jid
  return 202, pv
end

-- Is live work due (webhook processing, calculations, write-backs whose time has come)?
local function live_due()
  local r = store.row([[SELECT count(*) AS n FROM jobs WHERE kind IN ('rillet.process_inbox',
    'rillet.calculate', 'rillet.writeback') AND (state = 'running' OR (state = 'queued' AND run_at <= ?))]],
    time.now_ms())
  return r and r.n > 0
end

-- rillet.backfill (key = backfill id, concurrency 1)
function M.run(job)
  local bid = (job.payload or {}).backfill_id
  local b = store.row("SELECT * FROM backfills WHERE id = ?", bid)
  if not b or b.state ~= "running" then return end
  local crow = conn.get(b.connection_id)
  if not crow then
    store.exec("UPDATE backfills SET state = 'done', finished_at = ? WHERE id = ?", time.iso(time.now_ms()), bid)
    return
  end
  -- live work first: this job only adds a few documents when nothing live is due, and waits
  -- for them (their calculations and write-backs count as live work) before the next few
  if live_due() then return jobs.retry(M.WAIT_MS, "backfill waits for live work") end
  local left = M.BATCH
  local n = 0
  store.transaction(function()
    for _, dt in ipairs({ "invoice", "credit_memo" }) do
      local T = docs.TYPES[dt]
      local col = "cursor_" .. T.table
      if left > 0 then
        local rows = store.rows("SELECT rowid AS seq, id FROM " .. T.table .. [[ WHERE connection_id = ?
          AND deleted = 0 AND reason = 'outside_window' AND doc_date >= ? AND doc_date <= ? AND rowid > ?
          ORDER BY rowid LIMIT ?]], b.connection_id, b.date_from, b.date_to, b[col], left)
        for _, r in ipairs(rows) do
          docs.enqueue_calc(dt, r.id, "backfill " .. bid .. " (" .. b.date_from .. " to " .. b.date_to .. ")", true)
          store.exec("UPDATE backfills SET " .. col .. " = ? WHERE id = ?", r.seq, bid)
          n, left = n + 1, left - 1
        end
      end
    end
    store.exec("UPDATE backfills SET queued = queued + ? WHERE id = ?", n, bid)
    if n == 0 then
      store.exec("UPDATE backfills SET state = 'done', finished_at = ? WHERE id = ?", time.iso(time.now_ms()), bid)
    end
  end)
  if n == 0 then
    log.info("rillet backfill done", { backfill = bid, connection = b.connection_id })
    return
  end
  return jobs.retry(0, "backfill: " .. n .. " more documents queued")
end

-- The connection's backfills (GET /v1/connections/{id}/backfill).
function M.list(id)
  local crow = conn.must(id)
  local out = {}
  for _, r in ipairs(store.rows([[SELECT id, date_from, date_to, state, documents, queued, created_at,
      finished_at FROM backfills WHERE connection_id = ? ORDER BY created_at, id]], crow.id)) do
    out[#out + 1] = { id = r.id, from = r.date_from, to = r.date_to, state = r.state, documents = r.documents,
                      queued = r.queued, created_at = r.created_at, finished_at = r.finished_at or json.null }
  end
  return { data = json.array(out), next_cursor = json.null }
end

return M
