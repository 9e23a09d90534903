#!/usr/bin/env python3
"""Issue 19, address precision: where an address really is.

Partial-ZIP cities. In Alaska, Alabama, Arizona, Idaho and Oklahoma a ZIP named after a city
(or an Alabama police jurisdiction) also delivers to the county around the city, where the
city's tax does not apply; the ZIP table gave the whole ZIP the city's rate without a word.
Stale rates. A date past the vintage of the table that answered was answered at the old
rates without a word.

Through POST /v1/calculate (levy serve; US-OK, US-ID, US-AL, US-AK, US-WA subscribed),
10,000.00:
  1. OK 74955 (SALLISAW): charged 9.917 % (the ZIP table's), resolution zip5, ambiguous_zip
     with the city (default, area_kind city) and the county outside any city (5.917,
     area_kind outside_cities); ship_to.city Sallisaw (the ZIP's own postal name) still ambiguous.
  2. ID 83340 (KETCHUM, resort city) with ship_to.city Sun Valley: Sun Valley's 9 % (its rows in
     Blaine County), zip5_city, not ambiguous.
  3. AL 35087 (ARAB PJ): three candidates -- the police jurisdiction (default, 10), the city of
     Arab (12.5) and outside both (7.5).
  4. ID 83702 (Boise: no city tax) is not ambiguous.
  5. WA Seattle 98101 on 2026-03-15 (the shipped ZIP table is of 2025-12, current for dates
     before 2026-03-01): the answer's rates_stale names avalara-zip5 2025-12 and 2026-03-01; on
     2026-02-15 it is absent; on 2026-05-01 the shipped WA DOR table of 2026Q2 answers (10.55 %,
     current); on 2026-08-01, past its EXPIRATION DATE, it still answers, with rates_stale
     naming wa-dor-rates 2026-04-01 and 2026-07-01.

usage: partial_cities.py LEVY SRC BASE_PORT
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
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 15300


def calc_req(state, zip_code, city=None, date="2026-02-15"):
    ship_to = {"line1": "1 Main St", "state": state, "zip_code": zip_code, "country": "US"}
    if city:
        ship_to["city"] = city
    return {"currency": "USD", "date": date, "ship_to": ship_to,
            "lines": [{"id": "1", "amount": "10000.00", "quantity": "1", "tax_code": "general"}]}


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-cities-")
    port = common.free_port(BASE_PORT, 20)
    env = common.Env(LEVY, SRC, tmp, 0, port)
    try:
        if not check("levy serve starts", env.start_levy(60), common.tail(os.path.join(tmp, "levy.log"))):
            return
        for region in ("US-OK", "US-ID", "US-AL", "US-AK", "US-WA"):
            st, _, text, _ = env.L("PUT", "/v1/regions/" + region, {"subscribed": True, "tax_calculation": True})
            check("PUT /v1/regions/%s subscribes" % region, st == 200, (st, text[:200]))

        def calc(state, zip_code, city=None, date="2026-02-15"):
            st, js, text, _ = env.L("POST", "/v1/calculate", calc_req(state, zip_code, city, date))
            return (js if st == 200 else {}), text

        def cands(js):
            return (js.get("ambiguous_zip") or {}).get("candidates") or []

        # 1. an Oklahoma town's ZIP
        for city in (None, "Sallisaw"):
            js, text = calc("OK", "74955", city)
            cs = cands(js)
            check("74955 (city %s): charged the ZIP table's 9.917 (991.70), zip5, two candidates" % city,
                  js.get("total_tax") == "991.70" and js.get("resolution") == "zip5"
                  and (js.get("ambiguous_zip") or {}).get("zip") == "74955" and len(cs) == 2, text[:1500])
            got = [(c.get("rate"), c.get("area"), c.get("area_kind"), bool(c.get("default"))) for c in cs]
            check("... the city (default) and the county outside any city",
                  got == [("9.917", "SALLISAW", "city", True),
                          ("5.917", "SEQUOYAH COUNTY", "outside_cities", False)], got)

        # 2. ship_to.city naming another place of the county decides
        js, text = calc("ID", "83340", "Sun Valley")
        check("83340 + Sun Valley: 9 % (900.00), zip5_city, not ambiguous",
              js.get("total_tax") == "900.00" and js.get("resolution") == "zip5_city"
              and "ambiguous_zip" not in js, text[:1500])

        # 3. an Alabama police jurisdiction
        js, text = calc("AL", "35087")
        got = [(c.get("rate"), c.get("area_kind"), bool(c.get("default"))) for c in cands(js)]
        check("35087 (ARAB PJ): 10 charged; the PJ, the city and outside both",
              js.get("total_tax") == "1000.00" and got == [
                  ("10.00", "police_jurisdiction", True), ("12.50", "city", False),
                  ("7.50", "outside_cities", False)], text[:2000])

        # 4. no city tax: nothing to ask
        js, text = calc("ID", "83702")
        check("83702 (Boise, no city tax): not ambiguous", js.get("total_tax") == "600.00"
              and "ambiguous_zip" not in js, text[:800])

        # 5. a date past the table's vintage says so
        js, text = calc("WA", "98101", "Seattle", "2026-03-15")
        rs = js.get("rates_stale") or {}
        check("WA 98101 on 2026-03-15: rates_stale (avalara-zip5 2025-12, current before 2026-03-01)",
              js.get("total_tax") == "1035.00" and rs.get("source") == "avalara-zip5"
              and rs.get("vintage") == "2025-12" and rs.get("stale_after") == "2026-03-01"
              and "2026-03-15" in (rs.get("message") or ""), text[:1500])
        # the shipped WA DOR table of 2026Q2 (data/us/wa-dor-2026q2) from its EFFECTIVE DATE
        js, text = calc("WA", "98101", "Seattle", "2026-05-01")
        check("WA Seattle on 2026-05-01: the DOR's 2026Q2 rate 10.55 %, current (no rates_stale)",
              js.get("total_tax") == "1055.00" and js.get("resolution") == "zip5_city"
              and "wa-dor-rates 2026-04-01" in (js.get("rules") or {}).get("rates_source", "")
              and "rates_stale" not in js, text[:1500])
        # past its EXPIRATION DATE it is still levy's newest WA table: charged, and said stale
        js, text = calc("WA", "98101", "Seattle", "2026-08-01")
        rs = js.get("rates_stale") or {}
        check("WA Seattle on 2026-08-01: still 10.55 %, rates_stale (wa-dor-rates 2026-04-01, "
              "current before 2026-07-01)",
              js.get("total_tax") == "1055.00" and rs.get("source") == "wa-dor-rates"
              and rs.get("vintage") == "2026-04-01" and rs.get("stale_after") == "2026-07-01"
              and "2026-08-01" in (rs.get("message") or ""), text[:1500])
        js, text = calc("WA", "98101", "Seattle", "2026-02-15")
        check("... on 2026-02-15 (inside the vintage's quarter): no rates_stale",
              js.get("total_tax") and "rates_stale" not in js, text[:800])
    except Exception:  # a step that raised must not pass as "returned early"
        check("the scenario ran without an exception", False, traceback.format_exc()[-1500:])
    finally:
        env.close()
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
