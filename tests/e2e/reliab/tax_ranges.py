#!/usr/bin/env python3
"""Issue 15 findings 6 and 7: silent wrong tax on overflow, and 500s on zero-decimal currencies.

Usage: tax_ranges.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19700]

The bug stories:
  * 6: core/lua/bind_tax.c computed a line's unit price (amount / quantity) in 128 bits and
    cast it to int64 without a range check. 100000.00 with quantity 0.000001 wrapped to a
    negative unit price: an NYC clothing line became "under $110" and was taxed 0.00 with
    200 OK; a Tennessee line lost its single-article decision. Quantities above 1,000,000
    reached the engine and came back as "quantity must be positive" on field "lines"; a
    3-decimal currency's amounts were allowed up to 10^18 minor units.
    Expected: every amount, quantity and derived unit price is range-checked; out of range ->
    422 validation_failed naming the field; `levy calc` exits 1 with that JSON error.
  * 7: the unit price handed to a rule's calculate(ctx) was formatted with the currency's
    decimals plus 6, then trailing zeros were cut down to the currency's decimals - for JPY
    (0 decimals) that left "5000." and levy.money.cmp raised: 500 for JPY shipped to TN and
    JPY clothing to NY. Expected: the right tax, in every ISO 4217 exponent (0, 2, 3, 4).
  * (found while fixing 7) the price rules compared a credit's signed unit price, so the
    refund of a $150 coat in NYC was "under $110" and refunded no tax (MA/RI clothing alike);
    a credit mirrors the sale it refunds.
  * (found while fixing 7) the unit price was rounded half up at 6 extra decimals, so a unit
    price a hair under $110 read as "110.00000000" in ny.lua while the engine's exact
    threshold said "under": NYC clothing got the state exemption but not the city's.

Against `levy serve` (POST /v1/calculate, regions subscribed through the API) and against
`levy calc --all-regions`. Expected taxes are worked out by hand below from the rules
(scripts/us/ny.lua, tn.lua, ma.lua, _ny_clothing.lua; tax-facts.md section 5) and the
Dec-2025 ZIP rows the rules' own self-tests use:
  Knoxville TN 37902: state 7 %, county 2.25 %     Albany NY 12207: state 4 %, county 4 %
  New York NY 10001: state 4 %, city 4.5 %, MCTD 0.375 %   Boston MA 02108: state 6.25 %
Rule thresholds are written in the rule as currency amounts ("110.00", "1600.00",
"175.00") and apply in the document's currency: levy converts no currency (see
docs/rules.md "Ranges and currencies").
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19700

ADDR = {
    "knoxville": {"line1": "1 Gay St", "city": "Knoxville", "state": "TN", "zip_code": "37902", "country": "US"},
    "albany": {"line1": "1 State St", "city": "Albany", "state": "NY", "zip_code": "12207", "country": "US"},
    "nyc": {"line1": "1 W 34th St", "city": "New York", "state": "NY", "zip_code": "10001", "country": "US"},
    "boston": {"line1": "1 Beacon St", "city": "Boston", "state": "MA", "zip_code": "02108", "country": "US"},
}


def body(currency, where, amount, quantity="1", tax_code="general", **extra):
    line = {"id": "1", "amount": amount, "quantity": quantity, "tax_code": tax_code}
    line.update(extra)
    return {"currency": currency, "date": "2025-12-15", "ship_to": ADDR[where], "lines": [line]}


# (name, request, field named in details)
OUT_OF_RANGE = [
    # the review's case: 100000.00 / 0.000001 = 100,000,000,000.00 per item, above the
    # largest amount levy accepts (10^12 minor units = 10,000,000,000.00 USD)
    ("NYC clothing 100000.00 x 0.000001", body("USD", "nyc", "100000.00", "0.000001", "clothing"),
     "lines[0].amount"),
    ("TN single article 100000.00 x 0.000001", body("USD", "knoxville", "100000.00", "0.000001"),
     "lines[0].amount"),
    ("JPY unit price 10^12 + 1 yen", body("JPY", "knoxville", "1000000000001", "1"), "lines[0].amount"),
    # 3 decimals: 2,000,000,000.000 BHD = 2 x 10^12 minor units (was accepted up to 10^18
    # and failed later in the engine on field "lines")
    ("BHD amount 2 x 10^12 minor units", body("BHD", "knoxville", "2000000000.000"), "lines[0].amount"),
    ("CLF amount 10^12 + 1 minor units", body("CLF", "knoxville", "100000000.0001"), "lines[0].amount"),
    # 2 x 10^9 items (the limit is 10^9; above 10^6 used to come back as "quantity must be
    # positive" on "lines")
    ("quantity 2000000000", body("USD", "albany", "100.00", "2000000000"), "lines[0].quantity"),
    # a credit of the largest amount with a discount: amount - discount beyond the range
    ("credit -10000000000.00 with discount 1.00",
     body("USD", "albany", "-10000000000.00", "1", "general", discount="1.00"), "lines[0].discount"),
    ("amount 10^40", body("USD", "albany", "1" + "0" * 40), "lines[0].amount"),
]

# (name, request, total_tax, [(jurisdiction, amount, taxable_amount)], reason)
EXPECTED = [
    # JPY (0 decimals) to TN, tn.lua calculate(): unit price 500000 > 1600 ->
    #   state 7 % x 500000 = 35000
    #   county 2.25 % x first 1600 of the unit (unit_to = 1600) = 36
    #   state single article 2.75 % x (min(500000, 3200) - 1600 = 1600) = 44
    #   total 35000 + 36 + 44 = 35080
    ("JPY 500000 general to Knoxville TN", body("JPY", "knoxville", "500000"), "35080",
     [("TENNESSEE", "35000", "500000"), ("KNOX COUNTY", "36", "1600"),
      ("TENNESSEE SINGLE ARTICLE", "44", "1600")], "standard_rated"),
    # JPY 2 x 1000 to TN: unit 1000 <= 1600: no single article, local on the whole price
    #   state 7 % x 2000 = 140, county 2.25 % x 2000 = 45; total 185
    ("JPY 2 x 1000 general to Knoxville TN", body("JPY", "knoxville", "2000", "2"), "185",
     [("TENNESSEE", "140", "2000"), ("KNOX COUNTY", "45", "2000")], "standard_rated"),
    # JPY clothing to Albany NY, ny.lua: unit 5000 is not under 110 -> "above" = taxable
    #   state 4 % x 5000 = 200, county 4 % x 5000 = 200; total 400
    ("JPY 5000 clothing to Albany NY", body("JPY", "albany", "5000", "1", "clothing"), "400",
     [("NEW YORK", "200", "5000"), ("ALBANY COUNTY", "200", "5000")], "standard_rated"),
    # JPY 100 clothing to Albany: unit 100 < 110 -> state exempt (threshold treatment);
    # Albany did not enact the local exemption (_ny_clothing.lua) -> county 4 % x 100 = 4
    ("JPY 100 clothing to Albany NY", body("JPY", "albany", "100", "1", "clothing"), "4",
     [("ALBANY COUNTY", "4", "100")], "partially_taxable"),
    # JPY 3 x 100 clothing to NYC: unit 100 < 110 -> state, city and MCTD exempt: 0
    ("JPY 3 x 100 clothing to New York City", body("JPY", "nyc", "300", "3", "clothing"), "0",
     [], "product_exempt"),
    # KWD (3 decimals) to TN: unit 2000.000 > 1600 ->
    #   7 % x 2000.000 = 140.000; 2.25 % x 1600.000 = 36.000; 2.75 % x 400.000 = 11.000
    #   total 187.000
    ("KWD 2000.000 general to Knoxville TN", body("KWD", "knoxville", "2000.000"), "187.000",
     [("TENNESSEE", "140.000", "2000.000"), ("KNOX COUNTY", "36.000", "1600.000"),
      ("TENNESSEE SINGLE ARTICLE", "11.000", "400.000")], "standard_rated"),
    # BHD 3 x 333.333.. (unit price 1000.000 / 3, not a finite decimal) to TN: < 1600 ->
    #   7 % x 1000.000 = 70.000; 2.25 % x 1000.000 = 22.500; total 92.500
    ("BHD 1000.000 x 3 general to Knoxville TN", body("BHD", "knoxville", "1000.000", "3"), "92.500",
     [("TENNESSEE", "70.000", "1000.000"), ("KNOX COUNTY", "22.500", "1000.000")],
     "standard_rated"),
    # CLF (4 decimals) to TN: as KWD with one more decimal: 140.0000 + 36.0000 + 11.0000
    ("CLF 2000.0000 general to Knoxville TN", body("CLF", "knoxville", "2000.0000"), "187.0000",
     [("TENNESSEE", "140.0000", "2000.0000"), ("KNOX COUNTY", "36.0000", "1600.0000"),
      ("TENNESSEE SINGLE ARTICLE", "11.0000", "400.0000")], "standard_rated"),
    # JPY clothing to Boston MA, ma.lua exempt_first("175.00"): unit 300 > 175 -> only the
    # part above 175 is taxed: 6.25 % x (300 - 175 = 125) = 7.8125 -> 8 (half up to the yen)
    ("JPY 300 clothing to Boston MA", body("JPY", "boston", "300", "1", "clothing"), "8",
     [("MASSACHUSETTS", "8", "125")], "partially_taxable"),
    # JPY clothing to Boston: unit 150 <= 175 -> exempt
    ("JPY 150 clothing to Boston MA", body("JPY", "boston", "150", "1", "clothing"), "0",
     [], "product_exempt"),
    # the largest values accepted: 10,000,000,000.00 USD (10^12 cents) at Albany's 8 %
    #   = 800,000,000.00; and 10000.00 / 0.000001 = a unit price of exactly 10^12 cents
    #   (4 % + 4 % of 10000.00 = 800.00)
    ("USD 10000000000.00 general to Albany (largest amount)", body("USD", "albany", "10000000000.00"),
     "800000000.00", [("NEW YORK", "400000000.00", "10000000000.00"),
                      ("ALBANY COUNTY", "400000000.00", "10000000000.00")], "standard_rated"),
    ("USD 10000.00 x 0.000001 general to Albany (largest unit price)",
     body("USD", "albany", "10000.00", "0.000001"), "800.00",
     [("NEW YORK", "400.00", "10000.00"), ("ALBANY COUNTY", "400.00", "10000.00")], "standard_rated"),
    # Credits mirror the sale they refund (docs/rules.md section 5); the price rules used to
    # compare the signed unit price, so every refund was "under $110" / "at most $175":
    # NYC clothing sale 150.00 (not under $110): 4 % = 6.00, city 4.5 % = 6.75,
    # MCTD 0.375 % = 0.5625 -> 0.56; total 13.31. The -150.00 credit: -13.31 (was 0.00).
    ("NYC clothing credit -150.00", body("USD", "nyc", "-150.00", "1", "clothing"), "-13.31",
     [("NEW YORK", "-6.00", "-150.00"), ("NEW YORK CITY", "-6.75", "-150.00"),
      ("METROPOLITAN COMMUTER TRANSPORTATION DISTRICT", "-0.56", "-150.00")], "standard_rated"),
    # MA clothing sale 300.00: 6.25 % x (300 - 175) = 7.8125 -> 7.81; the credit: -7.81
    # (was 0.00, product_exempt)
    ("MA clothing credit -300.00", body("USD", "boston", "-300.00", "1", "clothing"), "-7.81",
     [("MASSACHUSETTS", "-7.81", "-125.00")], "partially_taxable"),
    # JPY credit to TN mirrors the 500000 sale above: -35080
    ("JPY credit -500000 general to Knoxville TN", body("JPY", "knoxville", "-500000"), "-35080",
     [("TENNESSEE", "-35000", "-500000"), ("KNOX COUNTY", "-36", "-1600"),
      ("TENNESSEE SINGLE ARTICLE", "-44", "-1600")], "standard_rated"),
    # A unit price a hair under $110 in NYC: 11000000.01 / 100000.000091, and
    # 100000.000091 x 110 = 11000000.01001 > 11000000.01, so the unit price is under 110 by
    # about 10^-10 dollars: clothing under $110 -> state, city and MCTD exempt: 0.00.
    # (Rounded to 8 decimals it read "110.00000000" in ny.lua, so only the state was exempt:
    # city 4.5 % x 11000000.01 = 495000.00 and MCTD 0.375 % = 41250.00 were charged.)
    ("NYC clothing with a unit price 10^-10 under $110",
     body("USD", "nyc", "11000000.01", "100000.000091", "clothing"), "0.00", [], "product_exempt"),
]


def check_result(name, st, js, text, total, taxes, reason):
    if not check(name + ": 200", st == 200, (st, text[:300])):
        return
    line = js["lines"][0]
    got = [(t["jurisdiction"], t["amount"], t["taxable_amount"]) for t in line["taxes"]]
    check(name + ": total_tax " + total, js.get("total_tax") == total, text[:600])
    check(name + ": taxes", sorted(got) == sorted(taxes), got)
    check(name + ": reason " + reason, line.get("taxability_reason") == reason, line)


def check_422(name, st, js, text, field):
    ok = st == 422 and isinstance(js, dict) and js.get("error", {}).get("code") == "validation_failed"
    check(name + ": 422 validation_failed", ok, (st, text[:300]))
    fields = [d.get("field") for d in (js or {}).get("error", {}).get("details", [])]
    check(name + ": details name " + field, field in fields, text[:300])


def levy_calc(data_dir, request):
    p = subprocess.run([LEVY, "calc", "--all-regions", "--data-dir", data_dir,
                        "--plugins", os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts")],
                       input=json.dumps(request).encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    out = p.stdout.decode(errors="replace")
    try:
        js = json.loads(out)
    except ValueError:
        js = None
    return p.returncode, js, out + p.stderr.decode(errors="replace")[-400:]


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-tax-")
    port = common.free_port(BASE_PORT, 50)
    env = common.Env(LEVY, SRC, tmp, 0, port)
    try:
        if not check("levy serve starts", env.start_levy(60), common.tail(os.path.join(tmp, "levy.log"))):
            return common.summary()
        for code in ("US-TN", "US-NY", "US-MA"):
            st, _, text, _ = env.L("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
            check("subscribe " + code, st == 200, (st, text[:200]))

        for name, request, field in OUT_OF_RANGE:
            st, js, text, _ = env.L("POST", "/v1/calculate", request)
            check_422("POST " + name, st, js, text, field)
        for name, request, total, taxes, reason in EXPECTED:
            st, js, text, _ = env.L("POST", "/v1/calculate", request)
            check_result("POST " + name, st, js, text, total, taxes, reason)
        check("no 500 / Lua error in the log", "calculate(ctx) failed" not in
              common.tail(os.path.join(tmp, "levy.log"), 200000), common.tail(os.path.join(tmp, "levy.log")))

        # levy calc: exit 1 with the JSON error on stdout; exit 0 with the same tax
        calc_dir = os.path.join(tmp, "calc-data")
        for name, request, field in OUT_OF_RANGE:
            rc, js, out = levy_calc(calc_dir, request)
            check("levy calc " + name + ": exit 1", rc == 1, (rc, out[:300]))
            check_422("levy calc " + name, 422 if js else 0, js, out, field)
        for name, request, total, taxes, reason in EXPECTED:
            rc, js, out = levy_calc(calc_dir, request)
            check("levy calc " + name + ": exit 0", rc == 0, (rc, out[:300]))
            check_result("levy calc " + name, 200 if rc == 0 and js else 0, js, out, total, taxes, reason)
    finally:
        env.close()
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
