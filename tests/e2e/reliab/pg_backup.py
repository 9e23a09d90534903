#!/usr/bin/env python3
"""Issue 22: `levy backup` / `levy restore` on a PostgreSQL store print the exact pg_dump /
pg_restore command for the URL's database (every parameter but the password), and those
commands, run as printed, back up and restore what levy serves.

A throwaway cluster (tests/pg/cluster.sh), the simulator, one `levy serve` on PostgreSQL:
  1. connect, a certificate uploaded (its body in the files table);
  2. `levy backup FILE` exits 1 and prints `pg_dump … --file=FILE --dbname='… host=… port=…
     user=… dbname=…'`, never the password (in neither the command nor the URL it shows);
  3. that command, run by sh with PGPASSWORD set, writes FILE;
  4. the data changes afterwards (the certificate deleted through the API, a region setting);
  5. `levy restore FILE` exits 1 and prints the pg_restore command (with "every levy replica
     stopped first"); with levy stopped, that command restores the dump;
  6. levy on the restored database: the certificate is back with identical bytes, the region
     setting as it was at the backup.
Usage: pg_backup.py LEVY SRC BASE_PORT (ports BASE..BASE+19)."""
import base64
import glob
import json
import os
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE = int(sys.argv[3]) if len(sys.argv) > 3 else 27510
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 16 + b"\n%%EOF\n"


def raw(env, method, path, data=None, ctype=None):
    h = {"Authorization": "Bearer " + env.token}
    if ctype:
        h["Content-Type"] = ctype
    r = urllib.request.Request(env.levy_url + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def pg_bin_dir():
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))
    return os.path.dirname(bins[-1]) if bins else ""


def printed_command(stderr, tool):
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip().startswith(tool + " ")]
    return lines[0] if lines else ""


def main():
    cluster = os.path.join(SRC, "tests", "pg", "cluster.sh")
    env = common.new_env(LEVY, SRC, "levy-reliab-pgbackup-", BASE + 10, invoices=3)
    cdir = os.path.join(env.tmp, "cluster")
    try:
        url = subprocess.run(["sh", cluster, "start", cdir, str(BASE)], check=True,
                             capture_output=True, text=True, timeout=120).stdout.strip()
        password = urllib.parse.unquote(urllib.parse.urlsplit(url).password or "")
        check("cluster started", url.startswith("postgres://") and password, url)
        key = base64.b64encode(os.urandom(32)).decode()
        env.levy_env.update({"LEVY_DATABASE_URL": url, "LEVY_MASTER_KEY": key})
        if not check("simulator and levy on PostgreSQL start", env.start_sim() and env.start_levy(60)):
            return
        # 1. data
        env.connect(regions=("US-CA", "US-NY"))
        st, cl, text, _ = env.L("GET", "/v1/customers?limit=5")
        cust = urllib.parse.quote(cl["data"][0]["id"])
        base = "/v1/customers/%s/exemption-certificates" % cust
        q = urllib.parse.urlencode({"number": "CA-9", "reason": "resale", "regions": "US-CA",
                                    "issued": "2026-01-01", "expires": "2026-12-31"})
        st, b = raw(env, "POST", base + "?" + q, PDF, "application/pdf")
        check("certificate uploaded", st == 201, b[:300])
        cid = json.loads(b.decode()).get("id", "") if st == 201 else ""
        st, _, text, _ = env.L("PUT", "/v1/regions/US-NY", {"subscribed": True, "tax_calculation": False})
        check("region setting saved", st == 200, text[:300])

        # 2. levy backup: the pg_dump command
        dump = os.path.join(env.tmp, "levy's backup.dump")  # a quote and a space: shell-quoted
        cli_env = dict(os.environ, LEVY_DATABASE_URL=url, LEVY_MASTER_KEY=key)
        r = subprocess.run([LEVY, "backup", dump, "--data-dir", env.levy_dir], capture_output=True, text=True,
                           timeout=60, env=cli_env)
        cmd = printed_command(r.stderr, "pg_dump")
        check("levy backup on PostgreSQL: exit 1 with a pg_dump command", r.returncode == 1 and cmd,
              (r.returncode, r.stdout, r.stderr))
        check("the command names the URL's host, port, user and database",
              all(p in cmd for p in ("host=127.0.0.1", "port=%d" % BASE, "user=levy", "dbname=levy")), cmd)
        check("the password is printed nowhere", password not in r.stdout + r.stderr, r.stderr)

        # 3. run it as printed
        run_env = dict(os.environ, PGPASSWORD=password, PATH=pg_bin_dir() + ":" + os.environ.get("PATH", ""))
        p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=120, env=run_env)
        check("the printed pg_dump command writes the backup", p.returncode == 0 and os.path.getsize(dump) > 0,
              (p.returncode, p.stderr))

        # 4. changes after the backup
        st, b = raw(env, "DELETE", "%s/%s" % (base, cid))
        check("certificate deleted after the backup", st == 200, b[:300])
        st, _, text, _ = env.L("PUT", "/v1/regions/US-NY", {"subscribed": True, "tax_calculation": True})
        check("region setting changed after the backup", st == 200, text[:300])
        st, _ = raw(env, "GET", "%s/%s/file" % (base, cid))
        check("the certificate's file is gone (404)", st == 404, st)

        # 5. levy restore: the pg_restore command, run with levy stopped
        r = subprocess.run([LEVY, "restore", dump, "--data-dir", env.levy_dir], capture_output=True, text=True,
                           timeout=60, env=cli_env)
        cmd = printed_command(r.stderr, "pg_restore")
        check("levy restore on PostgreSQL: exit 1 with a pg_restore command, replicas stopped first",
              r.returncode == 1 and cmd and "stopped first" in r.stderr and password not in r.stdout + r.stderr,
              (r.returncode, r.stderr))
        common.stop(env.levy)
        p = subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=120, env=run_env)
        check("the printed pg_restore command restores the backup", p.returncode == 0, (p.returncode, p.stderr))

        # 6. levy on the restored database
        if not check("levy serves the restored database", env.start_levy(60)):
            return
        st, got = raw(env, "GET", "%s/%s/file" % (base, cid))
        check("the certificate is back with identical bytes", st == 200 and got == PDF, (st, len(got)))
        st, regs, text, _ = env.L("GET", "/v1/regions")
        ny = [x for x in (regs or {}).get("data", []) if x.get("code") == "US-NY"]
        check("the region setting is as at the backup", ny and ny[0].get("tax_calculation") is False, text[:400])
    finally:
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True, timeout=120)
        common.cleanup(env, 6000)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("no exception", False, repr(e))
    sys.exit(common.summary())
