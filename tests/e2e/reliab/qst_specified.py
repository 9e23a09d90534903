#!/usr/bin/env python3
"""Quebec's QST under the specified registration system (issue 19): a seller outside Quebec
registered under the specified system collects QST only from "specified Quebec consumers",
persons not registered for QST; a business that gives its QST registration number is not
charged (it self-assesses). The request carries that number as customer.qst_number (an
extension of CONTRACT 2.4: customer.tax_id is the GST/HST number), and the organisation
setting qc_qst_regime ("regular" default, "specified") says how the seller is registered.

Usage: qst_specified.py LEVY_BINARY SOURCE_DIR [BASE_PORT=15100]

The bug story (main before this change): levy had one tax id per customer; a US seller under
the specified system was made to charge QST 9.975 % to a Montreal business with QST number
1234567890TQ0001. Now: with qc_qst_regime = "specified" the QST entry is 0.00 (reason
reverse_charge, note qst_registrant), GST 5 % still charged; a malformed number or an "NR"
number of the specified system is charged with the note qst_number_invalid; no number is
charged; "regular" charges everyone; a bad setting value is a 422, a connection cannot set it.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 15100
SEATTLE = {"line1": "1 Main Street", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"}
MONTREAL = {"line1": "1 Main Street", "city": "Montreal", "state": "QC", "zip_code": "H2Y 1C6", "country": "CA"}


def calc(qst=None):
    cu = {"id": "b2b-qc"}
    if qst is not None:
        cu["qst_number"] = qst
    return {"currency": "CAD", "date": "2026-03-01", "ship_to": MONTREAL, "customer": cu,
            "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "saas"}]}


def answer(env, body):
    st, js, text, _ = env.L("POST", "/v1/calculate", body)
    line = ((js or {}).get("lines") or [{}])[0]
    qst = [t.get("amount") for t in line.get("taxes") or [] if t.get("type") == "QST"]
    return (st, (js or {}).get("total_tax"), line.get("taxability_reason"), qst,
            [n.get("code") for n in (js or {}).get("notes") or []], text)


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-qst-", BASE_PORT)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("CA", "CA-QC"), events={"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]})
        st, _, text, _ = env.L("PUT", "/v1/settings", {"seller_address": SEATTLE})
        check("seller address in Seattle", st == 200, text)
        st, js, text, _ = env.L("GET", "/v1/settings")
        check("GET /v1/settings: qc_qst_regime defaults to regular", st == 200 and (js or {}).get("qc_qst_regime") == "regular", text[:400])
        got = answer(env, calc("1234567890TQ0001"))
        check("regular system: a Montreal business with a QST number is charged GST + QST 14.98 (%s)" % (got[:5],),
              got[:5] == (200, "14.98", "standard_rated", ["9.98"], []), got[5][:600])
        for bad in ("yes", 1, "Specified"):
            st, js, text, _ = env.L("PUT", "/v1/settings", {"qc_qst_regime": bad})
            det = ((js or {}).get("error") or {}).get("details") or []
            check("PUT qc_qst_regime=%r: 422 on qc_qst_regime" % (bad,),
                  st == 422 and any(d.get("field") == "qc_qst_regime" for d in det), text[:400])
        st, js, text, _ = env.L("PUT", "/v1/connections/%s/settings" % env.cid, {"qc_qst_regime": "specified"})
        check("a connection cannot set qc_qst_regime: 422", st == 422 and "qc_qst_regime" in text, text[:400])
        st, js, text, _ = env.L("PUT", "/v1/settings", {"qc_qst_regime": "specified"})
        check("PUT qc_qst_regime=specified: 200, echoed, re-check started",
              st == 200 and (js or {}).get("qc_qst_regime") == "specified" and "requeue" in (js or {}), text[:400])
        got = answer(env, calc("1234567890TQ0001"))
        check("specified system, valid QST number: QST 0.00, GST 5.00, note qst_registrant (%s)" % (got[:5],),
              got[:5] == (200, "5.00", "reverse_charge", ["0.00"], ["qst_registrant"]), got[5][:600])
        got = answer(env, calc("1234567890NR0001"))
        check("specified system, an NR number: charged 14.98, note qst_number_invalid (%s)" % (got[:5],),
              got[:5] == (200, "14.98", "standard_rated", ["9.98"], ["qst_number_invalid"]), got[5][:600])
        got = answer(env, calc("N/A"))
        check("specified system, 'N/A': charged 14.98, note qst_number_invalid (%s)" % (got[:5],),
              got[:5] == (200, "14.98", "standard_rated", ["9.98"], ["qst_number_invalid"]), got[5][:600])
        got = answer(env, calc())
        check("specified system, no number: charged 14.98, no note (%s)" % (got[:5],),
              got[:5] == (200, "14.98", "standard_rated", ["9.98"], []), got[5][:600])
        body = calc("1234567890TQ0001")
        body["customer"]["qst_number"] = 1234567890
        st, js, text, _ = env.L("POST", "/v1/calculate", body)
        check("customer.qst_number not a string: 422 naming it", st == 422 and "customer.qst_number" in text, text[:400])
        body = calc("1234567890TQ0001")
        body["ship_from"] = {"line1": "1 Rue", "city": "Quebec", "state": "QC", "zip_code": "G1R 4P5", "country": "CA"}
        got = answer(env, body)
        check("specified setting but a seller in Quebec: charged 14.98 (%s)" % (got[:5],),
              got[:2] == (200, "14.98"), got[5][:600])
        # the Sphere drop-in passes qst_number through (levy's extension): the QST entry is
        # not listed (Sphere lists only taxes applied), the GST is
        st, js, text, _ = env.L("POST", "/v1/sphere-api-key")
        if check("scoped Sphere key", st == 201, text[:300]):
            sk = {"X-API-KEY": js["api_key"]}
            sb = {"currency": "cad", "line_items": [{"id": "li_1", "amount": 10000, "product_id": "saas"}],
                  "customer_address": {"address1": "1 Main Street", "city": "Montreal", "state": "QC",
                                       "postal_code": "H2Y 1C6", "country": "CA"},
                  "qst_number": "1234567890TQ0001"}
            st, js, text, _ = common.req("POST", env.levy_url + "/tax_api/calculate_tax", sb, sk)
            types = [(a.get("tax_rate") or {}).get("tax_type") for ln in ((js or {}).get("data") or {}).get("lines", [])
                     for a in ln.get("tax_amounts", [])]
            check("Sphere drop-in with qst_number: GST listed, QST not (%s)" % (types,),
                  st == 200 and types == ["gst"], text[:600])
            sb["qst_number"] = 5
            st, js, text, _ = common.req("POST", env.levy_url + "/tax_api/calculate_tax", sb, sk)
            check("Sphere drop-in, qst_number not a string: 400 naming qst_number",
                  st == 400 and "qst_number" in text, text[:400])
        st, js, text, _ = env.L("PUT", "/v1/settings", {"qc_qst_regime": None})
        check("qc_qst_regime null: back to regular", st == 200 and (js or {}).get("qc_qst_regime") == "regular", text[:400])


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
