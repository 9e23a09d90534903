#!/usr/bin/env python3
"""Issue 22: the files levy.files keeps (exemption certificates) are shared by every replica on
PostgreSQL. A throwaway cluster (tests/pg/cluster.sh), the simulator, two `levy serve`
replicas on one database with one master key, each with its own data dir:

  - a certificate (a PDF holding every byte value, NUL included) uploaded through replica A
    downloads with identical bytes through replica B, and B lists it;
  - a larger one (~1.5 MB of random bytes behind a PNG signature) uploaded through B reads
    back identical through A;
  - the bodies are in the database (the core `files` table, bytea, sha256 equal to the
    upload's), not in either replica's data dir;
  - deleted through A: gone through both (404 for the file and the certificate, absent from
    B's list) and its row gone from `files`;
  - a certificate over certificate_max_bytes is still 413 on PostgreSQL (limits unchanged).
No timing assertions: every wait polls a state.
Usage: pg_files.py LEVY SRC BASE_PORT (ports BASE..BASE+9)."""
import base64
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, req, start, stop, tail, wait_for, levy_cmd  # noqa: E402

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(1536 * 1024)



def raw(port, token, method, path, data=None, ctype=None):
    h = {"Authorization": "Bearer " + token}
    if ctype:
        h["Content-Type"] = ctype
    r = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def main():
    levy, src, base = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2]), int(sys.argv[3])
    cluster = os.path.join(src, "tests", "pg", "cluster.sh")
    tmp = tempfile.mkdtemp(prefix="levy-pgfiles-")
    cdir = os.path.join(tmp, "cluster")
    env = common.Env(levy, src, tmp, base + 1, base + 2, invoices=3)
    reps = []
    try:
        url = common.pg_cluster_start(cluster, cdir, base)

        def sql(q):
            return common.pg_rows(url, q)

        check("simulator up", env.start_sim())
        key = base64.b64encode(os.urandom(32)).decode()
        for i, rid in enumerate(("a", "b")):
            port = base + 2 + i
            d = os.path.join(tmp, rid)
            log = os.path.join(tmp, rid + ".log")
            p = start(levy_cmd(levy, port, d, env.token, env.sim_url, src, extra=["--replica-id", rid]), log,
                      {"LEVY_DATABASE_URL": url, "LEVY_MASTER_KEY": key}, keep_levy_env=False)
            reps.append({"id": rid, "port": port, "proc": p, "log": log, "dir": d})
            up = wait_for(lambda: p.poll() is None and
                          req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=2)[0] == 200, 60)
            if not check("replica %s serves on the shared database" % rid, up, tail(log)):
                return
        a, b = reps
        env.connect(regions=("US-CA",))  # through replica A (env's levy port)
        st, cl, text, _ = env.L("GET", "/v1/customers?limit=5")
        if not check("customers imported", st == 200 and cl and cl.get("data"), text[:300]):
            return
        cust = urllib.parse.quote(cl["data"][0]["id"])
        base_path = "/v1/customers/%s/exemption-certificates" % cust

        def upload(rep, body, ctype, number):
            q = urllib.parse.urlencode({"number": number, "reason": "resale", "regions": "US-CA",
                                        "issued": "2026-01-01", "expires": "2026-12-31"})
            return raw(rep["port"], env.token, "POST", base_path + "?" + q, body, ctype)

        # uploaded through A, read through B
        st, body = upload(a, PDF, "application/pdf", "CA-1")
        check("certificate uploaded through replica a", st == 201, body[:300])
        cert = json.loads(body.decode()) if st == 201 else {}
        cid = cert.get("id", "")
        st, got = raw(b["port"], env.token, "GET", "%s/%s/file" % (base_path, cid))
        check("replica b downloads the same bytes", st == 200 and got == PDF,
              (st, len(got), hashlib.sha256(got).hexdigest(), hashlib.sha256(PDF).hexdigest()))
        st, lst = raw(b["port"], env.token, "GET", base_path)
        ids = [c["id"] for c in json.loads(lst.decode()).get("data", [])] if st == 200 else []
        check("replica b lists it", cid in ids, lst[:300])

        # uploaded through B, read through A (a larger binary body)
        st, body = upload(b, PNG, "image/png", "CA-2")
        check("a 1.5 MB certificate uploaded through replica b", st == 201, body[:300])
        cid2 = json.loads(body.decode()).get("id", "") if st == 201 else ""
        st, got = raw(a["port"], env.token, "GET", "%s/%s/file" % (base_path, cid2))
        check("replica a downloads the same bytes", st == 200 and got == PNG, (st, len(got)))

        # the bodies live in the database, not in a data dir
        rows = {r[0]: r[1:] for r in sql("SELECT name, size, encode(sha256(data), 'hex') FROM files "
                                         "WHERE dir = 'certificates'")}
        check("the files table holds both bodies (size and sha256 of the uploads)",
              rows.get(cid) == [str(len(PDF)), hashlib.sha256(PDF).hexdigest()]
              and rows.get(cid2) == [str(len(PNG)), hashlib.sha256(PNG).hexdigest()], rows)
        on_disk = [p for r in reps for p in glob.glob(os.path.join(r["dir"], "files", "*", "*"))]
        check("no replica's data dir holds a certificate file", not on_disk, on_disk)

        # deleted through A: gone on both
        st, body = raw(a["port"], env.token, "DELETE", "%s/%s" % (base_path, cid))
        check("certificate deleted through replica a", st in (200, 204), body[:300])
        for rep in reps:
            st, _ = raw(rep["port"], env.token, "GET", "%s/%s/file" % (base_path, cid))
            check("its file is gone through replica %s (404)" % rep["id"], st == 404, st)
            st, _ = raw(rep["port"], env.token, "GET", "%s/%s" % (base_path, cid))
            check("the certificate is gone through replica %s (404)" % rep["id"], st == 404, st)
        st, lst = raw(b["port"], env.token, "GET", base_path)
        ids = [c["id"] for c in json.loads(lst.decode()).get("data", [])] if st == 200 else ["?"]
        check("replica b lists only the other one", ids == [cid2], ids)
        check("its row is gone from files", sql("SELECT count(*) FROM files WHERE name = '%s'" % cid) == [["0"]])

        # the size limit is the same on PostgreSQL
        st, _, text, _ = env.L("PUT", "/v1/settings", {"certificate_max_bytes": 4096})
        if check("certificate_max_bytes lowered to 4096", st == 200, text[:300]):
            st, body = upload(b, PDF + b"\0" * 4096, "application/pdf", "CA-3")
            check("a file over the limit is 413 through replica b", st == 413, body[:300])
            check("and nothing of it was stored", sql("SELECT count(*) FROM files") == [["1"]])
    finally:
        for r in reps:
            stop(r["proc"])
        env.close()
        subprocess.run(["sh", cluster, "stop", cdir], capture_output=True, timeout=120)
        if common.failed and reps:
            for r in reps:
                print("--- %s log" % r["id"])
                print(tail(r["log"], 4000))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("no exception", False, repr(e))
    sys.exit(common.summary())
