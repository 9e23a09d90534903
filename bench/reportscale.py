#!/usr/bin/env python3
"""The reports and the kept sums' check on a large store (issues 20/21): what a finance team
asks of levy at 100k and 1M documents, with levy's DEFAULT budgets (a request past its budget
answers 500/503 as a user would see it).

Usage: bench/reportscale.py LEVY SRC DATA_DIR PORT      (levy must not run on DATA_DIR; run it
       inside `unshare -n`; DATA_DIR is a store grown by bench/storegrowth.sh / storeclone.py)
env: RUNS (3) repeats of each request; CHECK=0 skips the sums check; CHECK_TIMEOUT (s, 600);
     EXPORT=0 skips the documents export; EXPORT_TIMEOUT (s, 1200); EXPORT_FORMAT (csv or
     ndjson, csv); EXPORT_SAVE=FILE: the finished export's parts in order written to FILE (to
     compare two builds' exports byte for byte); SKIP="name ..." requests
     left out; ONLY="name ...": only those requests; SAVE=DIR: each request's last answer
     written to DIR/NAME (to compare two builds' answers byte for byte); BUDGET_MS:
     LEVY_LUA_TIME_MS for this levy (the cost, not cut off at the default); RECOUNT=1: then
     the recount of the kept sums (POST /v1/store/recount, polled until it is no longer
     running; RECOUNT_TIMEOUT s, 3600): wall, levy CPU, job runs, per table checked/fixed.

levy is started on DATA_DIR with no Rillet reachable (the reports read the store only) and
waited for until no job is due. Per request (RUNS times): the HTTP status, the median wall
time, the median levy CPU (/proc/PID/stat utime+stime: less load-dependent than the wall; levy's
request and job budgets are thread CPU time too: 80 ms a request, 800 ms a job run). Home's requests are those web/js/home.js sends (the
browser sends them at once; the sum here is sequential). Then the sums check (POST
/v1/reports/filing/sums/check, polled until it is no longer running: the job's runs are counted
from the job row's updates, its CPU and statements whole) and a quarter's documents export
(POST /v1/reports/filing/exports, CSV, polled until done). levy_start_s: until /healthz answers;
check_s: until the integrity check of a store over LEVY_STORE_CHECK_START_MB, which runs while
levy serves, ended (the requests are measured after it: its CPU is levy's).
Prints a line per measurement: name status wall_ms cpu_ms bytes."""
import http.client
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import time

levy, src, ddir, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
RUNS = int(os.environ.get("RUNS", "3"))
SKIP = set(os.environ.get("SKIP", "").split())
ONLY = set(os.environ.get("ONLY", "").split())
SAVE = os.environ.get("SAVE")
TOKEN = "reportscale-token-0123456789abcdef"
HZ = os.sysconf("SC_CLK_TCK")
AUTH = {"Authorization": "Bearer " + TOKEN}

env = dict(os.environ, LEVY_API_TOKEN=TOKEN, LEVY_RILLET_URL="http://127.0.0.1:9", LEVY_RILLET_RATE_LIMIT="0")
for k in ("LEVY_LUA_TIME_MS", "LEVY_LUA_INSTR"):  # the defaults: what a user's levy answers
    env.pop(k, None)
if os.environ.get("BUDGET_MS"):  # a raised budget: what a request or a job run costs when not cut off
    env["LEVY_LUA_TIME_MS"], env["LEVY_LUA_INSTR"] = os.environ["BUDGET_MS"], "2000000000"
log = open(os.path.join(ddir, "reportscale.log"), "ab")
log_at = log.tell()
proc = subprocess.Popen([levy, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", ddir, "--scripts",
                         os.path.join(src, "scripts"), "--plugins", os.path.join(src, "plugins")],
                        env=env, stdout=log, stderr=log)


def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=900)


def call(method, path, body=None):
    c = conn()
    h = dict(AUTH)
    if body is not None:
        body = json.dumps(body)
        h["Content-Type"] = "application/json"
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    d = r.read()
    c.close()
    return r.status, d


def cpu_ms():
    f = open("/proc/%d/stat" % proc.pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000.0 / HZ


def db():
    return sqlite3.connect("file:%s/levy.db?mode=ro" % ddir, uri=True, timeout=60)


def due_jobs():
    return db().execute("SELECT count(*) FROM jobs WHERE state IN ('queued','running') AND run_at <= ?",
                        (int(time.time() * 1000),)).fetchone()[0]


t0 = time.time()
for _ in range(3000):
    try:
        if call("GET", "/healthz")[0] == 200:
            break
    except OSError:
        pass
    time.sleep(0.2)
else:
    raise SystemExit("levy did not start")
start_s = time.time() - t0


def logged(text):
    with open(os.path.join(ddir, "reportscale.log"), "rb") as f:
        f.seek(log_at)
        return text in f.read().decode(errors="replace")


# a store over LEVY_STORE_CHECK_START_MB is quick_checked by a thread while levy serves (its
# CPU is levy's): the requests are measured after it ended (check_s: when, from the start)
check_s = 0.0
if logged("quick_check runs while levy serves"):
    while not (logged("is intact (PRAGMA quick_check") or logged("is damaged")) and time.time() - t0 < 1800:
        time.sleep(1)
    check_s = time.time() - t0
while due_jobs() and time.time() - t0 < 1800:
    time.sleep(1)
d = db()
year = d.execute("SELECT substr(max(doc_date), 1, 4) FROM invoices WHERE deleted = 0").fetchone()[0]
docs = d.execute("SELECT (SELECT count(*) FROM invoices) + (SELECT count(*) FROM credit_memos)").fetchone()[0]
nc = d.execute("SELECT count(*) FROM rillet_nc_docs").fetchone()[0]
size = sum(os.path.getsize(os.path.join(ddir, f)) for f in ("levy.db", "levy.db-wal") if os.path.exists(os.path.join(ddir, f)))
print("docs=%d not_collected_candidates=%d (%.1f %%) year=%s db_mb=%d levy_start_s=%.1f check_s=%.0f idle_s=%.0f "
      "load=%s" % (docs, nc, 100.0 * nc / max(docs, 1), year, size >> 20, start_s, check_s, time.time() - t0,
    " ".join(open("/proc/loadavg").read().split()[:3])), flush=True)

Y = year
Q = "from=%s-01-01&to=%s-03-31" % (Y, Y)
YR = "from=%s-01-01&to=%s-12-31" % (Y, Y)
TODAY = "from=%s-01-01&to=%s-12-31" % (Y, Y)  # Home asks from Jan 1 to today: the documents' year
REQS = [
    ("filing_quarter", "/v1/reports/filing?" + Q),
    ("filing_quarter_csv", "/v1/reports/filing?" + Q + "&format=csv"),
    ("filing_year", "/v1/reports/filing?" + YR),
    ("filing_year_csv", "/v1/reports/filing?" + YR + "&format=csv"),
    ("filing_documents_quarter", "/v1/reports/filing/documents?" + Q),
    ("filing_documents_quarter_csv", "/v1/reports/filing/documents?" + Q + "&format=csv"),
    ("not_collected_year", "/v1/reports/not-collected?" + YR),
    ("not_collected_year_csv", "/v1/reports/not-collected?" + YR + "&format=csv"),
    ("liability_year", "/v1/reports/liability?" + YR),
    ("exposure_csv", "/v1/reports/exposure?format=csv"),
]
HOME = [("home_filing_q%d" % q, "/v1/reports/filing?from=%s-%02d-01&to=%s-%02d-%02d" % (
    Y, 3 * q - 2, Y, 3 * q, (31, 30, 30, 31)[q - 1])) for q in (1, 2, 3, 4)] + [
    ("home_filing_months", "/v1/reports/filing?" + TODAY + "&frequency=month"),
    ("home_filing_yearly", "/v1/reports/filing?" + TODAY + "&frequency=year"),
    ("home_connections", "/v1/connections"),
] + [("home_%s_%s" % (k, n), "/v1/%s?%s" % (k, qs)) for k in ("invoices", "credit-memos") for n, qs in (
    ("failed", "tax_status=failed&limit=500"), ("drift", "tax_status=drift&limit=500"),
    ("manual", "reason=manual_tax_kept&limit=500"), ("imprecise", "precision=imprecise&limit=1"),
    ("cert_expired", "certificate=expired&limit=1"))] + [
    ("home_certs_expiring", "/v1/exemption-certificates?expiring_within_days=30&limit=5"),
    ("home_liability_nc1", "/v1/reports/liability?" + TODAY + "&not_collected_limit=1"),
    ("home_filing_sums", "/v1/reports/filing/sums"),
    ("home_rates", "/admin/rates"),
    ("home_regions", "/v1/regions"),
    ("home_products", "/v1/products?limit=500"),
    ("home_exposure", "/v1/reports/exposure"),
]
if ONLY:
    SKIP |= {n for n, _ in REQS + HOME if n not in ONLY}


def measure(name, path):
    walls, cpus = [], []
    status, size = None, 0
    for _ in range(RUNS):
        c0, t = cpu_ms(), time.perf_counter()
        status, body = call("GET", path)
        walls.append((time.perf_counter() - t) * 1000)
        cpus.append(cpu_ms() - c0)
        size = len(body)
        if SAVE:
            with open(os.path.join(SAVE, name), "wb") as f:
                f.write(body)
        if status != 200:
            print("  %s -> %d %s" % (name, status, body[:200].decode(errors="replace")), flush=True)
    print("%-30s %3d wall_ms=%6.0f cpu_ms=%6.0f bytes=%d" % (
        name, status, statistics.median(walls), statistics.median(cpus), size), flush=True)
    return status, statistics.median(walls), statistics.median(cpus)


for name, path in REQS:
    if name not in SKIP:
        measure(name, path)
hw = hc = 0
bad = []
for name, path in HOME:
    if name in SKIP:
        continue
    st, w, c = measure(name, path)
    hw, hc = hw + w, hc + c
    if st != 200:
        bad.append(name)
print("home_all (sequential sum)      wall_ms=%6.0f cpu_ms=%6.0f not_200=%s" % (hw, hc, ",".join(bad) or "-"),
      flush=True)


def job_row(kind, key):
    return db().execute("SELECT state, attempts, updated_at, last_error FROM jobs WHERE kind = ? AND key = ? "
                        "ORDER BY created_at DESC LIMIT 1", (kind, key)).fetchone()


if os.environ.get("CHECK", "1") != "0":
    c0, t = cpu_ms(), time.time()
    st, body = call("POST", "/v1/reports/filing/sums/check")
    runs, last, errs = 0, None, set()
    timeout = float(os.environ.get("CHECK_TIMEOUT", "600"))
    state = "?"
    while time.time() - t < timeout:
        r = job_row("rillet.filing_sums", "check")
        if r and r[2] != last:
            runs, last = runs + 1, r[2]
            if r[3]:
                errs.add(r[3][:160])
        s = json.loads(call("GET", "/v1/reports/filing/sums")[1])
        state = s["check"]["state"]
        if state != "running":
            break
        time.sleep(0.05)
    el = time.time() - t
    c = s["check"]
    print("sums_check post=%d state=%s wall_s=%.1f cpu_s=%.1f months=%s documents=%s mismatches=%s "
          "job_runs_seen>=%d expected_runs=%d per_run_cpu_ms=%.0f" % (
              st, state, el, (cpu_ms() - c0) / 1000, c["months"],
              c["kinds"]["not_collected"]["documents"], c["mismatches"], runs,
              math.ceil((c["months"] + 1) / 3.0) + docs // 1000 + 2,
              (cpu_ms() - c0) / max(1, math.ceil((c["months"] + 1) / 3.0) + docs // 1000 + 2)), flush=True)
    r = job_row("rillet.filing_sums", "check")
    print("  job: state=%s attempts=%s last_error=%s errors_seen=%s" % (r and r[0], r and r[1], r and r[3], sorted(errs)),
          flush=True)

if os.environ.get("EXPORT", "1") != "0":
    c0, t = cpu_ms(), time.time()
    fmt = os.environ.get("EXPORT_FORMAT", "csv")
    st, body = call("POST", "/v1/reports/filing/exports", {"from": "%s-01-01" % Y, "to": "%s-03-31" % Y, "format": fmt})
    x = json.loads(body)
    if st >= 300:
        print("export_quarter_csv post=%d %s" % (st, body[:200]))
    else:
        timeout = float(os.environ.get("EXPORT_TIMEOUT", "1200"))
        while time.time() - t < timeout:
            x = json.loads(call("GET", "/v1/reports/filing/exports/" + x["id"])[1])
            if x["state"] not in ("queued", "running"):
                break
            time.sleep(0.2)
        print("export_quarter_%s state=%s wall_s=%.1f cpu_s=%.1f documents=%s/%s parts=%s bytes=%s error=%s" % (
            fmt, x["state"], time.time() - t, (cpu_ms() - c0) / 1000, x["done"], x["total"], x["parts"],
            x["bytes"], x["error"]), flush=True)
        if os.environ.get("EXPORT_SAVE") and x["state"] == "done":
            import hashlib
            h = hashlib.sha256()
            with open(os.environ["EXPORT_SAVE"], "wb") as f:
                for n in range(1, x["parts"] + 1):
                    st, part = call("GET", "/v1/reports/filing/exports/%s/parts/%d" % (x["id"], n))
                    if st != 200:
                        raise SystemExit("part %d: %d" % (n, st))
                    f.write(part)
                    h.update(part)
            print("  saved %s sha256=%s" % (os.environ["EXPORT_SAVE"], h.hexdigest()), flush=True)

if os.environ.get("RECOUNT") == "1":
    c0, t = cpu_ms(), time.time()
    st, body = call("POST", "/v1/store/recount")
    timeout = float(os.environ.get("RECOUNT_TIMEOUT", "3600"))
    runs, last, x = 0, None, json.loads(body)
    while time.time() - t < timeout:
        r = db().execute("SELECT updated_at FROM jobs WHERE kind = 'rillet.recount' ORDER BY created_at DESC "
                         "LIMIT 1").fetchone()
        if r and r[0] != last:
            runs, last = runs + 1, r[0]
        try:  # a chunk holds levy's loop for seconds at 1M (the connection then closed unread)
            x = json.loads(call("GET", "/v1/store/recount")[1])
        except (OSError, http.client.HTTPException):
            time.sleep(1)
            continue
        if x["state"] not in ("idle", "running"):
            break
        time.sleep(0.2)
    print("recount post=%d state=%s wall_s=%.1f cpu_s=%.1f fixed=%s job_runs_seen>=%d" % (
        st, x["state"], time.time() - t, (cpu_ms() - c0) / 1000, x.get("fixed"), runs), flush=True)
    for tb in x.get("tables") or []:
        more = "".join(" %s=%s" % (k, tb[k]) for k in ("chunks_within_days", "day_restarts") if k in tb)
        print("  %-12s checked=%s fixed=%s%s" % (tb.get("table"), tb.get("checked"), tb.get("fixed"), more), flush=True)

print("load at end: %s" % " ".join(open("/proc/loadavg").read().split()[:3]), flush=True)
proc.terminate()
proc.wait()
