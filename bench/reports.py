#!/usr/bin/env python3
"""Times the three reports a finance team files from (issue 20) on an organisation of N invoices.

Usage:
  bench/reports.py LEVY SRC N [--keep DIR]      seed: levy sim --invoices N, connect, wait until
                                                every document is imported, taxed and written
                                                back, then time the reports; --keep DIR copies
                                                levy's data dir there for the runs below
  bench/reports.py LEVY SRC --data DIR          time the reports on a copy of a kept data dir
                                                (no simulator: the reports read levy's store)

SRC is the checkout whose plugins/ levy loads: time main's plugins and a branch's on the same
seeded data by running --data twice with another SRC. Each report is asked RUNS (default 3)
times; the median wall time and the HTTP status are printed (status 500 = "running-time
budget exceeded" under the default LEVY_LUA_TIME_MS). Run it inside `unshare -n` (it binds
loopback ports from BASE_PORT, default 24500).
"""
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e", "reliab"))
import common  # noqa: E402
from harness import req, start, stop, levy_cmd, free_port  # noqa: E402

BASE_PORT = int(os.environ.get("BASE_PORT", "24500"))
RUNS = int(os.environ.get("RUNS", "3"))

REPORTS_ALL = [
    ("liability", "/v1/reports/liability?from=2026-01-01&to=2026-12-31"),
    ("filing", "/v1/reports/filing?from=2026-01-01&to=2026-12-31"),
    ("filing_documents", "/v1/reports/filing/documents?from=2026-01-01&to=2026-12-31"),
    ("filing_documents_csv", "/v1/reports/filing/documents?from=2026-01-01&to=2026-12-31&format=csv"),
    ("exposure", "/v1/reports/exposure"),
]
# BENCH_ONLY="filing liability": only those reports (and no export with BENCH_NO_EXPORT=1)
REPORTS = [r for r in REPORTS_ALL if not os.environ.get("BENCH_ONLY") or r[0] in os.environ["BENCH_ONLY"].split()]


def time_reports(url, token):
    auth = {"Authorization": "Bearer " + token}
    out = []
    for name, path in REPORTS:
        times, status, size = [], None, 0
        for _ in range(RUNS):
            t0 = time.monotonic()
            st, _, text, _ = req("GET", url + path, None, auth, timeout=300)
            times.append(time.monotonic() - t0)
            status, size = st, len(text or "")
            if os.environ.get("BENCH_SAVE"):  # the answers, to compare two checkouts' output
                with open(os.path.join(os.environ["BENCH_SAVE"], name), "w") as f:
                    f.write(text or "")
            if st != 200:
                print("  %s: %s" % (name, (text or "")[:300]), flush=True)
                break
        out.append((name, status, statistics.median(times) * 1000, size))
        print("%-22s HTTP %s  %8.0f ms  %9d bytes" % (name, status, statistics.median(times) * 1000, size),
              flush=True)
    if not os.environ.get("BENCH_NO_EXPORT"):
        out.append(time_export(url, auth))
    return out


def time_export(url, auth):
    """The year's audit CSV as an export job (POST /v1/reports/filing/exports, reportperf II):
    wall time from the POST to the last part downloaded, and the largest part request."""
    t0 = time.monotonic()
    st, x, text, _ = req("POST", url + "/v1/reports/filing/exports", {"from": "2026-01-01", "to": "2026-12-31"},
                         auth, timeout=300)
    if st != 202:
        print("%-22s HTTP %s  (%s)" % ("export_csv_job", st, (text or "")[:120]), flush=True)
        return ("export_csv_job", st, 0, 0)
    while x.get("state") == "running":
        time.sleep(0.2)
        st, x, text, _ = req("GET", url + "/v1/reports/filing/exports/" + x["id"], None, auth, timeout=300)
    size, worst, status = 0, 0, 200 if x.get("state") == "done" else 500
    for u in x.get("part_urls") or []:
        t1 = time.monotonic()
        st, _, text, _ = req("GET", url + u, None, auth, timeout=300)
        worst = max(worst, time.monotonic() - t1)
        size += len(text or "")
        if st != 200:
            status = st
    ms = (time.monotonic() - t0) * 1000
    print("%-22s HTTP %s  %8.0f ms  %9d bytes  (%s, %d documents, %d parts, slowest part %.0f ms)" % (
        "export_csv_job", status, ms, size, x.get("state"), x.get("done", 0), x.get("parts", 0), worst * 1000),
        flush=True)
    return ("export_csv_job", status, ms, size)


def wait_sums(url, token):
    """The filing summary's kept sums (rillet migration 0016) are rebuilt by a job after the
    migration: wait until they are complete, so the summary is timed on them (a checkout
    without them answers 404: nothing to wait for). Prints the rebuild's wall time."""
    auth = {"Authorization": "Bearer " + token}
    t0 = time.monotonic()
    while True:
        st, js, _, _ = req("GET", url + "/v1/reports/filing/sums", None, auth, timeout=300)
        if st != 200:
            return
        if js.get("ready"):
            print("filing sums ready after %.1f s (rebuild of the kept sums at start)" % (time.monotonic() - t0),
                  flush=True)
            return
        if time.monotonic() - t0 > 1800:
            raise SystemExit("filing sums not ready after 30 min: %s" % js)
        time.sleep(0.5)


def counts(url, token):
    st, js, _, _ = req("GET", url + "/v1/reports/liability?from=2026-01-01&to=2026-12-31",
                       None, {"Authorization": "Bearer " + token}, timeout=300)
    return js.get("totals") if st == 200 else (st, js)


def seed(levy, src, n, keep):
    env = common.new_env(levy, src, "levy-bench-reports-", BASE_PORT, invoices=n)
    try:
        if not env.start_sim() or not env.start_levy():
            raise SystemExit("could not start sim/levy")
        common.wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 3600, 1)
        t0 = time.monotonic()
        env.connect()
        print("seeded %d invoices: import %.0f s" % (n, time.monotonic() - t0), flush=True)
        # the write-back drain of a large organisation takes long on a shared machine; the
        # reports are timed on what levy holds after DRAIN_S seconds (documents not yet written
        # are the not-collected list, which the reports compute too)
        quiet = common.wait_quiet(env, int(os.environ.get("DRAIN_S", "60")))
        print("write-backs drained:", quiet, flush=True)
        if keep:
            os.makedirs(keep, exist_ok=True)
            src_db = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"))
            dst_db = sqlite3.connect(os.path.join(keep, "levy.db"))
            src_db.backup(dst_db)
            dst_db.close()
            src_db.close()
            shutil.copy(os.path.join(env.levy_dir, "master.key"), keep)
            print("kept a copy of levy's store in", keep, flush=True)
        wait_sums(env.levy_url, env.token)
        print("liability totals:", counts(env.levy_url, env.token), flush=True)
        time_reports(env.levy_url, env.token)
    finally:
        env.close()
        shutil.rmtree(env.tmp, ignore_errors=True)


def on_data(levy, src, data):
    tmp = tempfile.mkdtemp(prefix="levy-bench-reports-")
    try:
        d = os.path.join(tmp, "levy")
        shutil.copytree(data, d)
        port = free_port(BASE_PORT)
        token = "bench-token-reports-1"
        p = start(levy_cmd(levy, port, d, token, "http://127.0.0.1:9", src), os.path.join(tmp, "levy.log"))
        url = "http://127.0.0.1:%d" % port
        try:
            if not common.wait_for(lambda: p.poll() is None and req("GET", url + "/healthz", timeout=2)[0] == 200,
                                   60, 0.1):
                raise SystemExit("levy did not start: " + common.tail(os.path.join(tmp, "levy.log")))
            wait_sums(url, token)
            print("liability totals:", counts(url, token), flush=True)
            if any(r[1] != 200 for r in time_reports(url, token)) or os.environ.get("BENCH_LOG"):
                shutil.copy(os.path.join(tmp, "levy.log"), os.environ.get("BENCH_LOG", "/tmp/levy-bench-reports.log"))
                print("levy.log copied to", os.environ.get("BENCH_LOG", "/tmp/levy-bench-reports.log"))
        finally:
            stop(p)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    a = sys.argv[1:]
    if len(a) >= 4 and a[2] == "--data":
        on_data(a[0], os.path.abspath(a[1]), a[3])
    elif len(a) >= 3:
        keep = a[a.index("--keep") + 1] if "--keep" in a else None
        seed(a[0], os.path.abspath(a[1]), int(a[2]), keep)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
