#!/usr/bin/env python3
"""The reply's header set (issue 21, the host's per-request cost): the reply path was made
cheaper (the default headers checked in one pass, the Date header formatted once a second by
levy instead of by evhttp per answer, a string or C-held body sent without a Lua call); this
pins what a client sees so that none of it changes: on HTTP/1.1 every answer has exactly one
Date in RFC 1123 form (GMT), on HTTP/1.0 none (as evhttp answers 1.0); the three security
headers once each; the JSON Content-Security-Policy on JSON answers only; a handler's own
Content-Type kept; X-Request-Id on Lua routes; the same headers on a C route, a Lua route with
a table body, POST /v1/calculate (a body held in C) and a CSV list.

Usage: reply_headers.py LEVY_BINARY SOURCE_DIR [BASE_PORT=32000]
"""
import json
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 32000

DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                  r"\d{4} \d\d:\d\d:\d\d GMT$")
CALC = ('{"currency":"USD","date":"2026-03-01","ship_to":{"country":"US","state":"TX",'
        '"zip_code":"78701"},"lines":[{"id":"L1","amount":"100.00","quantity":"1",'
        '"tax_code":"general"}]}')


def raw(port, version, method, path, token=None, body=b"", extra=()):
    """One request on its own connection; returns (status line, [(name, value)], body)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=60)
    try:
        head = ["%s %s %s" % (method, path, version), "Host: 127.0.0.1", "Connection: close"]
        if token:
            head.append("Authorization: Bearer " + token)
        if body:
            head += ["Content-Type: application/json", "Content-Length: %d" % len(body)]
        head += list(extra)
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
    finally:
        s.close()
    hdr, _, rest = data.partition(b"\r\n\r\n")
    lines = hdr.decode("latin-1").split("\r\n")
    hs = []
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hs.append((k.strip(), v.strip()))
    return lines[0], hs, rest


def values(hs, name):
    return [v for k, v in hs if k.lower() == name.lower()]


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-replyhdr-", BASE_PORT)
    try:
        if not check("levy starts", env.start_levy()):
            return
        port, tok = env.levy_port, env.token
        st, _, text, _ = env.L("PUT", "/v1/regions/US-TX", {"subscribed": True, "tax_calculation": True})
        check("US-TX subscribed", st == 200, (st, text[:300]))
        cases = [
            ("C route /healthz", "GET", "/healthz", None, b"", False, "application/json"),
            ("Lua route, table body", "GET", "/v1/regions", tok, b"", True, "application/json"),
            ("POST /v1/calculate (body held in C)", "POST", "/v1/calculate", tok, CALC.encode(), True,
             "application/json"),
            ("CSV list (the handler's Content-Type)", "GET", "/v1/invoices?format=csv", tok, b"", True,
             "text/csv"),
            ("Lua route error", "GET", "/v1/regions/XX-NOPE", tok, b"", True, "application/json"),
        ]
        for label, method, path, t, body, lua, ctype in cases:
            for version in ("HTTP/1.1", "HTTP/1.0"):
                line, hs, rb = raw(port, version, method, path, t, body)
                what = "%s %s" % (label, version)
                check(what + ": answered", line.startswith(version + " "), line)
                dates = values(hs, "Date")
                if version == "HTTP/1.1":
                    check(what + ": one Date in RFC 1123 form", len(dates) == 1 and DATE.match(dates[0]), dates)
                else:
                    check(what + ": no Date (as evhttp answers HTTP/1.0)", dates == [], dates)
                for name, want in (("X-Content-Type-Options", "nosniff"), ("X-Frame-Options", "DENY"),
                                   ("Referrer-Policy", "no-referrer")):
                    check(what + ": %s once" % name, values(hs, name) == [want], values(hs, name))
                cts = values(hs, "Content-Type")
                check(what + ": one Content-Type " + ctype, len(cts) == 1 and cts[0].startswith(ctype), cts)
                csp = values(hs, "Content-Security-Policy")
                if ctype == "application/json":
                    check(what + ": the JSON CSP once", csp == ["default-src 'none'; frame-ancestors 'none'"], csp)
                else:
                    check(what + ": no JSON CSP on a non-JSON answer", csp == [], csp)
                check(what + ": X-Request-Id on a Lua route only", (len(values(hs, "X-Request-Id")) == 1) == lua,
                      values(hs, "X-Request-Id"))
                if version == "HTTP/1.1":
                    cl = values(hs, "Content-Length")
                    check(what + ": Content-Length is the body's", cl == [str(len(rb))], (cl, len(rb)))
                if path == "/v1/calculate":
                    ok = line.split(" ")[1] == "200" and json.loads(rb).get("lines", [{}])[0].get("id") == "L1"
                    check(what + ": the calculation's JSON", ok, (line, rb[:300]))
    finally:
        common.finish(env)


if __name__ == "__main__":
    main()
    sys.exit(1 if common.failed else 0)
