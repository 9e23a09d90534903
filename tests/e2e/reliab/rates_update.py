#!/usr/bin/env python3
"""`levy rates update` (issue 19) against a local HTTP server serving rate files, with a
levy serving all along (no restart: the same process answers before and after).

- a good file (checksum from a .sha256 URL, expected format, minimum rows) is installed as a
  new vintage; after POST /admin/reload the calculation charges it and rules.rates_source
  names it; the process is the same;
- a corrupt file, a wrong checksum, an unreachable server: exit 1, stderr says why (WARN),
  DATA_DIR/rates-update.json says why, the vintage in use stays (a reload reports
  "unchanged" and the answer still names it), GET /admin/rates and levy_rates_update_failed
  show the failure;
- a local mirror directory with SHA256SUMS installs the next vintage the same way.

Usage: rates_update.py LEVY_BINARY SOURCE_DIR [PORT_BASE=22800]
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import harness  # noqa: E402
from harness import check, summary  # noqa: E402

LEVY = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
BASE = int(sys.argv[3]) if len(sys.argv) > 3 else 22800
LEVY_PORT, HTTP_PORT, DEAD_PORT = BASE, BASE + 1, BASE + 2
TOKEN = "rates-update-token"
SHIPPED = os.path.join(SRC, "data/us/avalara-zip5-2025-12/TAXRATES_ZIP5_TX202512.csv")
OLD_ROW = "TX,78701,AUSTIN,0.082500,0.062500,0.000000,0.010000,0.010000,0"
ROW_0326 = "TX,78701,AUSTIN,0.085000,0.062500,0.000000,0.012500,0.010000,0"
ROW_0606 = "TX,78701,AUSTIN,0.087500,0.062500,0.000000,0.015000,0.010000,0"
TX = {"currency": "USD", "date": "2026-06-01",
      "ship_to": {"line1": "1 Main St", "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"},
      "lines": [{"id": "1", "amount": "1000.00", "tax_code": "general"}]}


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def main():
    tmp = tempfile.mkdtemp(prefix="levy-rates-update-")
    data, srv, mirror = (os.path.join(tmp, d) for d in ("data", "srv", "mirror"))
    os.makedirs(srv)
    os.makedirs(mirror)
    levy_p = http_p = None
    try:
        text = open(SHIPPED).read()
        if not check("the shipped TX table has the Austin row", OLD_ROW in text):
            return
        rows = len([ln for ln in text.splitlines()[1:] if ln.strip()])
        good = text.replace(OLD_ROW, ROW_0326)
        with open(os.path.join(srv, "TAXRATES_ZIP5_TX202603.csv"), "w") as f:
            f.write(good)
        with open(os.path.join(srv, "TAXRATES_ZIP5_TX202603.csv.sha256"), "w") as f:
            f.write("%s  TAXRATES_ZIP5_TX202603.csv\n" % sha(good))
        later = text.replace(OLD_ROW, ROW_0606)
        lines = later.splitlines()
        lines[4] = ",".join(x if i != 4 else "six" for i, x in enumerate(lines[4].split(",")))
        with open(os.path.join(srv, "TAXRATES_ZIP5_TX202606.csv"), "w") as f:
            f.write("\n".join(lines) + "\n")  # corrupt: a non-numeric rate on line 5
        with open(os.path.join(srv, "TAXRATES_ZIP5_TX202607.csv"), "w") as f:
            f.write(later)
        with open(os.path.join(mirror, "TAXRATES_ZIP5_TX202606.csv"), "w") as f:
            f.write(later)
        with open(os.path.join(mirror, "SHA256SUMS"), "w") as f:
            f.write("%s  TAXRATES_ZIP5_TX202606.csv\n" % sha(later))

        http_p = harness.start([sys.executable, "-m", "http.server", str(HTTP_PORT), "--bind", "127.0.0.1",
                                "--directory", srv], os.path.join(tmp, "http.log"), mode="w")
        base = "http://127.0.0.1:%d/" % HTTP_PORT

        def served():
            try:
                return urllib.request.urlopen(base + "TAXRATES_ZIP5_TX202603.csv.sha256", timeout=5).status == 200
            except OSError:
                return False
        if not check("the rate file server is up", poll(served, 30)):
            return

        os.makedirs(data)
        # the port range lies in the kernel's ephemeral range: a port another test's client
        # holds is retried on the next one of ours
        for port in (LEVY_PORT, BASE + 10, BASE + 20, BASE + 30):
            levy_p = harness.start(harness.levy_cmd(LEVY, port, data, TOKEN, src=SRC),
                                   os.path.join(tmp, "serve.log"), mode="w")
            url = "http://127.0.0.1:%d" % port
            up = harness.wait_up(levy_url=url, timeout=60, interval=0.2, proc=levy_p)
            if up or "Address already in use" not in open(os.path.join(tmp, "serve.log")).read():
                break
            harness.stop(levy_p)
        if not check("levy serve starts", up, open(os.path.join(tmp, "serve.log")).read()[-1500:]):
            return
        levy = harness.Levy(url, TOKEN)
        st, _, body, _ = levy("PUT", "/v1/regions/US-TX", {"subscribed": True, "tax_calculation": True})
        if not check("PUT /v1/regions/US-TX", st == 200, body):
            return

        def answer():
            st, res, body, _ = levy("POST", "/v1/calculate", TX)
            return (res["total_tax"], res["rules"]["rates_source"]) if st == 200 else (st, body)

        def reload():
            st, res, body, _ = levy("POST", "/admin/reload", {}, timeout=120)
            return res.get("status") if isinstance(res, dict) else (st, body)

        check("before: 8.25 % from the shipped 2025-12 table", answer() == ("82.50", "avalara-zip5 2025-12"), answer())

        def update(conf_lines):
            with open(os.path.join(data, "rates-sources.conf"), "w") as f:
                f.write("# test sources\n" + "\n".join(conf_lines) + "\n")
            r = subprocess.run([LEVY, "rates", "update", "--data-dir", data], capture_output=True, text=True,
                               timeout=120)
            try:
                status = json.load(open(os.path.join(data, "rates-update.json")))
            except (OSError, ValueError):
                status = None
            return r, status

        r, status = update(["source %sTAXRATES_ZIP5_TX202603.csv format=avalara sha256_url=%s min_rows=%d"
                            % (base, base + "TAXRATES_ZIP5_TX202603.csv.sha256", rows)])
        check("good file: exit 0, installed", r.returncode == 0 and "installed avalara-zip5-TX 2026-03" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        check("good file: status ok", status and status["ok"] is True and status["sources"][0]["status"] == "installed"
              and status["sources"][0]["sha256"] == sha(good), status)
        check("good file: kept as a dated vintage under rates-vintages/",
              any(f == "TAXRATES_ZIP5_TX202603.csv" for _, _, fs in os.walk(os.path.join(data, "rates-vintages"))
                  for f in fs))
        check("reload picks the new rate tables up", reload() == "reloaded")
        check("after: 8.50 %, named as the 2026-03 vintage, same process",
              answer() == ("85.00", "avalara-zip5 2026-03") and levy_p.poll() is None, answer())
        r, status = update(["source %sTAXRATES_ZIP5_TX202603.csv format=avalara" % base])
        check("the same file again: unchanged, exit 0", r.returncode == 0 and "unchanged" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        check("nothing changed: reload unchanged", reload() == "unchanged")

        failures = [
            ("corrupt file", ["source %sTAXRATES_ZIP5_TX202606.csv format=avalara" % base],
             "TAXRATES_ZIP5_TX202606.csv:5:"),
            ("wrong checksum", ["source %sTAXRATES_ZIP5_TX202607.csv sha256=%s" % (base, sha(good))],
             "checksum mismatch"),
            ("wrong format", ["source %sTAXRATES_ZIP5_TX202607.csv format=sst" % base], "expected a sst file"),
            ("too few rows", ["source %sTAXRATES_ZIP5_TX202607.csv min_rows=%d" % (base, rows + 1)],
             "expected at least"),
            ("unreachable server", ["source http://127.0.0.1:%d/TAXRATES_ZIP5_TX202607.csv" % DEAD_PORT],
             "fetch failed"),
            ("missing file (404)", ["source %sTAXRATES_ZIP5_TX209912.csv" % base], "fetch failed"),
        ]
        for name, conf, why in failures:
            r, status = update(conf)
            check("%s: exit 1, WARN says why" % name, r.returncode == 1 and "WARN" in r.stderr and why in r.stderr,
                  (r.returncode, r.stdout, r.stderr))
            check("%s: rates-update.json says why" % name, status and status["ok"] is False and
                  status["sources"][0]["status"] == "failed" and why in status["sources"][0]["error"], status)
            check("%s: the vintage in use stays (reload unchanged)" % name, reload() == "unchanged")
            check("%s: still 8.50 %% from 2026-03" % name, answer() == ("85.00", "avalara-zip5 2026-03"), answer())

        st, res, body, _ = levy("GET", "/admin/rates")
        tables = (res or {}).get("tables", []) if st == 200 else []
        tx = [t for t in tables if "US-TX" in t.get("regions", [])]
        ca = [t for t in tables if "US-CA" in t.get("regions", [])]
        check("GET /admin/rates: US-TX on the imported 2026-03 vintage, stale from 2026-06-01",
              len(tx) == 1 and tx[0]["source"] == "avalara-zip5" and tx[0]["vintage"] == "2026-03" and
              tx[0]["imported"] is True and tx[0]["stale_after"] == "2026-06-01", (st, body[:800] if body else body))
        check("GET /admin/rates: US-CA still on the shipped 2025-12 vintage, stale from 2026-03-01",
              len(ca) == 1 and ca[0]["vintage"] == "2025-12" and ca[0]["imported"] is False and
              ca[0]["stale_after"] == "2026-03-01", ca)
        check("GET /admin/rates: the last update failed and says why", st == 200 and res["update"]["ok"] is False and
              "fetch failed" in json.dumps(res["update"]), (st, body[:800] if body else body))
        st, _, metrics, _ = levy("GET", "/metrics")
        check("metric levy_rates_update_failed 1", st == 200 and "levy_rates_update_failed 1" in metrics,
              metrics[-1500:] if metrics else metrics)

        r, status = update(["mirror %s" % mirror])
        check("mirror: exit 0, installed 2026-06", r.returncode == 0 and "installed avalara-zip5-TX 2026-06" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        check("mirror: reload picks it up", reload() == "reloaded")
        check("mirror: 8.75 % named as 2026-06, same process",
              answer() == ("87.50", "avalara-zip5 2026-06") and levy_p.poll() is None, answer())
        st, _, metrics, _ = levy("GET", "/metrics")
        check("metric levy_rates_update_failed 0 after a good update", st == 200 and "levy_rates_update_failed 0" in metrics)
        with open(os.path.join(mirror, "SHA256SUMS"), "w") as f:
            f.write("%s  TAXRATES_ZIP5_TX202606.csv\n" % sha(good))
        r, status = update(["mirror %s" % mirror])
        check("mirror with a wrong SHA256SUMS: exit 1, checksum mismatch",
              r.returncode == 1 and "checksum mismatch" in r.stderr, (r.returncode, r.stderr))

        # an SST rate file (the published 9-column layout) for a member state: MN's state rate
        # row 45 ends 2025-12-31 and a 7 % row starts 2026-01-01 (built to the format)
        sst_src = os.path.join(SRC, "data/us/sst-2026q2/MNR2026Q2FEB18.csv")
        sst = open(sst_src).read()
        state_row = "27,45,27,0.06875,0.06875,0.06875,0.06875,20090701,29991231"
        if check("the shipped MN SST file has the state row", state_row in sst):
            sst = sst.replace(state_row, "27,45,27,0.06875,0.06875,0.06875,0.06875,20090701,20251231\n"
                                         "27,45,27,0.07000,0.07000,0.07000,0.07000,20260101,29991231")
            with open(os.path.join(srv, "MNR2026Q3MAY20.csv"), "w") as f:
                f.write(sst)
            st, _, body, _ = levy("PUT", "/v1/regions/US-MN", {"subscribed": True, "tax_calculation": True})
            mn = dict(TX, ship_to={"line1": "1 Main St", "city": "Minneapolis", "state": "MN",
                                   "zip_code": "55401", "country": "US"})
            st, res, body, _ = levy("POST", "/v1/calculate", mn)
            check("SST before: Minneapolis 9.025 %", st == 200 and res["total_tax"] == "90.25", body[:300])
            r, status = update(["source %sMNR2026Q3MAY20.csv format=sst sha256=%s min_rows=100" % (base, sha(sst))])
            check("SST rate file: installed as sst-MN 2026Q3", r.returncode == 0 and
                  "installed sst-MN 2026Q3" in r.stdout, (r.returncode, r.stdout, r.stderr))
            check("SST: reload picks it up", reload() == "reloaded")
            st, res, body, _ = levy("POST", "/v1/calculate", mn)
            check("SST after: the 7 % state rate (9.15 %), rates_source names sst 2026Q3",
                  st == 200 and res["total_tax"] == "91.50" and "sst 2026Q3" in res["rules"]["rates_source"],
                  body[-700:])

        # issue 19, address precision: an SST boundary file (format=sst-boundary) with its rate
        # file, fetched and installed the same way; after a reload a ZIP+4 is located by it
        for name in ("KSR2026Q3JUN01.csv", "KSB2026Q3JUN01.csv"):
            shutil.copy(os.path.join(SRC, "tests/fixtures/sst", name), os.path.join(srv, name))
        levy("PUT", "/v1/regions/US-KS", {"subscribed": True, "tax_calculation": True})
        r, status = update(["source %sKSR2026Q3JUN01.csv format=sst" % base,
                            "source %sKSB2026Q3JUN01.csv format=sst-boundary min_rows=6" % base])
        check("SST boundary file: installed as sst-boundary-KS 2026Q3", r.returncode == 0 and
              "installed sst-boundary-KS 2026Q3" in r.stdout and "installed sst-KS 2026Q3" in r.stdout,
              (r.returncode, r.stdout, r.stderr))
        r, _ = update(["source %sKSB2026Q3JUN01.csv format=sst" % base])
        check("a boundary file is not an SST rate file (format checked)", r.returncode == 1, (r.stdout, r.stderr))
        check("SST boundary: reload picks it up", reload() == "reloaded")
        ks = dict(TX, ship_to={"line1": "1 Main St", "city": "Overland Park", "state": "KS",
                               "zip_code": "66210-2050", "country": "US"})
        st, res, body, _ = levy("POST", "/v1/calculate", ks)
        check("SST boundary: 66210-2050 located by its ZIP+4 (7.975 % on 1000.00 = 79.75)",
              st == 200 and res.get("resolution") == "zip4" and res["total_tax"] == "79.75"
              and "sst-boundary 2026Q3" in res["rules"]["rates_source"], body[-700:])

        # levy rates import + reload (no restart) picks a vintage up too
        imp = os.path.join(tmp, "TAXRATES_ZIP5_TX202609.csv")
        with open(imp, "w") as f:
            f.write(text)
        r = subprocess.run([LEVY, "rates", "import", imp, "--data-dir", data], capture_output=True, text=True,
                           timeout=120)
        check("import: exit 0, says a reload serves it", r.returncode == 0 and "after a reload" in r.stderr,
              (r.returncode, r.stderr))
        check("import: reload picks it up", reload() == "reloaded")
        check("import: 8.25 % named as 2026-09, same process",
              answer() == ("82.50", "avalara-zip5 2026-09") and levy_p.poll() is None, answer())
        # the audit log (issue 20): the reload that loaded it, by the API token, names the vintages
        st, js, body, _ = levy("GET", "/v1/audit?action=rules.reloaded&limit=1")
        rl = (js or {}).get("data", [{}])[0] if st == 200 and (js or {}).get("data") else {}
        rates = rl.get("changes", {}).get("rates", {})
        check("audit: rules.reloaded by the API token, rates from ... 2026-03 to ... 2026-09",
              rl.get("actor_kind") == "api_token" and "avalara-zip5 2026-09" in rates.get("after", "")
              and "2026-09" not in rates.get("before", "2026-09"), body[:600])

        # on a schedule (--rates-update-every, off by default): levy runs the update itself,
        # logs a failure at WARN, and reloads when a vintage was installed
        harness.stop(levy_p)
        with open(os.path.join(data, "rates-sources.conf"), "w") as f:
            f.write("source http://127.0.0.1:%d/TAXRATES_ZIP5_TX202607.csv\n" % DEAD_PORT)
        log = os.path.join(tmp, "serve2.log")
        levy_p = harness.start(harness.levy_cmd(LEVY, port, data, TOKEN, src=SRC,
                                                extra=["--rates-update-every", "1"]), log, mode="w")
        check("levy serve --rates-update-every 1 starts",
              harness.wait_up(levy_url=url, timeout=60, interval=0.2, proc=levy_p), open(log).read()[-1500:])
        check("scheduled: an unreachable source is logged at WARN, the vintage stays",
              poll(lambda: "WARN" in open(log).read() and "rates update: " in open(log).read(), 60) and
              answer() == ("82.50", "avalara-zip5 2026-09"), open(log).read()[-1500:])
        with open(os.path.join(data, "rates-sources.conf"), "w") as f:
            f.write("source %sTAXRATES_ZIP5_TX202603.csv format=avalara\n" % base)
        check("scheduled: a good source is installed and served without a restart",
              poll(lambda: answer() == ("85.00", "avalara-zip5 2026-03"), 90) and levy_p.poll() is None,
              (answer(), open(log).read()[-1500:]))

        def scheduled_row():
            st, js, _, _ = levy("GET", "/v1/audit?action=rules.reloaded&actor_kind=system")
            return next((r for r in (js or {}).get("data", []) if st == 200 and r["actor"] == "rates update schedule"),
                        None)
        poll(lambda: scheduled_row() is not None, 60)
        sr = scheduled_row() or {}
        check("audit: the schedule's reload is logged as levy's scheduled rate update, 2026-09 -> 2026-03",
              "avalara-zip5 2026-03" in sr.get("changes", {}).get("rates", {}).get("after", "")
              and "avalara-zip5 2026-09" in sr.get("changes", {}).get("rates", {}).get("before", ""), sr)
    except Exception as e:  # an exception is a failure, not an early pass
        import traceback
        traceback.print_exc()
        check("no exception: %r" % e, False)
    finally:
        harness.stop(levy_p)
        harness.stop(http_p)
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(summary())


def poll(fn, timeout):
    import time
    end = time.time() + timeout
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    main()
