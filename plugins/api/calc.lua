-- Builds levy.tax.calculate options from the store and runs a calculation.
-- Shared by POST /v1/calculate, `levy calc`, the Sphere endpoint and the `calculate` export.
local json = require "levy.json"
local tax = require "levy.tax"
local config = require "levy.config"
local util = require "util"
local db = require "db"

local M = {}

-- Product ids named by the request's lines (ignores malformed lines: the engine reports them).
local function product_ids(request)
  local ids = {}
  local lines = request.lines
  if type(lines) == "table" then
    for _, line in ipairs(lines) do
      if type(line) == "table" and util.is_string(line.product_id) and line.product_id ~= "" then
        ids[line.product_id] = true
      end
    end
  end
  return ids
end

-- Options for levy.tax.calculate from the regions, settings, products and customers tables.
function M.build_opts(request)
  local opts = { regions = {}, products = {}, customers = {} }
  for code, row in pairs(db.region_rows()) do
    local s = db.region_state(row)
    opts.regions[code] = { subscribed = s.subscribed, tax_calculation = s.tax_calculation,
                           effective_from = s.effective_from }
  end
  local settings = db.settings()
  if util.is_object(settings.seller_address) then opts.seller = settings.seller_address end
  opts.rounding = settings.rounding or "line"
  opts.products = db.product_codes(product_ids(request))
  local customer = request.customer
  if util.is_object(customer) and util.is_string(customer.id) and customer.id ~= "" then
    local c = db.customer_opts(customer.id)
    if c then opts.customers[customer.id] = c end
  end
  if config.role == "calc" and type(config.cli) == "table" and config.cli.all_regions then
    opts.all_regions = true
  end
  if config.generation ~= nil then opts.generation = config.generation end
  return opts
end

-- extra: optional opts merged over the built ones; `products` and `customers` maps are
-- merged per key, every other key replaces.
local function merge(opts, extra)
  if type(extra) ~= "table" then return opts end
  for k, v in pairs(extra) do
    if (k == "products" or k == "customers" or k == "regions") and type(v) == "table" then
      for id, x in pairs(v) do opts[k][id] = x end
    else
      opts[k] = v
    end
  end
  return opts
end

-- JSON arrays in a result that may be empty must encode as [] rather than {}.
local function fix_arrays(result)
  if type(result) ~= "table" then return result end
  if type(result.lines) == "table" then
    for _, line in ipairs(result.lines) do
      if type(line) == "table" then
        line.taxes = util.array(line.taxes)
      end
    end
    result.lines = util.array(result.lines)
  end
  return result
end

-- -> result | nil, err ({status, code, message, details})
function M.run(request, extra)
  if not util.is_object(request) then
    return nil, { status = 422, code = "validation_failed", message = "request must be an object",
                  details = json.array({ { field = "", message = "must be an object" } }) }
  end
  local opts = merge(M.build_opts(request), extra)
  local result, err = tax.calculate(request, opts)
  if result == nil then
    if type(err) ~= "table" then
      err = { status = 422, code = "validation_failed", message = tostring(err) }
    end
    err.status = err.status or 422
    err.code = err.code or "validation_failed"
    err.message = err.message or "calculation failed"
    return nil, err
  end
  return fix_arrays(result)
end

return M
