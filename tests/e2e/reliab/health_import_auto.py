#!/usr/bin/env python3
"""A failed import resumes by itself (issue 17, "What was seen" 5: "the sweep skips
connections whose import is not done").

The bug: a failed import was terminal and the minute tick never swept such a connection, so
without a user action it stayed incomplete forever. Here Rillet refuses the import's first
request (400) with sweep_interval_minutes = 1: the schedule tick resumes the import once a
sweep interval has passed, with no request from the user, and it finishes. The tick runs
every second here (--schedule-tick 1) and the failed import's end is moved back by the
interval (a minute), so the test waits for the resumed import, not for a clock.

Usage: health_import_auto.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20450]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20450


def state(env):
    c = env.L("GET", "/v1/connections/" + env.cid)[1] or {}
    return c


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-health-auto-", BASE_PORT, invoices=6)
    env.fast_schedule()
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        st, _, text, _ = env.L("PUT", "/v1/settings", {"sweep_interval_minutes": 1})
        check("sweep_interval_minutes = 1", st == 200, text[:200])
        st, con, text, _ = env.L("POST", "/v1/connections", {"provider": "rillet", "api_key": env.key,
                                                              "tax_documents_from": "2026-01-01"})
        if not check("connect", st == 201, text[:300]):
            return
        env.cid = con["id"]
        sub = next(s for s in con["subsidiaries"] if s["currency"] == "USD")
        st, con, _, _ = env.L("POST", "/v1/connections/%s/subsidiary" % env.cid, {"subsidiary_id": sub["id"]})
        st, hook, _, _ = env.S("POST", "/_sim/webhooks", {"name": "levy", "url": con["webhook_url"],
                                                          "events": {"CUSTOMER": ["DELETED"]}, "enabled": True})
        common.req("POST", env.sim_url + "/_sim/faults", {"fail_next": 1, "status": 400})
        env.L("POST", "/v1/connections/%s/webhook-secret" % env.cid, {"signing_token": hook["signing_token"]})
        c = common.wait_for(lambda: (lambda x: x if x.get("import", {}).get("state") == "failed" else None)(state(env)),
                            60, 0.3)
        if not check("the import fails on Rillet's 400", c, ""):
            return
        check("health import_failed", (c.get("health") or {}).get("state") == "import_failed", c.get("health"))
        back = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 61))
        n = env.live_exec("UPDATE connections SET import_finished_at = ? WHERE id = ? AND import_state = 'failed'",
                          back, env.cid)
        check("the failed import's end moved back by the interval (a minute)", n == 1, n)
        c = common.wait_for(lambda: (lambda x: x if x.get("import", {}).get("state") == "done" else None)(state(env)),
                            200, 1)
        check("without any request, the schedule tick resumed it: import done, health not import_failed",
              c and (c.get("health") or {}).get("state") not in (None, "import_failed") and c["import"]["invoices"] >= 1,
              c and (c.get("import"), c.get("health")))
        log = common.tail(os.path.join(env.tmp, "levy.log"), 10 ** 6)
        check("logged: resuming the failed import", "import failed earlier: resuming it" in log, "")
    finally:
        code = common.finish(env)
    sys.exit(code)


if __name__ == "__main__":
    common.run_main(main)
