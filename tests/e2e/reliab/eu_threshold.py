#!/usr/bin/env python3
"""Place of supply through the API (issue 19, lawintl): the seller setting eu_below_threshold
and B2C professional services at the supplier's place.

Usage: eu_threshold.py LEVY_BINARY SOURCE_DIR [BASE_PORT=30200]

The bug stories (main before this change):
  * A French seller under the EU's EUR 10,000 of cross-border B2C supplies (Directive
    2006/112/EC art. 59c; art. 58(2) from 2019-01-01) charges its own French VAT on SaaS sold to
    a German consumer; levy had no way to say so and answered German 19 %. Now the setting
    eu_below_threshold ("no" default, "yes") decides: 20.00 with the note place_of_supply; a
    bad value is a 422; a connection may set its own (each subsidiary is its own supplier);
    null goes back to "no".
  * A US consultant's services to a German consumer are supplied in the US (art. 45): outside
    the scope of EU VAT. levy charged 19 %; now out_of_scope, 0.00, note place_of_supply.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 30200
PARIS = {"line1": "1 Rue de Rivoli", "city": "Paris", "zip_code": "75001", "country": "FR"}
SEATTLE = {"line1": "1 Main Street", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"}
BERLIN = {"line1": "1 Main Street", "city": "Berlin", "zip_code": "10115", "country": "DE"}


def calc(code, ship_from=None):
    b = {"currency": "EUR", "date": "2026-03-01", "ship_to": BERLIN,
         "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": code}]}
    if ship_from:
        b["ship_from"] = ship_from
    return b


def answer(env, body):
    st, js, text, _ = env.L("POST", "/v1/calculate", body)
    line = ((js or {}).get("lines") or [{}])[0]
    return (st, (js or {}).get("total_tax"), line.get("taxability_reason"),
            [n.get("code") for n in (js or {}).get("notes") or []], text)


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-eu-threshold-", BASE_PORT)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("EU", "GB"), events={"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]})
        st, js, text, _ = env.L("PUT", "/v1/settings", {"seller_address": PARIS})
        check("seller address in Paris", st == 200, text[:300])
        check("GET /v1/settings: eu_below_threshold defaults to no",
              (js or {}).get("eu_below_threshold") == "no", text[:600])
        got = answer(env, calc("saas"))
        check("default: SaaS to a Berlin consumer at German VAT 19.00 (%s)" % (got[:4],),
              got[:4] == (200, "19.00", "standard_rated", []), got[4][:600])
        for bad in ("Yes", "", 1, True, {"x": 1}):
            st, js, text, _ = env.L("PUT", "/v1/settings", {"eu_below_threshold": bad})
            det = ((js or {}).get("error") or {}).get("details") or []
            check("PUT eu_below_threshold=%r: 422 validation_failed on eu_below_threshold" % (bad,),
                  st == 422 and any(d.get("field") == "eu_below_threshold" for d in det), text[:400])
        st, js, text, _ = env.L("PUT", "/v1/settings", {"eu_below_threshold": "yes"})
        check("PUT eu_below_threshold=yes: 200, echoed, region EU's documents re-checked (requeue)",
              st == 200 and (js or {}).get("eu_below_threshold") == "yes" and "requeue" in (js or {}), text[:400])
        got = answer(env, calc("saas"))
        check("below the threshold: SaaS to a Berlin consumer at French VAT 20.00, note place_of_supply (%s)" % (got[:4],),
              got[:4] == (200, "20.00", "standard_rated", ["place_of_supply"]), got[4][:600])
        st, js, text, _ = env.L("PUT", "/v1/connections/%s/settings" % env.cid, {"eu_below_threshold": "no"})
        check("a connection sets its own threshold: 200, in overrides",
              st == 200 and (js or {}).get("eu_below_threshold") == "no"
              and "eu_below_threshold" in ((js or {}).get("overrides") or []), text[:400])
        st, js, text, _ = env.L("PUT", "/v1/connections/%s/settings" % env.cid, {"eu_below_threshold": None})
        check("the connection drops its own: the global yes again",
              st == 200 and (js or {}).get("eu_below_threshold") == "yes", text[:400])
        st, js, text, _ = env.L("PUT", "/v1/settings", {"eu_below_threshold": None})
        check("eu_below_threshold null: back to no", st == 200 and (js or {}).get("eu_below_threshold") == "no", text[:400])
        got = answer(env, calc("saas"))
        check("back to no: German VAT 19.00 (%s)" % (got[:4],), got[:2] == (200, "19.00"), got[4][:600])
        # art. 45: B2C professional services at the supplier's place
        got = answer(env, calc("professional_services"))
        check("French consultant (settings address) to a Berlin consumer: French VAT 20.00 (%s)" % (got[:4],),
              got[:4] == (200, "20.00", "standard_rated", ["place_of_supply"]), got[4][:600])
        got = answer(env, calc("professional_services", SEATTLE))
        check("US consultant to a Berlin consumer: out_of_scope 0.00, note place_of_supply (%s)" % (got[:4],),
              got[:4] == (200, "0.00", "out_of_scope", ["place_of_supply"]), got[4][:600])
        body = calc("professional_services", SEATTLE)
        body["customer"] = {"id": "de-b2b", "tax_id": "DE136695976"}
        got = answer(env, body)
        check("US consultant to a German business: reverse_charge 0.00 (%s)" % (got[:4],),
              got[:3] == (200, "0.00", "reverse_charge"), got[4][:600])
        # through Rillet: a US seller's consulting invoice to a Munich consumer is out of scope;
        # levy leaves its tax alone (not_collecting) and says why (art. 45), not "not subscribed"
        st, _, text, _ = env.L("PUT", "/v1/settings", {"seller_address": SEATTLE})
        check("seller address in Seattle", st == 200, text[:300])
        addr = {"line1": "Marienplatz 1", "city": "M\u00fcnchen", "state": "BY", "zip_code": "80331", "country": "DE"}
        st, cust, text, _ = env.S("POST", "/customers", {"name": "Erika Mustermann", "address": addr,
                                                         "shipping_address": addr})
        check("consumer in Munich created in Rillet", st == 200, text[:300])
        st, js, text, _ = env.S("GET", "/products?limit=100")
        prod = next((p for p in (js or {}).get("products", []) if p.get("name") == "Consulting hour"), None)
        if not check("the simulator has the Consulting hour product", prod is not None, text[:300]):
            return
        inv = {"customer_id": cust["id"], "subsidiary_id": env.sub["id"], "invoice_date": "2026-03-02",
               "items": [{"description": "Consulting", "price": {
                   "product_id": prod["id"], "quantity": 1,
                   "amount_per_unit": {"amount": "185.00", "currency": "USD"}}}]}
        st, doc, text, _ = env.S("POST", "/invoices", inv)
        check("consulting invoice to Munich created in Rillet", st in (200, 201), text[:300])

        def settled():
            s, d, _, _ = env.L("GET", "/v1/invoices/" + doc["id"])
            return d if s == 200 and (d or {}).get("tax_status") not in (None, "pending") else None
        d = common.wait_for(settled, 90, 0.3) or {}
        check("levy leaves the out-of-scope invoice alone: tax_status not_collecting (%s)" % d.get("tax_status"),
              d.get("tax_status") == "not_collecting", json.dumps(d)[:600])
        check("the document says why: outside the scope, art. 45",
              "outside the scope" in json.dumps(d) and "art. 45" in json.dumps(d), json.dumps(d)[:800])


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
