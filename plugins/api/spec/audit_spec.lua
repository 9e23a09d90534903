-- levy.audit (issue 20, audit20): the audit log's rows are written in the caller's transaction
-- (rolled back with it), carry only the changed fields, name a secret by at most its last 4
-- characters, and list newest first with filters and keyset pages.
local audit = require "levy.audit"
local json = require "levy.json"
local store = require "levy.store"

local REQ = { actor_kind = "api_token", actor = "API token", id = "req_spec" }

local function count() return #audit.list { limit = 500 } end

describe("levy.audit", function()
  it("diff keeps only the fields that changed, a missing record counts as all-null", function()
    local d = audit.diff({ a = 1, b = "x", c = { 1, 2 }, d = json.null }, { a = 1, b = "y", c = { 1, 2 }, e = true })
    assert.same({ b = { before = "x", after = "y" }, e = { before = json.null, after = true } }, d)
    assert.equal(false, audit.changed(audit.diff({ a = 1 }, { a = 1 })))
    assert.same({ a = { before = json.null, after = 1 } }, audit.diff(nil, { a = 1, z = 2 }, { "a" }))
  end)

  it("names a secret by at most its last 4 characters", function()
    assert.equal("replaced (…abcd)", audit.replaced("abcd"))
    assert.equal("replaced", audit.replaced("toolongsecret"))
    assert.equal("set (…wxyz)", audit.secret("set", "wxyz"))
  end)

  it("writes its row with the change, and loses it when the transaction rolls back", function()
    local n = count()
    local ok = pcall(store.transaction, function()
      audit.record(REQ, { action = "settings.updated", object_kind = "settings", changes = { rounding = {
        before = "line", after = "document" } } })
      assert.equal(n + 1, count())
      error("refused after the row")
    end)
    assert.equal(false, ok)
    assert.equal(n, count())
    store.transaction(function()
      audit.record(REQ, { action = "settings.updated", object_kind = "settings", changes = { rounding = {
        before = "line", after = "document" } } })
    end)
    local rows = audit.list { limit = 1 }
    assert.equal(n + 1, count())
    assert.equal("API token", rows[1].actor)
    assert.equal("req_spec", rows[1].request_id)
    assert.equal("document", rows[1].changes.rounding.after)
  end)

  it("a row the store refuses raises 503 unavailable 'not saved' (not a conflict, not a 500)", function()
    store.exec("CREATE TRIGGER audit_spec_block BEFORE INSERT ON audit_log " ..
      "BEGIN SELECT RAISE(ABORT, 'blocked by the spec'); END")
    local n = count()
    local ok, err = pcall(store.transaction, function()
      audit.record(REQ, { action = "settings.updated", object_kind = "settings" })
    end)
    store.exec("DROP TRIGGER audit_spec_block")
    assert.equal(false, ok)
    assert.equal("table", type(err))
    assert.equal(503, err.status)
    assert.equal("unavailable", err.code)
    assert.truthy(tostring(err.message):find("not saved", 1, true))
    assert.equal(n, count())
  end)

  it("refuses an action that is not a code and an unknown actor kind", function()
    assert.falsy(pcall(audit.record, REQ, { action = "Settings Updated", object_kind = "settings" }))
    assert.falsy(pcall(audit.record, { actor_kind = "root", actor = "x" }, { action = "a.b", object_kind = "x" }))
    assert.falsy(pcall(audit.record, nil, { action = "a.b" }))
  end)

  it("lists newest first, filters by action prefix and object, pages by id", function()
    for i = 1, 5 do
      audit.record(nil, { action = i % 2 == 0 and "region.updated" or "product.tax_code_changed",
                          object_kind = i % 2 == 0 and "region" or "product", object_id = "o" .. i })
    end
    local all = audit.list { limit = 500 }
    for i = 2, #all do assert.truthy(all[i - 1].id > all[i].id) end
    assert.equal("system", all[1].actor_kind)
    assert.equal(2, #audit.list { limit = 500, action = "region." })
    assert.equal(1, #audit.list { limit = 500, object_kind = "product", object_id = "o3" })
    local seen, after = {}, nil
    repeat
      local rows, nxt = audit.list { limit = 2, after = after }
      for _, r in ipairs(rows) do seen[#seen + 1] = r.id end
      after = nxt
    until after == nil
    assert.equal(#all, #seen)
  end)
end)
