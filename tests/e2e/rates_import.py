#!/usr/bin/env python3
"""`levy rates import` (CONTRACT §1, §5) end to end: a newer vintage of one state's Avalara
ZIP5 table with one changed row.

- the import reports rows read / rows changed and exits 0; a malformed file is refused with
  file:line and replaces nothing;
- `levy calc` and `levy serve` on that data dir charge the new rate and name the imported
  vintage in rules.rates_source, while other states keep naming the shipped vintage;
- the rule self-tests (golden vectors pinned to the shipped tables) still pass, so a newer
  vintage cannot stop levy from starting.

Usage: rates_import.py LEVY_BINARY SOURCE_DIR [PORT=19460]
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import check, summary  # noqa: E402

LEVY = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19460
SHIPPED = os.path.join(SRC, "data/us/avalara-zip5-2025-12/TAXRATES_ZIP5_TX202512.csv")
OLD_ROW = "TX,78701,AUSTIN,0.082500,0.062500,0.000000,0.010000,0.010000,0"
NEW_ROW = "TX,78701,AUSTIN,0.085000,0.062500,0.000000,0.012500,0.010000,0"

def request(state, zip_code, city):
    return {"currency": "USD", "date": "2026-06-01",
            "ship_to": {"line1": "1 Main St", "city": city, "state": state, "zip_code": zip_code, "country": "US"},
            "lines": [{"id": "1", "amount": "1000.00", "tax_code": "general"}]}


def calc(data_dir, body, tmp):
    p = os.path.join(tmp, "req.json")
    with open(p, "w") as f:
        json.dump(body, f)
    r = subprocess.run([LEVY, "calc", "--all-regions", "--data-dir", data_dir, "--plugins",
                        os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts"), p],
                       capture_output=True, text=True, timeout=60)
    try:
        return r.returncode, json.loads(r.stdout), r.stderr
    except ValueError:
        return r.returncode, None, r.stdout + r.stderr


def main():
    tmp = tempfile.mkdtemp(prefix="levy-rates-import-")
    data = os.path.join(tmp, "data")
    proc = None
    try:
        with open(SHIPPED) as f:
            text = f.read()
        if not check("the shipped TX table has the Austin row", OLD_ROW in text):
            return
        newer = os.path.join(tmp, "TAXRATES_ZIP5_TX202601.csv")
        with open(newer, "w") as f:
            f.write(text.replace(OLD_ROW, NEW_ROW))
        tx, ca = request("TX", "78701", "Austin"), request("CA", "90210", "Beverly Hills")

        rc, res, err = calc(data, tx, tmp)
        check("before: 8.25 % in Austin from the shipped 2025-12 table",
              rc == 0 and res and res["total_tax"] == "82.50" and
              res["rules"]["rates_source"] == "avalara-zip5 2025-12", (rc, res, err))

        r = subprocess.run([LEVY, "rates", "import", newer, "--data-dir", data], capture_output=True,
                           text=True, timeout=60)
        rows = len([ln for ln in text.splitlines()[1:] if ln.strip()])
        check("import: exit 0, %d rows read, 1 row changed" % rows,
              r.returncode == 0 and ("%d rows read, 1 rows changed" % rows) in r.stdout, (r.returncode, r.stdout, r.stderr))
        check("import: says a running levy serves it after a reload", "after a reload" in r.stderr, r.stderr)

        rc, res, err = calc(data, tx, tmp)
        check("after: 8.50 % in Austin, named as the imported 2026-01 vintage",
              rc == 0 and res and res["total_tax"] == "85.00" and
              res["rules"]["rates_source"] == "avalara-zip5 2026-01", (rc, res, err))
        rc, res, err = calc(data, ca, tmp)
        check("after: another state still names the shipped vintage",
              rc == 0 and res and res["rules"]["rates_source"].startswith("avalara-zip5 2025-12"), (rc, res, err))

        bad = os.path.join(tmp, "TAXRATES_ZIP5_TX202602.csv")
        lines = text.replace(OLD_ROW, NEW_ROW).splitlines()
        lines[4] = ",".join(f if i != 4 else "six" for i, f in enumerate(lines[4].split(",")))
        with open(bad, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([LEVY, "rates", "import", bad, "--data-dir", data], capture_output=True,
                           text=True, timeout=60)
        check("malformed row: exit 1 with file:line", r.returncode == 1 and "TAXRATES_ZIP5_TX202602.csv:5:" in r.stderr,
              (r.returncode, r.stderr))
        rc, res, err = calc(data, tx, tmp)
        check("malformed import replaced nothing", rc == 0 and res and res["total_tax"] == "85.00" and
              res["rules"]["rates_source"] == "avalara-zip5 2026-01", (rc, res, err))

        # levy serve on the data dir: starts (self-tests on the shipped tables) and charges 8.50 %
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", PORT)) == 0:
                check("port %d free" % PORT, False)
                return
        proc = harness.start(harness.levy_cmd(LEVY, PORT, data, "rates-import-token", src=SRC),
                             os.path.join(tmp, "serve.log"), mode="w")
        up = harness.wait_up(levy_url="http://127.0.0.1:%d" % PORT, timeout=30, interval=0.1, proc=proc)
        if not check("levy serve starts on a data dir with an imported vintage", up,
                     open(os.path.join(tmp, "serve.log")).read()[-1500:]):
            return
        levy = harness.Levy("http://127.0.0.1:%d" % PORT, "rates-import-token")
        for code in ("US-TX",):
            st, _, text, _ = levy("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True},
                                  timeout=10)
            if not check("PUT /v1/regions/%s" % code, st == 200, text):
                return
        st, res, text, _ = levy("POST", "/v1/calculate", tx, timeout=10)
        check("POST /v1/calculate charges the imported rate and names it", st == 200 and
              res["total_tax"] == "85.00" and res["rules"]["rates_source"] == "avalara-zip5 2026-01", text)
    except Exception:  # noqa: BLE001 - a crash is a failed check, never a silent exit 0
        import traceback
        check("the script ran to its end without an exception", False, traceback.format_exc()[-1500:])
    finally:
        harness.stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(summary())  # also after an early return


if __name__ == "__main__":
    main()
