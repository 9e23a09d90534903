#!/usr/bin/env python3
"""Issue 16: GET /v1/invoices?limit=500 (and credit memos) answered 500 "running-time budget
exceeded (LEVY_LUA_TIME_MS)" on an organisation of ~2,700 simulator invoices: the list decoded
every stored Rillet document and encoded it again, 20-40 ms of CPU for 500 documents on an
idle machine against the request's 80 ms budget, so a loaded machine ran out. Lists now
splice the stored JSON with levy's fields (plugins/rillet/handler.lua doc_view_text, 500 in
under 10 ms) and stop a page early, with next_cursor, past 8 MiB or half the request's budget
(levy.time.budget_used).

Usage: list_large.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20300] [INVOICES=3000]
Seeds INVOICES invoices (and the simulator's credit memos) and imports them; then, for
invoices and credit memos, while the import's calculations run, walks every page at the
maximum limit (500): every page 200, full pages of 500 but the last, every document exactly
once, listed documents equal to the single-document view; a filtered list at the maximum
limit answers 200 too. Then restarts levy with an eighth of the Lua running-time budget
(LEVY_LUA_TIME_MS=10: a machine eight times slower or busier; before the fix one page of 500
needed 20-40 ms, so every such request answered 500) and walks again: every page 200, the
same documents, each once (pages may be shorter: the list stops at half its budget).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20300
INVOICES = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
# the default is 80 ms of CPU per request. Loading the plugins at the restart runs under the
# background budget, 10x this (issues 18/21: at the request's base, loading
# plugins/rillet/handler.lua, close to 10 ms of CPU, made levy refuse to start about one run
# in three)
SMALL_BUDGET_MS = "10"


# Fields only the single-document view carries (docs/openapi.yaml, the document detail schema):
# its lines and history, and the extensions of issues 19/20 read from the stored calculation
# (how the ship-to was located, its candidates, the request's ship-to, the answer's notes, the
# exemption certificate that exempted it, and whether its rate table was past its stale date).
DETAIL_ONLY = ("lines", "history", "resolution", "ambiguous_zip", "rates_stale", "ship_to", "notes",
               "exemption_certificate")

def walk(env, path, max_pages=40):
    """Every page of path at limit=500: (statuses, page sizes, ids, last error text, a sample of
    listed documents from the first and the last page)."""
    statuses, sizes, ids, text, cursor, sample = [], [], [], "", None, []
    for _ in range(max_pages):
        st, js, text, _ = env.L("GET", path + "?limit=500" + ("&cursor=" + cursor if cursor else ""), timeout=60)
        statuses.append(st)
        if st != 200:
            break
        sizes.append(len(js["data"]))
        ids += [d["id"] for d in js["data"]]
        if not sample:
            sample += js["data"][:3]
        cursor = js.get("next_cursor")
        if not cursor:
            sample += js["data"][-3:]
            break
    return statuses, sizes, ids, text, sample


def same_as_detail(env, path, items):
    diffs = []
    for item in items:
        st, det, _, _ = env.L("GET", path + "/" + item["id"])
        if st != 200:
            diffs.append((item["id"], st))
            continue
        diffs += [(item["id"], k) for k in item if det.get(k) != item[k] or type(det.get(k)) != type(item[k])]
        diffs += [(item["id"], "missing " + k) for k in det if k not in item and k not in DETAIL_ONLY]
    return diffs


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-listlarge-", BASE_PORT, invoices=INVOICES)
    try:
        if not check("simulator starts", env.start_sim()) or not check("levy starts", env.start_levy()):
            return
        common.wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 300, 0.3)
        info = env.S("GET", "/_sim/info")[1]
        t0 = time.time()
        env.connect()
        print("# imported in %.1f s (simulator: %s invoices, %s credit memos)" % (
            time.time() - t0, info.get("invoices"), info.get("credit_memos")), flush=True)
        listed = {}
        # 1. the default budget, while the import's calculations run: full pages of 500
        for path, what in (("/v1/invoices", "invoices"), ("/v1/credit-memos", "credit memos")):
            statuses, sizes, ids, text, sample = walk(env, path)
            check("GET %s?limit=500: every page 200 (%s)" % (path, statuses),
                  statuses and all(s == 200 for s in statuses), text[:300])
            check("%s: %d listed, each exactly once" % (what, len(ids)),
                  len(ids) == len(set(ids)) and len(ids) > 0, (len(ids), len(set(ids))))
            check("%s: every page but the last holds 500 (%s)" % (what, sizes),
                  sizes and all(n == 500 for n in sizes[:-1]) and 0 < sizes[-1] <= 500)
            listed[path] = set(ids)
            if what == "invoices":
                check("the invoices of the USD subsidiary are all there (%d of %d seeded)" % (len(ids), INVOICES),
                      len(ids) >= INVOICES // 2, len(ids))
            # listed documents equal the single-document view, on the first and the last page
            # (the import's calculations and write-backs still change documents between the
            # two requests: a difference must persist to count)
            for _ in range(20):
                diffs = same_as_detail(env, path, sample)
                if not diffs:
                    break
                time.sleep(2)
                sample = walk(env, path)[4]
            check("%s: listed documents equal the single-document view" % what, sample and not diffs, diffs[:5])
        st, js, text, _ = env.L("GET", "/v1/invoices?limit=500&reason=not_collecting", timeout=60)
        check("a filtered list at limit=500 answers 200 (%s)" % st, st == 200, text[:300])

        # 2. an eighth of the budget (a machine eight times slower or busier): still 200 on
        # every page; a page may hold fewer documents, next_cursor goes on, none is lost
        common.stop(env.levy)
        env.levy_env = {"LEVY_LUA_TIME_MS": SMALL_BUDGET_MS}
        if not check("levy restarts with LEVY_LUA_TIME_MS=%s" % SMALL_BUDGET_MS, env.start_levy()):
            return
        for path, what in (("/v1/invoices", "invoices"), ("/v1/credit-memos", "credit memos")):
            statuses, sizes, ids, text, sample = walk(env, path, 100)
            check("GET %s?limit=500 with LEVY_LUA_TIME_MS=%s: every page 200 (%d pages: %s)" % (
                  path, SMALL_BUDGET_MS, len(statuses), sorted(set(statuses))),
                  statuses and all(s == 200 for s in statuses), text[:300])
            check("%s: the same %d documents, each exactly once, no page empty (sizes %s)" % (
                  what, len(listed[path]), sizes[:12]),
                  len(ids) == len(set(ids)) and set(ids) == listed[path] and all(n > 0 for n in sizes),
                  (len(ids), len(set(ids)), len(listed[path])))
    finally:
        common.cleanup(env, log_tail=3000)


if __name__ == "__main__":
    common.run_main(main)
