-- The documents lists' ?tax_status= filter (Home's "needs attention": failed, drift) and each
-- connection's import progress (GET /v1/connections, conn.lua doc_progress) read an index, not
-- every document's row (rillet migration 0022, issues 20/21): both columns sit after the raw
-- Rillet JSON, and without the index the list's page was `SCAN invoices` — at 100,000 documents
-- past a request's budget (500; bench/README.md "Reports and the sums check at 100k and 1M
-- documents"). The statements are the ones handler.lua list_docs and conn.lua doc_progress
-- send; the plan is SQLite's (EXPLAIN QUERY PLAN; tests/pg/pg_prepare.py skips EXPLAIN).
local store = require "levy.store"

local function plan(sql, ...)
  local out = {}
  for r in store.query("EXPLAIN QUERY PLAN " .. sql, ...) do out[#out + 1] = r.detail end
  return table.concat(out, "\n")
end

-- a plan that reads the table row by row ("SCAN invoices", "SCAN invoices USING INDEX ...") or
-- searches it by an index that does not cover the filter is what 0022 replaced
local function searched(p, index)
  assert.truthy(p:find("SEARCH [%w_]+ USING [%w ]*INDEX " .. index .. " ", 1) ~= nil, p)
  assert.truthy(p:find("SCAN", 1, true) == nil, p)
end

describe("documents list ?tax_status=", function()
  for _, t in ipairs({ "invoices", "credit_memos" }) do
    it(t .. ": the page and the total read the tax_status index", function()
      searched(plan("SELECT rowid AS seq, id, raw, tax_status FROM " .. t ..
        " WHERE 1 = 1 AND tax_status = ? ORDER BY rowid LIMIT ? OFFSET ?", "failed", 51, 0), t .. "_tax_status")
      searched(plan("SELECT count(*) AS n FROM " .. t .. " WHERE 1 = 1 AND tax_status = ?", "drift"),
        t .. "_tax_status")
    end)
  end
end)

describe("connection import progress", function()
  for _, t in ipairs({ "invoices", "credit_memos" }) do
    it(t .. ": counted from a covering index of the connection's documents", function()
      local p = plan("SELECT COUNT(*) AS m, COALESCE(SUM(CASE WHEN tax_status <> 'pending' OR reason IS NOT NULL " ..
        "THEN 1 ELSE 0 END), 0) AS n FROM " .. t .. " WHERE connection_id = ? AND deleted = 0", "conn_1")
      searched(p, t .. "_conn_progress")
      assert.truthy(p:find("COVERING INDEX", 1, true) ~= nil, p)
    end)
  end
end)
