#!/usr/bin/env python3
"""Ops end-to-end tests (issue 10): backup/restore, upgrades from the v1 schema, the OpenAPI
document against real responses, the Debian package.

usage: test_ops.py LEVY_BINARY SOURCE_DIR CASE     CASE: backup | upgrade | openapi | package
python3 stdlib only (plus python3-yaml for the openapi case). Ports 18950-18999."""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opslib  # noqa: E402
from opslib import check, Client, wait_for  # noqa: E402

LEVY = os.path.abspath(sys.argv[1])
SRC = os.path.abspath(sys.argv[2])
TOKEN = "ops-e2e-token-0123456789abcdef"
MASTER_KEY = "b3BzLWUyZS1tYXN0ZXIta2V5LTMyLWJ5dGVzLW9rISE="  # fixed test key (32 bytes)


def table_digest(path):
    """{table: (rows, sha256 of every row in a stable order)} of a SQLite file."""
    db = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    out = {}
    try:
        for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                  "AND name NOT LIKE 'sqlite_%' ORDER BY name"):
            ncols = len(db.execute('SELECT * FROM "%s" LIMIT 0' % name).description)
            order = ",".join(str(i + 1) for i in range(ncols))
            h = hashlib.sha256()
            n = 0
            for row in db.execute('SELECT * FROM "%s" ORDER BY %s' % (name, order)):
                h.update(repr(row).encode())
                n += 1
            out[name] = (n, h.hexdigest())
    finally:
        db.close()
    return out


def run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("LEVY_")}
    e.update(env or {})
    return subprocess.run([LEVY] + list(args), capture_output=True, text=True, env=e, timeout=120)


def connected_levy(tmp):
    """sim + levy serve with three subscribed regions, connected and imported."""
    sim, sim_url, key = opslib.start_sim(LEVY, tmp, SRC)
    data = os.path.join(tmp, "levy")
    lv, url = opslib.start_levy(LEVY, data, TOKEN, sim_url, os.path.join(tmp, "levy.log"), SRC,
                                env={"LEVY_MASTER_KEY": MASTER_KEY})
    api = Client(url, {"Authorization": "Bearer " + TOKEN})
    for code in ("US-CA", "US-NY", "US-TX"):
        api("PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True})
    cid, signing = opslib.connect(api, sim_url, key)
    return sim, lv, api, data, cid, signing, sim_url, key


# ---- backup / restore ------------------------------------------------------------------

def case_backup(tmp):
    sim, lv, api, data, cid, _, _, _ = connected_levy(tmp)
    procs = [lv, sim]
    try:
        st, js, _, _ = api("GET", "/v1/invoices?limit=500")
        ninv = len(js["data"])
        check("fixture has invoices", ninv > 0, ninv)
        # writes keep going while the backup runs
        stop = threading.Event()
        writes = [0]

        def writer():
            i = 0
            while not stop.is_set():
                i += 1
                s, _, _, _ = opslib.req("PUT", api.url + "/v1/settings",
                                        {"sweep_interval_minutes": 15 + i % 7},
                                        {"Authorization": "Bearer " + TOKEN})
                if s == 200:
                    writes[0] += 1
        t = threading.Thread(target=writer)
        t.start()
        bfile = os.path.join(tmp, "b1.db")
        try:
            for _ in range(3):
                r = run("backup", bfile, "--data-dir", data)
                if r.returncode != 0:
                    break
        finally:
            stop.set()
            t.join()
        check("levy backup while serving and writing -> 0", r.returncode == 0, r.stdout + r.stderr)
        check("writes went on during the backup", writes[0] > 0, writes[0])
        check("backup says integrity ok", "integrity ok" in r.stdout, r.stdout)
        check("backup file is 0600", os.stat(bfile).st_mode & 0o777 == 0o600, oct(os.stat(bfile).st_mode))
        check("backup is one self-contained file (no -wal beside it)",
              not os.path.exists(bfile + "-wal"), os.listdir(tmp))
        db = sqlite3.connect(bfile)
        check("backup passes integrity_check", db.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
        db.close()
        # a backup of the live store while idle equals the store itself
        lv.stop()
        procs.remove(lv)
        bfile2 = os.path.join(tmp, "b2.db")
        r = run("backup", bfile2, "--data-dir", data)
        check("levy backup of a stopped data dir -> 0", r.returncode == 0, r.stderr)
        live = table_digest(os.path.join(data, "levy.db"))
        check("backup == data dir (row counts + content hash per table)",
              table_digest(bfile2) == live, "")
        # restore into a new data dir
        new = os.path.join(tmp, "restored")
        r = run("restore", bfile2, "--data-dir", new)
        check("levy restore into a new data dir -> 0", r.returncode == 0, r.stdout + r.stderr)
        restored = table_digest(os.path.join(new, "levy.db"))
        check("restored == original: same tables", sorted(restored) == sorted(live),
              (sorted(restored), sorted(live)))
        for name in sorted(live):
            check("restored table %s: %d rows, same content" % (name, live[name][0]),
                  restored.get(name) == live[name], (restored.get(name), live[name]))
        check("restored data dir is 0700", os.stat(new).st_mode & 0o777 == 0o700)
        db = sqlite3.connect(os.path.join(new, "levy.db"))
        check("restored db is in WAL mode", db.execute("PRAGMA journal_mode").fetchone()[0] == "wal")
        db.close()
        # refuse to overwrite, unless --force
        r = run("restore", bfile, "--data-dir", new)
        check("restore over an existing db -> 1 without --force",
              r.returncode == 1 and "--force" in r.stderr, (r.returncode, r.stderr))
        check("refused restore changed nothing", table_digest(os.path.join(new, "levy.db")) == live)
        r = run("restore", bfile, "--data-dir", new, "--force")
        check("restore --force -> 0", r.returncode == 0, r.stderr)
        check("forced restore holds the first backup",
              table_digest(os.path.join(new, "levy.db")) == table_digest(bfile))
        # bad inputs
        bad = os.path.join(tmp, "bad.db")
        with open(bfile2, "rb") as f:
            blob = bytearray(f.read())
        for off in range(4096 * 2, min(len(blob), 4096 * 6)):
            blob[off] ^= 0x5A
        with open(bad, "wb") as f:
            f.write(blob)
        r = run("restore", bad, "--data-dir", os.path.join(tmp, "r-bad"))
        check("restore of a corrupted file -> 1", r.returncode == 1, (r.returncode, r.stderr))
        check("nothing restored from a corrupted file",
              not os.path.exists(os.path.join(tmp, "r-bad", "levy.db")))
        other = os.path.join(tmp, "other.db")
        sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
        r = run("restore", other, "--data-dir", os.path.join(tmp, "r-other"))
        check("restore of a non-levy db -> 1", r.returncode == 1 and "not a levy database" in r.stderr,
              r.stderr)
        r = run("backup", os.path.join(tmp, "x.db"), "--data-dir", os.path.join(tmp, "nothing"))
        check("backup of a missing data dir -> 1", r.returncode == 1, r.stderr)
        r = run("backup")
        check("backup without FILE -> 2 (usage)", r.returncode == 2, r.stderr)
        r = run("restore", "--help")
        check("restore --help -> 0", r.returncode == 0 and "restore FILE" in r.stdout)
        # the restored data dir serves: same invoices, secrets open (a signed webhook passes)
        shutil.copy(os.path.join(data, "api-token"), os.path.join(new, "api-token")) \
            if os.path.exists(os.path.join(data, "api-token")) else None
        lv2, url2 = opslib.start_levy(LEVY, new, TOKEN, None, os.path.join(tmp, "levy2.log"), SRC,
                                      env={"LEVY_MASTER_KEY": MASTER_KEY})
        procs.append(lv2)
        api2 = Client(url2, {"Authorization": "Bearer " + TOKEN})
        st, js, _, _ = api2("GET", "/v1/invoices?limit=500")
        check("restored levy serves the same invoices", st == 200 and len(js["data"]) == ninv,
              (st, js and len(js["data"]), ninv))
        st, con, text, _ = api2("GET", "/v1/connections/" + cid)
        check("restored levy keeps the connection", st == 200 and con["status"] == "connected", text)
    finally:
        for p in procs:
            p.stop()


CASES = {"backup": case_backup}


def main():
    case = sys.argv[3] if len(sys.argv) > 3 else "backup"
    tmp = tempfile.mkdtemp(prefix="levy-ops-%s-" % case)
    try:
        CASES[case](tmp)
    except Exception as e:  # a crash is a failure, with its logs
        import traceback
        traceback.print_exc()
        check("case %s ran to the end" % case, False, e)
    if opslib.FAILS:
        for name in ("levy.log", "sim.log", "levy2.log"):
            p = os.path.join(tmp, name)
            if os.path.exists(p):
                with open(p, "rb") as f:
                    print("---- %s (tail) ----\n%s" % (name, f.read()[-4000:].decode(errors="replace")))
        print("%d failed" % len(opslib.FAILS))
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)
    print("all ok")


if __name__ == "__main__":
    main()
