#!/usr/bin/env python3
"""Issue 16: discounted lines are taxed on the discounted amount whichever way Rillet shows them.

Rillet's docs leave open whether InvoiceItem.total_amount is the line amount after its
total_discount ("net") or before it ("gross", the discount taken off at the invoice level).
The simulator's `line_amounts` switch renders each reading; this runs levy against both:

  1. The connection's `line_amounts` setting is set to the OTHER reading: an invoice with a
     discounted line (2 x 100.00 less 30.00, plus an undiscounted 50.00 line, ship-to Irvine
     CA) gets the tax /v1/calculate gives for 170.00 + 50.00, not for 200.00 + 50.00: the
     document's own totals (subtotal, net_amount, total_discount) decide, and the history
     says "detected from the document's totals".
  2. Where the totals cannot tell (a delivery without subtotal / net_amount), the connection
     setting decides and the history says so: with the wrong setting the calculation uses the
     wrong base; after PATCH line_amounts to the right reading, the right one. (That invoice is
     dated before the connection's tax_documents_from: levy calculates it but writes nothing,
     so no later copy of it replaces the delivery.)
  3. PATCH refuses a bad line_amounts with 422 naming the field; the connection shows it.

Usage: line_discounts.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20060]
"""
import json
import os
import shutil
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20060

IRVINE = {"line1": "1 Main St", "city": "Irvine", "state": "CA", "zip_code": "92614", "country": "US"}
EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]}
OTHER = {"net": "gross", "gross": "net"}
SELLER = [None]  # the invoices' seller address (ship-from)


def expected_tax(env, cust, prod, date, amounts, ship_from):
    """total_tax of /v1/calculate for lines of the given (amount, quantity) to Irvine from the
    invoice's seller address (as the connector sends it)."""
    lines = [{"id": "l%d" % i, "amount": a, "quantity": str(q), "product_id": prod}
             for i, (a, q) in enumerate(amounts)]
    body = {"currency": "USD", "date": date, "customer": {"id": cust}, "ship_to": IRVINE, "lines": lines}
    if ship_from:
        body["ship_from"] = ship_from
    st, res, text, _ = env.L("POST", "/v1/calculate", body)
    if st != 200:
        raise RuntimeError("calculate: %s %s" % (st, text))
    return res["total_tax"]


def levy_doc(env, iid):
    st, d, _, _ = env.L("GET", "/v1/invoices/" + iid)
    return d if st == 200 else None


def calc_entries(d):
    return [h for h in (d or {}).get("history", []) if h.get("kind") == "calculation"]


def run(reading, port):
    tag = "[sim line_amounts=%s] " % reading
    env = common.new_env(LEVY, SRC, "levy-reliab-discount-", port, invoices=2)
    try:
        if not check(tag + "simulator and levy start", env.start_sim() and env.start_levy()):
            return
        st, cfg, text, _ = env.S("POST", "/_sim/config", {"line_amounts": reading})
        if not check(tag + "simulator switch line_amounts=%s" % reading,
                     st == 200 and cfg.get("line_amounts") == reading, text[:300]):
            return
        st, _, text, _ = env.S("POST", "/_sim/config", {"line_amounts": "both"})
        check(tag + "simulator refuses line_amounts=both", st == 400, text[:200])
        env.connect(events=EVENTS)
        S = env.S
        cust = S("GET", "/customers?limit=5")[1]["customers"][0]["id"]
        prods = S("GET", "/products?limit=100")[1]["products"]
        prod = next((p["id"] for p in prods if p["name"] == "Edge router"), None)  # tangible goods
        if not check(tag + "a tangible product (taxable in CA)", prod):
            return

        # the connection setting says the other reading: the totals must win
        st, con, text, _ = env.L("PATCH", "/v1/connections/" + env.cid, {"line_amounts": OTHER[reading]})
        check(tag + "PATCH line_amounts=%s" % OTHER[reading],
              st == 200 and con["tax_scope"].get("line_amounts") == OTHER[reading], text[:300])

        def invoice(date):
            st, inv, text, _ = S("POST", "/invoices", {
                "customer_id": cust, "subsidiary_id": env.sub["id"], "invoice_date": date,
                "shipping_address": IRVINE,
                "items": [
                    {"description": "router", "price": {
                        "product_id": prod, "quantity": 2,
                        "amount_per_unit": {"amount": "100.00", "currency": "USD"},
                        "discount": {"type": "AMOUNT", "amount_off": {"amount": "30.00", "currency": "USD"}}}},
                    {"description": "router", "price": {
                        "product_id": prod, "quantity": 1,
                        "amount_per_unit": {"amount": "50.00", "currency": "USD"}}}]})
            if st != 200:
                raise RuntimeError("invoice: %s %s" % (st, text))
            return inv

        date = "2026-03-02"
        inv = invoice(date)
        SELLER[0] = {k: v for k, v in (inv.get("address") or {}).items() if v}
        first = inv["items"][0]
        shown = "200.00" if reading == "gross" else "170.00"
        got = S("GET", "/invoices/" + inv["id"])[1]
        listed = [i for i in S("GET", "/invoices?limit=100")[1]["invoices"] if i["id"] == inv["id"]]
        check(tag + "GET and list show the line as created",
              got["items"][0]["total_amount"]["amount"] == shown and listed
              and listed[0]["items"][0]["total_amount"]["amount"] == shown, (got["items"][0], listed[:1]))
        check(tag + "the simulator shows the discounted line's total_amount as %s" % shown,
              first["total_amount"]["amount"] == shown and first["total_discount"]["amount"] == "30.00"
              and inv["subtotal"]["amount"] == "250.00" and inv["net_amount"]["amount"] == "220.00"
              and inv["total_discount"]["amount"] == "30.00", json.dumps(inv)[:600])
        right = expected_tax(env, cust, prod, date, [("170.00", 2), ("50.00", 1)], SELLER[0])
        wrong = expected_tax(env, cust, prod, date, [("200.00", 2), ("50.00", 1)], SELLER[0])
        check(tag + "tax on the discounted amount (%s) differs from tax on the gross (%s)" % (right, wrong),
              right != wrong and right not in ("0", "0.00"))

        def written():
            s, si, _, _ = S("GET", "/invoices/" + inv["id"])
            d = levy_doc(env, inv["id"])
            if s == 200 and d and d.get("tax_status") == "written" and si["taxed_amount"]["amount"] == d["levy_tax"]:
                return si, d
            return None
        res = common.wait_for(written, 90, 0.3)
        if not check(tag + "levy wrote the invoice's tax", res, levy_doc(env, inv["id"])):
            return
        si, d = res
        check(tag + "Rillet holds the tax on the discounted amount: %s (not %s)" % (right, wrong),
              si["taxed_amount"]["amount"] == right, (si["taxed_amount"], d.get("levy_tax")))
        msgs = [h.get("message") or "" for h in calc_entries(d)]
        check(tag + "history: line amounts read as %s, detected from the document's totals" % reading,
              any(("line amounts read as " + reading) in m and "detected from the document's totals" in m
                  for m in msgs), msgs)

        # 2. totals that cannot tell: the connection setting decides
        old_date = "2025-12-10"  # before tax_documents_from (2026-01-01): calculated, never written
        inv2 = invoice(old_date)
        right2 = expected_tax(env, cust, prod, old_date, [("170.00", 2), ("50.00", 1)], SELLER[0])
        # the wrong reading: net lines read as gross lose the discount twice (170.00 - 30.00),
        # gross lines read as net keep it (200.00)
        wrong2 = expected_tax(env, cust, prod, old_date,
                              [("140.00" if reading == "net" else "200.00", 2), ("50.00", 1)], SELLER[0])
        first_calc = common.wait_for(lambda: calc_entries(levy_doc(env, inv2["id"])), 60, 0.3)
        check(tag + "levy calculated the invoice dated before the window", first_calc,
              levy_doc(env, inv2["id"]))
        body = S("GET", "/invoices/" + inv2["id"])[1]
        for k in ("subtotal", "net_amount", "total_discount"):
            body.pop(k, None)
        body["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%S.999Z", time.gmtime(time.time() + 5))
        st, _, text, _ = env.deliver(json.dumps(body).encode(), str(uuid.uuid4()), event="UPDATED")
        check(tag + "a delivery without subtotal / net_amount is accepted", st == 200, text[:200])

        def setting_calc(total):
            d = levy_doc(env, inv2["id"])
            ms = [h.get("message") or "" for h in calc_entries(d)]
            return [m for m in ms if "connection setting line_amounts" in m and m.startswith("total_tax " + total)]
        got = common.wait_for(lambda: setting_calc(wrong2), 60, 0.3)
        check(tag + "undecidable totals + setting %s: calculated on that reading (%s)" % (OTHER[reading], wrong2),
              got, [h.get("message") for h in calc_entries(levy_doc(env, inv2["id"]))])
        st, con, text, _ = env.L("PATCH", "/v1/connections/" + env.cid, {"line_amounts": reading})
        check(tag + "PATCH line_amounts=%s re-evaluates the open documents" % reading,
              st == 200 and con["tax_scope"].get("line_amounts") == reading and con.get("queued", 0) >= 1, text[:300])
        got = common.wait_for(lambda: setting_calc(right2), 60, 0.3)
        check(tag + "undecidable totals + setting %s: tax on the discounted amount (%s)" % (reading, right2),
              got, [h.get("message") for h in calc_entries(levy_doc(env, inv2["id"]))])
        d = common.wait_for(lambda: (lambda x: x if x and x.get("levy_tax") == right2 else None)(
            levy_doc(env, inv2["id"])), 60, 0.3)
        check(tag + "the invoice before the window is calculated (%s) and not written" % right2,
              d and d.get("tax_status") != "written", d and (d.get("tax_status"), d.get("levy_tax"), d.get("reason")))

        # 3. validation
        st, err, text, _ = env.L("PATCH", "/v1/connections/" + env.cid, {"line_amounts": "both"})
        check(tag + "PATCH line_amounts=both: 422 naming the field",
              st == 422 and "line_amounts" in text, text[:300])
        st, con, text, _ = env.L("GET", "/v1/connections/" + env.cid)
        check(tag + "GET shows line_amounts", st == 200 and con["tax_scope"].get("line_amounts") == reading, text[:300])
    finally:
        env.close()
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(env.tmp, ignore_errors=True)


def main():
    run("net", BASE_PORT)
    run("gross", BASE_PORT + 10)


if __name__ == "__main__":
    common.run_main(main)
