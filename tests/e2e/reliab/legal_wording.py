#!/usr/bin/env python3
"""Legal wording on tax lines (issue 17): a reverse-charge line and an exempt customer's line
carry no tax, and Rillet already holds 0.00 for them, so levy used to write nothing and the
invoice did not say why there is no tax. Now such a line is written as one 0 % TaxRate whose
`description` (Rillet's only free text on a tax line) is the legal wording:
"Reverse charge — Article 196 Council Directive 2006/112/EC" (EU ship-to, B2B) and
"Exempt: certificate N" (the certificate set with PUT /v1/customers/{id}).

Usage: legal_wording.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20660]

1. A US seller's invoice to a German business customer (tax id set in levy, EU subscribed):
   written once with the wording; a recalculation with the same outcome writes nothing more.
2. A Californian customer exempt with certificate CA-RESALE-0042: written with
   "Exempt: certificate CA-RESALE-0042".
3. A full-replace edit in Rillet (quantity 2: the tax inputs changed, tax still 0, the written
   rate dropped by the replace): the wording is written again.
"""
import os
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20660
EU_TEXT = "Reverse charge \u2014 Article 196 Council Directive 2006/112/EC"
CERT = "CA-RESALE-0042"


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-wording-", BASE_PORT, invoices=6)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA", "US-NY", "US-TX", "EU"),
                    events={"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]})
        st, js, text, _ = env.S("GET", "/customers?limit=100")
        custs = js["customers"]

        def country(c):
            return ((c.get("shipping_address") or c.get("address") or {}).get("country"),
                    (c.get("shipping_address") or c.get("address") or {}).get("state"))
        de = next(c for c in custs if country(c)[0] == "DE")
        ca = next(c for c in custs if country(c) == ("US", "CA"))
        st, _, text, _ = env.L("PUT", "/v1/customers/" + de["id"], {"tax_id": "DE136695976"})
        check("tax id set for the German customer", st == 200, text)
        st, _, text, _ = env.L("PUT", "/v1/customers/" + ca["id"], {"exempt": True, "exemption_certificate": CERT})
        check("exemption with certificate set for the Californian customer", st == 200, text)
        st, js, text, _ = env.S("GET", "/products?limit=100")
        prod = next(p for p in js["products"] if (p.get("external_references") or [{}])[0].get("id") == "saas")

        def invoice(cust, qty=1):
            return {"customer_id": cust["id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-03-02",
                    "items": [{"description": "Subscription", "price": {
                        "product_id": prod["id"], "quantity": qty,
                        "amount_per_unit": {"amount": "100.00", "currency": "USD"}}}]}

        def detail(iid):
            s, d, t, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
            return d if s == 200 else None

        def described(iid, text):
            d = detail(iid)
            rates = [r for l in (d or {}).get("lines", []) for r in l.get("tax_rates", [])]
            return d if rates and all(r.get("description") == text and r.get("percentage") == 0
                                      and r["tax_amount"]["amount"] == "0.00" for r in rates) else None

        st, inv_de, text, _ = env.S("POST", "/invoices", invoice(de))
        check("invoice to the German business customer created in Rillet", st in (200, 201), text)
        st, inv_ca, text, _ = env.S("POST", "/invoices", invoice(ca))
        check("invoice to the exempt Californian customer created in Rillet", st in (200, 201), text)

        d = common.wait_for(lambda: described(inv_de["id"], EU_TEXT), 60, 0.5)
        check("reverse charge: the line is written as a 0 %% rate described %r (%s)" % (EU_TEXT, d), d,
              (detail(inv_de["id"]), common.tail(os.path.join(env.tmp, "levy.log"))))
        d2 = common.wait_for(lambda: described(inv_ca["id"], "Exempt: certificate " + CERT), 60, 0.5)
        check("exempt: the line is written as a 0 %% rate described 'Exempt: certificate %s'" % CERT, d2,
              detail(inv_ca["id"]))
        st, doc, text, _ = env.L("GET", "/v1/invoices/" + inv_de["id"])
        check("levy shows the reverse-charge invoice written (%s)" % (doc or {}).get("tax_status"),
              st == 200 and doc["tax_status"] == "written", text[:300])
        writes = (d or {}).get("tax_writes")

        # same outcome again: nothing more is written
        st, _, text, _ = env.L("POST", "/v1/invoices/%s/recalculate" % inv_de["id"], {})
        check("recalculate accepted", st in (200, 202), text)
        check("levy and the simulator settle after the recalculation", common.wait_quiet(env),
              (common.levy_busy(env), common.sim_pending(env)))
        again = detail(inv_de["id"])
        check("a recalculation with the same outcome writes nothing more (tax_writes %s -> %s)"
              % (writes, (again or {}).get("tax_writes")), again and again.get("tax_writes") == writes, again)

        # a full-replace edit in Rillet: the replace drops the written rate; levy writes it again
        st, _, text, _ = env.S("PUT", "/invoices/" + inv_de["id"], invoice(de, qty=2))
        check("full-replace edit in Rillet (quantity 2, no tax rates sent)", st == 200, text)
        d3 = common.wait_for(lambda: (lambda x: x if x and x.get("tax_writes", 0) > (writes or 0) else None)(
            described(inv_de["id"], EU_TEXT)), 60, 0.5)
        check("after the edit the wording is written again (%s)" % d3, d3, detail(inv_de["id"]))
        dbp = os.path.join(env.levy_dir, "levy.db")
        c = sqlite3.connect("file:%s?mode=ro" % dbp, uri=True, timeout=10)
        rows = c.execute("SELECT doc_version FROM writebacks WHERE doc_id = ? AND outcome = 'written' ORDER BY id",
                         (inv_de["id"],)).fetchall()
        c.close()
        check("each written write-back records the version Rillet answered (%s)" % rows,
              len(rows) == 2 and all(r[0] for r in rows) and rows[0][0] != rows[1][0], rows)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
