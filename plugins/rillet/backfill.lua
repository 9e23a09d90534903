-- Back-taxing older documents as an explicit action (issue 16): POST /v1/connections/{id}/backfill
-- answers a preview (how many documents, how much tax) — inside the request for a small range,
-- else as a rillet.backfill_preview job the client polls — and with ?confirm=true records the
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
local audit = require "levy.audit"
local conn = require "conn"
local docs = require "docs"
local scope = require "scope"
local util = require "util"
local lutil = require "levy.util"

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

local amt = lutil.decimal_or_zero

-- The documents of [from, to] levy left alone (imported, not deleted, calculated, reason other
-- than written / no_tax_due / not_collecting), in rowid order per table.
local CANDIDATES = [[ WHERE connection_id = ? AND deleted = 0 AND reason IS NOT NULL
  AND reason NOT IN ('written', 'no_tax_due', 'not_collecting') AND doc_date >= ? AND doc_date <= ?]]
local ORDER = { "invoice", "credit_memo" }

-- How many documents a preview of [from, to] checks: one COUNT per table, counting at most
-- `cap` per table when given (a request only needs to know whether the range is small; the
-- full count of a large organisation is the preview job's first step).
local function count_candidates(cid, from, to, cap)
  local n = 0
  for _, dt in ipairs(ORDER) do
    local sql = "SELECT id FROM " .. docs.TYPES[dt].table .. CANDIDATES   -- (…) s: PostgreSQL 15 wants the alias
    if cap then
      n = n + store.row("SELECT count(*) AS n FROM (" .. sql .. " LIMIT ?) s", cid, from, to, cap + 1).n
    else
      n = n + store.row("SELECT count(*) AS n FROM (" .. sql .. ") s", cid, from, to).n
    end
  end
  return n
end

-- A preview's running totals: { from, to, documents, tax, rillet_tax_now, excluded }.
local function new_totals(from, to)
  return { from = from, to = to, documents = 0, tax = {}, rillet_tax_now = {}, excluded = {} }
end

-- Adds one candidate to the totals: `why` is the rule that would still stop it after a
-- backfill (nil: a backfill writes it; only `outside_window` documents can be).
local function add(t, r, why)
  if why then
    t.excluded[why] = (t.excluded[why] or 0) + 1
    return
  end
  t.documents = t.documents + 1
  local cur = r.currency
  if type(cur) == "string" and money.exponent(cur) then
    local ok1, tx = pcall(money.add, t.tax[cur] or "0", amt(r.levy_tax), cur)
    local ok2, hh = pcall(money.add, t.rillet_tax_now[cur] or "0", amt(r.rillet_taxed_amount), cur)
    if ok1 and ok2 then t.tax[cur], t.rillet_tax_now[cur] = tx, hh end
  end
end

-- Checks the candidates after cursors[table] (rowid) in rowid order, adding each to totals,
-- until none is left (returns true) or `more()` says stop (returns false). cursors is updated
-- as it goes; `checked` counts the documents looked at. Each check decodes the document and
-- runs every scope rule but the window (a backfill puts the date inside it).
local function scan(crow, t, cursors, more)
  local shadow = {}
  for k, v in pairs(crow) do shadow[k] = v end
  shadow.tax_from = nil
  local checked = 0
  for _, dt in ipairs(ORDER) do
    local T = docs.TYPES[dt]
    for r in store.query("SELECT rowid AS seq, id, status, raw, currency, levy_tax, rillet_taxed_amount, reason FROM " ..
        T.table .. CANDIDATES .. " AND rowid > ? ORDER BY rowid", crow.id, t.from, t.to, cursors[T.table] or 0) do
      if not more(checked) then return false, checked end
      local doc = util.decode_obj(r.raw) or {}
      local why = scope.decide(shadow, dt, { id = r.id, status = r.status }, doc)
      if not why and r.reason ~= "outside_window" then why = r.reason end
      add(t, r, why)
      cursors[T.table] = r.seq
      checked = checked + 1
    end
  end
  return true, checked
end

-- A preview of [from, to] inside the request when it fits: nil when the range holds more than
-- INLINE_MAX candidates or the check passes INLINE_SHARE of the request's Lua budget (then the
-- caller starts a preview job instead), else the totals.
M.INLINE_MAX = 400
M.INLINE_SHARE = 400   -- per mille of the request's budget (levy.time.budget_used)
M.JOB_SHARE = 100      -- per mille of a job run's budget (80 ms of CPU) before it saves its progress
M.JOB_BATCH = 2000     -- documents checked at most per job run

function M.preview(crow, from, to)
  if count_candidates(crow.id, from, to, M.INLINE_MAX) > M.INLINE_MAX then return nil end
  local t = new_totals(from, to)
  local finished = scan(crow, t, {}, function() return time.budget_used() < M.INLINE_SHARE end)
  if not finished then return nil end
  return t
end

---------------------------------------------------------------- previews as jobs

-- A preview too large for one request is a run in bulk_runs (kind "backfill_preview", target =
-- the connection id; `documents` = candidates to check, `done` = checked so far, the cursors per
-- table) computed by the rillet.backfill_preview job; its `reason` column holds the running
-- totals as JSON ({from, to, documents, tax, rillet_tax_now, excluded}) — bulk_runs keeps a
-- run's text there, and previews write no history. Progress: GET /v1/bulk/{id} like any bulk
-- run, the preview itself: GET /v1/connections/{id}/backfill/previews/{preview_id}.
local PREVIEW = "backfill_preview"

local function preview_view(b)
  local t = util.decode_obj(b.reason) or new_totals(nil, nil)
  local done = b.state == "done"
  local out = { id = b.id, status = done and "preview" or "previewing", from = t.from, to = t.to,
    checked = b.done, to_check = b.documents >= 0 and b.documents or json.null, documents = t.documents, tax = t.tax,
    rillet_tax_now = t.rillet_tax_now, excluded = t.excluded, created_at = b.created_at,
    finished_at = b.finished_at or json.null }
  if done then
    out.confirm = "POST again with ?confirm=true and this preview_id to write these documents"
  else
    out.poll = "GET /v1/connections/" .. b.target .. "/backfill/previews/" .. b.id
  end
  return out
end

local function start_preview(crow, from, to)
  -- the same range already being previewed: that run
  for _, b in ipairs(store.rows("SELECT * FROM bulk_runs WHERE kind = ? AND target = ? AND state = 'running' " ..
      "ORDER BY created_at DESC LIMIT 20", PREVIEW, crow.id)) do
    local t = util.decode_obj(b.reason)
    if t and t.from == from and t.to == to then return b end
  end
  local id = crypto.id("bfp_")
  -- documents = -1 until the job's first run has counted them (to_check null meanwhile)
  store.transaction(function()
    store.exec([[INSERT INTO bulk_runs(id, kind, target, force, reason, state, documents, created_at)
      VALUES (?,?,?,0,?, 'running', -1, ?)]], id, PREVIEW, crow.id, util.encode(new_totals(from, to)),
      time.iso(time.now_ms()))
    local jid = jobs.enqueue { kind = "rillet.backfill_preview", key = id, payload = { preview_id = id } }
    store.exec("UPDATE bulk_runs SET job_id = ? WHERE id = ?", jid, id)
  end)
  log.info("rillet backfill preview queued", { connection = crow.id, preview = id, from = from, to = to })
  return store.row("SELECT * FROM bulk_runs WHERE id = ?", id)
end

-- rillet.backfill_preview (key = preview id): checks documents until JOB_SHARE of the run's
-- budget or JOB_BATCH documents, saves totals and cursors, and re-queues itself until done.
-- A preview reads only levy's store (no Rillet request), so it never waits for live work.
function M.run_preview(job)
  local pid = (job.payload or {}).preview_id
  local b = store.row("SELECT * FROM bulk_runs WHERE id = ? AND kind = ?", pid, PREVIEW)
  if not b or b.state ~= "running" then return end
  local crow = conn.get(b.target)
  local t = util.decode_obj(b.reason)
  if not crow or not t then
    store.exec("UPDATE bulk_runs SET state = 'done', finished_at = ? WHERE id = ?", time.iso(time.now_ms()), pid)
    return
  end
  for _, k in ipairs({ "tax", "rillet_tax_now", "excluded" }) do if type(t[k]) ~= "table" then t[k] = {} end end
  if b.documents < 0 then
    -- first run: how many documents the preview checks (its progress' total)
    store.exec("UPDATE bulk_runs SET documents = ? WHERE id = ?", count_candidates(crow.id, t.from, t.to), pid)
    return jobs.retry(0, "backfill preview: documents counted")
  end
  local cursors = { invoices = b.cursor_invoices, credit_memos = b.cursor_credit_memos }
  local finished, checked = scan(crow, t, cursors, function(n)
    return n < M.JOB_BATCH and time.budget_used() < M.JOB_SHARE
  end)
  store.exec([[UPDATE bulk_runs SET reason = ?, cursor_invoices = ?, cursor_credit_memos = ?, done = done + ?,
    state = ?, finished_at = ? WHERE id = ?]], util.encode(t), cursors.invoices, cursors.credit_memos, checked,
    finished and "done" or "running", finished and time.iso(time.now_ms()) or nil, pid)
  if finished then
    log.info("rillet backfill preview done", { preview = pid, documents = t.documents })
    return
  end
  return jobs.retry(0, "backfill preview: " .. checked .. " more documents checked")
end

-- GET /v1/connections/{id}/backfill/previews/{preview_id}
function M.get_preview(id, pid)
  local crow = conn.must(id)
  local b = store.row("SELECT * FROM bulk_runs WHERE id = ? AND kind = ? AND target = ?", pid, PREVIEW, crow.id)
  if not b then http.error(404, "not_found", "unknown backfill preview") end
  return preview_view(b)
end

-- POST /v1/connections/{id}/backfill {"from","to"[,"preview_id"]} [?confirm=true or "confirm":true]
--   preview: 200 with the preview when the range is small enough to check inside the request,
--            else (or with ?async=true) 202 {status:"previewing", id, checked, to_check, poll}
--            (a preview job); with a preview_id: that preview (200 done, 202 still running);
--   confirm: 202 queued; a range too large to check inside the request needs the preview_id of
--            its finished preview (409 otherwise), whose totals the answer carries.
function M.request(id, body, query, req)
  local crow = conn.must(id)
  if not lutil.is_object(body) then http.error(400, "invalid_json", "body must be a JSON object") end
  for k in pairs(body) do
    if k ~= "from" and k ~= "to" and k ~= "confirm" and k ~= "preview_id" then invalid(tostring(k), "unknown field") end
  end
  local from, to = date_arg(body, "from"), date_arg(body, "to")
  if to < from then invalid("to", "must not be before from") end
  if (time.parse_iso(to .. "T00:00:00Z") - time.parse_iso(from .. "T00:00:00Z")) // 86400000 > M.MAX_DAYS then
    invalid("to", "the range may span at most " .. M.MAX_DAYS .. " days")
  end
  if body.confirm ~= nil and type(body.confirm) ~= "boolean" then invalid("confirm", "must be true or false") end
  if body.preview_id ~= nil and (type(body.preview_id) ~= "string" or body.preview_id == "") then
    invalid("preview_id", "must be the id of a preview of this range")
  end
  local q = query or {}
  if q.confirm ~= nil and q.confirm ~= "true" and q.confirm ~= "false" then
    http.error(422, "validation_failed", "invalid query", { { field = "confirm", message = "must be true or false" } })
  end
  local confirm = body.confirm == true or q.confirm == "true"
  if q.async ~= nil and q.async ~= "true" and q.async ~= "false" then
    http.error(422, "validation_failed", "invalid query", { { field = "async", message = "must be true or false" } })
  end
  if crow.status ~= "connected" and crow.status ~= "error" then
    http.error(409, "conflict", "the connection is not connected yet")
  end
  local pv
  if body.preview_id ~= nil then
    local b = store.row("SELECT * FROM bulk_runs WHERE id = ? AND kind = ? AND target = ?", body.preview_id,
      PREVIEW, crow.id)
    if not b then invalid("preview_id", "no preview of this connection has this id") end
    local v = preview_view(b)
    if v.from ~= from or v.to ~= to then invalid("preview_id", "the preview is of " .. tostring(v.from) ..
      " to " .. tostring(v.to) .. ", not of this range") end
    if not confirm then return v.status == "preview" and 200 or 202, v end
    if v.status ~= "preview" then
      http.error(409, "conflict", "the preview is still running (" .. v.checked .. " of " .. v.to_check ..
        " documents checked); confirm once it is done")
    end
    pv = { from = from, to = to, documents = v.documents, tax = v.tax, rillet_tax_now = v.rillet_tax_now,
           excluded = v.excluded, preview_id = v.id }
  elseif q.async == "true" and not confirm then
    -- ?async=true: always the job and its progress (the web UI), whatever the range's size
    return 202, preview_view(start_preview(crow, from, to))
  else
    pv = M.preview(crow, from, to)
    if not pv then
      if confirm then
        http.error(409, "conflict", "this range holds too many documents to check inside one request: " ..
          "preview it first (POST without confirm), then confirm with the preview's preview_id")
      end
      return 202, preview_view(start_preview(crow, from, to))
    end
  end
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
    audit.record(req, { action = "connection.backfill_confirmed", object_kind = "connection", object_id = crow.id,
                        label = "Rillet connection " .. crow.id,
                        changes = { backfill = { before = json.null, after = { id = bid, from = from, to = to,
                                                                                documents = pv.documents } } } })
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
  return jobs.count { kinds = { "rillet.process_inbox", "rillet.calculate", "rillet.writeback" },
                     states = { "running", "due" } } > 0
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
