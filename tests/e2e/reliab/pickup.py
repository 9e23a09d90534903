#!/usr/bin/env python3
"""Mandatory delivery through the API (issue 19, ship19): the seller setting pickup_offered.

Usage: pickup.py LEVY_BINARY SOURCE_DIR [BASE_PORT=31300]

The bug story (main before this change): in Illinois (86 Ill. Adm. Code 130.415, Kean v.
Wal-Mart Stores, 235 Ill. 2d 351 (2009)) and Florida (Rule 12A-1.045(3)(a) F.A.C.) a delivery
charge the buyer cannot avoid -- the seller offers no pick-up, as most online sellers -- is part
of the taxable price even when separately stated. levy assumed every seller offers pick-up and
left a ship-only seller's delivery untaxed, with no way to say otherwise. Now the setting
pickup_offered ("no" default: the seller only ships; "yes") decides: a ship-only seller's
delivery of taxable goods is taxed, one offering pick-up is not; a bad value is a 422; a
connection may set its own; null goes back to "no"; a change re-checks the documents.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 31300
SEATTLE = {"line1": "1 Main Street", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"}
CHICAGO = {"line1": "233 S Wacker Dr", "city": "Chicago", "state": "IL", "zip_code": "60601", "country": "US"}
MIAMI = {"line1": "1 SE 3rd Ave", "city": "Miami", "state": "FL", "zip_code": "33130", "country": "US"}


def calc(ship_to, goods="general"):
    return {"currency": "USD", "date": "2026-03-01", "ship_to": ship_to,
            "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": goods},
                      {"id": "2", "amount": "10.00", "quantity": "1", "tax_code": "shipping"}]}


def delivery(env, body):
    """(status, the delivery line's tax, its taxability_reason, the answer's text)"""
    st, js, text, _ = env.L("POST", "/v1/calculate", body)
    lines = (js or {}).get("lines") or [{}, {}]
    line = lines[1] if len(lines) > 1 else {}
    return st, line.get("tax"), line.get("taxability_reason"), text


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-pickup-", BASE_PORT)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-IL", "US-FL"), events={"INVOICE": ["CREATED", "UPDATED", "DELETED", "PAYMENT_UPDATED"]})
        st, js, text, _ = env.L("PUT", "/v1/settings", {"seller_address": SEATTLE})
        check("seller address in Seattle (a remote seller: destination)", st == 200, text[:300])
        check("GET /v1/settings: pickup_offered defaults to no (a ship-only seller)",
              (js or {}).get("pickup_offered") == "no", text[:600])
        got = delivery(env, calc(CHICAGO))
        check("ship-only: Chicago delivery of taxable goods taxed, 10.25 %% on $10 (%s)" % (got[:3],),
              got[:3] == (200, "1.04", "standard_rated"), got[3][:600])
        got = delivery(env, calc(MIAMI))
        check("ship-only: Miami delivery of taxable goods taxed, 7 %% on $10 (%s)" % (got[:3],),
              got[:3] == (200, "0.70", "standard_rated"), got[3][:600])
        got = delivery(env, calc(MIAMI, "food_grocery"))
        check("ship-only: Miami delivery of groceries exempt with them (%s)" % (got[:3],),
              got[:3] == (200, "0.00", "product_exempt"), got[3][:600])
        for bad in ("Yes", "", 1, True, {"x": 1}):
            st, js, text, _ = env.L("PUT", "/v1/settings", {"pickup_offered": bad})
            det = ((js or {}).get("error") or {}).get("details") or []
            check("PUT pickup_offered=%r: 422 validation_failed on pickup_offered" % (bad,),
                  st == 422 and any(d.get("field") == "pickup_offered" for d in det), text[:400])
        st, js, text, _ = env.L("PUT", "/v1/settings", {"pickup_offered": "yes"})
        check("PUT pickup_offered=yes: 200, echoed, documents re-checked (requeue)",
              st == 200 and (js or {}).get("pickup_offered") == "yes" and "requeue" in (js or {}), text[:400])
        for where, to in (("Chicago", CHICAGO), ("Miami", MIAMI)):
            got = delivery(env, calc(to))
            check("pick-up offered: %s delivery not taxed (%s)" % (where, got[:3]),
                  got[:3] == (200, "0.00", "product_exempt"), got[3][:600])
        st, js, text, _ = env.L("PUT", "/v1/connections/%s/settings" % env.cid, {"pickup_offered": "no"})
        check("a connection sets its own (it only ships): 200, in overrides",
              st == 200 and (js or {}).get("pickup_offered") == "no"
              and "pickup_offered" in ((js or {}).get("overrides") or []), text[:400])
        st, js, text, _ = env.L("PUT", "/v1/connections/%s/settings" % env.cid, {"pickup_offered": None})
        check("the connection drops its own: the global yes again",
              st == 200 and (js or {}).get("pickup_offered") == "yes", text[:400])
        st, js, text, _ = env.L("PUT", "/v1/settings", {"pickup_offered": None})
        check("pickup_offered null: back to no", st == 200 and (js or {}).get("pickup_offered") == "no", text[:400])
        got = delivery(env, calc(CHICAGO))
        check("back to no: Chicago delivery taxed again (%s)" % (got[:3],),
              got[:3] == (200, "1.04", "standard_rated"), got[3][:600])


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
