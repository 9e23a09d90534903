#!/usr/bin/env python3
"""Issue 18 item 3: each plugin declares the tables it owns; levy.store refuses a plugin's SQL
on a table another plugin (or the core) owns, naming both.

Fixture plugins `alpha` (owns alpha_things through its migration and `tables`) and `beta`
(owns nothing) beside the shipped ones:
- alpha reads and writes its own table: 200;
- beta's SELECT / INSERT / prepare / query / JOIN on alpha_things, and its read of the core's
  `jobs`, end with 500 and the log names plugin 'beta', the table and its owner; under pcall
  the message is the same (no row written);
- beta calling alpha's export that reads alpha_things: allowed (the code is alpha's);
- a chunk beta loads with the name "@plugins/alpha/x.lua" is still beta's;
- a callback beta hands to alpha's export is beta's code: refused;
- `levy check` refuses two plugins declaring one table, and a declaration of `jobs`;
- levy.jobs.count answers what plugins asked the `jobs` table (queued / due / running);
- every shipped plugin declares exactly the tables its migrations create.
Shipped plugins keep working (levy check passes; /v1/calculate answers).

usage: plugin_tables.py LEVY SRC [PORT_BASE]   (ports 21150-21199)
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import check, req, run_main, serve_tree, stop, tail, wait_for  # noqa: E402

LEVY, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PORT_BASE = int(sys.argv[3]) if len(sys.argv) > 3 else 21150

ALPHA_SQL = "CREATE TABLE alpha_things (id INTEGER PRIMARY KEY, v TEXT);\n"
ALPHA = """
local store = require "levy.store"
return {
  name = "alpha", version = "1", tables = { "alpha_things" },
  routes = {
    { method = "POST", path = "/v1/alpha", handler = function()
        store.exec("INSERT INTO alpha_things (v) VALUES (?)", "a")
        return 200, store.row("SELECT count(*) AS n FROM alpha_things") end },
  },
  exports = { count = function() return store.row("SELECT count(*) AS n FROM alpha_things").n end,
              call = function(f) return f() end },
}
"""
BETA = """
local store = require "levy.store"
local plugin = require "levy.plugin"
local function guarded(f)
  return function()
    local ok, err = pcall(f)
    return 200, { ok = ok, err = tostring(err) }
  end
end
return {
  name = "beta", version = "1",
  routes = {
    { method = "GET", path = "/v1/beta/select", handler = function()
        return 200, store.row("SELECT count(*) AS n FROM alpha_things") end },
    { method = "GET", path = "/v1/beta/pcall_insert", handler = guarded(function()
        store.exec("INSERT INTO alpha_things (v) VALUES (?)", "b") end) },
    { method = "GET", path = "/v1/beta/pcall_direct", handler = function()
        local ok, err = pcall(store.row, "SELECT v FROM alpha_things")
        return 200, { ok = ok, err = tostring(err) } end },
    { method = "GET", path = "/v1/beta/prepare", handler = guarded(function()
        local st <close> = store.prepare("UPDATE alpha_things SET v = 'x'")
        st:exec() end) },
    { method = "GET", path = "/v1/beta/query", handler = guarded(function()
        for _ in store.query("DELETE FROM alpha_things RETURNING id") do end end) },
    { method = "GET", path = "/v1/beta/join", handler = guarded(function()
        store.rows("WITH x(n) AS (SELECT 1) SELECT * FROM x JOIN alpha_things ON 1") end) },
    { method = "GET", path = "/v1/beta/jobs", handler = guarded(function()
        store.row("SELECT count(*) AS n FROM jobs") end) },
    { method = "GET", path = "/v1/beta/audit", handler = guarded(function()
        store.exec("DELETE FROM audit_log") end) },
    { method = "GET", path = "/v1/beta/tokens", handler = guarded(function()
        store.row("SELECT hash FROM api_tokens") end) },
    { method = "GET", path = "/v1/beta/forged", handler = guarded(function()
        local f = load("return require('levy.store').row('SELECT count(*) AS n FROM alpha_things')",
                       "@plugins/alpha/forged.lua", "t")
        return f() end) },
    { method = "GET", path = "/v1/beta/jobs_count", handler = function()
        local jobs = require "levy.jobs"
        jobs.enqueue { kind = "beta.x", key = "k1", delay_ms = 3600000 }
        jobs.enqueue { kind = "beta.y", key = "k2" }
        local bad = { pcall(jobs.count, { kind = "beta.x" }) }
        local bad2 = { pcall(jobs.count, { kind = "beta.x", states = { "later" } }) }
        return 200, {
          queued = jobs.count { kind = "beta.x", states = { "queued" } },
          due = jobs.count { kind = "beta.x", states = { "due" } },
          both_due = jobs.count { kinds = { "beta.x", "beta.y" }, states = { "due" } },
          key = jobs.count { kinds = { "beta.x", "beta.y" }, key = "k2", states = { "queued" } },
          running = jobs.count { kind = "beta.x", states = { "running" } },
          no_states = tostring(bad[2]), bad_state = tostring(bad2[2]) } end },
    { method = "GET", path = "/v1/beta/callback", handler = guarded(function()
        return plugin("alpha").call(function() return store.row("SELECT count(*) AS n FROM alpha_things") end)
      end) },
    { method = "GET", path = "/v1/beta/export", handler = function()
        return 200, { n = plugin("alpha").count() } end },
  },
}
"""
DUP = 'return { name = "gamma", version = "1", tables = { "alpha_things" } }\n'
CORE = 'return { name = "gamma", version = "1", tables = { "jobs" } }\n'
CALC = {"currency": "USD", "date": "2025-12-15",
        "ship_to": {"line1": "1 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"},
        "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]}


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def tree(tmp):
    plugins, scripts = os.path.join(tmp, "plugins"), os.path.join(tmp, "scripts")
    if not os.path.exists(plugins):
        shutil.copytree(os.path.join(SRC, "plugins"), plugins)
        shutil.copytree(os.path.join(SRC, "scripts"), scripts)
    write(os.path.join(plugins, "alpha", "handler.lua"), ALPHA)
    write(os.path.join(plugins, "alpha", "migrations", "0001_alpha.sql"), ALPHA_SQL)
    write(os.path.join(plugins, "beta", "handler.lua"), BETA)
    return plugins, scripts


def levy_check(plugins, scripts):
    p = subprocess.run([LEVY, "check", "--plugins", plugins, "--scripts", scripts],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def case_check(tmp):
    plugins, scripts = tree(tmp)
    rc, out = levy_check(plugins, scripts)
    check("levy check: the shipped plugins and the fixtures load", rc == 0, out[-600:])
    g = os.path.join(plugins, "gamma", "handler.lua")
    write(g, DUP)
    rc, out = levy_check(plugins, scripts)
    check("levy check refuses a second owner of a table, naming both",
          rc == 1 and "table 'alpha_things' is already owned by plugin 'alpha'" in out, out[-600:])
    write(g, CORE)
    rc, out = levy_check(plugins, scripts)
    check("levy check refuses a plugin claiming the core's jobs table",
          rc == 1 and "table 'jobs' is already owned by the core" in out, out[-600:])
    shutil.rmtree(os.path.dirname(g))


def case_declared():
    """Every shipped plugin's `tables` is exactly what its migrations create (a table left out
    would have no owner, and no check)."""
    import glob
    import re
    root = os.path.join(SRC, "plugins")
    for name in sorted(os.listdir(root)):
        handler = os.path.join(root, name, "handler.lua")
        if not os.path.isfile(handler):
            continue
        created = set()
        for m in sorted(glob.glob(os.path.join(root, name, "migrations", "*.sql"))):
            created |= set(re.findall(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", open(m).read(), re.I))
        decl = re.search(r"^  tables = \{([^}]*)\}", open(handler).read(), re.M)
        declared = set(re.findall(r'"(\w+)"', decl.group(1))) if decl else None
        check("plugin %s declares the tables its migrations create" % name, declared == created,
              "declared %s, created %s" % (sorted(declared or []), sorted(created)))


def case_serve(tmp):
    plugins, scripts = tree(tmp)
    p, url, auth, log, data, up = serve_tree(LEVY, tmp, plugins, scripts, PORT_BASE,
                                            "plugin-tables-token-0123456789abcdef")
    try:
        if not check("levy serve is up", up, tail(log)):
            return
        st, js, text, _ = req("PUT", url + "/v1/regions/US-TX", {"subscribed": True, "tax_calculation": True}, auth)
        check("api writes its own regions table", st == 200, text[:300])
        st, js, text, _ = req("POST", url + "/v1/calculate", CALC, auth, timeout=30)
        check("the shipped plugins still calculate", st == 200 and (js or {}).get("total_tax") == "8.25", text[:300])
        st, js, text, _ = req("POST", url + "/v1/alpha", None, auth)
        check("alpha reads and writes its own table", st == 200 and (js or {}).get("n") == 1, text[:300])

        st, js, text, _ = req("GET", url + "/v1/beta/select", None, auth)
        want = "plugin 'beta' may not use table 'alpha_things' of plugin 'alpha'"
        check("beta's SELECT on alpha's table: 500 internal", st == 500, "%s %s" % (st, text[:300]))
        check("the log names plugin 'beta', the table and its owner 'alpha'",
              wait_for(lambda: want in tail(log, 200000), 10), tail(log)[-1500:])
        for route in ("pcall_insert", "pcall_direct", "prepare", "query", "join", "forged", "callback"):
            st, js, text, _ = req("GET", url + "/v1/beta/" + route, None, auth)
            check("beta %s on alpha's table is refused naming both plugins" % route,
                  st == 200 and js and js.get("ok") is False and want in js.get("err", ""), text[:400])
        st, js, text, _ = req("GET", url + "/v1/beta/jobs", None, auth)
        check("beta reading the core's jobs table is refused, naming the core",
              st == 200 and js and js.get("ok") is False
              and "plugin 'beta' may not use table 'jobs' of the core" in js.get("err", ""), text[:400])
        # issue 20 (audit20): the audit log is append-only for plugins too: only levy.audit
        st, js, text, _ = req("GET", url + "/v1/beta/audit", None, auth)
        check("beta deleting from the core's audit_log is refused, naming the core",
              st == 200 and js and js.get("ok") is False
              and "plugin 'beta' may not use table 'audit_log' of the core" in js.get("err", ""), text[:400])
        # issue 20 (tokens22): the named tokens' hashes are the host's only
        st, js, text, _ = req("GET", url + "/v1/beta/tokens", None, auth)
        check("beta reading the core's api_tokens is refused, naming the core",
              st == 200 and js and js.get("ok") is False
              and "plugin 'beta' may not use table 'api_tokens' of the core" in js.get("err", ""), text[:400])
        st, js, text, _ = req("GET", url + "/v1/beta/jobs_count", None, auth)
        js = js or {}
        check("levy.jobs.count answers about the queue without the jobs table",
              st == 200 and (js.get("queued"), js.get("due"), js.get("both_due"), js.get("key"), js.get("running"))
              == (1, 0, 1, 1, 0), text[:400])
        check("levy.jobs.count refuses a call without states or with an unknown state",
              "states" in js.get("no_states", "") and "unknown state 'later'" in js.get("bad_state", ""), text[:400])
        st, js, text, _ = req("GET", url + "/v1/beta/export", None, auth)
        check("beta reaching alpha's rows through alpha's export works", st == 200 and (js or {}).get("n") == 1,
              text[:300])
        db = sqlite3.connect(os.path.join(data, "levy.db"))
        rows = db.execute("SELECT count(*), min(v), max(v) FROM alpha_things").fetchone()
        db.close()
        check("no refused statement changed alpha_things", rows == (1, "a", "a"), str(rows))
    finally:
        stop(p)


def main():
    tmp = tempfile.mkdtemp(prefix="levy-ptables-")
    try:
        case_declared()
        case_check(os.path.join(tmp, "c"))
        case_serve(os.path.join(tmp, "s"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
