-- docs.lua: stored fingerprints carry a version (migration 0012). A fingerprint stored before
-- the upgrade (version 1: hashed over the plugin's former Lua canonical JSON text) is not
-- compared byte for byte with one of the current version: it is recomputed once, so an
-- encoder change never makes a document look changed (recalculated and written again).
local crypto = require "levy.crypto"
local jobs = require "levy.jobs"
local store = require "levy.store"
local docs = require "docs"

local CONN = { id = "conn_fp", line_amounts = "net" }

local function money(amount) return { amount = amount, currency = "USD" } end

local function invoice(total)
  return {
    id = "inv_fp", updated_at = "2026-08-01T11:00:00Z", status = "OPEN", currency = "USD",
    invoice_number = "INV-FP", invoice_date = "2026-08-01", customer_id = "cus_fp",
    total = money(total),
    shipping_address = { country = "US", state = "CA", city = "San Francisco", postal_code = "94107" },
    items = { { id = "line_1", product_id = "prod_1", quantity = 1, total_amount = money(total) } },
  }
end

local function row()
  return store.row("SELECT fingerprint, fingerprint_version, raw FROM invoices WHERE id = 'inv_fp'")
end

local function queued()
  return jobs.count { kind = "rillet.calculate", key = "invoice:inv_fp", states = { "queued" } }
end

-- The document as levy held it before the upgrade: its fingerprint is version 1, spelled by
-- another encoder (any text other than the current one stands for it).
local function stored_before_upgrade(total)
  assert.equal("created", docs.apply(CONN, "invoice", invoice(total), "import"))
  store.exec("DELETE FROM jobs WHERE kind = 'rillet.calculate'")
  local old = crypto.hex(crypto.sha256("version 1 spelling of " .. total))
  store.exec("UPDATE invoices SET fingerprint = ?, fingerprint_version = 1, tax_status = 'written', " ..
    "calculation_id = 'calc_1' WHERE id = 'inv_fp'", old)
  return old
end

describe("fingerprint versions", function()
  it("stores new documents with the current version", function()
    assert.equal(2, docs.FP_VERSION)
    assert.equal("created", docs.apply(CONN, "invoice", invoice("100.00"), "import"))
    assert.equal(docs.FP_VERSION, row().fingerprint_version)
  end)

  it("gives rows of before the upgrade version 1 (the migration's default)", function()
    store.exec("INSERT INTO invoices(id, connection_id, raw, fingerprint, imported_at) " ..
      "VALUES ('inv_old', 'conn_fp', '{}', 'abc', '2026-08-01T00:00:00Z')")
    assert.equal(1, store.row("SELECT fingerprint_version FROM invoices WHERE id = 'inv_old'").fingerprint_version)
  end)

  it("recomputes an old fingerprint once instead of taking the document as changed", function()
    local old = stored_before_upgrade("100.00")
    -- the same document arrives again after the upgrade (a sweep, a webhook)
    assert.equal("unchanged", docs.apply(CONN, "invoice", invoice("100.00"), "sweep"))
    assert.equal(0, queued())
    local r = row()
    assert.equal(docs.FP_VERSION, r.fingerprint_version)
    assert(r.fingerprint ~= old, "the fingerprint was recomputed")
    -- once: from now on it is compared as it is
    local fp = r.fingerprint
    assert.equal("unchanged", docs.apply(CONN, "invoice", invoice("100.00"), "sweep"))
    assert.equal(fp, row().fingerprint)
    assert.equal(0, queued())
    assert.equal("updated", docs.apply(CONN, "invoice", invoice("120.00"), "sweep"))
    assert.equal(1, queued())
  end)

  it("still sees a document that changed while its fingerprint was old", function()
    stored_before_upgrade("100.00")
    assert.equal("updated", docs.apply(CONN, "invoice", invoice("150.00"), "webhook"))
    assert.equal(1, queued())
    assert.equal(docs.FP_VERSION, row().fingerprint_version)
  end)

  it("re-checks (bulk) an old fingerprint once and stores it in the current version", function()
    stored_before_upgrade("100.00")
    local r = store.row("SELECT id, raw, fingerprint, fingerprint_version, status, calculation_id, " ..
      "'net' AS line_amounts FROM invoices WHERE id = 'inv_fp'")
    -- its text differs and the stored document is what it was computed from: recalculated once
    assert.equal(true, docs.recheck("invoice", r, "customer cus_fp changed", false))
    assert.equal(docs.FP_VERSION, row().fingerprint_version)
    store.exec("DELETE FROM jobs WHERE kind = 'rillet.calculate'")
    r = store.row("SELECT id, raw, fingerprint, fingerprint_version, status, calculation_id, " ..
      "'net' AS line_amounts FROM invoices WHERE id = 'inv_fp'")
    assert.equal(false, docs.recheck("invoice", r, "customer cus_fp changed", false))
    assert.equal(0, queued())
  end)

  it("keeps an old fingerprint the current encoder spells the same (no recalculation)", function()
    assert.equal("created", docs.apply(CONN, "invoice", invoice("100.00"), "import"))
    store.exec("DELETE FROM jobs WHERE kind = 'rillet.calculate'")
    local fp = row().fingerprint
    store.exec("UPDATE invoices SET fingerprint_version = 1, tax_status = 'written', calculation_id = 'calc_1' " ..
      "WHERE id = 'inv_fp'")
    assert.equal("unchanged", docs.apply(CONN, "invoice", invoice("100.00"), "sweep"))
    assert.equal(0, queued())
    assert.equal(fp, row().fingerprint)
    assert.equal(docs.FP_VERSION, row().fingerprint_version)
  end)
end)
