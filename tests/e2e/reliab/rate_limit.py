#!/usr/bin/env python3
"""levy's own Rillet request budget (CONTRACT §2.3: stay under 60 requests per 60 s), and the
knob that sets it: --rillet-rate-limit N / LEVY_RILLET_RATE_LIMIT (requests per rolling 60 s
per connection; 0 = no local limit, for a Rillet stand-in without one).

Usage: rate_limit.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19400] [INVOICES=800]

Case 1, limit 40: the connect flow (3 requests) and the import pages fit in the budget (at
most 40 requests sent when the import is done), then the write-backs of the imported invoices
stop at it: once 40 requests were sent, at most 37 invoices are `written` and the rest wait,
still `calculated`.
Case 2, limit 0: more than 60 requests in some rolling 60 s at the simulator (the default
budget could never send that many), and once levy is quiet no write-back job is left.
Counts, not seconds: the test passes on a slow or busy machine (issue 18).
Case 3: a bad value is a usage error (exit 2).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19400
INVOICES = int(sys.argv[4]) if len(sys.argv) > 4 else 800


def statuses(env):
    out, cursor = {}, None
    for _ in range(20):
        st, js, text, _ = env.L("GET", "/v1/invoices?limit=500" + ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            raise RuntimeError("list: %s %s" % (st, text[:200]))
        for d in js["data"]:
            out[d["tax_status"]] = out.get(d["tax_status"], 0) + 1
        cursor = js.get("next_cursor")
        if not cursor:
            break
    return out


def run_case(limit, port):
    env = common.new_env(LEVY, SRC, "levy-reliab-rl-", port, invoices=INVOICES)
    tmp = env.tmp
    env.levy_env = {"LEVY_RILLET_RATE_LIMIT": str(limit)}
    try:
        if not check("limit %d: simulator and levy start" % limit, env.start_sim() and env.start_levy()):
            return None
        # the simulator seeds beyond its first chunk in the background: import the whole set
        common.wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 60, 0.3)
        t0 = time.time()
        env.connect()
        t_import = time.time() - t0
        return env, tmp, t_import, common.sim_key_stats(env)
    except Exception as e:  # noqa: BLE001
        check("limit %d: connect and import" % limit, False, "%s\n%s" % (e, common.tail(os.path.join(tmp, "levy.log"))))
        common.finish(env)
        return None


def main():
    # case 3 first: it is instant
    p = subprocess.run([LEVY, "serve", "--rillet-rate-limit", "-5"], capture_output=True, text=True, timeout=10)
    check("--rillet-rate-limit -5 -> exit 2 with a message", p.returncode == 2 and "rillet-rate-limit" in p.stderr,
          (p.returncode, p.stderr[:200]))
    p = subprocess.run([LEVY, "serve"], capture_output=True, text=True, timeout=10,
                       env=dict(os.environ, LEVY_RILLET_RATE_LIMIT="lots"))
    check("LEVY_RILLET_RATE_LIMIT=lots -> exit 2 with a message",
          p.returncode == 2 and "LEVY_RILLET_RATE_LIMIT" in p.stderr, (p.returncode, p.stderr[:200]))

    # case 1: limit 15
    r = run_case(40, BASE_PORT)
    if r:
        env, tmp, t_import, k0 = r
        try:
            # By counts, not seconds: when connect() returned (the import done) the key had sent
            # at most the 40 of the first window -- an import that had to wait for the budget
            # sends more before it finishes (it was "the import took < 30 s"). Then, once the 40
            # are spent (waited for, not a fixed 10 s), write-backs wait: some stay calculated.
            check("limit 40: the import finished inside the budget (%d requests, %.1f s)" % (k0["requests"], t_import),
                  k0["requests"] <= 40, k0)
            common.wait_for(lambda: common.sim_key_stats(env)["requests"] >= 40, 120, 0.2)
            s, k = statuses(env), common.sim_key_stats(env)
            check("limit 40: write-backs wait for the budget (%s; %s)" % (s, k), s.get("calculated", 0) > 0 and
                  s.get("written", 0) <= 40 - 3 and k["max_in_window"] <= 40, (s, k))
        finally:
            env.close()
            if not os.environ.get("RELIAB_KEEP"):
                shutil.rmtree(tmp, ignore_errors=True)

    # case 2: no local limit
    r = run_case(0, BASE_PORT + 20)
    if r:
        env, tmp, t_import = r[:3]
        try:
            # "more than the default budget allows" is the budget's own measure: more than 60
            # requests in some rolling 60 s at the simulator (it was "> 60 written within 30 s
            # of the import", which a slow machine misses); then levy settles (a quiet state,
            # not "counts unchanged for 2 s")
            t0 = time.time()
            k = common.wait_for(lambda: (lambda k: k if k["max_in_window"] > 60 else None)(common.sim_key_stats(env)),
                                120, 0.5)
            el = time.time() - t0
            check("limit 0: more requests in 60 s than the default budget allows, %.1f s after the import (%s)"
                  % (el, k or common.sim_key_stats(env)), k is not None, statuses(env))
            check("limit 0: levy and the simulator settle", common.wait_quiet(env, 180),
                  (common.levy_busy(env), common.sim_pending(env)))
            common.stop(env.levy)
            c = env.db()
            left = c.execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state <> 'done'").fetchone()[0]
            done = c.execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state = 'done'").fetchone()[0]
            c.close()
            check("limit 0: every write-back job done (%d done, %d left)" % (done, left), left == 0 and done > 60,
                  (done, left))
        finally:
            env.close()
            if not os.environ.get("RELIAB_KEEP"):
                shutil.rmtree(tmp, ignore_errors=True)
    sys.exit(common.summary())


if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # also when main() returned early after a failed check
