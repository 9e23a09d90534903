#!/usr/bin/env python3
"""The scheduled sweep (issue 6, step 9), with no manual trigger: levy receives no invoice
webhooks at all (the webhook in the simulator subscribes to a customer event only, i.e. every
invoice delivery is lost); with `sweep_interval_minutes = 1` in PUT /v1/settings the
schedule tick finds the changed invoice by `updated.gt`, re-taxes it and writes it back, and
`last_sync_at` moves. The tick runs every second here (--schedule-tick 1) and the last sweep's
time is moved back by the interval (a minute) once the invoice changed, so the test waits for
the sweep's result, not for a clock: a few seconds (two minutes before the tick was a setting).

Usage: scheduled_sweep.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19480]
"""
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19480


def last_sync_ms(env):
    """The connection's last_sync_ms, read while levy runs (WAL: a reader does not block it)."""
    c = sqlite3.connect("file:%s?mode=ro" % os.path.join(env.levy_dir, "levy.db"), uri=True, timeout=20)
    try:
        r = c.execute("SELECT last_sync_ms FROM connections WHERE id = ?", (env.cid,)).fetchone()
        return r[0] if r else None
    finally:
        c.close()


def main():
    # --schedule-tick / LEVY_SCHEDULE_TICK_S: seconds, 1..3600; anything else is a usage error
    common.refused_settings(LEVY, ((["--schedule-tick", "0"], {}, "--schedule-tick"),
                                   (["--schedule-tick", "3601"], {}, "--schedule-tick"),
                                   (["--schedule-tick", "1.5"], {}, "--schedule-tick"),
                                   ([], {"LEVY_SCHEDULE_TICK_S": "fast"}, "LEVY_SCHEDULE_TICK_S"),
                                   ([], {"LEVY_SCHEDULE_TICK_S": "0"}, "LEVY_SCHEDULE_TICK_S")),
                            "levy-reliab-sweep-args-")
    env = common.new_env(LEVY, SRC, "levy-reliab-sweep-", BASE_PORT, invoices=12)
    env.fast_schedule()
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        log = common.tail(os.path.join(env.tmp, "levy.log"), 10 ** 6)
        check("the log names the connector's schedule period in effect (1 s)",
              all("rillet.%s_tick every 1 s" % t in log for t in ("sweep", "reconcile", "inbox_prune")),
              [ln for ln in log.splitlines() if "schedules:" in ln])
        st, _, text, _ = env.L("PUT", "/v1/settings", {"sweep_interval_minutes": 1})
        check("PUT /v1/settings sweep_interval_minutes=1 -> 200", st == 200, text)
        con = env.connect()  # default events: CUSTOMER DELETED only, so no invoice delivery
        sync0 = con.get("last_sync_at")

        # an invoice levy wrote tax onto during the import
        def written():
            s, js, _, _ = env.L("GET", "/v1/invoices?limit=100")
            if s != 200:
                return None
            w = [d for d in js["data"] if d["tax_status"] == "written" and d["levy_tax"] not in ("0", "0.00")]
            return w[0] if w else None
        doc = common.wait_for(written, 60, 0.5)
        if not check("the import wrote tax onto an invoice", doc, ""):
            return
        iid = doc["id"]
        st, inv, text, _ = env.S("GET", "/invoices/" + iid)
        before = inv["taxed_amount"]["amount"]
        items = []
        for i, it in enumerate(inv["items"]):
            q = it["quantity"]
            if i == 0:
                q = (q + 1) if isinstance(q, int) else str(int(float(q)) + 1)
            items.append({"id": it["id"], "description": it.get("description") or "item",
                          "price": {"product_id": it["product_id"], "quantity": q,
                                    "amount_per_unit": it["gross_rate"]}})
        st, _, text, _ = env.S("PUT", "/invoices/" + iid, {"items": items, "invoice_date": inv["invoice_date"]})
        check("invoice changed in the simulator (its webhook delivery never reaches levy)", st == 200, text[:300])
        # a sweep interval (1 minute) has passed since the last sweep: no manual trigger, the
        # next tick must see it due by itself
        ms0 = last_sync_ms(env)
        n = env.live_exec("UPDATE connections SET last_sync_ms = last_sync_ms - 60000 WHERE id = ?", env.cid)
        check("the last sweep's time moved back by the interval", n == 1, n)

        def swept():
            s, si, _, _ = env.S("GET", "/invoices/" + iid)
            d = env.L("GET", "/v1/invoices/" + iid)[1]
            return (si, d) if s == 200 and si["taxed_amount"]["amount"] != before and \
                d["tax_status"] == "written" and d["levy_tax"] == si["taxed_amount"]["amount"] else None
        res = common.wait_for(swept, 150, 2)
        check("the scheduled sweep found the change, re-taxed it and wrote it back (was %s)" % before,
              res, env.L("GET", "/v1/invoices/" + iid)[1])
        # last_sync_at has whole seconds: on a fast run the import and this sweep end in the same
        # second (seen: both 00:42:47), so the sweep's own record is compared in milliseconds
        con2 = env.L("GET", "/v1/connections/" + env.cid)[1]
        ms1 = last_sync_ms(env)
        check("the sweep recorded itself: last_sync_ms moved past its value before the change",
              ms0 is not None and ms1 is not None and ms1 > ms0, (ms0, ms1, sync0, con2.get("last_sync_at")))
        check("last_sync_at is set", bool(con2.get("last_sync_at")), con2)
    finally:
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # also when main() returned early after a failed check
