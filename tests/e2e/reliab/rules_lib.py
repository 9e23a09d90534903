#!/usr/bin/env python3
"""Issue 18: scripts/_lib/, the rules' shared helper folder, end to end.

A rule could only `require` a _helper of its own folder. Now every rule may `require
"_lib.<name>"` (scripts/_lib/<name>.lua, loaded under the rules' sandbox). (Reverse charge,
the helper that first lived there, is now declarative: `reverse_charge = "b2b_foreign_seller"`,
implemented once in core/tax/calc.c; the shipped tree has no _lib module, so this test writes
one, _lib/vat_rows.lua, into its copy of the tree and makes gb, eu and au require it.) This
test shows, through `levy check` and a running `levy serve`:
- a tree whose rules require a _lib module checks; the API reverse-charges a GB business buying
  from a US seller and charges domestic VAT from a GB seller;
- a change to a _lib file is a change of the tree: a reload runs the self-tests of every rule
  that requires it (an edit breaking the standard rate is rejected naming gb, eu, au) and
  takes an edit that keeps them passing;
- a _lib module that requires a capability (levy.http, levy.store) is refused by `levy check`
  and by a reload naming the _lib file, the old generation keeps serving;
- a rule requiring outside its folder and _lib (`../us/tx`, `_lib/../us/tx`) is refused.

usage: rules_lib.py LEVY SRC [PORT_BASE]   (ports 21100-21149)
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import check, new_env, req, run_main, tail  # noqa: E402

LEVY, SRC = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PORT_BASE = int(sys.argv[3]) if len(sys.argv) > 3 else 21100

LONDON = {"line1": "1 Main Street", "city": "London", "zip_code": "SW1A 1AA", "country": "GB"}
SEATTLE = {"line1": "1 Main Street", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"}


def calc_body(seller):
    return {"currency": "GBP", "date": "2026-03-01", "ship_to": LONDON, "ship_from": seller,
            "customer": {"id": "b2b", "tax_id": "GB980780684", "exempt": False},
            "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "saas"}]}


def levy_check(plugins, scripts):
    p = subprocess.run([LEVY, "check", "--plugins", plugins, "--scripts", scripts],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


LIB = "scripts/_lib/vat_rows.lua"
LIB_SRC = """-- reliab rules_lib: a shared helper of the rules (the treatment of standard-rated rows)
local M = {}
function M.standard()
  return "taxable"
end
return M
"""
LIB_USERS = ("gb/gb.lua", "eu/vat.lua", "au/au.lua")


def tree(tmp):
    """A copy of the tree whose gb, eu and au rules take their saas row from _lib/vat_rows.lua."""
    plugins, scripts = os.path.join(tmp, "plugins"), os.path.join(tmp, "scripts")
    shutil.copytree(os.path.join(SRC, "plugins"), plugins)
    shutil.copytree(os.path.join(SRC, "scripts"), scripts)
    write(os.path.join(scripts, "_lib", "vat_rows.lua"), LIB_SRC)
    for rel in LIB_USERS:
        path = os.path.join(scripts, rel)
        text = open(path).read()
        assert 'saas = "taxable",' in text, rel
        write(path, 'local rows = require "_lib.vat_rows"\n' +
              text.replace('saas = "taxable",', "saas = rows.standard(),", 1))
    return plugins, scripts
BAD_LIB = {
    "levy.http": 'local http = require "levy.http"\n',
    "levy.store": 'local store = require "levy.store"\n',
}
BAD_RULE = {
    "../us/tx": 'local tx = require "../us/tx"\n',
    "_lib/../us/tx": 'local tx = require "_lib/../us/tx"\n',
    "us.tx": 'local tx = require "us.tx"\n',
}


def case_check(tmp):
    plugins, scripts = tree(tmp)
    rc, out = levy_check(plugins, scripts)
    check("levy check: a tree whose rules require a _lib module (_lib.vat_rows) checks",
          rc == 0 and "all good" in out and "ok    scripts/gb/gb.lua" in out, out[-600:])
    # the rule files of the tree: every scripts/**/*.lua outside "_" files and folders (66
    # before the issue 19 countries; counted, so a new rule file does not break this check)
    n_rules = sum(1 for d, dirs, files in os.walk(scripts)
                  if not any(p.startswith("_") for p in os.path.relpath(d, scripts).split(os.sep))
                  for f in files if f.endswith(".lua") and not f.startswith("_"))
    check("levy check does not load scripts/_lib/ files as rules (%d rules)" % n_rules,
          n_rules >= 66 and ("%d rules" % n_rules) in out, out[-300:])
    lib = os.path.join(scripts, "_lib", "vat_rows.lua")
    orig = open(lib).read()
    for mod, head in BAD_LIB.items():
        write(lib, head + orig)
        rc, out = levy_check(plugins, scripts)
        check("levy check refuses a _lib module requiring %s: exit 1 naming %s" % (mod, LIB),
              rc == 1 and LIB in out and "module '%s' is not available to rules" % mod in out,
              "rc=%s %s" % (rc, out[-600:]))
    write(lib, orig)
    gb = os.path.join(scripts, "gb", "gb.lua")
    gb_orig = open(gb).read()
    for path, head in BAD_RULE.items():
        write(gb, head + gb_orig)
        rc, out = levy_check(plugins, scripts)
        check("levy check refuses a rule requiring %s: exit 1 naming scripts/gb/gb.lua" % path,
              rc == 1 and "scripts/gb/gb.lua:1:" in out and "module '%s' not found" % path in out,
              "rc=%s %s" % (rc, out[-600:]))
    write(gb, gb_orig)


def case_serve():
    env = new_env(LEVY, None, "levy-reliab-ruleslib-serve-", PORT_BASE)
    env.src = os.path.join(env.tmp, "tree")  # levy serves a copy: the test edits its _lib
    scripts = tree(env.src)[1]
    url, auth = env.levy_url, {"Authorization": "Bearer " + env.token}
    try:
        if not check("levy serve is up", env.start_levy(60), tail(os.path.join(env.tmp, "levy.log"))):
            return
        st, _, text, _ = req("PUT", url + "/v1/regions/GB", {"subscribed": True, "tax_calculation": True}, auth)
        check("GB subscribed", st == 200, text)

        def calc(seller):
            st, js, text, _ = req("POST", url + "/v1/calculate", calc_body(seller), auth, timeout=30)
            line = ((js or {}).get("lines") or [{}])[0]
            return st, (js or {}).get("total_tax"), line.get("taxability_reason"), text

        st, total, reason, text = calc(SEATTLE)
        check("US seller to a GB business: reverse charge (reverse_charge = b2b_foreign_seller)",
              st == 200 and total == "0.00" and reason == "reverse_charge", text[:400])
        st, total, reason, text = calc(LONDON)
        check("GB seller to a GB business: 20% domestic VAT",
              st == 200 and total == "20.00" and reason == "standard_rated", text[:400])
        gen0 = (req("GET", url + "/healthz", timeout=5)[1] or {}).get("generation")

        lib = os.path.join(scripts, "_lib", "vat_rows.lua")
        orig = open(lib).read()
        for mod, head in BAD_LIB.items():
            write(lib, head + orig)
            st, js, text, _ = req("POST", url + "/admin/reload", None, auth, timeout=120)
            errs = (js or {}).get("errors") or [{}]
            check("reload with a _lib module requiring %s is rejected naming %s" % (mod, LIB),
                  st == 422 and (js or {}).get("status") == "rejected" and js.get("generation") == gen0
                  and any(e.get("file") == LIB and "not available to rules" in e.get("message", "")
                          for e in errs), "%s %s" % (st, text[:400]))
            st, total, reason, text = calc(SEATTLE)
            check("after the rejected reload (%s) the old generation still reverse-charges" % mod,
                  st == 200 and total == "0.00" and reason == "reverse_charge", text[:400])
        # a change to _lib is a change of the tree, checked by the self-tests of every rule that
        # requires it: an edit that breaks their standard rate is rejected naming those rules...
        write(lib, orig.replace('return "taxable"', 'return "exempt"'))
        st, js, text, _ = req("POST", url + "/admin/reload", None, auth, timeout=120)
        files = {e.get("file") for e in ((js or {}).get("errors") or [])}
        check("reload after breaking the _lib module: rejected by the self-tests of the rules using it",
              st == 422 and {"scripts/gb/gb.lua", "scripts/eu/vat.lua", "scripts/au/au.lua"} <= files,
              "%s %s" % (st, text[:400]))
        # ... and an edit that keeps them passing is taken
        write(lib, orig + "\n-- edited\n")
        st, js, text, _ = req("POST", url + "/admin/reload", None, auth, timeout=120)
        check("reload after a passing edit of the _lib module: reloaded",
              st == 200 and (js or {}).get("status") == "reloaded" and js.get("generation") != gen0,
              "%s %s" % (st, text[:400]))
        st, total, reason, text = calc(SEATTLE)
        check("after the reload GB still reverse-charges",
              st == 200 and total == "0.00" and reason == "reverse_charge", text[:400])
    finally:
        env.close()
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(env.tmp, ignore_errors=True)


def main():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-ruleslib-")
    try:
        case_check(os.path.join(tmp, "check"))
        case_serve()
    finally:
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run_main(main)
