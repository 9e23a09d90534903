-- Physical presence entries (issue 20): the inserted row comes back through RETURNING
-- (issue 22: not last_insert_rowid(), which PostgreSQL does not have).
local exposure = require "exposure"

describe("presence_add", function()
  it("answers the stored entry with its new id", function()
    local a = exposure.presence_add({ region = "US-TX", kind = "office", from = "2026-01-01" })
    local b = exposure.presence_add({ region = "US-CA", kind = "inventory", from = "2026-02-01",
                                      to = "2026-03-01", note = "a warehouse" })
    assert.equal("US-TX", a.region)
    assert.equal("office", a.kind)
    assert.equal("2026-01-01", a.from)
    assert.equal("a warehouse", b.note)
    assert.equal("2026-03-01", b.to)
    assert.truthy(math.type(a.id) == "integer" and b.id > a.id)
    local list = exposure.presence_list()
    assert.equal(2, #list)
    assert.same(b, list[1])   -- US-CA sorts first
  end)
end)
