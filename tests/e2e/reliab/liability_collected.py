#!/usr/bin/env python3
"""Issue 16, case 5: the liability report is what Rillet holds.

Usage: liability_collected.py LEVY_BINARY SOURCE_DIR [BASE_PORT]

levy serve + levy sim on loopback. Before levy connects, the simulator gets CA invoices
(unpaid: levy writes their tax), a CA invoice paid in full (levy calculates its tax but never
writes it), a CA credit memo (written: it reduces the tax collected), a
TX invoice (region not subscribed: no tax), and an older CA invoice outside the window.
No credit memo is applied to an invoice: a partially credited invoice is outside levy's
default tax scope, which is not what this test is about.
Asserts:
 1. the paid invoice is listed under "calculated, not collected" with reason
    paid_before_calculation and is not in the collected rows or totals;
 2. moving US-CA's effective_from after the documents' dates, and then unsubscribing US-CA,
    leaves the collected tax unchanged (Rillet still holds what levy wrote);
 3. at each step the report's collected total equals, to the cent, the sum of the
    taxed_amount the simulator holds on the documents dated in the window (invoices minus
    credit memos), read from the simulator's API;
 4. the CSV (collected rows, and section=not_collected) agrees with the JSON totals and rows;
 5. a write-back Rillet refuses (read-only key: 403) is listed with reason `failed` and
    Rillet's answer as the detail, and nothing is collected.
"""
import csv
import datetime
import io
import sys
from decimal import Decimal

import common
from common import check, wait_for

LEVY, SRC = sys.argv[1], sys.argv[2]
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20020

ADDR = {"CA": ("Irvine", "92614"), "TX": ("Austin", "78701")}


def addr(state):
    city, z = ADDR[state]
    return {"line1": "100 Main St", "city": city, "state": state, "zip_code": z, "country": "US"}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-liability-", BASE_PORT, invoices=0)
    try:
        if check("simulator starts", env.start_sim()) and check("levy starts", env.start_levy()):
            run(env)
            failed_write(LEVY, SRC, env.levy_port + 1)
    except Exception:
        import traceback
        traceback.print_exc()
        check("no exception", False)
    finally:
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(env.tmp + "/levy.log"))
        sys.exit(common.finish(env))


def run(env):
    wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 60, 0.3)
    st, js, text, _ = env.S("GET", "/subsidiaries")
    usd = next((s for s in (js or {}).get("subsidiaries") or [] if s.get("currency") == "USD"), None)
    st, js, _, _ = env.S("GET", "/customers?limit=10")
    customer = ((js or {}).get("customers") or [{}])[0].get("id")
    st, js, _, _ = env.S("GET", "/products?limit=100")
    product = next((p["id"] for p in (js or {}).get("products") or [] if p.get("name") == "Edge router"), None)
    if not check("simulator has a USD subsidiary, a customer and a product", usd and customer and product,
                 (usd, customer, product)):
        return
    today = datetime.datetime.now(datetime.timezone.utc).date()
    D = datetime.timedelta

    def invoice(state, date, amount):
        st, js, text, _ = env.S("POST", "/invoices", {
            "customer_id": customer, "subsidiary_id": usd["id"], "invoice_date": date.isoformat(),
            "shipping_address": addr(state),
            "items": [{"description": "router", "price": {"product_id": product, "quantity": 1,
                       "amount_per_unit": {"amount": amount, "currency": "USD"}}}]})
        if st not in (200, 201):
            raise RuntimeError("sim invoice: %s %s" % (st, text[:300]))
        return js

    ca1 = invoice("CA", today - D(days=5), "1000.00")
    ca2 = invoice("CA", today - D(days=3), "250.55")
    paid = invoice("CA", today - D(days=4), "500.00")
    st, _, text, _ = env.S("POST", "/invoices/%s/payments" % paid["id"], {
        "amount": paid["amount_due"], "date": today.isoformat(), "account_code": "1000"})
    check("paid invoice paid in full in Rillet before levy connects", st == 200, text)
    tx = invoice("TX", today - D(days=2), "300.00")
    old = invoice("CA", today - D(days=60), "700.00")
    st, memo, text, _ = env.S("POST", "/credit-memos", {
        "customer_id": customer, "subsidiary_id": usd["id"], "credit_memo_date": (today - D(days=1)).isoformat(),
        "address": addr("CA"),
        "items": [{"description": "refund", "price": {"product_id": product, "quantity": 1,
                   "amount_per_unit": {"amount": "100.00", "currency": "USD"}}}]})
    check("credit memo created", st in (200, 201), text)

    env.connect(regions=("US-CA",))

    # (`old`, outside the window, is not waited for: whether levy writes a document dated
    # before the connection depends on the connection's tax scope, not on this report)
    written = {"invoices": [ca1["id"], ca2["id"]], "credit-memos": [memo["id"]]}

    def doc(kind, i):
        st, js, _, _ = env.L("GET", "/v1/%s/%s" % (kind, i))
        return js if st == 200 else None

    def all_written():
        out = {}
        for kind, ids in written.items():
            for i in ids:
                d = doc(kind, i)
                if not d or d.get("tax_status") != "written":
                    return None
                out[i] = d
        p = doc("invoices", paid["id"])
        t = doc("invoices", tx["id"])
        if not p or p.get("tax_status") != "calculated" or not t or t.get("tax_status") != "not_collecting":
            return None
        out[paid["id"]], out[tx["id"]] = p, t
        return out
    docs = wait_for(all_written, 180, 0.5)
    if not check("levy writes the CA documents, calculates the paid one, TX not collecting", docs,
                 [(k, (doc(k, i) or {}).get("tax_status")) for k in ("invoices", "credit-memos")
                  for i in written.get(k, [])] + [("paid", (doc("invoices", paid["id"]) or {}).get("tax_status"))]):
        return
    paid_tax = Decimal(docs[paid["id"]]["levy_tax"])
    check("the paid invoice has tax calculated (> 0) that Rillet does not hold",
          paid_tax > 0 and Decimal(docs[paid["id"]]["rillet_taxed_amount"]) == 0, docs[paid["id"]])

    frm, to = (today - D(days=30)).isoformat(), today.isoformat()

    def sim_sum():
        """Σ taxed_amount Rillet holds on the USD documents dated in [frm, to]: invoices minus
        credit memos (what the report must show as collected)."""
        total = Decimal(0)
        for path, key, date_f, sign in (("/invoices", "invoices", "invoice_date", 1),
                                        ("/credit-memos", "credit_memos", "credit_memo_date", -1)):
            cursor = None
            while True:
                st, js, text, _ = env.S("GET", "%s?subsidiary_id=%s&limit=100%s" %
                                        (path, usd["id"], "&cursor=" + cursor if cursor else ""))
                if st != 200:
                    raise RuntimeError("sim list %s: %s %s" % (path, st, text[:200]))
                for x in js[key]:
                    if frm <= x[date_f] <= to:
                        total += sign * Decimal(x["taxed_amount"]["amount"])
                cursor = (js.get("pagination") or {}).get("next_cursor")
                if not cursor:
                    break
        return total

    def report(extra=""):
        st, js, text, rh = env.L("GET", "/v1/reports/liability?from=%s&to=%s%s" % (frm, to, extra))
        return st, js, text

    def check_report(step):
        st, js, text = report()
        if not check(step + ": report 200", st == 200 and js, text[:300]):
            return None
        usd_t = (js.get("totals") or {}).get("USD") or {}
        held = sim_sum()
        check(step + ": collected total == Σ taxed_amount the simulator holds in the window, to the cent",
              usd_t.get("tax") is not None and Decimal(usd_t["tax"]) == held and held > 0, (usd_t, str(held)))
        rows_sum = sum((Decimal(r["tax"]) for r in js["data"] if r["currency"] == "USD"), Decimal(0))
        check(step + ": collected rows add up to the total", usd_t.get("tax") is not None and
              rows_sum == Decimal(usd_t["tax"]), (rows_sum, usd_t))
        check(step + ": collected counts: the two written CA invoices and the credit memo",
              usd_t.get("invoices") == 2 and usd_t.get("credit_memos") == 1, usd_t)
        nc_list = common.not_collected_all(env, js, frm, to)
        nc = {r["id"]: r for r in nc_list}
        p = nc.get(paid["id"]) or {}
        check(step + ": paid invoice listed as calculated, not collected (paid_before_calculation)",
              p.get("reason") == "paid_before_calculation" and p.get("calculated_tax") is not None and
              Decimal(p["calculated_tax"]) == paid_tax and Decimal(p.get("collected_tax") or "-1") == 0 and
              Decimal(p.get("not_collected_tax") or "0") == paid_tax, nc_list)
        check(step + ": nothing else is calculated but not collected", set(nc) == {paid["id"]}, sorted(nc))
        nct = (js.get("not_collected_totals") or {}).get("USD") or {}
        check(step + ": not-collected totals", nct.get("tax") is not None and Decimal(nct["tax"]) == paid_tax and
              nct.get("invoices") == 1 and nct.get("credit_memos") == 0 and
              (nct.get("by_reason") or {}).get("paid_before_calculation", {}).get("documents") == 1, nct)
        # CSV and JSON agree
        st, _, text = report("&format=csv")
        rows = list(csv.DictReader(io.StringIO(text))) if st == 200 else []
        csv_sum = sum((Decimal(r["tax"]) for r in rows if r["currency"] == "USD"), Decimal(0))
        as_json = [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in js["data"]]
        check(step + ": CSV rows == JSON rows; CSV total == JSON total",
              st == 200 and rows == as_json and usd_t.get("tax") is not None and csv_sum == Decimal(usd_t["tax"]),
              (st, rows[:3], as_json[:3]))
        st, _, text = report("&format=csv&section=not_collected")
        rows = list(csv.DictReader(io.StringIO(text))) if st == 200 else []
        nc_json = [{k: ("" if v is None else str(v)) for k, v in r.items()} for r in nc_list]
        check(step + ": not-collected CSV == JSON list", st == 200 and rows == nc_json and
              sum((Decimal(r["not_collected_tax"] or 0) for r in rows), Decimal(0)) == Decimal(nct.get("tax") or "-1"),
              (st, rows, nc_json))
        return js

    before = check_report("after write-back")
    if not before:
        return

    def recalculated(prev):
        def f():
            for kind, ids in written.items():
                for i in ids:
                    d = doc(kind, i)
                    if not d or d.get("calculation_id") == prev[i]["calculation_id"] or \
                       d.get("tax_status") != "not_collecting":
                        return None
            return True
        return f

    # effective_from moved after the documents' dates: levy recalculates them as not collecting
    tomorrow = (today + D(days=1)).isoformat()
    st, _, text, _ = env.L("PUT", "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True,
                                                        "effective_from": tomorrow})
    check("US-CA effective_from moved to tomorrow", st == 200, text)
    prev = docs
    check("documents recalculated: not collecting", wait_for(recalculated(prev), 120, 0.5),
          [(i, (doc(k, i) or {}).get("tax_status")) for k, ids in written.items() for i in ids])
    after = check_report("effective_from moved")
    if after:
        check("effective_from moved: collected rows and totals unchanged",
              after["data"] == before["data"] and after["totals"] == before["totals"],
              (after["data"], before["data"]))
    prev = {i: doc(k, i) for k, ids in written.items() for i in ids}
    st, _, text, _ = env.L("PUT", "/v1/regions/US-CA", {"subscribed": False})
    check("US-CA unsubscribed", st == 200, text)
    check("documents recalculated again", wait_for(recalculated(prev), 120, 0.5))
    after = check_report("region unsubscribed")
    if after:
        check("unsubscribed: collected rows and totals unchanged",
              after["data"] == before["data"] and after["totals"] == before["totals"],
              (after["data"], before["data"]))
    st, js, text = report("&region=US-CA")
    check("region=US-CA filter still finds the tax written there",
          st == 200 and js["totals"] == before["totals"], text[:300])
    st, js, text = report("&section=bogus")
    check("section other than collected/not_collected -> 422 naming it",
          st == 422 and any(d.get("field") == "section" for d in js["error"].get("details") or []), text[:300])



def failed_write(levy_bin, src, base_port):
    """A write-back Rillet refuses (the connection's API key is read-only: 403 on POST
    .../taxes): the invoice is listed as calculated, not collected, reason `failed` with
    Rillet's answer in the detail; nothing is collected, as nothing is in Rillet."""
    env = common.new_env(levy_bin, src, "levy-reliab-liability-ro-", base_port, invoices=0)
    try:
        if not (check("read-only case: simulator starts", env.start_sim()) and
                check("read-only case: levy starts", env.start_levy())):
            return
        wait_for(lambda: env.S("GET", "/_sim/info")[1].get("seeding") is False, 60, 0.3)
        st, js, _, _ = env.S("GET", "/subsidiaries")
        usd = next((s for s in (js or {}).get("subsidiaries") or [] if s.get("currency") == "USD"), None)
        customer = ((env.S("GET", "/customers?limit=10")[1] or {}).get("customers") or [{}])[0].get("id")
        product = next((p["id"] for p in (env.S("GET", "/products?limit=100")[1] or {}).get("products") or []
                        if p.get("name") == "Edge router"), None)
        today = datetime.datetime.now(datetime.timezone.utc).date()
        st, inv, text, _ = env.S("POST", "/invoices", {
            "customer_id": customer, "subsidiary_id": usd["id"], "invoice_date": today.isoformat(),
            "shipping_address": addr("CA"),
            "items": [{"description": "router", "price": {"product_id": product, "quantity": 1,
                       "amount_per_unit": {"amount": "800.00", "currency": "USD"}}}]})
        check("read-only case: CA invoice created", st in (200, 201), text)
        st, ro, text, _ = env.S("POST", "/_sim/api-keys", {"name": "read-only", "read_only": True})
        if not check("read-only case: read-only API key", st == 201, text):
            return
        env.key = ro["api_key"]
        env.connect(regions=("US-CA",))

        def failed():
            st, d, _, _ = env.L("GET", "/v1/invoices/" + inv["id"])
            return d if st == 200 and d.get("tax_status") == "failed" else None
        d = wait_for(failed, 120, 0.5)
        if not check("read-only case: the write-back fails (403)", d,
                     env.L("GET", "/v1/invoices/" + inv["id"])[2][:300]):
            return
        day = today.isoformat()
        st, js, text, _ = env.L("GET", "/v1/reports/liability?from=%s&to=%s" % (day, day))
        nc = {r["id"]: r for r in common.not_collected_all(env, js, day, day)}
        r = nc.get(inv["id"]) or {}
        check("read-only case: listed as calculated, not collected, reason failed with Rillet's answer",
              st == 200 and r.get("reason") == "failed" and Decimal(r.get("calculated_tax") or "0") > 0 and
              Decimal(r.get("collected_tax") or "-1") == 0 and bool(r.get("detail")) and
              r.get("detail") == d.get("last_error"),
              (text[:600], d.get("last_error")))
        held = Decimal(env.S("GET", "/invoices/" + inv["id"])[1]["taxed_amount"]["amount"])
        check("read-only case: nothing collected, as Rillet holds no tax",
              st == 200 and held == 0 and js["totals"] == {} and js["data"] == [], (str(held), js and js["totals"]))
    finally:
        env.close()


if __name__ == "__main__":
    main()
