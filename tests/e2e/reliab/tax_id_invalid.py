#!/usr/bin/env python3
"""A tax id is not a word (issue 19), through the Rillet connector: a German customer whose
tax id is "N/A" used to be reverse charged (any non-empty tax id did). Now the id is checked
offline (core/tax/taxid.c, asked by the reverse charge of core/tax/calc.c): an invalid one is a consumer
sale, so levy writes German VAT to Rillet, the calculation carries the note tax_id_invalid,
the invoice's history in levy says so and the customer shows "invalid" (tax_id_check). Set a
valid VAT number and the customer's open invoice is recalculated as reverse charge.

Usage: tax_id_invalid.py LEVY_BINARY SOURCE_DIR [BASE_PORT=22400]
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 22400
EU_TEXT = "Reverse charge \u2014 Article 196 Council Directive 2006/112/EC"


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-taxid-", BASE_PORT, invoices=4)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA", "EU"),
                    events={"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]})
        st, js, text, _ = env.S("GET", "/customers?limit=100")
        custs = js["customers"]
        de = next(c for c in custs if (c.get("shipping_address") or c.get("address") or {}).get("country") == "DE")
        st, c, text, _ = env.L("PUT", "/v1/customers/" + de["id"], {"tax_id": "N/A"})
        check("tax id 'N/A' set for the German customer", st == 200, text)
        tc = (c or {}).get("tax_id_check") or {}
        check("the customer shows the tax id as invalid for DE (%s)" % tc,
              tc.get("valid") is False and tc.get("status") == "invalid_format" and tc.get("country") == "DE", c)
        st, js, text, _ = env.S("GET", "/products?limit=100")
        prod = next(p for p in js["products"] if (p.get("external_references") or [{}])[0].get("id") == "saas")
        body = {"customer_id": de["id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-03-02",
                "items": [{"description": "Subscription", "price": {
                    "product_id": prod["id"], "quantity": 1,
                    "amount_per_unit": {"amount": "100.00", "currency": "USD"}}}]}
        st, inv, text, _ = env.S("POST", "/invoices", body)
        check("invoice to the German customer created in Rillet", st in (200, 201), text)

        def detail():
            s, d, t, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % inv["id"])
            return d if s == 200 else None

        def rates():
            return [r for ln in (detail() or {}).get("lines", []) for r in ln.get("tax_rates", [])]

        def charged():
            rs = rates()
            return rs if rs and all(r.get("percentage") == 19 for r in rs) \
                and sum(float(r["tax_amount"]["amount"]) for r in rs) == 19.0 else None

        got = common.wait_for(charged, 60, 0.5)
        check("invalid tax id: German VAT 19.00 written to Rillet, no reverse charge (%s)" % got, got,
              (detail(), common.tail(os.path.join(env.tmp, "levy.log"))))
        st, doc, text, _ = env.L("GET", "/v1/invoices/" + inv["id"])
        hist = json.dumps((doc or {}).get("history") or [])
        check("the invoice's history in levy names the note tax_id_invalid",
              st == 200 and "tax_id_invalid" in hist and "not a valid DE tax id" in hist, hist[:800])
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(env.levy_dir, "levy.db"), uri=True, timeout=10)
        row = db.execute("SELECT result FROM calculations WHERE doc_id = ? ORDER BY created_ms DESC LIMIT 1",
                         (inv["id"],)).fetchone()
        db.close()
        notes = (json.loads(row[0]) if row and row[0] else {}).get("notes") or []
        check("the stored calculation keeps the note as evidence (%s)" % notes,
              [n.get("code") for n in notes] == ["tax_id_invalid"], row)

        # a valid VAT number: the customer's documents are re-checked -> reverse charge
        st, c, text, _ = env.L("PUT", "/v1/customers/" + de["id"], {"tax_id": "DE 136 695 976"})
        tc = (c or {}).get("tax_id_check") or {}
        check("a valid German VAT number is accepted and shown valid (%s)" % tc,
              st == 200 and tc.get("valid") is True and tc.get("country") == "DE", text[:300])

        def reversed_():
            rs = rates()
            return rs if rs and all(r.get("description") == EU_TEXT and r.get("percentage") == 0
                                    and r["tax_amount"]["amount"] == "0.00" for r in rs) else None
        got = common.wait_for(reversed_, 90, 0.5)
        check("valid tax id: the invoice is recalculated as reverse charge (%s)" % got, got,
              (detail(), common.tail(os.path.join(env.tmp, "levy.log"))))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
