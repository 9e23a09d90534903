-- Generations across replicas (issue 22), on one process and SQLite: a calculation records its
-- generation's store-issued order (generation_seq); the write-back of a calculation of an older
-- generation than another calculation stored for the same document loses -- nothing is sent
-- to Rillet, a `superseded` write-back and a history entry are recorded, and the document is
-- queued for a calculation on the newest rules.
local store = require "levy.store"
local writeback = require "writeback"

local RESULT = '{"currency":"USD","total_tax":"8.25","lines":[{"id":"l1","tax":"8.25","taxes":[]}]}'

local function calc(id, doc, seq, hash, ms)
  store.exec([[INSERT INTO calculations(id, doc_type, doc_id, fingerprint, request, result, total_tax,
    created_at, created_ms, generation_hash, generation_seq)
    VALUES (?, 'invoice', ?, 'fp', '{}', ?, '8.25', 'x', ?, ?, ?)]],
    id, doc, RESULT, ms, hash, seq)
end

local function queued(key)
  return store.row("SELECT count(*) AS n FROM jobs WHERE kind = 'rillet.calculate' AND key = ?", key).n
end

local function doc(id, calc_id)
  store.exec([[INSERT INTO invoices(id, connection_id, raw, fingerprint, calculation_id, tax_status, imported_at)
    VALUES (?, 'conn_g', '{"id":"x","items":[{"id":"l1","taxed_amount":{"amount":"0.00","currency":"USD"}}]}',
    'fp', ?, 'calculated', 'x')]], id, calc_id)
end

describe("generation order of calculations", function()
  it("finds the newest calculation of a newer generation, none for the newest or an unordered one", function()
    calc("cg_1", "inv_g1", 1, "aaaa", 1000)
    calc("cg_2", "inv_g1", 3, "bbbb", 900) -- made earlier, by a newer generation
    calc("cg_3", "inv_g1", 2, "cccc", 2000)
    assert.equal("cg_2", writeback.newer_generation("invoice", "inv_g1", 1).id)
    assert.equal("cg_2", writeback.newer_generation("invoice", "inv_g1", 2).id)
    assert.is_nil(writeback.newer_generation("invoice", "inv_g1", 3))
    assert.is_nil(writeback.newer_generation("invoice", "inv_g1", nil))
    assert.is_nil(writeback.newer_generation("invoice", "inv_other", 1))
  end)

  it("skips the write-back of an older generation's result and records it as superseded", function()
    calc("cg_old", "inv_g2", 4, "old0", 5000) -- the document's calculation, made last...
    calc("cg_new", "inv_g2", 5, "new0", 4000) -- ...but an earlier one is of a newer generation
    doc("inv_g2", "cg_old")
    local before = queued("invoice:inv_g2")
    assert.is_nil(writeback.writeback({ payload = { doc_type = "invoice", id = "inv_g2",
                                                    calculation_id = "cg_old" } }))
    local w = store.row("SELECT * FROM writebacks WHERE doc_id = 'inv_g2'")
    assert.equal("superseded", w.outcome)
    assert.equal("cg_old", w.calculation_id)
    assert.is_nil(w.http_status)
    assert.matches("older generation %(seq 4%) than calculation cg_new %(seq 5", w.response)
    assert.equal(1, store.row("SELECT count(*) AS n FROM writebacks WHERE doc_id = 'inv_g2'").n)
    local h = store.row("SELECT * FROM history WHERE doc_id = 'inv_g2' AND kind = 'writeback'")
    assert.equal("superseded", h.outcome)
    assert.equal(before + 1, queued("invoice:inv_g2"))
  end)

  it("lets the newest generation's write-back through the check", function()
    calc("cg_n1", "inv_g3", 6, "n1", 1000)
    calc("cg_n2", "inv_g3", 7, "n2", 2000)
    doc("inv_g3", "cg_n2")
    writeback.writeback({ payload = { doc_type = "invoice", id = "inv_g3", calculation_id = "cg_n2" } })
    assert.equal(0, store.row([[SELECT count(*) AS n FROM writebacks
      WHERE doc_id = 'inv_g3' AND outcome = 'superseded']]).n)
  end)
end)
