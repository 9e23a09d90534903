-- Reconciliation (issue 16): a scheduled, resumable, rate-limit-aware job that reads, per
-- document levy wrote tax onto (not deleted), what Rillet holds now and compares it with what
-- levy last wrote. Every difference becomes a row of `reconciliation` (GET /v1/reconciliation):
-- repaired (the document is stored as Rillet has it and recalculated; a write-back follows when
-- the tax differs) or flagged `drift` when levy must not write (a paid invoice).
local jobs = require "levy.jobs"
local json = require "levy.json"
local log = require "levy.log"
local metrics = require "levy.metrics"
local store = require "levy.store"
local time = require "levy.time"
local client = require "client"
local conn = require "conn"
local docs = require "docs"
local util = require "util"
local lutil = require "levy.util"
local scope = require "scope"
local writeback = require "writeback"
local filing_sums = require "filing_sums"

local M = {}

local nn = lutil.nn

M.DEFAULT_INTERVAL_MIN = 1440  -- nightly
M.PER_RUN = 2                  -- documents per job run, then it re-queues itself at once (small:
                               -- each is a GET, and every run of more than 2 goes through the resume)
M.HEADROOM = 3                 -- use at most 2/3 of the request window: live write-backs first

-- cid (optional): the connection, whose own settings may set another interval.
function M.interval_ms(cid)
  local api = docs.api()
  if api and api.settings then
    local ok, s = pcall(api.settings, cid)
    if ok and type(s) == "table" and math.type(s.reconcile_interval_minutes) == "integer"
      and s.reconcile_interval_minutes > 0 then
      return s.reconcile_interval_minutes * 60000
    end
  end
  return M.DEFAULT_INTERVAL_MIN * 60000
end

-- Requests in the current window of the connection's API key (shared with the key's other
-- connections) leave room for live work?
local function busy(crow)
  local cap = client.capacity()
  if cap == 0 then return false end
  local n = store.row("SELECT count(*) AS n FROM rillet_rate_log WHERE bucket = ? AND at_ms > ?",
    conn.bucket(crow) or crow.id, time.now_ms() - client.WINDOW_MS).n
  return n >= cap - cap // M.HEADROOM
end

-- Documents levy wrote before but now leaves alone because of their state in Rillet (paid,
-- credited, voided, in a closed period): a difference on them is flagged `drift`, not
-- rewritten.
local LEFT_ALONE = { paid_before_calculation = true, credited = true, voided = true, closed_period = true }

-- Documents in scope after (doc_type, id): levy wrote tax onto them, not deleted, and no
-- calculation or write-back of levy's own is under way (`written`, flagged `drift`, or
-- left alone with a LEFT_ALONE reason: e.g. a paid invoice levy wrote, edited since).
local ORDER = { "credit_memo", "invoice" }
local function next_docs(cid, after_type, after_id, n)
  local out = {}
  for _, dt in ipairs(ORDER) do
    if #out >= n then break end
    if not after_type or dt >= after_type then
      local T = docs.TYPES[dt]
      local rows = store.rows("SELECT id, number, status, levy_tax, rillet_taxed_amount, calculation_id, tax_status, reason FROM " ..
        T.table .. " WHERE connection_id = ? AND deleted = 0 AND written_at IS NOT NULL " ..
        "AND (tax_status IN ('written', 'drift') OR (tax_status = 'calculated' AND reason IN " ..
        "('paid_before_calculation', 'credited', 'voided', 'closed_period'))) AND id > ? ORDER BY id LIMIT ?",
        cid, (after_type == dt and after_id) or "", n - #out)
      for _, r in ipairs(rows) do r.doc_type = dt; out[#out + 1] = r end
    end
  end
  return out
end

-- the action label of levy_reconciliation_drift_total: flagged (left as drift), deleted (gone
-- in Rillet), imported (Rillet has it, levy did not), repaired (recalculated or written again)
local DRIFT_ACTION = { ["flagged drift"] = "flagged", ["marked deleted"] = "deleted",
                       ["imported, calculation queued"] = "imported" }

local function record(run, cid, r, rillet_tax, reason, action)
  store.exec([[INSERT INTO reconciliation(run_id, connection_id, doc_type, doc_id, number, rillet_tax, levy_tax,
    reason, action, found_at) VALUES (?,?,?,?,?,?,?,?,?,?)]], run.id, cid, r.doc_type, r.id, r.number,
    rillet_tax, r.levy_tax, reason, action, time.iso_ms(time.now_ms()))
  store.exec("UPDATE reconciliation_runs SET drift = drift + 1 WHERE id = ?", run.id)
  metrics.inc("levy_reconciliation_drift_total", { action = DRIFT_ACTION[action] or "repaired" })
  -- what Rillet holds restates a document in drift in the filing summary (filing_sums.lua)
  filing_sums.refresh(r.doc_type, r.id)
end

-- GET a document from Rillet: its copy; or, when Rillet answers 404, nil after marking it
-- deleted (how: the history's words) with a reconciliation row (why), counted as checked
-- when `counted`; or nil, err on another request error.
local function get_or_gone(c, crow, run, r, how, why, counted)
  local got, err = c:get(docs.TYPES[r.doc_type].path .. "/" .. r.id)
  if got then return got end
  if err.kind == "http" and err.status == 404 then
    store.transaction(function()
      docs.mark_deleted(r.doc_type, r.id, how)
      record(run, crow.id, r, nil, why, "marked deleted")
      if counted then store.exec("UPDATE reconciliation_runs SET checked = checked + 1 WHERE id = ?", run.id) end
    end)
    return nil
  end
  return nil, err
end

-- Compare one document with what Rillet holds. Returns nil, err on a request error.
local function check_one(c, crow, run, r)
  local got, err = get_or_gone(c, crow, run, r, "reconciliation: GET answers 404",
    "the document no longer exists in Rillet", true)
  if not got then
    if err then return nil, err end
    return true
  end
  local T = docs.TYPES[r.doc_type]
  local calc = r.calculation_id and store.row("SELECT result FROM calculations WHERE id = ?", r.calculation_id)
  local result = calc and util.decode_obj(calc.result)
  store.transaction(function()
    store.exec("UPDATE reconciliation_runs SET checked = checked + 1 WHERE id = ?", run.id)
    if not result or not writeback.differs(got, result) then return end
    local held = util.amount(got.taxed_amount)
    if r.tax_status == "drift" then
      -- flagged before: listed again only when what Rillet holds changed since
      local last = store.row([[SELECT rillet_tax FROM reconciliation WHERE doc_type = ? AND doc_id = ?
        ORDER BY id DESC LIMIT 1]], r.doc_type, r.id)
      if last and last.rillet_tax == held then
        docs.apply(crow, r.doc_type, got, "reconciliation")
        return
      end
    end
    local reason = "Rillet holds " .. tostring(held) .. " tax, levy last wrote " .. tostring(r.levy_tax)
    local status = nn(got.status)
    local outcome = docs.apply(crow, r.doc_type, got, "reconciliation")
    local left = docs.is_paid(r.doc_type, status) and "invoice paid: levy does not write paid invoices"
    if not left and LEFT_ALONE[r.reason or ""] then
      local row = store.row("SELECT reason, reason_detail FROM " .. T.table .. " WHERE id = ?", r.id) or {}
      if LEFT_ALONE[row.reason or ""] then
        left = tostring(scope.LABELS[row.reason] or row.reason) .. ": " .. tostring(row.reason_detail)
      end
    end
    if left then
      store.exec("UPDATE " .. T.table .. " SET tax_status = 'drift', last_error = ? WHERE id = ?",
        reason .. " (" .. left .. ")", r.id)
      scope.set(r.doc_type, r.id, "drift", reason .. " (" .. left .. ")")
      docs.history(r.doc_type, r.id, { kind = "reconciliation", outcome = "drift",
        message = reason .. "; " .. left .. ": flagged, not rewritten" })
      record(run, crow.id, r, held, reason .. "; " .. left, "flagged drift")
      return
    end
    local action
    if outcome == "updated" then
      action = "recalculated (the document changed in Rillet)"
    else
      docs.enqueue_calc(r.doc_type, r.id, "reconciliation: " .. reason, true)
      action = "write-back re-queued"
    end
    docs.history(r.doc_type, r.id, { kind = "reconciliation", outcome = "repair", message = reason .. "; " .. action })
    record(run, crow.id, r, held, reason, action)
  end)
  return true
end

M.PAGES_PER_RUN = 3            -- listing pages per job run (then it re-queues itself at once)

local LIST_PHASES = { list_invoices = "invoice", list_credit_memos = "credit_memo" }
local NEXT_PHASE = { list_invoices = "list_credit_memos", list_credit_memos = "check" }

-- A request error in a run -> the job's return values.
local function run_error(job, crow, run, err)
  if err.kind == "rate" then return jobs.retry(err.retry_after_ms, "rate limit") end
  if err.kind == "http" and (err.status == 401 or err.status == 403) then
    conn.set_error(crow.id, "invalid_api_key", "Rillet refused the API key: " .. err.message)
    store.exec("UPDATE reconciliation_runs SET state = 'failed', error = ?, finished_at = ? WHERE id = ?",
      err.message, time.iso_ms(time.now_ms()), run.id)
    store.exec("DELETE FROM reconciliation_seen WHERE run_id = ?", run.id)
    return
  end
  return jobs.retry(err.retry_after_ms or writeback.backoff_ms(math.min(job.attempts or 1, 8)),
    "reconciliation: " .. tostring(err.message))
end

local function reload(run)
  return store.row("SELECT * FROM reconciliation_runs WHERE id = ?", run.id)
end

-- Listing phase: one page of every invoice / credit memo of the subsidiary (no updated.gt, so
-- it sees what every lost delivery and the sweep's watermark could hide). Each is marked seen;
-- a document levy did not have is imported and listed as a difference. Returns true, or nil,
-- err on a request error.
local function list_page(c, crow, run, dt)
  local T = docs.TYPES[dt]
  local items, nc = c:page(T.path, T.list_key, { subsidiary_id = crow.subsidiary_id, limit = "100",
                                                 cursor = run.list_cursor })
  if not items then return nil, nc end
  store.transaction(function()
    for _, item in ipairs(items) do
      local id = type(item) == "table" and nn(item.id)
      if type(id) == "string" then
        store.exec("INSERT INTO reconciliation_seen(run_id, doc_type, doc_id) VALUES (?,?,?) ON CONFLICT DO NOTHING",
          run.id, dt, id)
        -- documents levy holds are compared by the check phase (those it wrote) and kept
        -- current by deliveries and the sweep; one levy never received is imported here
        local known = store.row("SELECT 1 AS x FROM " .. T.table .. " WHERE id = ?", id)
        if not known and docs.apply(crow, dt, item, "reconciliation") == "created" then
          local r = store.row("SELECT id, number, levy_tax FROM " .. T.table .. " WHERE id = ?", id) or { id = id }
          r.doc_type = dt
          local why = "levy had not seen this document (every delivery of it was lost)"
          record(run, crow.id, r, util.amount(item.taxed_amount), why, "imported, calculation queued")
          docs.history(dt, id, { kind = "reconciliation", outcome = "repair", message = why })
        end
      end
    end
    local phase = run.phase
    if nc == nil then phase = NEXT_PHASE[run.phase] end
    store.exec("UPDATE reconciliation_runs SET list_cursor = ?, phase = ?, listed = listed + ? WHERE id = ?",
      nc, phase, #items, run.id)
  end)
  return true
end

-- Documents levy holds (not deleted) that this run's complete listing did not show. One
-- created in Rillet after the listing went past it is read too (GET answers it: applied).
local function missing_docs(cid, run, n)
  local out = {}
  for _, dt in ipairs(ORDER) do
    if #out >= n then break end
    local T = docs.TYPES[dt]
    local rows = store.rows("SELECT d.id, d.number, d.status, d.levy_tax, d.tax_status FROM " .. T.table ..
      " d WHERE d.connection_id = ? AND d.deleted = 0 AND NOT EXISTS " ..
      "(SELECT 1 FROM reconciliation_seen s WHERE s.run_id = ? AND s.doc_type = ? AND s.doc_id = d.id) " ..
      "ORDER BY d.id LIMIT ?", cid, run.id, dt, n - #out)
    for _, r in ipairs(rows) do r.doc_type = dt; out[#out + 1] = r end
  end
  return out
end

-- A document the listing did not show: GET it. 404 -> deleted in Rillet (marked deleted, a
-- reconciliation row, history); a copy -> applied (it exists: the listing missed it).
local function check_missing(c, crow, run, r)
  local got, err = get_or_gone(c, crow, run, r, "reconciliation: not in Rillet's listing, GET answers 404",
    "the document no longer exists in Rillet (its DELETED delivery never reached levy)", false)
  if not got then
    if err then return nil, err end
    return true
  end
  store.transaction(function()
    store.exec("INSERT INTO reconciliation_seen(run_id, doc_type, doc_id) VALUES (?,?,?) ON CONFLICT DO NOTHING",
      run.id, r.doc_type, r.id)
    docs.apply(crow, r.doc_type, got, "reconciliation")
  end)
  return true
end

local function finish_run(cid, run)
  store.transaction(function()
    store.exec("UPDATE reconciliation_runs SET state = 'done', finished_at = ?, list_cursor = NULL WHERE id = ?",
      time.iso_ms(time.now_ms()), run.id)
    store.exec("DELETE FROM reconciliation_seen WHERE run_id = ?", run.id)
  end)
  log.info("rillet reconciliation done", { connection = cid, run = run.id })
  M.publish_drift()
end

-- rillet.reconcile (key = connection id): one run, resumable from its cursor. Phases: list
-- every invoice, then every credit memo (applying each copy); check the documents levy wrote
-- against a fresh GET each; read the documents the listing did not show (deletions). A run
-- started before the listing existed (phase NULL) only checks.
function M.run(job)
  local cid = (job.payload or {}).connection_id
  local crow = conn.get(cid)
  if not crow or not crow.api_key_sealed or crow.import_state ~= "done" then return end
  local run = store.row("SELECT * FROM reconciliation_runs WHERE connection_id = ? AND state = 'running' ORDER BY id DESC LIMIT 1", cid)
  if not run then
    local now = time.now_ms()
    store.exec([[INSERT INTO reconciliation_runs(connection_id, state, started_at, started_ms, checked, drift, phase)
      VALUES (?, 'running', ?, ?, 0, 0, 'list_invoices')]], cid, time.iso_ms(now), now)
    run = store.row("SELECT * FROM reconciliation_runs WHERE connection_id = ? AND state = 'running' ORDER BY id DESC LIMIT 1", cid)
  end
  local c, cerr = conn.client(crow)
  if not c then return jobs.dead(cerr) end
  if LIST_PHASES[run.phase or ""] then
    for _ = 1, M.PAGES_PER_RUN do
      if busy(crow) then return jobs.retry(5000, "reconciliation: leaving the request budget to live work") end
      local ok, err = list_page(c, crow, run, LIST_PHASES[run.phase])
      if not ok then return run_error(job, crow, run, err) end
      run = reload(run)
      if not LIST_PHASES[run.phase or ""] then break end
    end
    return jobs.retry(0, "reconciliation: continuing")
  end
  if run.phase == nil or run.phase == "check" then
    local list = next_docs(cid, run.cursor_type, run.cursor_id, M.PER_RUN)
    for _, r in ipairs(list) do
      if busy(crow) then return jobs.retry(5000, "reconciliation: leaving the request budget to live work") end
      local ok, err = check_one(c, crow, run, r)
      if not ok then return run_error(job, crow, run, err) end
      store.exec("UPDATE reconciliation_runs SET cursor_type = ?, cursor_id = ? WHERE id = ?", r.doc_type, r.id, run.id)
    end
    if #list >= M.PER_RUN then return jobs.retry(0, "reconciliation: continuing") end
    if run.phase == nil then return finish_run(cid, run) end
    store.exec("UPDATE reconciliation_runs SET phase = 'missing' WHERE id = ?", run.id)
    return jobs.retry(0, "reconciliation: continuing")
  end
  -- phase "missing"
  local list = missing_docs(cid, run, M.PER_RUN)
  for _, r in ipairs(list) do
    if busy(crow) then return jobs.retry(5000, "reconciliation: leaving the request budget to live work") end
    local ok, err = check_missing(c, crow, run, r)
    if not ok then return run_error(job, crow, run, err) end
  end
  if #list >= M.PER_RUN then return jobs.retry(0, "reconciliation: continuing") end
  finish_run(cid, run)
end

-- levy_reconciliation_last_drift{connection}: the differences the last finished run of each
-- connection found, read from reconciliation_runs (so it is right after a restart too)
function M.publish_drift()
  for _, r in ipairs(store.rows([[SELECT c.id, (SELECT drift FROM reconciliation_runs x WHERE x.connection_id = c.id
      AND x.state = 'done' ORDER BY x.id DESC LIMIT 1) AS drift FROM connections c WHERE c.deleted_at IS NULL]])) do
    if r.drift ~= nil then metrics.set("levy_reconciliation_last_drift", { connection = r.id }, r.drift) end
  end
end

-- Scheduled every --schedule-tick (default a minute): a connection whose last reconciliation started an interval ago
-- (or, never reconciled, whose import finished an interval ago) gets one.
function M.tick()
  local now = time.now_ms()
  M.publish_drift()
  for _, r in ipairs(store.rows([[SELECT c.id, c.import_finished_at, (SELECT max(started_ms) FROM reconciliation_runs
      x WHERE x.connection_id = c.id) AS last FROM connections c WHERE c.deleted_at IS NULL
      AND c.status IN ('connected', 'error') AND c.import_state = 'done' AND c.api_key_sealed IS NOT NULL]])) do
    local since = r.last or (type(r.import_finished_at) == "string" and time.parse_iso(r.import_finished_at)) or now
    if now - since >= M.interval_ms(r.id) then
      jobs.enqueue { kind = "rillet.reconcile", key = r.id, payload = { connection_id = r.id } }
    end
  end
end

function M.start(id, _, req)
  local row = conn.must(id)
  if row.status ~= "connected" and row.status ~= "error" then
    require("levy.http").error(409, "conflict", "the connection is not connected yet")
  end
  -- the job and the audit row of who asked (issue 20) commit together
  local jid = store.transaction(function()
    local j = jobs.enqueue { kind = "rillet.reconcile", key = id, payload = { connection_id = id } }
    conn.audit_conn(req, "connection.reconcile_requested", id,
      { reconciliation = { before = json.null, after = "queued" } })
    return j
  end)
  return { status = "queued", connection_id = id, job_id = jid }
end

return M
