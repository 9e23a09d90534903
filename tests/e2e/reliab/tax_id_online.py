#!/usr/bin/env python3
"""Optional online tax id check (issue 19): setting tax_id_online, off by default. levy asks
VIES (here a local stub with the VIES REST API's shape: GET /ms/{CC}/vat/{number}) only when a
user asks (POST /v1/customers/{id}/tax_id/verify); every answer is kept with its date as
evidence (api_tax_id_checks); a calculation uses the latest answer, while younger than
max_age_days, and never the network. A number the registry says is not registered is
charged like a consumer with the note tax_id_invalid; an unreachable registry changes nothing
(the last answer, else the offline check, decides).

Usage: tax_id_online.py LEVY_BINARY SOURCE_DIR [BASE_PORT=22420]
"""
import json
import os
import sqlite3
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 22420
STUB_PORT = BASE_PORT + 15
DEAD_PORT = BASE_PORT + 16  # nothing listens here

STUB = {"mode": "invalid", "hits": []}


class Vies(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        STUB["hits"].append(self.path)
        parts = self.path.strip("/").split("/")  # ms/DE/vat/811907980
        mode = STUB["mode"]
        if mode == "down":
            self.send_response(500)
            body = {"actionSucceed": False, "errorWrappers": [{"error": "MS_UNAVAILABLE"}]}
        else:
            self.send_response(200)
            body = {"countryCode": parts[1] if len(parts) > 1 else "", "vatNumber": parts[-1],
                    "requestDate": "2026-03-01T10:00:00.000Z", "isValid": mode == "valid",
                    "requestIdentifier": "WAPIAAAA" + parts[-1], "userError": "VALID" if mode == "valid" else "INVALID",
                    "name": "Example GmbH" if mode == "valid" else "---",
                    "address": "Unter den Linden 1, Berlin" if mode == "valid" else "---"}
        data = json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", STUB_PORT), Vies)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    env = common.new_env(LEVY, SRC, "levy-reliab-taxidonline-", BASE_PORT, invoices=2)
    try:
        with common.running(env):
            run(env)
    finally:
        srv.shutdown()


def run(env):
    if not check("simulator and levy start", env.start_sim() and env.start_levy()):
        return
    env.connect(regions=("US-CA", "EU"), events={"INVOICE": ["CREATED", "UPDATED", "DELETED"]})
    st, js, text, _ = env.S("GET", "/customers?limit=100")
    de = next(c for c in js["customers"] if (c.get("shipping_address") or c.get("address") or {}).get("country") == "DE"
              and (c.get("external_references") or []))
    st, c, text, _ = env.L("GET", "/v1/customers/" + de["id"])
    check("the German customer has a tax id that passes the offline check (%s)" % (c or {}).get("tax_id"),
          st == 200 and (c.get("tax_id_check") or {}).get("valid") is True and c.get("tax_id_registry") is None, c)
    st, s, text, _ = env.L("GET", "/v1/settings")
    check("online check off by default", st == 200 and s["tax_id_online"]["enabled"] is False
          and s["tax_id_online"]["vies_url"].startswith("https://ec.europa.eu/"), s)
    st, b, text, _ = env.L("POST", "/v1/customers/%s/tax_id/verify" % de["id"], {})
    check("verify while off: 409 tax_id_online_disabled, no request made",
          st == 409 and b["error"]["code"] == "tax_id_online_disabled" and not STUB["hits"], text)

    body = {"currency": "EUR", "date": "2026-03-01", "customer": {"id": de["id"]},
            "ship_to": {"line1": "Unter den Linden 1", "city": "Berlin", "zip_code": "10117", "country": "DE"},
            "ship_from": {"line1": "1 Main St", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"},
            "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "saas"}]}

    def calc():
        st, r, text, _ = env.L("POST", "/v1/calculate", body)
        return st, r or {}, text

    st, r, text = calc()
    check("off: reverse charge on the offline check alone", st == 200 and r.get("total_tax") == "0.00", text[:400])

    for bad in ({"enabled": "yes"}, {"vies_url": "ftp://x"}, {"vies_url": "http://example.com"},
                {"timeout_seconds": 0}, {"max_age_days": 1000}, {"nope": 1}, 5):
        st, b, text, _ = env.L("PUT", "/v1/settings", {"tax_id_online": bad})
        check("settings: tax_id_online %r -> 422" % (bad,), st == 422 and b["error"]["code"] == "validation_failed", text)
    stub = "http://127.0.0.1:%d" % STUB_PORT
    st, s, text, _ = env.L("PUT", "/v1/settings", {"tax_id_online": {"enabled": True, "vies_url": stub + "/"}})
    check("settings: online check on, pointed at the stub", st == 200 and s["tax_id_online"]["enabled"] is True
          and s["tax_id_online"]["vies_url"] == stub and s["tax_id_online"]["max_age_days"] == 30, text)

    STUB["mode"] = "invalid"
    st, b, text, _ = env.L("POST", "/v1/customers/%s/tax_id/verify" % de["id"], {})
    chk = (b or {}).get("check") or {}
    check("verify: VIES says not registered; the answer comes back with its dates",
          st == 200 and chk.get("status") == "not_registered" and chk.get("source") == "VIES"
          and chk.get("request_date") == "2026-03-01T10:00:00.000Z" and chk.get("checked_at")
          and STUB["hits"] and STUB["hits"][-1].startswith("/ms/DE/vat/"), text)
    check("a changed registry answer re-checks the customer's documents (the answer carries the bulk re-check)",
          st == 200 and isinstance((b or {}).get("requeue"), dict) and (b["requeue"].get("id") or b["requeue"].get("state")), text)
    st, r, text = calc()
    notes = r.get("notes") or []
    check("not registered: German VAT charged, note tax_id_invalid naming VIES",
          st == 200 and r.get("total_tax") == "19.00" and [n["code"] for n in notes] == ["tax_id_invalid"]
          and "VIES" in notes[0]["message"], text[:600])
    st, c, text, _ = env.L("GET", "/v1/customers/" + de["id"])
    check("the customer shows the registry's answer as evidence",
          st == 200 and (c.get("tax_id_registry") or {}).get("status") == "not_registered", c.get("tax_id_registry"))

    STUB["mode"] = "valid"
    st, b, text, _ = env.L("POST", "/v1/customers/%s/tax_id/verify" % de["id"], {})
    check("verify again: registered (name and consultation number kept)",
          st == 200 and b["check"]["status"] == "registered" and b["check"]["name"] == "Example GmbH"
          and b["check"]["request_id"], text)
    st, r, text = calc()
    check("registered: reverse charge, no note", st == 200 and r.get("total_tax") == "0.00" and "notes" not in r, text[:400])

    STUB["mode"] = "down"
    st, b, text, _ = env.L("POST", "/v1/customers/%s/tax_id/verify" % de["id"], {})
    check("registry unavailable: 502 registry_unavailable", st == 502 and b["error"]["code"] == "registry_unavailable", text)
    st, r, text = calc()
    check("an unavailable registry changes nothing: the last answer (registered) stands",
          st == 200 and r.get("total_tax") == "0.00", text[:400])
    st, s, text, _ = env.L("PUT", "/v1/settings", {"tax_id_online": {"enabled": True, "vies_url": "http://127.0.0.1:%d" % DEAD_PORT,
                                                                     "timeout_seconds": 2}})
    check("settings: a registry nobody answers at", st == 200, text)
    st, b, text, _ = env.L("POST", "/v1/customers/%s/tax_id/verify" % de["id"], {})
    check("no network to the registry: 502 registry_unavailable naming it", st == 502
          and "not reachable" in b["error"]["message"], text)

    dbp = os.path.join(env.levy_dir, "levy.db")
    db = sqlite3.connect("file:%s?mode=ro" % dbp, uri=True, timeout=10)
    rows = db.execute("SELECT status, request_date, checked_at FROM api_tax_id_checks ORDER BY id").fetchall()
    db.close()
    check("every answer is kept with its date as evidence (%s)" % rows,
          [x[0] for x in rows] == ["not_registered", "registered", "unavailable", "unavailable"]
          and all(x[2] for x in rows), rows)

    STUB["mode"] = "invalid"
    st, s, text, _ = env.L("PUT", "/v1/settings", {"tax_id_online": {"enabled": True, "vies_url": stub}})
    st, b, text, _ = env.L("POST", "/v1/customers/%s/tax_id/verify" % de["id"], {})
    check("not registered again", st == 200 and b["check"]["status"] == "not_registered", text)
    st, s, text, _ = env.L("PUT", "/v1/settings", {"tax_id_online": None})
    check("settings: tax_id_online null -> back to off", st == 200 and s["tax_id_online"]["enabled"] is False, text)
    st, r, text = calc()
    check("off again: the stored answers are not used (reverse charge on the offline check)",
          st == 200 and r.get("total_tax") == "0.00" and "notes" not in r, text[:400])


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
