#!/usr/bin/env python3
"""Issue 20, "Exemption certificates": a certificate per customer (PDF, PNG or JPEG, told by its
bytes) stored durably in the data dir, with its number, reason, regions and dates; it decides the
stored customer's exemption. Before, levy had no certificate API at all (404 on every route).

Against the real simulator (CA, NY, TX subscribed), checked here:
  1. Upload: a PDF -> 201 (content type from the bytes, sha256, status); an .exe renamed .pdf and
     sent as application/pdf -> 415 with the error shape, nothing listed; over the setting
     certificate_max_bytes -> 413 payload_too_large; a bad reason / unknown region / missing
     issue date -> 422 naming the field; an unknown customer -> 404.
  2. Download: byte-identical, Content-Type application/pdf, Content-Disposition attachment.
  3. POST /v1/calculate for the stored customer: a document dated inside [issued, expires] in a
     covered region is exempt (0.00) and names the certificate (exemption_certificate_id); after
     expiry it is taxed with the note exemption_certificate_expired; a region the certificate
     does not cover is taxed without the note; a request that says exempt stays exempt (CONTRACT).
  4. GET /v1/exemption-certificates?expiring_within_days=30 lists the one expiring soon (status
     "expiring"), not the expired one; the customer's list shows both statuses.
  5. kill -9 and restart: the list, the download and the decision are the same.
  6. A file left in the data dir without its row (a crash between the file and the row) is not
     listed, and the next upload removes it once it is an hour old; DELETE removes the row and
     the file.
  7. A certificate for an invoice's customer re-checks its documents; the invoice (GET
     /v1/invoices/{id}) then shows the certificate that exempted it and tax 0.00.
  8. Before that, a certificate of the same customer that expired the day before the invoice's
     date: the invoice is re-checked, stays taxed with the note exemption_certificate_expired,
     and GET /v1/invoices?certificate=expired (and its CSV) lists it; exempted in step 7, it
     is no longer listed; another value of certificate is 422.
On PostgreSQL (LEVY_DATABASE_URL set: tests/pg/run_on_pg.py, ctest reliab_certificates_pg) the
files are rows of the core `files` table, not files in the data dir: steps 0 and 6 then block
the table's inserts with a trigger, and plant and inspect the orphans as rows, through psql.

usage: certificates.py LEVY SRC BASE_PORT
"""
import datetime
import glob
import json
import os
import subprocess
import sys
import traceback
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 24000
LA = {"line1": "1 Main St", "city": "Los Angeles", "state": "CA", "zip_code": "90012", "country": "US"}
NYC = {"line1": "1 Broadway", "city": "New York", "state": "NY", "zip_code": "10004", "country": "US"}
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PG_URL = os.environ.get("LEVY_DATABASE_URL", "")  # tests/pg/run_on_pg.py: levy's store is PostgreSQL


def psql(q):
    """One statement through psql on levy's PostgreSQL database: its rows (tab-separated)."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/psql")) or ["psql"]
    r = subprocess.run([bins[-1], "-XqAt", "-F", "\t", "-d", PG_URL, "-c", q], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise RuntimeError("psql: %s: %s" % (q, r.stderr))
    return [ln.split("\t") for ln in r.stdout.splitlines() if ln]


def pg_files():
    """{name: mtime} of the certificates in the files table."""
    return {r[0]: int(r[1]) for r in psql("SELECT name, mtime FROM files WHERE dir = 'certificates'")}


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode"


def raw(env, method, path, data=None, ctype=None):
    """One request with a raw body -> (status, body bytes, headers)."""
    h = {"Authorization": "Bearer " + env.token}
    if ctype:
        h["Content-Type"] = ctype
    r = urllib.request.Request(env.levy_url + path, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(r, timeout=60) as resp:
            return resp.status, resp.read(), dict(resp.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def js(b):
    try:
        return json.loads(b.decode())
    except ValueError:
        return {}


def upload(env, cust, data, ctype="application/pdf", **meta):
    q = urllib.parse.urlencode(meta)
    return raw(env, "POST", "/v1/customers/%s/exemption-certificates?%s" % (urllib.parse.quote(cust), q),
               data, ctype)


def calc(env, cust, date, ship_to=LA):
    body = {"currency": "USD", "date": date, "ship_to": ship_to, "customer": cust,
            "lines": [{"id": "1", "amount": "100.00", "quantity": "1", "tax_code": "general"}]}
    st, j, text, _ = env.L("POST", "/v1/calculate", body)
    return st, j or {}, text


def error_code(b):
    e = js(b).get("error") or {}
    return e.get("code"), e.get("message")


def fields(b):
    return [d.get("field") for d in (js(b).get("error") or {}).get("details") or []]


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-certs-", BASE_PORT, invoices=6)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        env.connect(regions=("US-CA", "US-NY", "US-TX"))
        st, cl, text, _ = env.L("GET", "/v1/customers?limit=5")
        cust = cl["data"][0]["id"]
        base = "/v1/customers/%s/exemption-certificates" % urllib.parse.quote(cust)
        today = datetime.datetime.now(datetime.timezone.utc).date()
        soon = (today + datetime.timedelta(days=10)).isoformat()

        # 0. the data dir cannot take the file (here: a plain file where the folder goes; on
        #    PostgreSQL a trigger refusing the files table's inserts)
        blocker = os.path.join(env.levy_dir, "files", "certificates")
        if PG_URL:
            psql("CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
                 "$$ BEGIN RAISE EXCEPTION 'no space (test)'; END $$")
            psql("CREATE TRIGGER test_refuse BEFORE INSERT ON files FOR EACH ROW EXECUTE FUNCTION test_refuse()")
        else:
            os.makedirs(os.path.dirname(blocker), exist_ok=True)
            with open(blocker, "w") as f:
                f.write("not a folder")
        st, b, _ = upload(env, cust, PDF, number="NOSPACE-1", reason="resale", regions="US-CA", issued="2026-01-01")
        check("the file cannot be stored -> 503 certificate_not_stored, a WARN, nothing recorded",
              st == 503 and error_code(b)[0] == "certificate_not_stored"
              and "cannot store the file" in common.tail(os.path.join(env.tmp, "levy.log"), 20000)
              and js(raw(env, "GET", base)[1]).get("data") == [], b[:300])
        if PG_URL:
            psql("DROP TRIGGER test_refuse ON files")
            psql("DROP FUNCTION test_refuse()")
        else:
            os.remove(blocker)

        # 1. uploads
        st, b, _ = upload(env, cust, PDF, number="CA-RESALE-1", reason="resale", regions="US-CA",
                          issued="2026-01-01", expires="2026-06-30", filename="ca resale.pdf")
        c1 = js(b)
        check("upload a PDF -> 201 with its type from the bytes, size and sha256",
              st == 201 and c1.get("content_type") == "application/pdf" and c1.get("size") == len(PDF)
              and len(c1.get("sha256") or "") == 64 and c1.get("regions") == ["US-CA"], b[:400])
        st, b, _ = upload(env, cust, EXE, number="X-1", reason="resale", regions="US-CA", issued="2026-01-01",
                          filename="certificate.pdf")
        check("an .exe renamed .pdf sent as application/pdf -> 415 with the error shape",
              st == 415 and error_code(b)[0] == "unsupported_media_type", b[:300])
        st, b, _ = upload(env, cust, PDF, number="X-2", reason="bribery", regions="US-ZZ")
        check("bad reason, unknown region, no issue date -> 422 naming each field",
              st == 422 and {"reason", "regions", "issued"} <= set(fields(b)), b[:500])
        st, b, _ = upload(env, "no-such-customer-x", PDF, number="X-3", reason="resale", regions="US-CA",
                          issued="2026-01-01")
        check("an unknown customer -> 404", st == 404, b[:300])
        st, _, text, _ = env.L("PUT", "/v1/settings", {"certificate_max_bytes": 2048})
        check("PUT /v1/settings certificate_max_bytes 2048 -> 200", st == 200, text[:300])
        st, b, h = upload(env, cust, PDF, number="X-4", reason="resale", regions="US-CA", issued="2026-01-01")
        check("a file over certificate_max_bytes -> 413 payload_too_large",
              st == 413 and error_code(b)[0] == "payload_too_large", "%s %s" % (st, b[:300]))
        st, _, text, _ = env.L("PUT", "/v1/settings", {"certificate_max_bytes": 10485760})
        check("certificate_max_bytes back to 10 MiB", st == 200, text[:300])
        big = b"%PDF-1.4\n" + b"\0" * (10485760 - 8)
        st, b, _ = upload(env, cust, big, number="X-5", reason="resale", regions="US-CA", issued="2026-01-01")
        check("10 MiB + 1 byte (the default limit) -> 413 payload_too_large",
              st == 413 and error_code(b)[0] == "payload_too_large", "%s %s" % (st, b[:300]))
        other = cl["data"][1]["id"]
        png = b"\x89PNG\r\n\x1a\n" + bytes(100)
        st, b, _ = upload(env, other, png, "application/octet-stream", number="PNG-1", reason="government",
                          regions="US-TX", issued="2026-01-01")
        check("a PNG sent as octet-stream -> 201 image/png", st == 201 and js(b).get("content_type") == "image/png", b[:300])
        st, b, _ = upload(env, other, b"\xff\xd8\xff\xe0" + bytes(100), "text/plain", number="JPG-1",
                          reason="sst_m", regions="US-TX", issued="2026-01-01", expires="2026-01-01")
        check("a JPEG sent as text/plain -> 201 image/jpeg", st == 201 and js(b).get("content_type") == "image/jpeg", b[:300])
        st, b, _ = upload(env, other, png, number="BAD-DATES", reason="resale", regions="US-TX", issued="2026-02-01",
                          expires="2026-01-01")
        check("expires before issued -> 422 naming expires", st == 422 and fields(b) == ["expires"], b[:300])
        st, b, _ = upload(env, cust, PDF, number="TX-NP-7", reason="sst_e", regions="US-TX,US-NY",
                          issued="2026-01-01", expires=soon)
        c2 = js(b)
        check("a second certificate (SST reason E, two regions) -> 201", st == 201 and c2.get("status") == "expiring"
              and c2.get("reason_text", "").startswith("SST E"), b[:400])
        st, b, _ = raw(env, "GET", base)
        listed = [c["id"] for c in js(b).get("data", [])]
        check("the customer's list: the two accepted certificates only", st == 200 and sorted(listed) ==
              sorted([c1.get("id"), c2.get("id")]), b[:600])

        # 2. download
        def download(cid):
            return raw(env, "GET", base + "/" + cid + "/file")
        st, b, h = download(c1["id"])
        check("download: byte-identical, application/pdf, attachment with the file name",
              st == 200 and b == PDF and h.get("Content-Type") == "application/pdf"
              and h.get("Content-Disposition", "").startswith("attachment;")
              and "ca_resale.pdf" in h.get("Content-Disposition", ""), "%s %r" % (st, h))

        # 3. the decision
        def decisions():
            out = {}
            st, j, text = calc(env, {"id": cust}, "2026-03-01")
            out["inside"] = (st, j.get("total_tax"), j.get("exemption_certificate_id"), text[:300])
            st, j, text = calc(env, {"id": cust}, "2026-07-15")
            out["after"] = (st, j.get("total_tax"), [n.get("code") for n in j.get("notes") or []], text[:400])
            return out
        d = decisions()
        check("CA, dated inside the certificate's dates: exempt, names the certificate",
              d["inside"][:3] == (200, "0.00", c1["id"]), d["inside"])
        check("CA, dated after expiry: taxed, note exemption_certificate_expired",
              d["after"][0] == 200 and d["after"][1] not in (None, "0.00")
              and "exemption_certificate_expired" in d["after"][2], d["after"])
        st, j, text = calc(env, {"id": cust}, "2026-03-01", NYC)
        check("NY on 2026-03-01 (the TX/NY certificate is valid then): exempt, names it",
              st == 200 and j.get("total_tax") == "0.00" and j.get("exemption_certificate_id") == c2["id"], text[:300])
        st, j, text = calc(env, {"id": cust, "exempt": True}, "2026-07-15")
        check("a request that says exempt stays exempt (CONTRACT), no certificate named",
              st == 200 and j.get("total_tax") == "0.00" and "exemption_certificate_id" not in j, text[:300])

        # 4. the dashboard's reminder
        st, b, _ = raw(env, "GET", "/v1/exemption-certificates?expiring_within_days=30")
        exp = js(b)
        ids = [c["id"] for c in exp.get("data", [])]
        check("expiring within 30 days: the soon one with its customer, not the expired one",
              st == 200 and ids == [c2["id"]] and exp["data"][0].get("customer_id") == cust, b[:500])
        st, b, _ = raw(env, "GET", "/v1/exemption-certificates?expiring_within_days=x")
        check("expiring_within_days=x -> 422", st == 422, b[:200])
        st, b, _ = raw(env, "GET", base)
        stat = {c["id"]: c["status"] for c in js(b).get("data", [])}
        check("statuses: expired and expiring", stat == {c1["id"]: "expired", c2["id"]: "expiring"}, stat)
        st, cu, text, _ = env.L("GET", "/v1/customers/" + urllib.parse.quote(cust))
        check("the customer counts its certificates by status", (cu or {}).get("exemption_certificates") ==
              {"on_file": 2, "valid": 0, "expiring": 1, "expired": 1, "next_expiry": soon}, text[:800])

        # 5. kill -9 and restart
        env.kill_levy()
        check("levy restarts", env.start_levy())
        st, b, _ = raw(env, "GET", base)
        check("after a restart: the same certificates", sorted(c["id"] for c in js(b).get("data", [])) ==
              sorted([c1["id"], c2["id"]]), b[:400])
        st, b, _ = download(c1["id"])
        check("after a restart: the download is byte-identical", st == 200 and b == PDF, st)
        d2 = decisions()
        check("after a restart: the same decisions", d2["inside"][:3] == d["inside"][:3]
              and d2["after"][:3] == d["after"][:3], d2)

        # 6. an orphan file is not listed; delete removes row and file
        folder = os.path.join(env.levy_dir, "files", "certificates")
        orphan_id, young_id = "cert_000000000000000000000000", "cert_111111111111111111111111"
        orphan = os.path.join(folder, orphan_id)
        young = os.path.join(folder, young_id)
        old = datetime.datetime.now().timestamp() - 7200
        if PG_URL:
            names = pg_files()
            check("the files are rows of the files table, nothing left of the refused uploads, none on disk",
                  len(names) == 4 and {c1["id"], c2["id"]} <= set(names) and not os.path.exists(folder), names)
            for name, mtime in ((orphan_id, int(old)), (young_id, int(datetime.datetime.now().timestamp()))):
                psql("INSERT INTO files(dir, name, data, size, mtime) VALUES ('certificates', '%s', "
                     "decode('%s', 'hex'), %d, %d)" % (name, PDF.hex(), len(PDF), mtime))
        else:
            check("the files live in <data>/files/certificates/<id>, nothing left of the refused uploads",
                  len(os.listdir(folder)) == 4 and {c1["id"], c2["id"]} <= set(os.listdir(folder)),
                  os.listdir(folder))
            for path in (orphan, young):
                with open(path, "wb") as f:
                    f.write(PDF)
            os.utime(orphan, (old, old))  # left two hours ago; `young` could be an upload in progress
        st, b, _ = raw(env, "GET", base)
        check("a file without its row is not listed", len(js(b).get("data", [])) == 2, b[:300])
        st, b, _ = raw(env, "DELETE", base + "/" + c2["id"])
        check("DELETE -> 200", st == 200 and js(b).get("deleted") is True, b[:300])
        st, b, _ = raw(env, "GET", base)
        check("DELETE: gone from the list and the data dir (the files table on PostgreSQL)",
              [c["id"] for c in js(b).get("data", [])] == [c1["id"]]
              and (c2["id"] not in pg_files() if PG_URL else not os.path.exists(os.path.join(folder, c2["id"]))),
              b[:300])
        st, b, _ = download(c2["id"])
        check("DELETE: its download is 404", st == 404, st)

        # 7. shown on the document: a certificate for an invoice's customer covering every US
        # region re-checks its documents (api.customer_changed); the invoice names it
        st, il, text, _ = env.L("GET", "/v1/invoices?limit=50")
        inv = next((i for i in il.get("data", []) if i.get("customer_id") and i.get("tax_status") == "written"
                    and i.get("levy_tax") not in (None, "0.00")), None)
        if not check("a written, taxed invoice with a customer", inv is not None, text[:600]):
            return
        codes, why = common.us_regions(env)

        # 8. flagged in the lists (issue 20: "a document exempted by an expired certificate is
        # taxed and flagged"; the Home dashboard counts them): a certificate of the invoice's
        # customer that expired the day before its date re-checks it; it stays taxed with the
        # note, and ?certificate=expired lists it (its CSV too); once a valid certificate
        # exempts it (step 7) it is no longer listed
        day_before = (datetime.date.fromisoformat(inv["invoice_date"][:10]) - datetime.timedelta(days=1)).isoformat()
        st, b, _ = upload(env, inv["customer_id"], PDF, number="OLD-US-1", reason="resale", regions=",".join(codes),
                          issued="2020-01-01", expires=day_before)
        check("a certificate of the invoice's customer that expired the day before its date -> 201",
              st == 201 and js(b).get("status") == "expired", b[:300])

        def flagged():
            st, d, _, _ = env.L("GET", "/v1/invoices/" + inv["id"])
            codes_ = [n.get("code") for n in (d or {}).get("notes") or []]
            return d if st == 200 and "exemption_certificate_expired" in codes_ else None
        d = common.wait_for(flagged, 120, 0.3)
        check("the invoice is re-checked: taxed as before, with the note exemption_certificate_expired",
              d is not None and d.get("levy_tax") == inv["levy_tax"], d and {k: d.get(k) for k in ("levy_tax", "notes")})

        def expired_list(suffix=""):
            st, l, text, _ = env.L("GET", "/v1/invoices?certificate=expired&limit=100" + suffix)
            return st, l or {}, text
        st, l, text = expired_list()
        ids = [x["id"] for x in l.get("data", [])]
        notes_ok = all("exemption_certificate_expired" in [n.get("code") for n in
                                                            (env.L("GET", "/v1/invoices/" + i)[1] or {}).get("notes") or []]
                       for i in ids)
        check("?certificate=expired lists the invoice, and only invoices carrying the note (total = rows)",
              st == 200 and inv["id"] in ids and notes_ok and l.get("total") == len(ids), text[:400])
        st, _, csv_text, _ = env.L("GET", "/v1/invoices?certificate=expired&format=csv")
        csv_ids = [line.split(",")[0] for line in csv_text.strip().splitlines()[1:]]
        check("... its CSV holds the same invoices", st == 200 and sorted(csv_ids) == sorted(ids), csv_text[:300])
        st, b, text, _ = env.L("GET", "/v1/invoices?certificate=valid")
        check("?certificate=valid -> 422 naming the field", st == 422 and "certificate" in
              [x.get("field") for x in ((b or {}).get("error") or {}).get("details") or []], text[:300])
        st, b, text, _ = env.L("GET", "/v1/credit-memos?certificate=expired")
        check("credit memos take the filter too", st == 200 and isinstance((b or {}).get("total"), int), text[:300])

        st, b, _ = upload(env, inv["customer_id"], PDF, number="ALL-US-1", reason="sst_g", regions=",".join(codes),
                          issued="2025-01-01")
        c3 = js(b)
        check("a certificate for the invoice's customer (every US region, no expiry) -> 201 with a re-check",
              st == 201 and c3.get("expires") is None and c3.get("requeue") is not None, b[:400])
        if PG_URL:
            names = pg_files()
            check("the next upload removed the orphan file older than an hour, not the young one",
                  orphan_id not in names and young_id in names, names)
        else:
            check("the next upload removed the orphan file older than an hour, not the young one",
                  not os.path.exists(orphan) and os.path.exists(young), os.listdir(folder))

        def exempted():
            st, d, _, _ = env.L("GET", "/v1/invoices/" + inv["id"])
            ec = (d or {}).get("exemption_certificate") or {}
            return d if st == 200 and ec.get("id") == c3.get("id") else None
        d = common.wait_for(exempted, 120, 0.3)
        check("the invoice names the certificate that exempted it (id and number), tax 0.00",
              d is not None and d["exemption_certificate"].get("number") == "ALL-US-1"
              and d.get("levy_tax") == "0.00", d and {k: d.get(k) for k in ("levy_tax", "exemption_certificate")})
        st, l, text = expired_list()
        check("exempted by the valid certificate, the invoice is no longer listed by ?certificate=expired",
              st == 200 and inv["id"] not in [x["id"] for x in l.get("data", [])], text[:400])
    except Exception:  # noqa: BLE001
        check("the scenario ran without an exception", False, traceback.format_exc()[-1500:])
    finally:
        sys.exit(common.finish(env))


if __name__ == "__main__":
    main()
    sys.exit(common.summary())
