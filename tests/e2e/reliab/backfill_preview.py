#!/usr/bin/env python3
"""Issue 16: the backfill preview of a year of history ran inside the request
(POST /v1/connections/{id}/backfill decoded and checked every document of the range) and ran
out of the request's Lua budget: 500 on a few thousand invoices, so a user could not see what
levy would do before writing. A range too large for one request is now previewed by the
rillet.backfill_preview job: the POST answers 202 {status:"previewing", id, checked, to_check},
the client polls GET /v1/connections/{id}/backfill/previews/{id} (progress also at
GET /v1/bulk/{id}) until status "preview", and confirms with the preview_id. Small ranges keep
the 200 preview of before.

Usage: backfill_preview.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20320] [INVOICES=3000]
Seeds INVOICES simulator invoices, connects with the default window (documents dated before
today are left alone: outside_window), then previews the whole year: 202, progress, a finished
preview whose counts add up (documents + excluded = documents checked = the candidates the
documents API lists) and whose totals equal the sum of month-by-month previews (each small
enough for the request's 200 path: two code paths agree); nothing is written by a preview; a
confirm without the preview id is refused (409), with it answers 202 with the preview's counts.
"""
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20320
INVOICES = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def add_money(a, b):
    # decimal strings, exact (no floats)
    from decimal import Decimal
    return str(Decimal(a) + Decimal(b))


def all_docs(env, path):
    out, cursor = [], None
    for _ in range(200):
        st, js, text, _ = env.L("GET", path + "?limit=500" + ("&cursor=" + cursor if cursor else ""), timeout=60)
        if st != 200:
            raise RuntimeError("%s: %s %s" % (path, st, text[:200]))
        out += js["data"]
        cursor = js.get("next_cursor")
        if not cursor:
            return out
    return out


def finished_preview(env, path, st, js, timeout=240):
    """The preview of a POST answer: itself when 200, else polled until done."""
    if st == 200:
        return js
    if st != 202 or not js or not js.get("id"):
        return None
    seen = []

    def done():
        s, p, _, _ = env.L("GET", path + "/previews/" + js["id"])
        if s == 200:
            seen.append(p["checked"])
            return p if p["status"] == "preview" else None
        return None
    return common.wait_for(done, timeout, 0.3)


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-bfpreview-", BASE_PORT, invoices=INVOICES)
    try:
        if not check("simulator starts", env.start_sim()) or not check("levy starts", env.start_levy()):
            return
        common.wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 300, 0.3)
        info = env.S("GET", "/_sim/info")[1]
        start = info.get("documents_from") or "2026-01-01"
        # every US state subscribed (few documents are not_collecting), the default window:
        # from today, so the whole year of history is outside it
        st, regions, _, _ = env.L("GET", "/v1/regions?limit=500")
        us = [r["code"] for r in regions["data"] if r.get("country") == "US"]
        env.connect(regions=us, tax_from=None)
        path = "/v1/connections/%s/backfill" % env.cid

        def settled():
            for p in ("/v1/invoices", "/v1/credit-memos"):
                st, js, _, _ = env.L("GET", p + "?tax_status=pending&limit=1")
                if st != 200 or js["data"]:
                    return False
            return True
        check("the import's calculations settle", common.wait_for(settled, 300, 1))
        docs = all_docs(env, "/v1/invoices") + all_docs(env, "/v1/credit-memos")
        to = (TODAY - datetime.timedelta(days=1)).isoformat()
        cands = [d for d in docs if d.get("reason") not in (None, "written", "no_tax_due", "not_collecting")
                 and start <= (d.get("invoice_date") or d.get("credit_memo_date") or "") <= to]
        outside = [d for d in cands if d.get("reason") == "outside_window"]
        print("# %d documents, %d candidates of %s..%s, %d outside the window" % (
            len(docs), len(cands), start, to, len(outside)), flush=True)
        check("thousands of documents are outside the window", len(outside) >= 1000, len(outside))
        writes_before = sum(1 for d in docs if d.get("written_at"))

        # 1. the whole year: a job, with progress
        t0 = time.time()
        st, js, text, _ = env.L("POST", path, {"from": start, "to": to}, timeout=60)
        check("preview of %s..%s: 202 previewing with an id (%s)" % (start, to, st),
              st == 202 and js.get("status") == "previewing" and js.get("id", "").startswith("bfp_")
              and js.get("to_check") is None and js.get("checked") == 0, text[:300])
        if st != 202:
            return
        st2, again, _, _ = env.L("POST", path, {"from": start, "to": to}, timeout=60)
        first = env.L("GET", path + "/previews/" + js["id"])[1]
        check("the same range again while it runs: the same preview, not a second job",
              st2 == 202 and (again.get("id") == js["id"] or (first or {}).get("status") == "preview"),
              (st2, again and again.get("id"), first and first.get("status")))
        pv = finished_preview(env, path, st, js)
        st3, bulk, _, _ = env.L("GET", "/v1/bulk/" + js["id"])
        check("its progress is a bulk run too (GET /v1/bulk/{id}): every candidate counted and checked",
              st3 == 200 and bulk["kind"] == "backfill_preview" and bulk["state"] == "done"
              and bulk["documents"] == len(cands) and bulk["done"] == len(cands), bulk)
        print("# preview of %d documents took %.1f s" % (len(cands), time.time() - t0), flush=True)
        check("the preview finishes", pv and pv["status"] == "preview" and pv["checked"] == len(cands), pv)
        if not pv:
            return
        check("documents + excluded = every candidate checked",
              pv["documents"] + sum(pv["excluded"].values()) == len(cands) and 0 < pv["documents"] <= len(outside),
              (pv["documents"], pv["excluded"], len(cands)))

        # 2. month by month, each small enough for the request's own 200 preview: the same totals
        months, d = [], datetime.date.fromisoformat(start)
        end = datetime.date.fromisoformat(to)
        while d <= end:
            nxt = (d.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
            months.append((d.isoformat(), min(nxt - datetime.timedelta(days=1), end).isoformat()))
            d = nxt
        total = {"documents": 0, "tax": {}, "rillet_tax_now": {}, "excluded": {}}
        inline = 0
        for f, t in months:
            s, m, text, _ = env.L("POST", path, {"from": f, "to": t}, timeout=60)
            inline += s == 200
            m = finished_preview(env, path, s, m)
            if not m:
                check("preview of %s..%s" % (f, t), False, (s, text[:200]))
                return
            total["documents"] += m["documents"]
            for k in ("tax", "rillet_tax_now"):
                for cur, v in m[k].items():
                    total[k][cur] = add_money(total[k].get(cur, "0"), v)
            for r, n in m["excluded"].items():
                total["excluded"][r] = total["excluded"].get(r, 0) + n
        norm = lambda t: {c: add_money(v, "0") for c, v in t.items()}  # noqa: E731
        check("the year's preview equals the sum of %d monthly previews (%d answered inline)" % (len(months), inline),
              pv["documents"] == total["documents"] and pv["excluded"] == total["excluded"]
              and norm(pv["tax"]) == norm(total["tax"]) and norm(pv["rillet_tax_now"]) == norm(total["rillet_tax_now"]),
              (pv["documents"], total["documents"], pv["tax"], total["tax"], pv["excluded"], total["excluded"]))
        # (a month answers inside the request when it holds at most 400 candidates and its check
        # stays under 40 % of the request's budget, else as a job: both paths count here)
        check("the request's own preview path answered at least one month (%d)" % inline, inline >= 1, inline)

        # ?async=true (the web UI): a job whatever the size, with the same result as inline
        f, t = months[0]
        s1, a, text, _ = env.L("POST", path + "?async=true", {"from": f, "to": t}, timeout=60)
        a = finished_preview(env, path, s1, a)
        s2, b, _, _ = env.L("POST", path, {"from": f, "to": t}, timeout=60)
        b = finished_preview(env, path, s2, b)
        check("?async=true on one month: 202 and a job, the same counts as the request's preview",
              s1 == 202 and a and b and a["documents"] == b["documents"] and a["excluded"] == b["excluded"]
              and norm(a["tax"]) == norm(b["tax"]), (s1, a and a.get("documents"), b and b.get("documents")))
        s3, _, text, _ = env.L("POST", path + "?async=maybe", {"from": f, "to": t})
        check("?async=maybe: 422", s3 == 422, text[:200])

        # 3. a preview writes nothing; confirming a large range needs its preview
        docs2 = all_docs(env, "/v1/invoices") + all_docs(env, "/v1/credit-memos")
        check("the previews wrote nothing", sum(1 for d in docs2 if d.get("written_at")) == writes_before and
              sum(1 for d in docs2 if d.get("reason") == "outside_window") == len(outside))
        st, js, text, _ = env.L("POST", path + "?confirm=true", {"from": start, "to": to}, timeout=60)
        check("confirm of a large range without its preview: 409", st == 409, (st, text[:300]))
        st, js, text, _ = env.L("POST", path + "?confirm=true", {"from": start, "to": "2026-01-02", "preview_id": pv["id"]})
        check("a preview_id of another range: 422 naming preview_id", st == 422 and
              js["error"]["details"][0]["field"] == "preview_id", text[:300])
        st, js, text, _ = env.L("POST", path + "?confirm=true", {"from": start, "to": to, "preview_id": pv["id"]}, timeout=60)
        check("confirm with the preview_id: 202 queued with the preview's counts",
              st == 202 and js.get("status") == "queued" and js.get("backfill_id", "").startswith("bf_")
              and js.get("documents") == pv["documents"] and js.get("tax") == pv["tax"], text[:300])
        st, lst, _, _ = env.L("GET", path)
        check("GET backfill lists it with the preview's count", st == 200 and any(
            b["from"] == start and b["to"] == to and b["documents"] == pv["documents"] for b in lst["data"]), lst)
    finally:
        common.cleanup(env, log_tail=3000)


if __name__ == "__main__":
    common.run_main(main)
