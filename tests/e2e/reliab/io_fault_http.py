#!/usr/bin/env python3
"""R5 at the HTTP level: store I/O faults in a running levy -> 503 + Retry-After, never a 2xx
without a commit; service recovers once the faults stop; no corruption.

Usage: io_fault_http.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19080] [ROUNDS=3]

The release binary is used unchanged: a test-only LD_PRELOAD shim (faultshim.c, compiled
here with cc) fails write/pwrite (ENOSPC -> SQLITE_FULL, EIO -> SQLITE_IOERR) or fsync (EIO)
on levy.db and levy.db-wal while a control file says so. For each fault kind, with the fault
on: signed webhooks (fresh ids) and a store-writing API call (PUT /v1/regions) must answer 503
with Retry-After; after the fault is switched off, the same webhook ids must answer
duplicate:false (proof that none of them had been committed behind a non-2xx... and that
none was acknowledged), the API write must succeed, and PRAGMA integrity_check is ok.
During each fault /healthz answers 503 {"status":"degraded","store":"disk_full"|"io_error"}
and turns 200 {"status":"ok"} once writes succeed again; the store logs one line per episode,
not one per failed request.
Then the busy case: another process holds the write lock for a long time (20 s): webhooks,
an API write and /healthz all answer (503 + Retry-After, /healthz "busy") while the lock is
still held - the loop never waits out the holder; the same delivery id is new once the lock
is gone. Ordering, not timing: every answer must arrive before the holder lets go.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19080
ROUNDS = int(sys.argv[4]) if len(sys.argv) > 4 else 3
HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-iofault-")
    shim = os.path.join(tmp, "faultshim.so")
    cc = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", shim, os.path.join(HERE, "faultshim.c"), "-ldl"],
                        capture_output=True, text=True)
    if not check("fault shim builds", cc.returncode == 0, cc.stderr):
        return
    ctl = os.path.join(tmp, "fault.ctl")
    open(ctl, "w").close()

    def fault(kind):
        with open(ctl, "w") as f:
            f.write(kind)

    sim_port = common.free_port(BASE_PORT)
    levy_port = common.free_port(sim_port + 1)
    env = common.Env(LEVY, SRC, tmp, sim_port, levy_port, invoices=2)
    env.levy_env = {"LD_PRELOAD": shim, "LEVY_FAULT_CTL": ctl}
    try:
        if not check("simulator starts", env.start_sim()) or not check("levy starts (with the fault shim)", env.start_levy()):
            return
        env.connect()
        body = json.dumps({"id": str(uuid.uuid4()), "items": []}).encode()
        def store_lines(needle):
            log = common.tail(os.path.join(tmp, "levy.log"), 10000000)
            return sum(1 for line in log.splitlines() if "[store]" in line and needle in line)
        for kind in ("enospc", "eio", "fsync"):
            needle = "disk full" if kind == "enospc" else "I/O error"
            before = store_lines(needle)
            for r in range(ROUNDS):
                fault(kind)
                ids = [str(uuid.uuid4()) for _ in range(3)]
                answers = [env.deliver(body, wid, "CUSTOMER", "UPDATED") for wid in ids]
                st_api, js_api, text_api, rh_api = env.L("PUT", "/v1/regions/US-NV", {"subscribed": r % 2 == 0, "tax_calculation": True})
                st_h, js_h, text_h, rh_h = env.L("GET", "/healthz")
                fault("")
                want = "disk_full" if kind == "enospc" else "io_error"
                check("%s round %d: /healthz during the fault -> 503 degraded, store %s" % (kind, r, want),
                      st_h == 503 and js_h and js_h.get("status") == "degraded" and js_h.get("store") == want
                      and rh_h.get("Retry-After"), (st_h, text_h[:200]))
                bad = [(a[0], a[2][:120]) for a in answers if a[0] != 503 or not a[3].get("Retry-After")]
                check("%s round %d: webhooks during the fault -> 503 + Retry-After" % (kind, r), not bad, bad)
                check("%s round %d: PUT /v1/regions during the fault -> 503 + Retry-After" % (kind, r),
                      st_api == 503 and rh_api.get("Retry-After") and js_api and js_api["error"]["code"] == "unavailable",
                      (st_api, text_api[:200]))
                after = [env.deliver(body, wid, "CUSTOMER", "UPDATED") for wid in ids]
                bad = [(a[0], a[2][:120]) for a in after if a[0] != 200 or a[1] != {"received": True, "duplicate": False}]
                check("%s round %d: fault off -> the same ids are new (none committed during the fault)" % (kind, r),
                      not bad, bad)
                st, js, text, _ = env.L("PUT", "/v1/regions/US-NV", {"subscribed": r % 2 == 0, "tax_calculation": True})
                check("%s round %d: fault off -> API write succeeds" % (kind, r), st == 200, (st, text[:200]))
                hz = common.wait_for(lambda: env.L("GET", "/healthz")[1], 30, 0.2)
                check("%s round %d: fault off -> /healthz ok again" % (kind, r),
                      hz and hz.get("status") == "ok" and hz.get("store") == "ok", hz)
            n = store_lines(needle) - before
            check("%s: the store logged the cause once per episode (%d lines for %d rounds of 4 failed writes)"
                  % (kind, n, ROUNDS), 1 <= n <= ROUNDS, n)
        # busy: another process (an operator's sqlite3 shell, a backup tool) holds the write
        # lock for 20 s. Before the fix the 5 s busy timeout ran on the event loop once per
        # statement: a webhook took ~20 s and everything else waited behind it.
        import sqlite3
        import threading
        held, release, released = threading.Event(), threading.Event(), threading.Event()

        def holder():
            lock = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=10, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            held.set()
            release.wait(20)
            lock.execute("ROLLBACK")
            lock.close()
            released.set()
        t = threading.Thread(target=holder)
        t.start()
        held.wait(30)
        wid = str(uuid.uuid4())
        answers = []
        for i in range(4):
            answers.append((env.deliver(body, wid if i == 0 else str(uuid.uuid4()), "CUSTOMER", "UPDATED", timeout=60),
                            released.is_set()))
        st_api, js_api, text_api, rh_api = env.L("PUT", "/v1/regions/US-NV", {"subscribed": True, "tax_calculation": True}, timeout=60)
        api_late = released.is_set()
        st_h, js_h, text_h, rh_h = env.L("GET", "/healthz", timeout=60)
        hz_late = released.is_set()
        release.set()
        t.join()
        bad = [(a[0], a[2][:120], late) for a, late in answers if a[0] != 503 or not a[3].get("Retry-After") or late]
        check("busy store: 4 webhooks -> 503 + Retry-After, each while the lock is still held", not bad, bad)
        check("busy store: PUT /v1/regions -> 503 + Retry-After while the lock is still held",
              st_api == 503 and rh_api.get("Retry-After") and not api_late, (st_api, text_api[:160], api_late))
        check("busy store: /healthz answers 503 degraded, store busy, while the lock is still held",
              st_h == 503 and js_h and js_h.get("store") == "busy" and not hz_late, (st_h, text_h[:160], hz_late))
        hz = common.wait_for(lambda: (lambda r: r if r and r.get("status") == "ok" else None)(env.L("GET", "/healthz")[1]), 30, 0.2)
        check("lock released: /healthz ok again", hz is not None, hz)
        a = env.deliver(body, wid, "CUSTOMER", "UPDATED")
        check("lock released: the same id is new (nothing committed while busy)",
              a[0] == 200 and a[1] == {"received": True, "duplicate": False}, (a[0], a[2][:160]))
        check("levy still running", env.levy.poll() is None, "")
        env.close()
        c = env.db()
        try:
            ic = c.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            c.close()
        check("integrity_check ok after the faults", ic == "ok", ic)
    finally:
        fault("")
        env.close()
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(tmp, "levy.log")))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
