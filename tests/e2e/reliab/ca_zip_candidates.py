#!/usr/bin/env python3
"""Issue 19, address precision in California: a CA ZIP that spans several cities or district
taxes used to answer the ZIP table's rate without a word (no ZIP-to-city table ships, so no
candidates were listed), and a ship_to.city anywhere in California picked its CDTFA rate even
when it lay in another county than the ZIP.

Through POST /v1/calculate (levy serve, US-CA subscribed):
  1. ZIP 90016 without a city on 2025-12-15, before CDTFA's file of 2026-01-01: the ZIP table's
     10.50 (it names the ZIP CULVER CITY), resolution zip5, and ambiguous_zip with the
     candidates built from CDTFA's rates: Culver City 10.75 (city "CULVER CITY", the
     ship_to.city that picks it) and the unincorporated area of Los Angeles County 9.75; the ZIP
     table's answer is the default. From 2026-01-01 CDTFA's newer rate for the city the ZIP
     table names wins: 10.75 is the default (issue 19, which vintage wins by date).
  2. The same ZIP with ship_to.city "Culver City": 10.75, resolution zip5_city, no ambiguous_zip;
     with "Los Angeles": 9.75.
  3. ship_to.city "Oakland" (Alameda County) with 90016 (Los Angeles County): the city does not
     pick the rate; the default (CDTFA's Culver City 10.75 at 2026-03-01) with Oakland listed
     among the candidates.
  4. ZIP 94505 (Alameda and Contra Costa counties in the HUD crosswalk): Contra Costa's
     unincorporated 8.75 is a candidate.
  5. ZIP 90001 (Huntington Park, one county, the ZIP row at the city's CDTFA rate): no
     ambiguous_zip.

usage: ca_zip_candidates.py LEVY SRC BASE_PORT
"""
import os
import shutil
import sys
import tempfile
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 25300


def calc_req(zip_code, city=None, date="2026-03-01"):
    ship_to = {"line1": "1 Main St", "state": "CA", "zip_code": zip_code, "country": "US"}
    if city:
        ship_to["city"] = city
    return {"currency": "USD", "date": date, "ship_to": ship_to,
            "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]}


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-ca-zip-")
    port = common.free_port(BASE_PORT, 50)
    env = common.Env(LEVY, SRC, tmp, 0, port)
    try:
        if not check("levy serve starts", env.start_levy(60), common.tail(os.path.join(tmp, "levy.log"))):
            return
        st, _, text, _ = env.L("PUT", "/v1/regions/US-CA", {"subscribed": True, "tax_calculation": True})
        check("PUT /v1/regions/US-CA subscribes", st == 200, (st, text[:200]))

        def calc(zip_code, city=None, date="2026-03-01"):
            st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(zip_code, city, date))
            return (js if st == 200 else {}), text

        # 1. a ZIP the ZIP table names after the city with the highest rate in it
        js, text = calc("90016", None, "2025-12-15")
        check("90016 without a city on 2025-12-15: the ZIP table's 10.50, resolution zip5",
              js.get("total_tax") == "10.50" and js.get("resolution") == "zip5", text[:600])
        amb = js.get("ambiguous_zip") or {}
        cands = amb.get("candidates") or []
        by_name = {(c.get("jurisdictions") or [None])[-1]: c for c in cands if not c.get("default")}
        check("ambiguous_zip for 90016 lists its candidates", amb.get("zip") == "90016" and len(cands) >= 3,
              text[:2000])
        cc = by_name.get("CULVER CITY") or {}
        check("... Culver City at CDTFA's 10.75, picked by ship_to.city CULVER CITY",
              cc.get("rate") == "10.75" and cc.get("city") == "CULVER CITY"
              and cc.get("jurisdictions") == ["CALIFORNIA", "LOS ANGELES", "CULVER CITY"], cc)
        un = by_name.get("LOS ANGELES COUNTY (UNINCORPORATED)") or {}
        check("... the unincorporated area of Los Angeles County at 9.75 (no city picks it)",
              un.get("rate") == "9.75" and "city" not in un, un)
        d = [c for c in cands if c.get("default")]
        check("... the ZIP table's answer is the default candidate",
              len(d) == 1 and d[0].get("rate") == "10.50", d)
        js, text = calc("90016", None, "2026-01-01")
        d = [c for c in (js.get("ambiguous_zip") or {}).get("candidates", []) if c.get("default")]
        check("90016 on 2026-01-01: CDTFA's newer 10.75 for Culver City is charged and the default",
              js.get("total_tax") == "10.75" and js.get("resolution") == "zip5" and len(d) == 1
              and d[0].get("rate") == "10.75", text[:1500])

        # 2. the city decides
        js, text = calc("90016", "Culver City")
        check("90016 + Culver City: 10.75, zip5_city, not ambiguous", js.get("total_tax") == "10.75"
              and js.get("resolution") == "zip5_city" and "ambiguous_zip" not in js, text[:800])
        js, text = calc("90016", "Los Angeles")
        check("90016 + Los Angeles: 9.75, zip5_city", js.get("total_tax") == "9.75"
              and js.get("resolution") == "zip5_city" and "ambiguous_zip" not in js, text[:800])

        # 3. a city of another county does not pick the rate
        js, text = calc("90016", "Oakland")
        names = [(c.get("jurisdictions") or [None])[-1] for c in (js.get("ambiguous_zip") or {}).get("candidates", [])]
        check("90016 + Oakland (Alameda County): the default 10.75, zip5, Oakland among the candidates",
              js.get("total_tax") == "10.75" and js.get("resolution") == "zip5" and "OAKLAND" in names,
              text[:1500])

        # 4. a ZIP in two counties
        js, text = calc("94505")
        rates = {(c.get("jurisdictions") or [None])[-1]: c.get("rate")
                 for c in (js.get("ambiguous_zip") or {}).get("candidates", [])}
        check("94505 (Alameda and Contra Costa): Contra Costa's unincorporated 8.75 is a candidate",
              rates.get("CONTRA COSTA COUNTY (UNINCORPORATED)") == "8.75", text[:1500])

        # 5. one county, the city's own rate: nothing to ask
        js, text = calc("90001")
        check("90001 (Huntington Park): 10.50, not ambiguous",
              js.get("total_tax") == "10.50" and "ambiguous_zip" not in js, text[:800])
    except Exception:  # a step that raised must not pass as "returned early"
        check("the scenario ran without an exception", False, traceback.format_exc()[-1500:])
    finally:
        env.close()
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
