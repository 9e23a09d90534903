#!/usr/bin/env python3
"""R13 authorization matrix (perf-anchors §5.3 R13, single-token levy): every endpoint x
{no token, wrong token, right token}; no response ever carries a secret.

Usage: authz_matrix.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19060]

Endpoints are read from the sources (plugins/{admin,api,rillet}/handler.lua route tables and
the C routes in core/host/routes.c), so a new route is covered without editing this test.
Against a levy connected to the simulator:
  * token routes (auth = "token", or the default under /v1 and /admin): no token and a wrong
    token (same length, one character off; and a prefix of the right one) -> 401
    unauthorized with WWW-Authenticate: Bearer; the right token -> anything but 401;
  * auth = "none" routes: the answer does not depend on the token (no 401 either way);
  * no response (status line, headers, body) contains the simulator API key, the webhook
    signing token, the master key, or the API token itself, and no JSON body has a field
    named api_key / signing_token / master_key / api_token / secret holding a string.
"""
import os
import re
import shutil
import socket
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19060
SECRET_FIELDS = {"api_key", "signing_token", "master_key", "api_token", "secret", "token"}
# The one answer that hands out a credential on purpose: a new scoped Sphere key, shown once
# to the caller holding the API token (issue 15, finding 16). It must be a fresh lsk_ key,
# never one of the secrets above.
ISSUES_CREDENTIAL = {("POST", "/v1/sphere-api-key", "right token", ".api_key"): "lsk_"}


def routes():
    out = []
    for plugin in sorted(os.listdir(os.path.join(SRC, "plugins"))):
        if plugin == "sim":  # runs in its own process (levy sim), every route auth = "none"
            continue
        path = os.path.join(SRC, "plugins", plugin, "handler.lua")
        if not os.path.exists(path):
            continue
        text = open(path).read()
        for m in re.finditer(r'method\s*=\s*"(\w+)",\s*path\s*=\s*"([^"]+)"(?:,\s*auth\s*=\s*"(\w+)")?', text):
            out.append((m.group(1), m.group(2), m.group(3) or "default", plugin))
    text = open(os.path.join(SRC, "core", "host", "routes.c")).read()
    block = text[text.index("CROUTES[] = {"):]
    block = block[:block.index("};")]
    for m in re.finditer(r'\{"(\w+)",\s*"([^"]+)",\s*\w+,\s*LEVY_AUTH_(\w+)\}', block):
        out.append((m.group(1), m.group(2), m.group(3).lower(), "core"))
    return out


def needs_token(path, auth):
    """Issue 15 finding 1: the matched route decides, and a route that does not say
    auth = "none" needs the token (whatever its prefix)."""
    if path == "/tax_api/calculate_tax":  # CONTRACT §2.5: the API token in X-API-KEY
        return True
    return auth != "none"


def non_canonical(url_path):
    """Request targets that name the same route in a non-canonical way (each must be refused
    with 400, or need the token like the route: never data without a token)."""
    p, _, q = url_path.partition("?")
    q = "?" + q if q else ""
    segs = p.split("/")
    out = [p[1:] + q,                                   # no leading '/'
           "http://x" + p + q,                          # absolute-form
           "http://x/" + p + q,                         # absolute-form with '//'
           "/" + p + q,                                 # leading '//'
           p.replace("/", "//") + q,                    # every separator doubled
           p + "/" + q,                                 # trailing '/'
           p.replace("/", "%2F").replace("%2F", "/", 1) + q,  # encoded '/'
           p.replace("/", "%2f").replace("%2f", "/", 1) + q,
           "/." + p + q,                                # dot segments
           "/x/.." + p + q,
           "/%2e/%2E%2e" + p + q,
           "/" + segs[1] + "/./" + "/".join(segs[2:]) + q if len(segs) > 2 else p + "/." + q,
           p + "#frag",
           "*"]
    if len(segs) > 1 and segs[1]:                       # mixed case prefix
        out.append("/" + segs[1].upper() + p[len(segs[1]) + 1:] + q)
    return [t for t in dict.fromkeys(out) if t != url_path]


def raw_status(port, method, target, headers):
    """One request with a raw target on a fresh connection: (status, body bytes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    try:
        h = "".join("%s: %s\r\n" % kv for kv in headers.items())
        body = b"{}" if method in ("POST", "PUT", "PATCH") else b""
        if body:
            h += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        s.sendall(("%s %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n" % (method, target, h)).encode() + body)
        buf = b""
        while True:
            try:
                b = s.recv(65536)
            except OSError:
                break
            if not b:
                break
            buf += b
    finally:
        s.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    first = head.split(b"\r\n")[0].split()
    return (int(first[1]) if len(first) > 1 and first[1].isdigit() else 0), rest


def secret_fields(v, where=""):
    bad = []
    if isinstance(v, dict):
        for k, x in v.items():
            if k.lower() in SECRET_FIELDS and isinstance(x, str) and x:
                bad.append(where + "." + k)
            bad += secret_fields(x, where + "." + k)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            bad += secret_fields(x, "%s[%d]" % (where, i))
    return bad


def main():
    tmp = tempfile.mkdtemp(prefix="levy-reliab-authz-")
    sim_port = common.free_port(BASE_PORT)
    levy_port = common.free_port(sim_port + 1)
    env = common.Env(LEVY, SRC, tmp, sim_port, levy_port, invoices=3)
    try:
        if not check("simulator starts", env.start_sim()) or not check("levy starts", env.start_levy()):
            return
        env.connect()
        with open(os.path.join(env.levy_dir, "master.key")) as f:
            master = f.read().strip()
        inv = env.L("GET", "/v1/invoices?limit=1")[1]["data"][0]["id"]
        cm = (env.L("GET", "/v1/credit-memos?limit=1")[1]["data"] or [{"id": "cm_none"}])[0]["id"]
        prod = env.L("GET", "/v1/products?limit=1")[1]["data"][0]["id"]
        cust = env.L("GET", "/v1/customers?limit=1")[1]["data"][0]["id"]
        params = {"id": None, "code": "US-CA", "connection_id": env.cid}
        secrets = {"simulator API key": env.key, "signing token": env.signing_token, "master key": master,
                   "API token": env.token}
        rs = routes()
        check("routes found in the sources (%d)" % len(rs), len(rs) >= 30, rs)
        wrong = env.token[:-1] + ("x" if env.token[-1] != "x" else "y")
        tokens = (("no token", None), ("wrong token", wrong), ("token prefix", env.token[:8]),
                  ("right token", env.token))
        bad_auth, leaks, cells = [], [], 0
        # destructive ones last
        rs.sort(key=lambda r: (r[0] == "DELETE", r[1] == "/admin/reload"))
        for method, path, auth, plugin in rs:
            def fill(m):
                name = m.group(1)
                if name == "id":
                    if path.startswith("/v1/connections"):
                        return env.cid
                    if path.startswith("/v1/invoices"):
                        return inv
                    if path.startswith("/v1/credit-memos"):
                        return cm
                    if path.startswith("/v1/products"):
                        return prod
                    if path.startswith("/v1/customers"):
                        return cust
                    return "x"
                return params.get(name) or "x"
            url_path = re.sub(r"\{(\w+)\}", fill, path)
            need = needs_token(path, auth)
            answers = {}
            for label, tok in tokens:
                if method == "DELETE" and label == "right token":
                    continue  # checked separately below (it would remove the connection)
                if path == "/tax_api/calculate_tax":  # Sphere drop-in: its own X-API-KEY header
                    h = {"X-API-KEY": tok} if tok else {}
                else:
                    h = {"Authorization": "Bearer " + tok} if tok else {}
                body = None if method in ("GET", "DELETE") else {}
                st, js, text, rh = common.req(method, env.levy_url + url_path, body, h, timeout=15)
                cells += 1
                answers[label] = st
                blob = text + " " + " ".join("%s: %s" % kv for kv in rh.items())
                for name, sec in secrets.items():
                    if sec and sec in blob:
                        leaks.append((method, url_path, label, name))
                for f in secret_fields(js):
                    prefix = ISSUES_CREDENTIAL.get((method, path, label, f))
                    if prefix and st == 201 and str(js.get(f[1:], "")).startswith(prefix):
                        continue
                    leaks.append((method, url_path, label, "field " + f))
                if need and label != "right token":
                    if path == "/tax_api/calculate_tax":  # Sphere's error shape
                        ok = st == 401 and js and js.get("code") == "unauthorized_access"
                    else:
                        ok = st == 401 and js and js["error"]["code"] == "unauthorized" and \
                            "bearer" in (rh.get("WWW-Authenticate") or "").lower()
                    if not ok:
                        bad_auth.append((method, url_path, label, st, text[:120]))
                if need and label == "right token" and st in (401, 0):
                    bad_auth.append((method, url_path, label, st, text[:120]))
                if not need and st == 401:
                    bad_auth.append((method, url_path, label, "401 on an open route", text[:120]))
            print("  %-6s %-45s %-7s %s" % (method, path, auth, answers), flush=True)
        check("%d cells: token routes refuse no/wrong/prefix tokens with 401 + WWW-Authenticate and accept the "
              "right one; open routes ignore the token" % cells, not bad_auth, bad_auth[:6])
        # Finding 1 (issue 15): the same routes through non-canonical request targets. Without a
        # token nothing but 400 (refused target) or 401 (the route's own rule) may come back;
        # with the token the target is still refused (400), never served under another reading.
        leaks_nc, served_nc, ncells = [], [], 0
        for method, path, auth, plugin in rs:
            if method == "DELETE" or path == "/admin/reload":
                continue
            url_path = re.sub(r"\{(\w+)\}", lambda m: {"id": inv if path.startswith("/v1/invoices") else env.cid,
                                                       "code": "US-CA", "connection_id": env.cid}.get(m.group(1), "x"),
                              path)
            if path.startswith("/v1/reports/liability"):
                url_path += "?from=2020-01-01&to=2030-12-31&format=csv"
            for target in non_canonical(url_path):
                for label, h in (("no token", {}), ("right token", {"Authorization": "Bearer " + env.token})):
                    st, body = raw_status(env.levy_port, method, target, h)
                    ncells += 1
                    if label == "no token" and st not in (400, 401, 404):
                        leaks_nc.append((method, target, label, st, body[:80]))
                    mixed_case = target.startswith("/" + url_path.split("/")[1].upper())
                    # a trailing '/' is refused as an unknown path (CONTRACT §2.1: 404 not_found)
                    trailing = target.partition("?")[0].endswith("/")
                    if label == "right token" and (st not in (400, 404) if mixed_case or trailing else st != 400):
                        served_nc.append((method, target, st, body[:80]))
        check("%d non-canonical cells: without a token only 400/401/404, never data" % ncells,
              not leaks_nc, leaks_nc[:6])
        check("non-canonical targets are refused with 400 (a trailing '/': 404) even with the token "
              "(one path, one reading)",
              not served_nc, served_nc[:6])
        # the two targets of the review, by name
        for target in ("v1/reports/exposure",
                       "http://x//v1/reports/liability?from=2020-01-01&to=2030-12-31&format=csv"):
            st, body = raw_status(env.levy_port, "GET", target, {})
            check("GET %s without a token -> 400 bad_request (got %s)" % (target, st),
                  st == 400 and b"bad_request" in body, body[:200])
        check("no response carries a secret (API key, signing token, master key, API token) or a secret field",
              not leaks, leaks[:6])
        # the DELETE routes with the right token, last
        for method, path, auth, plugin in rs:
            if method != "DELETE":
                continue
            url_path = re.sub(r"\{(\w+)\}", lambda m: env.cid if path.startswith("/v1/connections") else "x", path)
            st, js, text, rh = env.L("DELETE", url_path)
            check("DELETE %s with the right token -> not 401 (%s)" % (path, st), st not in (0, 401), text[:200])
            check("DELETE %s answer carries no secret" % path,
                  not any(s in text for s in secrets.values() if s), "")
        # the API token is not in the log either
        log = common.tail(os.path.join(tmp, "levy.log"), 10 ** 7)
        check("levy's log holds none of the secrets", not [n for n, s in secrets.items() if s and s in log],
              [n for n, s in secrets.items() if s and s in log])
    finally:
        env.close()
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(tmp, "levy.log")))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
