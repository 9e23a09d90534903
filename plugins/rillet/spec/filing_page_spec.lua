-- The filing report's drill-down and export pages (issue 20, bench/README.md "Reports and the
-- sums check at 100k and 1M documents"): a page read the whole period's relation (every
-- document's latest write-back and calculation) and sorted it, for every page: 590 ms at
-- 100,000 documents, 6.5 s at 1M, and the export (a page a job run) grew with the square of
-- its documents. Now a page reads report_rows.CHUNK documents of each type at a time after its
-- keyset, and the total counts at most count_max documents of each type (then says it is a
-- lower bound). These specs: pages of any chunk size list exactly the whole relation's
-- documents in its order, and every statement of a page is bounded by a chunk.
local store = require "levy.store"
local calc_rows = require "calc_rows"
local report_rows = require "report_rows"
local json = require "levy.json"

local TABLE = { invoice = "invoices", credit_memo = "credit_memos" }

-- a document of type dt dated `date` in region, written back (tax) or not (no tax due), or
-- without a result (not in the report), or deleted
local function doc(dt, id, date, region, how)
  store.exec("INSERT INTO " .. TABLE[dt] .. [[(id, connection_id, currency, doc_date, raw, region, tax_status,
    imported_at, deleted) VALUES (?, 'c', 'USD', ?, '{}', ?, 'written', 'x', ?)]], id, date, region,
    how == "deleted" and 1 or 0)
  local calc = "calc_" .. dt .. "_" .. id
  local taxed = how == "written" or how == "deleted"
  local result = how ~= "no_result" and { region = region, currency = "USD", total_taxable = "100.00",
    total_tax = taxed and "7.25" or "0.00",
    lines = { { id = "l1", amount = "100.00", taxable_amount = "100.00", taxability_reason = "standard_rated",
      taxes = taxed and { { jurisdiction = "CALIFORNIA", level = "state", type = "SALES_TAX",
        authority_code = "06", amount = "7.25", taxable_amount = "100.00", percentage = "7.25" } } or {} } } } or nil
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, region, created_at,
    created_ms) VALUES (?, ?, ?, 'f', '{}', ?, ?, 'x', 0)]], calc, dt, id, result and json.encode(result) or nil,
    region)
  calc_rows.record(calc, { ship_to = { country = "US", state = region:sub(4) } }, result, nil, region)
  if taxed then
    store.exec([[INSERT INTO writebacks(doc_type, doc_id, calculation_id, idempotency_key, outcome, attempted_at)
      VALUES (?, ?, ?, 'k', 'written', 'x')]], dt, id, calc)
  end
  store.exec("UPDATE " .. TABLE[dt] .. " SET calculation_id = ? WHERE id = ?", calc, id)
end

-- 40 invoices and 25 credit memos over 5 days (ids not in date order), a few not in the report
local function period()
  local hows = { "written", "no_tax", "written", "no_result", "written", "deleted", "written" }
  for i = 1, 65 do
    local dt = i <= 40 and "invoice" or "credit_memo"
    local id = string.format("%s%03d", dt == "invoice" and "in" or "cm", (i * 37) % 101)
    local date = string.format("2026-03-%02d", 1 + (i * 7) % 5)
    doc(dt, id, date, i % 4 == 0 and "US-NY" or "US-CA", hows[1 + i % #hows])
  end
end

local function keys(list)
  local out = {}
  for _, r in ipairs(list) do out[#out + 1] = r.doc_date .. " " .. r.type .. " " .. r.id end
  return out
end

-- every page from the first, limit documents a page: the documents in order, the pages read
local function all_pages(opts, limit)
  local out, after, pages = {}, nil, 0
  repeat
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.after, o.limit = after, limit
    local list, next_key = report_rows.filing_documents("2026-03-01", "2026-03-31", o)
    assert.truthy(#list <= limit)
    for _, r in ipairs(list) do out[#out + 1] = r end
    after, pages = next_key, pages + 1
    assert.truthy(pages < 200, "the pages end")
  until after == nil
  return out, pages
end

describe("filing report documents, a page at a time", function()
  local chunk = report_rows.CHUNK
  after_each(function() report_rows.CHUNK = chunk end)

  it("pages of any chunk list exactly the documents of the whole relation, in its order", function()
    period()
    local whole = report_rows.filing_documents("2026-03-01", "2026-03-31", {})
    assert.truthy(#whole > 30 and #whole < 65, #whole)
    for _, c in ipairs({ 1, 3, 7, 500 }) do
      report_rows.CHUNK = c
      for _, limit in ipairs({ 1, 5, 200 }) do
        local got = all_pages({}, limit)
        assert.same(keys(whole), keys(got), "chunk " .. c .. " limit " .. limit)
        assert.same(whole[#whole].result, got[#got].result)
      end
    end
  end)

  it("a filter that leaves out most documents: fewer on a page, the next keyset goes on", function()
    period()
    local whole = report_rows.filing_documents("2026-03-01", "2026-03-31", { region = "US-NY" })
    assert.truthy(#whole > 3, #whole)
    report_rows.CHUNK = 2
    local got = all_pages({ region = "US-NY" }, 3)
    assert.same(keys(whole), keys(got))
    assert.same(#whole, report_rows.filing_documents("2026-03-01", "2026-03-31", { region = "US-NY", count = true }))
  end)

  it("the total: exact up to count_max documents of each type, else a lower bound said so", function()
    period()
    local n = report_rows.filing_documents("2026-03-01", "2026-03-31", { count = true })
    local a, exact = report_rows.filing_documents("2026-03-01", "2026-03-31", { count = true, count_max = 100 })
    assert.same({ n, true }, { a, exact })
    local b, exact2 = report_rows.filing_documents("2026-03-01", "2026-03-31", { count = true, count_max = 10 })
    assert.equal(false, exact2)
    assert.truthy(b > 0 and b < n, b)
  end)

  it("every statement of a page reads at most a chunk of each type's documents", function()
    period()
    report_rows.CHUNK = 4
    local seen = {}
    local ends = {}
    report_rows.trace = function(sql, ...)
      seen[#seen + 1] = sql
      if sql:find("LIMIT 1 OFFSET", 1, true) then ends[#ends + 1] = { ... } end
    end
    -- a filter that leaves out most documents: several chunks read for one page
    local ok, err = pcall(report_rows.filing_documents, "2026-03-01", "2026-03-31",
      { limit = 5, region = "US-NY", after = { "2026-03-02", "invoice", "in050" } })
    report_rows.trace = nil
    assert.truthy(ok, err)
    assert.truthy(#seen > 0)
    assert.truthy(#ends > 2, #ends)
    -- each chunk's index range starts at its keyset, never at the period's (or the page's)
    -- first day: at 1M documents a chunk read from there through the keyset's row value was
    -- past the budget (the first argument: the keyset's date)
    for _, a in ipairs(ends) do assert.truthy(a[1] >= "2026-03-02", a[1]) end
    for _, sql in ipairs(seen) do
      -- a statement over a type's documents of the period is either the chunk's end (an
      -- index, LIMIT 1 OFFSET) or bounded by it: up to the frontier ("<="), never the period
      for _, t in ipairs({ "invoices", "credit_memos" }) do
        local from = sql:find("FROM " .. t .. " d WHERE ", 1, true)
        if from then
          local inner = sql:sub(from, (sql:find(") d ", from, true) or #sql))
          assert.truthy(inner:find("LIMIT 1 OFFSET", 1, true) or inner:find("<= (?, ?)", 1, true) or
            inner:find("d.doc_date <", 1, true), inner)
        end
      end
    end
  end)

  -- issue 20 (export22): the 1M bench store has 830,000 invoices on one day. A keyset bounded
  -- a chunk only as a filter inside the range of its dates, so SQLite sought the report index
  -- (doc_date, id, ...) by the date: every chunk's end and every chunk read the day from its
  -- first document (the end's, in a temporary B-tree), or to its last; the export cost 1.3 ms
  -- of CPU a document and did not finish. Each keyset is now an end of the index range itself.
  it("a chunk's statements seek the report index from the keyset to the frontier, no sort", function()
    for i = 1, 30 do doc("invoice", string.format("in%03d", (i * 37) % 101), "2026-03-02", "US-CA", "written") end
    report_rows.CHUNK = 4
    local seen = {}
    report_rows.trace = function(sql, ...) seen[#seen + 1] = { sql = sql, args = { ... } } end
    local ok, err = pcall(report_rows.filing_documents, "2026-03-01", "2026-03-31",
      { limit = 9, after = { "2026-03-02", "invoice", "in050" } })
    report_rows.trace = nil
    assert.truthy(ok, err)
    local ends, chunks = 0, 0
    for _, s in ipairs(seen) do
      local plan = {}
      for r in store.query("EXPLAIN QUERY PLAN " .. s.sql, table.unpack(s.args)) do plan[#plan + 1] = r.detail end
      plan = table.concat(plan, "\n")
      if s.sql:find("FROM invoices d WHERE d.deleted = 0", 1, true) and s.sql:find("LIMIT 1 OFFSET", 1, true) then
        ends = ends + 1
        assert.truthy(plan:find("INDEX invoices_report ((doc_date,id)>(?,?) AND doc_date<?)", 1, true), plan)
        assert.truthy(plan:find("TEMP B-TREE", 1, true) == nil, plan)
      elseif s.sql:find("FROM invoices d WHERE", 1, true) then
        chunks = chunks + 1
        assert.truthy(plan:find("INDEX invoices_report ((doc_date,id)>(?,?) AND (doc_date,id)<(?,?))", 1, true), plan)
      end
    end
    assert.truthy(ends >= 2 and chunks >= 2, ends .. " ends, " .. chunks .. " chunks")
  end)
end)
