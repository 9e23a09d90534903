-- Simulator configuration, clock, counters and fault switches, kept in the store.
local json = require "levy.json"
local store = require "levy.store"
local time = require "levy.time"
local config = require "levy.config"

local M = {}

M.DEFAULTS = {
  rate_limit = true,             -- 60 requests per rolling 60 s per API key
  rate_limit_max = 60,
  rate_limit_window_ms = 60000,
  cursor_ttl_ms = 7200000,       -- cursors expire after 2 h and silently restart at page 1
  clock_offset_ms = 0,           -- added to the host clock (tests move time forward)
  idempotency_ttl_ms = 86400000, -- Idempotency-Key responses are replayed for 24 h
  delivery_timeout_ms = 30000,   -- webhook POST timeout
  attempts_per_group = 3,        -- retries in groups of 3 attempts ...
  max_groups = 5,                -- ... up to 5 groups, then the webhook is disabled
  retry_attempt_ms = { 10000, 30000 },                  -- waits between attempts in a group
  retry_group_ms = { 60000, 300000, 1800000, 7200000 }, -- waits before groups 2..5
  require_version = false,       -- true: a request without X-Rillet-API-Version gets 400
  reorder_gap_ms = 200,          -- spacing of released deliveries under the reorder fault
  idempotency_replay_header = true, -- replays carry `Idempotent-Replayed: true` (false: none)
  -- How invoice lines with a discount are shown (Rillet's docs leave it open; levy must cope
  -- with both): "net" = InvoiceItem.total_amount is after its total_discount (subtotal =
  -- sum(total_amount + total_discount)); "gross" = total_amount is before the discount, which
  -- is taken off at the invoice level (subtotal = sum(total_amount)). Totals are the same.
  line_amounts = "net",
  -- Custom fields API (GET/POST /fields): false answers 404 there, as a Rillet whose plan,
  -- API version or key has no custom fields might (levy then reads tax ids from external
  -- references only and keeps the fields it cached).
  fields_api = true,
  -- Rillet's OAS gives GET /api-key no body schema: whether it reports a read-only key is not
  -- documented. true: the answer carries `read_only`; false: it does not (levy must probe).
  api_key_reports_read_only = true,
  -- When a read-only key writes to a document that does not exist, which answer comes first
  -- is not documented: "before_lookup" = 403 (permission checked first), "after_lookup" = 404
  -- (levy's write probe at connect then cannot tell; the first real write gets the 403).
  read_only_check = "before_lookup",
  -- How Rillet keeps several TaxRate entries of one line (not documented; its docs call them
  -- the "jurisdiction breakdown", but an invoice item created in Rillet takes a single
  -- `tax_rate`): "each" = every entry kept as written (a local lease tax is its own line);
  -- "one_per_type" = entries of one `type` folded into one (amounts and percentages summed,
  -- the first one's description), so a SALES_TAX lease tax disappears into the sales tax
  -- line while the line's taxed_amount stays right (docs/rillet-assumptions.md).
  tax_rates_per_line = "each",
  -- The strict readings of rillet-api.md (docs/rillet-assumptions.md "The simulator's strict
  -- switches"); each default is the simulator's older, more lenient behaviour.
  -- `pagination` is optional on GET /customers, /invoices and /credit-memos (required on
  -- /products and /invoice-payments): "always" = every page carries one (`{}` on the last);
  -- "when_more" = those three lists carry it only when there is a next page.
  pagination = "always",
  -- What a tax write-back (POST .../taxes) that does not list every line of the document does
  -- (not documented): "keep" = the lines not listed keep their tax; "clear" = they lose it
  -- (as `tax_rates: []`); "refuse" = 400 naming the missing lines, nothing changes.
  taxes_omitted_lines = "keep",
  -- Subsidiaries of the demo organisation, read when the demo data is seeded (at first start
  -- and by POST /_sim/reset): 2 (a USD and an EUR one) or 1 (the USD one: every invoice is
  -- the USD subsidiary's; the connect wizard then has no subsidiary to ask for).
  subsidiaries = 2,
  -- A 429 of the rate limit carries Retry-After (seconds until a slot frees); false: none, as
  -- Rillet's docs do not say it sends one (an injected fault's `retry_after` is its own).
  retry_after_header = true,
}

-- Allowed values of the string settings.
M.ENUMS = { line_amounts = { net = true, gross = true },
            read_only_check = { before_lookup = true, after_lookup = true },
            tax_rates_per_line = { each = true, one_per_type = true },
            pagination = { always = true, when_more = true },
            taxes_omitted_lines = { keep = true, clear = true, refuse = true } }

-- Ranges of the number settings that have one.
M.RANGES = { subsidiaries = { 1, 2 } }

local cache_cfg, cache_raw

function M.config()
  local row = store.row("SELECT value FROM sim_config WHERE name = 'config'")
  local raw = row and row.value or "{}"
  if raw == cache_raw and cache_cfg then return cache_cfg end
  local stored = json.decode(raw) or {}
  local cfg = {}
  for k, v in pairs(M.DEFAULTS) do cfg[k] = v end
  for k, v in pairs(stored) do if M.DEFAULTS[k] ~= nil then cfg[k] = v end end
  cache_raw, cache_cfg = raw, cfg
  return cfg
end

local function stored_cfg()
  local row = store.row("SELECT value FROM sim_config WHERE name = 'config'")
  return row and json.decode(row.value) or {}
end

-- Merge validated fields into the stored config. Returns the new effective config or nil, errors.
function M.set_config(patch)
  local errs = {}
  local stored = stored_cfg()
  for k, v in pairs(patch) do
    local d = M.DEFAULTS[k]
    if d == nil then
      errs[#errs + 1] = { field = k, message = "unknown setting" }
    elseif type(d) == "boolean" then
      if type(v) ~= "boolean" then errs[#errs + 1] = { field = k, message = "must be a boolean" }
      else stored[k] = v end
    elseif type(d) == "number" then
      local r = M.RANGES[k]
      if math.type(v) ~= "integer" or (v < 0 and k ~= "clock_offset_ms") then
        errs[#errs + 1] = { field = k, message = "must be a non-negative integer" }
      elseif r and (v < r[1] or v > r[2]) then
        errs[#errs + 1] = { field = k, message = ("must be between %d and %d"):format(r[1], r[2]) }
      else stored[k] = v end
    elseif type(d) == "string" then
      if type(v) ~= "string" or not (M.ENUMS[k] or {})[v] then
        local names = {}
        for n in pairs(M.ENUMS[k] or {}) do names[#names + 1] = n end
        table.sort(names)
        errs[#errs + 1] = { field = k, message = "must be one of: " .. table.concat(names, ", ") }
      else stored[k] = v end
    elseif type(d) == "table" then
      local ok = type(v) == "table" and #v > 0
      if ok then for _, x in ipairs(v) do if math.type(x) ~= "integer" or x < 0 then ok = false end end end
      if not ok then errs[#errs + 1] = { field = k, message = "must be a non-empty array of non-negative integers (ms)" }
      else stored[k] = json.array(v) end
    end
  end
  if #errs > 0 then return nil, errs end
  store.exec("INSERT INTO sim_config(name, value) VALUES ('config', ?) "
             .. "ON CONFLICT(name) DO UPDATE SET value = excluded.value", json.encode(stored))
  return M.config()
end

function M.reset_config()
  store.exec("DELETE FROM sim_config WHERE name = 'config'")
end

-- Simple string values (seed, cursor secret...).
function M.get(name)
  local row = store.row("SELECT value FROM sim_config WHERE name = ?", name)
  return row and row.value
end

function M.put(name, value)
  store.exec("INSERT INTO sim_config(name, value) VALUES (?, ?) "
             .. "ON CONFLICT(name) DO UPDATE SET value = excluded.value", name, value)
end

function M.now()
  return time.now_ms() + (M.config().clock_offset_ms or 0)
end

function M.next_counter(name)
  store.exec("INSERT INTO sim_counters(name, value) VALUES (?, 1) "
             .. "ON CONFLICT(name) DO UPDATE SET value = sim_counters.value + 1", name)
  return store.row("SELECT value FROM sim_counters WHERE name = ?", name).value
end

-- Faults: {fail = {remaining, status, retry_after}, latency_ms, latency_path, drop, duplicate, reorder, reorder_held}
function M.faults()
  local row = store.row("SELECT value FROM sim_faults WHERE name = 'faults'")
  return row and json.decode(row.value) or {}
end

function M.set_faults(f)
  store.exec("INSERT INTO sim_faults(name, value) VALUES ('faults', ?) "
             .. "ON CONFLICT(name) DO UPDATE SET value = excluded.value", json.encode(f))
end

function M.sim_settings()
  local s = config.sim or {}
  return {
    seed = math.tointeger(s.seed) or 1,
    invoices = math.tointeger(s.invoices) or 40,
    rate_limit = s.rate_limit ~= false,
  }
end

return M
