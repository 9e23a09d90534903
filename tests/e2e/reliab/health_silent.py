#!/usr/bin/env python3
"""Connection health: a silent webhook (issue 17, "Connection health": webhook_silent).

The bug: when Rillet stops delivering (a disabled webhook, events not ticked) the sweep
quietly picks the changes up every 15 minutes and levy keeps showing `connected`: nobody
learns that every change now waits up to a sweep interval.

Here the webhook only subscribes an event levy does not use. Invoices change in Rillet
(the simulator's clock runs 3 minutes behind, so the changes look 3 minutes old, more than
webhook_silent_minutes = 1); a sweep finds them: health `webhook_silent` with the count and
examples, the action check_webhook. A quiet sweep does not end it; the webhook is fixed in
Rillet (invoice events ticked) and the next verified invoice delivery ends it.

Usage: health_silent.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20460]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20460
INVOICE_EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}


def conn(env):
    return env.L("GET", "/v1/connections/" + env.cid)[1] or {}


def sweep(env):
    """POST …/sync and wait until last_sync_at moves."""
    before = conn(env).get("last_sync_at")
    time.sleep(1.1)  # last_sync_at has second resolution: the next sweep's is a later second
    env.L("POST", "/v1/connections/%s/sync" % env.cid, {})
    return common.wait_for(lambda: (lambda c: c if c.get("last_sync_at") and c.get("last_sync_at") != before
                                    else None)(conn(env)), 60, 0.3)


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-health-silent-", BASE_PORT, invoices=6)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        st, s_, text, _ = env.L("PUT", "/v1/settings", {"webhook_silent_minutes": 1})
        check("PUT /v1/settings webhook_silent_minutes=1 -> 200", st == 200 and s_.get("webhook_silent_minutes") == 1,
              text[:300])
        st, _, text, _ = env.L("PUT", "/v1/settings", {"webhook_silent_minutes": 0})
        check("webhook_silent_minutes=0 -> 422", st == 422 and "webhook_silent_minutes" in text, (st, text[:200]))
        env.connect(regions=("US-CA",))   # the webhook subscribes CUSTOMER DELETED only
        # the import is right; only later changes can be missed
        c = sweep(env)
        check("a sweep right after the import finds nothing silent", c and c["health"]["state"] != "webhook_silent",
              c and c.get("health"))

        st, _, text, _ = common.req("POST", env.sim_url + "/_sim/config", {"clock_offset_ms": -180000})
        check("simulator clock 3 minutes behind", st == 200, text[:200])
        invs = env.L("GET", "/v1/invoices?limit=10")[1]["data"]
        for inv in invs[:2]:
            env.S("PUT", "/invoices/%s/sent-status" % inv["id"], {"sent": True})
        c = sweep(env)
        h = (c or {}).get("health") or {}
        check("the sweep found the unannounced changes: webhook_silent, count 2, examples, check_webhook",
              h.get("state") == "webhook_silent" and h.get("count") == 2 and "invoice" in (h.get("detail") or "") and
              (h.get("action") or {}).get("code") == "check_webhook" and h.get("sentence"), h)
        c = sweep(env)
        check("a quiet sweep does not end it", c and c["health"]["state"] == "webhook_silent", c and c.get("health"))

        # the user ticks the invoice events in Rillet; the next invoice change is delivered
        common.req("POST", env.sim_url + "/_sim/config", {"clock_offset_ms": 0})
        hook = env.S("GET", "/_sim/webhooks")[1]
        hook = (hook.get("webhooks") or hook.get("data") or [])[0]
        st, _, text, _ = env.S("PUT", "/_sim/webhooks/" + hook["id"], {"url": hook["url"], "events": INVOICE_EVENTS,
                                                                         "enabled": True, "name": hook.get("name")})
        check("webhook now subscribes invoice events", st == 200, text[:300])
        env.S("PUT", "/invoices/%s/sent-status" % invs[0]["id"], {"sent": False})
        c = common.wait_for(lambda: (lambda x: x if x.get("health", {}).get("state") not in ("webhook_silent",)
                                     else None)(conn(env)), 30, 0.3)
        check("a verified invoice delivery ends webhook_silent", c and c["health"]["state"] == "connected",
              c and c.get("health"))
    finally:
        code = common.finish(env)
    sys.exit(code)


if __name__ == "__main__":
    common.run_main(main)
