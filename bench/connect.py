#!/usr/bin/env python3
"""bench/run.sh helper: connect a levy to `levy sim` (CONTRACT 2.3), time the import and the
write-back drain. usage: connect.py LEVY_PORT TOKEN SIM_PORT SIM_KEY N_INVOICES DATA_DIR [LATENCY_MS]
Tops the simulator up to N_INVOICES invoices through its API (POST /invoices) first: `levy sim
--invoices N` seeds in one on_start call, which exceeds the host's instruction budget above
about 2,000 invoices.
prints: CONNECTION_ID SIGNING_TOKEN IMPORT_S IMPORT_INVOICES DRAIN_S WRITEBACKS_DONE"""
import http.client, json, sqlite3, sys, time
lport, tok, sport, key, ninv, ddir = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), sys.argv[6]
lat = int(sys.argv[7]) if len(sys.argv) > 7 else 0

def call(port, method, path, body=None, bearer=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Content-Type": "application/json"}
    if bearer: h["Authorization"] = "Bearer " + bearer
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    if r.status >= 300: raise SystemExit("%s %s -> %d %s" % (method, path, r.status, data[:300]))
    return json.loads(data) if data else None

info = call(sport, "GET", "/_sim/info")
have = info["invoices"]
if have < ninv:
    custs = [c for c in call(sport, "GET", "/customers?limit=100", None, key)["customers"]]
    prods = [p for p in call(sport, "GET", "/products?limit=100", None, key)["products"]]
    c = http.client.HTTPConnection("127.0.0.1", sport, timeout=60)
    t = time.time()
    for i in range(ninv - have):
        cu, pr = custs[i % len(custs)], prods[i % len(prods)]
        cur = pr.get("currency") or "USD"
        body = {"customer_id": cu["id"], "invoice_date": "2026-03-01", "items": [
            {"description": "bench %d.%d" % (i, k), "price": {"product_id": pr["id"], "quantity": 1 + k,
             "amount_per_unit": {"amount": "%d.%02d" % (10 + i % 90, k * 7), "currency": cur}}} for k in range(1 + i % 4)]}
        c.request("POST", "/invoices", body=json.dumps(body), headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"})
        r = c.getresponse(); d = r.read()
        if r.status >= 300:
            print("topup invoice", i, r.status, d[:200], file=sys.stderr)
    print("topped up %d invoices in %.1f s" % (ninv - have, time.time() - t), file=sys.stderr)
# Tax the imported history too (issue 16 made the default window start at the connection's day,
# so without this the import is calculated for no document and the drain measures nothing).
con = call(lport, "POST", "/v1/connections", {"provider": "rillet", "api_key": key,
                                              "tax_documents_from": "2000-01-01"}, tok)
if con["status"] == "needs_subsidiary":
    org = con.get("organization") or {}
    pick = con["subsidiaries"][0]
    for s in con["subsidiaries"]:
        if s.get("trade_name") == org.get("trade_name"): pick = s
    con = call(lport, "POST", "/v1/connections/%s/subsidiary" % con["id"], {"subsidiary_id": pick["id"]}, tok)
events = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CUSTOMER": ["CREATED", "UPDATED", "DELETED"]}
hook = call(sport, "POST", "/_sim/webhooks", {"name": "levy-bench", "url": con["webhook_url"], "events": events, "enabled": True}, key)
for code in ["US-CA", "US-TX", "US-NY", "US-WA", "US-IL", "US-FL", "US-PA", "US-CO", "EU", "GB", "CA", "AU"]:
    try: call(lport, "PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True}, tok)
    except SystemExit as e: print("region", code, e, file=sys.stderr)
if lat:
    call(sport, "POST", "/_sim/faults", {"latency_ms": lat})
    print("sim faults:", json.dumps(call(sport, "GET", "/_sim/faults")), file=sys.stderr)
t0 = time.time()
call(lport, "POST", "/v1/connections/%s/webhook-secret" % con["id"], {"signing_token": hook["signing_token"]}, tok)
imp_s = None; imp = {}
drain_wait = float(__import__("os").environ.get("DRAIN_WAIT", "20"))
db = sqlite3.connect("file:%s/levy.db?mode=ro" % ddir, uri=True, timeout=10)
drain_s = None; done = 0
deadline = t0 + 600
while time.time() < deadline:
    c = call(lport, "GET", "/v1/connections/" + con["id"], None, tok)
    imp = c.get("import") or {}
    if imp_s is None and imp.get("state") in ("done", "failed"):
        imp_s = time.time() - t0
        print("import:", json.dumps(imp), file=sys.stderr)
    if imp_s is not None and time.time() - t0 - imp_s > drain_wait:
        break
    if imp_s is not None:
        pending = db.execute("SELECT count(*) FROM jobs WHERE state IN ('queued','running') AND kind IN ('rillet.calculate','rillet.writeback')").fetchone()[0]
        if pending == 0:
            drain_s = time.time() - t0
            break
    time.sleep(0.2)
done = db.execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state = 'done'").fetchone()[0]
dead = db.execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state = 'dead'").fetchone()[0]
queued = db.execute("SELECT count(*) FROM jobs WHERE kind IN ('rillet.writeback','rillet.calculate') AND state IN ('queued','running')").fetchone()[0]
print("writeback jobs done %d dead %d, still queued %d (%s)" % (done, dead, queued,
      "drained" if drain_s else "window of %.0f s after the import" % drain_wait), file=sys.stderr)
if lat: call(sport, "DELETE", "/_sim/faults")
print(con["id"], hook["signing_token"], "%.1f" % (imp_s or -1), imp.get("invoices", "?"),
      "%.1f" % ((drain_s - imp_s) if drain_s and imp_s else -1), done, queued)
