#!/usr/bin/env python3
"""A province's region toggled, or the Quebec QST regime changed, re-checks that province's
documents (issue 19; the bug: their re-check found none).

A Canadian document's answer is region CA (GST/HST) with its province's tax (QST, PST, RST) as
a group inside it, so levy stores region CA on a Quebec invoice. The re-check of region CA-QC
(PUT /v1/regions/CA-QC, or PUT /v1/settings qc_qst_regime) matched documents of region CA-QC,
which no document has: it answered "0 documents" and Quebec invoices kept the tax they had.

Checked against the simulator (seller in Seattle):
  1. Only CA subscribed: an invoice of 100.00 (saas) to Montreal is written back with GST 5.00
     and one to Vancouver with GST 5.00.
  2. PUT /v1/regions/CA-QC subscribed with tax calculation: the answer's re-check counts the
     Montreal invoice (not Vancouver's); it is written back with GST + QST 14.98; Vancouver's
     stays 5.00.
  3. The customer's QST number stored, PUT /v1/settings qc_qst_regime = "specified": the
     re-check counts the Montreal invoice, written back 5.00 (QST 0.00 for a registrant under
     the specified system).
  4. qc_qst_regime back to "regular" and ca_gst_regime = "simplified" in one request: one
     re-check of both Canadian invoices (region CA's covers CA-QC's); Montreal back to 14.98.

usage: province_recheck.py LEVY SRC BASE_PORT
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 16800
SEATTLE = {"line1": "1 Main Street", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"}
MONTREAL = {"line1": "1 Main Street", "city": "Montreal", "state": "QC", "zip_code": "H2Y 1C6", "country": "CA"}
VANCOUVER = {"line1": "1 Main Street", "city": "Vancouver", "state": "BC", "zip_code": "V6B 1A1", "country": "CA"}


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-province-", BASE_PORT, invoices=2)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("CA",), events={"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"],
                                             "CUSTOMER": ["CREATED", "UPDATED", "DELETED"]})
        prod = env.saas_product(SEATTLE)
        if not prod:
            return

        def bulk_done(run):
            if not run or not run.get("id"):
                return run
            return common.wait_for(lambda: (lambda r: r[1] if r[0] == 200 and r[1].get("state") == "done" else None)(
                env.L("GET", "/v1/bulk/" + run["id"])), 120)

        mtl, van = env.sim_customer("Montreal Inc", MONTREAL), env.sim_customer("Vancouver Ltd", VANCOUVER)
        if not (mtl and van):
            return
        im, iv = env.sim_invoice(mtl, prod), env.sim_invoice(van, prod)
        if not (im and iv):
            return
        d, ok = env.written(im, "5.00")
        check("only CA subscribed: the Montreal invoice is written back with GST 5.00", ok, d)
        d, ok = env.written(iv, "5.00")
        check("the Vancouver invoice is written back with GST 5.00", ok, d)

        st, js, text, _ = env.L("PUT", "/v1/regions/CA-QC", {"subscribed": True, "tax_calculation": True})
        run = (js or {}).get("requeue") or {}
        check("PUT /v1/regions/CA-QC: its re-check counts the Montreal invoice only (%s)" % (run,),
              st == 200 and run.get("documents") == 1, text[:400])
        check("the re-check finishes", bulk_done(run), run)
        d, ok = env.written(im, "14.98")
        check("CA-QC subscribed: the Montreal invoice is re-checked and written back with GST + QST 14.98", ok, d)
        s, d, _, _ = env.L("GET", "/v1/invoices/" + iv)
        check("the Vancouver invoice keeps GST 5.00", s == 200 and d.get("levy_tax") == "5.00", d)

        st, js, text, _ = env.L("PUT", "/v1/customers/" + mtl["id"], {"qst_number": "1234567890TQ0001"})
        check("the Montreal customer's QST number stored", st == 200, text[:300])
        env.written(im, "14.98")  # that change's own re-check (regular system: still charged)
        st, js, text, _ = env.L("PUT", "/v1/settings", {"qc_qst_regime": "specified"})
        run = (js or {}).get("requeue") or {}
        check("PUT qc_qst_regime=specified: its re-check counts the Montreal invoice (%s)" % (run,),
              st == 200 and run.get("documents") == 1, text[:400])
        bulk_done(run)
        d, ok = env.written(im, "5.00")
        check("QST specified system: the Montreal registrant's invoice is re-checked and written back 5.00", ok, d)
        st, js, text, _ = env.L("PUT", "/v1/settings", {"qc_qst_regime": "regular", "ca_gst_regime": "simplified"})
        run = (js or {}).get("requeue") or {}
        check("PUT both regimes in one request: one re-check of every Canadian document (%s)" % (run,),
              st == 200 and run.get("documents") == 2, text[:400])
        bulk_done(run)
        d, ok = env.written(im, "14.98")
        check("back to the regular QST system: the Montreal invoice is written back 14.98 again", ok, d)

if __name__ == "__main__":
    main()
    sys.exit(common.summary())
