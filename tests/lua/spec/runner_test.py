#!/usr/bin/env python3
"""`levy test` itself: exit codes and failure messages (file:line, case name, expected vs got),
the HTTP stub (declared answers only, no network), per-case store rollback, load errors and
bad paths. Builds a throw-away plugins tree; usage: runner_test.py LEVY SOURCE_DIR."""
import os
import subprocess
import sys
import tempfile

LEVY, SRC = sys.argv[1], sys.argv[2]

CALC = """local store = require "levy.store"
local M = {}
function M.double(x) return x * 2 end
function M.save(v) store.exec("INSERT INTO demo_things(v) VALUES (?)", v) end
function M.count()
  for row in store.query("SELECT count(*) AS n FROM demo_things") do return row.n end
end
function M.fetch(url)
  local http = require "levy.http"
  return http.request { url = url }
end
return M
"""

PASSING = """local h = require "calc"
describe("calc", function()
  it("doubles", function() assert.equal(4, h.double(2)) end)
  it("compares tables deeply", function() assert.same({ a = { 1, 2 } }, { a = { 1, 2 } }) end)
  it("raises", function() assert.raises(function() error("boom: x") end, "boom") end)
  it("writes to the store", function() h.save("a"); assert.equal(1, h.count()) end)
  it("starts from a clean store", function() assert.equal(0, h.count()) end)
  it("answers HTTP from the stub", function()
    stub.http("GET", "https://example.test/x", { status = 201, body = { ok = true } })
    local status, headers, body = h.fetch("https://example.test/x")
    assert.equal(201, status)
    assert.equal("application/json", headers["content-type"])
    assert.equal('{"ok":true}', body)
    assert.equal(1, #stub.requests())
  end)
end)
"""

FAILING = """local h = require "calc"
describe("calc", function()
  describe("double", function()
    it("is wrong on purpose", function()
      assert.equal(5, h.double(2))
    end)
  end)
  it("differs deeply", function()
    assert.same({ lines = { { tax = "1.00" } } }, { lines = { { tax = "1.01" } } })
  end)
  it("asks an undeclared host", function()
    local status, msg, code = h.fetch("https://nowhere.test/y")
    assert.is_nil(status)
    assert.equal("network", code)
  end)
  it("errors in the code", function() h.double(nil) end)
end)
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def run(*args):
    env = dict(os.environ, LEVY_SCRIPTS=os.path.join(SRC, "scripts"), LEVY_DATA=os.path.join(SRC, "data"))
    p = subprocess.run([LEVY, "test", *args], capture_output=True, text=True, env=env, timeout=300)
    return p.returncode, p.stdout, p.stderr


def expect(cond, what, out=""):
    if not cond:
        print("FAILED:", what)
        print(out)
        sys.exit(1)
    print("ok", what)


with tempfile.TemporaryDirectory() as tmp:
    plugins = os.path.join(tmp, "plugins")
    demo = os.path.join(plugins, "demo")
    write(os.path.join(demo, "handler.lua"),
          'local c = require "calc"\nreturn { name = "demo", version = "1" , exports = { double = c.double } }\n')
    write(os.path.join(demo, "calc.lua"), CALC)
    write(os.path.join(demo, "migrations", "0001_demo.sql"), "CREATE TABLE demo_things (v TEXT);\n")
    write(os.path.join(demo, "spec", "calc_spec.lua"), PASSING)

    rc, out, err = run(plugins)
    expect(rc == 0, "a passing spec file exits 0", out + err)
    expect("6 case(s): 6 passed, 0 failed" in out, "every case reported", out)
    expect("ok    plugins/demo/spec/calc_spec.lua: calc > doubles" in out, "ok line names file and case", out)

    write(os.path.join(demo, "spec", "wrong_spec.lua"), FAILING)
    rc, out, err = run(os.path.join(demo, "spec", "wrong_spec.lua"))
    expect(rc == 1, "a failing spec exits 1", out + err)
    expect("FAIL  plugins/demo/spec/wrong_spec.lua:4: calc > double > is wrong on purpose" in out,
           "FAIL line names file:line and the nested case", out)
    expect("plugins/demo/spec/wrong_spec.lua:5: expected 5, got 4" in out, "expected vs got with the assert's line", out)
    expect('at .lines[1].tax: expected "1.00", got "1.01"' in out, "deep difference names its path", out)
    expect("request(s) with no declared answer: GET https://nowhere.test/y" in out,
           "an undeclared HTTP request fails the case", out)
    expect("attempt to perform arithmetic on a nil value" in out and "stack traceback" in out,
           "an error in the code under test comes with its traceback", out)
    expect("4 case(s): 0 passed, 4 failed" in out, "summary counts failures", out)

    rc, out, err = run(demo)
    expect(rc == 1 and "2 spec file(s), 10 case(s)" in out, "a plugin folder runs all its spec files", out)

    write(os.path.join(demo, "spec", "wrong_spec.lua"), "describe('x', function() it('y', function() end) end\n")
    rc, out, err = run(os.path.join(demo, "spec"))
    expect(rc == 1 and "FAIL  plugins/demo/spec/wrong_spec.lua:" in out, "a spec that does not compile fails", out)
    os.remove(os.path.join(demo, "spec", "wrong_spec.lua"))

    write(os.path.join(demo, "calc.lua"), "return {\n")
    rc, out, err = run(plugins)
    expect(rc == 1 and "the plugins did not load" in out and "calc.lua" in out,
           "a plugin that does not load fails with its load error", out)

    rc, out, err = run(os.path.join(tmp, "nope"))
    expect(rc == 1 and "nope" in err, "a missing PATH is an error", out + err)
    empty = os.path.join(tmp, "empty")
    os.makedirs(empty)
    rc, out, err = run(empty)
    expect(rc == 1 and "no spec files" in err, "no spec files is an error, not a silent pass", out + err)
    rc, out, err = run(plugins, plugins)
    expect(rc == 2 and "at most one PATH" in err, "two PATHs are a usage error", out + err)
print("all ok")
