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
Then the busy case: another process holds the write lock past levy's busy timeout (5 s):
503 + Retry-After, and the same delivery id is new once the lock is gone.
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
        for kind in ("enospc", "eio", "fsync"):
            for r in range(ROUNDS):
                fault(kind)
                ids = [str(uuid.uuid4()) for _ in range(3)]
                answers = [env.deliver(body, wid, "CUSTOMER", "UPDATED") for wid in ids]
                st_api, js_api, text_api, rh_api = env.L("PUT", "/v1/regions/US-NV", {"subscribed": r % 2 == 0, "tax_calculation": True})
                fault("")
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
        # busy: another process (an operator's sqlite3 shell, a backup tool) holds the write
        # lock longer than levy's busy timeout (5 s): 503 + Retry-After, nothing committed
        import sqlite3
        import time
        lock = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=10, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")
        wid = str(uuid.uuid4())
        t0 = time.monotonic()
        a = env.deliver(body, wid, "CUSTOMER", "UPDATED", timeout=30)
        dt = time.monotonic() - t0
        st_api, js_api, text_api, rh_api = env.L("PUT", "/v1/regions/US-NV", {"subscribed": True, "tax_calculation": True}, timeout=30)
        lock.execute("ROLLBACK")
        lock.close()
        check("busy store: webhook -> 503 + Retry-After after the busy timeout (%.1f s)" % dt,
              a[0] == 503 and a[3].get("Retry-After") and dt < 15, (a[0], a[2][:160]))
        check("busy store: PUT /v1/regions -> 503 + Retry-After", st_api == 503 and rh_api.get("Retry-After"),
              (st_api, text_api[:160]))
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
    try:
        main()
    except Exception:
        import traceback
        traceback.print_exc()
        common.failed += 1
    sys.exit(common.summary())
