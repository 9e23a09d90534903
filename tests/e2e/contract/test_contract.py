#!/usr/bin/env python3
"""A literal checker of CONTRACT.md's external interface (ctest e2e_contract).

Usage: test_contract.py PATH/TO/levy SRC
Reads the contract clause by clause, as an outside acceptance check would: the command line's
usage and exit codes (§1), the common HTTP rules (§2.1: auth, the error shape and codes,
lists, unknown paths, wrong methods, trailing '/', HEAD, body limit, content type, money as
JSON numbers, unicode), health and operations (§2.2), the connect flow (§2.3), regions,
settings, tax codes (§2.4), /v1/calculate and the Sphere endpoint's edges (§2.5), the
documents' lists and filters (§2.6) and the webhook intake (§2.7: every header, signature
variants, duplicates, entity/event spelling, DELETED bodies, unknown and disconnected
connections). Starts `levy sim` and `levy serve` on loopback on ports 16000-16039 and
16060-16079 (offsets from $CONTRACT_E2E_PORT when set; e2e_contract_standin uses
16040-16059). Prints "N passed, N failed"; exit 1 on failure. Standard library only.
"""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
from harness import req  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else \
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TOKEN = "contract-e2e-token"
AUTH = {"Authorization": "Bearer " + TOKEN}
SEED = 3


def check(name, cond, info=None):
    return harness.check(name, cond, "" if info is None else (info if isinstance(info, str) else json.dumps(info)))


def err(js):
    """The error code of a CONTRACT §2.1 error body {"error":{"code","message"}} with a
    snake_case code and a non-empty message, else None."""
    if not isinstance(js, dict) or not isinstance(js.get("error"), dict):
        return None
    e = js["error"]
    code, msg = e.get("code"), e.get("message")
    if not isinstance(code, str) or not code or not all(c.islower() or c.isdigit() or c == "_" for c in code):
        return None
    if not isinstance(msg, str) or not msg:
        return None
    return code


def fields(js):
    return [d.get("field") for d in ((js or {}).get("error") or {}).get("details") or []]


def cli():
    """§1: --help exits 0; an unknown subcommand or flag prints usage to stderr and exits 2."""
    def run(*args, stdin=None):
        p = subprocess.run([LEVY] + list(args), capture_output=True, text=True, input=stdin, timeout=60)
        return p.returncode, p.stdout, p.stderr
    rc, out, _ = run("--help")
    check("cli: levy --help -> 0 with usage", rc == 0 and "usage" in out.lower(), out[:200])
    for cmd in ("serve", "demo", "sim", "calc", "check", "rates", "version"):
        rc, out, e = run(cmd, "--help")
        check("cli: levy %s --help -> 0" % cmd, rc == 0 and (out or e), {"rc": rc})
    rc, out, e = run("no-such-command")
    check("cli: unknown subcommand -> 2, usage on stderr", rc == 2 and "usage" in e.lower(), {"rc": rc, "err": e[:200]})
    for cmd in ("serve", "calc", "check", "version"):
        rc, out, e = run(cmd, "--no-such-flag")
        check("cli: levy %s --no-such-flag -> 2, usage on stderr" % cmd, rc == 2 and "usage" in e.lower(),
              {"rc": rc, "err": e[:200]})
    rc, out, _ = run("version")
    lines = out.splitlines()
    check("cli: levy version -> levy X.Y.Z + Lua, SQLite, OpenSSL, libevent, libcurl",
          rc == 0 and lines and lines[0].startswith("levy ") and len(lines[0].split()[1].split(".")) == 3
          and all(any(x.lower() in ln.lower() for ln in lines) for x in ("Lua", "SQLite", "OpenSSL", "libevent",
                                                                         "libcurl")), out)


def cli_serve_defaults(base):
    """§1 flag table: the flag wins over its variable; the default data dir ./levy-data is
    created 0700 with api-token and master.key 0600; SIGTERM is a clean stop (exit 0)."""
    cwd = harness.tmpdir("levy-contract-cwd-")
    env_port = harness.free_port(base + 60, 10)
    flag_port = harness.free_port(env_port + 1, 10)
    env = {"LEVY_LISTEN": "127.0.0.1:%d" % env_port, "LEVY_PLUGINS": os.path.join(SRC, "plugins"),
           "LEVY_SCRIPTS": os.path.join(SRC, "scripts")}
    e = dict((k, v) for k, v in os.environ.items() if not k.startswith("LEVY_"))
    e.update(env)
    p = subprocess.Popen([LEVY, "serve", "--listen", "127.0.0.1:%d" % flag_port], cwd=cwd, env=e,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=harness.pdeathsig_preexec())
    try:
        up = harness.wait_up(levy_url="http://127.0.0.1:%d" % flag_port, timeout=60, proc=p)
        check("1 --listen wins over LEVY_LISTEN", up and not harness.healthy("http://127.0.0.1:%d" % env_port), up)
        d = os.path.join(cwd, "levy-data")
        modes = {n: oct(os.stat(os.path.join(d, n)).st_mode & 0o777) if os.path.exists(os.path.join(d, n)) else None
                 for n in ("api-token", "master.key")}
        # on PostgreSQL (tests/pg/run_on_pg.py) levy runs with LEVY_MASTER_KEY set: no key file
        want = {"api-token": "0o600", "master.key": None if harness.PG_URL else "0o600"}
        check("1 default data dir ./levy-data created 0700; api-token and master.key 0600",
              os.path.isdir(d) and os.stat(d).st_mode & 0o777 == 0o700 and modes == want, modes)
    finally:
        p.terminate()
        try:
            rc = p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = p.wait()
    check("1 levy serve: SIGTERM -> clean shutdown, exit 0", rc == 0, rc)


class Api:
    def __init__(self, base):
        self.base = base

    def __call__(self, method, path, body=None, headers=None, raw=None, auth=True):
        h = dict(AUTH) if auth else {}
        h.update(headers or {})
        return req(method, self.base + path, body=body, headers=h, raw=raw)


def common(api):
    """§2.1 common rules."""
    s, js, _, _ = api("GET", "/v1/regions", auth=False)
    check("2.1 auth: no token -> 401 unauthorized", s == 401 and err(js) == "unauthorized", js)
    s, js, _, _ = api("GET", "/v1/regions", headers={"Authorization": "Bearer wrong"})
    check("2.1 auth: wrong token -> 401 unauthorized", s == 401 and err(js) == "unauthorized", js)
    s, js, _, _ = api("GET", "/v1/regions", headers={"Authorization": "Basic " + TOKEN})
    check("2.1 auth: token in another scheme -> 401", s == 401 and err(js) == "unauthorized", js)
    s, js, _, _ = api("GET", "/admin/generation", auth=False)
    check("2.1 auth: /admin/* needs the token", s == 401 and err(js) == "unauthorized", js)
    s, js, _, _ = api("GET", "/metrics", auth=False)
    check("2.2 /metrics needs the token", s == 401 and err(js) == "unauthorized", js)
    s, js, _, _ = api("GET", "/healthz", auth=False)
    check("2.2 /healthz open: 200 {status:ok, version, generation}", s == 200 and js.get("status") == "ok"
          and isinstance(js.get("version"), str) and isinstance(js.get("generation"), int), js)

    s, _, text, h = api("GET", "/metrics")
    types = dict(ln.split()[2:4] for ln in text.splitlines() if ln.startswith("# TYPE "))
    want = {"levy_http_requests_total": "counter", "levy_webhook_deliveries_total": "counter", "levy_jobs": "gauge",
            "levy_writebacks_total": "counter", "levy_rule_generation": "gauge", "levy_reloads_total": "counter",
            "levy_reload_failures_total": "counter", "levy_calculation_duration_seconds": "histogram"}
    check("2.2 /metrics: Prometheus text with the named families", s == 200
          and (h.get("Content-Type") or "").startswith("text/plain")
          and all(types.get(k) == v for k, v in want.items()), {k: types.get(k) for k in want})
    check("2.2 /metrics: requests by route and status", 'route="' in text and 'status="' in text, text[:300])
    s, js, _, _ = api("GET", "/admin/generation")
    files = (js or {}).get("files") or []
    check("2.2 /admin/generation: generation, loaded_at, files[{path, sha256, kind}]", s == 200
          and isinstance(js.get("generation"), int) and isinstance(js.get("loaded_at"), str) and files
          and all(isinstance(f.get("path"), str) and len(f.get("sha256") or "") == 64
                  and f.get("kind") in ("plugin", "rule") for f in files)
          and {"plugin", "rule"} <= {f["kind"] for f in files}, {k: js.get(k) for k in ("generation", "loaded_at")})
    s, js, _, _ = api("POST", "/admin/reload")
    check("2.2 POST /admin/reload (nothing changed) -> 200 unchanged + generation", s == 200
          and js.get("status") in ("unchanged", "reloaded") and isinstance(js.get("generation"), int), js)

    s, js, _, _ = api("GET", "/v1/no-such-thing")
    check("2.1 unknown path -> 404 not_found", s == 404 and err(js) == "not_found", js)
    s, js, _, _ = api("GET", "/no-such-page-either")
    check("2.1 unknown path outside /v1 -> 404 not_found", s == 404 and err(js) == "not_found", js)
    # a trailing '/' names no path of the contract: an unknown path (404 not_found), not a
    # 400 with a code the contract does not have
    for path in ("/v1/regions/", "/v1/settings/", "/healthz/"):
        s, js, _, _ = api("GET", path)
        check("2.1 trailing '/' %s -> 404 not_found" % path, s == 404 and err(js) == "not_found", js)
    for method, path in (("DELETE", "/v1/regions"), ("GET", "/v1/calculate"), ("POST", "/healthz"),
                         ("GET", "/admin/reload"), ("PATCH", "/v1/settings")):
        s, js, _, h = api(method, path, body={} if method in ("POST", "PATCH") else None)
        allow = [m.strip() for m in (h.get("Allow") or "").split(",") if m.strip()]
        check("2.1 %s %s -> 405 method_not_allowed with Allow" % (method, path),
              s == 405 and err(js) == "method_not_allowed" and allow and method not in allow, {"s": s, "js": js,
                                                                                                 "allow": allow})
    s, js, _, h = api("PUT", "/v1/calculate", body={})
    check("2.1 405 Allow names the route's method (POST /v1/calculate)", s == 405 and "POST" in (h.get("Allow") or ""), h)
    s, _, text, _ = api("HEAD", "/v1/regions")
    check("HEAD /v1/regions -> 200, no body", s == 200 and text == "", text[:100])

    s, js, _, _ = api("POST", "/v1/calculate", raw="{\"currency\":")
    check("2.1 body not JSON -> 400 invalid_json", s == 400 and err(js) == "invalid_json", js)
    s, js, _, _ = api("POST", "/v1/calculate", raw="[]")
    check("2.1 body not an object -> 400 invalid_json", s == 400 and err(js) == "invalid_json", js)
    s, js, _, _ = api("POST", "/v1/calculate", raw="")
    check("2.1 empty body -> 400 invalid_json", s == 400 and err(js) == "invalid_json", js)
    s, js, _, _ = api("POST", "/v1/calculate", raw=b'{"currency":"\xff"}')
    check("2.1 invalid UTF-8 -> 400 invalid_json", s == 400 and err(js) == "invalid_json", js)
    s, js, _, _ = api("POST", "/v1/calculate", raw="currency=USD", headers={"Content-Type": "text/plain"})
    check("2.1 text/plain body -> 415 unsupported_media_type", s == 415 and err(js) == "unsupported_media_type", js)
    s, js, _, _ = api("POST", "/v1/calculate", raw=json.dumps(calc()),
                      headers={"Content-Type": "application/json; charset=utf-8"})
    check("2.1 application/json; charset=utf-8 accepted", s == 200, js)
    big = '{"x":"' + "a" * (1024 * 1024) + '"}'
    s, js, _, _ = api("POST", "/v1/calculate", raw=big)
    check("2.1 body over 1 MiB -> 413 payload_too_large", s == 413 and err(js) == "payload_too_large", js)

    for q, ok in (("limit=0", False), ("limit=501", False), ("limit=abc", False), ("limit=1", True),
                  ("limit=500", True)):
        s, js, _, _ = api("GET", "/v1/products?" + q)
        if ok:
            check("2.1 list ?%s -> 200 {data, next_cursor}" % q, s == 200 and isinstance(js.get("data"), list)
                  and "next_cursor" in js, js)
        else:
            check("2.1 list ?%s -> 422 validation_failed naming it" % q, s == 422 and err(js) == "validation_failed"
                  and q.split("=")[0] in fields(js), js)


def calc(**kw):
    b = {"currency": "USD", "date": "2026-03-01",
         "ship_to": {"line1": "2000 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"},
         "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]}
    b.update(kw)
    return b


def regions_settings(api):
    """§2.4."""
    s, js, _, _ = api("GET", "/v1/regions")
    codes = {r.get("code"): r for r in js.get("data", [])} if s == 200 else {}
    need = ["US-%s" % x for x in ("CA", "TX", "NY", "OR", "DC", "PR")] + ["CA", "CA-BC", "CA-MB", "CA-SK", "CA-QC",
                                                                           "EU", "GB", "AU", "NZ", "CH", "NO", "SG",
                                                                           "JP", "IN"]
    check("2.4 regions: the named codes are listed", all(c in codes for c in need), [c for c in need if c not in codes])
    keys = {"code", "name", "country", "tax_type", "subscribed", "tax_calculation", "registration_number",
            "effective_from"}
    check("2.4 regions: every region has the contract's fields", codes and all(keys <= set(r) for r in codes.values()))
    s, js, _, _ = api("PUT", "/v1/regions/US-ZZ", {"subscribed": True})
    check("2.4 PUT unknown region -> 404 not_found", s == 404 and err(js) == "not_found", js)
    s, js, _, _ = api("PUT", "/v1/regions/US-CA", {"subscribed": "yes"})
    check("2.4 PUT region wrong type -> 422 validation_failed", s == 422 and err(js) == "validation_failed"
          and "subscribed" in fields(js), js)
    for code in ("US-CA", "US-OR", "EU"):
        s, js, _, _ = api("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
        check("2.4 PUT %s subscribed -> the region" % code, s == 200 and js.get("code") == code
              and js.get("subscribed") is True and js.get("tax_calculation") is True, js)
    s, js, _, _ = api("PUT", "/v1/settings", {"colour": "red"})
    check("2.4 settings: unknown field -> 422", s == 422 and err(js) == "validation_failed" and "colour" in fields(js), js)
    s, js, _, _ = api("PUT", "/v1/settings", {"rounding": "line"})
    check("2.4 settings: PUT subset -> 200", s == 200 and js.get("rounding") == "line", js)
    s, js, _, _ = api("GET", "/v1/tax-codes")
    tc = {t.get("code") for t in js.get("data", [])} if s == 200 else set()
    check("2.4 tax codes: the ten named ones", {"general", "saas", "software_download", "digital_goods",
                                                "professional_services", "training", "shipping", "clothing",
                                                "food_grocery", "exempt"} <= tc, sorted(tc))
    s, js, _, _ = api("PUT", "/v1/products/nope", {"tax_code": "saas"})
    check("2.4 PUT unknown product -> 404", s == 404 and err(js) == "not_found", js)
    s, js, _, _ = api("GET", "/v1/customers/nope")
    check("2.4 GET unknown customer -> 404", s == 404 and err(js) == "not_found", js)


def calculate(api):
    """§2.5."""
    s, js, _, _ = api("POST", "/v1/calculate", calc())
    ok = s == 200 and isinstance(js, dict)
    check("2.5 calculate: 200, CA 92614 -> 7.75", ok and js.get("total_tax") == "7.75", js)
    if ok:
        ln = js["lines"][0]
        check("2.5 calculate: response fields", js.get("calculation_id", "").startswith("calc_")
              and js.get("currency") == "USD" and js.get("date") == "2026-03-01" and js.get("region") == "US-CA"
              and js.get("total_amount") == "100.00" and js.get("total_taxable") == "100.00"
              and isinstance(js.get("rules"), dict) and isinstance(js["rules"].get("generation"), int), js)
        check("2.5 calculate: every amount and percentage a decimal string",
              all(isinstance(ln.get(k), str) for k in ("amount", "taxable_amount", "tax"))
              and all(isinstance(t.get(k), str) for t in ln["taxes"] for k in ("percentage", "taxable_amount",
                                                                                 "amount")), ln)
        check("2.5 calculate: level and type from the contract's lists",
              all(t.get("level") in ("country", "state", "province", "county", "city", "district")
                  and t.get("type") in ("SALES_TAX", "VAT", "GST", "HST", "PST", "QST") for t in ln["taxes"]), ln)
        cents = sum(int(t["amount"].replace(".", "").replace("-", "")) for t in ln["taxes"])
        check("2.5 calculate: tax = sum of its taxes", cents == int(ln["tax"].replace(".", "")), ln)
    # money as JSON numbers
    for fld in ("amount", "quantity", "discount"):
        line = {"id": "1", "amount": "100.00"}
        line[fld] = 100 if fld != "quantity" else 2
        s, js, _, _ = api("POST", "/v1/calculate", calc(lines=[line]))
        check("2.5 %s as a JSON number -> 422 naming lines[0].%s" % (fld, fld), s == 422
              and err(js) == "validation_failed" and "lines[0].%s" % fld in fields(js), js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(lines=[{"id": "1", "amount": 100.5}]))
    check("2.5 amount as a JSON float -> 422", s == 422 and "lines[0].amount" in fields(js), js)
    for bad in ("12.3.4", "1e5", "+1.00", " 1.00", "1.001", "", "abc", "9" * 40):
        s, js, _, _ = api("POST", "/v1/calculate", calc(lines=[{"id": "1", "amount": bad}]))
        check("2.5 amount %r -> 422 lines[0].amount" % bad[:12], s == 422 and err(js) == "validation_failed"
              and "lines[0].amount" in fields(js), js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(lines=[{"id": "1", "amount": "999999999999999.99"}]))
    check("2.5 amount past the range -> 422, not an overflow", s == 422 and "lines[0].amount" in fields(js), js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(lines=[{"id": "1", "amount": "1000000.00"}]))
    check("2.5 a large amount in range -> exact 77500.00", s == 200 and js.get("total_tax") == "77500.00", js)
    cases = [
        ("unknown currency", calc(currency="XYZ"), "currency"),
        ("missing currency", {k: v for k, v in calc().items() if k != "currency"}, "currency"),
        ("missing ship_to country", calc(ship_to={"state": "CA", "zip_code": "92614"}), "ship_to.country"),
        ("US ship-to without state", calc(ship_to={"city": "Irvine", "zip_code": "92614", "country": "US"}),
         "ship_to.state"),
        ("Canadian ship-to without state", calc(ship_to={"city": "Toronto", "zip_code": "M5V 1A1", "country": "CA"}),
         "ship_to.state"),
        ("negative quantity", calc(lines=[{"id": "1", "amount": "1.00", "quantity": "-1"}]), "lines[0].quantity"),
        ("bad date", calc(date="2026-02-30"), "date"),
        ("date-time for date", calc(date="2026-03-01T00:00:00Z"), "date"),
        ("empty lines", calc(lines=[]), "lines"),
        ("tax_inclusive as a string", calc(lines=[{"id": "1", "amount": "1.00", "tax_inclusive": "true"}]),
         "lines[0].tax_inclusive"),
        ("unknown tax code", calc(lines=[{"id": "1", "amount": "1.00", "tax_code": "nope"}]), "lines[0].tax_code"),
    ]
    for name, body, fld in cases:
        s, js, _, _ = api("POST", "/v1/calculate", body)
        check("2.5 %s -> 422 naming %s" % (name, fld), s == 422 and err(js) == "validation_failed"
              and fld in fields(js), js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(ship_to={"state": "CA", "zip_code": "00000", "country": "US"}))
    check("2.5 unknown US ZIP -> 422 address_unresolved", s == 422 and err(js) == "address_unresolved", js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(ship_to={"city": "Irvine", "state": "CA", "zip_code": "92614-1234",
                                                             "country": "US"}))
    check("2.5 ZIP+4 accepted", s == 200 and js.get("total_tax") == "7.75", js)
    s, js, _, _ = api("POST", "/v1/calculate", {k: v for k, v in calc().items() if k != "date"})
    check("2.5 date defaults to today (UTC)", s == 200 and js.get("date") == time.strftime("%Y-%m-%d", time.gmtime()),
          js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(lines=[{"id": "1", "amount": "107.75", "tax_inclusive": True}]))
    check("2.5 tax_inclusive: tax carved out, taxable = net", s == 200 and js["lines"][0].get("tax") == "7.75"
          and js["lines"][0].get("taxable_amount") == "100.00", js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(ship_to={"city": "Portland", "state": "OR", "zip_code": "97201",
                                                             "country": "US"}))
    check("2.5 subscribed region without that tax -> no_tax_in_region", s == 200
          and js["lines"][0].get("taxability_reason") == "no_tax_in_region" and js.get("total_tax") == "0.00", js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(ship_to={"city": "New York", "state": "NY", "zip_code": "10001",
                                                             "country": "US"}))
    check("2.5 unsubscribed region -> not_collecting", s == 200
          and js["lines"][0].get("taxability_reason") == "not_collecting" and js.get("total_tax") == "0.00", js)
    de = {"line1": "Straße 1", "city": "München", "zip_code": "80331", "country": "DE"}
    s, js, _, _ = api("POST", "/v1/calculate", calc(currency="EUR", ship_to=de,
                                                    lines=[{"id": "zeile-ü-1", "amount": "100.00"}]))
    check("2.5 unicode address and line id -> 19.00 VAT, id echoed", s == 200 and js.get("total_tax") == "19.00"
          and js["lines"][0].get("id") == "zeile-ü-1", js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(currency="EUR", ship_to=de, customer={"id": "b2b",
                                                                                          "tax_id": "DE136695976"}))
    check("2.5 EU B2B with a tax id, US seller -> reverse_charge, zero tax, rate listed", s == 200
          and js["lines"][0].get("taxability_reason") == "reverse_charge" and js.get("total_tax") == "0.00"
          and js["lines"][0].get("taxes"), js)
    s, js, _, _ = api("POST", "/v1/calculate", calc(customer={"id": "c1", "exempt": True}))
    check("2.5 exempt customer -> customer_exempt", s == 200
          and js["lines"][0].get("taxability_reason") == "customer_exempt" and js.get("total_tax") == "0.00", js)

    P = "/tax_api/calculate_tax"
    sb = {"currency": "usd", "customer_address": {"address1": "1 Main", "city": "Irvine", "state": "CA",
                                                  "postal_code": "92614", "country": "US"},
          "line_items": [{"id": "li1", "amount": 10000}]}
    s, js, _, _ = api("POST", P, sb, auth=False, headers={"X-API-KEY": TOKEN})
    ok = s == 200 and isinstance(js, dict) and js.get("message") == "Tax calculated successfully"
    check("2.5 sphere: 200 with X-API-KEY", ok, js)
    if ok:
        ta = js["data"]["lines"][0]["tax_amounts"]
        check("2.5 sphere: integer minor units, numeric percentage, lowercase tax_type",
              sum(a["amount"] for a in ta) == 775 and all(isinstance(a["amount"], int) for a in ta)
              and all(isinstance(a["tax_rate"]["percentage"], (int, float)) for a in ta)
              and all(a["tax_rate"]["tax_type"] == "sales_tax" for a in ta)
              and isinstance(js["data"].get("sphere_tax_calculation_id"), str), ta)
    s, js, _, _ = api("POST", P, sb)
    check("2.5 sphere: Bearer alone -> 401 unauthorized_access", s == 401 and js.get("type") == "api_error"
          and js.get("code") == "unauthorized_access", js)
    s, js, _, _ = api("POST", P, dict(sb, line_items=[{"id": "1", "amount": "100.00"}]), auth=False,
                      headers={"X-API-KEY": TOKEN})
    check("2.5 sphere: string amount -> 400 validation_errors", s == 400 and js.get("code") == "validation_errors", js)


def sign_text_key(token, ts, wid, entity, event, body):
    msg = (ts + "." + wid + "." + entity + "." + event + ".").encode() + body
    return base64.b64encode(hmac.new(token.encode(), msg, hashlib.sha256).digest()).decode()


class Hook:
    def __init__(self, base, cid, token):
        self.base, self.cid, self.token = base, cid, token

    def __call__(self, body, entity="CUSTOMER", event="UPDATED", wid=None, ts=None, sig=None, drop=(), cid=None,
                 lower=False):
        wid = wid or str(uuid.uuid4())
        ts = ts or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        h = {"X-Rillet-Signature": sig if sig is not None else harness.sign(self.token, ts, wid, entity, event, raw),
             "X-Rillet-Timestamp": ts, "X-Rillet-Id": wid, "X-Rillet-Entity": entity, "X-Rillet-Event": event}
        for d in drop:
            h.pop(d)
        if lower:
            h = {k.lower(): v for k, v in h.items()}
        h["Content-Type"] = "application/json"
        return req("POST", self.base + "/webhooks/rillet/" + (cid or self.cid), raw=raw, headers=h)


RECEIVED = {"received": True, "duplicate": False}
DUPLICATE = {"received": True, "duplicate": True}


def webhooks(hook):
    """§2.7."""
    cust = {"id": str(uuid.uuid4()), "name": "Contract Checker", "updated_at": "2026-03-01T00:00:00Z"}
    wid = str(uuid.uuid4())
    s, js, _, _ = hook(cust, wid=wid)
    check("2.7 signed delivery -> 200 received, not duplicate", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook(cust, wid=wid)
    check("2.7 same X-Rillet-Id again -> 200 duplicate:true", s == 200 and js == DUPLICATE, js)
    s, js, _, _ = hook(cust, wid=wid, sig=base64.b64encode(b"z" * 32).decode())
    check("2.7 same id, wrong signature -> 401 invalid_signature", s == 401 and err(js) == "invalid_signature", js)
    for name in ("X-Rillet-Signature", "X-Rillet-Timestamp", "X-Rillet-Id", "X-Rillet-Entity", "X-Rillet-Event"):
        s, js, _, _ = hook(cust, drop=(name,))
        check("2.7 without %s -> 400 missing_header" % name, s == 400 and err(js) == "missing_header", js)
    s, js, _, _ = hook(cust, lower=True)
    check("2.7 header names in lower case accepted", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook(cust, sig=base64.b64encode(b"x" * 32).decode())
    check("2.7 wrong signature -> 401 invalid_signature", s == 401 and err(js) == "invalid_signature", js)
    s, js, _, _ = hook(cust, sig="not base64 at all!")
    check("2.7 garbage signature -> 401 invalid_signature", s == 401 and err(js) == "invalid_signature", js)
    wid = str(uuid.uuid4())
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    raw = json.dumps(cust).encode()
    good = harness.sign(hook.token, ts, wid, "CUSTOMER", "UPDATED", raw)
    s, js, _, _ = hook(raw, wid=wid, ts=ts, sig="AAAA," + base64.b64encode(b"y" * 32).decode() + ", " + good)
    check("2.7 several signatures, one right -> accepted", s == 200 and js == RECEIVED, js)
    wid = str(uuid.uuid4())
    good = harness.sign(hook.token, ts, wid, "CUSTOMER", "UPDATED", raw)
    s, js, _, _ = hook(raw, wid=wid, ts=ts, sig=",".join(["AAAA"] * 9 + [good]))
    check("2.7 ten signatures, the 10th right -> accepted", s == 200 and js == RECEIVED, js)
    wid = str(uuid.uuid4())
    good = harness.sign(hook.token, ts, wid, "CUSTOMER", "UPDATED", raw)
    s, js, _, _ = hook(raw, wid=wid, ts=ts, sig=",".join(["AAAA"] * 10 + [good]))
    check("2.7 an 11th signature is not read (up to 10)", s == 401 and err(js) == "invalid_signature", js)
    wid = str(uuid.uuid4())
    good = harness.sign(hook.token, ts, wid, "CUSTOMER", "UPDATED", raw)
    s, js, _, _ = hook(raw, wid=wid, ts=ts, sig=good.rstrip("="))
    check("2.7 unpadded Base64 signature accepted (rillet-api.md 4.5)", s == 200 and js == RECEIVED, js)
    wid = str(uuid.uuid4()).upper()
    s, js, _, _ = hook(raw, wid=wid, ts=ts, entity="Customer", event="Updated")
    check("2.7 upper-case X-Rillet-Id, mixed-case entity/event accepted", s == 200 and js == RECEIVED, js)
    wid = str(uuid.uuid4())
    s, js, _, _ = hook(raw, wid=wid, ts=ts, sig=sign_text_key(hook.token, ts, wid, "CUSTOMER", "UPDATED", raw))
    check("2.7 signature keyed with the token's text bytes -> accepted", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook(cust, ts=time.strftime("%Y-%m-%dT%H:%M:%S.123Z", time.gmtime()))
    check("2.7 timestamp with a fraction accepted", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook(cust, ts=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 3600)) + "+00:00")
    check("2.7 an hour-old retry (+00:00 zone) accepted", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook(cust, "customer", "updated")
    check("2.7 entity/event in lower case accepted", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook({"id": str(uuid.uuid4())}, "credit-memo", "payment-updated")
    check("2.7 '-' for '_' in entity/event accepted", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook(json.dumps(str(uuid.uuid4())).encode(), "INVOICE", "DELETED")
    check("2.7 DELETED with a JSON-string uuid -> 200", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook(str(uuid.uuid4()).encode(), "CREDIT_MEMO", "DELETED")
    check("2.7 DELETED with a bare uuid -> 200", s == 200 and js == RECEIVED, js)
    wid = str(uuid.uuid4())
    s, js, _, _ = hook({"id": "bill-1"}, "BILL", "CREATED", wid=wid)
    check("2.7 entity levy does not use -> acknowledged", s == 200 and js == RECEIVED, js)
    s, js, _, _ = hook({"id": "bill-1"}, "BILL", "CREATED", wid=wid)
    check("2.7 ... and its repeat is a duplicate", s == 200 and js == DUPLICATE, js)
    s, js, _, _ = hook(cust, cid="con_doesnotexist")
    check("2.7 unknown connection -> 404", s == 404 and err(js) == "not_found", js)
    s, js, _, _ = hook({"id": "Ünïcødé", "name": "日本 Müller", "updated_at": "2026-03-01T00:00:00Z"})
    check("2.7 unicode body accepted", s == 200 and js == RECEIVED, js)
    s, js, _, _ = req("GET", hook.base + "/webhooks/rillet/" + hook.cid)
    check("2.7 GET on the intake -> 405", s == 405 and err(js) == "method_not_allowed", js)


def connect_and_documents(api, sim_url, sim_log):
    """§2.3, §2.6, §2.7 against the simulator; returns (cid, token) or None."""
    key = harness.sim_api_key(sim_log, SEED)
    s, js, _, _ = api("POST", "/v1/connections", {"provider": "rillet", "api_key": "rk_not_a_key"})
    check("2.3 a key Rillet refuses -> 422 invalid_api_key", s == 422 and err(js) == "invalid_api_key", js)
    s, js, _, _ = api("GET", "/v1/connections")
    check("2.3 ... and nothing stored", s == 200 and js.get("data") == [] and js.get("next_cursor") is None, js)
    s, js, _, _ = api("POST", "/v1/connections", {"provider": "quickbooks", "api_key": key})
    check("2.3 another provider -> 422 naming provider", s == 422 and "provider" in fields(js), js)
    s, js, _, _ = api("POST", "/v1/connections", {"provider": "rillet", "api_key": key, "environment": "staging"})
    check("2.3 bad environment -> 422 naming environment", s == 422 and "environment" in fields(js), js)
    s, js, _, _ = api("POST", "/v1/connections", {"provider": "rillet"})
    check("2.3 no api_key -> 422 naming api_key", s == 422 and "api_key" in fields(js), js)
    s, con, _, _ = api("POST", "/v1/connections", {"provider": "rillet", "api_key": key,
                                                   "tax_documents_from": "2026-01-01"})
    if not check("2.3 step 1 -> 201", s == 201 and isinstance(con, dict), con):
        return None
    cid = con.get("id", "")
    check("2.3 step 1: id con_, status needs_subsidiary, organization and subsidiaries",
          cid.startswith("con_") and con.get("status") == "needs_subsidiary"
          and {"id", "trade_name", "currency", "timezone"} <= set(con.get("organization") or {})
          and all({"id", "trade_name", "currency", "timezone"} <= set(x) for x in con.get("subsidiaries") or [{}]), con)
    check("2.3 api_key_hint is an ellipsis and the key's last 4", con.get("api_key_hint") == "\u2026" + key[-4:], con)
    check("2.3 no secret in the connection", key not in json.dumps(con), "the API key is in the answer")
    s, js, _, _ = api("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": "abc"})
    check("2.3 secret before subsidiary -> 409 conflict", s == 409 and err(js) == "conflict", js)
    s, js, _, _ = api("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": "nope"})
    check("2.3 unknown subsidiary -> 422", s == 422 and err(js) == "validation_failed", js)
    sub = next(x for x in con["subsidiaries"] if x["currency"] == "USD")
    # a field the step does not take breaks its schema (as in step 1 and the settings): 422
    # naming it, nothing changed, rather than a typo'd extra field silently dropped
    s, js, _, _ = api("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"], "subsidary": "x"})
    check("2.3 step 2 with an unknown field -> 422 naming it", s == 422 and err(js) == "validation_failed"
          and "subsidary" in fields(js), js)
    s, js, _, _ = api("POST", "/v1/connections", {"provider": "rillet", "api_key": key, "apikey": "x"})
    check("2.3 step 1 with an unknown field -> 422 naming it", s == 422 and "apikey" in fields(js), js)
    s, con, _, _ = api("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"]})
    check("2.3 step 2 -> 200 needs_webhook_secret, subsidiary, webhook_url", s == 200
          and con.get("status") == "needs_webhook_secret" and (con.get("subsidiary") or {}).get("id") == sub["id"]
          and str(con.get("webhook_url", "")).endswith("/webhooks/rillet/" + cid), con)
    sim = harness.Sim(sim_url, key)
    ev = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}
    s, hk, text, _ = sim("POST", "/_sim/webhooks", {"name": "levy", "url": con["webhook_url"], "events": ev,
                                                    "enabled": True})
    if not check("sim: webhook created", s in (200, 201), text):
        return None
    token = hk["signing_token"]
    s, js, _, _ = api("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": token, "token": token})
    check("2.3 step 4 with an unknown field -> 422 naming it, not connected", s == 422
          and err(js) == "validation_failed" and "token" in fields(js)
          and api("GET", "/v1/connections/" + cid)[1].get("status") == "needs_webhook_secret", js)
    s, con, _, _ = api("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": token})
    check("2.3 step 4 -> 200 connected", s == 200 and con.get("status") == "connected", con)
    check("2.3 the signing token is never returned", token not in json.dumps(con), "token in the answer")

    def imported():
        st, c, _, _ = api("GET", "/v1/connections/" + cid)
        return c if st == 200 and (c.get("import") or {}).get("state") in ("done", "failed") else None
    c = harness.wait_for(imported, 120, 0.5)
    need = {"id", "provider", "status", "environment", "organization", "subsidiary", "webhook_url", "created_at",
            "import", "last_webhook_at", "last_sync_at", "api_key_hint"}
    check("2.3 import done; the connection has every field", c and c["import"]["state"] == "done"
          and need <= set(c) and {"state", "customers", "products", "invoices", "credit_memos", "started_at",
                                  "finished_at", "error"} <= set(c["import"]), c)
    s, js, _, _ = api("GET", "/v1/connections")
    check("2.3 GET /v1/connections -> list", s == 200 and [x.get("id") for x in js.get("data", [])] == [cid]
          and "next_cursor" in js, js)
    s, js, _, _ = api("POST", "/v1/connections/%s/sync" % cid)
    check("2.3 resync -> 202", s == 202, js)

    s, js, _, _ = api("GET", "/v1/customers")
    check("2.1 lists default to 50 (62 imported customers)", s == 200 and len(js.get("data", [])) == 50
          and isinstance(js.get("next_cursor"), str), {"n": len((js or {}).get("data", [])), "s": s})
    if s == 200 and js.get("next_cursor"):
        s, js2, _, _ = api("GET", "/v1/customers?cursor=" + urllib_quote(js["next_cursor"]))
        check("2.1 ... the next page holds the other 12, next_cursor null", s == 200 and len(js2.get("data", [])) == 12
              and js2.get("next_cursor") is None and {c["id"] for c in js2["data"]}
              .isdisjoint({c["id"] for c in js["data"]}), {"n": len((js2 or {}).get("data", []))})
    for path in ("/v1/customers", "/v1/products", "/v1/invoices", "/v1/credit-memos"):
        for bad in ("not-a-cursor", "AAEC", "!!"):
            s, js, _, _ = api("GET", "%s?cursor=%s" % (path, bad))
            check("2.1 %s ?cursor=%s (not one levy gave) -> 422 naming it" % (path, bad), s == 422
                  and err(js) == "validation_failed" and "cursor" in fields(js), js)
    s, js, _, _ = api("GET", "/v1/invoices?limit=2")
    docs = js.get("data", []) if s == 200 else []
    check("2.6 invoices: a page of 2 with next_cursor", s == 200 and len(docs) == 2
          and isinstance(js.get("next_cursor"), str), js)
    view = {"tax_status", "levy_tax", "rillet_taxed_amount", "calculation_id", "written_at", "last_error"}
    check("2.6 invoices carry levy's view", docs and all(view <= set(d) for d in docs)
          and all(d["tax_status"] in ("pending", "calculated", "written", "not_collecting", "failed", "deleted")
                  for d in docs), docs[:1])
    if js and js.get("next_cursor"):
        s, js2, _, _ = api("GET", "/v1/invoices?limit=2&cursor=" + urllib_quote(js["next_cursor"]))
        check("2.6 invoices: next page differs", s == 200 and {d["id"] for d in js2.get("data", [])}
              .isdisjoint({d["id"] for d in docs}), js2)
    s, js, _, _ = api("GET", "/v1/invoices?tax_status=bogus")
    check("2.6 ?tax_status= outside the contract's values -> 422 naming it", s == 422
          and err(js) == "validation_failed" and "tax_status" in fields(js), js)
    s, js, _, _ = api("GET", "/v1/invoices?tax_status=not_collecting&limit=500")
    check("2.6 ?tax_status=not_collecting filters", s == 200 and all(d["tax_status"] == "not_collecting"
                                                                     for d in js.get("data", [])), js)
    s, js, _, _ = api("GET", "/v1/credit-memos?tax_status=bogus")
    check("2.6 credit memos: ?tax_status= bogus -> 422", s == 422 and "tax_status" in fields(js), js)
    if docs:
        iid = docs[0]["id"]
        s, js, _, _ = api("GET", "/v1/invoices/" + iid)
        check("2.6 invoice by Rillet id: lines and history", s == 200 and js.get("id") == iid
              and isinstance(js.get("lines"), list) and isinstance(js.get("history"), list) and js["history"], js)
        s, js, _, _ = api("POST", "/v1/invoices/%s/recalculate" % iid)
        check("2.6 recalculate -> 202", s == 202, js)
    s, js, _, _ = api("GET", "/v1/invoices/not-an-invoice")
    check("2.6 unknown invoice -> 404", s == 404 and err(js) == "not_found", js)
    s, js, _, _ = api("GET", "/v1/reports/liability?from=2026-01-01&to=2026-12-31")
    check("2.6 liability: {data, totals}", s == 200 and isinstance(js.get("data"), list) and "totals" in js, js)
    s, js, _, _ = api("GET", "/v1/reports/liability?from=2026-12-31&to=2026-01-01")
    check("2.6 liability: from after to -> 422", s == 422 and err(js) == "validation_failed", js)
    s, js, _, _ = api("GET", "/v1/reports/exposure")
    check("2.6 exposure: per-state rows with status", s == 200 and js.get("data")
          and all(r.get("status") in ("below", "approaching", "exceeded", "registered") for r in js["data"]), js)
    return cid, token


def urllib_quote(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")


def disconnect(api, hook, cid):
    s, _, text, _ = api("DELETE", "/v1/connections/" + cid)
    check("2.3 disconnect -> 204, no body", s == 204 and text == "", text)
    s, js, _, _ = hook({"id": str(uuid.uuid4()), "name": "late", "updated_at": "2026-03-02T00:00:00Z"})
    check("2.3/2.7 deliveries to a disconnected connection -> 404", s == 404, js)
    s, js, _, _ = api("GET", "/v1/invoices?limit=1")
    check("2.3 imported data kept after disconnect", s == 200 and len(js.get("data", [])) == 1, js)


def main():
    if not LEVY:
        print("usage: test_contract.py PATH/TO/levy [SRC]", file=sys.stderr)
        sys.exit(2)
    cli()
    base = int(os.environ.get("CONTRACT_E2E_PORT", "16000"))
    cli_serve_defaults(base)
    tmp = harness.tmpdir("levy-contract-")
    sim_port = harness.free_port(base, 20)
    levy_port = harness.free_port(base + 20, 20)
    sim_url, levy_url = "http://127.0.0.1:%d" % sim_port, "http://127.0.0.1:%d" % levy_port
    sp = harness.start(harness.sim_cmd(LEVY, sim_port, os.path.join(tmp, "sim"), SRC, SEED, 30),
                       os.path.join(tmp, "sim.log"))
    lp = harness.start(harness.levy_cmd(LEVY, levy_port, os.path.join(tmp, "data"), TOKEN, sim_url, SRC),
                       os.path.join(tmp, "levy.log"), keep_levy_env=False)
    try:
        if not check("levy and the simulator start", harness.wait_up(sim_url, levy_url, 60, proc=lp)):
            return
        api = Api(levy_url)
        common(api)
        regions_settings(api)
        calculate(api)
        got = connect_and_documents(api, sim_url, os.path.join(tmp, "sim.log"))
        if got:
            hook = Hook(levy_url, got[0], got[1])
            webhooks(hook)
            disconnect(api, hook, got[0])
    finally:
        harness.stop(lp, 15)
        harness.stop(sp, 15)
        if harness.failed:
            harness.print_logs(tmp, ("levy.log", "sim.log"), 3000)


if __name__ == "__main__":
    harness.run_main(main)
