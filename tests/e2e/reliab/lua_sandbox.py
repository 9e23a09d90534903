#!/usr/bin/env python3
"""Issue 15, findings 2 and 3: Lua code that would escape the sandbox is refused at load.

2. A `__gc` finalizer runs with Lua's hooks off, outside the instruction/time budget: a plugin
   or rule that installs one (directly, or through a host metatable such as levy.json's
   array_mt) hung `levy check`, the reload thread or the event loop for good. Now the load is
   refused: `levy check` exits 1 naming the file, a reload is rejected (422) while the old
   generation keeps serving and /healthz answers, and SIGTERM still exits 0.
3. A rule's taxability table carrying a metatable whose __index used levy.store and
   levy.crypto ran in the request context when the engine looked a tax code up (it created a
   table in levy.db here, and could unseal the Rillet API key). Now rule data must be plain
   tables and rules cannot require levy.store / levy.crypto / levy.http: `levy check` and the
   reload refuse such a rule naming its file, and levy.db never gets the attacker's table.

usage: lua_sandbox.py LEVY SRC [PORT_BASE]   (ports 19650-19699)
"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import check, req, serve_tree, summary, tail  # noqa: E402

LEVY, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PORT_BASE = int(sys.argv[3]) if len(sys.argv) > 3 else 19650

GC_LOOP = ("setmetatable({}, { __gc = function() while true do end end })\n"
           "return { name = 'gcbomb', version = '1' }\n")
GC_ARRAY_MT = ("local json = require 'levy.json'\n"
               "json.array_mt.__gc = function() while true do end end\n"
               "local keep = json.array({})\n"
               "return { name = 'gcbomb', version = '1', exports = { keep = keep } }\n")
GC_RULE = ("setmetatable({}, { __gc = function() while true do end end })\n"
           "return { region = 'US-TX', name = 'Texas', tax_type = 'SALES_TAX', taxability = {} }\n")

# The reported attack: the engine's lookup of a tax code in `taxability` runs __index in the
# caller's (request) context, where levy.store and levy.crypto work.
ATTACK_RULE = """
local function pwn(t, k)
  local store, crypto = require("levy.store"), require("levy.crypto")
  pcall(store.exec, "CREATE TABLE IF NOT EXISTS pwned (v TEXT)")
  local ok, rows = pcall(store.rows, "SELECT id, api_key_sealed, signing_token_sealed FROM rillet_connections")
  if ok then
    for _, r in ipairs(rows) do
      pcall(store.exec, "INSERT INTO pwned VALUES (?)", tostring(crypto.open(r.api_key_sealed, r.id .. ":api_key")))
    end
  end
  pcall(store.exec, "INSERT INTO pwned VALUES (?)", "looked up " .. tostring(k))
  return nil
end
return {
  region = "US-TX", name = "Texas", tax_type = "SALES_TAX", sourcing = "origin",
  taxability = setmetatable({ default = "taxable" }, { __index = pwn }),
}
"""
# A backtracking pattern: string matching runs in C, where the count hook never fires.
PATTERN_AT_LOAD = ("local s = ('a'):rep(20000)\n"
                   "s:find('.-.-b')\n"
                   "return { name = 'patbomb', version = '1' }\n")
PATTERN_ROUTE = ("return { name = 'patbomb', version = '1', routes = { { method = 'GET', path = '/v1/patbomb',\n"
                 "  handler = function() local s = ('a'):rep(20000); s:find('.-.-b'); return 200, {} end } } }\n")
# A runaway SQL statement: SQLite's VM runs outside Lua's count hook.
SQL_ROUTE = ("local store = require 'levy.store'\n"
             "return { name = 'sqlbomb', version = '1', routes = { { method = 'GET', path = '/v1/sqlbomb',\n"
             "  handler = function() return 200, store.row('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
             "SELECT x + 1 FROM c) SELECT count(*) AS n FROM c') end } } }\n")
STORE_RULE = ('local store = require "levy.store"\n'
              'return { region = "US-TX", name = "Texas", tax_type = "SALES_TAX", taxability = { default = "taxable" } }\n')

CALC = {"currency": "USD", "date": "2025-12-15",
        "ship_to": {"line1": "1 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"},
        "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]}


def levy_check(plugins, scripts, timeout=60):
    """Runs `levy check`; returns (exit code, output) or (None, "timed out") when it hangs."""
    try:
        p = subprocess.run([LEVY, "check", "--plugins", plugins, "--scripts", scripts],
                           capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return None, "levy check did not finish within %d s" % timeout


def tree(tmp):
    plugins, scripts = os.path.join(tmp, "plugins"), os.path.join(tmp, "scripts")
    shutil.copytree(os.path.join(SRC, "plugins"), plugins)
    shutil.copytree(os.path.join(SRC, "scripts"), scripts)
    return plugins, scripts


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def case_check(tmp):
    plugins, scripts = tree(tmp)
    rc, out = levy_check(plugins, scripts)
    check("levy check: every shipped plugin and rule loads", rc == 0 and "all good" in out, out[-600:])
    gc = os.path.join(plugins, "gcbomb", "handler.lua")
    for what, text in (("__gc finalizer", GC_LOOP), ("__gc through levy.json.array_mt", GC_ARRAY_MT)):
        write(gc, text)
        rc, out = levy_check(plugins, scripts)
        check("levy check refuses a plugin with a %s: exit 1 naming the file" % what,
              rc == 1 and "plugins/gcbomb/handler.lua" in out, "rc=%s %s" % (rc, out[-600:]))
    shutil.rmtree(os.path.dirname(gc))
    pb = os.path.join(plugins, "patbomb", "handler.lua")
    write(pb, PATTERN_AT_LOAD)
    rc, out = levy_check(plugins, scripts)
    check("levy check ends a backtracking pattern at load with the budget: exit 1 naming the file",
          rc == 1 and "plugins/patbomb/handler.lua" in out and "budget exceeded" in out, "rc=%s %s" % (rc, out[-600:]))
    shutil.rmtree(os.path.dirname(pb))
    tx = os.path.join(scripts, "us", "tx.lua")
    orig = open(tx).read()
    for what, text, want in (("a __gc finalizer", GC_RULE, "__gc"),
                             ("a metatable on taxability (levy.store/levy.crypto in __index)", ATTACK_RULE, "metatable"),
                             ("require levy.store", STORE_RULE, "not available to rules")):
        write(tx, text)
        rc, out = levy_check(plugins, scripts)
        check("levy check refuses a rule with %s: exit 1 naming scripts/us/tx.lua" % what,
              rc == 1 and "scripts/us/tx.lua" in out and want in out, "rc=%s %s" % (rc, out[-600:]))
    write(tx, orig)


def case_serve(tmp):
    plugins, scripts = tree(tmp)
    p, url, auth, log, data, up = serve_tree(LEVY, tmp, plugins, scripts, PORT_BASE,
                                            "lua-sandbox-token-0123456789abcdef")
    try:
        if not check("levy serve is up", up, tail(log)):
            return
        st, _, text, _ = req("PUT", url + "/v1/regions/US-TX", {"subscribed": True, "tax_calculation": True}, auth)
        check("US-TX subscribed", st == 200, text)

        def calc_ok():
            st, js, text, _ = req("POST", url + "/v1/calculate", CALC, auth, timeout=10)
            return st == 200 and js and js.get("total_tax") == "8.25"
        check("the shipped Texas rule answers 8.25", calc_ok())
        gen0 = (req("GET", url + "/healthz", timeout=5)[1] or {}).get("generation")

        def reload_refused(what, file, want):
            st, js, text, _ = req("POST", url + "/admin/reload", None, auth, timeout=60)
            errs = (js or {}).get("errors") or [{}]
            check("reload with %s is rejected naming %s" % (what, file),
                  st == 422 and (js or {}).get("status") == "rejected" and js.get("generation") == gen0
                  and errs[0].get("file") == file and want in errs[0].get("message", ""),
                  "%s %s" % (st, text[:400]))
            hz = req("GET", url + "/healthz", timeout=5)
            check("after the reload with %s /healthz answers on the old generation" % what,
                  hz[0] == 200 and (hz[1] or {}).get("generation") == gen0, str(hz[2])[:200])
            check("after the reload with %s the old rules still serve" % what, calc_ok())

        tx = os.path.join(scripts, "us", "tx.lua")
        orig = open(tx).read()
        write(tx, ATTACK_RULE)
        reload_refused("the taxability metatable attack", "scripts/us/tx.lua", "metatable")
        write(tx, STORE_RULE)
        reload_refused("a rule requiring levy.store", "scripts/us/tx.lua", "not available to rules")
        write(tx, orig)
        gc = os.path.join(plugins, "gcbomb", "handler.lua")
        write(gc, GC_LOOP)
        reload_refused("a plugin installing __gc", "plugins/gcbomb/handler.lua", "__gc")
        write(gc, GC_ARRAY_MT)
        reload_refused("a plugin adding __gc to levy.json.array_mt", "plugins/gcbomb/handler.lua", "array_mt")
        shutil.rmtree(os.path.dirname(gc))
        # a runaway pattern in a request: the budget ends it (500), the loop keeps serving
        pb = os.path.join(plugins, "patbomb", "handler.lua")
        write(pb, PATTERN_ROUTE)
        st, js, text, _ = req("POST", url + "/admin/reload", None, auth, timeout=60)
        check("a plugin with a backtracking pattern in a handler reloads", st == 200, text[:300])
        st, js, text, _ = req("GET", url + "/v1/patbomb", None, auth, timeout=30)
        check("the backtracking pattern is ended by the budget: 500 internal",
              st == 500 and ((js or {}).get("error") or {}).get("code") == "internal", "%s %s" % (st, text[:300]))
        hz = req("GET", url + "/healthz", timeout=5)
        check("after the runaway pattern /healthz answers", hz[0] == 200, str(hz[2])[:200])
        check("after the runaway pattern the rules still serve", calc_ok())
        shutil.rmtree(os.path.dirname(pb))
        # a runaway SQL statement in a request: charged to the same budget (SQLite's progress
        # handler), interrupted, 500; the loop keeps serving
        sb = os.path.join(plugins, "sqlbomb", "handler.lua")
        write(sb, SQL_ROUTE)
        st, js, text, _ = req("POST", url + "/admin/reload", None, auth, timeout=60)
        check("a plugin with an endless recursive SQL query in a handler reloads", st == 200, text[:300])
        try:
            st, js, text, _ = req("GET", url + "/v1/sqlbomb", None, auth, timeout=60)
        except Exception as e:  # noqa: BLE001 - the old code never answers
            st, js, text = None, None, repr(e)
        check("the endless SQL query is ended by the budget: 500 internal",
              st == 500 and ((js or {}).get("error") or {}).get("code") == "internal", "%s %s" % (st, text[:300]))
        hz = req("GET", url + "/healthz", timeout=5)
        check("after the runaway SQL query /healthz answers", hz[0] == 200, str(hz[2])[:200])
        log_text = open(log).read() if os.path.exists(log) else ""
        check("the runaway SQL query's log names the budget", "budget exceeded" in log_text, tail(log, 600))
        p.send_signal(signal.SIGTERM)
        try:
            rc = p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            rc = "still running 60 s after SIGTERM"
        check("SIGTERM: levy exits 0", rc == 0, "%s %s" % (rc, tail(log, 800)))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    db = sqlite3.connect(os.path.join(data, "levy.db"), timeout=10)
    try:
        pwned = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'pwned'").fetchone()[0]
    finally:
        db.close()
    check("the rule's __index never ran with the store (no 'pwned' table in levy.db)", pwned == 0)


def main():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-lua-")
    try:
        t0 = time.monotonic()
        case_check(os.path.join(tmp, "check"))
        case_serve(os.path.join(tmp, "serve"))
        print("lua_sandbox: %.1f s" % (time.monotonic() - t0))
    finally:
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
