#!/usr/bin/env python3
"""bench/soak.sh helper: the soak's slow side traffic, beside the open-loop mix.
usage: soak_side.py LEVY_PORT TOKEN SIM_PORT SIM_KEY SCRIPTS_DIR SECS OUT
 - every RELOAD_S (60) s: touch one rule file under SCRIPTS_DIR (a copy) and POST /admin/reload,
   so each reload builds and swaps a new generation (an unchanged tree answers "unchanged");
 - every INVOICE_S (1.0) s: create one invoice in the simulator (POST /invoices); the simulator
   sends levy its signed INVOICE.CREATED delivery, levy fetches, calculates and writes the tax
   back (the real webhook -> write-back path, not the pre-signed replay of the open-loop mix);
 - every REPORT_S (15) s: the filing summary and the liability report for the year.
Writes one JSON line to OUT at the end: counts and failures of each kind."""
import http.client, json, os, sys, time

lport, tok, sport, key, sdir, secs, out = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4],
                                            sys.argv[5], float(sys.argv[6]), sys.argv[7])
RELOAD_S = float(os.environ.get("RELOAD_S", "60"))
INVOICE_S = float(os.environ.get("INVOICE_S", "1.0"))
REPORT_S = float(os.environ.get("REPORT_S", "15"))


def call(port, method, path, body=None, bearer=None, timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    if bearer:
        h["Authorization"] = "Bearer " + bearer
    try:
        c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = c.getresponse()
        data = r.read()
        return r.status, data
    except Exception as e:  # a refused or reset connection is a failure the verdict counts
        return 0, str(e).encode()
    finally:
        c.close()


st = {"reloads": 0, "reloads_new_generation": 0, "reload_fail": 0, "invoices": 0, "invoice_fail": 0,
      "reports": 0, "report_fail": 0, "report_ms_max": 0, "fail_samples": []}


def fail(kind, status, data):
    st[kind] += 1
    if len(st["fail_samples"]) < 10:
        st["fail_samples"].append("%s %d %s" % (kind, status, data[:160].decode("utf-8", "replace")))


s, d = call(sport, "GET", "/customers?limit=100", None, key)
custs = json.loads(d)["customers"] if s == 200 else []
s, d = call(sport, "GET", "/products?limit=100", None, key)
prods = [p for p in json.loads(d)["products"]] if s == 200 else []
if not custs or not prods:
    raise SystemExit("soak_side: no customers/products in the simulator")
rule = None
for dp, _, fs in sorted(os.walk(sdir)):
    for f in sorted(fs):
        if f.endswith(".lua") and "_lib" not in dp:
            rule = os.path.join(dp, f)
            break
    if rule:
        break
t0 = time.time()
next_reload, next_inv, next_rep = t0 + RELOAD_S / 2, t0, t0 + REPORT_S / 2
i = 0
year = time.strftime("%Y")
while time.time() - t0 < secs:
    now = time.time()
    if now >= next_inv:
        next_inv += INVOICE_S
        cu, pr = custs[i % len(custs)], prods[i % len(prods)]
        cur = pr.get("currency") or "USD"
        body = {"customer_id": cu["id"], "invoice_date": time.strftime("%Y-%m-%d"), "items": [
            {"description": "soak %d.%d" % (i, k), "price": {"product_id": pr["id"], "quantity": 1 + k,
             "amount_per_unit": {"amount": "%d.%02d" % (10 + i % 90, k * 7), "currency": cur}}} for k in range(1 + i % 4)]}
        s, d = call(sport, "POST", "/invoices", body, key)
        i += 1
        st["invoices"] += 1
        if s >= 300 or s == 0:
            fail("invoice_fail", s, d)
    if now >= next_reload:
        next_reload += RELOAD_S
        with open(rule, "a") as f:
            f.write("-- soak reload %d\n" % st["reloads"])
        s, d = call(lport, "POST", "/admin/reload", None, tok)
        st["reloads"] += 1
        if s != 200:
            fail("reload_fail", s, d)
        elif json.loads(d).get("status") == "reloaded":
            st["reloads_new_generation"] += 1
    if now >= next_rep:
        next_rep += REPORT_S
        for p in ("/v1/reports/filing?from=%s-01-01&to=%s-12-31" % (year, year),
                  "/v1/reports/liability?from=%s-01-01&to=%s-12-31" % (year, year)):
            t = time.time()
            s, d = call(lport, "GET", p, None, tok)
            st["report_ms_max"] = max(st["report_ms_max"], int((time.time() - t) * 1000))
            st["reports"] += 1
            if s != 200:
                fail("report_fail", s, d)
    time.sleep(max(0.0, min(next_inv, next_reload, next_rep) - time.time()))
with open(out, "w") as f:
    f.write(json.dumps(st) + "\n")
