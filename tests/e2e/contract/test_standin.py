#!/usr/bin/env python3
"""levy against an independent, strict Rillet stand-in (ctest e2e_contract_standin).

Usage: test_standin.py PATH/TO/levy SRC
Not `levy sim`: a small Rillet written here from rillet-api.md alone, strict where Rillet is
documented to be strict and as sparse as Rillet is allowed to be, so that levy's outbound
side is checked against the documents, not against our own simulator's habits:

- every request must carry `Authorization: Bearer <key>` and `X-Rillet-API-Version: 4`
  (CONTRACT §3), `limit` at most 100 (rillet-api.md §2.1);
- one subsidiary only: step 1 of the connect flow must pick it (CONTRACT §2.3);
- list answers as sparse as the schema allows: a page smaller than `limit`, the last page of
  `/customers`, `/invoices` and `/credit-memos` without any `pagination` object (optional
  there), `/products` with `"pagination": {}` (no `next_cursor`);
- the first `GET /products` answers 429 with `Retry-After: 1` (CONTRACT §3: honoured);
- `POST /invoices/{id}/taxes` validated like Rillet: JSON body, an `Idempotency-Key`,
  `taxes_calculated_at` in UTC ending in `Z`, one item per line id (no unknown ids),
  `tax_rates[].type` SALES_TAX or VAT, `percentage` a JSON number, `tax_amount.amount` a
  decimal string with the currency's decimals and `currency` the document's; 400
  problem+json otherwise.

Ports from 16040 (or $STANDIN_E2E_PORT). Prints "N passed, N failed"; exit 1 on failure.
"""
import base64
import http.server
import json
import os
import re
import sys
import threading
import time
import urllib.parse
import uuid
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import harness  # noqa: E402
from harness import check, req  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else None
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else \
    os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TOKEN = "standin-e2e-token"
KEY = "rk_standin_9f3b2c1d4e5f6a7b"
ORG = {"id": "0b9c6a52-4d55-4c1e-9a2e-1f4b8d2c7e01", "trade_name": "Stand-in Inc.", "currency": "USD",
       "timezone": "America/Los_Angeles"}
SUB = {"id": "5f0c3b9e-7f2a-4e8e-b1f0-2b7d9e3c4a10", "trade_name": "Stand-in Inc.", "currency": "USD",
       "timezone": "America/Los_Angeles", "type": "LEGAL_ENTITY"}
CA = {"line1": "2000 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"}
NY = {"line1": "1 Broadway", "city": "New York", "state": "NY", "zip_code": "10004", "country": "US"}


def money(a):
    return {"amount": a, "currency": "USD"}


def customer(i, addr):
    return {"id": "c0000000-0000-4000-8000-00000000000%d" % i, "name": "Customer %d" % i, "address": addr,
            "updated_at": "2026-01-01T00:00:0%dZ" % i}


PRODUCT = {"id": "p0000000-0000-4000-8000-000000000001", "name": "Widget", "status": "ACTIVE",
           "price": {"amount": money("100.00"), "type": "ONE_TIME"}}


def item(iid, total, qty=1):
    return {"id": iid, "product_id": PRODUCT["id"], "description": "Widget", "quantity": qty,
            "gross_rate": money(total), "total_amount": money(total), "total_discount": money("0.00"),
            "taxed_amount": money("0.00"), "external_references": [], "revenue": {}}


def invoice(n, cust, addr, items, date="2026-03-01"):
    sub = sum(Decimal(i["total_amount"]["amount"]) for i in items)
    return {"id": "i0000000-0000-4000-8000-00000000000%d" % n, "invoice_number": "SI-%d" % n, "invoice_date": date,
            "due_date": "2026-03-31", "customer_id": cust["id"], "subsidiary_id": SUB["id"], "status": "UNPAID",
            "shipping_address": addr, "customer_address": addr, "address": CA, "items": items,
            "subtotal": money(str(sub)), "net_amount": money(str(sub)), "total": money(str(sub)),
            "amount_due": money(str(sub)), "taxed_amount": money("0.00"), "total_discount": money("0.00"),
            "external_references": [], "payment_terms": 30, "updated_at": "2026-03-01T10:00:0%dZ" % n}


class Rillet:
    """The stand-in's state and what it saw."""

    def __init__(self):
        self.lock = threading.Lock()
        self.customers = [customer(1, CA), customer(2, NY), customer(3, CA)]
        self.invoices = [
            invoice(1, self.customers[0], CA, [item("l0000000-0000-4000-8000-000000000011", "100.00"),
                                                item("l0000000-0000-4000-8000-000000000012", "50.00", 2)]),
            invoice(2, self.customers[1], NY, [item("l0000000-0000-4000-8000-000000000021", "80.00")]),
            invoice(3, self.customers[2], CA, [item("l0000000-0000-4000-8000-000000000031", "10.00")]),
        ]
        self.requests = []    # (time, method, path, query, headers)
        self.violations = []  # what levy sent that Rillet would refuse or that breaks CONTRACT §3
        self.writes = []      # (invoice id, headers, body) of accepted POST .../taxes
        self.products_429_at = None
        self.revoked = False  # every request answered 401 (the key was revoked in Rillet)

    def violate(self, what):
        with self.lock:
            self.violations.append(what)


def page(items, q, key, size=2, sparse=True):
    """A keyset page of at most `size` (< limit: allowed) from the opaque cursor; the last
    page without a pagination object when sparse."""
    start = 0
    if q.get("cursor"):
        try:
            start = int(base64.urlsafe_b64decode(q["cursor"] + "==").decode().split(":")[1])
        except (ValueError, IndexError):
            start = 0  # rillet-api.md §2.1: an invalid cursor starts again at page 1
    chunk = items[start:start + size]
    out = {key: chunk}
    if start + size < len(items):
        out["pagination"] = {"next_cursor": base64.urlsafe_b64encode(("c:%d" % (start + size)).encode())
                             .decode().rstrip("=")}
    elif not sparse:
        out["pagination"] = {}
    return out


def make_handler(r):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, status, body=None, headers=None, problem=False):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/problem+json" if problem else "application/json")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def problem(self, status, title, detail):
            self.answer(status, {"type": "https://rillet.io/" + title.lower().replace(" ", "-"), "title": title,
                                 "status": status, "detail": detail}, problem=True)

        def handle_any(self, method):
            u = urllib.parse.urlsplit(self.path)
            q = dict(urllib.parse.parse_qsl(u.query))
            path = u.path
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            with r.lock:
                r.requests.append((time.time(), method, path, q, dict(self.headers)))
            if self.headers.get("Authorization") != "Bearer " + KEY or r.revoked:
                return self.problem(401, "Unauthorized", "missing or wrong API key")
            if self.headers.get("X-Rillet-API-Version") != "4":
                r.violate("%s %s without X-Rillet-API-Version: 4 (%r)" % (method, path,
                                                                          self.headers.get("X-Rillet-API-Version")))
            if "limit" in q:
                if not q["limit"].isdigit() or not 1 <= int(q["limit"]) <= 100:
                    r.violate("%s %s limit=%s (Rillet: 1..100)" % (method, path, q["limit"]))
                    return self.problem(400, "Bad Request", "limit must be 1..100")
            if method == "GET":
                return self.get(path, q)
            if method == "POST":
                m = re.fullmatch(r"/invoices/([^/]+)/taxes", path)
                if m:
                    return self.taxes(m.group(1), raw)
            return self.problem(404, "Not Found", "no such resource")

        def get(self, path, q):
            if path in ("/api-key", "/health"):
                return self.answer(200, {"name": "standin", "read_only": False})
            if path == "/organizations/self":
                return self.answer(200, ORG)
            if path == "/subsidiaries":
                return self.answer(200, {"subsidiaries": [SUB]})  # not paginated
            if path == "/customers":
                return self.answer(200, page(r.customers, q, "customers"))
            if path == "/products":
                with r.lock:
                    first = r.products_429_at is None
                    if first:
                        r.products_429_at = time.time()
                if first:
                    self.answer(429, {"type": "https://rillet.io/too-many-requests", "title": "Too Many Requests",
                                      "status": 429}, headers={"Retry-After": "1"}, problem=True)
                    return
                return self.answer(200, page([PRODUCT], q, "products", sparse=False))
            if path == "/invoices":
                docs = [i for i in r.invoices if q.get("subsidiary_id") in (None, i["subsidiary_id"])]
                if q.get("updated.gt"):
                    docs = [i for i in docs if i["updated_at"] > q["updated.gt"]]
                return self.answer(200, page(docs, q, "invoices"))
            if path == "/credit-memos":
                return self.answer(200, {"credit_memos": []})  # no pagination object at all
            m = re.fullmatch(r"/(invoices|customers|products)/([^/]+)", path)
            if m:
                pool = {"invoices": r.invoices, "customers": r.customers, "products": [PRODUCT]}[m.group(1)]
                for x in pool:
                    if x["id"] == m.group(2):
                        return self.answer(200, x)
            return self.problem(404, "Not Found", "no such resource")

        def taxes(self, iid, raw):
            inv = next((i for i in r.invoices if i["id"] == iid), None)
            if inv is None:
                return self.problem(404, "Not Found", "no such invoice")
            errs = []
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                errs.append("Content-Type %r" % self.headers.get("Content-Type"))
            if not self.headers.get("Idempotency-Key"):
                errs.append("no Idempotency-Key")
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if not isinstance(body, dict):
                errs.append("body not a JSON object")
                body = {}
            ts = body.get("taxes_calculated_at")
            if not (isinstance(ts, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", ts)):
                errs.append("taxes_calculated_at %r (UTC, ending in Z)" % (ts,))
            items = body.get("items")
            line_ids = [i["id"] for i in inv["items"]]
            if not isinstance(items, list) or sorted(x.get("id") for x in items if isinstance(x, dict)) != \
                    sorted(line_ids):
                errs.append("items must name every line once: %r" % (items,))
                items = []
            for it in items:
                for tr in it.get("tax_rates") if isinstance(it.get("tax_rates"), list) else [None]:
                    if not isinstance(tr, dict):
                        errs.append("tax_rates of %s not a list of objects" % it.get("id"))
                        continue
                    if tr.get("type") not in ("SALES_TAX", "VAT"):
                        errs.append("type %r" % tr.get("type"))
                    if not isinstance(tr.get("percentage"), (int, float)) or isinstance(tr.get("percentage"), bool):
                        errs.append("percentage %r is not a JSON number" % (tr.get("percentage"),))
                    if not isinstance(tr.get("country"), str) or not isinstance(tr.get("description"), str):
                        errs.append("country/description missing in %r" % tr)
                    ta = tr.get("tax_amount") or {}
                    if not (isinstance(ta.get("amount"), str) and re.fullmatch(r"-?\d+\.\d\d", ta["amount"])):
                        errs.append("tax_amount.amount %r (a decimal string, 2 decimals)" % (ta.get("amount"),))
                    if ta.get("currency") != "USD":
                        errs.append("tax_amount.currency %r" % (ta.get("currency"),))
            if errs:
                r.violate("POST /invoices/%s/taxes: %s" % (iid, "; ".join(errs)))
                return self.problem(400, "Bad Request", "; ".join(errs)[:500])
            total = Decimal("0")
            for it in items:
                t = sum(Decimal(tr["tax_amount"]["amount"]) for tr in it["tax_rates"])
                total += t
                for li in inv["items"]:
                    if li["id"] == it["id"]:
                        li["taxed_amount"] = money("%.2f" % t)
            with r.lock:
                inv["taxed_amount"] = money("%.2f" % total)
                inv["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
                r.writes.append((iid, dict(self.headers), body))
            return self.answer(200, inv)

        def do_GET(self):
            self.handle_any("GET")

        def do_POST(self):
            self.handle_any("POST")

        def do_PUT(self):
            self.handle_any("PUT")

        def do_DELETE(self):
            self.handle_any("DELETE")
    return H


def deliver(levy_url, cid, token, entity, event, body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    wid, ts = str(uuid.uuid4()), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    h = {"X-Rillet-Signature": harness.sign(token, ts, wid, entity, event, raw), "X-Rillet-Timestamp": ts,
         "X-Rillet-Id": wid, "X-Rillet-Entity": entity, "X-Rillet-Event": event, "Content-Type": "application/json"}
    return req("POST", levy_url + "/webhooks/rillet/" + cid, raw=raw, headers=h)


def webhook_order(api, r, levy_url, cid, token):
    """CONTRACT §2.7 / §3: an UPDATED with a new amount is recalculated and written again (a
    new Idempotency-Key: another version); an older version arriving late changes nothing;
    DELETED marks the document deleted."""
    inv = r.invoices[2]
    old = json.loads(json.dumps(inv))
    with r.lock:
        inv["items"][0]["total_amount"] = inv["items"][0]["gross_rate"] = money("20.00")
        for k in ("subtotal", "net_amount", "total", "amount_due"):
            inv[k] = money("20.00")
        # newer than the stored version (the write-back's answer set it to its own time)
        time.sleep(0.01)
        inv["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%03dZ" % (time.time() * 1000 % 1000)
        now = json.loads(json.dumps(inv))
    s, js, _, _ = deliver(levy_url, cid, token, "INVOICE", "UPDATED", now)
    check("2.7 UPDATED delivery -> 200 received", s == 200 and js == {"received": True, "duplicate": False}, js)

    def rewritten():
        st, d, _, _ = api("GET", "/v1/invoices/" + inv["id"])
        return d if st == 200 and d.get("levy_tax") == "1.55" and d.get("tax_status") == "written" else None
    d = harness.wait_for(rewritten, 120, 0.5)
    check("3 the changed amount is recalculated and written (20.00 in Irvine -> 1.55)", d, d)
    with r.lock:
        keys = [w[1].get("Idempotency-Key") for w in r.writes if w[0] == inv["id"]]
    check("3 the new version's write-back has another Idempotency-Key", len(keys) >= 2 and keys[-1] != keys[0], keys)
    n_writes = len(keys)
    s, js, _, _ = deliver(levy_url, cid, token, "INVOICE", "UPDATED", old)
    check("3 a late older version is acknowledged", s == 200, js)
    s, js, _, _ = deliver(levy_url, cid, token, "INVOICE", "DELETED", json.dumps(r.invoices[1]["id"]).encode())
    check("2.7 DELETED (JSON string id) -> 200", s == 200, js)

    def deleted():
        st, d, _, _ = api("GET", "/v1/invoices/" + r.invoices[1]["id"])
        return d if st == 200 and d.get("tax_status") == "deleted" else None
    check("3 DELETED marks the document deleted, kept", harness.wait_for(deleted, 120, 0.5))
    s, d, _, _ = api("GET", "/v1/invoices/" + inv["id"])
    with r.lock:
        n_after = len([w for w in r.writes if w[0] == inv["id"]])
    check("3 the older version (delivered before the DELETED) changed nothing", s == 200
          and d.get("levy_tax") == "1.55" and n_after == n_writes, {"levy_tax": d.get("levy_tax"), "writes": n_after})


def main():
    if not LEVY:
        print("usage: test_standin.py PATH/TO/levy [SRC]", file=sys.stderr)
        sys.exit(2)
    base = int(os.environ.get("STANDIN_E2E_PORT", "16040"))
    tmp = harness.tmpdir("levy-standin-")
    r = Rillet()
    rport = harness.free_port(base, 10)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", rport), make_handler(r))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    lport = harness.free_port(base + 10, 10)
    levy_url = "http://127.0.0.1:%d" % lport
    lp = harness.start(harness.levy_cmd(LEVY, lport, os.path.join(tmp, "data"), TOKEN,
                                        "http://127.0.0.1:%d" % rport, SRC), os.path.join(tmp, "levy.log"),
                       keep_levy_env=False)
    api = harness.Levy(levy_url, TOKEN)
    try:
        if not check("levy starts", harness.wait_up(levy_url=levy_url, timeout=60, proc=lp)):
            return
        s, js, _, _ = api("PUT", "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True})
        check("US-CA subscribed", s == 200, js)
        s, con, text, _ = api("POST", "/v1/connections", {"provider": "rillet", "api_key": KEY,
                                                          "tax_documents_from": "2026-01-01"})
        if not check("2.3 step 1 -> 201", s == 201, text):
            return
        cid = con["id"]
        check("2.3 exactly one subsidiary: chosen at once, status needs_webhook_secret",
              con.get("status") == "needs_webhook_secret" and (con.get("subsidiary") or {}).get("id") == SUB["id"]
              and str(con.get("webhook_url", "")).endswith("/webhooks/rillet/" + cid), con)
        token = base64.b64encode(os.urandom(32)).decode()
        s, con, text, _ = api("POST", "/v1/connections/%s/webhook-secret" % cid, {"signing_token": token})
        check("2.3 step 4 -> connected", s == 200 and con.get("status") == "connected", text)

        def done():
            st, c, _, _ = api("GET", "/v1/connections/" + cid)
            return c if st == 200 and (c.get("import") or {}).get("state") in ("done", "failed") else None
        c = harness.wait_for(done, 120, 0.5)
        imp = (c or {}).get("import") or {}
        check("3 import done over sparse pages (no pagination object on the last page)",
              imp.get("state") == "done" and imp.get("customers") == 3 and imp.get("products") == 1
              and imp.get("invoices") == 3 and imp.get("credit_memos") == 0, c)

        def written():
            st, d, _, _ = api("GET", "/v1/invoices/" + r.invoices[0]["id"])
            return d if st == 200 and d.get("tax_status") in ("written", "failed") else None
        d = harness.wait_for(written, 120, 0.5)
        check("3 the CA invoice is written", d and d.get("tax_status") == "written" and d.get("written_at"), d)
        with r.lock:
            writes = list(r.writes)
            violations = list(r.violations)
            reqs = list(r.requests)
        check("3 every request levy sent is one Rillet accepts (headers, limit, write-back body)", not violations,
              violations[:5])
        w = [x for x in writes if x[0] == r.invoices[0]["id"]]
        if check("3 one write-back for the CA invoice", len(w) >= 1, [x[0] for x in writes]):
            _, hdr, body = w[-1]
            lines = {it["id"]: it for it in body["items"]}
            tax = sum(Decimal(tr["tax_amount"]["amount"]) for it in body["items"] for tr in it["tax_rates"])
            check("3 write-back total = levy_tax (7.75 + 3.88 = 11.63 in Irvine)", d and str(tax) == d.get("levy_tax")
                  and d.get("levy_tax") == "11.63", {"written": str(tax), "levy": (d or {}).get("levy_tax")})
            check("3 write-back: descriptions name jurisdictions, country US, SALES_TAX",
                  all(tr["country"] == "US" and tr["type"] == "SALES_TAX" and tr["description"]
                      for it in lines.values() for tr in it["tax_rates"]), body)
            check("3 Idempotency-Key stable: one key per document version and result",
                  len({x[1].get("Idempotency-Key") for x in w}) == 1, [x[1].get("Idempotency-Key") for x in w])
        ny = [x for x in writes if x[0] == r.invoices[1]["id"]]
        check("3 the NY invoice (not collecting, Rillet holds 0.00) is not written",
              all(not any(it["tax_rates"] for it in x[2]["items"]) for x in ny), ny)
        st, dn, _, _ = api("GET", "/v1/invoices/" + r.invoices[1]["id"])
        check("3 the NY invoice is not_collecting", st == 200 and dn.get("tax_status") == "not_collecting", dn)
        prods = [t for (t, m, p, q, h) in reqs if m == "GET" and p == "/products"]
        check("3 a 429 with Retry-After: 1 is honoured (the retry comes no sooner)",
              len(prods) >= 2 and r.products_429_at is not None and prods[1] - r.products_429_at >= 0.9,
              [round(t - (r.products_429_at or 0), 2) for t in prods[:3]])
        lists = [(p, q) for (t, m, p, q, h) in reqs if m == "GET" and p in ("/invoices", "/credit-memos")]
        check("3 documents listed for the chosen subsidiary", lists and all(q.get("subsidiary_id") == SUB["id"]
                                                                            for p, q in lists), lists[:4])
        check("3 pages followed by cursor", any(q.get("cursor") for p, q in lists if p == "/invoices"), lists[:6])
        webhook_order(api, r, levy_url, cid, token)
        with r.lock:
            reqs = list(r.requests)
            violations = list(r.violations)
        check("3 ... and still none Rillet would refuse after the webhooks", not violations, violations[:5])
        times = sorted(t for (t, m, p, q, h) in reqs)
        worst = max((sum(1 for u in times if t <= u < t + 60) for t in times), default=0)
        check("3 at most 60 requests in any 60 s", worst <= 60, worst)
        # §2.3: status error with error:{code,message} when the key is revoked
        with r.lock:
            r.revoked = True
        s, js, _, _ = api("POST", "/v1/connections/%s/sync" % cid)
        check("2.3 resync -> 202", s == 202, js)

        def errored():
            st, c, _, _ = api("GET", "/v1/connections/" + cid)
            return c if st == 200 and c.get("status") == "error" else None
        c = harness.wait_for(errored, 120, 0.5)
        e = (c or {}).get("error") or {}
        check("2.3 a revoked key -> status error with error {code, message}, no secret",
              c and isinstance(e.get("code"), str) and e["code"] and isinstance(e.get("message"), str)
              and KEY not in json.dumps(c), c)
    finally:
        harness.stop(lp, 15)
        srv.shutdown()
        if harness.failed:
            harness.print_logs(tmp, ("levy.log",), 4000)


if __name__ == "__main__":
    harness.run_main(main)
