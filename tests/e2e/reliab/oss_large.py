#!/usr/bin/env python3
"""Issue 20 (OSS at scale): the OSS return summed from the figure rows in SQL answers exactly
what decoding every written document's result answers, on a few thousand EU documents.

Usage: oss_large.py LEVY_BINARY SOURCE_DIR [BASE_PORT=32240]   (env OSS_COPIES, default 600)

Builds oss_report.py's quarter (EUR and USD invoices to DE and FR, a USD credit memo, the ECB
file imported), then copies each of its five written documents OSS_COPIES times in levy's store
(the document, its calculations with their figure rows, its write-backs: what a real import,
calculation and write-back would have left), so 5 * (OSS_COPIES + 1) documents. Asserts:
 1. per line and currency the report's sums are the small quarter's times OSS_COPIES + 1, the
    document counts too, and each EUR figure is that exact sum converted once at the rate,
    half away from zero (computed here with fractions);
 2. the same report with one copied invoice's currency column emptied (its result still names
    the currency: the figure rows cannot stand for it, so levy decodes every result, the path
    before issue 20's OSS change) is equal, line for line, JSON and CSV.
OSS_BENCH=1: each answer asked three times, wall times printed, levy under its default budget
(bench/README.md). No timing assertion.
"""
import os
import sqlite3
import sys
import time
from fractions import Fraction

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if len(sys.argv) < 4:
    sys.argv += [None] * (4 - len(sys.argv))
    sys.argv[3] = sys.argv[3] or "32240"
import common  # noqa: E402
from common import check  # noqa: E402
import oss_report  # noqa: E402

COPIES = int(os.environ.get("OSS_COPIES", "600"))


def minor(s):
    return int(s.replace(".", "").replace("-", "")) * (-1 if s.startswith("-") else 1)


def fmt(n):
    sign = "-" if n < 0 else ""
    n = abs(n)
    return "%s%d.%02d" % (sign, n // 100, n % 100)


def to_eur(m, rate):
    if rate is None:
        return m
    q = Fraction(m) / Fraction(rate)
    a = abs(q)
    r = int(a) + (1 if a - int(a) >= Fraction(1, 2) else 0)
    return r if q >= 0 else -r


def clone(path, copies):
    c = sqlite3.connect(path, timeout=60)
    c.row_factory = sqlite3.Row
    with c:
        for table, dtype in (("invoices", "invoice"), ("credit_memos", "credit_memo")):
            docs = [dict(r) for r in c.execute("SELECT * FROM %s WHERE doc_date >= '2026-07-01' AND "
                                               "doc_date <= '2026-09-30' AND deleted = 0" % table)]
            for d in docs:
                wbs = [dict(r) for r in c.execute("SELECT * FROM writebacks WHERE doc_type = ? AND doc_id = ? "
                                                  "ORDER BY id", (dtype, d["id"]))]
                cids = sorted({w["calculation_id"] for w in wbs if w["calculation_id"]} |
                              {r[0] for r in c.execute("SELECT id FROM calculations WHERE doc_id = ?", (d["id"],))})
                calcs = [dict(r) for r in c.execute("SELECT * FROM calculations WHERE id IN (%s)" %
                                                    ",".join("?" * len(cids)), cids)]
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
                    nd = dict(d, id=d["id"] + sfx)
                    put(table, nd)
                    for cal in calcs:
                        put("calculations", dict(cal, id=cal["id"] + sfx, doc_id=nd["id"]))
                    for t, rows in figs.items():
                        for r in rows:
                            put(t, r, skip=("id",) if t != "rillet_calc_heads" else ())
                    for w in wbs:
                        put("writebacks", dict(w, doc_id=nd["id"]), skip=("id",))
    c.close()


def timed(env, path, what):
    runs = []
    for _ in range(3 if os.environ.get("OSS_BENCH") else 1):
        t0 = time.monotonic()
        st, js, text, _ = env.L("GET", path)
        runs.append(((time.monotonic() - t0) * 1000, st))
    if os.environ.get("OSS_BENCH"):
        print("BENCH %s: %s" % (what, ", ".join("HTTP %s %.0f ms" % (s, ms) for ms, s in runs)), flush=True)
    return st, js, text


def run(env):
    oss_report.run(env)
    st, small, text = timed(env, "/v1/reports/oss?period=2026-Q3", "5 documents")
    if not check("the small quarter's report (200)", st == 200 and small, (st, text[:300])):
        return
    clone(os.path.join(env.levy_dir, "levy.db"), COPIES)
    n = COPIES + 1
    st, big, text = timed(env, "/v1/reports/oss?period=2026-Q3", "%d documents, figure rows summed in SQL" % (5 * n))
    if not check("OSS report over %d documents (200)" % (5 * n), st == 200 and big, (st, text[:300])):
        return
    rates = {r["currency"]: r["rate"] for r in big.get("fx_rates") or []}
    want = {}
    for line in small["data"]:
        by, tt, tv = [], 0, 0
        for cb in line["by_currency"]:
            t, v = minor(cb["taxable_amount"]) * n, minor(cb["vat"]) * n
            te, ve = to_eur(t, rates.get(cb["currency"])), to_eur(v, rates.get(cb["currency"]))
            tt, tv = tt + te, tv + ve
            by.append(dict(cb, taxable_amount=fmt(t), vat=fmt(v), taxable_amount_eur=fmt(te), vat_eur=fmt(ve)))
        want[(line["member_state"], line["rate"])] = dict(
            line, by_currency=by, taxable_amount=fmt(tt), vat=fmt(tv), documents=line["documents"] * n,
            invoices=line["invoices"] * n, credit_memos=line["credit_memos"] * n)
    got = {(x["member_state"], x["rate"]): x for x in big["data"]}
    check("every line: the small quarter's exact sums times %d, converted once, documents times %d" % (n, n),
          got == want, (got, want))
    check("totals: %d documents" % (5 * n), big["totals"]["documents"] == 5 * n, big["totals"])
    st, _, csv_sql, _ = env.L("GET", "/v1/reports/oss?period=2026-Q3&format=csv")
    # 2. the decoding path: one copy's currency column emptied (its result still names USD)
    c = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"), timeout=20)
    inv = c.execute("SELECT id FROM invoices WHERE currency = 'USD' AND id LIKE '%_c1' ORDER BY id").fetchone()[0]
    c.close()
    check("one copy's currency column emptied", env.live_exec("UPDATE invoices SET currency = NULL WHERE id = ?",
                                                              inv) == 1)
    st, dec, text = timed(env, "/v1/reports/oss?period=2026-Q3", "%d documents, every result decoded" % (5 * n))
    check("decoding every result answers 200", st == 200 and dec, (st, text[:300]))
    check("the SQL sums equal the decoded results' line for line (JSON)", dec == big,
          [(a, b) for a, b in zip((dec or {}).get("data") or [], big["data"]) if a != b][:2])
    st, _, csv_dec, _ = env.L("GET", "/v1/reports/oss?period=2026-Q3&format=csv")
    check("... and CSV", st == 200 and csv_dec == csv_sql, csv_dec[:300])


def main():
    env = common.new_env(oss_report.LEVY, oss_report.SRC, "levy-reliab-osslarge-", int(sys.argv[3]), invoices=4)
    if not os.environ.get("OSS_BENCH"):
        # the decoding path (2.) reads thousands of results: over the default budget on a busy
        # machine, which is what the SQL sums are for; this test compares answers, not times
        env.levy_env = {"LEVY_LUA_TIME_MS": "60000"}
    with common.running(env):
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
