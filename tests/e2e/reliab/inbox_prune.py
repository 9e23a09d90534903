#!/usr/bin/env python3
"""Inbox pruning (issue 17, "Limits that fit Rillet"): the inbox kept every delivery's full
body for ever. Now a processed delivery older than --inbox-retention-days (default 30) leaves
`inbox` with its body at the next minute's pass, while its X-Rillet-Id stays in the compact
`inbox_seen` table, so a redelivery of the pruned id is still answered `duplicate:true` and
changes nothing.

Usage: inbox_prune.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20640]

Default retention (30 days), the real clock: two deliveries are processed; one is made 31 days
old (its processed_at moved back in the store, beside the running levy), the other stays
fresh. Within the next pass (about a minute) the old one's row and body are gone from the
inbox and its id is in inbox_seen; the fresh one is untouched. Redelivering the pruned id
(same signed bytes) -> 200 duplicate:true, no inbox row, the document keeps the later state.
A bad --inbox-retention-days / LEVY_INBOX_RETENTION_DAYS is a usage error (exit 2).
"""
import json
import os
import sqlite3
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20640


def usage_errors():
    common.refused_settings(LEVY, ((["--inbox-retention-days", "-1"], {}, "--inbox-retention-days"),
                                   (["--inbox-retention-days", "3651"], {}, "--inbox-retention-days"),
                                   ([], {"LEVY_INBOX_RETENTION_DAYS": "month"}, "LEVY_INBOX_RETENTION_DAYS")),
                            "levy-reliab-inbox-args-")


def main():
    usage_errors()
    env = common.new_env(LEVY, SRC, "levy-reliab-inbox-", BASE_PORT, invoices=6)
    env.fast_schedule()  # a prune pass every second: the wait below is for the pass, not a minute
    dbp = os.path.join(env.tmp, "levy", "levy.db")

    def q(sql, *args, write=False):
        c = sqlite3.connect(dbp if write else "file:%s?mode=ro" % dbp, uri=not write, timeout=20)
        try:
            rows = c.execute(sql, args).fetchall()
            if write:
                c.commit()
            return rows
        finally:
            c.close()
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect()
        st, page, text, _ = env.S("GET", "/invoices?limit=2")
        old_inv, new_inv = page["invoices"][0], page["invoices"][1]
        old_id, new_id = str(uuid.uuid4()), str(uuid.uuid4())
        old_body = json.dumps(dict(old_inv, memo="first state"), separators=(",", ":")).encode()
        ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def deliver(body, wid, inv_ts):
            h = {"X-Rillet-Signature": common.sign(env.signing_token, inv_ts, wid, "INVOICE", "UPDATED", body),
                 "X-Rillet-Timestamp": inv_ts, "X-Rillet-Id": wid, "X-Rillet-Entity": "INVOICE",
                 "X-Rillet-Event": "UPDATED"}
            return common.req("POST", env.webhook_url, headers=h, raw=body)
        st, js, text, _ = deliver(old_body, old_id, ts)
        check("delivery 1 accepted", st == 200 and js == {"received": True, "duplicate": False}, text)
        st, js, text, _ = deliver(json.dumps(dict(new_inv, memo="fresh"), separators=(",", ":")).encode(),
                                  new_id, ts)
        check("delivery 2 accepted", st == 200 and js == {"received": True, "duplicate": False}, text)
        done = common.wait_for(lambda: len(q("SELECT 1 FROM inbox WHERE delivery_id IN (?, ?) AND processed_at "
                                             "IS NOT NULL", old_id, new_id)) == 2, 60, 0.3)
        check("both processed", done, common.tail(os.path.join(env.tmp, "levy.log")))
        # a later change of the first document, so a replay of delivery 1 would be visible
        later = json.dumps(dict(old_inv, memo="second state"), separators=(",", ":")).encode()
        st, _, text, _ = env.deliver(later, str(uuid.uuid4()), event="UPDATED")
        check("a later delivery for the same document accepted", st == 200, text)
        common.wait_for(lambda: (env.L("GET", "/v1/invoices/" + old_inv["id"])[1] or {}).get("memo") == "second state",
                        60, 0.3)
        size = q("SELECT length(body) FROM inbox WHERE delivery_id = ?", old_id)[0][0]

        # delivery 1 processed 31 days ago: over the default 30-day retention
        back = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 31 * 86400))
        q("UPDATE inbox SET processed_at = ?, received_at = ? WHERE delivery_id = ?", back, back, old_id, write=True)
        pruned = common.wait_for(lambda: not q("SELECT 1 FROM inbox WHERE delivery_id = ?", old_id), 100, 0.5)
        check("within the next pass the 31-day-old processed delivery (%d body bytes) left the inbox"
              % size, pruned, common.tail(os.path.join(env.tmp, "levy.log")))
        seen = q("SELECT delivery_id, connection_id, received_at FROM inbox_seen WHERE delivery_id = ?", old_id)
        check("its X-Rillet-Id stays in inbox_seen (id, connection, received_at: %s)" % (seen,),
              seen == [(old_id, env.cid, back)], seen)
        fresh = q("SELECT length(body) FROM inbox WHERE delivery_id = ? AND processed_at IS NOT NULL", new_id)
        check("the fresh processed delivery (inside 30 days) keeps its row and body", fresh and fresh[0][0] > 0, fresh)
        check("the fresh one is not in inbox_seen",
              not q("SELECT 1 FROM inbox_seen WHERE delivery_id = ?", new_id), "")

        # a redelivery of the pruned id: still a duplicate
        st, js, text, _ = deliver(old_body, old_id, ts)
        check("redelivery of the pruned id -> 200 duplicate:true (%s)" % text, st == 200 and js and
              js.get("duplicate") is True, text)
        check("... and it is not stored again", not q("SELECT 1 FROM inbox WHERE delivery_id = ?", old_id), "")
        check("levy and the simulator settle after the redelivery", common.wait_quiet(env),
              (common.levy_busy(env), common.sim_pending(env)))
        memo = (env.L("GET", "/v1/invoices/" + old_inv["id"])[1] or {}).get("memo")
        check("... and the document keeps its later state (memo %r)" % memo, memo == "second state", memo)
        st, m, text, _ = env.L("GET", "/metrics")
        check("levy_inbox_pruned_total counts the pruned delivery",
              any(l.startswith("levy_inbox_pruned_total") and not l.endswith(" 0") for l in text.splitlines()),
              [l for l in text.splitlines() if "inbox" in l])


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
