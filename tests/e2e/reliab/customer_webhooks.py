#!/usr/bin/env python3
"""Customer webhooks (issue 6, step 5: "Customer events update customers"), against the real
simulator: a customer created in Rillet reaches levy by its CUSTOMER CREATED delivery; an
invoice with no address of its own is taxed at the customer's address; moving the customer
(CUSTOMER UPDATED) re-taxes that open invoice at the new address and writes it back, once.

Usage: customer_webhooks.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19470]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19470
AUSTIN = {"line1": "1 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"}
NYC = {"line1": "350 5th Ave", "city": "New York", "state": "NY", "zip_code": "10118", "country": "US"}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-cust-", BASE_PORT, invoices=4)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-TX", "US-NY"),
                    events={"CUSTOMER": ["CREATED", "UPDATED", "DELETED"],
                            "INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]})
        # a product levy taxes as general goods
        st, prods, text, _ = env.L("GET", "/v1/products?limit=100")
        prod = next((p for p in (prods or {}).get("data", []) if p.get("tax_code") == "general"), None)
        if not check("a product with tax code general", prod, text[:300]):
            return

        st, cust, text, _ = env.S("POST", "/customers", {"name": "Webhook Test Co", "address": AUSTIN})
        if not check("customer created in the simulator", st == 200 and cust, text[:300]):
            return
        cid = cust["id"]
        got = common.wait_for(lambda: (lambda r: r[1] if r[0] == 200 else None)(env.L("GET", "/v1/customers/" + cid)), 20)
        check("CUSTOMER CREATED reached levy: GET /v1/customers/{id} -> 200", got, "")

        st, inv, text, _ = env.S("POST", "/invoices", {
            "customer_id": cid, "subsidiary_id": env.sub["id"], "invoice_date": "2026-06-01",
            "customer_address": None, "shipping_address": None,
            "items": [{"description": "widget", "price": {"product_id": prod["id"], "quantity": 1,
                                                         "amount_per_unit": {"amount": "1000.00", "currency": "USD"}}}]})
        if not check("invoice without addresses created", st == 200 and inv, text[:300]):
            return
        if not check("the invoice has no address of its own (ship-to comes from the customer)",
                     not inv.get("shipping_address") and not inv.get("customer_address"),
                     (inv.get("shipping_address"), inv.get("customer_address"))):
            return
        iid = inv["id"]

        def taxed(amount):
            def f():
                s, si, _, _ = env.S("GET", "/invoices/" + iid)
                return si if s == 200 and si["taxed_amount"]["amount"] == amount else None
            return f
        si = common.wait_for(taxed("82.50"), 30)
        check("taxed at the customer's Austin address (8.25 %) and written to Rillet", si,
              env.L("GET", "/v1/invoices/" + iid)[1])

        st, _, text, _ = env.S("PUT", "/customers/" + cid, {"name": "Webhook Test Co", "address": NYC})
        check("customer moved to New York in the simulator", st == 200, text[:300])
        moved = common.wait_for(lambda: (lambda r: r[1] if r[0] == 200 and "NY" in str(r[1]) else None)(
            env.L("GET", "/v1/customers/" + cid)), 20)
        check("CUSTOMER UPDATED reached levy: the customer shows the New York address", moved,
              env.L("GET", "/v1/customers/" + cid)[1])
        si = common.wait_for(taxed("88.75"), 30)
        check("the open invoice was re-taxed at New York's 8.875 % and written back", si,
              env.L("GET", "/v1/invoices/" + iid)[1])
        # levy's own write-back fires UPDATED: it must not write again (waited for by state,
        # not a fixed sleep that a loaded machine outlasts)
        check("levy and the simulator settle after the write-back", common.wait_quiet(env),
              (common.levy_busy(env), common.sim_pending(env)))
        st, td, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
        check("two tax writes in all (one per address), not a loop", st == 200 and td["tax_writes"] == 2, td)
    finally:
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # also when main() returned early after a failed check
