#!/usr/bin/env python3
"""bench/storegrowth.sh helper: what each path costs at the store's current size.
usage: storemeasure.py LEVY_PORT TOKEN SIM_PORT SIM_KEY CONNECTION_ID SIGNING_TOKEN DATA_DIR CALC_REQ LEVY_PID
Prints one line of key=value:
 calc_p50_us     POST /v1/calculate (10 lines, bench/mkreq.py's first Texas body), 300 sequential
 hook_p50_us     one unique signed delivery (CONTRACT 2.7) -> its 2xx, 200 sequential (the
                 delivery is stored durably before the answer: the store's insert cost)
 filing_ms       GET /v1/reports/filing for the documents' year, median of 3
 liability_ms    GET /v1/reports/liability for that year, median of 3
 *_cpu_ms        levy's CPU time (/proc/PID/stat utime+stime) for one such report, the median:
                 less load-dependent than the wall time; a handler's default budget is 400 ms
 *_status        the report's HTTP status when it was not 200
 apply_s         50 invoices created in the simulator -> each stored by levy, calculated, and no
                 rillet job left queued (delivery, fetch, apply, calculate, write-back)
 db_mb           levy.db + -wal on disk
 docs            invoices + credit memos stored"""
import base64, datetime, hashlib, hmac, http.client, json, os, sqlite3, statistics, sys, time, uuid

lport, tok, sport, key, con, sign, ddir, calc_req = (int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4],
                                                     sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8])
lpid = int(sys.argv[9])
HZ = os.sysconf("SC_CLK_TCK")


def cpu_ms():
    f = open("/proc/%d/stat" % lpid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000.0 / HZ
lc = http.client.HTTPConnection("127.0.0.1", lport, timeout=600)


def call(c, method, path, body=None, headers=None):
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    return r.status, r.read()


auth = {"Authorization": "Bearer " + tok}
out = {}
# calculation
raw = open(calc_req, "rb").read().split(b"\0\n")[0]
body = raw.split(b"\r\n\r\n", 1)[1]
lat = []
for i in range(300):
    t = time.perf_counter()
    s, d = call(lc, "POST", "/v1/calculate", body, dict(auth, **{"Content-Type": "application/json"}))
    lat.append(time.perf_counter() - t)
    if s != 200:
        raise SystemExit("calculate -> %d %s" % (s, d[:200]))
out["calc_p50_us"] = int(statistics.median(lat[50:]) * 1e6)

# signed deliveries, each unique
try:
    hkey = base64.b64decode(sign, validate=True)
except Exception:
    hkey = sign.encode()
lat = []
for i in range(200):
    ts = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    did = str(uuid.uuid4())
    b = json.dumps({"id": str(uuid.uuid4()), "customer_id": "cust_bench", "subsidiary_id": "sub_bench",
                    "invoice_number": "GROW-%06d" % i, "invoice_date": "2026-03-01", "status": "OPEN", "currency": "USD",
                    "items": [{"id": str(uuid.uuid4()), "description": "Item %d" % k,
                               "price": {"product_id": "prod_bench", "quantity": "1", "amount_per_unit": "%d.00" % (10 + k)},
                               "total_amount": {"amount": "%d.00" % (10 + k), "currency": "USD"}} for k in range(6)],
                    "memo": "x" * 200, "updated_at": "2026-03-01T00:00:00.000Z"}, separators=(",", ":")).encode()
    sig = base64.b64encode(hmac.new(hkey, b".".join([ts.encode(), did.encode(), b"INVOICE", b"UPDATED", b]),
                                    hashlib.sha256).digest()).decode()
    h = {"Content-Type": "application/json", "X-Rillet-Signature": sig, "X-Rillet-Timestamp": ts, "X-Rillet-Id": did,
         "X-Rillet-Entity": "INVOICE", "X-Rillet-Event": "UPDATED"}
    t = time.perf_counter()
    s, d = call(lc, "POST", "/webhooks/rillet/" + con, b, h)
    lat.append(time.perf_counter() - t)
    if s >= 300:
        raise SystemExit("delivery -> %d %s" % (s, d[:200]))
out["hook_p50_us"] = int(statistics.median(lat) * 1e6)

# reports for the year the documents are dated in
db = sqlite3.connect("file:%s/levy.db?mode=ro" % ddir, uri=True, timeout=60)
year = db.execute("SELECT substr(max(doc_date), 1, 4) FROM invoices WHERE deleted = 0").fetchone()[0] or "2026"
for name, path in (("filing_ms", "/v1/reports/filing?from=%s-01-01&to=%s-12-31" % (year, year)),
                   ("liability_ms", "/v1/reports/liability?from=%s-01-01&to=%s-12-31" % (year, year))):
    ms, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), cpu_ms()
        s, d = call(lc, "GET", path, None, auth)
        ms.append((time.perf_counter() - t) * 1000)
        cpu.append(cpu_ms() - c)
        if s != 200:
            out[name.replace("_ms", "_status")] = s
    out[name] = int(statistics.median(ms))
    out[name.replace("_ms", "_cpu_ms")] = int(statistics.median(cpu))

# invoices created in the simulator: delivery, fetch, apply, calculate, write-back
sc = http.client.HTTPConnection("127.0.0.1", sport, timeout=60)
sauth = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
custs = json.loads(call(sc, "GET", "/customers?limit=100", None, sauth)[1])["customers"]
prods = json.loads(call(sc, "GET", "/products?limit=100", None, sauth)[1])["products"]
ids = []
t0 = time.time()
for i in range(50):
    cu, pr = custs[i % len(custs)], prods[i % len(prods)]
    inv = {"customer_id": cu["id"], "invoice_date": "%s-03-01" % year, "items": [
        {"description": "grow %d.%d" % (i, k), "price": {"product_id": pr["id"], "quantity": 1 + k,
         "amount_per_unit": {"amount": "%d.%02d" % (10 + i % 90, k * 7), "currency": pr.get("currency") or "USD"}}}
        for k in range(1 + i % 4)]}
    s, d = call(sc, "POST", "/invoices", json.dumps(inv), sauth)
    if s >= 300:
        raise SystemExit("sim invoice -> %d %s" % (s, d[:200]))
    ids.append(json.loads(d)["id"])
q = "SELECT count(*) FROM invoices WHERE id IN (%s)" % ",".join("?" * len(ids))
pend = ("SELECT count(*) FROM jobs WHERE state IN ('queued','running') AND kind IN "
        "('rillet.process_inbox','rillet.calculate','rillet.writeback')")
while time.time() - t0 < 600:
    if db.execute(q, ids).fetchone()[0] == len(ids) and db.execute(pend).fetchone()[0] == 0:
        break
    time.sleep(0.05)
out["apply_s"] = "%.2f" % (time.time() - t0)
out["apply_stored"] = db.execute(q, ids).fetchone()[0]
out["db_mb"] = sum(os.path.getsize(os.path.join(ddir, f)) for f in ("levy.db", "levy.db-wal")
                   if os.path.exists(os.path.join(ddir, f))) // (1024 * 1024)
out["docs"] = db.execute("SELECT (SELECT count(*) FROM invoices) + (SELECT count(*) FROM credit_memos)").fetchone()[0]
out["load"] = os.getloadavg()[0]
print(" ".join("%s=%s" % kv for kv in out.items()))
