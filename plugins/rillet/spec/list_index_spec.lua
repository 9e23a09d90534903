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

-- GET /v1/connections' import progress (conn.lua doc_progress) reads the counts the triggers
-- of migration 0025 keep (rillet_conn_doc_counts): counting the connection's range of the
-- (connection_id, deleted, tax_status, reason) index was 140 ms at 1M documents. The kept
-- counts must equal that count after every kind of write.
describe("connection import progress", function()
  local function counted(conn)
    local m, n = 0, 0
    for _, t in ipairs({ "invoices", "credit_memos" }) do
      local r = store.row("SELECT COUNT(*) AS m, COALESCE(SUM(CASE WHEN tax_status <> 'pending' OR " ..
        "reason IS NOT NULL THEN 1 ELSE 0 END), 0) AS n FROM " .. t .. " WHERE connection_id = ? AND deleted = 0", conn)
      m, n = m + r.m, n + r.n
    end
    return { m, n }
  end
  local function kept(conn)
    local r = store.row("SELECT CAST(COALESCE(sum(docs), 0) AS BIGINT) AS m, " ..
      "CAST(COALESCE(sum(decided), 0) AS BIGINT) AS n FROM rillet_conn_doc_counts WHERE connection_id = ?", conn)
    return { r.m, r.n }
  end
  local function same(expect)
    for _, c in ipairs({ "conn_1", "conn_2" }) do assert.same(counted(c), kept(c), c) end
    if expect then assert.same(expect, kept("conn_1")) end
  end

  it("counted from a few kept rows, not the connection's documents", function()
    local p = plan("SELECT CAST(COALESCE(sum(docs), 0) AS BIGINT) AS m, " ..
      "CAST(COALESCE(sum(decided), 0) AS BIGINT) AS n FROM rillet_conn_doc_counts WHERE connection_id = ?", "conn_1")
    assert.truthy(p:find("SEARCH rillet_conn_doc_counts USING PRIMARY KEY (connection_id=?)", 1, true), p)
    assert.truthy(p:find("SCAN", 1, true) == nil, p)
  end)

  for _, t in ipairs({ "invoices", "credit_memos" }) do
    it(t .. ": the kept counts follow inserts, state changes, moves, deletion flags and deletes", function()
      for i = 1, 40 do
        store.exec("INSERT INTO " .. t .. [[(id, connection_id, doc_date, raw, tax_status, imported_at, deleted, reason)
          VALUES (?, ?, '2026-03-01', '{}', ?, 'x', ?, ?)]], "d" .. i, i % 3 == 0 and "conn_2" or "conn_1",
          i % 4 == 0 and "written" or "pending", i % 7 == 0 and 1 or 0, i % 5 == 0 and "customer_unknown" or nil)
      end
      same()
      store.exec("UPDATE " .. t .. " SET tax_status = 'calculated' WHERE id IN ('d1', 'd2', 'd4', 'd7')")
      same()
      store.exec("UPDATE " .. t .. " SET reason = 'manual_tax_kept' WHERE id = 'd11'")
      store.exec("UPDATE " .. t .. " SET reason = NULL WHERE id = 'd10'")
      same()
      store.exec("UPDATE " .. t .. " SET deleted = 1 WHERE id IN ('d1', 'd13')")
      store.exec("UPDATE " .. t .. " SET deleted = 0 WHERE id = 'd14'")
      same()
      store.exec("UPDATE " .. t .. " SET connection_id = 'conn_2' WHERE id IN ('d2', 'd8')")
      same()
      store.exec("DELETE FROM " .. t .. " WHERE id IN ('d5', 'd6', 'd21')")
      same()
      store.exec("UPDATE " .. t .. " SET tax_status = 'pending', reason = NULL")
      same({ counted("conn_1")[1], 0 })
      store.exec("DELETE FROM " .. t)
      same({ 0, 0 })
    end)
  end
end)

-- ?precision=imprecise and ?certificate=expired (Home's "needs attention"): the document's own
-- copy of its current calculation's flags (migration 0024), kept by triggers, and a partial
-- index of the flagged documents. Before, the filter was `calculation_id IN (SELECT ... FROM
-- rillet_calc_heads h WHERE h.imprecise = 1)`: SCAN invoices probing every row (2.2 s at 1M).
describe("documents list ?precision=imprecise / ?certificate=expired", function()
  local calc_rows = require "calc_rows"
  local FLAGS = { imprecise = "calc_imprecise", cert_expired = "calc_cert_expired" }
  for _, t in ipairs({ "invoices", "credit_memos" }) do
    for _, f in pairs(FLAGS) do
      it(t .. ": the page and the total of " .. f .. " search its partial index", function()
        searched(plan("SELECT rowid AS seq, id, raw, tax_status FROM " .. t .. " WHERE 1 = 1 AND " .. f ..
          " = 1 ORDER BY rowid LIMIT ? OFFSET ?", 2, 0), t .. "_" .. f)
        searched(plan("SELECT count(*) AS n FROM " .. t .. " WHERE 1 = 1 AND " .. f .. " = 1"), t .. "_" .. f)
      end)
    end
  end

  local DT = { invoices = "invoice", credit_memos = "credit_memo" }
  local function calc(t, id, doc, result)
    store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at,
      created_ms) VALUES (?, ?, ?, 'f', '{}', '{}', 'US-CA', 'x', 0)]], id, DT[t], doc)
    if result then calc_rows.record(id, { ship_to = { country = "US", state = "CA" } }, result, nil, "US-CA") end
  end
  local function flags(t, id)
    local r = store.row("SELECT calc_imprecise AS i, calc_cert_expired AS c FROM " .. t .. " WHERE id = ?", id)
    return { r.i, r.c }
  end
  local IMPRECISE = { region = "US-CA", currency = "USD", resolution = "zip5", ambiguous_zip = { rates = {} },
                      lines = {} }
  local EXPIRED = { region = "US-CA", currency = "USD", lines = {},
                    notes = { { code = "exemption_certificate_expired", message = "expired" } } }
  local PLAIN = { region = "US-CA", currency = "USD", lines = {} }

  for _, t in ipairs({ "invoices", "credit_memos" }) do
    it(t .. ": the flags follow the document's current calculation, whichever is written first", function()
      assert.equal(true, calc_rows.imprecise(IMPRECISE))
      assert.equal(true, calc_rows.has_note(EXPIRED, "exemption_certificate_expired"))
      -- the head first, then the document takes the calculation (inserted with it, or updated)
      calc(t, "c_imp", "d1", IMPRECISE)
      store.exec("INSERT INTO " .. t .. [[(id, connection_id, currency, doc_date, raw, region, tax_status,
        imported_at, calculation_id) VALUES ('d1', 'c', 'USD', '2026-03-01', '{}', 'US-CA', 'written', 'x', 'c_imp')]])
      assert.same({ 1, 0 }, flags(t, "d1"))
      store.exec("INSERT INTO " .. t .. [[(id, connection_id, currency, doc_date, raw, region, tax_status,
        imported_at) VALUES ('d2', 'c', 'USD', '2026-03-01', '{}', 'US-CA', 'pending', 'x')]])
      calc(t, "c_exp", "d2", EXPIRED)
      assert.same({ 0, 0 }, flags(t, "d2")) -- not its calculation yet
      store.exec("UPDATE " .. t .. " SET calculation_id = 'c_exp' WHERE id = 'd2'")
      assert.same({ 0, 1 }, flags(t, "d2"))
      -- the document takes its calculation first, the head is written after
      calc(t, "c_late", "d1", nil)
      store.exec("UPDATE " .. t .. " SET calculation_id = 'c_late' WHERE id = 'd1'")
      assert.same({ 0, 0 }, flags(t, "d1"))
      calc_rows.record("c_late", { ship_to = { country = "US", state = "CA" } }, EXPIRED, nil, "US-CA")
      assert.same({ 0, 1 }, flags(t, "d1"))
      -- a head's flags changed (a backfill) reach the document whose calculation it is
      store.exec("UPDATE rillet_calc_heads SET imprecise = 1 WHERE calculation_id = 'c_late'")
      assert.same({ 1, 1 }, flags(t, "d1"))
      store.exec("UPDATE rillet_calc_heads SET imprecise = 1 WHERE calculation_id = 'c_imp'")
      assert.same({ 1, 1 }, flags(t, "d1")) -- c_imp is no longer d1's: unchanged
      -- a calculation without a flag clears them
      calc(t, "c_plain", "d1", PLAIN)
      store.exec("UPDATE " .. t .. " SET calculation_id = 'c_plain' WHERE id = 'd1'")
      assert.same({ 0, 0 }, flags(t, "d1"))
      -- the list's filters (handler.lua list_where) choose exactly the flagged documents
      local ids = {}
      for r in store.query("SELECT id FROM " .. t .. " WHERE 1 = 1 AND calc_cert_expired = 1 ORDER BY rowid") do
        ids[#ids + 1] = r.id
      end
      assert.same({ "d2" }, ids)
    end)
  end
end)
