#!/usr/bin/env python3
"""Issue 20: the liability report's "calculated, not collected" totals summed in SQL, not
decided one document at a time, so a year with thousands of documents waiting for their
write-back answers within a request's budget (default LEVY_LUA_TIME_MS, 80 ms of Lua CPU).

Usage: liability_large.py LEVY_BINARY SOURCE_DIR [BASE_PORT=15500]   (env LL_COPIES, default 200)

levy serve + levy sim seeded with N invoices in several US states; every write-back of tax is
refused by the simulator (422), so levy calculates and Rillet holds nothing. Then, in levy's
store, some documents are given the other states the report names a reason for (queued for
write-back, paid in Rillet before levy calculated, a reason of their own) and one region's
collecting start (effective_from) moved inside a month that has documents before and after it
(the region does not collect for the earlier ones: `not_collecting`, the later ones keep their
reason). Asserts:
 1. small set: the liability report's not_collected_totals (per currency, invoices, credit
    memos, by_reason) and not_collected_count equal the totals of its whole list read one
    document at a time (its first page + GET /v1/reports/not-collected pages, and the CSV
    section=not_collected), with every reason present; its first page is the list's first
    rows; the filing summary's not_collected_tax / documents equal the list's too;
 2. the not-collected documents copied LL_COPIES times in the store (the document, its
    calculation and figure rows: what an import and a refused write-back leave): with the
    default budget the liability report answers 200 (on main it decided every document in Lua
    and answered 500 "running-time budget exceeded"), its totals and count are the small set's
    times LL_COPIES + 1, and equal the per-document totals of the whole list read page by page;
    the filing summary answers 200 with the same not-collected sums.
 3. the waiting list as CSV at any size (the Reports page's "Download CSV"): read a page at a
    time from GET /v1/reports/not-collected?format=csv, each page's X-Levy-Next-Cursor header
    naming the next (none on the last): every page answers 200, the pages hold every waiting
    document once, in the list's order, with the list's totals (small set: pages of 7; large
    set: pages of 500). On main the Reports page asked the whole list in one request
    (section=not_collected), which at the large set answered 500 (running-time budget), and a
    CSV page named no next one. The whole-list CSV past 500 documents now answers 422 naming
    the paged way, not 500.
LL_BENCH=1: wall times of each report printed (bench/README.md). No timing assertion.
"""
import csv
import io
import os
import sqlite3
import sys
from decimal import Decimal

import common
from common import check, wait_for

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 15500
N = 150
COPIES = int(os.environ.get("LL_COPIES", "200"))
FROM, TO = "2026-01-01", "2026-12-31"
REGIONS = ("US-CA", "US-NY", "US-TX", "US-WA", "US-IL", "US-FL", "US-CO")


def D(s):
    return Decimal(s) if s not in (None, "") else Decimal(0)


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-liability-large-", BASE_PORT, invoices=N)
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


def list_totals(rows):
    """The totals of a not-collected list, one row at a time (the per-document path)."""
    out = {}
    for r in rows:
        t = out.setdefault(r["currency"], {"tax": Decimal(0), "invoices": 0, "credit_memos": 0, "by_reason": {}})
        sign = 1 if r["type"] == "invoice" else -1
        amt = D(r["not_collected_tax"]) if r["not_collected_tax"] not in (None, "") else Decimal(0)
        t["tax"] += sign * amt
        t["invoices" if r["type"] == "invoice" else "credit_memos"] += 1
        br = t["by_reason"].setdefault(r["reason"], {"tax": Decimal(0), "documents": 0})
        br["tax"] += sign * amt
        br["documents"] += 1
    return out


def as_dec(totals):
    """A report's not_collected_totals with Decimal amounts (comparable with list_totals)."""
    return {cur: {"tax": D(t["tax"]), "invoices": t["invoices"], "credit_memos": t["credit_memos"],
                  "by_reason": {k: {"tax": D(v["tax"]), "documents": v["documents"]}
                                for k, v in (t.get("by_reason") or {}).items()}}
            for cur, t in (totals or {}).items()}


def times(totals, n):
    return {cur: {"tax": t["tax"] * n, "invoices": t["invoices"] * n, "credit_memos": t["credit_memos"] * n,
                  "by_reason": {k: {"tax": v["tax"] * n, "documents": v["documents"] * n}
                                for k, v in t["by_reason"].items()}} for cur, t in totals.items()}


def filing_nc(js):
    return {cur: (D(t.get("not_collected_tax")), t.get("not_collected_documents"))
            for cur, t in ((js or {}).get("totals") or {}).items()}


def list_filing_nc(rows):
    out = {}
    for r in rows:
        if r["not_collected_tax"] in (None, ""):
            continue  # a failed calculation: listed, no amount (the summary counts amounts)
        tax, n = out.get(r["currency"], (Decimal(0), 0))
        out[r["currency"]] = (tax + (1 if r["type"] == "invoice" else -1) * D(r["not_collected_tax"]), n + 1)
    return out


def ask(env, path, what):
    import time
    runs = []
    for _ in range(3 if os.environ.get("LL_BENCH") else 1):
        t0 = time.monotonic()
        st, js, text, _ = env.L("GET", path, timeout=120)
        runs.append((st, (time.monotonic() - t0) * 1000, len(text)))
    if os.environ.get("LL_BENCH"):
        print("BENCH %s: %s" % (what, ", ".join("HTTP %s %.0f ms %d bytes" % r for r in runs)), flush=True)
    return st, js, text


def compare(env, what, n=None, small=None):
    """The report's not-collected sums against its whole list read one document at a time."""
    st, liab, text = ask(env, "/v1/reports/liability?from=%s&to=%s" % (FROM, TO), "liability, " + what)
    if not check("%s: the liability report answers 200 with the default budget" % what, st == 200, (st, text[:300])):
        return None
    rows = common.not_collected_all(env, liab, FROM, TO)
    got = as_dec(liab.get("not_collected_totals"))
    want = list_totals(rows)
    check("%s: not_collected_totals (per currency, type, reason) == its whole list's, one document at a time"
          % what, got == want, (got, want))
    check("%s: not_collected_count == the whole list (%d)" % (what, len(rows)),
          liab.get("not_collected_count") == len(rows), liab.get("not_collected_count"))
    check("%s: the first page is the list's first %d rows" % (what, len(liab["not_collected"])),
          liab["not_collected"] == rows[:len(liab["not_collected"])] and len(liab["not_collected"]) == min(100, len(rows)),
          len(liab["not_collected"]))
    check("%s: a next cursor exactly when the list is longer than the page" % what,
          bool(liab.get("not_collected_next_cursor")) == (len(rows) > 100), liab.get("not_collected_next_cursor"))
    if small is not None:
        check("%s: the totals are the small set's times %d" % (what, n), got == times(small, n), (got, small))
    st, summ, text = ask(env, "/v1/reports/filing?from=%s&to=%s" % (FROM, TO), "filing summary, " + what)
    check("%s: the filing summary answers 200 with the default budget" % what, st == 200, (st, text[:300]))
    check("%s: the filing summary's not-collected sums == the list's" % what,
          st == 200 and filing_nc(summ) == list_filing_nc(rows), (filing_nc(summ), list_filing_nc(rows)))
    return liab, rows, got


def csv_pages(env, limit, region=None):
    """The whole not-collected list as CSV a page at a time (as the Reports page downloads it),
    following X-Levy-Next-Cursor -> (every page 200, header lines seen, rows, pages, first error)."""
    rows, headers, pages, cursor, err = [], 0, 0, None, None
    while pages < 1000:
        q = "from=%s&to=%s&format=csv&limit=%d%s%s" % (FROM, TO, limit, "&region=" + region if region else "",
                                                      "&cursor=" + cursor if cursor else "")
        st, _, text, hd = env.L("GET", "/v1/reports/not-collected?" + q, timeout=120)
        pages += 1
        if st != 200:
            return False, headers, rows, pages, (st, text[:300])
        lines = text.splitlines()
        headers += sum(1 for ln in lines if ln.startswith("type,id,number,date,"))
        rows += list(csv.DictReader(io.StringIO(text)))
        cursor = {k.lower(): v for k, v in hd.items()}.get("x-levy-next-cursor")
        if not cursor:
            break
    return True, headers, rows, pages, err


def check_csv_pages(env, what, limit, rows, totals):
    ok, headers, got, pages, err = csv_pages(env, limit)
    check("%s: the CSV pages (limit %d) all answer 200" % (what, limit), ok, err)
    check("%s: the CSV pages hold every waiting document once, in the list's order (%d rows, %d pages)"
          % (what, len(rows), pages),
          [(r["type"], r["id"]) for r in got] == [(r["type"], r["id"]) for r in rows],
          (len(got), len(rows), pages))
    check("%s: one header per page, the same columns as the whole list plus the filing period" % what,
          headers == pages and (not got or list(got[0])[:13] == ["type", "id", "number", "date", "region", "currency",
                                                                  "status", "tax_status", "calculated_tax",
                                                                  "collected_tax", "not_collected_tax", "reason",
                                                                  "detail"]), (headers, pages))
    check("%s: the CSV pages' totals == the report's" % what, list_totals(got) == totals, list_totals(got))


def setup_states(env):
    """Gives the refused documents the other states the report has a reason for, and moves one
    region's collecting start inside a month with documents before and after it."""
    c = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=60)
    taxed = ("FROM invoices d JOIN rillet_calc_heads h ON h.calculation_id = d.calculation_id "
             "WHERE d.deleted = 0 AND d.tax_status = 'failed' AND h.has_result = 1 AND h.tax <> 0 "
             "AND d.region IN (%s)" % ",".join("'%s'" % r for r in REGIONS))
    try:
        # the region and month with the most refused taxed invoices on different days: they wait
        # for their write-back, and the region collects from the month's middle day with
        # documents (the earlier ones: not collecting)
        best = c.execute("SELECT d.region, substr(d.doc_date, 1, 7), count(DISTINCT d.doc_date) " + taxed +
                         " GROUP BY 1, 2 HAVING count(DISTINCT d.doc_date) >= 2 ORDER BY 3 DESC, 1, 2").fetchone()
        moved = None
        with c:
            if best:
                region, month = best[0], best[1]
                dates = [r[0] for r in c.execute("SELECT DISTINCT d.doc_date " + taxed +
                                                 " AND d.region = ? AND substr(d.doc_date, 1, 7) = ? ORDER BY 1",
                                                 (region, month))]
                start = dates[len(dates) // 2]
                c.execute("UPDATE invoices SET tax_status = 'calculated', status = 'UNPAID', reason = NULL, "
                          "reason_detail = NULL, last_error = NULL WHERE id IN (SELECT d.id " + taxed +
                          " AND d.region = ? AND substr(d.doc_date, 1, 7) = ?)", (region, month))
                c.execute("UPDATE regions SET effective_from = ? WHERE code = ?", (start, region))
                c.execute("UPDATE connection_regions SET effective_from = ? WHERE code = ?", (start, region))
                moved = (region, start)
            ids = [r[0] for r in c.execute("SELECT d.id " + taxed + " ORDER BY d.id")]
            for k, i in enumerate(ids):
                if k % 4 == 1:    # queued for write-back
                    c.execute("UPDATE invoices SET tax_status = 'calculated', status = 'UNPAID', reason = NULL, "
                              "reason_detail = NULL, last_error = NULL WHERE id = ?", (i,))
                elif k % 4 == 2:  # paid in Rillet before levy calculated
                    c.execute("UPDATE invoices SET tax_status = 'calculated', status = 'PAID', reason = NULL, "
                              "reason_detail = NULL WHERE id = ?", (i,))
                elif k % 4 == 3:  # a reason of the document's own
                    c.execute("UPDATE invoices SET tax_status = 'manual_tax_kept', reason = 'manual_tax_kept', "
                              "reason_detail = 'Rillet holds a manual tax' WHERE id = ?", (i,))
        return moved
    finally:
        c.close()


def clone(path, copies, listed):
    """Each listed not-collected document (`listed`: their ids) copied `copies` times: the
    document, its calculations and their figure rows."""
    c = sqlite3.connect(path, timeout=60)
    c.row_factory = sqlite3.Row
    n = 0
    # the kept not-collected candidates (rillet migration 0020: levy adds a document to them in
    # the transaction that makes it one; these copies bypass levy, so their rows come with them)
    kept = c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'rillet_nc_docs'").fetchone()[0]
    with c:
        for table, dtype in (("invoices", "invoice"), ("credit_memos", "credit_memo")):
            docs = [dict(r) for r in c.execute(
                "SELECT * FROM %s d WHERE deleted = 0 AND calculation_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM writebacks w WHERE w.doc_type = ? AND w.doc_id = d.id AND w.outcome = 'written')"
                % table, (dtype,))]
            for d in docs:
                if d["id"] not in listed:
                    continue
                cids = [r[0] for r in c.execute("SELECT id FROM calculations WHERE doc_id = ?", (d["id"],))]
                calcs = [dict(r) for r in c.execute("SELECT * FROM calculations WHERE doc_id = ?", (d["id"],))]
                figs = {t: [dict(r) for r in c.execute("SELECT * FROM %s WHERE calculation_id IN (%s)" %
                                                         (t, ",".join("?" * len(cids))), cids)]
                        for t in ("rillet_calc_heads", "rillet_calc_taxes", "rillet_calc_sales")}
                for k in range(1, copies + 1):
                    sfx = "_c%d" % k
                    cmap = {cid: cid + sfx for cid in cids}

                    def put(t, row, skip=()):
                        row = {a: (cmap.get(v, v) if isinstance(v, str) else v) for a, v in row.items() if a not in skip}
                        c.execute("INSERT INTO %s (%s) VALUES (%s)" % (t, ",".join(row), ",".join("?" * len(row))),
                                  list(row.values()))
                    put(table, dict(d, id=d["id"] + sfx, number=(d["number"] or "") + sfx))
                    if kept:
                        c.execute("INSERT INTO rillet_nc_docs(doc_type, doc_id, doc_date) SELECT doc_type, doc_id || ?, "
                                  "doc_date FROM rillet_nc_docs WHERE doc_type = ? AND doc_id = ?", (sfx, dtype, d["id"]))
                    for cal in calcs:
                        put("calculations", dict(cal, id=cal["id"] + sfx, doc_id=d["id"] + sfx))
                    for t, rows in figs.items():
                        for r in rows:
                            put(t, r, skip=("id",) if t != "rillet_calc_heads" else ())
                    n += 1
        # the not-collected sums kept per month (rillet migration 0023) of the months these
        # copies join: levy's writers make them stale (nc_docs.bump); these copies bypass levy
        if c.execute("SELECT count(*) FROM sqlite_master WHERE name = 'rillet_nc_memo'").fetchone()[0]:
            c.execute("DELETE FROM rillet_nc_memo")
    c.close()
    return n


def run(env):
    check("simulator seeded", wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 300, 0.3))
    # every write-back of tax refused: levy calculates, Rillet holds nothing
    st, _, text, _ = env.S("POST", "/_sim/faults", {"fail_next": 1000000, "status": 422, "path": "/taxes"})
    check("write-backs refused by the simulator", st in (200, 201, 204), (st, text[:200]))
    env.connect(regions=REGIONS)
    calc = ("rillet.import", "rillet.process_inbox", "rillet.calculate", "rillet.bulk", "rillet.writeback")

    def settled():
        busy = common.levy_busy(env)
        return busy is not None and not any(k.split("/")[0] in calc for k in busy)
    check("every document calculated and its write-back refused", wait_for(settled, 600, 0.5))
    common.stop(env.sim)
    moved = setup_states(env)
    check("a region's collecting start moved inside a month with documents on both sides", moved, moved)

    small = compare(env, "%d invoices" % N)
    if not small:
        return
    liab, rows, small_tot = small
    reasons = {r["reason"] for r in rows}
    check("the list names every reason set up (failed, write_pending, paid_before_calculation, "
          "manual_tax_kept, not_collecting)",
          {"failed", "write_pending", "paid_before_calculation", "manual_tax_kept", "not_collecting"} <= reasons,
          sorted(reasons))
    if moved:
        region, start = moved
        before = [r for r in rows if r["region"] == region and r["date"] < start and r["date"][:7] == start[:7]]
        after = [r for r in rows if r["region"] == region and r["date"] >= start and r["date"][:7] == start[:7]]
        check("in %s's month of %s: not collecting before, another reason from it" % (region, start),
              before and after and all(r["reason"] == "not_collecting" for r in before) and
              all(r["reason"] != "not_collecting" for r in after),
              ([(r["date"], r["reason"]) for r in before], [(r["date"], r["reason"]) for r in after]))
    st, _, text, _ = env.L("GET", "/v1/reports/liability?from=%s&to=%s&format=csv&section=not_collected" % (FROM, TO),
                           timeout=120)
    csv_rows = list(csv.DictReader(io.StringIO(text))) if st == 200 else []
    check("the CSV of the whole list (section=not_collected) has the same totals", st == 200 and
          list_totals(csv_rows) == small_tot, (st, text[:200]))
    check_csv_pages(env, "%d invoices" % N, 7, rows, small_tot)
    st, l3, text, _ = env.L("GET", "/v1/reports/liability?from=%s&to=%s&not_collected_limit=3" % (FROM, TO))
    check("not_collected_limit=3: the list's first 3 rows, a cursor, the same totals",
          st == 200 and l3["not_collected"] == rows[:3] and bool(l3["not_collected_next_cursor"]) and
          as_dec(l3["not_collected_totals"]) == small_tot and l3["not_collected_count"] == len(rows), (st, text[:300]))
    for region in sorted({r["region"] for r in rows if r["region"]})[:2]:
        st, lr, text, _ = env.L("GET", "/v1/reports/liability?from=%s&to=%s&region=%s" % (FROM, TO, region))
        want = list_totals([r for r in rows if r["region"] == region])
        check("region %s: its totals == its rows'" % region, st == 200 and as_dec(lr["not_collected_totals"]) == want,
              (st, text[:300]))

    n = clone(os.path.join(env.levy_dir, "levy.db"), COPIES, {r["id"] for r in rows})
    check("%d not-collected documents copied %d times" % (n // max(COPIES, 1), COPIES), n > 0, n)
    if os.environ.get("LL_KEEP"):  # a copy of the store for measuring the SQL (bench/README.md)
        k = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=60)
        k.execute("VACUUM INTO ?", (os.environ["LL_KEEP"],))
        k.close()
    big = compare(env, "%d not-collected documents" % (len(rows) * (COPIES + 1)), COPIES + 1, small_tot)
    if big:
        check("every copied document listed", big[0]["not_collected_count"] == len(rows) * (COPIES + 1),
              big[0]["not_collected_count"])
        what = "%d not-collected documents" % len(big[1])
        check_csv_pages(env, what, 500, big[1], big[2])
        # the whole list in one answer: refused with the paged way named, not a 500 after the
        # budget (every document decided in one request)
        st, js, text, _ = env.L("GET", "/v1/reports/liability?from=%s&to=%s&format=csv&section=not_collected"
                                % (FROM, TO), timeout=120)
        msg = ((js or {}).get("error") or {})
        check("%s: the whole-list CSV (section=not_collected) answers 422 naming the paged CSV, not 500" % what,
              st == 422 and "not-collected?format=csv" in text and str(len(big[1])) in text, (st, text[:300]))
        check("%s: ... with an error code and message" % what, bool(msg.get("code")) and bool(msg.get("message")), msg)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
