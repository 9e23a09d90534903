#!/usr/bin/env python3
"""Raw HTTP request files for bench/openloop.c (requests separated by a line "\\0\\n", the
bench/gen_webhooks.py format).
usage: mkreq.py calc LINES TOKEN OUT     20 varied LINES-line Texas invoices for POST /v1/calculate
                                        (the same bodies as bench/wrk/calc.lua)
       mkreq.py get PATH[,PATH...] TOKEN OUT   GET requests (e.g. /v1/documents?limit=20)
Prints the largest body size to stderr."""
import sys

def calc_bodies(nlines):
    zips = [("78701", "Austin"), ("75201", "Dallas"), ("77002", "Houston"), ("78205", "San Antonio"), ("79901", "El Paso")]
    out = []
    for v in range(1, 21):
        z = zips[(v - 1) % len(zips)]
        lines = ['{"id":"%d","amount":"%d.%02d","quantity":"%d","tax_code":"%s"}'
                 % (i, 100 + i + v, (i * 7 + v) % 100, 1 + (i % 3), "saas" if i % 3 == 0 else "general")
                 for i in range(1, nlines + 1)]
        out.append('{"currency":"USD","date":"2026-03-01","ship_to":{"line1":"1 Main","city":"%s","state":"TX","zip_code":"%s","country":"US"},"lines":[%s]}'
                   % (z[1], z[0], ",".join(lines)))
    return out

def req(method, path, token, body=b""):
    h = "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n" % (method, path, token)
    if body:
        h += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    return h.encode() + b"\r\n" + body + b"\0\n"

kind = sys.argv[1]
if kind == "calc":
    n, tok, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
    bodies = [b.encode() for b in calc_bodies(n)]
    with open(out, "wb") as f:
        for b in bodies: f.write(req("POST", "/v1/calculate", tok, b))
    print("max body %d bytes" % max(len(b) for b in bodies), file=sys.stderr)
elif kind == "get":
    paths, tok, out = sys.argv[2].split(","), sys.argv[3], sys.argv[4]
    with open(out, "wb") as f:
        for p in paths: f.write(req("GET", p, tok))
else:
    raise SystemExit(__doc__)
