#!/usr/bin/env python3
"""levy's start does not read the whole store (issue 20: PRAGMA quick_check read every page
of levy.db before levy listened, 77-100 s on a 1M-document store of 10 GB).
Usage: store_check_late.py LEVY_BINARY SOURCE_DIR [BASE_PORT=41220]
A store larger than LEVY_STORE_CHECK_START_MB is checked while levy serves, by a thread of its
own (core/host/storecheck.c); a smaller one is still checked whole before levy listens
(reliab_store_guard: a damaged one is refused, exit 1). Here the limit is 1 MB and the store
about 4 MB, with one damaged page in a table nothing reads at start:
- levy starts and answers /healthz (before: exit 1, "the store ... is damaged"): the start did
  not do the store-sized step;
- then the check that runs while serving finds the damage: /healthz turns 503 with "store":
  "corrupt", and the log names the file, quick_check and levy restore;
- an intact store over the limit: levy starts, the log says it is intact, /healthz stays 200;
- a malformed LEVY_STORE_CHECK_START_MB is refused at start (exit 1, naming it).
No timing is asserted: each state is waited for with a generous time-out.
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import harness  # noqa: E402
from harness import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 41220
TOKEN = "late-check-token-0123456789abcdef"


def health(port):
    st, js = harness.req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=5)[:2]
    return st, js if isinstance(js, dict) else {}


def add_bulk(db):
    """A table of about 3 MB written last, so its pages are at the end of the file."""
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE late_check_bulk (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
              "INSERT INTO late_check_bulk SELECT i, hex(randomblob(1000)) FROM n")
    c.commit()
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    c.close()


def damage_last_table(db):
    """Overwrites one page of late_check_bulk (from the end of the file backwards, until
    quick_check sees it); returns the page number or None."""
    with open(db, "rb") as f:
        orig = f.read()
    c = sqlite3.connect(db)
    psize = c.execute("PRAGMA page_size").fetchone()[0]
    c.close()
    junk = bytes((i * 37 + 11) % 256 for i in range(psize))
    npages = len(orig) // psize
    for pg in range(npages - 2, npages // 2, -1):
        with open(db, "wb") as f:
            f.write(orig[:pg * psize] + junk + orig[(pg + 1) * psize:])
        c = sqlite3.connect(db)
        try:
            res = [r[0] for r in c.execute("PRAGMA quick_check").fetchall()]
            # the tables levy reads at start must still read
            c.execute("SELECT count(*) FROM meta").fetchone()
            c.execute("SELECT count(*) FROM jobs").fetchone()
        except sqlite3.DatabaseError:
            res = None
        finally:
            c.close()
        if res is not None and res != ["ok"]:
            return pg
    with open(db, "wb") as f:
        f.write(orig)
    return None


def main():
    tmp = harness.tmpdir("levy-late-check-")
    port = harness.free_port(BASE_PORT)
    base = os.path.join(tmp, "base")
    p = harness.start(harness.levy_cmd(LEVY, port, base, TOKEN, src=SRC), os.path.join(tmp, "base.log"))
    check("a fresh store (test setup)", harness.wait_up(levy_url="http://127.0.0.1:%d" % port, timeout=120, proc=p),
          harness.tail(os.path.join(tmp, "base.log")))
    harness.stop(p)
    add_bulk(os.path.join(base, "levy.db"))
    size_mb = os.path.getsize(os.path.join(base, "levy.db")) / 1048576.0
    check("the store is over the 1 MB limit (test setup)", size_mb > 1.5, size_mb)
    env = {"LEVY_STORE_CHECK_START_MB": "1"}

    # ---- an intact store over the limit ---------------------------------------------------
    good = os.path.join(tmp, "good")
    shutil.copytree(base, good, ignore=shutil.ignore_patterns("levy.lock"))
    log = os.path.join(tmp, "good.log")
    p = harness.start(harness.levy_cmd(LEVY, port, good, TOKEN, src=SRC), log, env=env)
    up = harness.wait_up(levy_url="http://127.0.0.1:%d" % port, timeout=120, proc=p)
    check("an intact store over the limit: levy starts", up, harness.tail(log))
    check("... and says its check runs while serving",
          harness.wait_for(lambda: "quick_check runs while levy serves" in harness.tail(log, 100000), 60),
          harness.tail(log))
    check("... then that the store is intact",
          harness.wait_for(lambda: "is intact (PRAGMA quick_check" in harness.tail(log, 100000), 120),
          harness.tail(log))
    check("... /healthz stays ok", health(port)[0] == 200, health(port))
    harness.stop(p)
    check("... and it stops cleanly", p.returncode == 0, (p.returncode, harness.tail(log)))

    # ---- a damaged store over the limit ---------------------------------------------------
    bad = os.path.join(tmp, "bad")
    shutil.copytree(base, bad, ignore=shutil.ignore_patterns("levy.lock"))
    pg = damage_last_table(os.path.join(bad, "levy.db"))
    if check("a page of the copy's bulk table is damaged (test setup)", pg is not None):
        log = os.path.join(tmp, "bad.log")
        p = harness.start(harness.levy_cmd(LEVY, port, bad, TOKEN, src=SRC), log, env=env)
        # served: 200, or a 503 other than the answers of a start still running (issue 20)
        served = harness.wait_for(lambda: p.poll() is None and health(port)[0] in (200, 503) and
                                  health(port)[1].get("status") not in ("starting", "migrating"), 120)
        check("a damaged store over the limit: levy starts without reading it whole (no exit 1)",
              served and p.poll() is None, (p.poll(), harness.tail(log)))
        if served:
            st = harness.wait_for(lambda: health(port)[1].get("store") == "corrupt" and health(port), 120)
            check("... then the check while serving finds the damage: /healthz 503 store corrupt",
                  st and st[0] == 503, (st, health(port), harness.tail(log)))
            text = harness.tail(log, 100000)
            check("... logged naming the file, quick_check and levy restore",
                  os.path.join(bad, "levy.db") in text and "quick_check" in text and "levy restore" in text,
                  text[-1500:])
        harness.stop(p)

    # ---- a malformed limit ----------------------------------------------------------------
    r = subprocess.run(harness.levy_cmd(LEVY, port, good, TOKEN, src=SRC), capture_output=True, timeout=120,
                       env=dict(os.environ, LEVY_STORE_CHECK_START_MB="lots"),
                       preexec_fn=harness.pdeathsig_preexec())
    out = (r.stdout + r.stderr).decode(errors="replace")
    check("LEVY_STORE_CHECK_START_MB=lots -> exit 1 naming it", r.returncode == 1 and
          "LEVY_STORE_CHECK_START_MB" in out, (r.returncode, out[-600:]))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.run_main(main)
