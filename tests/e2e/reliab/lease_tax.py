#!/usr/bin/env python3
"""Local taxes outside sales tax (issue 19): Chicago's Personal Property Lease Transaction Tax
(Municipal Code of Chicago ch. 3-32; Ruling #12: SaaS is a nonpossessory computer lease) is a
city tax the lessor collects on cloud software used in Chicago, 15 % from 2026-01-01 (11 % in
2025). Illinois sales tax does not reach SaaS, so before levy charged nothing on a Chicago
SaaS invoice.

Against the real simulator (US-IL subscribed), checked here:
  1. POST /v1/calculate: SaaS to Chicago 60601 on 2026-03-01 -> 15.00, one tax entry of type
     LEASE_TRANSACTION_TAX, level city, jurisdiction CHICAGO, named "Chicago Personal Property
     Lease Transaction Tax"; 2025-06-01 -> 11.00; goods to Chicago keep their 10.25 % sales tax;
     SaaS to Springfield 0.00; ZIP 60018 (partly in Chicago) without a city -> 0.00 with the
     note local_tax_uncertain, with city Chicago -> 15.00 and the note. Denver (home-rule city)
     taxes SaaS with its own city sales tax: 5.15 (the rate data's DENVER city rate); so does Boulder
     (B.R.C. 3-1-1, scripts/us/co.lua): 3.86, its city tax only.
     The Sphere drop-in: 1500 with display_name the tax's name, tax_type lease_transaction_tax.
  2. The Rillet connector: an invoice created in Rillet for a Chicago customer (SaaS 100.00 +
     goods 50.00) -> levy writes the lease tax as its own TaxRate (SALES_TAX, described
     "Chicago Personal Property Lease Transaction Tax", 15, 15.00) beside the goods' sales tax;
     the simulator's document holds it (tax-detail) and its taxed_amount; levy shows the
     invoice written with the LEASE_TRANSACTION_TAX entry.
  3. The simulator's other reading of Rillet (tax_rates_per_line = one_per_type: rates of one
     type folded per line): a second invoice is still written and verified (taxed_amount
     equals levy's total).

usage: lease_tax.py LEVY SRC BASE_PORT
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 23200
CHICAGO = {"line1": "121 N LaSalle St", "city": "Chicago", "state": "IL", "zip_code": "60601", "country": "US"}
NAME = "Chicago Personal Property Lease Transaction Tax"


def calc_req(ship_to, date="2026-03-01", code="saas", amount="100.00"):
    return {"currency": "USD", "date": date, "ship_to": ship_to,
            "lines": [{"id": "1", "amount": amount, "quantity": "1", "tax_code": code}]}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-leasetax-", BASE_PORT, invoices=2)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-IL", "US-CO"), events={"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]})

        # 1. the API
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(CHICAGO))
        taxes = (js or {}).get("lines", [{}])[0].get("taxes", []) if st == 200 else []
        check("Chicago SaaS 2026-03-01: 15.00 lease transaction tax",
              st == 200 and js.get("total_tax") == "15.00" and len(taxes) == 1 and {
                  k: v for k, v in taxes[0].items() if k != "jurisdiction_note"} == {
                  "jurisdiction": "CHICAGO", "level": "city", "type": "LEASE_TRANSACTION_TAX", "name": NAME,
                  "percentage": "15.00", "taxable_amount": "100.00", "amount": "15.00",
                  # levied by the City of Chicago: its Census place code (issue 19, names that file)
                  "authority_code": "1714000"}, text[:600])
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(CHICAGO, "2025-06-01"))
        check("Chicago SaaS 2025-06-01: 11 % (11.00)", st == 200 and js.get("total_tax") == "11.00", text[:400])
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(CHICAGO, code="general"))
        types = {t.get("type") for t in (js or {}).get("lines", [{}])[0].get("taxes", [])} if st == 200 else set()
        check("Chicago goods: sales tax 10.25 only", st == 200 and js.get("total_tax") == "10.25"
              and types == {"SALES_TAX"}, text[:400])
        spring = {"line1": "1 Main St", "city": "Springfield", "state": "IL", "zip_code": "62701", "country": "US"}
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(spring))
        check("Springfield SaaS: 0.00, no note", st == 200 and js.get("total_tax") == "0.00" and "notes" not in js,
              text[:400])
        partial = {"line1": "1 Main St", "state": "IL", "zip_code": "60018", "country": "US"}
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(partial))
        codes = [n.get("code") for n in (js or {}).get("notes", [])]
        check("ZIP 60018 (partly Chicago) without a city: not charged, note local_tax_uncertain",
              st == 200 and js.get("total_tax") == "0.00" and codes == ["local_tax_uncertain"], text[:600])
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(dict(partial, city="Chicago")))
        codes = [n.get("code") for n in (js or {}).get("notes", [])]
        check("ZIP 60018 with city Chicago: charged 15.00, with the note", st == 200
              and js.get("total_tax") == "15.00" and codes == ["local_tax_uncertain"], text[:600])

        # Denver: its own city sales tax reaches SaaS (the state's does not), at the rate data's rate
        denver = {"line1": "1437 Bannock St", "city": "Denver", "state": "CO", "zip_code": "80202", "country": "US"}
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(denver))
        taxes = (js or {}).get("lines", [{}])[0].get("taxes", []) if st == 200 else []
        check("Denver SaaS: Denver's city tax only, 5.15", st == 200 and js.get("total_tax") == "5.15"
              and [(t.get("jurisdiction"), t.get("level"), t.get("type")) for t in taxes] == [("DENVER", "city", "SALES_TAX")],
              text[:600])
        st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(dict(denver, city="Boulder", zip_code="80302")))
        taxes = (js or {}).get("lines", [{}])[0].get("taxes", []) if st == 200 else []
        check("Boulder SaaS: Boulder's city tax only, 3.86", st == 200 and js.get("total_tax") == "3.86"
              and [(t.get("jurisdiction"), t.get("level"), t.get("type")) for t in taxes] == [("BOULDER", "city", "SALES_TAX")],
              text[:600])

        # 1b. the Sphere drop-in (scoped key): the tax's name as display_name, its own tax_type
        st, js, text, _ = env.L("POST", "/v1/sphere-api-key")
        if check("scoped Sphere key", st == 201, text[:300]):
            st, prods0, text, _ = env.S("GET", "/products?limit=100")
            saas0 = next(p for p in prods0["products"] if (p.get("external_references") or [{}])[0].get("id") == "saas")
            st, _, text, _ = env.L("PUT", "/v1/products/" + saas0["id"], {"tax_code": "saas"})
            b = {"currency": "usd", "customer_address": {"address1": "121 N LaSalle St", "city": "Chicago", "state": "IL",
                                                         "postal_code": "60601", "country": "US"},
                 "line_items": [{"id": "li_1", "amount": 10000, "product_id": saas0["id"]}]}
            st, js, text, _ = common.req("POST", env.levy_url + "/tax_api/calculate_tax", b, {"X-API-KEY": js["api_key"]})
            amts = (((js or {}).get("data") or {}).get("lines") or [{}])[0].get("tax_amounts") or []
            tr = (amts[0] if amts else {}).get("tax_rate") or {}
            check("Sphere: one tax amount 1500, display_name the tax's name, tax_type lease_transaction_tax",
                  st == 200 and len(amts) == 1 and amts[0].get("amount") == 1500 and tr.get("display_name") == NAME
                  and tr.get("tax_type") == "lease_transaction_tax", text[:600])

        # 2. the connector
        st, cu, text, _ = env.S("POST", "/customers", {"name": "Loop Analytics LLC", "address": CHICAGO})
        if not check("Chicago customer created in Rillet", st == 200 and cu, text[:300]):
            return
        st, js, text, _ = env.S("GET", "/products?limit=100")
        prods = (js or {}).get("products", [])

        def product(kind):
            return next(p for p in prods if (p.get("external_references") or [{}])[0].get("id") == kind)
        saas, goods = product("saas"), product("goods")

        def invoice(date):
            body = {"customer_id": cu["id"], "subsidiary_id": env.sub["id"], "invoice_date": date,
                    "items": [{"description": "Platform subscription", "price": {
                        "product_id": saas["id"], "quantity": 1, "amount_per_unit": {"amount": "100.00", "currency": "USD"}}},
                        {"description": "Edge router", "price": {
                            "product_id": goods["id"], "quantity": 1,
                            "amount_per_unit": {"amount": "50.00", "currency": "USD"}}}]}
            s, inv, t, _ = env.S("POST", "/invoices", body)
            check("invoice to the Chicago customer created in Rillet (%s)" % date, s in (200, 201), t[:300])
            return inv

        def detail(iid):
            s, d, _, _ = env.S("GET", "/_sim/invoices/%s/tax-detail" % iid)
            return d if s == 200 else None

        inv = invoice("2026-03-02")

        def lease_line():
            d = detail(inv["id"]) or {}
            for ln in d.get("lines", []):
                for r in ln.get("tax_rates", []):
                    if r.get("description") == NAME:
                        return (ln, r, d)
            return None
        got = common.wait_for(lease_line, 90, 0.5)
        ln, r, d = got if got else (None, None, detail(inv["id"]))
        check("the lease tax reaches Rillet's document as its own tax line (%s)" % (r,),
              r is not None and r.get("type") == "SALES_TAX" and r.get("percentage") == 15
              and r.get("tax_amount") == {"amount": "15.00", "currency": "USD"} and r.get("country") == "US"
              and len(ln.get("tax_rates", [])) == 1 and (ln.get("taxed_amount") or {}).get("amount") == "15.00",
              (d, common.tail(os.path.join(env.tmp, "levy.log"))))
        goods_rates = [x for ln2 in (d or {}).get("lines", []) for x in ln2.get("tax_rates", [])
                       if x.get("description") != NAME]
        check("the goods line carries Illinois/Chicago sales tax (5.14 in 4 rates)",
              len(goods_rates) == 4 and sum(int(x["tax_amount"]["amount"].replace(".", "")) for x in goods_rates) == 514,
              goods_rates)

        def written(iid):
            s, doc, _, _ = env.L("GET", "/v1/invoices/" + iid)
            return doc if s == 200 and doc.get("tax_status") == "written" else None
        doc = common.wait_for(lambda: written(inv["id"]), 60, 0.5)
        lease = [t for ln2 in (doc or {}).get("lines", []) for t in ln2.get("taxes", [])
                 if t.get("type") == "LEASE_TRANSACTION_TAX"]
        check("levy shows the invoice written, 20.14, with the LEASE_TRANSACTION_TAX entry",
              doc and doc.get("levy_tax") == "20.14" and len(lease) == 1 and lease[0].get("name") == NAME
              and lease[0].get("amount") == "15.00", doc)
        st, sdoc, text, _ = env.S("GET", "/invoices/" + inv["id"])
        check("Rillet's invoice: taxed_amount 20.14", st == 200 and (sdoc.get("taxed_amount") or {}).get("amount") == "20.14",
              text[:400])

        # 3. the other reading: rates of one type folded per line
        st, _, text, _ = env.S("POST", "/_sim/config", {"tax_rates_per_line": "one_per_type"})
        check("simulator: tax_rates_per_line one_per_type", st == 200, text[:300])
        inv2 = invoice("2026-03-03")
        doc2 = common.wait_for(lambda: written(inv2["id"]), 90, 0.5)
        d2 = detail(inv2["id"]) or {}
        per_line = [len(ln2.get("tax_rates", [])) for ln2 in d2.get("lines", [])]
        st, sdoc, text, _ = env.S("GET", "/invoices/" + inv2["id"])
        check("folded reading: written and verified, one rate per line, taxed_amount 20.14 (%s)" % per_line,
              doc2 and doc2.get("levy_tax") == "20.14" and per_line == [1, 1]
              and (sdoc.get("taxed_amount") or {}).get("amount") == "20.14",
              (doc2, d2, common.tail(os.path.join(env.tmp, "levy.log"))))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
