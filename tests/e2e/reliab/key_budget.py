#!/usr/bin/env python3
"""One Rillet API key, two subsidiaries (issue 17, "Limits that fit Rillet").

Usage: key_budget.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20620] [INVOICES=400]

Rillet counts 60 requests per rolling minute per API key. Two connections on one key (the
simulator's USD and EUR subsidiaries) import and write back at once: together they send at
most 60 requests in any rolling 60 s (the simulator counts requests per key, its own limit
on), none is answered 429, and the work that does not fit waits (`calculated` write-backs)
instead of failing. Before, each connection had its own 60 and the key drew 429s.

Connecting an already connected subsidiary: 409 `already_connected` naming the existing
connection (details[0].connection_id), at step 2 (POST …/subsidiary) and at step 4 when
another wizard connected it in between; nothing is changed by the refused step.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20620
INVOICES = int(sys.argv[4]) if len(sys.argv) > 4 else 400


def step1(env):
    st, con, text, _ = env.L("POST", "/v1/connections", {"provider": "rillet", "api_key": env.key,
                                                        "tax_documents_from": "2026-01-01"})
    if st != 201:
        raise RuntimeError("connect: %s %s" % (st, text))
    return con


def sub_of(con, currency):
    return next(s for s in con["subsidiaries"] if s.get("currency") == currency)


def step2(env, con, currency):
    return env.L("POST", "/v1/connections/%s/subsidiary" % con["id"], {"subsidiary_id": sub_of(con, currency)["id"]})


def step4(env, con):
    st, hook, text, _ = env.S("POST", "/_sim/webhooks", {"name": "levy " + con["id"], "url": con["webhook_url"],
                                                         "events": {"CUSTOMER": ["DELETED"]}, "enabled": True})
    if st not in (200, 201):
        raise RuntimeError("sim webhook: %s %s" % (st, text))
    return env.L("POST", "/v1/connections/%s/webhook-secret" % con["id"], {"signing_token": hook["signing_token"]})


key_stats = common.sim_key_stats


def statuses(env, cid):
    out, cursor = {}, None
    for _ in range(20):
        st, js, text, _ = env.L("GET", "/v1/invoices?limit=500" + ("&cursor=" + cursor if cursor else ""))
        if st != 200:
            raise RuntimeError("list: %s %s" % (st, text[:200]))
        for d in js["data"]:
            if d.get("connection_id") == cid:
                out[d["tax_status"]] = out.get(d["tax_status"], 0) + 1
        cursor = js.get("next_cursor")
        if not cursor:
            break
    return out


def conflict(st, js, other_id):
    d = ((js or {}).get("error") or {}).get("details") or [{}]
    return st == 409 and js["error"]["code"] == "already_connected" and d[0].get("connection_id") == other_id \
        and other_id in js["error"]["message"]


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-keybudget-", BASE_PORT, invoices=INVOICES)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        common.wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 90, 0.3)
        # Rillet's own limit on (the harness starts the simulator without it)
        st, _, text, _ = env.S("POST", "/_sim/config", {"rate_limit": True, "rate_limit_max": 60,
                                                       "rate_limit_window_ms": 60000})
        check("simulator rate limit on (60 per 60 s per key)", st == 200, text)
        for code in ("US-CA", "US-NY", "US-TX", "US-WA", "US-IL", "US-FL", "US-CO", "EU"):
            env.L("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})

        # a wizard that stops after step 2 on the USD subsidiary never blocks another one
        stale = step1(env)
        st, stale, text, _ = step2(env, stale, "USD")
        check("an unfinished wizard picks the USD subsidiary (200)", st == 200, text)

        # two connections, one key: USD and EUR subsidiaries, both connected at once
        a, b = step1(env), step1(env)
        st, a, text, _ = step2(env, a, "USD")
        check("connection A picks USD although an unfinished wizard holds it too (200)", st == 200, text)
        st, b, text, _ = step2(env, b, "EUR")
        check("connection B picks EUR (200)", st == 200, text)
        t0 = time.time()
        for con in (a, b):
            st, _, text, _ = step4(env, con)
            check("connection %s connected (200)" % con["id"], st == 200, text)

        # the unfinished wizard now reaches step 4 on A's subsidiary
        st, js, text, _ = step4(env, stale)
        check("step 4 of a wizard on a subsidiary another connection connected meanwhile -> 409 "
              "already_connected naming it (%s %s)" % (st, text[:200]), conflict(st, js, a["id"]), text)
        st, js, text, _ = env.L("GET", "/v1/connections/" + stale["id"])
        check("... and that wizard's connection is left as it was (needs_webhook_secret)",
              st == 200 and js["status"] == "needs_webhook_secret", text[:200])

        # a new wizard on the USD subsidiary: refused at step 2
        c = step1(env)
        st, js, text, _ = step2(env, c, "USD")
        check("step 2 on the already connected USD subsidiary -> 409 already_connected with A's id (%s %s)"
              % (st, text[:200]), conflict(st, js, a["id"]), text)
        st, js, text, _ = env.L("GET", "/v1/connections/" + c["id"])
        check("... and the refused wizard still needs a subsidiary", st == 200 and js["status"] == "needs_subsidiary"
              and js["subsidiary"] is None, text[:200])

        # the key's budget: both connections' imports and write-backs draw on one 60
        reached = common.wait_for(lambda: key_stats(env)["requests"] >= 60, 90, 0.5)
        check("the two connections used the key's whole budget (%s)" % key_stats(env), reached, "")
        time.sleep(15)  # long enough for a second budget's worth to show up in the same minute
        k = key_stats(env)
        el = time.time() - t0
        check("together at most 60 requests in any rolling 60 s at the simulator (%d in %d s; max %d)"
              % (k["requests"], el, k["max_in_window"]), k["max_in_window"] <= 60, k)
        check("no request of the key answered 429 (%d)" % k["rate_limited"], k["rate_limited"] == 0, k)
        sa, sb = statuses(env, a["id"]), statuses(env, b["id"])
        check("write-backs that do not fit wait their turn, none failed (A %s, B %s)" % (sa, sb),
              sa.get("failed", 0) == 0 and sb.get("failed", 0) == 0
              and sa.get("calculated", 0) + sb.get("calculated", 0) + sa.get("pending", 0) + sb.get("pending", 0) > 0,
              (sa, sb))
        log = common.tail(os.path.join(env.tmp, "levy.log"), 10 ** 7)
        check("the API key never appears in levy's log", env.key not in log, "")


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
