-- api plugin: exemption certificates on file per customer (issue 20; docs/connector.md
-- "Exemption certificates", docs/openapi.yaml). The document (PDF, PNG or JPEG, told by its
-- bytes) is a levy.files file: <data>/files/certificates/<id> (fsync'd before put returns; on
-- PostgreSQL a row of the core files table, committed, which every replica reads); its row
-- in api_certificates is inserted only after that, so a listing never shows a certificate
-- whose file is not durable. Deleting removes the row first, then the file.
-- The certificates on file decide a stored customer's exemption (core/tax/calc.c
-- certificates(): exempt in a region of a certificate while the document's date lies in
-- [issued, expires]; plugins/api/db.lua customer_opts hands them to the engine).
local json = require "levy.json"
local store = require "levy.store"
local files = require "levy.files"
local crypto = require "levy.crypto"
local ltime = require "levy.time"
local util = require "levy.util"
local log = require "levy.log"

local M = {}

local DIR = "certificates"
M.EXPIRING_DAYS = 30 -- "expiring" status: expires within this many days

-- Reasons: levy's plain ones, and the reason codes A-M of the Streamlined Sales and Use Tax
-- Agreement's "Certificate of Exemption" (SSUTA form F0003, "Reason for exemption").
M.REASONS = {
  resale = "Resale",
  non_profit = "Non-profit organization",
  government = "Government",
  manufacturing = "Manufacturing / industrial production",
  agricultural = "Agricultural production",
  direct_pay = "Direct pay permit",
  other = "Other",
  sst_a = "SST A: Federal government (department)",
  sst_b = "SST B: State or local government",
  sst_c = "SST C: Tribal government",
  sst_d = "SST D: Foreign diplomat",
  sst_e = "SST E: Charitable organization",
  sst_f = "SST F: Religious organization",
  sst_g = "SST G: Resale",
  sst_h = "SST H: Agricultural production",
  sst_i = "SST I: Industrial production / manufacturing",
  sst_j = "SST J: Direct pay permit",
  sst_k = "SST K: Direct mail",
  sst_l = "SST L: Other",
  sst_m = "SST M: Educational organization",
}

local function reason_list()
  local l = {}
  for k in pairs(M.REASONS) do l[#l + 1] = k end
  table.sort(l)
  return table.concat(l, ", ")
end

-- The file's type from its first bytes (never the client's Content-Type or file name).
local function sniff(data)
  if data:sub(1, 5) == "%PDF-" then return "application/pdf", "pdf" end
  if data:sub(1, 8) == "\137PNG\r\n\26\n" then return "image/png", "png" end
  if data:sub(1, 3) == "\255\216\255" then return "image/jpeg", "jpg" end
  return nil
end

-- Days since 1970-01-01 of a YYYY-MM-DD date (H. Hinnant's days_from_civil).
local function days(s)
  local y, m, d = tonumber(s:sub(1, 4)), tonumber(s:sub(6, 7)), tonumber(s:sub(9, 10))
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m > 2 and m - 3 or m + 9) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

function M.today() return util.now_iso():sub(1, 10) end

-- valid | expiring (expires within EXPIRING_DAYS) | expired | not_yet_valid, on date today.
function M.status(row, today)
  if today < row.issued then return "not_yet_valid", nil end
  if row.expires == nil then return "valid", nil end
  local left = days(row.expires) - days(today)
  if left < 0 then return "expired", left end
  if left <= M.EXPIRING_DAYS then return "expiring", left end
  return "valid", left
end

local COLS = "id, customer_id, number, reason, regions, issued, expires, content_type, size, sha256, filename, created_at"

function M.public(row, today)
  local regions = json.decode(row.regions)
  local status, left = M.status(row, today or M.today())
  return {
    id = row.id, customer_id = row.customer_id, number = row.number, reason = row.reason,
    reason_text = M.REASONS[row.reason] or row.reason, regions = util.array(type(regions) == "table" and regions or {}),
    issued = row.issued, expires = util.orjnull(row.expires), status = status,
    days_until_expiry = util.orjnull(left),
    content_type = row.content_type, size = row.size, sha256 = row.sha256, filename = util.orjnull(row.filename),
    created_at = row.created_at,
    file_url = "/v1/customers/" .. util.urlencode(row.customer_id) .. "/exemption-certificates/" .. row.id .. "/file",
  }
end

function M.rows_of(customer_id)
  return store.rows("SELECT " .. COLS .. " FROM api_certificates WHERE customer_id = ? ORDER BY issued DESC, id",
    customer_id)
end

function M.row(customer_id, id)
  return store.row("SELECT " .. COLS .. " FROM api_certificates WHERE customer_id = ? AND id = ?", customer_id, id)
end

-- Certificates that expire in [today, today + within] (not expired yet), soonest first, with
-- the customer's name: the dashboard's "certificates expiring within 30 days".
function M.expiring(within, limit)
  local today = M.today()
  local last = ltime.date((days(today) + within) * 86400000)
  local out = {}
  for r in store.query("SELECT c." .. COLS:gsub(", ", ", c.") .. [[, cu.name AS customer_name
      FROM api_certificates c LEFT JOIN customers cu ON cu.id = c.customer_id
      WHERE c.expires IS NOT NULL AND c.expires >= ? AND c.expires <= ?
      ORDER BY c.expires, c.id LIMIT ?]], today, last, limit + 1) do
    local p = M.public(r, today)
    p.customer_name = util.orjnull(r.customer_name)
    out[#out + 1] = p
  end
  return out
end

-- The metadata of an upload from the query string: {number, reason, regions, issued,
-- expires, filename}; 422 naming each bad field.
function M.validate(q, known_regions)
  local errs = util.errors()
  local out = {}
  local number = q.number
  if type(number) ~= "string" or util.trim(number) == "" or #number > 100 then
    errs:add("number", "the certificate number is required (at most 100 characters)")
  else out.number = util.trim(number) end
  if type(q.reason) ~= "string" or M.REASONS[q.reason] == nil then
    errs:add("reason", "must be one of " .. reason_list())
  else out.reason = q.reason end
  local regions, seen, unknown = {}, {}, {}
  if type(q.regions) == "string" then
    for code in q.regions:gmatch("[^,]+") do
      code = util.trim(code)
      if not known_regions[code] then
        unknown[#unknown + 1] = code
      elseif not seen[code] then
        seen[code] = true
        regions[#regions + 1] = code
      end
    end
  end
  if #unknown > 0 then errs:add("regions", "unknown region code(s): " .. table.concat(unknown, ", "))
  elseif #regions == 0 then errs:add("regions", "at least one region the certificate covers, e.g. regions=US-CA,US-NY") end
  out.regions = regions
  if not ltime.valid_date(q.issued) then errs:add("issued", "the issue date is required, as YYYY-MM-DD")
  else out.issued = q.issued end
  if q.expires ~= nil and q.expires ~= "" then
    if not ltime.valid_date(q.expires) then errs:add("expires", "must be a date, YYYY-MM-DD")
    elseif out.issued and q.expires < out.issued then errs:add("expires", "must not be before the issue date")
    else out.expires = q.expires end
  end
  if q.filename ~= nil then
    local f = tostring(q.filename):gsub("[^%w%._%-]", "_")
    if #f > 200 then f = f:sub(-200) end
    out.filename = f ~= "" and f or nil
  end
  errs:raise()
  return out
end

-- Stores an upload: checks the size and type, writes the file durably, then the row.
-- save(fn) runs fn inside the change's transaction (with its re-check). Returns the row.
function M.create(customer_id, body, meta, max_bytes, save)
  if #body > max_bytes then
    util.fail(413, "payload_too_large",
      "the certificate file is over the limit of " .. max_bytes .. " bytes (setting certificate_max_bytes)")
  end
  if #body == 0 then util.invalid("body", "the request body must be the certificate file (PDF, PNG or JPEG)") end
  local ctype, ext = sniff(body)
  if ctype == nil then
    util.fail(415, "unsupported_media_type",
      "the certificate must be a PDF, PNG or JPEG file (told by its content, not its name)")
  end
  local id = "cert_" .. crypto.hex(crypto.random(12))
  local put_ok, put_err = pcall(files.put, DIR, id, body) -- durable before any row names it
  if not put_ok then
    log.warn("exemption certificate upload: cannot store the file: " .. tostring(put_err))
    util.fail(503, "certificate_not_stored",
      "levy could not store the file (its data dir full or not writable, or the PostgreSQL database unavailable; see levy's log); nothing was recorded")
  end
  local row = {
    id = id, customer_id = customer_id, number = meta.number, reason = meta.reason,
    regions = json.encode(util.array(meta.regions)), issued = meta.issued, expires = meta.expires,
    content_type = ctype, size = #body, sha256 = crypto.hex(crypto.sha256(body)),
    filename = meta.filename or (meta.number:gsub("[^%w%._%-]", "_") .. "." .. ext), created_at = util.now_iso(),
  }
  local ok, run = pcall(save, function()
    store.exec("INSERT INTO api_certificates(" .. COLS .. ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      row.id, row.customer_id, row.number, row.reason, row.regions, row.issued, row.expires, row.content_type,
      row.size, row.sha256, row.filename, row.created_at)
    return true
  end)
  if not ok then
    pcall(files.remove, DIR, id) -- no row names it: not shown, removed when we can
    error(run, 0)
  end
  pcall(M.sweep_orphans) -- housekeeping; the upload stands whatever it finds
  return row, run
end

-- Removes files no row names that are older than an hour (a crash between a file's put and
-- its row, or a removal that failed): never listed, but they would stay on disk. The hour
-- keeps an upload in progress (its file put, its row not yet committed) safe.
function M.sweep_orphans()
  local now = ltime.now_ms() // 1000
  local removed = 0
  for _, f in ipairs(files.list(DIR)) do
    if now - f.mtime > 3600 and store.row("SELECT 1 AS x FROM api_certificates WHERE id = ?", f.name) == nil then
      if files.remove(DIR, f.name) then removed = removed + 1 end
    end
  end
  return removed
end

-- Deletes the row (in save's transaction), then the file. Returns the re-check run.
function M.delete(customer_id, id, save)
  local run = save(function()
    return store.exec("DELETE FROM api_certificates WHERE customer_id = ? AND id = ?", customer_id, id) > 0
  end)
  files.remove(DIR, id)
  return run
end

function M.file(id, max)
  return files.get(DIR, id, max)
end

return M
