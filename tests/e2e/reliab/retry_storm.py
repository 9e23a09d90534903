#!/usr/bin/env python3
"""No retry storm after a Rillet outage (issue 9, perf-anchors R7).

Usage: retry_storm.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19500] [OUTAGE_S=20] [INVOICES=600]
(long version: OUTAGE_S=60)

A proxy in front of the simulator records every request (start, end, number in flight). levy
runs with no local request budget (LEVY_RILLET_RATE_LIMIT=0, the worst case). Once the import's
write-backs have started (WARMUP write-backs through), the proxy goes down for OUTAGE_S seconds
(503 without Retry-After, or RELIAB_DOWN=close: the connection is closed unanswered), then up.
Checks:
 (a) requests in flight at the proxy never exceed the sum of the concurrency of the job kinds
     that call Rillet (plugins/rillet/handler.lua: writeback 8 + import 2 + sweep 2 +
     process_inbox 1 = 13);
 (b) during the outage the connection's circuit lets through only a few probes (at most
     CIRCUIT_FIRST + one per doubling of the open time, plus slack: <= 8 + log2(outage) + 8);
 (c) after recovery every write-back completes: no invoice left `calculated` or `failed`, no
     write-back job left, no dead job, the store invariants hold; the simulator applied each
     invoice's tax exactly once (tax_writes == 1);
 (d) write-back POSTs <= 1.2 x invoices written + attempts during the outage; prints attempts
     during the outage, peak in flight, peak starts/s and drain time after recovery.
"""
import math
import os
import re
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19500
OUTAGE = float(sys.argv[4]) if len(sys.argv) > 4 else 20.0
INVOICES = int(sys.argv[5]) if len(sys.argv) > 5 else 700
WARMUP = 10                 # write-backs through before the outage starts
DOWN_MODE = os.environ.get("RELIAB_DOWN", "503")
RILLET_CONCURRENCY = 8 + 2 + 2 + 1   # writeback + import + sweep + process_inbox
TAXES = re.compile(r"^/invoices/([^/?]+)/taxes")


class Proxy:
    def __init__(self, port, upstream_port):
        self.upstream_port = upstream_port
        self.lock = threading.Lock()
        self.log = []            # (start, end, method, path, status)
        self.in_flight = 0
        self.peak = 0
        self.ok_writes = 0
        self.t_down = None
        self.t_up = None
        proxy = self

        def handle_any(h):
            t0 = time.time()
            with proxy.lock:
                proxy.in_flight += 1
                proxy.peak = max(proxy.peak, proxy.in_flight)
            status = None
            try:
                n = int(h.headers.get("Content-Length") or 0)
                body = h.rfile.read(n) if n else None
                if proxy.is_down():
                    if DOWN_MODE == "close":
                        h.close_connection = True
                        return
                    status, rh, data = 503, [("Content-Type", "application/problem+json")], \
                        b'{"title":"Service Unavailable","status":503}'
                else:
                    status, rh, data = common.proxy_forward(h, proxy.upstream_port, body)
                common.proxy_reply(h, status, rh, data)
            finally:
                with proxy.lock:
                    proxy.in_flight -= 1
                    proxy.log.append((t0, time.time(), h.command, h.path, status))
                    if status == 200 and h.command == "POST" and TAXES.match(h.path):
                        proxy.ok_writes += 1
                        if proxy.ok_writes == WARMUP and proxy.t_down is None:
                            proxy.go_down()

        self.srv = common.serve_proxy(port, handle_any)

    def go_down(self):  # under self.lock
        self.t_down = time.time()
        self.t_up = self.t_down + OUTAGE

    def is_down(self):
        with self.lock:
            return self.t_down is not None and time.time() < self.t_up

    def close(self):
        self.srv.shutdown()


def statuses(env):
    out, ids, cursor = {}, {}, None
    for _ in range(40):
        st, js, text, _ = env.L("GET", "/v1/invoices?limit=500" + ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            raise RuntimeError("list: %s %s" % (st, text[:200]))
        for d in js["data"]:
            out[d["tax_status"]] = out.get(d["tax_status"], 0) + 1
            ids[d["id"]] = d["tax_status"]
        cursor = js.get("next_cursor")
        if not cursor:
            break
    return out, ids


def main():
    proxy, env = common.proxied_env(LEVY, SRC, "levy-reliab-storm-", BASE_PORT, Proxy, invoices=INVOICES)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        regions, (st, text) = common.us_regions(env)
        if not check("regions listed (%d US)" % len(regions), st == 200 and len(regions) > 40, (st, text[:200])):
            return
        try:
            env.connect(regions=regions)
        except Exception as e:  # noqa: BLE001
            check("connect and import", False, "%s\n%s" % (e, common.tail(os.path.join(env.tmp, "levy.log"))))
            return
        if not check("the outage started (%d write-backs before it)" % WARMUP,
                     common.wait_for(lambda: proxy.t_down is not None, 30, 0.1)):
            return
        time.sleep(max(0.0, proxy.t_up - time.time()) + 0.05)
        t_up = proxy.t_up
        last = {}

        db = "file:%s?mode=ro" % os.path.join(env.levy_dir, "levy.db")

        def drained():  # no calculate / write-back job left to run
            c = sqlite3.connect(db, uri=True, timeout=10)
            try:
                n = c.execute("SELECT count(*) FROM jobs WHERE kind IN ('rillet.writeback', 'rillet.calculate') "
                              "AND state IN ('queued', 'running')").fetchone()[0]
            finally:
                c.close()
            s, _ = statuses(env)
            last["s"] = s
            return s if n == 0 and s.get("pending", 0) == 0 else None
        s = common.wait_for(drained, 120, 0.5)
        t_drained = time.time()
        with proxy.lock:
            log = list(proxy.log)
            peak = proxy.peak
        during = [r for r in log if proxy.t_down <= r[0] < t_up]
        after = [r for r in log if r[0] >= t_up]
        writes_after = [r for r in after if r[2] == "POST" and TAXES.match(r[3])]
        last_write = max((r[1] for r in writes_after), default=t_up)
        # peak rate after recovery: requests started in any 1 s window
        starts = sorted(r[0] for r in after)
        peak_rate, j = 0, 0
        for i, t in enumerate(starts):
            while starts[j] < t - 1.0:
                j += 1
            peak_rate = max(peak_rate, i - j + 1)
        total_writes = len([r for r in log if r[2] == "POST" and TAXES.match(r[3])])
        _, ids = statuses(env)
        nw = len([i for i, st in ids.items() if st == "written"])
        check("(d) write-back POSTs %d <= 1.2 x writes %d + outage attempts %d"
              % (total_writes, nw, len(during)), total_writes <= 1.2 * nw + len(during), total_writes)
        written = [i for i, st in ids.items() if st == "written"]
        print("retry_storm: outage %.0f s (%s), %d invoices written, %d write-back POSTs in all"
              % (OUTAGE, DOWN_MODE, len(written), total_writes))
        print("retry_storm: attempts during the outage %d, peak in flight %d, peak starts/s after "
              "recovery %d, drain %.1f s after recovery (last write %.1f s)"
              % (len(during), peak, peak_rate, t_drained - t_up, last_write - t_up))
        check("(a) peak in flight %d <= %d" % (peak, RILLET_CONCURRENCY), peak <= RILLET_CONCURRENCY, peak)
        bound = 8 + int(math.log2(max(OUTAGE, 2))) + 8
        check("(b) requests during the %.0f s outage: %d <= %d (circuit)" % (OUTAGE, len(during), bound),
              len(during) <= bound, len(during))
        check("(c) every write-back done after recovery (%s)" % (s or last.get("s")), s is not None and
              s.get("failed", 0) == 0, s or last.get("s"))
        check("(c) a few hundred write-backs in the test (%d)" % len(written), len(written) >= 200, len(written))
        bad = [(i, w) for i, w in ((i, common_tax_writes(env, i)) for i in written) if w != 1]
        check("(c) the simulator applied each write exactly once", not bad, bad[:5])
        common.stop(env.levy)
        c = env.db()
        left = c.execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state <> 'done'").fetchone()[0]
        inv = common.store_invariants(c)
        c.close()
        check("(c) no write-back job left (%d)" % left, left == 0, left)
        check("(c) store invariants (no dead job)", not inv, inv)
        with open(os.path.join(env.tmp, "levy.log"), errors="replace") as f:
            text = f.read()
        check("the API key is not in the log", env.key not in text)
    finally:
        proxy.close()
        common.finish(env)


def common_tax_writes(env, inv_id):
    st, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % inv_id)
    return td.get("tax_writes") if st == 200 and isinstance(td, dict) else None


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
