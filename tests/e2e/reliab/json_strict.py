#!/usr/bin/env python3
"""Strict JSON at the door (issue 15, finding 16): request bodies with a repeated object key or
with ill-formed UTF-8 are refused with 400 `invalid_json`, on every route that parses a body
(POST /v1/calculate, the Sphere endpoint, PUT settings / regions / products / customers, the
admin connect flow), nothing is changed, and no response ever carries ill-formed UTF-8.

Before the fix, `{"amount":"1.00","amount":"1000.00"}` was taxed as 1000.00 (last wins, while
any other JSON reader in front of levy may have seen 1.00), and a line id of "\\xff\\xfe" was
accepted and echoed back byte for byte in the calculation result.

Usage: json_strict.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19850]
"""
import http.client
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19850

LINE = '{"id":"L1","amount":"100.00","quantity":"1","tax_code":"general"%s}'
CALC = ('{"currency":"USD","date":"2026-03-01","ship_to":{"country":"US","state":"CA","city":"Irvine",'
        '"zip_code":"92614"},"lines":[%s]}')


def raw(port, method, path, body, headers):
    """One request; returns (status, body bytes) without decoding anything."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        h = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        h.update(headers)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def utf8_ok(b):
    try:
        b.decode("utf-8", errors="strict")
        return True
    except UnicodeDecodeError:
        return False


def main():
    env = common.new_env(LEVY, SRC, "levy-reliab-json-", BASE_PORT)
    try:
        if not check("simulator and levy start", env.start_sim() and env.start_levy()):
            return
        port = env.levy_port
        auth = {"Authorization": "Bearer " + env.token}
        env.connect(regions=("US-CA",))   # imports products and customers to PUT

        def calc(body):
            return raw(port, "POST", "/v1/calculate", body, auth)

        def refused(name, st, rb, want=b"invalid_json"):
            js = None
            try:
                js = json.loads(rb.decode("utf-8"))
            except ValueError:
                pass
            ok = st == 400 and js is not None and want in rb
            check(name + " -> 400 " + want.decode(), ok, (st, rb[:300]))
            return js

        # baseline: the same body without the repeat is taxed
        st, rb = calc((CALC % (LINE % "")).encode())
        base = json.loads(rb) if st == 200 else None
        check("baseline calculation 200 with tax", st == 200 and base and base.get("total_tax") not in (None, "0.00"),
              (st, rb[:300]))

        # --- duplicate keys in money-bearing requests
        dup_amount = (CALC % '{"id":"L1","amount":"1.00","quantity":"1","tax_code":"general","amount":"1000.00"}').encode()
        st, rb = calc(dup_amount)
        js = refused("POST /v1/calculate with a repeated \"amount\"", st, rb)
        msg = ((js or {}).get("error") or {}).get("message") or ""
        check("... the message names the repeated key", "duplicate object key" in msg and '"amount"' in msg, rb[:300])
        st, rb = calc(b'{"currency":"EUR",' + (CALC % (LINE % "")).encode()[1:])
        refused("POST /v1/calculate with a repeated top-level \"currency\"", st, rb)
        st, rb = calc(b'{"lines":[],' + (CALC % (LINE % "")).encode()[1:])
        refused("POST /v1/calculate with a repeated \"lines\"", st, rb)
        # the same key through an escape is the same key
        st, rb = calc((CALC % '{"id":"L1","amount":"1.00","quantity":"1","tax_code":"general","\\u0061mount":"9.00"}').encode())
        refused("POST /v1/calculate with \"amount\" and \"\\u0061mount\"", st, rb)
        # the same key in two different objects is fine
        st, rb = calc((CALC % ((LINE % "") + "," + (LINE % "").replace('"L1"', '"L2"'))).encode())
        check("the same keys in two lines are not a repeat (200)", st == 200, (st, rb[:300]))

        sphere = ('{"customer_id":"c1","customer_id":"c2","currency":"USD","line_items":[]}').encode()
        st, rb = raw(port, "POST", "/tax_api/calculate_tax", sphere, {"X-API-KEY": env.token})
        check("Sphere endpoint with a repeated key -> 400", st == 400 and b"duplicate object key" in rb, (st, rb[:300]))

        st, before, _, _ = env.L("GET", "/v1/regions/US-NY")
        st, rb = raw(port, "PUT", "/v1/regions/US-NY", b'{"subscribed":false,"tax_calculation":true,"subscribed":true}', auth)
        refused("PUT /v1/regions/US-NY with a repeated key", st, rb)
        st, after, _, _ = env.L("GET", "/v1/regions/US-NY")
        check("... and the region is unchanged", before == after, (before, after))

        st, sbefore, _, _ = env.L("GET", "/v1/settings")
        st, rb = raw(port, "PUT", "/v1/settings", b'{"rounding":"line","rounding":"document"}', auth)
        refused("PUT /v1/settings with a repeated key", st, rb)
        st, safter, _, _ = env.L("GET", "/v1/settings")
        check("... and the settings are unchanged", sbefore == safter, (sbefore, safter))

        st, prods, text, _ = env.L("GET", "/v1/products?limit=1")
        pid = prods["data"][0]["id"] if st == 200 and prods.get("data") else "none"
        st, pbefore, _, _ = env.L("GET", "/v1/products/" + pid)
        st, rb = raw(port, "PUT", "/v1/products/" + pid, b'{"tax_code":"general","tax_code":"exempt"}', auth)
        refused("PUT /v1/products/{id} with a repeated key", st, rb)
        st, pafter, _, _ = env.L("GET", "/v1/products/" + pid)
        check("... and the product is unchanged", pbefore and pbefore == pafter, (pbefore, pafter))
        st, custs, text, _ = env.L("GET", "/v1/customers?limit=1")
        cid = custs["data"][0]["id"] if st == 200 and custs.get("data") else "none"
        st, cbefore, _, _ = env.L("GET", "/v1/customers/" + cid)
        st, rb = raw(port, "PUT", "/v1/customers/" + cid, b'{"exempt":false,"exempt":true}', auth)
        refused("PUT /v1/customers/{id} with a repeated key", st, rb)
        st, cafter, _, _ = env.L("GET", "/v1/customers/" + cid)
        check("... and the customer is unchanged", cbefore and cbefore == cafter, (cbefore, cafter))
        st, rb = raw(port, "POST", "/v1/connections", b'{"provider":"rillet","api_key":"a","api_key":"b"}', auth)
        refused("POST /v1/connections (admin, req:json) with a repeated key", st, rb)

        # --- ill-formed UTF-8: refused, never echoed
        bad = {
            "invalid byte FF FE": b"\xff\xfe",
            "overlong '/' (C0 AF)": b"\xc0\xaf",
            "overlong 3-byte (E0 80 AF)": b"\xe0\x80\xaf",
            "UTF-8-encoded surrogate U+D800 (ED A0 80)": b"\xed\xa0\x80",
            "above U+10FFFF (F4 90 80 80)": b"\xf4\x90\x80\x80",
            "truncated sequence (E2 82)": b"\xe2\x82",
            "stray continuation byte (80)": b"\x80",
            "lone surrogate escape \\ud800": b"\\ud800",
            "lone low surrogate escape \\udc00": b"\\udc00",
        }
        for name, bseq in bad.items():
            body = (CALC % (LINE % "")).encode().replace(b'"id":"L1"', b'"id":"L' + bseq + b'"')
            st, rb = calc(body)
            refused("line id with " + name, st, rb)
            check("... the answer is valid UTF-8 and does not echo the bytes", utf8_ok(rb) and bseq not in rb, rb[:200])
        # in a key, in the Sphere body, in a PUT
        st, rb = calc((CALC % (LINE % "")).encode().replace(b'"currency"', b'"curr\xffency"'))
        refused("an object key with an invalid byte", st, rb)
        st, rb = raw(port, "POST", "/tax_api/calculate_tax", b'{"customer_id":"c\xff"}', {"X-API-KEY": env.token})
        check("Sphere endpoint with an invalid byte -> 400, valid UTF-8, no echo",
              st == 400 and utf8_ok(rb) and b"\xff" not in rb, (st, rb[:200]))
        st, rb = raw(port, "PUT", "/v1/customers/" + cid, b'{"exemption_certificate":"caf\xc3"}', auth)
        refused("PUT /v1/customers/{id} with a truncated sequence", st, rb)

        # well-formed non-ASCII is accepted and echoed exactly
        good = "L\u00ednea-\u20ac-\U0001F600"
        body = (CALC % (LINE % "")).encode().replace(b'"id":"L1"', ('"id":"%s"' % good).encode())
        st, rb = calc(body)
        res = json.loads(rb) if st == 200 else None
        check("a well-formed non-ASCII line id is accepted and echoed exactly",
              res and res["lines"][0]["id"] == good, (st, rb[:300]))
        st, rb = calc((CALC % (LINE % "")).encode().replace(b'"id":"L1"', b'"id":"\\ud83d\\ude00"'))
        res = json.loads(rb) if st == 200 else None
        check("a surrogate pair escape decodes to U+1F600", res and res["lines"][0]["id"] == "\U0001F600", (st, rb[:300]))
    finally:
        common.finish(env)


if __name__ == "__main__":
    main()
    sys.exit(1 if common.failed else 0)
