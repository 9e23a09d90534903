#!/usr/bin/env python3
"""`levy rates import` of the Washington DOR files (issue 19), end to end through the binary:
the rate table (tests/fixtures/stateformats/wa-rates-2026q2.csv, 407 location codes of
2026Q2) and a ZIP+4 short file built to the DOR field list, then `levy calc`:

- before: Seattle 98101 on 2026-03-15 is charged the Dec-2025 ZIP table's 10.35 %, on
  2026-05-01 the shipped DOR table's 10.55 % (data/us/wa-dor-2026q2, the same rows);
- the import replaces the shipped table (0 rows changed against it): the DOR's 10.55 %
  (location code 1726), named `wa-dor-rates 2026-04-01` in rules.rates_source; past the
  file's quarter (2026-07-01) still 10.55 %, with rates_stale (levy's newest WA table);
- after the ZIP+4 file: 98056-1234 and 98056-6000 get their ranges' location codes
  (Renton RTA 10.5 %, Newcastle 10.3 %);
- a malformed WA file is refused with file:line, exit 1, and replaces nothing.

No server, no port. Usage: stateformats_import.py LEVY_BINARY SOURCE_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, summary  # noqa: E402

LEVY = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
FIX = os.path.join(SRC, "tests/fixtures/stateformats")


def calc(data_dir, tmp, zip_code, city=None, date="2026-05-01"):
    body = {"currency": "USD", "date": date,
            "ship_to": {"line1": "1 Main St", "city": city or "", "state": "WA", "zip_code": zip_code,
                        "country": "US"},
            "lines": [{"id": "1", "amount": "1000.00", "tax_code": "general"}]}
    if not city:
        del body["ship_to"]["city"]
    p = os.path.join(tmp, "req.json")
    with open(p, "w") as f:
        json.dump(body, f)
    r = subprocess.run([LEVY, "calc", "--all-regions", "--data-dir", data_dir, "--plugins",
                        os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts"), p],
                       capture_output=True, text=True, timeout=60)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"_failed": r.stdout + r.stderr}


def imp(data_dir, path):
    return subprocess.run([LEVY, "rates", "import", path, "--data-dir", data_dir],
                          capture_output=True, text=True, timeout=60)


def main():
    tmp = tempfile.mkdtemp(prefix="levy-stateformats-")
    data = os.path.join(tmp, "data")
    try:
        res = calc(data, tmp, "98101", "Seattle", date="2026-03-15")
        check("before: Seattle 98101 on 2026-03-15 at the ZIP table's 10.35 %",
              res.get("total_tax") == "103.50" and res["rules"]["rates_source"] == "avalara-zip5 2025-12", res)
        res = calc(data, tmp, "98101", "Seattle")
        check("before: Seattle 98101 on 2026-05-01 at the shipped DOR table's 10.55 %",
              res.get("total_tax") == "105.50" and "wa-dor-rates 2026-04-01" in res["rules"]["rates_source"], res)

        r = imp(data, os.path.join(FIX, "wa-rates-2026q2.csv"))
        check("import the WA DOR rate table: exit 0, 407 rows, source wa-dor-rates 2026-04-01",
              r.returncode == 0 and "wa-dor-rates 2026-04-01" in r.stdout and "407 rows read" in r.stdout
              and "0 rows changed vs " in r.stdout and "us/wa-dor-2026q2/wa-rates-2026q2.csv" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        res = calc(data, tmp, "98101", "Seattle")
        check("after: Seattle at the DOR's 10.55 %, named as the imported vintage",
              res.get("total_tax") == "105.50" and "wa-dor-rates 2026-04-01" in res["rules"]["rates_source"]
              and res.get("resolution") in ("zip5", "zip5_city"), res)
        res = calc(data, tmp, "98101", "Seattle", date="2026-07-01")
        rs = res.get("rates_stale") or {}
        check("after the file's quarter it still answers (10.55 %), with rates_stale",
              res.get("total_tax") == "105.50" and rs.get("source") == "wa-dor-rates"
              and rs.get("stale_after") == "2026-07-01", res)

        r = imp(data, os.path.join(FIX, "wa-zip4-short-sample.csv"))
        check("import the WA ZIP+4 short file: exit 0", r.returncode == 0 and "wa-dor-zip4" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        res = calc(data, tmp, "98056-1234")
        check("98056-1234: its range's location code 1725 (Renton RTA, 10.5 %)",
              res.get("total_tax") == "105.00" and "wa-dor-zip4" in res["rules"]["rates_source"]
              and res.get("resolution") == "zip4", res)
        res = calc(data, tmp, "980566000")
        check("98056-6000: location code 1736 (Newcastle, 10.3 %)", res.get("total_tax") == "103.00", res)

        bad = os.path.join(tmp, "Rates2026Q3.csv")
        with open(os.path.join(FIX, "wa-rates-2026q2.csv")) as f:
            lines = f.read().splitlines()
        lines[3] = lines[3].replace(",0.08,", ",0.09,")  # combined rate no longer STATE + LOCAL
        with open(bad, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = imp(data, bad)
        check("malformed WA row: exit 1 naming Rates2026Q3.csv:4", r.returncode == 1 and "Rates2026Q3.csv:4:" in r.stderr,
              (r.returncode, r.stderr))
        res = calc(data, tmp, "98101", "Seattle")
        check("the malformed file replaced nothing", res.get("total_tax") == "105.50", res)
    except Exception:  # noqa: BLE001 - a crash is a failed check, never a silent exit 0
        import traceback
        check("the script ran to its end without an exception", False, traceback.format_exc()[-1500:])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(summary())


if __name__ == "__main__":
    main()
