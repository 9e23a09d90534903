#!/usr/bin/env python3
"""Issue 20 follow-up: `levy backup` holds the files under <data>/files/ (exemption certificates)
with the database, and `levy restore` puts both back. Before, the backup held the database only:
a restore listed every certificate and answered its download with 500 certificate_file_missing.

Against the real simulator, checked here:
  1. A certificate uploaded; `levy backup FILE` while levy serves -> 0 and says 1 file; the
     backup is one SQLite file (integrity ok) whose levy_backup_files row has the certificate's
     size and SHA-256.
  2. levy stopped, the data dir wiped (the master key kept aside, as docs/operations.md says);
     `levy restore FILE` -> 0, says 1 file; levy starts on it and the certificate is listed and
     downloads byte-identically; the restored levy.db has no levy_backup_files table.
  3. A backup whose file bytes were altered (size kept) is refused before anything is written:
     exit 1, "SHA-256", no levy.db and no file in the target dir.
  4. A backup of the old format (a bare SQLite database, without levy_backup_files) still
     restores: exit 0, 0 files, levy starts and lists the certificate (its file missing: 500
     certificate_file_missing, as before).
  5. A backup naming a path outside files/ is refused (exit 1), nothing written outside.
  1b. A certificate deleted while a backup runs (held after its database copy by a test-only
     LD_PRELOAD shim, pauseshim.c): the backup holds its row (copied first) and its file too
     (levy.files.remove moves a file to files/.removed/, and the backup takes those removed
     since it began); before, the row was there without its file.

usage: backup_files.py LEVY SRC BASE_PORT
"""
import hashlib
import json
import os
import shutil
import sqlite3
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
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 24400
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


def cli(*args):
    return subprocess.run([LEVY] + list(args), capture_output=True, text=True, timeout=120)


def tree(d):
    out = []
    for root, _, files in os.walk(d):
        out += [os.path.relpath(os.path.join(root, f), d) for f in files]
    return sorted(out)


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-backupfiles-", BASE_PORT, invoices=2)
    with common.running(env):
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA",))
        st, cl, text, _ = env.L("GET", "/v1/customers?limit=5")
        cust = cl["data"][0]["id"]
        base = "/v1/customers/%s/exemption-certificates" % urllib.parse.quote(cust)
        q = urllib.parse.urlencode({"number": "CA-RESALE-9", "reason": "resale", "regions": "US-CA",
                                    "issued": "2026-01-01"})
        st, b = raw(env, "POST", base + "?" + q, PDF, "application/pdf")
        cert = json.loads(b.decode()) if st == 201 else {}
        if not check("upload a certificate -> 201", st == 201, b[:300]):
            return
        cid = cert["id"]

        # 1. backup while serving
        bfile = os.path.join(env.tmp, "levy-backup.db")
        r = cli("backup", bfile, "--data-dir", env.levy_dir)
        check("levy backup while serving -> 0, 1 file", r.returncode == 0 and "and 1 file(s)" in r.stdout,
              r.stdout + r.stderr)
        db = sqlite3.connect(bfile)
        rows = db.execute("SELECT path, size, sha256, data FROM levy_backup_files").fetchall()
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        db.close()
        check("the backup is one SQLite file holding the certificate with its size and SHA-256",
              ok == "ok" and rows == [("certificates/" + cid, len(PDF), hashlib.sha256(PDF).hexdigest(), PDF)],
              [(p, s, h) for p, s, h, _ in rows])

        # 1b. a certificate deleted while the backup runs (docs/operations.md section 5 said such a
        # backup held its row without its file): the backup is held after its database copy
        # (a test-only LD_PRELOAD shim on the unmodified binary), the certificate deleted, then
        # the backup goes on; every certificate row it holds must have its file
        shim = os.path.join(env.tmp, "pauseshim.so")
        ccr = subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", shim,
                              os.path.join(os.path.dirname(os.path.abspath(__file__)), "pauseshim.c"), "-ldl"],
                             capture_output=True, text=True, timeout=120)
        if check("the pause shim builds", ccr.returncode == 0, ccr.stderr[-800:]):
            q2 = urllib.parse.urlencode({"number": "CA-RESALE-10", "reason": "resale", "regions": "US-CA",
                                         "issued": "2026-01-01"})
            st, b = raw(env, "POST", base + "?" + q2, PDF + b"2", "application/pdf")
            cid2 = json.loads(b.decode())["id"] if st == 201 else None
            check("upload a second certificate -> 201", st == 201, b[:300])
            at, go = os.path.join(env.tmp, "pause-at"), os.path.join(env.tmp, "pause-go")
            bfile2 = os.path.join(env.tmp, "levy-backup-2.db")
            benv = dict(os.environ, LD_PRELOAD=shim, LEVY_PAUSE_MATCH="/files", LEVY_PAUSE_AT=at,
                        LEVY_PAUSE_GO=go)
            bp = subprocess.Popen([LEVY, "backup", bfile2, "--data-dir", env.levy_dir], env=benv,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  preexec_fn=common.harness.pdeathsig_preexec())
            try:
                held = common.wait_for(lambda: os.path.exists(at) or bp.poll() is not None, 60, 0.05)
                check("the backup is held after its database copy", held and os.path.exists(at), bp.poll())
                st, b = raw(env, "DELETE", base + "/" + (cid2 or "none"))
                check("the second certificate deleted meanwhile", st in (200, 204), (st, b[:300]))
            finally:
                open(go, "w").close()
                out, errt = bp.communicate(timeout=120)
            check("that backup -> 0", bp.returncode == 0, out + errt)
            db = sqlite3.connect(bfile2)
            certs = [r[0] for r in db.execute("SELECT id FROM api_certificates")]
            files = {r[0]: r[1] for r in db.execute("SELECT path, data FROM levy_backup_files")}
            db.close()
            check("the deleted certificate's row is in that backup (its database copy came first)", cid2 in certs,
                  certs)
            check("every certificate row of that backup has its file, byte for byte",
                  all("certificates/" + c in files for c in certs)
                  and files.get("certificates/" + (cid2 or "")) == PDF + b"2", (certs, sorted(files)))
            st, b = raw(env, "GET", base + "/%s/file" % (cid2 or "none"))
            check("the deleted certificate is gone from the running levy (404)", st == 404, (st, b[:200]))
            st, b = raw(env, "GET", base)
            check("... and not listed", st == 200 and cid2 not in [c["id"] for c in json.loads(b.decode())["data"]],
                  b[:300])

        # 2. wipe, restore, serve
        env.close()
        keep = os.path.join(env.tmp, "keep")
        os.makedirs(keep)
        for name in ("master.key", "api-token"):
            if os.path.exists(os.path.join(env.levy_dir, name)):
                shutil.copy(os.path.join(env.levy_dir, name), keep)
        shutil.rmtree(env.levy_dir)
        r = cli("restore", bfile, "--data-dir", env.levy_dir)
        check("levy restore into the wiped data dir -> 0, 1 file", r.returncode == 0 and " 1 file(s)" in r.stdout,
              r.stdout + r.stderr)
        for name in os.listdir(keep):
            shutil.copy(os.path.join(keep, name), env.levy_dir)
        db = sqlite3.connect(os.path.join(env.levy_dir, "levy.db"))
        left = db.execute("SELECT count(*) FROM sqlite_master WHERE name = 'levy_backup_files'").fetchone()[0]
        db.close()
        check("the restored levy.db does not keep the backup's file table", left == 0)
        check("simulator and levy start on the restored data dir", env.start_sim() and env.start_levy())
        st, b = raw(env, "GET", base)
        listed = [c["id"] for c in json.loads(b.decode()).get("data", [])] if st == 200 else []
        check("the certificate is listed after the restore", listed == [cid], (st, b[:300]))
        st, b = raw(env, "GET", base + "/%s/file" % cid)
        check("the certificate downloads byte-identically after the restore", st == 200 and b == PDF,
              (st, len(b), b[:200]))
        env.close()

        # 3. altered bytes (same size) -> refused before anything is written
        bad = os.path.join(env.tmp, "bad.db")
        shutil.copy(bfile, bad)
        db = sqlite3.connect(bad)
        db.execute("UPDATE levy_backup_files SET data = ?", (PDF[:-2] + b"X\n",))
        db.commit()
        db.close()
        target = os.path.join(env.tmp, "r-bad")
        r = cli("restore", bad, "--data-dir", target)
        check("a backup whose file does not match its SHA-256 is refused (exit 1)",
              r.returncode == 1 and "SHA-256" in r.stderr, (r.returncode, r.stderr))
        check("nothing written from the damaged backup", not os.path.exists(target) or tree(target) == [],
              os.path.exists(target) and tree(target))

        # 4. the old format: a bare SQLite database
        old = os.path.join(env.tmp, "old.db")
        shutil.copy(bfile, old)
        db = sqlite3.connect(old)
        db.execute("DROP TABLE levy_backup_files")
        db.commit()
        db.execute("VACUUM")
        db.close()
        shutil.rmtree(env.levy_dir)
        r = cli("restore", old, "--data-dir", env.levy_dir)
        check("an old bare-database backup restores -> 0, 0 files",
              r.returncode == 0 and " 0 file(s)" in r.stdout, r.stdout + r.stderr)
        for name in os.listdir(keep):
            shutil.copy(os.path.join(keep, name), env.levy_dir)
        check("levy starts on the old backup", env.start_sim() and env.start_levy())
        st, b = raw(env, "GET", base)
        listed = [c["id"] for c in json.loads(b.decode()).get("data", [])] if st == 200 else []
        check("the old backup's certificate row is listed", listed == [cid], (st, b[:300]))
        st, b = raw(env, "GET", base + "/%s/file" % cid)
        check("its file is not in an old backup: 500 certificate_file_missing",
              st == 500 and b"certificate_file_missing" in b, (st, b[:200]))
        env.close()

        # 5. a path outside files/ -> refused
        evil = os.path.join(env.tmp, "evil.db")
        shutil.copy(bfile, evil)
        db = sqlite3.connect(evil)
        db.execute("UPDATE levy_backup_files SET path = '../../escaped'")
        db.commit()
        db.close()
        target = os.path.join(env.tmp, "r-evil")
        r = cli("restore", evil, "--data-dir", target)
        check("a backup naming a path outside files/ is refused (exit 1)",
              r.returncode == 1 and "outside files/" in r.stderr, (r.returncode, r.stderr))
        check("nothing escaped the data dir", not os.path.exists(os.path.join(env.tmp, "escaped")))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
