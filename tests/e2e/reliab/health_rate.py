#!/usr/bin/env python3
"""Connection health: Rillet rate-limits levy (issue 17, "Connection health": rate_limited).

The bug: a 429 from Rillet only held the connection back inside the job queue; nothing the
user looks at said that imports and tax writes were waiting on Rillet.

Here Rillet (the simulator) allows 1 request a minute per key. A sweep runs into its 429:
the connection's health is `rate_limited` with the count, the time levy waits until, one
sentence and the action `wait`; /metrics shows it.

Usage: health_rate.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20480]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20480


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-health-rate-", BASE_PORT, invoices=6)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA",))
        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/config", {"rate_limit": True, "rate_limit_max": 1})
        check("simulator: 1 request a minute per key", st == 200, text[:200])
        env.L("POST", "/v1/connections/%s/sync" % env.cid, {})

        def limited():
            c = env.L("GET", "/v1/connections/" + env.cid)[1] or {}
            h = c.get("health") or {}
            return h if h.get("state") == "rate_limited" else None
        h = common.wait_for(limited, 60, 0.3)
        check("Rillet's 429 -> health rate_limited with the count, detail, sentence and the action wait",
              h and h.get("count", 0) >= 1 and "429" in (h.get("detail") or "") and h.get("sentence") and
              (h.get("action") or {}).get("code") == "wait", h)
        st, _, text, _ = common.req("GET", env.levy_url + "/metrics", headers={"Authorization": "Bearer " + env.token})
        line = 'levy_connection_health{connection="%s",state="rate_limited"} 1' % env.cid
        alt = [ln for ln in (text or "").splitlines() if "levy_connection_health" in ln and env.cid in ln and
               "rate_limited" in ln]
        check("/metrics: levy_connection_health{state=rate_limited} 1", line in text or
              (alt and alt[0].endswith(" 1")), alt)
    finally:
        code = common.finish(env)
    sys.exit(code)


if __name__ == "__main__":
    common.run_main(main)
