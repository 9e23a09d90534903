#!/usr/bin/env python3
"""Raw HTTP request files for bench/openloop.c (requests separated by a line "\\0\\n", the
bench/gen_webhooks.py format).
usage: mkreq.py calc LINES TOKEN OUT [BODY]   20 varied LINES-line invoices for POST /v1/calculate,
                                        BODY one of tx (default: Texas, the bodies bench/wrk/calc.lua
                                        builds by itself), cacity, euvat, canada, mixed
       mkreq.py bodies LINES BODY OUT   the same bodies, one a line (BENCH_BODIES of bench/wrk/calc.lua)
       mkreq.py get PATH[,PATH...] TOKEN OUT   GET requests (e.g. /v1/documents?limit=20)
Prints the largest body size to stderr."""
import sys

BODIES = ("tx", "cacity", "euvat", "canada", "mixed")

# (kind, ship_to JSON, currency, tax code of every third line): the addresses of each body set.
# tx: 5 Texas ZIPs (every third line SaaS, 80 % taxable); cacity: 5 California cities whose
# CDTFA city rate replaces the ZIP row's (Beverly Hills under West Hollywood's ZIP 90210);
# euvat: B2C sales to 5 EU member states (standard rate, every third line groceries at the first
# reduced rate); canada: 5 provinces (HST, GST + PST, GST + QST, GST alone); mixed: one of each.
ADDR = {
    "tx": [("78701", "Austin"), ("75201", "Dallas"), ("77002", "Houston"), ("78205", "San Antonio"), ("79901", "El Paso")],
    "cacity": [("90210", "Beverly Hills"), ("90012", "Los Angeles"), ("94103", "San Francisco"), ("92101", "San Diego"), ("95814", "Sacramento")],
    "euvat": [("10115", "Berlin", "DE"), ("75001", "Paris", "FR"), ("00118", "Roma", "IT"), ("28001", "Madrid", "ES"), ("1012", "Amsterdam", "NL")],
    "canada": [("M5V 2T6", "Toronto", "ON"), ("H2Y 1C6", "Montreal", "QC"), ("V6B 1A1", "Vancouver", "BC"), ("T2P 1J9", "Calgary", "AB"), ("B3J 1S9", "Halifax", "NS")],
}
CUR = {"tx": "USD", "cacity": "USD", "euvat": "EUR", "canada": "CAD"}
THIRD = {"tx": "saas", "cacity": "general", "euvat": "food_grocery", "canada": "general"}

def ship_to(kind, a):
    if kind in ("tx", "cacity"):
        return '{"line1":"1 Main","city":"%s","state":"%s","zip_code":"%s","country":"US"}' % (a[1], "TX" if kind == "tx" else "CA", a[0])
    if kind == "canada":
        return '{"line1":"1 Main","city":"%s","state":"%s","zip_code":"%s","country":"CA"}' % (a[1], a[2], a[0])
    return '{"line1":"1 Main","city":"%s","zip_code":"%s","country":"%s"}' % (a[1], a[0], a[2])

def calc_bodies(nlines, which="tx"):
    """20 varied nlines-line invoices of the body set `which` (BODIES)."""
    out = []
    for v in range(1, 21):
        kind = which if which != "mixed" else ("tx", "cacity", "euvat", "canada")[(v - 1) % 4]
        addrs = ADDR[kind]
        a = addrs[(v - 1) % len(addrs)] if which != "mixed" else addrs[((v - 1) // 4) % len(addrs)]
        lines = ['{"id":"%d","amount":"%d.%02d","quantity":"%d","tax_code":"%s"}'
                 % (i, 100 + i + v, (i * 7 + v) % 100, 1 + (i % 3), THIRD[kind] if i % 3 == 0 else "general")
                 for i in range(1, nlines + 1)]
        out.append('{"currency":"%s","date":"2026-03-01","ship_to":%s,"lines":[%s]}'
                   % (CUR[kind], ship_to(kind, a), ",".join(lines)))
    return out

def req(method, path, token, body=b""):
    h = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n" % (method, path, token)
    if body:
        h += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return h.encode() + b"\r\n" + body + b"\0\n"

kind = sys.argv[1]
if kind == "calc":
    n, tok, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    bodies = [b.encode() for b in calc_bodies(n, sys.argv[5] if len(sys.argv) > 5 else "tx")]
    with open(out, "wb") as f:
        for b in bodies: f.write(req("POST", "/v1/calculate", tok, b))
    print("max body %d bytes" % max(len(b) for b in bodies), file=sys.stderr)
elif kind == "bodies":
    n, which, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    if which not in BODIES:
        raise SystemExit("mkreq.py: unknown body set %r (one of %s)" % (which, ", ".join(BODIES)))
    with open(out, "w") as f:
        for b in calc_bodies(n, which): f.write(b + "\n")
elif kind == "get":
    paths, tok, out = sys.argv[2].split(","), sys.argv[3], sys.argv[4]
    with open(out, "wb") as f:
        for p in paths: f.write(req("GET", p, tok))
else:
    raise SystemExit(__doc__)
