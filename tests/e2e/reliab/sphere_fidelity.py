#!/usr/bin/env python3
"""Issue 19, "Sphere drop-in fidelity": POST /tax_api/calculate_tax answers as Sphere's Tax
Calculation API does (docs.getsphere.com, features/integrations/api/tax-calculation).

The bug story: the endpoint ignored `include_taxability_reason` (a client could never learn
why a line had no tax), answered a reverse-charged line with a zero-amount entry at the
would-be VAT rate where Sphere answers an empty `tax_amounts`, and dropped `ship_from`, so a
seller shipping from Germany to a German business was answered "reverse charge" from the
settings' US seller address instead of German VAT.

Checked here, with the scoped key:
  * no `include_taxability_reason` (or false): no `taxability_reason` anywhere in the answer;
    true: on each tax_rate and on each line (standard_rated in CA; reverse_charge, with an
    empty tax_amounts, for a German business buying from a US seller);
  * reverse charge, exempt customer and not collecting: `tax_amounts` is [] (no 0 entries);
  * `ship_from` in Germany: the seller is established there, so German VAT (19 %) is charged
    to the German business; a bad `ship_from` is 400 validation_errors naming the field;
  * a non-boolean include_taxability_reason, per-line ship_to/ship_from (not supported) and
    pull_customer_address (Sphere: Stripe only) are clear 400s.

usage: sphere_fidelity.py LEVY SRC BASE_PORT
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req  # noqa: E402

LEVY, SRC, BASE = sys.argv[1], sys.argv[2], int(sys.argv[3])
TOKEN = "sphere-fidelity-token-0123456789"
CA = {"address1": "2000 Main St", "city": "Irvine", "state": "CA", "postal_code": "92614", "country": "US"}
DE = {"address1": "Invalidenstr. 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}
DE_VAT_ID = "DE123456788"  # check digit valid (ISO 7064 MOD 11,10)


def body(addr, **kw):
    b = {"currency": "usd" if addr is CA else "eur", "customer_address": addr,
         "line_items": [{"id": "li_1", "amount": 10000}]}
    b.update(kw)
    return b


def has_reason(js):
    """Any taxability_reason key anywhere in the answer."""
    if isinstance(js, dict):
        return "taxability_reason" in js or any(has_reason(v) for v in js.values())
    if isinstance(js, list):
        return any(has_reason(v) for v in js)
    return False


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-sphere-fid-")
    p, url, admin, log, _, up = common.serve_tree(LEVY, tmp, os.path.join(SRC, "plugins"),
                                                  os.path.join(SRC, "scripts"), BASE, TOKEN)
    try:
        if not check("levy serve starts", up, common.tail(log)):
            return
        for code in ("US-CA", "EU"):
            st, _, text, _ = req("PUT", url + "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True},
                                 admin)
            check("subscribe " + code, st == 200, (st, text))
        st, _, text, _ = req("PUT", url + "/v1/settings", {"seller_address": {
            "line1": "1 SW Main St", "city": "Portland", "state": "OR", "zip_code": "97204", "country": "US"}},
            admin)
        check("seller address in Oregon (settings)", st == 200, (st, text))
        st, js, text, _ = req("POST", url + "/v1/sphere-api-key", headers=admin)
        if not check("scoped Sphere key", st == 201, (st, text)):
            return
        sk = {"X-API-KEY": js["api_key"]}

        def calc(b):
            st, js, text, _ = req("POST", url + "/tax_api/calculate_tax", b, sk)
            return st, js, text

        # include_taxability_reason
        st, js, text = calc(body(CA))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("CA without include_taxability_reason: 775 of tax, no taxability_reason anywhere",
              st == 200 and sum(a["amount"] for a in line["tax_amounts"]) == 775 and not has_reason(js), text)
        st, js, text = calc(body(CA, include_taxability_reason=False))
        check("include_taxability_reason false: none either", st == 200 and not has_reason(js), text)
        st, js, text = calc(body(CA, include_taxability_reason=True))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("include_taxability_reason true: standard_rated on each tax_rate and on the line",
              st == 200 and line["tax_amounts"] and
              all(a["tax_rate"].get("taxability_reason") == "standard_rated" for a in line["tax_amounts"]) and
              line.get("taxability_reason") == "standard_rated", text)
        st, js, text = calc(body(CA, include_taxability_reason="yes"))
        check("include_taxability_reason not a boolean -> 400 validation_errors naming it",
              st == 400 and js.get("code") == "validation_errors" and "include_taxability_reason" in js.get("message", ""),
              text)

        # reverse charge: a German business, the seller in the US (settings)
        st, js, text = calc(body(DE, tax_id=DE_VAT_ID))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("reverse charge: tax_amounts is [] (no zero-amount entry), no reason unasked",
              st == 200 and line.get("tax_amounts") == [] and not has_reason(js), text)
        st, js, text = calc(body(DE, tax_id=DE_VAT_ID, include_taxability_reason=True))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("reverse charge with include_taxability_reason: [] and the line says reverse_charge",
              st == 200 and line.get("tax_amounts") == [] and line.get("taxability_reason") == "reverse_charge", text)
        st, js, text = calc(body(DE, include_taxability_reason=True))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("a German consumer (no tax id) pays 19 % VAT: 1900",
              st == 200 and sum(a["amount"] for a in line["tax_amounts"]) == 1900 and
              all(a["tax_rate"]["tax_type"] == "vat" and a["tax_rate"].get("taxability_reason") == "standard_rated"
                  for a in line["tax_amounts"]), text)
        st, js, text = calc(body(CA, tax_exempt=True, include_taxability_reason=True))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("exempt customer: tax_amounts [] and customer_exempt",
              st == 200 and line.get("tax_amounts") == [] and line.get("taxability_reason") == "customer_exempt", text)
        st, js, text = calc(body({"state": "NY", "postal_code": "10001", "country": "US"}, include_taxability_reason=True))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("not collecting (NY not subscribed): [] and not_collecting",
              st == 200 and line.get("tax_amounts") == [] and line.get("taxability_reason") == "not_collecting", text)

        # ship_from: the seller's location for this request
        de_from = {"address1": "Hauptstr. 5", "city": "Munich", "postal_code": "80331", "country": "de"}
        st, js, text = calc(body(DE, tax_id=DE_VAT_ID, ship_from=de_from, include_taxability_reason=True))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("ship_from in Germany: the seller is established there, German VAT to the German business (1900)",
              st == 200 and sum(a["amount"] for a in line["tax_amounts"]) == 1900 and
              line.get("taxability_reason") != "reverse_charge", text)
        st, js, text = calc(body(DE, tax_id=DE_VAT_ID, ship_from={"address1": "1 SW Main St", "city": "Portland",
                                                                  "state": "OR", "postal_code": "97204",
                                                                  "country": "US"}))
        line = js["data"]["lines"][0] if st == 200 else {}
        check("ship_from in the US: reverse charge again", st == 200 and line.get("tax_amounts") == [], text)
        for bad, field in (({"city": 5, "country": "DE"}, "ship_from.city"), ("Munich", "ship_from"),
                           ({"city": "Munich"}, "ship_from.country")):
            st, js, text = calc(body(DE, ship_from=bad))
            check("bad ship_from %r -> 400 validation_errors naming %s" % (bad, field),
                  st == 400 and js.get("code") == "validation_errors" and field in js.get("message", ""), text)
        st, js, text = calc(body(CA, line_items=[{"id": "a", "amount": 100, "ship_from": de_from}]))
        check("per-line ship_from -> 400 validation_errors (not silently ignored)",
              st == 400 and js.get("code") == "validation_errors" and "line_items[0].ship_from" in js.get("message", ""),
              text)
        st, js, text = calc(body(CA, pull_customer_address=True))
        check("pull_customer_address -> 400 unsupported_feature (Sphere: Stripe only)",
              st == 400 and js.get("code") == "unsupported_feature", text)
    finally:
        common.stop(p)
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(log), flush=True)
        elif not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
