-- Bulk re-checks as jobs (issue 16): a change that touches many documents (a region toggled,
-- a product's tax code, a customer's exemption, a connection's tax scope) answers at once
-- with how many documents it will re-check (one COUNT query) and records a bulk run; the
-- rillet.bulk job re-fingerprints the documents BATCH at a time in rowid order (a cursor per
-- table, so a restart resumes where it stopped), queues their calculations, and re-queues
-- itself until none is left. Progress: GET /v1/bulk/{id}.
local crypto = require "levy.crypto"
local http = require "levy.http"
local jobs = require "levy.jobs"
local json = require "levy.json"
local log = require "levy.log"
local store = require "levy.store"
local lutil = require "levy.util"
local docs = require "docs"

local M = {}

M.BATCH = 100          -- documents re-checked per job run

-- kind -> the documents it touches (a WHERE on `d`, its bound arguments: `arg` returns them
-- from the target, a string) and the reason. Built from the kind only, never from stored text.
-- A connection's own region (connection_region) has the target "<connection id> <code>".
local function conn_code(t)
  local cid, code = t:match("^(%S+) (%S+)$")
  return cid or "", (code or ""):upper()
end

-- A region's documents. A document's stored region is its answer's region, and a province's
-- tax is a group inside its country's answer: a document in Quebec is region CA, its QST the
-- group CA-QC (core/tax/rates.c resolve_ca). So the documents of a region "XX-YY" are those of
-- region XX-YY (a US state's) and those of region XX whose calculation's ship-to is in YY (or
-- is not known yet: no calculation). Plus, for every region, the documents no region was found
-- for. Arguments: the code, its country, its subdivision (twice).
local REGION_WHERE = "(d.region = ? OR (d.region IS NULL AND d.tax_status IN ('not_collecting', 'failed'))" ..
  " OR (d.region = ? AND COALESCE((SELECT upper(h.ship_state) FROM rillet_calc_heads h" ..
  " WHERE h.calculation_id = d.calculation_id), ?) = ?))"
local function region_args(t)
  local code = t:upper()
  local country, sub = code:match("^(%u%u)%-(%w+)$")
  -- no subdivision: the third clause is the first one again (country = code)
  if not country then country, sub = code, "" end
  return code, country, sub, sub
end

-- the target as the one bound argument (a product, customer, connection id or setting name)
local function as_is(t) return t end

local KINDS = {
  region = {
    where = REGION_WHERE,
    arg = region_args,
    reason = function(t) return "region " .. t:upper() .. " changed" end },
  product = {
    where = "d.product_ids LIKE '%,' || ? || ',%'",
    arg = as_is,
    reason = function(t) return "product " .. t .. " changed" end },
  customer = {
    where = "d.customer_id = ?",
    arg = as_is,
    reason = function(t) return "customer " .. t .. " changed" end },
  connection = {
    where = "d.connection_id = ?",
    arg = as_is,
    reason = function() return "tax scope settings changed" end },
  -- a region toggled for one connection (legal entity): only that connection's documents
  connection_region = {
    where = "d.connection_id = ? AND " .. REGION_WHERE,
    arg = function(t) local cid, code = conn_code(t); return cid, region_args(code) end,
    target = function(t) local cid, code = conn_code(t); return cid .. " " .. code end,
    reason = function(t) local cid, code = conn_code(t); return "region " .. code .. " of connection " .. cid .. " changed" end },
  -- the seller address or rounding of one connection changed
  connection_settings = {
    where = "d.connection_id = ?",
    arg = as_is,
    reason = function(t) return "settings of connection " .. t .. " changed" end },
  -- a global tax setting changed (target: its name, e.g. default_customer_type): every
  -- connection's documents (one that overrides the setting recalculates to the same tax)
  settings = {
    where = "? <> ''",
    arg = as_is,
    reason = function(t) return "setting " .. t .. " changed" end },
}
M.KINDS = KINDS

local ORDER = { "invoice", "credit_memo" }

local function from_where(T, K)
  return " FROM " .. T.table .. " d JOIN connections c ON c.id = d.connection_id AND c.deleted_at IS NULL" ..
    " WHERE d.deleted = 0 AND " .. K.where
end

-- How many documents a run of `kind` on `target` would re-check: one COUNT query.
function M.count(kind, target)
  local K = KINDS[kind]
  local args = { K.arg(target) }
  local n = #args
  for i = 1, n do args[n + i] = args[i] end
  local r = store.row("SELECT (SELECT count(*)" .. from_where(docs.TYPES.invoice, K) ..
    ") + (SELECT count(*)" .. from_where(docs.TYPES.credit_memo, K) .. ") AS n", table.unpack(args, 1, 2 * n))
  return r and r.n or 0
end

local now_iso = lutil.now_iso

-- Starts a run (in the caller's transaction when there is one). Returns {id, documents,
-- state}; no run is recorded when no document matches (id = null, state = "done").
function M.start(kind, target, force)
  local K = KINDS[kind]
  if not K or type(target) ~= "string" or target == "" then return { id = json.null, documents = 0, state = "done" } end
  if force == nil then force = true end
  local n = M.count(kind, target)
  if n == 0 then return { id = json.null, documents = 0, state = "done" } end
  local id = crypto.id("bulk_")
  store.transaction(function()
    store.exec([[INSERT INTO bulk_runs(id, kind, target, force, reason, state, documents, created_at)
      VALUES (?,?,?,?,?, 'running', ?, ?)]], id, kind, (K.target or K.arg)(target), force and 1 or 0,
      K.reason(target), n, now_iso())
    local jid = jobs.enqueue { kind = "rillet.bulk", key = id, payload = { bulk_id = id } }
    store.exec("UPDATE bulk_runs SET job_id = ? WHERE id = ?", jid, id)
  end)
  log.info("rillet bulk re-check queued", { bulk = id, kind = kind, documents = n })
  return { id = id, documents = n, state = "running" }
end

-- rillet.bulk (key = bulk id): BATCH documents per run, then re-queues itself.
function M.run(job)
  local bid = (job.payload or {}).bulk_id
  local b = store.row("SELECT * FROM bulk_runs WHERE id = ?", bid)
  if not b or b.state ~= "running" then return end
  local K = KINDS[b.kind]
  if not K then
    store.exec("UPDATE bulk_runs SET state = 'done', finished_at = ? WHERE id = ?", now_iso(), bid)
    return
  end
  local force = b.force == 1
  local left, seen, queued = M.BATCH, 0, 0
  store.transaction(function()
    for _, dt in ipairs(ORDER) do
      local T = docs.TYPES[dt]
      local col = "cursor_" .. T.table
      if left > 0 then
        local args = { K.arg(b.target) }
        local n = #args
        args[n + 1], args[n + 2] = b[col], left
        local rows = store.rows("SELECT d.rowid AS seq, d.id, d.raw, d.fingerprint, d.fingerprint_version, d.status, d.calculation_id, c.line_amounts" ..
          from_where(T, K) .. " AND d.rowid > ? ORDER BY d.rowid LIMIT ?", table.unpack(args, 1, n + 2))
        for _, r in ipairs(rows) do
          if docs.recheck(dt, r, b.reason, force) then queued = queued + 1 end
          store.exec("UPDATE bulk_runs SET " .. col .. " = ? WHERE id = ?", r.seq, bid)
          seen, left = seen + 1, left - 1
        end
      end
    end
    store.exec("UPDATE bulk_runs SET done = done + ?, queued = queued + ? WHERE id = ?", seen, queued, bid)
    if seen == 0 then
      store.exec("UPDATE bulk_runs SET state = 'done', finished_at = ? WHERE id = ?", now_iso(), bid)
    end
  end)
  if seen == 0 then
    log.info("rillet bulk re-check done", { bulk = bid })
    return
  end
  return jobs.retry(0, "bulk: " .. seen .. " documents re-checked")
end

local function view(r)
  -- documents < 0: not counted yet (a backfill preview's first job run counts them)
  return { id = r.id, kind = r.kind, target = r.target, state = r.state,
           documents = r.documents >= 0 and r.documents or json.null,
           done = r.done, queued = r.queued, job_id = r.job_id or json.null, created_at = r.created_at,
           finished_at = r.finished_at or json.null }
end

-- GET /v1/bulk/{id}
function M.get(req)
  local r = store.row("SELECT * FROM bulk_runs WHERE id = ?", req.params.id)
  if not r then http.error(404, "not_found", "unknown bulk run") end
  return 200, view(r)
end

-- GET /v1/bulk?state=running: the latest runs, newest first (at most 50).
function M.list(req)
  local q = req.query or {}
  local st = q.state
  if st ~= nil and st ~= "running" and st ~= "done" then
    http.error(422, "validation_failed", "invalid query", { { field = "state", message = "must be running or done" } })
  end
  local rows
  if st then
    rows = store.rows("SELECT * FROM bulk_runs WHERE state = ? ORDER BY created_at DESC, id DESC LIMIT 50", st)
  else
    rows = store.rows("SELECT * FROM bulk_runs ORDER BY created_at DESC, id DESC LIMIT 50")
  end
  local out = {}
  for _, r in ipairs(rows) do out[#out + 1] = view(r) end
  return 200, { data = json.array(out), next_cursor = json.null }
end

return M
