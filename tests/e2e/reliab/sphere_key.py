#!/usr/bin/env python3
"""Issue 15, finding 16 (Sphere key). The bug story: the Sphere-compatible endpoint
(POST /tax_api/calculate_tax) took only levy's full admin API token in X-API-KEY, so every
shop system wired to it held a credential that also opens connections, settings, reloads and
reports.

Now POST /v1/sphere-api-key creates a scoped key (stored as its SHA-256 only) that opens the
Sphere endpoint and nothing else; the API token keeps working there (CONTRACT §2.1).

usage: sphere_key.py LEVY SRC BASE_PORT
"""
import hashlib
import os
import shutil
import sqlite3
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req, wait_for  # noqa: E402

LEVY, SRC, BASE = sys.argv[1], sys.argv[2], int(sys.argv[3])
PLUGINS, SCRIPTS = os.path.join(SRC, "plugins"), os.path.join(SRC, "scripts")
CLEAN = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
TOKEN = "sphere-key-test-token-0123456789"
SPHERE = {"currency": "usd", "customer_address": {"address1": "2000 Main St", "city": "Irvine", "state": "CA",
                                                  "postal_code": "92614", "country": "US"},
          "line_items": [{"id": "li_1", "amount": 10000}]}
# every other route, with a body where it takes one (the key must get 401 before anything runs)
OTHERS = [("GET", "/v1/regions", None), ("PUT", "/v1/regions/US-CA", {"subscribed": True}),
          ("GET", "/v1/settings", None), ("PUT", "/v1/settings", {"rounding": "line"}),
          ("POST", "/v1/calculate", {"currency": "USD", "ship_to": {"state": "CA", "zip_code": "92614",
                                                                    "country": "US"},
                                     "lines": [{"id": "1", "amount": "1.00"}]}),
          ("GET", "/v1/products", None), ("GET", "/v1/customers", None), ("GET", "/v1/tax-codes", None),
          ("GET", "/v1/connections", None), ("POST", "/v1/connections", {"provider": "rillet", "api_key": "k"}),
          ("GET", "/v1/invoices", None), ("GET", "/v1/credit-memos", None),
          ("GET", "/v1/reports/exposure", None), ("GET", "/v1/reports/liability?from=2026-01-01&to=2026-12-31", None),
          ("GET", "/v1/sphere-api-key", None), ("POST", "/v1/sphere-api-key", None),
          ("DELETE", "/v1/sphere-api-key", None), ("DELETE", "/v1/session", None),
          ("GET", "/metrics", None), ("GET", "/admin/generation", None), ("POST", "/admin/reload", None),
          ("GET", "/v1/no-such-route", None)]


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-sphere-")
    port = common.free_port(BASE)
    url = "http://127.0.0.1:%d" % port
    data = os.path.join(tmp, "levy")
    log = os.path.join(tmp, "levy.log")
    p = common.start([LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data,
                      "--plugins", PLUGINS, "--scripts", SCRIPTS, "--api-token", TOKEN], log, CLEAN)
    admin = {"Authorization": "Bearer " + TOKEN}
    key3 = None
    try:
        up = wait_for(lambda: p.poll() is None and req("GET", url + "/healthz", timeout=2)[0] == 200, 60, 0.1)
        if not check("levy serve starts", up, common.tail(log)):
            return common.summary()
        st, _, text, _ = req("PUT", url + "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True}, admin)
        check("subscribe US-CA", st == 200, (st, text))
        st, js, text, _ = req("GET", url + "/v1/sphere-api-key", headers=admin)
        check("no key yet", st == 200 and js == {"configured": False, "hint": None, "created_at": None}, (st, text))
        st, js, text, _ = req("POST", url + "/v1/sphere-api-key", headers=admin)
        ok = check("POST /v1/sphere-api-key -> 201 with the key once", st == 201 and
                   str(js.get("api_key", "")).startswith("lsk_"), (st, text))
        if not ok:
            return common.summary()
        key = js["api_key"]
        check("the hint is the key's last 4 characters", js.get("hint") == "\u2026" + key[-4:], js)
        st, js, text, _ = req("GET", url + "/v1/sphere-api-key", headers=admin)
        check("GET shows the key's state, never the key", st == 200 and js.get("configured") is True
              and key not in text, text)

        sk = {"X-API-KEY": key}
        st, js, text, _ = req("POST", url + "/tax_api/calculate_tax", SPHERE, sk)
        check("scoped key on the Sphere endpoint -> 200 with tax", st == 200 and
              sum(a["amount"] for a in js["data"]["lines"][0]["tax_amounts"]) == 775, (st, text))
        st, _, text, _ = req("POST", url + "/tax_api/calculate_tax", SPHERE, {"X-API-KEY": TOKEN})
        check("the API token still works there (CONTRACT 2.1)", st == 200, (st, text))
        st, _, text, _ = req("POST", url + "/tax_api/calculate_tax", SPHERE, {"X-API-KEY": key[:-1] + "x"})
        check("a near-miss key -> 401", st == 401, (st, text))
        st, _, text, _ = req("POST", url + "/tax_api/calculate_tax", SPHERE, {"Authorization": "Bearer " + key})
        check("the scoped key as Bearer on the Sphere endpoint -> 401 (X-API-KEY only)", st == 401, (st, text))

        for method, path, body in OTHERS:
            for name, hdr in (("Bearer", {"Authorization": "Bearer " + key}), ("X-API-KEY", sk)):
                st, js, text, _ = req(method, url + path, body, hdr)
                check("scoped key as %s on %s %s -> 401" % (name, method, path),
                      st == 401 and (js or {}).get("error", {}).get("code") == "unauthorized", (st, text[:200]))
        st, _, text, _ = req("POST", url + "/v1/session", {"api_token": key})
        check("the scoped key cannot be traded for a browser session", st == 401, (st, text))

        # a new key replaces the old one; DELETE revokes
        st, js, text, _ = req("POST", url + "/v1/sphere-api-key", headers=admin)
        key2 = js.get("api_key") if st == 201 else None
        check("a second key replaces the first", key2 and key2 != key and
              req("POST", url + "/tax_api/calculate_tax", SPHERE, {"X-API-KEY": key})[0] == 401 and
              req("POST", url + "/tax_api/calculate_tax", SPHERE, {"X-API-KEY": key2})[0] == 200)
        st, _, text, _ = req("DELETE", url + "/v1/sphere-api-key", headers=admin)
        check("DELETE /v1/sphere-api-key -> 204", st == 204, (st, text))
        check("the revoked key -> 401", req("POST", url + "/tax_api/calculate_tax", SPHERE,
                                            {"X-API-KEY": key2 or "x"})[0] == 401)
        st, js, _, _ = req("POST", url + "/v1/sphere-api-key", headers=admin)
        key3 = js.get("api_key") if st == 201 else None
    finally:
        common.stop(p)
    # at rest: the store holds the key's SHA-256, never the key
    if key3:
        c = sqlite3.connect(os.path.join(data, "levy.db"))
        rows = c.execute("SELECT key_sha256 FROM sphere_api_key").fetchall()
        c.close()
        raw = b""
        for f in os.listdir(data):
            if f.startswith("levy.db"):
                raw += open(os.path.join(data, f), "rb").read()
        check("stored as SHA-256", rows == [(hashlib.sha256(key3.encode()).hexdigest(),)], rows)
        check("the key itself is nowhere in the database files", key3.encode() not in raw)
    if not os.environ.get("RELIAB_KEEP"):
        shutil.rmtree(tmp, ignore_errors=True)
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
