#!/usr/bin/env python3
"""Deliveries do not defeat the inbox job's back-off while Rillet is down (issue 21).

Usage: inbox_backoff.py LEVY_BINARY SOURCE_DIR [BASE_PORT=26100] [DELIVERIES=20]

A proxy in front of the simulator answers 503 while it is down. levy is connected and has
imported; then the proxy goes down and one thin delivery (an invoice id without its lines: levy
must fetch it) makes `rillet.process_inbox` fail and back off. The test stretches that back-off
to an hour (the job's run_at in the store: a long back-off without waiting for one), then sends
DELIVERIES more thin deliveries. Checks:
 (a) every delivery is acknowledged (200) while Rillet is down;
 (b) the job that backs off is the same queued job afterwards, its run_at and attempts
     untouched: no delivery pulled it forward (before the fix each one re-ran the failing job);
 (c) Rillet did not see a fetch of a delivered invoice during the back-off;
 (d) once Rillet answers again and the back-off is over, every delivery is processed (none
     left pending, none with an error outcome).
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 26100
DELIVERIES = int(sys.argv[4]) if len(sys.argv) > 4 else 20


def run(proxy, env, ids, db):
    def job():
        return common.store_one(db, "SELECT id, run_at, attempts, last_error FROM jobs WHERE kind = "
                                "'rillet.process_inbox' AND state = 'queued'")

    proxy.set_down(True)
    st, text = common.thin_delivery(env, ids[0])
    check("the first delivery while Rillet is down is acknowledged", st == 200, (st, text[:200]))
    # the job failed on the fetch and backs off (queued again, its error recorded)
    first = common.wait_for(lambda: (lambda r: r if r and r[3] else None)(job()), 60)
    if not check("the inbox job backs off after Rillet's 503 (%s)" % (first,), first is not None):
        return

    def stretch():  # an hour's back-off, set while the job is queued (not running)
        r = job()
        if not r or not r[3]:
            return None
        far = r[1] + 3600 * 1000
        n = env.live_exec("UPDATE jobs SET run_at = ? WHERE id = ? AND state = 'queued' AND run_at = ?",
                          far, r[0], r[1])
        return (r[0], far, r[2]) if n == 1 else None
    held = common.wait_for(stretch, 60)
    if not check("the back-off stretched to an hour", held is not None):
        return
    jid, run_at, attempts = held
    seen_before = len(proxy.fetches(set(ids)))
    answers = [common.thin_delivery(env, ids[(i + 1) % len(ids)]) for i in range(DELIVERIES)]
    check("(a) %d deliveries acknowledged while Rillet is down" % DELIVERIES,
          all(st == 200 for st, _ in answers), [a for a in answers if a[0] != 200][:3])
    after = job()
    check("(b) the same job still backs off: run_at and attempts untouched (%s)" % (after,),
          after is not None and after[0] == jid and after[1] == run_at and after[2] == attempts,
          (after, (jid, run_at, attempts)))
    fetched = proxy.fetches(set(ids))[seen_before:]
    check("(c) no fetch of a delivered invoice during the back-off (%d)" % len(fetched), not fetched,
          fetched[:5])
    pending = common.inbox_pending(db)
    check("(c) the deliveries wait in the inbox (%d pending)" % pending, pending >= DELIVERIES + 1)
    # Rillet answers again and the back-off is over: every delivery is processed
    proxy.set_down(False)
    env.live_exec("UPDATE jobs SET run_at = 0 WHERE id = ? AND state = 'queued'", jid)
    left = common.wait_for(lambda: common.inbox_pending(db) == 0, 120)
    check("(d) every delivery processed once Rillet answers (%d pending)" % common.inbox_pending(db), left)
    c = sqlite3.connect(db, uri=True, timeout=10)
    try:
        bad = c.execute("SELECT id, outcome FROM inbox WHERE outcome LIKE 'error%'").fetchall()
    finally:
        c.close()
    check("(d) no delivery with an error outcome", not bad, bad[:5])
    check("(d) the deliveries' invoices were fetched once Rillet answered",
          len(proxy.fetches(set(ids))) > seen_before)


def main():
    common.outage_main(LEVY, SRC, "levy-reliab-backoff-", BASE_PORT, run, 2)


if __name__ == "__main__":
    common.run_main(main)
