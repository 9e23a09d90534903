#!/usr/bin/env python3
"""Issue 19, "the law around the rate" (US): through the API (POST /v1/calculate on levy serve)
and `levy calc`, a user gets

  * shipping that follows the goods, per state from its statute: delivery of exempt clothing
    is exempt in PA (61 Pa. Code 54.1(b)) and NJ (N.J.A.C. 18:24-27.2, Example 1); a NJ
    shipment of taxable and exempt goods is taxed on the taxable share by price
    (N.J.A.C. 18:24-27.2(c)); in PA a shipment with a taxable item is taxed in full;
  * taxability that changes with the date: WA live presentations (training) taxable from
    2025-10-01 (ESSB 5814), Manitoba RST on SaaS from 2026-01-01, MD SaaS at 6 % before and
    3 % from 2025-07-01 (a business buyer: exempt from 2022-07-01 to 2025-06-30, Ch. 535 of 2022);
  * caps and thresholds on the price: Florida's surtax only on the first $5,000 of an item,
    Connecticut clothing over $1,000 per article at 7.75 %.

Usage: us_law.py LEVY_BINARY SOURCE_DIR [BASE_PORT=22600]

The bug stories (main before this change): every one of these answered the unconditional
rule: PA/NJ shipping of clothing taxed (0.80 / 0.66), WA training taxed before 2025-10-01,
MB SaaS under RST in 2025, MD SaaS at 3 % before July 2025, a $6,000 item in Miami taxed
420.00 instead of 410.00, a $1,000.01 coat in Hartford 63.50 instead of 77.50. Expected
amounts are the rules' own self-test figures (rates of data/us/avalara-zip5-2025-12).
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
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 22600

ADDR = {
    "PA": {"line1": "1 Main St", "city": "Philadelphia", "state": "PA", "zip_code": "19103", "country": "US"},
    "NJ": {"line1": "1 Main St", "city": "Newark", "state": "NJ", "zip_code": "07102", "country": "US"},
    "WA": {"line1": "1 Main St", "city": "Seattle", "state": "WA", "zip_code": "98101", "country": "US"},
    "MD": {"line1": "1 Main St", "city": "Baltimore", "state": "MD", "zip_code": "21201", "country": "US"},
    "FL": {"line1": "1 Main St", "city": "Miami", "state": "FL", "zip_code": "33130", "country": "US"},
    "CT": {"line1": "1 Main St", "city": "Hartford", "state": "CT", "zip_code": "06103", "country": "US"},
    "MB": {"line1": "1 Main Street", "city": "Winnipeg", "state": "MB", "zip_code": "R3C 0V8", "country": "CA"},
}
REGIONS = ("US-PA", "US-NJ", "US-WA", "US-MD", "US-FL", "US-CT", "CA", "CA-MB")


def doc(st, date, lines, currency="USD", ctype=None):
    d = {"currency": currency, "date": date, "ship_to": ADDR[st],
         "lines": [{"id": str(i + 1), "amount": a, "quantity": q, "tax_code": c}
                   for i, (a, q, c) in enumerate(lines)]}
    if ctype:
        d["customer"] = {"type": ctype}
    return d


# (name, request, total_tax, {line index: (tax, reason or None)})
CASES = [
    ("PA shipping of clothing only: exempt",
     doc("PA", "2025-12-15", [("100.00", "1", "clothing"), ("10.00", "1", "shipping")]),
     "0.00", {1: ("0.00", "product_exempt")}),
    ("PA shipment with a taxable item: delivery taxed in full",
     doc("PA", "2025-12-15", [("100.00", "1", "general"), ("300.00", "1", "clothing"), ("20.00", "1", "shipping")]),
     "9.60", {2: ("1.60", "standard_rated")}),
    ("NJ shipping of clothing only: exempt",
     doc("NJ", "2025-12-15", [("100.00", "1", "clothing"), ("10.00", "1", "shipping")]),
     "0.00", {1: ("0.00", "product_exempt")}),
    ("NJ mixed shipment: delivery taxed on the taxable share (100 of 400)",
     doc("NJ", "2025-12-15", [("100.00", "1", "general"), ("300.00", "1", "clothing"), ("20.00", "1", "shipping")]),
     "6.96", {2: ("0.33", "partially_taxable")}),
    ("WA training 2025-09-30: before ESSB 5814",
     doc("WA", "2025-09-30", [("100.00", "1", "training")]), "0.00", {0: ("0.00", "product_exempt")}),
    ("WA training 2025-10-01: ESSB 5814",
     doc("WA", "2025-10-01", [("100.00", "1", "training")]), "10.35", {0: ("10.35", "standard_rated")}),
    ("MD SaaS for an individual 2025-06-30: 6 %",
     doc("MD", "2025-06-30", [("100.00", "1", "saas")], ctype="individual"), "6.00", {}),
    ("MD SaaS for a business 2025-06-30: not a digital product (Ch. 535 of 2022)",
     doc("MD", "2025-06-30", [("100.00", "1", "saas")], ctype="business"), "0.00", {}),
    ("MD SaaS 2025-07-01: 3 %", doc("MD", "2025-07-01", [("100.00", "1", "saas")]), "3.00", {}),
    ("MB SaaS 2025-12-31: GST only", doc("MB", "2025-12-31", [("100.00", "1", "saas")], "CAD"), "5.00", {}),
    ("MB SaaS 2026-01-01: GST + RST", doc("MB", "2026-01-01", [("100.00", "1", "saas")], "CAD"), "12.00", {}),
    ("FL $5,000 item: surtax on the whole price", doc("FL", "2025-12-15", [("5000.00", "1", "general")]), "350.00", {}),
    ("FL $6,000 item: surtax on the first $5,000", doc("FL", "2025-12-15", [("6000.00", "1", "general")]), "410.00", {}),
    ("CT $1,000.00 coat: 6.35 %", doc("CT", "2025-12-15", [("1000.00", "1", "clothing")]), "63.50", {}),
    ("CT $1,000.01 coat: 7.75 % on the whole price", doc("CT", "2025-12-15", [("1000.01", "1", "clothing")]), "77.50", {}),
]


def check_case(where, name, st, js, text, total, lines):
    if not check("%s %s: 200" % (where, name), st == 200 and isinstance(js, dict), (st, text[:300])):
        return
    check("%s %s: total_tax %s" % (where, name, total), js.get("total_tax") == total, text[:800])
    for i, (tax, reason) in lines.items():
        ln = js["lines"][i]
        check("%s %s: line %d tax %s" % (where, name, i + 1, tax), ln.get("tax") == tax, text[:800])
        if reason:
            check("%s %s: line %d %s" % (where, name, i + 1, reason), ln.get("taxability_reason") == reason, text[:800])


def main():
    tmp = tempfile.mkdtemp(prefix="reliab-uslaw-")
    port = common.free_port(BASE_PORT, 50)
    env = common.Env(LEVY, SRC, tmp, 0, port)
    try:
        if not check("levy serve starts", env.start_levy(60), common.tail(os.path.join(tmp, "levy.log"))):
            return common.summary()
        for code in REGIONS:
            st, _, text, _ = env.L("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
            check("PUT /v1/regions/%s subscribes" % code, st == 200, (st, text[:200]))
        for name, request, total, lines in CASES:
            st, js, text, _ = env.L("POST", "/v1/calculate", request)
            check_case("POST", name, st, js, text, total, lines)
        calc_dir = os.path.join(tmp, "calc-data")
        os.makedirs(calc_dir, exist_ok=True)
        for name, request, total, lines in CASES:
            p = subprocess.run([LEVY, "calc", "--all-regions", "--data-dir", calc_dir,
                                "--scripts", os.path.join(SRC, "scripts"), "--plugins", os.path.join(SRC, "plugins")],
                               input=json.dumps(request).encode(), capture_output=True, timeout=60)
            out = p.stdout.decode(errors="replace")
            try:
                js = json.loads(out)
            except ValueError:
                js = None
            check_case("levy calc", name, 200 if p.returncode == 0 else p.returncode, js,
                       out + p.stderr.decode(errors="replace")[-300:], total, lines)
    finally:
        env.close()
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
