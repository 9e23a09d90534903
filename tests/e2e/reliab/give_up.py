#!/usr/bin/env python3
"""Dead letter after a long write-back outage (issue 9 item 4, perf-anchors R6: "after the
maximum attempts or about 3 days the item is dead-lettered and visible").

Usage: give_up.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19520]

A proxy in front of the simulator answers every `POST .../taxes` with 503 (reads pass), so
the import works and every write-back waits behind the connection's circuit, where waits are
not attempts. The calculations of GIVEN_UP invoices are then dated back 4 days in levy's store
(levy's clock cannot be moved; the age is what the rule reads). Checks:
  * those invoices become `failed` with a "gave up" last_error naming the last error, listed
    by GET /v1/invoices?tax_status=failed and in each one's history;
  * every other invoice keeps waiting (`calculated`), none is failed;
  * after the outage the others are written exactly once; the given-up ones are not written;
  * POST /v1/invoices/{id}/recalculate on a given-up invoice writes it (once).
"""
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19520
GIVEN_UP = 3
TAXES = re.compile(r"^/(invoices|credit-memos)/([^/?]+)/taxes")
DAY_MS = 86400 * 1000


class Proxy:
    """Forwards to the simulator; while `down`, POST .../taxes gets 503 without reaching it."""

    def __init__(self, port, upstream_port):
        self.down = True
        self.rejected = 0
        proxy = self

        def handle_any(h):
            n = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(n) if n else None
            if proxy.down and h.command == "POST" and TAXES.match(h.path):
                proxy.rejected += 1
                status, rh, data = 503, [("Content-Type", "application/problem+json")], \
                    b'{"title":"Service Unavailable","status":503,"detail":"maintenance"}'
            else:
                status, rh, data = common.proxy_forward(h, upstream_port, body)
            common.proxy_reply(h, status, rh, data)

        self.srv = common.serve_proxy(port, handle_any)

    def close(self):
        self.srv.shutdown()


def main():
    proxy, env = common.proxied_env(LEVY, SRC, "levy-reliab-giveup-", BASE_PORT, Proxy, invoices=40)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        regions, _ = common.us_regions(env)
        env.connect(regions=regions)
        # write-backs have been refused and now wait (invoices with a live write-back job)
        db = "file:%s?mode=ro" % os.path.join(env.levy_dir, "levy.db")

        def pending_writebacks():
            ids = common.queued_writebacks(db)
            return ids if len(ids) >= GIVEN_UP + 3 and proxy.rejected >= 3 else None
        ids = common.wait_for(pending_writebacks, 30, 0.3)
        if not check("write-backs wait behind the outage (%d invoices, %d POSTs refused)"
                     % (len(ids or []), proxy.rejected), ids):
            return
        check("no invoice failed during the first seconds of the outage", not common.invoices(env, "failed"))
        old, rest = ids[:GIVEN_UP], ids[GIVEN_UP:]
        # 4 days pass for these calculations: levy is stopped, their created_ms moved back (the
        # immutability trigger is lifted for this one statement and put back as it was), restarted
        common.stop(env.levy)
        c = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=10)
        try:
            trig = c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                             "tbl_name = 'calculations' AND sql LIKE '%UPDATE%'").fetchall()
            with c:
                for name, _ in trig:
                    c.execute('DROP TRIGGER "%s"' % name)
                n = c.execute("UPDATE calculations SET created_ms = created_ms - 4 * ? WHERE doc_type = 'invoice' "
                              "AND doc_id IN (%s)" % ",".join("?" * len(old)), [DAY_MS] + old).rowcount
                for _, sql in trig:
                    c.execute(sql)
        finally:
            c.close()
        if not check("levy restarted", env.start_levy()):
            return
        check("calculations of %d invoices dated back 4 days (%d rows)" % (len(old), n), n >= len(old), n)

        def given_up():
            f = {d["id"]: d for d in common.invoices(env, "failed")}
            return f if set(old) <= set(f) else None
        failed = common.wait_for(given_up, 90, 0.5)
        if not check("the old write-backs are given up: GET /v1/invoices?tax_status=failed lists them", failed,
                     [d["tax_status"] for d in common.invoices(env) if d["id"] in old]):
            return
        check("only those are failed", set(failed) == set(old), sorted(set(failed) - set(old)))
        st, doc, text, _ = env.L("GET", "/v1/invoices/" + old[0])
        err = (doc or {}).get("last_error") or ""
        check("last_error says it gave up after 3 days and names the last error",
              "gave up" in err and "3 days" in err and ("503" in err or "circuit" in err), err)
        hist = (doc or {}).get("history") or []
        check("the history shows the failed write-back", any(h.get("kind") == "writeback" and h.get("outcome") == "failed"
                                                              for h in hist), hist[-3:])
        still = [d["id"] for d in common.invoices(env, "calculated")]
        check("the younger write-backs still wait (%d calculated)" % len(still), set(rest) <= set(still),
              sorted(set(rest) - set(still))[:5])

        proxy.down = False
        done = common.wait_for(lambda: (lambda s: s if all(s.get(i) == "written" for i in rest) else None)(
            {d["id"]: d["tax_status"] for d in common.invoices(env)}), 120, 0.5)
        check("after the outage every other write-back is written", done,
              [(i, s) for i, s in ({d["id"]: d["tax_status"] for d in common.invoices(env)}).items() if i in rest
               and s != "written"][:5])
        bad = [(i, w) for i, w in ((i, common.sim_tax_writes(env, i)) for i in rest) if w != 1]
        check("each of them applied exactly once at the simulator", not bad, bad[:5])
        check("levy and the simulator settle", common.wait_quiet(env),
              (common.levy_busy(env), common.sim_pending(env)))
        check("the given-up invoices stay failed and unwritten",
              all(common.sim_tax_writes(env, i) == 0 for i in old) and set(old) <= {d["id"] for d in common.invoices(env, "failed")},
              [(i, common.sim_tax_writes(env, i)) for i in old])
        st, _, text, _ = env.L("POST", "/v1/invoices/%s/recalculate" % old[0])
        check("POST /v1/invoices/{id}/recalculate -> 202", st == 202, (st, text[:200]))
        ok = common.wait_for(lambda: common.sim_tax_writes(env, old[0]) == 1 and
                             env.L("GET", "/v1/invoices/" + old[0])[1]["tax_status"] == "written", 60, 0.5)
        check("recalculate writes the given-up invoice, once", ok,
              (common.sim_tax_writes(env, old[0]), env.L("GET", "/v1/invoices/" + old[0])[1].get("tax_status")))
    except Exception:  # noqa: BLE001 -- a crash is a failure, with its traceback
        import traceback
        check("the test ran to its end", False, traceback.format_exc())
    finally:
        proxy.close()
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
