#!/usr/bin/env python3
"""Group-committed webhook ingest (issue 21): the store's writer thread.

Against a connected levy and the simulator:
  * a burst of concurrent unique signed deliveries: every one answered 200, every id in the
    inbox exactly once, the INVOICE ones queued for processing (a rillet.process_inbox job),
    and the writer committed them (/metrics levy_store_writer_units_total);
  * one X-Rillet-Id sent by many clients at once: exactly one "duplicate": false, the rest
    "duplicate": true, one inbox row;
  * kill -9 in the middle of a second burst: after WAL recovery every delivery that had been
    answered 2xx (not duplicate) is in the inbox, and no id twice; the restarted levy answers
    a re-sent acknowledged id as a duplicate;
  * another process holding the store's write lock (BEGIN IMMEDIATE): a unique delivery is
    answered 503 + Retry-After (not held until the lock goes), a GET of the API still
    answers 200; once the lock is released the same delivery is accepted.
No timing is asserted: the test polls for states, with generous timeouts.

Usage: writer_burst.py LEVY_BINARY SOURCE_DIR [BASE_PORT=24700]
"""
import json
import os
import sqlite3
import sys
import threading
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 24700

THREADS = 24
PER_THREAD = 15


def burst(env, bodies, results, stop=None, per_thread=PER_THREAD):
    """THREADS clients, each sending per_thread unique deliveries (or until stop is set);
    results gets (id, status, json) per answer."""
    lock = threading.Lock()

    def worker(k):
        for i in range(per_thread):
            if stop is not None and stop.is_set():
                return
            wid = str(uuid.uuid4())
            entity, body = bodies[(k + i) % len(bodies)]
            r = env.deliver(body, wid, entity=entity, event="UPDATED", timeout=60)
            with lock:
                results.append((wid, r[0], r[1]))
    ts = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in ts:
        t.start()
    return ts


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-writer-", BASE_PORT, invoices=3)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA",), events={"INVOICE": ["CREATED", "UPDATED"]})
        st, inv, text, _ = env.S("GET", "/invoices?limit=1&subsidiary_id=" + env.sub["id"])
        doc = ((inv or {}).get("invoices") or [None])[0]
        if not check("an invoice in the simulator", doc, text[:300]):
            return
        bodies = [("INVOICE", json.dumps(doc, separators=(",", ":")).encode()),
                  ("VENDOR", b'{"id":"vendor-1","name":"a vendor"}')]

        # 1. a burst of concurrent unique deliveries
        results = []
        for t in burst(env, bodies, results):
            t.join()
        n = THREADS * PER_THREAD
        bad = [r for r in results if r[1] != 200 or (r[2] or {}).get("duplicate") is not False]
        check("burst: %d concurrent unique deliveries all answered 200, none a duplicate" % n,
              len(results) == n and not bad, bad[:3])
        ids = [r[0] for r in results]
        c = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=30)
        try:
            rows = dict(c.execute("SELECT delivery_id, count(*) FROM inbox WHERE delivery_id IN (%s) "
                                  "GROUP BY delivery_id" % ",".join("?" * len(ids)), ids).fetchall())
        finally:
            c.close()
        check("burst: every id in the inbox exactly once", len(rows) == n and set(rows.values()) == {1},
              (len(rows), n))

        def processed():
            c2 = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=30)
            try:
                return c2.execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.process_inbox'").fetchone()[0] > 0
            finally:
                c2.close()
        check("burst: the INVOICE deliveries were queued for processing (rillet.process_inbox)",
              common.wait_for(processed, 60), "")
        st, _, metrics, _ = env.L("GET", "/metrics")
        units = groups = None
        for ln in metrics.splitlines():
            if ln.startswith("levy_store_writer_units_total "):
                units = int(ln.split()[1])
            if ln.startswith("levy_store_writer_groups_total "):
                groups = int(ln.split()[1])
        check("burst: the writer thread committed them (/metrics: units %s in groups %s)" % (units, groups),
              units is not None and units >= n and groups is not None and 1 <= groups <= units,
              [ln for ln in metrics.splitlines() if "writer" in ln])

        # 2. one id from many clients at once: stored once, answered once as new
        wid = str(uuid.uuid4())
        same = []
        lock = threading.Lock()

        def one():
            r = env.deliver(bodies[1][1], wid, entity="VENDOR", event="CREATED", timeout=60)
            with lock:
                same.append(r)
        ts = [threading.Thread(target=one) for _ in range(16)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        fresh = [r for r in same if r[0] == 200 and (r[1] or {}).get("duplicate") is False]
        dups = [r for r in same if r[0] == 200 and (r[1] or {}).get("duplicate") is True]
        check("one id sent by 16 clients at once: one new, 15 duplicates",
              len(fresh) == 1 and len(dups) == 15, [(r[0], r[2][:80]) for r in same])

        # 3. a lock held by another process: 503 + Retry-After for a write, GETs still answer
        lockc = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=30, isolation_level=None)
        lockc.execute("BEGIN IMMEDIATE")
        try:
            held = str(uuid.uuid4())
            r = env.deliver(bodies[1][1], held, entity="VENDOR", event="CREATED", timeout=60)
            check("lock held elsewhere: a unique delivery -> 503 + Retry-After (not held until the lock goes)",
                  r[0] == 503 and r[3].get("Retry-After") is not None, (r[0], r[2][:200], r[3]))
            g = env.L("GET", "/v1/invoices?limit=1", timeout=60)
            check("lock held elsewhere: GET /v1/invoices -> 200", g[0] == 200, (g[0], g[2][:200]))
        finally:
            lockc.execute("ROLLBACK")
            lockc.close()
        r = common.wait_for(lambda: (lambda x: x if x[0] == 200 else None)(
            env.deliver(bodies[1][1], held, entity="VENDOR", event="CREATED", timeout=60)), 60, 0.5)
        check("lock released: the same delivery is accepted", r and (r[1] or {}).get("duplicate") is False,
              r and r[2][:200])

        # 4. kill -9 in the middle of a second burst
        results2 = []
        stop = threading.Event()
        ts = burst(env, bodies, results2, stop=stop, per_thread=10 ** 6)

        def acked():
            return sum(1 for r in list(results2) if r[1] == 200) >= 60 or None
        common.wait_for(acked, 120, 0.05)
        env.kill_levy()
        stop.set()
        for t in ts:
            t.join()
        ok = [r[0] for r in results2 if r[1] == 200 and (r[2] or {}).get("duplicate") is False]
        check("kill under load: deliveries were acknowledged before the kill (%d)" % len(ok), len(ok) >= 60)
        c = env.db()
        try:
            have = set(r[0] for r in c.execute("SELECT delivery_id FROM inbox"))
            twice = c.execute("SELECT count(*) - count(DISTINCT delivery_id) FROM inbox").fetchone()[0]
        finally:
            c.close()
        lost = [w for w in ok if w not in have]
        check("kill -9: every acknowledged delivery is in the inbox (%d acknowledged, %d lost)" % (len(ok), len(lost)),
              not lost, lost[:5])
        check("kill -9: no delivery stored twice", twice == 0, twice)
        if check("levy restarts on the same store", env.start_levy()):
            r = env.deliver(bodies[1][1], ok[0] if ok else str(uuid.uuid4()), entity="VENDOR", event="UPDATED")
            check("an acknowledged id re-sent after the restart -> 200 duplicate",
                  r[0] == 200 and (r[1] or {}).get("duplicate") is True, r[2][:200])
    finally:
        env.close()
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(env.tmp, "levy.log")))


if __name__ == "__main__":
    common.run_main(main)
