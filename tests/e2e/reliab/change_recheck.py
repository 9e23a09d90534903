#!/usr/bin/env python3
"""Issue 18: a change and its re-check commit together. The api plugin saved a change (a
region, a connection's region or settings, a product, a customer, the customer_data setting)
and then emitted its re-check event (levy.events: the rillet plugin records a bulk re-check
run and queues its job, or queues the customers' remap) in a second store commit, with the
subscriber's error only logged: a failure (or a crash) between the two left the change saved
and its documents never re-checked. Now the save and the emit run in one store.transaction
(plugins/api/handler.lua, with_recheck): a subscriber that fails rolls the change back and the
request fails (5xx), so the change is never saved without its re-check; once the subscriber
works again, the same request saves the change and answers its re-check.

The subscriber's failure is injected in the store: a SQLite trigger (added while levy runs)
refuses the rillet plugin's INSERT into bulk_runs, or its remap job.

Usage: change_recheck.py LEVY_BINARY SOURCE_DIR [BASE_PORT=22700]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 22700

REGIONS = ("US-CA", "US-NY", "US-TX", "US-WA", "US-IL", "US-FL", "US-CO")  # env.connect's default
REFUSE_BULK = ("CREATE TRIGGER reliab_refuse_bulk BEFORE INSERT ON bulk_runs "
               "BEGIN SELECT RAISE(ABORT, 'reliab: bulk_runs refused'); END")
# a remap is queued anew (INSERT) or folded into one already queued (UPDATE of its payload)
REFUSE_REMAP = ("CREATE TRIGGER reliab_refuse_remap BEFORE INSERT ON jobs "
                "WHEN NEW.kind = 'rillet.customers_remap' "
                "BEGIN SELECT RAISE(ABORT, 'reliab: remap refused'); END",
                "CREATE TRIGGER reliab_refuse_remap2 BEFORE UPDATE OF payload ON jobs "
                "WHEN NEW.kind = 'rillet.customers_remap' "
                "BEGIN SELECT RAISE(ABORT, 'reliab: remap refused'); END")


def region_with_documents(env):
    c = env.db_read()
    try:
        row = c.execute("SELECT region, count(*) AS n FROM invoices WHERE deleted = 0 AND region IN (%s) "
                        "GROUP BY region ORDER BY n DESC LIMIT 1" % ",".join("?" * len(REGIONS)),
                        REGIONS).fetchone()
        return row[0] if row else None
    finally:
        c.close()


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-recheck-", BASE_PORT, invoices=8)

    def db_read():
        import sqlite3
        return sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=20)
    env.db_read = db_read

    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=REGIONS)
        code = common.wait_for(lambda: region_with_documents(env), 60, 0.3)
        if not check("a subscribed region holds documents", code is not None):
            return

        # 1. a region change whose re-check cannot be recorded: nothing is saved
        st, before, text, _ = env.L("GET", "/v1/regions/" + code)
        check("region readable", st == 200 and before.get("tax_calculation") is True, text[:300])
        runs_before = db_read().execute("SELECT count(*) FROM bulk_runs").fetchone()[0]
        env.live_exec(REFUSE_BULK)
        st, _, text, _ = env.L("PUT", "/v1/regions/" + code, {"tax_calculation": False})
        check("the change fails when its re-check fails (5xx)", st >= 500, "%s %s" % (st, text[:300]))
        st, after, text, _ = env.L("GET", "/v1/regions/" + code)
        check("the region is not saved without its re-check",
              st == 200 and after.get("tax_calculation") is True, text[:300])
        check("no bulk run recorded",
              db_read().execute("SELECT count(*) FROM bulk_runs").fetchone()[0] == runs_before)

        # the subscriber works again: the same request saves the change and its re-check
        env.live_exec("DROP TRIGGER reliab_refuse_bulk")
        st, js, text, _ = env.L("PUT", "/v1/regions/" + code, {"tax_calculation": False})
        check("the change is saved with its re-check", st == 200 and js.get("tax_calculation") is False
              and (js.get("requeue") or {}).get("documents", 0) >= 1, "%s %s" % (st, text[:300]))
        check("its bulk run is recorded",
              db_read().execute("SELECT count(*) FROM bulk_runs").fetchone()[0] == runs_before + 1)

        # 2. the customer_data setting, whose re-check is the customers' remap job
        st, s0, text, _ = env.L("GET", "/v1/settings")
        check("settings readable", st == 200, text[:300])
        for sql in REFUSE_REMAP:
            env.live_exec(sql)
        new = {"customer_data": {"tax_id_reference_types": ["reliab-tax-id"]}}
        st, _, text, _ = env.L("PUT", "/v1/settings", new)
        check("customer_data fails when its remap cannot be queued (5xx)", st >= 500, "%s %s" % (st, text[:300]))
        st, s1, text, _ = env.L("GET", "/v1/settings")
        check("customer_data is not saved without its remap",
              st == 200 and s1.get("customer_data") == s0.get("customer_data"), text[:300])
        env.live_exec("DROP TRIGGER reliab_refuse_remap")
        env.live_exec("DROP TRIGGER reliab_refuse_remap2")
        st, s2, text, _ = env.L("PUT", "/v1/settings", new)
        check("customer_data is saved with its remap", st == 200
              and s2["customer_data"]["tax_id_reference_types"] == ["reliab-tax-id"], "%s %s" % (st, text[:300]))
        queued = db_read().execute("SELECT count(*) FROM jobs WHERE kind = 'rillet.customers_remap'").fetchone()[0]
        check("the remap job is queued", queued >= 1, queued)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
