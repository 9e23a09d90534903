-- The simulator's counters (issue 22: the upsert's own column is table-qualified, which
-- PostgreSQL requires: `value` alone is ambiguous beside `excluded.value`).
local state = require "state"

describe("next_counter", function()
  it("counts from 1, per name", function()
    assert.equal(1, state.next_counter("invoice"))
    assert.equal(2, state.next_counter("invoice"))
    assert.equal(1, state.next_counter("credit_memo"))
  end)
end)
