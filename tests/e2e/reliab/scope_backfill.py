#!/usr/bin/env python3
"""Back-taxing older documents is an explicit action (issue 16): POST
/v1/connections/{id}/backfill first answers a preview (how many documents, how much tax) and
writes nothing; with ?confirm=true the documents of the range are written by the low-priority
rillet.backfill job, while paid documents, tax typed by hand and documents outside the range
stay untouched.

Usage: scope_backfill.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20000]
"""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
IRVINE = {"line1": "1 Park Plaza", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"}
TODAY = datetime.datetime.now(datetime.timezone.utc).date()


def day(delta):
    return (TODAY + datetime.timedelta(days=delta)).isoformat()


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-backfill-", BASE_PORT, invoices=2)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        S = env.S
        cust = S("GET", "/customers?limit=5")[1]["customers"][0]["id"]
        prod = next(p for p in S("GET", "/products?limit=100")[1]["products"] if p["name"] == "Edge router")
        sub = next(s for s in S("GET", "/subsidiaries")[1]["subsidiaries"] if s["currency"] == "USD")

        def invoice(date, amount):
            st, inv, text, _ = S("POST", "/invoices", {
                "customer_id": cust, "subsidiary_id": sub["id"], "invoice_date": date, "shipping_address": IRVINE,
                "items": [{"description": "widget", "price": {"product_id": prod["id"], "quantity": 1,
                                                             "amount_per_unit": {"amount": amount, "currency": "USD"}}}]})
            if st != 200:
                raise RuntimeError("invoice: %s %s" % (st, text))
            return inv

        a = invoice(day(-90), "1000.00")
        b = invoice(day(-60), "2000.00")
        too_old = invoice(day(-400), "500.00")           # outside the backfill range
        paid = invoice(day(-80), "700.00")
        S("POST", "/invoices/%s/payments" % paid["id"], {"amount": paid["amount_due"], "date": day(-70),
                                                         "account_code": "1010"})
        manual = invoice(day(-75), "300.00")
        common.req("POST", env.sim_url + "/_sim/invoices/%s/manual-tax" % manual["id"], {"percentage": "10"})
        env.connect(regions=("US-CA",), tax_from=None)

        def doc(id_):
            st, d, _, _ = env.L("GET", "/v1/invoices/" + id_)
            return d if st == 200 else None

        def reason_is(id_, want):
            return common.wait_for(lambda: (lambda d: d if d and d.get("reason") == want else None)(doc(id_)), 60, 0.3)

        for inv in (a, b, too_old):
            check("before the backfill: %s outside_window" % inv["invoice_date"], reason_is(inv["id"], "outside_window"),
                  doc(inv["id"]))
        levy_a, levy_b = doc(a["id"])["levy_tax"], doc(b["id"])["levy_tax"]

        path = "/v1/connections/%s/backfill" % env.cid
        st, js, text, _ = env.L("POST", path, {"from": day(-200), "to": day(-1)})
        want_tax = "%.2f" % (float(levy_a) + float(levy_b))
        check("preview: 200, 2 documents, the tax levy would write",
              st == 200 and js.get("status") == "preview" and js.get("documents") == 2
              and js.get("tax", {}).get("USD") == want_tax, text[:400])
        check("preview names what it leaves out (paid, manual tax)",
              st == 200 and js["excluded"].get("paid_before_calculation") == 1
              and js["excluded"].get("manual_tax_kept") == 1, text[:400])
        tw = {}
        for inv in (a, b):
            tw[inv["id"]] = common.req("GET", env.sim_url + "/_sim/invoices/%s/tax-detail" % inv["id"])[1]["tax_writes"]
        check("preview writes nothing", all(v == 0 for v in tw.values()), tw)
        st, js, text, _ = env.L("POST", path, {"from": day(-1), "to": day(-200)})
        check("a reversed range -> 422 naming the field", st == 422 and js["error"]["details"][0]["field"] == "to", text[:300])
        st, js, text, _ = env.L("POST", path, {"from": "2026-02-30", "to": day(-1)})
        check("an invalid date -> 422", st == 422, text[:300])

        st, js, text, _ = env.L("POST", path + "?confirm=true", {"from": day(-200), "to": day(-1)})
        check("confirm: 202 queued with the backfill id", st == 202 and js.get("status") == "queued"
              and js.get("backfill_id", "").startswith("bf_") and js.get("documents") == 2, text[:300])
        for inv in (a, b):
            d = reason_is(inv["id"], "written")
            si = S("GET", "/invoices/" + inv["id"])[1]
            check("backfill wrote %s" % inv["invoice_date"], d and si["taxed_amount"]["amount"] == d["levy_tax"],
                  (d and d["levy_tax"], si["taxed_amount"]))
        done = common.wait_for(lambda: (lambda r: r[1] if r[0] == 200 and r[1]["data"]
                                        and r[1]["data"][0]["state"] == "done" else None)(env.L("GET", path)), 60, 0.3)
        # 3 re-evaluated: the two written and the hand-taxed one (still manual_tax_kept, below)
        check("GET backfill: done, 3 re-evaluated", done and done["data"][0]["queued"] == 3, done)
        for inv, want in ((too_old, "outside_window"), (paid, "paid_before_calculation"), (manual, "manual_tax_kept")):
            d = doc(inv["id"])
            td = common.req("GET", env.sim_url + "/_sim/invoices/%s/tax-detail" % inv["id"])[1]
            check("after the backfill: %s still %s, not written" % (inv["invoice_date"], want),
                  d and d.get("reason") in (want, "not_collecting") and td["tax_writes"] == 0,
                  (d and d.get("reason"), td["tax_writes"]))
    except Exception as e:  # a crash is a failure, not a pass
        import traceback
        traceback.print_exc()
        check("no exception", False, repr(e))
    finally:
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
