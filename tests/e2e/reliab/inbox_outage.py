#!/usr/bin/env python3
"""The inbox job's back-off grows during a long Rillet outage (issue 21).

Usage: inbox_outage.py LEVY_BINARY SOURCE_DIR [BASE_PORT=29100] [OUTAGE_S=45] [MODE=maintenance]

A proxy in front of the simulator stands for Rillet while it is down. MODE maintenance: every
answer is a 200 with an HTML maintenance page (a gateway's page in front of a Rillet that is
down: not JSON, so a retryable error, but a 2xx, so the client's circuit breaker, which counts
transport errors and 5xx, stays closed and never slows the job down); MODE 503: every answer
is a 503 (the circuit opens and holds requests back by itself). levy is
connected and has imported; then the proxy goes down and one thin delivery (an invoice id
without its lines: levy must fetch it) makes `rillet.process_inbox` fail. For OUTAGE_S
seconds the proxy counts levy's fetches of that invoice. A back-off that grows (doubling from
~1 s, capped) allows at most ~log2(OUTAGE_S) + a few tries in that time, so the test allows
MAX_FETCHES (12 for 45 s); a back-off that never grows (a retry every 0-2 s, the job's attempt
not counted) makes ~OUTAGE_S fetches (before the fix: 30-45). A slow machine only makes fewer
fetches (the bound is an upper one). Then Rillet answers again, the job's wait is cut short
(its run_at in the store) and the delivery is processed: the back-off did not give the job up.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 29100
OUTAGE_S = int(sys.argv[4]) if len(sys.argv) > 4 else 45
MODE = sys.argv[5] if len(sys.argv) > 5 else "maintenance"
MAX_FETCHES = 12
MAINTENANCE = (200, [("Content-Type", "text/html")], b"<html><body><h1>Down for maintenance</h1></body></html>")


def run(proxy, env, ids, db):
    proxy.set_down(True)
    st, text = common.thin_delivery(env, ids[0])
    check("the delivery is acknowledged while Rillet is down", st == 200, (st, text[:200]))
    first = common.wait_for(lambda: proxy.fetches({ids[0]}) or None, 60)
    if not check("levy tried to fetch the invoice", first is not None):
        return
    start = time.time()
    while time.time() - start < OUTAGE_S:
        time.sleep(1)
    fetched = proxy.fetches({ids[0]})
    check("a %d s outage (%s): %d fetches of the invoice, at most %d (a back-off that grows)"
          % (OUTAGE_S, MODE, len(fetched), MAX_FETCHES), len(fetched) <= MAX_FETCHES, len(fetched))
    pending = common.inbox_pending(db)
    check("the delivery still waits in the inbox", pending == 1, pending)
    job = common.store_one(db, "SELECT state, attempts, last_error FROM jobs WHERE kind = "
                           "'rillet.process_inbox' ORDER BY created_at DESC LIMIT 1")
    check("the inbox job is still queued, with its error (%s)" % (job,),
          job is not None and job[0] == "queued" and job[2], job)
    # Rillet answers again; the job's wait is cut short: the delivery is processed
    proxy.set_down(False)
    env.live_exec("UPDATE jobs SET run_at = 0 WHERE kind = 'rillet.process_inbox' AND state = 'queued'")
    check("the delivery is processed once Rillet answers",
          common.wait_for(lambda: common.inbox_pending(db) == 0, 120), common.inbox_pending(db))


def main():
    common.outage_main(LEVY, SRC, "levy-reliab-outage-", BASE_PORT, run, 1,
                       common.UNAVAILABLE if MODE == "503" else MAINTENANCE)


if __name__ == "__main__":
    common.run_main(main)
