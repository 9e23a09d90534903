#!/usr/bin/env python3
"""HTTP framing, body caps, connection and fd limits (issue 15 findings 4, 5, 14), raw sockets.

Usage: http_limits.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19600]

Framing (14): a header name with a space or tab before the colon ("Content-Length : 34"),
an empty header name and an obs-folded header line get one 400 JSON answer and the
connection is closed: the bytes after the head are never read as a second request.
Body caps (4): a Content-Length over the route's cap is answered 413 payload_too_large at
once, before any body byte is sent (API route, webhook intake, chunked running total); 100
clients that each announce ~8 MB and push 2 MiB do not grow levy's RSS (VmHWM, bytes), and
/healthz answers; after a burst of valid 1 MiB bodies the memory goes back (VmRSS); the
bodies of all connections together stay under LEVY_HTTP_BODY_BUDGET (503 past it).
Descriptors (5): levy under `ulimit -n 64` with more clients than descriptors: accept() fails
with EMFILE, and the log holds a bounded number of lines about it (the listener pauses and
retries on a timer instead of spinning); the default connection limit (below the fd limit)
pauses accepting with one WARN line; /healthz answers once the clients are gone.
Headers (16, part): the UI's files carry a strict self-only Content-Security-Policy, JSON
answers `default-src 'none'`, and all of them X-Frame-Options DENY, nosniff, no-referrer.
"""
import json
import os
import resource
import shutil
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check, exchange  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19600
DEADLINE_S = 5
TOKEN = "limits-token-0123456789abcdef"
MIB = 1024 * 1024


def answers(buf):
    """The status codes of the HTTP answers in buf, in order (100 Continue left out)."""
    out = []
    for line in buf.split(b"\r\n"):
        if line.startswith(b"HTTP/1.") and len(line.split()) > 1 and line.split()[1].isdigit():
            st = int(line.split()[1])
            if st != 100:
                out.append(st)
    return out


def read_head(s, timeout=15):
    """What s receives until the end of a response head (or EOF, an error, the timeout)."""
    buf = b""
    s.settimeout(timeout)
    try:
        while b"\r\n\r\n" not in buf:
            b = s.recv(4096)
            if not b:
                break
            buf += b
    except OSError:
        pass
    return buf


def body_json(buf):
    try:
        return json.loads(buf.partition(b"\r\n\r\n")[2].decode())
    except ValueError:
        return None


def status_of(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def healthy(port, timeout=3):
    return common.req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=timeout)[0] == 200


def start_levy(tmp, name, port, env=None, nofile=None):
    data = os.path.join(tmp, name)
    e = {"LEVY_HTTP_DEADLINE_S": str(DEADLINE_S)}
    e.update(env or {})
    args = [LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", data,
            "--plugins", os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts"),
            "--api-token", TOKEN]
    if nofile:  # the child only: `ulimit -n nofile`
        args = ["sh", "-c", 'ulimit -n %d && exec "$@"' % nofile, "sh"] + args
    p = common.start(args, os.path.join(tmp, name + ".log"), e)
    ok = common.wait_for(lambda: p.poll() is None and healthy(port), 30, 0.1)
    return p, ok


def headers(port):
    """Issue 15 finding 16 (part): the UI and the API send CSP, X-Frame-Options, nosniff and
    Referrer-Policy."""
    for path, kind in (("/", "ui"), ("/js/core.js", "ui"), ("/healthz", "json"), ("/v1/regions", "json")):
        st, _, _, rh = common.req("GET", "http://127.0.0.1:%d%s" % (port, path),
                                  headers={"Authorization": "Bearer " + TOKEN})
        h = {k.lower(): v for k, v in rh.items()}
        csp = h.get("content-security-policy", "")
        want_csp = ("default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
                    if kind == "ui" else "default-src 'none'" in csp)
        check("GET %s: CSP (%s), X-Frame-Options DENY, nosniff, Referrer-Policy no-referrer" % (path, csp),
              st == 200 and want_csp and h.get("x-frame-options") == "DENY"
              and h.get("x-content-type-options") == "nosniff" and h.get("referrer-policy") == "no-referrer", h)


def framing(port):
    auth = "Authorization: Bearer %s\r\n" % TOKEN
    hidden = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    cases = [
        ("space before the colon (Content-Length : N)",
         ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
          "Content-Length : %d\r\n\r\n" % (auth, len(hidden))).encode() + hidden),
        ("tab before the colon",
         ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Length\t: %d\r\n\r\n" % (auth, len(hidden))).encode()
         + hidden),
        ("empty header name", b"GET /healthz HTTP/1.1\r\nHost: x\r\n: nothing\r\n\r\n" + hidden),
        ("obs-fold continuation line", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n b\r\n\r\n" + hidden),
        ("obs-fold with a tab", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: a\r\n\tb\r\n\r\n" + hidden),
        ("space inside a header name", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n" + hidden),
    ]
    for name, data in cases:
        buf, closed = exchange(port, data, timeout=DEADLINE_S + 10)
        sts = answers(buf)
        js = body_json(buf)
        check("%s -> one 400 bad_request JSON, connection closed, the rest never read as a request (%s)"
              % (name, sts), sts == [400] and closed and js and js["error"]["code"] == "bad_request", buf[:300])
    # valid framing is still read as before: a chunked body, then a keep-alive request
    body = b'{"currency":"USD"}'
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:5], body[5:])) + b"0\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    try:
        s.sendall(("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % auth).encode() + chunked)
        first = s.recv(65536)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        second = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            second += b
    except OSError as e:
        first, second = b"", str(e).encode()
    finally:
        s.close()
    check("a valid chunked request, then a second one on the same connection -> both answered (%s, %s)"
          % (answers(first), answers(second)), answers(first) and answers(first)[0] in (200, 422)
          and answers(second) == [200], (first[:200], second[:200]))


def caps(port, pid):
    auth = "Authorization: Bearer %s\r\n" % TOKEN
    for name, head in (
            ("API route, Content-Length 8,000,000 (under the old 8 MiB evhttp cap)",
             "POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
             "Content-Length: 8000000\r\n\r\n" % auth),
            # the webhook intake's cap is 8 MiB (--webhook-max-body, issue 17), not the 1 MiB default
            ("webhook intake, Content-Length 8 MiB + 1",
             "POST /webhooks/rillet/con_x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (8 * MIB + 1)),
            ("chunked, first chunk of 2 MiB announced",
             "POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding: chunked\r\n\r\n%x\r\n" % (auth, 2 * MIB)),
            ("Expect: 100-continue with 2 MiB announced",
             "POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\nExpect: 100-continue\r\n\r\n"
             % (auth, 2 * MIB))):
        # nothing of the body is sent: the answer must come from the head alone
        buf, closed = exchange(port, head.encode(), timeout=DEADLINE_S + 10)
        js = body_json(buf)
        check("%s, no body sent -> 413 payload_too_large JSON at once, then closed (%s)" % (name, answers(buf)),
              answers(buf) == [413] and js and js["error"]["code"] == "payload_too_large" and closed
              and b"100 Continue" not in buf, buf[:300])

    # 100 clients announce ~8 MB each and push 2 MiB of it: nothing of it may be buffered
    base_hwm = status_of(pid, "VmHWM")
    socks, pushed = [], 0
    chunk = b"x" * (256 * 1024)
    for i in range(100):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        s.settimeout(2)
        try:
            s.sendall(("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                       "Content-Length: %d\r\n\r\n" % (auth, 8 * MIB - 1)).encode())
            for _ in range(8):
                s.sendall(chunk)
                pushed += len(chunk)
        except OSError:
            pass
        socks.append(s)
    grown = status_of(pid, "VmHWM") - base_hwm
    check("100 clients x ~8 MB announced (%d MiB pushed): levy's peak RSS grew by %.1f MiB (< 32 MiB)"
          % (pushed // MIB, grown / MIB), grown < 32 * MIB, grown)
    check("/healthz answers with those clients connected", healthy(port, 10), "")
    for s in socks:
        s.close()

    # a burst of valid bodies (1 MiB each, the cap, on 60 connections at once): afterwards
    # the memory goes back to the OS
    base_rss = status_of(pid, "VmRSS")
    body = b'{"pad":"' + b"p" * (MIB - 20) + b'"}'
    socks = []
    for i in range(60):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(("POST /webhooks/rillet/con_nope%d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % (i, len(body))).encode() + body[:-1])
        socks.append(s)
    peak = status_of(pid, "VmRSS")
    # the clients finish in two groups, the second after levy's trim for the first (1 s after
    # a close): the memory of the later requests must go back too. It did not when requests
    # ended more than a second apart (seen on a loaded machine): the first trim counted every
    # body read so far as handed back, and the later ends armed no trim
    got = []
    for group in (socks[:10], socks[10:]):
        for s in group:
            try:
                s.sendall(body[-1:])
            except OSError:
                pass
        for s in group:
            got += answers(read_head(s))[:1]
            s.close()
        if len(got) == 10:
            time.sleep(2)  # the second group is slower than the trim delay: a client's pace
    check("60 bodies of 1 MiB at the cap are read and answered (404 unknown connection): %s"
          % sorted(set(got)), len(got) == 60 and set(got) == {404}, got[:10])
    back = common.wait_for(lambda: status_of(pid, "VmRSS") < base_rss + 24 * MIB, 30, 0.5)
    check("after the burst VmRSS returns near its level before (%.1f MiB before, %.1f at the peak, %.1f now)"
          % (base_rss / MIB, peak / MIB, status_of(pid, "VmRSS") / MIB), back, "")


def log_lines(path, *needles):
    text = common.tail(path, 10 ** 8)
    return [l for l in text.splitlines() if any(n in l for n in needles)]


def descriptors(tmp, port):
    # (a) the connection limit set above what the descriptors allow: accept() hits EMFILE
    p, ok = start_levy(tmp, "emfile", port, {"LEVY_HTTP_MAX_CONNECTIONS": "1000"}, nofile=64)
    logp = os.path.join(tmp, "emfile.log")
    try:
        if not check("levy starts under ulimit -n 64 (EMFILE case)", ok, common.tail(logp)):
            return
        socks = []
        for i in range(120):  # more than 64: the kernel's backlog completes the handshakes
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=3)
                socks.append(s)
            except OSError:
                break
        # wait until levy has met the failure (its log says so), then let it sit there a while
        hit = common.wait_for(lambda: log_lines(logp, "accept() failed", "Error from accept()"), 30, 0.2)
        check("accept() failed with EMFILE and levy said so", hit, common.tail(logp))
        time.sleep(3)
        lines = log_lines(logp, "accept() failed", "Error from accept()")
        check("at the fd limit the log holds %d line(s) about accept() failing (one per episode, not a line "
              "per retry)" % len(lines), len(lines) == 1, lines[:5] + ["..."] + lines[-3:])
        for s in socks:
            s.close()
        check("/healthz answers once the clients are gone (EMFILE case)",
              common.wait_for(lambda: healthy(port), 30, 0.2), common.tail(logp))
        check("levy is still running", p.poll() is None, "")
    finally:
        common.stop(p)
    # (b) the default limit: below the fd limit, so accept() never fails
    port2 = common.free_port(port + 1)
    p, ok = start_levy(tmp, "limit", port2, nofile=64)
    logp = os.path.join(tmp, "limit.log")
    try:
        if not check("levy starts under ulimit -n 64 (default connection limit)", ok, common.tail(logp)):
            return
        socks = []
        for i in range(100):
            try:
                socks.append(socket.create_connection(("127.0.0.1", port2), timeout=3))
            except OSError:
                break
        hit = common.wait_for(lambda: log_lines(logp, "connections open (the limit"), 30, 0.2)
        check("the default connection limit (fd limit less a reserve) was reached and logged once",
              hit and len(hit) == 1, common.tail(logp))
        check("accept() never failed (the limit is below the fd limit)",
              not log_lines(logp, "accept() failed", "Too many open files"), common.tail(logp))
        for s in socks:
            s.close()
        check("/healthz answers once the clients are gone (connection limit case)",
              common.wait_for(lambda: healthy(port2), 30, 0.2), common.tail(logp))
    finally:
        common.stop(p)


def budget(tmp, port):
    """All connections' request bodies together stay under LEVY_HTTP_BODY_BUDGET: the request
    that would go over gets 503 + Retry-After at once; the others are served."""
    p, ok = start_levy(tmp, "budget", port, {"LEVY_HTTP_BODY_BUDGET": str(4 * MIB)})
    logp = os.path.join(tmp, "budget.log")
    try:
        if not check("levy starts with LEVY_HTTP_BODY_BUDGET=4 MiB", ok, common.tail(logp)):
            return
        body = b'{"pad":"' + b"p" * (MIB - 20) + b'"}'
        socks = []
        for i in range(8):  # 8 x ~900 KiB held at once: more than 4 MiB
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            try:
                s.sendall(("POST /webhooks/rillet/con_b%d HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: %d\r\n\r\n" % (i, len(body))).encode() + body[:900 * 1024])
            except OSError:
                pass
            socks.append(s)
            common.wait_for(lambda: False, 0.2, 0.2)  # let levy read it before the next one
        got = []
        for i, s in enumerate(socks):
            try:
                s.sendall(body[900 * 1024:])
            except OSError:
                pass
            buf = read_head(s)
            got.append((answers(buf)[:1] or [0])[0])
            if got[-1] == 503 and b"Retry-After: 1" not in buf:
                got[-1] = "503 without Retry-After"
            s.close()
        check("8 bodies of ~1 MiB held at once under a 4 MiB budget: the first ones served (404 unknown "
              "connection), the ones over the budget 503 with Retry-After (%s)" % got,
              got[0] == 404 and 503 in got and set(got) <= {404, 503} and got.count(404) >= 3, got)
        check("one WARN line about the budget", len(log_lines(logp, "LEVY_HTTP_BODY_BUDGET")) == 1,
              common.tail(logp))
        check("after that, bodies are accepted again",
              common.req("POST", "http://127.0.0.1:%d/webhooks/rillet/con_again" % port, raw=body)[0] == 404, "")
    finally:
        common.stop(p)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < min(hard, 1024):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 1024), hard))
    tmp = tempfile.mkdtemp(prefix="levy-reliab-limits-")
    port = common.free_port(BASE_PORT)
    p = None
    try:
        p, ok = start_levy(tmp, "main", port)
        if not check("levy starts", ok, common.tail(os.path.join(tmp, "main.log"))):
            return
        headers(port)
        framing(port)
        caps(port, p.pid)
        check("levy is alive and serving after framing and body-cap cases", p.poll() is None and healthy(port), "")
        common.stop(p)
        p = None
        budget(tmp, common.free_port(port + 1))
        descriptors(tmp, common.free_port(port + 1))
    finally:
        common.stop(p)
        if common.failed:
            for n in ("main", "budget", "emfile", "limit"):
                print("---- %s.log (tail) ----\n%s" % (n, common.tail(os.path.join(tmp, n + ".log"), 3000)))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
