#!/usr/bin/env python3
"""Several legal entities (issue 17): two connections to the simulator's two subsidiaries, the
US one (USD) and the European one (EUR). Each connection's documents are taxed with that
connection's own seller address, regions and settings:

- with the US connection alone, nothing is set per connection: GET /v1/connections/{id}/settings
  and /regions show the global values (source "default") and its invoice is taxed exactly as
  POST /v1/calculate taxes it with the global settings (one connection behaves as before);
- the EU connection gets its own seller address (Amsterdam) and its own region EU with a VAT
  registration; the global settings keep the Austin seller and EU unsubscribed. A Dutch business
  customer (VAT id) invoiced by the EU connection pays 21 % Dutch VAT (domestic sale: seller and
  customer in NL), written to Rillet; the same kind of invoice from the US connection is not
  taxed (EU is not the US entity's region), and under the global Austin seller it would be a
  reverse charge;
- turning US-TX off for the EU connection re-checks that connection's Texas invoice (now
  not_collecting) and does not recalculate the US connection's Texas invoice; DELETE of the
  override puts the EU connection back on the global region;
- bad input: unknown connection or region -> 404, invalid values -> 422.

Invoices are created without a seller address (Invoice.address is optional in Rillet: the
simulator fills it from the subsidiary unless the request sends null), so the connection's
seller address decides; an invoice that carries Invoice.address keeps it (mapping.ship_from).

Usage: entities.py LEVY_BINARY SOURCE_DIR [BASE_PORT=20700]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 20700

AUSTIN = {"line1": "1 Congress Ave", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"}
HOUSTON = {"line1": "901 Bagby St", "city": "Houston", "state": "TX", "zip_code": "77002", "country": "US"}
AMSTERDAM = {"line1": "Herengracht 420", "city": "Amsterdam", "state": "NH", "zip_code": "1017 BZ", "country": "NL"}
NL_CUSTOMER = {"line1": "Damrak 1", "city": "Amsterdam", "state": "NH", "zip_code": "1012 AB", "country": "NL"}
EVENTS = {"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
          "CREDIT_MEMO": ["CREATED", "UPDATED", "DELETED"], "CUSTOMER": ["DELETED"]}


def connect_second(env, currency, events):
    """The connect flow for another subsidiary of the same Rillet organisation (same key)."""
    st, con, text, _ = env.L("POST", "/v1/connections", {"provider": "rillet", "api_key": env.key,
                                                          "tax_documents_from": "2026-01-01"})
    if st != 201:
        raise RuntimeError("connect: %s %s" % (st, text))
    cid = con["id"]
    sub = next(s for s in con["subsidiaries"] if s.get("currency") == currency)
    st, con, text, _ = env.L("POST", "/v1/connections/%s/subsidiary" % cid, {"subsidiary_id": sub["id"]})
    if st != 200:
        raise RuntimeError("subsidiary: %s %s" % (st, text))
    st, hook, text, _ = env.S("POST", "/_sim/webhooks", {"name": "levy-" + currency, "url": con["webhook_url"],
                                                         "events": events, "enabled": True})
    if st not in (200, 201):
        raise RuntimeError("sim webhook: %s %s" % (st, text))
    st, con, text, _ = env.L("POST", "/v1/connections/%s/webhook-secret" % cid,
                             {"signing_token": hook["signing_token"]})
    if st != 200:
        raise RuntimeError("secret: %s %s" % (st, text))

    def import_done():
        s, c, _, _ = env.L("GET", "/v1/connections/" + cid)
        return c if s == 200 and c["import"]["state"] in ("done", "failed") else None
    con = common.wait_for(import_done, 120, 0.3)
    if not con or con["import"]["state"] != "done":
        raise RuntimeError("import did not finish: %s" % (con,))
    return cid, sub


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-entities-", BASE_PORT, invoices=4)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        st, _, text, _ = env.L("PUT", "/v1/settings", {"seller_address": AUSTIN})
        check("global seller address: Austin, TX", st == 200, text[:300])
        env.connect(regions=("US-TX",), events=EVENTS)
        cid_us, sub_us = env.cid, env.sub

        st, prods, text, _ = env.L("GET", "/v1/products?limit=100")
        prod = next((p for p in (prods or {}).get("data", []) if p.get("tax_code") == "general"), None)
        if not check("a product with tax code general", prod, text[:300]):
            return
        st, custs, text, _ = env.L("GET", "/v1/customers?limit=200")
        custs = (custs or {}).get("data", [])
        us_cust = next((c for c in custs if (c.get("address") or {}).get("country") == "US"), None)
        nl_cust = next((c for c in custs if (c.get("address") or {}).get("country") == "NL"), None)
        if not check("a US and a Dutch customer were imported", us_cust and nl_cust, text[:300]):
            return
        st, c, text, _ = env.L("PUT", "/v1/customers/" + nl_cust["id"], {"tax_id": "NL004495445B01"})
        check("the Dutch customer is a business (VAT id set in levy)", st == 200 and c.get("tax_id"), text[:300])

        def invoice(sub, cust, ship_to, currency, amount="1000.00"):
            st, inv, text, _ = env.S("POST", "/invoices", {
                "customer_id": cust["id"], "subsidiary_id": sub["id"], "invoice_date": "2026-06-01",
                "address": None, "customer_address": None, "shipping_address": ship_to,
                "items": [{"description": "widget", "price": {"product_id": prod["id"], "quantity": 1,
                                                             "amount_per_unit": {"amount": amount, "currency": currency}}}]})
            if st != 200:
                raise RuntimeError("invoice: %s %s" % (st, text))
            return inv

        def settled(iid, pred=None):
            """levy's view of the invoice once its calculation (and write) settled."""
            def f():
                s, d, _, _ = env.L("GET", "/v1/invoices/" + iid)
                if s != 200 or d.get("tax_status") not in ("written", "not_collecting", "calculated", "failed"):
                    return None
                if d.get("tax_status") == "calculated" and d.get("reason") is None:
                    return None  # a write-back is still on its way
                if pred and not pred(d):
                    return None
                return d
            return common.wait_for(f, 60, 0.3)

        def calcs(d):
            return [h for h in d.get("history", []) if h.get("kind") == "calculation"]

        def rillet_tax(iid):
            s, si, _, _ = env.S("GET", "/invoices/" + iid)
            return si["taxed_amount"]["amount"] if s == 200 else None

        # -- one connection: the global values, exactly as before
        st, s_us, text, _ = env.L("GET", "/v1/connections/%s/settings" % cid_us)
        check("one connection: its settings are the global ones (no overrides)",
              st == 200 and s_us.get("seller_address", {}).get("city") == "Austin" and s_us.get("overrides") == []
              and s_us.get("connection_id") == cid_us, text[:300])
        st, r, text, _ = env.L("GET", "/v1/connections/%s/regions/US-TX" % cid_us)
        check("one connection: US-TX follows the global region (source default)",
              st == 200 and r.get("subscribed") is True and r.get("source") == "default", text[:300])
        inv_us_tx = invoice(sub_us, us_cust, HOUSTON, "USD")
        d = settled(inv_us_tx["id"])
        st, pre, text, _ = env.L("POST", "/v1/calculate", {
            "currency": "USD", "date": "2026-06-01", "customer": {"id": us_cust["id"]}, "ship_to": HOUSTON,
            "lines": [{"id": inv_us_tx["items"][0]["id"], "amount": "1000.00", "quantity": "1", "product_id": prod["id"]}]})
        check("one connection: the Texas invoice is taxed exactly as POST /v1/calculate (global settings)",
              d and st == 200 and d.get("tax_status") == "written" and d.get("levy_tax") == pre.get("total_tax")
              and pre.get("total_tax") not in (None, "0.00"), (d and d.get("levy_tax"), pre))
        us_tx_tax = d and d.get("levy_tax")

        # -- the EU entity: its own seller address and region EU
        cid_eu, sub_eu = connect_second(env, "EUR", EVENTS)
        check("second connection for the EUR subsidiary", cid_eu != cid_us)
        st, s_eu, text, _ = env.L("PUT", "/v1/connections/%s/settings" % cid_eu, {"seller_address": AMSTERDAM})
        check("PUT /v1/connections/{eu}/settings: own seller address (Amsterdam)",
              st == 200 and s_eu.get("seller_address", {}).get("country") == "NL"
              and s_eu.get("overrides") == ["seller_address"] and s_eu.get("rounding") == "line", text[:300])
        st, r, text, _ = env.L("PUT", "/v1/connections/%s/regions/EU" % cid_eu,
                               {"subscribed": True, "tax_calculation": True, "registration_number": "NL123456789B01"})
        check("PUT /v1/connections/{eu}/regions/EU: own region (EU VAT) with its VAT registration",
              st == 200 and r.get("subscribed") is True and r.get("tax_calculation") is True
              and r.get("registration_number") == "NL123456789B01" and r.get("source") == "connection"
              and r.get("connection_id") == cid_eu, text[:300])
        st, g, _, _ = env.L("GET", "/v1/settings")
        st2, gnl, _, _ = env.L("GET", "/v1/regions/EU")
        st3, unl, _, _ = env.L("GET", "/v1/connections/%s/regions/EU" % cid_us)
        check("the global settings and regions are unchanged (Austin seller, EU not subscribed)",
              g.get("seller_address", {}).get("city") == "Austin" and gnl.get("subscribed") is False
              and unl.get("subscribed") is False and unl.get("source") == "default", (g, gnl, unl))
        st, lst, text, _ = env.L("GET", "/v1/connections/%s/regions" % cid_eu)
        check("GET /v1/connections/{eu}/regions lists EU as the connection's own",
              st == 200 and [x["source"] for x in lst.get("data", []) if x["code"] == "EU"] == ["connection"], text[:300])

        inv_eu_nl = invoice(sub_eu, nl_cust, NL_CUSTOMER, "EUR")
        d = settled(inv_eu_nl["id"])
        check("EU entity, Dutch business customer: 21 % Dutch VAT (domestic: the entity's seller is in NL)",
              d and d.get("tax_status") == "written" and d.get("levy_tax") == "210.00", d)
        check("... and written to Rillet", common.wait_for(lambda: rillet_tax(inv_eu_nl["id"]) == "210.00", 30),
              rillet_tax(inv_eu_nl["id"]))
        body = {"currency": "EUR", "date": "2026-06-01", "customer": {"id": nl_cust["id"]}, "ship_to": NL_CUSTOMER,
                "lines": [{"id": "1", "amount": "1000.00", "quantity": "1", "product_id": prod["id"]}]}
        st, pre_eu, text, _ = env.L("POST", "/v1/calculate?connection_id=" + cid_eu, body)
        check("POST /v1/calculate?connection_id={eu} previews the entity's tax (210.00)",
              st == 200 and pre_eu.get("total_tax") == "210.00", text[:300])
        st, pre_g, text, _ = env.L("POST", "/v1/calculate", body)
        check("... the global view does not tax it (EU not subscribed globally)",
              st == 200 and pre_g.get("total_tax") == "0.00", text[:300])

        # a credit memo has no seller address of its own (nor an applied invoice here): the
        # entity's seller address applies to it too
        st, memo, text, _ = env.S("POST", "/credit-memos", {
            "customer_id": nl_cust["id"], "subsidiary_id": sub_eu["id"], "credit_memo_date": "2026-06-02",
            "address": NL_CUSTOMER,
            "items": [{"description": "refund", "price": {"product_id": prod["id"], "quantity": 1,
                       "amount_per_unit": {"amount": "100.00", "currency": "EUR"}}}]})
        check("EU entity credit memo created", st == 200, text[:300])

        def memo_settled():
            s, d, _, _ = env.L("GET", "/v1/credit-memos/" + memo["id"])
            return d if s == 200 and d.get("tax_status") in ("written", "not_collecting", "failed") else None
        d = common.wait_for(memo_settled, 60, 0.3)
        check("EU entity credit memo: 21 % Dutch VAT with the entity's seller address, written",
              d and d.get("tax_status") == "written" and d.get("levy_tax") in ("21.00", "-21.00"), d)

        inv_us_nl = invoice(sub_us, nl_cust, NL_CUSTOMER, "USD")
        d = settled(inv_us_nl["id"])
        check("US entity, the same Dutch customer: not collecting (EU is not the US entity's region)",
              d and d.get("tax_status") == "not_collecting" and d.get("levy_tax") == "0.00", d)

        # -- a region toggled on one connection leaves the other's documents alone
        inv_eu_tx = invoice(sub_eu, us_cust, HOUSTON, "EUR")
        d = settled(inv_eu_tx["id"])
        check("EU entity, Texas customer: taxed while the entity follows the global US-TX",
              d and d.get("tax_status") == "written" and d.get("levy_tax") not in (None, "0.00"), d)
        st, d_us, _, _ = env.L("GET", "/v1/invoices/" + inv_us_tx["id"])
        us_calcs = len(calcs(d_us))
        st, r, text, _ = env.L("PUT", "/v1/connections/%s/regions/US-TX" % cid_eu,
                               {"subscribed": False, "tax_calculation": False})
        check("PUT /v1/connections/{eu}/regions/US-TX off: re-checks that connection's Texas documents",
              st == 200 and r.get("subscribed") is False and r.get("source") == "connection"
              and (r.get("requeue") or {}).get("documents", 0) >= 1, text[:300])
        d = settled(inv_eu_tx["id"], lambda x: x.get("tax_status") == "not_collecting")
        check("the EU entity's Texas invoice is now not_collecting", d, env.L("GET", "/v1/invoices/" + inv_eu_tx["id"])[1])
        run = (r.get("requeue") or {}).get("id")
        if run:
            common.wait_for(lambda: env.L("GET", "/v1/bulk/" + run)[1].get("state") == "done", 30)
        st, d_us, _, _ = env.L("GET", "/v1/invoices/" + inv_us_tx["id"])
        check("the US entity's Texas invoice was not recalculated and keeps its tax",
              len(calcs(d_us)) == us_calcs and d_us.get("levy_tax") == us_tx_tax
              and d_us.get("tax_status") == "written", (us_calcs, d_us.get("history")))
        st, g, _, _ = env.L("GET", "/v1/regions/US-TX")
        st2, u, _, _ = env.L("GET", "/v1/connections/%s/regions/US-TX" % cid_us)
        check("global US-TX and the US entity's US-TX stay on",
              g.get("subscribed") is True and u.get("subscribed") is True and u.get("source") == "default", (g, u))

        st, r, text, _ = env.L("DELETE", "/v1/connections/%s/regions/US-TX" % cid_eu)
        check("DELETE /v1/connections/{eu}/regions/US-TX: back to the global region",
              st == 200 and r.get("source") == "default" and r.get("subscribed") is True, text[:300])
        d = settled(inv_eu_tx["id"], lambda x: x.get("tax_status") == "written")
        check("... and the EU entity's Texas invoice is taxed again", d,
              env.L("GET", "/v1/invoices/" + inv_eu_tx["id"])[1])

        # -- the exposure report counts a region one entity subscribes on its own as registered
        st, r, text, _ = env.L("PUT", "/v1/connections/%s/regions/US-NY" % cid_us, {"subscribed": True, "tax_calculation": True})
        check("PUT /v1/connections/{us}/regions/US-NY (not subscribed globally)", st == 200 and r.get("source") == "connection", text[:200])
        st, ex, text, _ = env.L("GET", "/v1/reports/exposure")
        ny = [x for x in (ex or {}).get("data", []) if x.get("region") == "US-NY"]
        check("GET /v1/reports/exposure: US-NY registered (subscribed by the US entity)",
              st == 200 and ny and ny[0].get("status") == "registered", (st, ny, text[:200]))

        # -- bad input
        st, _, text, _ = env.L("PUT", "/v1/connections/con_nope/regions/US-TX", {"subscribed": True})
        check("unknown connection -> 404", st == 404 and '"not_found"' in text, text[:200])
        st, _, text, _ = env.L("GET", "/v1/connections/%s/regions/ZZ-ZZ" % cid_eu)
        check("unknown region -> 404", st == 404, text[:200])
        st, _, text, _ = env.L("PUT", "/v1/connections/%s/regions/EU" % cid_eu, {"subscribed": "yes"})
        check("region value of the wrong type -> 422 naming the field",
              st == 422 and '"subscribed"' in text, text[:200])
        st, _, text, _ = env.L("PUT", "/v1/connections/%s/settings" % cid_eu, {"rounding": "sometimes"})
        check("invalid setting -> 422 naming the field", st == 422 and '"rounding"' in text, text[:200])
        st, _, text, _ = env.L("PUT", "/v1/connections/%s/settings" % cid_eu, {"colour": "blue"})
        check("unknown setting -> 422", st == 422 and '"colour"' in text, text[:200])
        st, _, text, _ = env.L("POST", "/v1/calculate?connection_id=con_nope", body)
        check("POST /v1/calculate?connection_id=unknown -> 404", st == 404, text[:200])
        st, s_eu, text, _ = env.L("PUT", "/v1/connections/%s/settings" % cid_eu, {"seller_address": None})
        check("seller_address null: the EU entity follows the global seller again",
              st == 200 and s_eu.get("overrides") == [] and s_eu.get("seller_address", {}).get("city") == "Austin"
              and (s_eu.get("requeue") or {}).get("documents", 0) >= 1, text[:300])

        def reverse_charged(x):
            return x.get("levy_tax") == "0.00" and [ln.get("taxability_reason") for ln in x.get("lines", [])] == ["reverse_charge"]
        d = settled(inv_eu_nl["id"], reverse_charged)
        check("... its Dutch invoice is re-taxed with the Austin seller: reverse charge (the seller decides)", d,
              env.L("GET", "/v1/invoices/" + inv_eu_nl["id"])[1])
    except Exception:
        import traceback
        traceback.print_exc()
        check("no exception", False)
    finally:
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())  # also when main() returned early after a failed check
