#!/usr/bin/env python3
"""Issue 22, `levy migrate-store --from DIR --to postgres://…`: a SQLite data dir moved onto
PostgreSQL with one command (a throwaway cluster: tests/pg/cluster.sh).

  1. A data dir filled through levy on SQLite: the simulator connected and imported, a
     calculation, an exemption certificate (a row + a file), a region setting.
  2. While that levy serves the dir, migrate-store refuses ("stop it first").
  3. Stopped: migrate-store copies (exit 0, a per-table summary, "counts and checksums match").
  4. Run again: "already copied", exit 0, nothing written.
  5. `levy serve --database URL` on the same data dir (its master key) answers the same
     documents and reports as on SQLite: invoices, customers, regions, certificates (list and
     the file's bytes), the liability report, a calculation; its store is PostgreSQL. The data
     dir's files/ is moved away meanwhile: the certificate's bytes come from the copy (the core
     files table, which migrate-store filled from DIR/files/ and verified), as every replica
     reads them.
  6. A write through the PostgreSQL levy, then migrate-store again: the target differs from the
     source, refused (exit 1, "refusing"), and the target keeps its data.
  7. A source row PostgreSQL refuses (text in a BIGINT column) fails the copy into a fresh
     database: exit 1 naming the table, and nothing of the copy is committed.
Also: every identity sequence is past the copied values; a missing --to is a usage error.

usage: migrate_store.py LEVY SRC BASE_PORT (ports BASE..BASE+19)
"""
import hashlib
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
BASE = int(sys.argv[3]) if len(sys.argv) > 3 else 26000
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
LA = {"line1": "1 Main St", "city": "Los Angeles", "state": "CA", "zip_code": "90012", "country": "US"}


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


def migrate(url, env):
    return subprocess.run([LEVY, "migrate-store", "--from", env.levy_dir, "--to", url,
                           "--plugins", os.path.join(SRC, "plugins")],
                          capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if not k.startswith("LEVY_")})


def psql(url, sql):
    """One query through the cluster's psql (the same binaries tests/pg/cluster.sh uses)."""
    import glob
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql")) or ["psql"]
    if os.environ.get("PG_BIN"):
        bins = [os.path.join(os.environ["PG_BIN"], "psql")]
    r = subprocess.run([bins[-1], "-XAtq", "-d", url, "-c", sql], capture_output=True, text=True,
                       timeout=60)
    return r.returncode, r.stdout.strip(), r.stderr


def snapshot(env, cust, cert_id):
    """What the API answers: the documents and reports compared across the two engines."""
    out = {}
    for path in ("/v1/invoices?limit=100", "/v1/customers?limit=100", "/v1/regions",
                 "/v1/customers/%s/exemption-certificates" % urllib.parse.quote(cust),
                 "/v1/reports/liability?from=2026-01-01&to=2026-12-31",
                 "/v1/connections/%s" % env.cid):
        st, body = raw(env, "GET", path)
        out[path] = (st, body.decode(errors="replace"))
    st, body = raw(env, "GET", "/v1/customers/%s/exemption-certificates/%s/file"
                   % (urllib.parse.quote(cust), cert_id))
    out["certificate file"] = (st, body)
    body = {"currency": "USD", "date": "2026-03-01", "ship_to": LA, "customer": cust,
            "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]}
    st, j, text, _ = env.L("POST", "/v1/calculate", body)
    if isinstance(j, dict):
        j.pop("id", None)
        j.pop("calculation_id", None)
    out["calculate"] = (st, json.dumps(j, sort_keys=True))
    return out


def main():
    cluster = os.path.join(SRC, "tests", "pg", "cluster.sh")
    env = common.new_env(LEVY, SRC, "levy-reliab-migstore-", BASE + 10, invoices=6)
    cdir = os.path.join(env.tmp, "cluster")
    try:
        url = subprocess.run(["sh", cluster, "start", cdir, str(BASE)], check=True,
                             capture_output=True, text=True, timeout=120).stdout.strip()
        check("cluster started", url.startswith("postgres://"), url)
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        # 1. fill the data dir through levy
        env.connect(regions=("US-CA", "US-NY", "US-TX"))
        st, cl, text, _ = env.L("GET", "/v1/customers?limit=5")
        cust = cl["data"][0]["id"]
        q = urllib.parse.urlencode({"number": "CA-1", "reason": "resale", "regions": "US-CA",
                                    "issued": "2026-01-01", "expires": "2026-12-31"})
        st, b = raw(env, "POST", "/v1/customers/%s/exemption-certificates?%s"
                    % (urllib.parse.quote(cust), q), PDF, "application/pdf")
        check("certificate uploaded", st == 201, b[:300])
        cert_id = json.loads(b.decode()).get("id") if st == 201 else ""
        st, _, text, _ = env.L("PUT", "/v1/regions/US-NY", {"subscribed": True, "tax_calculation": False})
        check("region setting saved", st == 200, text)
        before = snapshot(env, cust, cert_id)
        check("the certificate's file on SQLite", before["certificate file"] == (200, PDF),
              before["certificate file"][0])
        check("documents on SQLite", before["/v1/invoices?limit=100"][0] == 200
              and json.loads(before["/v1/invoices?limit=100"][1])["data"], before["/v1/invoices?limit=100"])

        # 2. refused while levy serves the dir
        r = migrate(url, env)
        check("refused while levy serves the data dir", r.returncode == 1 and "stop it first" in r.stderr,
              (r.returncode, r.stdout[-500:], r.stderr))

        # 3. copy
        common.stop(env.levy)
        r = migrate(url, env)
        check("migrate-store copies (exit 0)", r.returncode == 0 and "counts and checksums match" in r.stdout,
              (r.returncode, r.stdout[-3000:], r.stderr))
        lines = {ln.split()[0]: ln.split() for ln in r.stdout.splitlines() if ln.strip()}
        check("a summary line per table, each ok", "invoices" in lines and "meta" in lines
              and lines["invoices"][1] == lines["invoices"][2] != "0"
              and "DIFFERS" not in r.stdout, r.stdout[-3000:])
        check("the password is not printed", url.split(":")[2].split("@")[0] not in r.stdout + r.stderr)
        fl = [ln.split() for ln in r.stdout.splitlines() if ln.startswith("files (DIR/files/)")]
        check("a summary line for the data dir's files: 1 on each side, ok",
              fl and fl[0][2:4] == ["1", "1"] and fl[0][-1] == "ok", r.stdout[-3000:])
        rc, out, err = psql(url, "SELECT dir || '/' || name || ' ' || size || ' ' || encode(sha256(data), 'hex') "
                                 "FROM files")
        check("the certificate's file is in the files table, its bytes intact",
              rc == 0 and out == "certificates/%s %d %s" % (cert_id, len(PDF), hashlib.sha256(PDF).hexdigest()),
              (out, err))

        # every identity column's sequence is past the copied values (a new row gets a new id)
        rc, cols, err = psql(url, "SELECT table_name || '.' || column_name FROM information_schema.columns "
                                  "WHERE table_schema = current_schema() AND is_identity = 'YES' ORDER BY 1")
        check("psql lists the identity columns", rc == 0 and "jobs.rowid" in cols.split(), (cols, err))
        behind = []
        for tc in cols.split():
            t, c = tc.split(".")
            seq = psql(url, "SELECT pg_get_serial_sequence('%s', '%s')" % (t, c))[1]
            rc, out, err = psql(url, "SELECT coalesce((SELECT max(%s) FROM %s), 0) <= (SELECT CASE WHEN "
                                     "is_called THEN last_value ELSE last_value - 1 END FROM %s)" % (c, t, seq))
            if rc != 0 or out != "t":
                behind.append((tc, out, err))
        rc, nrows, _ = psql(url, "SELECT count(*) FROM invoices")
        check("the copy holds the invoices", rc == 0 and int(nrows or 0) > 0, nrows)
        check("every identity sequence is set past the copied values", not behind, behind)

        # usage errors
        r = subprocess.run([LEVY, "migrate-store", "--from", env.levy_dir], capture_output=True, text=True,
                           env={k: v for k, v in os.environ.items() if not k.startswith("LEVY_")})
        check("no --to: usage, exit 2", r.returncode == 2 and "--to" in r.stderr, (r.returncode, r.stderr))

        # 4. re-run: a no-op
        r = migrate(url, env)
        check("re-run: already copied, exit 0", r.returncode == 0 and "already copied" in r.stdout,
              (r.returncode, r.stdout[-3000:], r.stderr))

        # 5. levy on PostgreSQL answers the same
        env.levy_env["LEVY_DATABASE_URL"] = url
        files_dir = os.path.join(env.levy_dir, "files")
        os.rename(files_dir, files_dir + ".away")
        if not check("levy serves the copy on PostgreSQL", env.start_levy(60),
                     common.tail(os.path.join(env.tmp, "levy.log"))):
            return
        st, hz, _, _ = common.req("GET", env.levy_url + "/healthz")
        check("its store is PostgreSQL", hz and hz.get("engine") == "postgres", hz)
        after = snapshot(env, cust, cert_id)
        for k in before:
            check("same answer on PostgreSQL: %s" % k, before[k] == after[k],
                  "%r\n---\n%r" % (before[k][1][:800], after[k][1][:800]))
        # a new row gets a fresh identity value (the sequences were set past the copied ones)
        st, _, text, _ = env.L("PUT", "/v1/regions/US-TX", {"subscribed": True, "tax_calculation": False})
        check("a write on the copy", st == 200, text)
        common.stop(env.levy)
        os.rename(files_dir + ".away", files_dir)

        # 6. the target now differs from the source: refused, kept
        r = migrate(url, env)
        check("a target with other data is refused", r.returncode == 1 and "refusing" in r.stderr
              and "DIFFERS" in r.stdout, (r.returncode, r.stdout[-3000:], r.stderr))
        if not check("levy serves the copy again", env.start_levy(60)):
            return
        st, regs, text, _ = env.L("GET", "/v1/regions")
        tx = [x for x in (regs or {}).get("data", []) if x.get("code") == "US-TX"]
        check("the refused run left the target's data", tx and tx[0].get("tax_calculation") is False, text[:500])
        common.stop(env.levy)

        # 7. one transaction: a row PostgreSQL cannot take (text in a BIGINT column, which SQLite
        #    stores as it is) fails the copy into a fresh database, and nothing of it stays
        rc, _, err = psql(url, "CREATE DATABASE levy_b")
        check("a second database", rc == 0, err)
        url_b = url.rsplit("/", 1)[0] + "/levy_b"
        db = env.db()
        with db:
            db.execute("UPDATE jobs SET attempts = 'many' WHERE rowid = (SELECT max(rowid) FROM jobs)")
        db.close()
        r = migrate(url_b, env)
        check("a row the target refuses fails the copy (exit 1, the table named)",
              r.returncode == 1 and "copying table jobs" in r.stderr, (r.returncode, r.stdout[-1500:], r.stderr))
        counts = [psql(url_b, "SELECT count(*) FROM %s" % t)[1] for t in ("meta", "invoices", "api_certificates")]
        check("nothing of the failed copy was committed", counts == ["0", "0", "0"], counts)
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
