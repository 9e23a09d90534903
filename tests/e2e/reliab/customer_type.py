#!/usr/bin/env python3
"""Issue 19, "Business vs consumer in the US": Connecticut taxes SaaS bought for business use
as a computer and data processing service at 1 % (Conn. Gen. Stat. 12-408(1)(H)) and SaaS bought
by an individual at the general 6.35 %; Ohio taxes it only for use in business (R.C.
5739.01(B)(3)(e)). Before, levy knew no customer type and always answered the business case.

Against the real simulator (CT and OH subscribed), checked here:
  1. POST /v1/calculate: no type -> business (CT 1.00 on 100.00); customer.type "individual"
     -> 6.35; Ohio: individual 0.00, business 8.00; a bad type -> 422 naming customer.type.
  2. The setting default_customer_type (GET/PUT /v1/settings): "individual" makes a request
     without a type pay 6.35 and re-checks the connection's documents (a bulk run, as a
     connection's own settings do); the same value again re-checks nothing; a bad value -> 422.
  3. The Rillet mapping: a customer created in Rillet with the custom field "Customer type" =
     "Consumer" (a field levy did not know) is stored as individual, source mapping, detail
     naming the field; a calculation naming the customer pays 6.35 with the default back at
     business. PUT /v1/customers/{id} {"customer_type": "business"} wins (1.00, "set in levy");
     null goes back to Rillet's value; a bad value -> 422.
  4. The Sphere drop-in (scoped key): a product with tax code saas; no type -> 100 (business);
     levy's customer_type "individual" -> 635; the stored individual's customer_id -> 635; a
     tax_id with the org default individual -> business (100); a bad customer_type -> 400
     naming customer_type.

usage: customer_type.py LEVY SRC BASE_PORT
"""
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 22900
HARTFORD = {"line1": "1 Main St", "city": "Hartford", "state": "CT", "zip_code": "06103", "country": "US"}
COLUMBUS = {"line1": "1 High St", "city": "Columbus", "state": "OH", "zip_code": "43201", "country": "US"}
SPHERE_CT = {"address1": "1 Main St", "city": "Hartford", "state": "CT", "postal_code": "06103", "country": "US"}


def calc_req(ship_to, customer=None, tax_code="saas"):
    r = {"currency": "USD", "date": "2026-03-01", "ship_to": ship_to,
         "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": tax_code}]}
    if customer is not None:
        r["customer"] = customer
    return r


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-custtype-", BASE_PORT, invoices=2)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        try:
            env.connect(regions=("US-CT", "US-OH"),
                        events={"CUSTOMER": ["CREATED", "UPDATED", "DELETED"]})
        except RuntimeError as e:
            check("connect and import", False, str(e)[:600])
            return

        def tax(customer=None, ship_to=HARTFORD):
            st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(ship_to, customer))
            return (js.get("total_tax") if st == 200 else None), text

        # 1. the request
        t, text = tax()
        check("CT SaaS, no customer type: business, 1 % (1.00)", t == "1.00", text[:400])
        t, text = tax({"type": "individual"})
        check("CT SaaS for an individual: 6.35 %", t == "6.35", text[:400])
        t, text = tax({"type": "business"})
        check("CT SaaS for a business: 1.00", t == "1.00", text[:400])
        t, text = tax({"type": "individual"}, COLUMBUS)
        check("OH SaaS for an individual: not a sale (0.00)", t == "0.00", text[:400])
        t, text = tax({"type": "business"}, COLUMBUS)
        check("OH SaaS for a business: 8.00", t == "8.00", text[:400])
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(HARTFORD, {"type": "consumer"}))
        check("customer.type 'consumer' -> 422 naming customer.type", st == 422 and any(
            d.get("field") == "customer.type" for d in (js.get("error") or {}).get("details", [])), text[:400])

        # 2. the setting
        st, js, text, _ = env.L("GET", "/v1/settings")
        check("default_customer_type is business by default", st == 200 and js.get("default_customer_type") == "business",
              text[:400])
        st, js, text, _ = env.L("PUT", "/v1/settings", {"default_customer_type": "individual"})
        check("PUT default_customer_type individual", st == 200 and js.get("default_customer_type") == "individual",
              text[:400])
        rq = (js or {}).get("requeue") or {}
        check("the change re-checks the connection's documents (a bulk run)",
              rq.get("documents", 0) > 0 and rq.get("id"), text[:400])
        if rq.get("id"):
            done = common.wait_for(lambda: (lambda r: r[1] if r[0] == 200 and r[1].get("state") == "done" else None)(
                env.L("GET", "/v1/bulk/" + rq["id"])), 120)
            check("the bulk run finishes", done, done)
        st, js, text, _ = env.L("PUT", "/v1/settings", {"default_customer_type": "individual"})
        check("saving the same value re-checks nothing", st == 200 and "requeue" not in (js or {}), text[:300])
        t, text = tax()
        check("no type in the request -> the setting's individual: 6.35", t == "6.35", text[:400])
        t, text = tax({"type": "business"})
        check("the request's type wins over the setting", t == "1.00", text[:400])
        st, _, text, _ = env.L("PUT", "/v1/settings", {"default_customer_type": "consumer"})
        check("a bad default_customer_type -> 422", st == 422 and "default_customer_type" in text, text[:400])
        st, _, text, _ = env.L("PUT", "/v1/settings", {"default_customer_type": "business"})
        check("default back to business", st == 200, text[:300])

        # 3. the Rillet mapping: a custom field "Customer type" levy has not seen
        st, f, text, _ = env.S("POST", "/fields", {"name": "Customer type",
                                                   "values": [{"name": "Consumer"}, {"name": "Business"}]})
        consumer = next((v["id"] for v in (f or {}).get("values", []) if v["name"] == "Consumer"), None)
        if not check("field 'Customer type' (Consumer, Business) created in Rillet", st == 200 and consumer,
                     text[:300]):
            return
        st, cu, text, _ = env.S("POST", "/customers", {
            "name": "Jane Doe", "address": HARTFORD,
            "fields": [{"field_id": f["id"], "field_value_id": consumer}]})
        if not check("customer created in the simulator", st == 200 and cu, text[:300]):
            return
        got = common.wait_for(lambda: (lambda r: r[1] if r[0] == 200 and r[1].get("customer_type") else None)(
            env.L("GET", "/v1/customers/" + cu["id"])), 60)
        check("levy stores her as individual, from the custom field",
              got and got["customer_type"] == "individual" and got.get("customer_type_source") == "mapping"
              and got.get("customer_type_detail") == "custom field Customer type = Consumer"
              and (got.get("rillet") or {}).get("customer_type") == "individual", got)
        t, text = tax({"id": cu["id"]})
        check("a calculation naming her pays 6.35 (default business)", t == "6.35", text[:400])
        st, js, text, _ = env.L("PUT", "/v1/customers/" + cu["id"], {"customer_type": "business"})
        check("PUT customer_type business: set in levy", st == 200 and js.get("customer_type") == "business"
              and js.get("customer_type_source") == "user" and js.get("customer_type_detail") == "set in levy",
              text[:400])
        t, text = tax({"id": cu["id"]})
        check("then she pays 1.00", t == "1.00", text[:400])
        st, js, text, _ = env.L("PUT", "/v1/customers/" + cu["id"], {"customer_type": None})
        check("customer_type null goes back to Rillet's value", st == 200 and js.get("customer_type") == "individual"
              and js.get("customer_type_source") == "mapping", text[:400])
        st, _, text, _ = env.L("PUT", "/v1/customers/" + cu["id"], {"customer_type": "person"})
        check("a bad customer_type -> 422", st == 422 and "customer_type" in text, text[:300])

        # 4. the Sphere drop-in
        st, prods, text, _ = env.L("GET", "/v1/products?limit=100")
        prod = next(iter((prods or {}).get("data", [])), None)
        if not check("a product to sell", prod, text[:300]):
            return
        st, _, text, _ = env.L("PUT", "/v1/products/" + prod["id"], {"tax_code": "saas"})
        check("its tax code: saas", st == 200, text[:300])
        st, js, text, _ = env.L("POST", "/v1/sphere-api-key")
        if not check("scoped Sphere key", st == 201, text[:300]):
            return
        sk = {"X-API-KEY": js["api_key"]}

        def sphere(**kw):
            b = {"currency": "usd", "customer_address": SPHERE_CT,
                 "line_items": [{"id": "li_1", "amount": 10000, "product_id": prod["id"]}]}
            b.update(kw)
            st, js, text, _ = common.req("POST", env.levy_url + "/tax_api/calculate_tax", b, sk)
            if st != 200:
                return None, st, js, text
            return sum(a["amount"] for a in js["data"]["lines"][0]["tax_amounts"]), st, js, text

        t, _, _, text = sphere()
        check("Sphere: no type -> business, 100", t == 100, text[:400])
        t, _, _, text = sphere(customer_type="individual")
        check("Sphere: customer_type individual -> 635", t == 635, text[:400])
        t, _, _, text = sphere(customer_id=cu["id"])
        check("Sphere: the stored individual's customer_id -> 635", t == 635, text[:400])
        env.L("PUT", "/v1/settings", {"default_customer_type": "individual"})
        t, _, _, text = sphere()
        check("Sphere: default individual -> 635", t == 635, text[:400])
        t, _, _, text = sphere(tax_id="06-1234567")
        check("Sphere: a tax_id means a business -> 100", t == 100, text[:400])
        _, st, js, text = sphere(customer_type="b2c")
        check("Sphere: a bad customer_type -> 400 naming it", st == 400 and (js or {}).get("code") == "validation_errors"
              and "customer_type" in (js or {}).get("message", ""), text[:400])
    except Exception:  # a step that raised must not pass as "returned early"
        check("the scenario ran without an exception", False, traceback.format_exc()[-1500:])
    finally:
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
