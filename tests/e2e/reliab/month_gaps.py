#!/usr/bin/env python3
"""Issue 16: the gaps "a month of Rillet" (month.py) found, one focused case each, against the
simulator with deliveries to levy (each case failed on the base commit):

 A. a deletion levy never heard of (DELETED delivery dropped) of a document levy did not write
    (tax typed by hand, `manual_tax_kept`): the reconciliation lists Rillet's documents, GETs
    the one missing from the listing, gets 404 and marks it `deleted` with a reconciliation
    row (before: only documents levy wrote were checked; it stayed `manual_tax_kept`).
 B. a credit memo whose only delivery (CREATED) was dropped: the reconciliation's listing
    imports it and lists it (action "imported, calculation queued").
 C. writes against stale line ids: invoice X is edited twice while levy is down; the first
    edit's delivery reaches levy after its restart, the second's was dropped. levy writes the
    first edit's lines, Rillet answers 400 "not a line of this document"; levy re-reads X with
    GET, recalculates the current content and writes it (before: `failed`).
 D. a write that gets 404: invoice X2 is edited, then deleted (DELETED dropped) while levy is
    down; the write of the edit gets 404 and X2 becomes `deleted` (before: `failed`).
 E. a paid invoice levy wrote, then edited (the full-replace update clears its tax): status and
    reason agree; never `written` while Rillet does not hold levy's tax (before: tax_status
    `written` with reason `paid_before_calculation`, Rillet holding 0.00). After a
    reconciliation it is flagged `drift`.
 G. a sweep whose products and invoices fill a job run's pages exactly (1 + 2 of 3): the
    continuation run listed the completed entities again and never reached the credit memos (a
    credit memo with its CREATED delivery lost was never imported).
 F. a document dated in a books period closed a moment ago: levy read the period for another
    document of the same month seconds before the close; a document of that month created
    right after the close is not written (reason `closed_period`, Rillet holds 0.00; before:
    written within the one-minute cache).

Usage: month_gaps.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20045]
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
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20045

EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
PREV_END = TODAY.replace(day=1) - datetime.timedelta(days=1)     # last day of the previous month
PREV_DAY = PREV_END.replace(day=10)


def zero(a):
    return a in (None, "0", "0.00")


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-monthgaps-", BASE_PORT, invoices=4)
    env.levy_env = {"LEVY_RILLET_RATE_LIMIT": "0"}
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        st, _, text, _ = env.S("POST", "/_sim/config", {"retry_attempt_ms": [200, 500],
                                                        "retry_group_ms": [1000, 2000, 4000, 8000]})
        check("simulator retries shortened", st == 200, text)
        regions, info = common.us_regions(env)
        check("levy lists US regions", regions, info)
        env.connect(regions=regions, events=EVENTS)
        custs = env.S("GET", "/customers?limit=100")[1]["customers"]
        # customers shipped to in a state with sales tax, products taxable there: every document
        # of the cases carries tax (asked of levy's own /v1/calculate)
        def ship(c):
            a = c.get("shipping_address") or c.get("address") or {}
            return a if a.get("country") == "US" else None

        def taxed(addr, pid):
            st, res, _, _ = env.L("POST", "/v1/calculate", {
                "currency": "USD", "date": str(TODAY), "customer": {"id": "probe"}, "ship_to": addr,
                "lines": [{"id": "l1", "amount": "100.00", "quantity": "1", "product_id": pid}]})
            return st == 200 and not zero(res.get("total_tax"))
        cands = sorted((c for c in custs if ship(c)), key=lambda c: c["id"])
        prods = env.S("GET", "/products?limit=100")[1]["products"]
        pids = sorted(p["id"] for p in prods
                      if ((p.get("price") or {}).get("amount") or {}).get("currency", "USD") == "USD")
        customers = [c["id"] for c in cands if taxed(ship(c), pids[0])][:4]
        first = next(c for c in cands if c["id"] == customers[0]) if customers else {}
        products = [p for p in pids if taxed(ship(first), p)][:3] if first else []
        if not check("taxable customers and products found", len(customers) >= 2 and len(products) >= 2,
                     (customers, products)):
            return
        sub = env.sub["id"]
        n = [0]

        def items(k=0, qty=2):
            return [{"description": "item %d" % i, "price": {"product_id": products[(k + i) % len(products)],
                                                             "quantity": qty + i,
                                                             "amount_per_unit": {"amount": "%d.00" % (100 + 7 * k + i),
                                                                                 "currency": "USD"}}}
                    for i in range(2)]

        def create(date, drop=False, k=None):
            n[0] += 1
            k = n[0] if k is None else k
            if drop:
                env.S("POST", "/_sim/faults", {"drop": 1})
            st, inv, text, _ = env.S("POST", "/invoices", {"customer_id": customers[k % len(customers)],
                                                           "subsidiary_id": sub, "invoice_date": str(date),
                                                           "items": items(k)})
            if st != 200:
                raise RuntimeError("create invoice: %s %s" % (st, text[:300]))
            return inv

        def edit(inv, qty, drop=False):
            if drop:
                env.S("POST", "/_sim/faults", {"drop": 1})
            st, new, text, _ = env.S("PUT", "/invoices/" + inv["id"], {
                "customer_id": inv["customer_id"], "subsidiary_id": sub, "invoice_date": inv["invoice_date"],
                "items": items(qty, qty)})
            if st != 200:
                raise RuntimeError("edit invoice: %s %s" % (st, text[:300]))
            return new

        def L(kind, did):
            st, d, _, _ = env.L("GET", "/v1/%s/%s" % ("invoices" if kind == "invoice" else "credit-memos", did))
            return d if st == 200 else None

        def R(kind, did):
            st, d, _, _ = env.S("GET", "/%s/%s" % ("invoices" if kind == "invoice" else "credit-memos", did))
            return d if st == 200 else None

        def settled(kind, did, pred=None):
            """levy holds Rillet's current version of the document, with a reason (or deleted)."""
            def f():
                r, d = R(kind, did), L(kind, did)
                if not d or d.get("tax_status") in ("pending",):
                    return None
                if r is None:
                    return d if d.get("tax_status") == "deleted" and (pred is None or pred(d, r)) else None
                if d.get("updated_at") != r.get("updated_at") or d.get("reason") is None:
                    return None
                if d.get("tax_status") == "calculated" and d.get("reason") in (None, "written"):
                    return None
                return d if pred is None or pred(d, r) else None
            return f

        def holds(d, r):
            """Rillet holds levy's tax for its current content and levy says written."""
            return d["tax_status"] == "written" and r and r["taxed_amount"]["amount"] == d.get("levy_tax") and \
                not zero(d.get("levy_tax"))

        def quiet():
            return not env.S("GET", "/_sim/deliveries?state=pending&limit=5")[1]["deliveries"]

        # four invoices of this month, written by levy (tax on each)
        base = [create(TODAY) for _ in range(4)]
        ok = all(common.wait_for(settled("invoice", i["id"], lambda d, r: holds(d, r)), 90, 0.3) for i in base)
        check("four new invoices written by levy", ok, [L("invoice", i["id"]) for i in base])
        common.wait_for(quiet, 60, 0.2)
        x, x2, x3 = base[0], base[1], base[2]

        # E. paid, then edited (full replace clears its tax)
        r3 = R("invoice", x3["id"])
        st, _, text, _ = env.S("POST", "/invoices/%s/payments" % x3["id"], {
            "amount": r3["amount_due"], "date": str(TODAY), "account_code": "1010"})
        check("E: invoice paid in full", st == 200 and R("invoice", x3["id"])["status"] == "PAID", text[:200])
        e3 = edit(x3, 1)  # smaller: still paid in full
        check("E: the paid invoice edited in Rillet (its tax cleared, still PAID)",
              zero(e3["taxed_amount"]["amount"]) and e3["status"] == "PAID", (e3["status"], e3["taxed_amount"]))
        d3 = common.wait_for(settled("invoice", x3["id"]), 90, 0.3)
        check("E: levy has the edit", d3, L("invoice", x3["id"]))
        d3 = L("invoice", x3["id"]) or {}
        r3 = R("invoice", x3["id"])
        check("E: the edited paid invoice is not `written` while Rillet holds %s and levy says %s" % (
              r3["taxed_amount"]["amount"], d3.get("levy_tax")),
              d3.get("tax_status") != "written" or r3["taxed_amount"]["amount"] == d3.get("levy_tax"),
              (d3.get("tax_status"), d3.get("reason"), d3.get("levy_tax")))
        check("E: status and reason agree (paid_before_calculation is not written)",
              not (d3.get("reason") == "paid_before_calculation" and d3.get("tax_status") == "written"),
              (d3.get("tax_status"), d3.get("reason")))
        check("E: Rillet still holds no tax on the paid invoice (levy does not write paid invoices)",
              zero(r3["taxed_amount"]["amount"]), r3["taxed_amount"])

        # C + D. edits while levy is down; the later change's delivery dropped
        env.kill_levy()
        v1 = edit(x, 7)                       # delivered after the restart
        edit(x2, 8)                           # delivered after the restart
        v2 = edit(x, 9, drop=True)            # dropped: levy holds v1's lines when it writes
        env.S("POST", "/_sim/faults", {"drop": 1})
        st, _, text, _ = env.S("DELETE", "/invoices/" + x2["id"])
        check("C/D: while levy was down, X edited twice (2nd delivery dropped), X2 edited then deleted "
              "(DELETED dropped)", st == 204 and v1["items"][0]["id"] != v2["items"][0]["id"], text[:200])
        check("levy restarts", env.start_levy(60))
        dx = common.wait_for(settled("invoice", x["id"], lambda d, r: holds(d, r)), 120, 0.5)
        check("C: the write against the first edit's lines (400 'not a line of this document') is not "
              "`failed`: levy re-read X, calculated its current lines and wrote them",
              dx, (L("invoice", x["id"]) or {}).get("history", [])[-4:])
        dx2 = common.wait_for(lambda: (L("invoice", x2["id"]) or {}).get("tax_status") == "deleted", 120, 0.5)
        d = L("invoice", x2["id"]) or {}
        check("D: the write to the deleted X2 got 404: X2 is `deleted` (not `failed`)", dx2,
              (d.get("tax_status"), d.get("reason"), d.get("history", [])[-3:]))

        # G. a sweep whose products and invoices take exactly one job run's pages (1 + 2 of 3):
        # a credit memo whose only delivery was lost must still be swept
        for _ in range(105):
            create(TODAY)
        env.S("POST", "/_sim/faults", {"drop": 1})
        st, cm0, text, _ = env.S("POST", "/credit-memos", {
            "customer_id": customers[1], "subsidiary_id": sub, "credit_memo_date": str(TODAY),
            "items": [{"description": "credit", "price": {"product_id": products[0], "quantity": 1,
                                                          "amount_per_unit": {"amount": "15.00", "currency": "USD"}}}]})
        check("G: 105 more invoices, and a credit memo created with its CREATED delivery dropped", st == 200, text[:200])
        common.wait_for(quiet, 120, 0.3)
        st, _, text, _ = env.L("POST", "/v1/connections/%s/sync" % env.cid)
        check("G: POST /v1/connections/{id}/sync -> 202", st == 202, text)
        dm0 = common.wait_for(lambda: L("credit_memo", cm0["id"]), 90, 0.5)
        check("G: the sweep (products, 2 pages of invoices, then credit memos over two job runs) imported the "
              "credit memo", dm0, "")

        # A. a hand-taxed invoice levy left alone, deleted with the DELETED delivery dropped
        y = create(TODAY, drop=True)
        st, _, text, _ = env.S("POST", "/_sim/invoices/%s/manual-tax" % y["id"], {"percentage": "10"})
        check("A: invoice taxed by hand in Rillet", st == 200, text[:200])
        dy = common.wait_for(settled("invoice", y["id"], lambda d, r: d.get("reason") == "manual_tax_kept"), 90, 0.3)
        check("A: levy keeps the hand-typed tax (manual_tax_kept)", dy, L("invoice", y["id"]))
        env.S("POST", "/_sim/faults", {"drop": 1})
        st, _, text, _ = env.S("DELETE", "/invoices/" + y["id"])
        check("A: the invoice deleted in Rillet (DELETED delivery dropped)", st == 204, text[:200])

        # B. a credit memo whose only delivery was dropped
        env.S("POST", "/_sim/faults", {"drop": 1})
        st, cm, text, _ = env.S("POST", "/credit-memos", {
            "customer_id": customers[0], "subsidiary_id": sub, "credit_memo_date": str(TODAY),
            "items": [{"description": "credit", "price": {"product_id": products[0], "quantity": 1,
                                                          "amount_per_unit": {"amount": "25.00", "currency": "USD"}}}]})
        check("B: credit memo created (CREATED delivery dropped)", st == 200, text[:200])
        common.wait_for(quiet, 60, 0.2)
        check("A/B: levy has not heard of either", (L("invoice", y["id"]) or {}).get("tax_status") != "deleted"
              and L("credit_memo", cm["id"]) is None, "")

        st, _, text, _ = env.L("POST", "/v1/connections/%s/reconcile" % env.cid)
        check("POST /v1/connections/{id}/reconcile -> 202", st == 202, text)

        def run_done():
            s, js, _, _ = env.L("GET", "/v1/reconciliation?connection_id=" + env.cid)
            runs = (js or {}).get("runs") or []
            return js if s == 200 and runs and runs[0]["state"] == "done" else None
        rec = common.wait_for(run_done, 180, 0.5)
        check("the reconciliation run finished", rec, env.L("GET", "/v1/reconciliation?connection_id=" + env.cid)[1])
        rec = rec or {"data": [], "runs": [{}]}
        rows = {(r["document_id"], r["action"]) for r in rec["data"]}
        d = L("invoice", y["id"]) or {}
        check("A: the hand-taxed invoice deleted in Rillet is `deleted` in levy", d.get("tax_status") == "deleted",
              (d.get("tax_status"), d.get("reason")))
        check("A: GET /v1/reconciliation lists it (marked deleted)", (y["id"], "marked deleted") in rows, rec["data"][:5])
        dm = common.wait_for(lambda: L("credit_memo", cm["id"]), 30, 0.3)
        check("B: the credit memo no delivery announced is in levy", dm, "")
        check("B: GET /v1/reconciliation lists it (imported)",
              (cm["id"], "imported, calculation queued") in rows, rec["data"][:5])
        check("the run reports its listing (listed >= 6)", (rec["runs"][0].get("listed") or 0) >= 6, rec["runs"][:1])
        d3 = common.wait_for(lambda: (lambda d: d if d.get("tax_status") == "drift" else None)(L("invoice", x3["id"]) or {}),
                             30, 0.3)
        check("E: after the reconciliation the paid invoice is flagged drift (Rillet holds 0.00, levy wrote tax)",
              d3 and d3.get("reason") == "drift", (L("invoice", x3["id"]) or {}).get("reason"))

        # F. a period closed a moment ago
        p1 = create(PREV_DAY)
        dp1 = common.wait_for(settled("invoice", p1["id"], lambda d, r: holds(d, r)), 90, 0.3)
        check("F: an invoice of last month written (levy read the books: none closed)", dp1, L("invoice", p1["id"]))
        st, _, text, _ = env.S("POST", "/_sim/books", {"close_through": str(PREV_END)})
        check("F: books closed through %s" % PREV_END, st == 200, text[:200])
        p2 = create(PREV_DAY + datetime.timedelta(days=1))
        dp2 = common.wait_for(settled("invoice", p2["id"]), 90, 0.3)
        r2 = R("invoice", p2["id"])
        check("F: an invoice of the closed month created right after the close is not written "
              "(closed_period; Rillet holds %s)" % r2["taxed_amount"]["amount"],
              dp2 and dp2.get("reason") == "closed_period" and zero(r2["taxed_amount"]["amount"]),
              (dp2 or {}).get("reason"))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
