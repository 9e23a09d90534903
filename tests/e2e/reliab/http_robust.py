#!/usr/bin/env python3
"""R11 HTTP robustness against a running levy (perf-anchors §5.3 R11), raw sockets.

Usage: http_robust.py LEVY_BINARY SOURCE_DIR [BASE_PORT=19040] [IDLE_CONNECTIONS=1000]

Oversized body -> 413 JSON payload_too_large; a Content-Length far over the cap -> 413
without reading it; oversized headers -> 4xx or closed, never 2xx; slowloris closed within
the whole-request deadline (LEVY_HTTP_DEADLINE_S=3 here) while other clients are served;
1,000 idle keep-alive connections do not block service; malformed chunked encoding and two
different Content-Length headers -> 400 or closed, never 2xx; Expect: 100-continue gets
"100 Continue" and then the real answer. After all of it levy is alive and answers.
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
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 19040
IDLE = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
DEADLINE_S = 3


def raw(port, data, timeout=10, read_all=True, chunks=None):
    """Sends bytes; returns (status or None, headers text, body bytes, closed_without_answer)."""
    buf, _ = common.exchange(port, data, timeout, chunks=chunks or (), until=None if read_all else answered)
    if not buf:
        return None, "", b"", True
    head, _, body = buf.partition(b"\r\n\r\n")
    first = head.split(b"\r\n")[0].split()
    st = int(first[1]) if len(first) > 1 and first[1].isdigit() else None
    return st, head.decode(errors="replace"), body, False


def answered(buf):
    """buf holds a whole answer: its head and a body of its Content-Length."""
    head, sep, rest = buf.partition(b"\r\n\r\n")
    cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
    return bool(sep) and bool(cl) and len(rest) >= int(cl[0].split(b":")[1])


def healthy(port):
    st = common.req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=3)[0]
    return st == 200


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, IDLE + 512))
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    tmp = tempfile.mkdtemp(prefix="levy-reliab-http-")
    port = common.free_port(BASE_PORT)
    env = common.Env(LEVY, SRC, tmp, 0, port)
    auth = "Authorization: Bearer %s\r\n" % env.token
    try:
        plugins, scripts = os.path.join(SRC, "plugins"), os.path.join(SRC, "scripts")
        env.levy = common.start([LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", env.levy_dir,
                                 "--plugins", plugins, "--scripts", scripts, "--api-token", env.token],
                                os.path.join(tmp, "levy.log"), {"LEVY_HTTP_DEADLINE_S": str(DEADLINE_S)})
        if not check("levy starts", common.wait_for(lambda: healthy(port), 30, 0.1)):
            return

        # 1. body over 1 MiB (under evhttp's 8x hard cap) -> JSON 413 payload_too_large
        body = b'{"x":"' + b"a" * (2 * 1024 * 1024) + b'"}'
        st, head, rb, _ = raw(port, ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                                     "Content-Length: %d\r\nConnection: close\r\n\r\n" % (auth, len(body))).encode() + body)
        js = None
        try:
            js = json.loads(rb)
        except ValueError:
            pass
        check("2 MiB body -> 413 JSON payload_too_large", st == 413 and js and js["error"]["code"] == "payload_too_large",
              (st, rb[:200]))
        # the webhook intake too (the contract names it)
        st, head, rb, _ = raw(port, ("POST /webhooks/rillet/con_x HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                                     "Connection: close\r\n\r\n" % len(body)).encode() + body)
        check("2 MiB webhook body -> 413 (or 404 for the unknown connection), never 2xx",
              st in (413, 404), (st, rb[:200]))

        # 2. a Content-Length far over the cap: answered without sending the body. The client
        # waits for levy (a 413 or a close), and a wait that runs out is a failure; it used to
        # be "within deadline + 3 s" with a read timeout that also counted as a close.
        t = time.time()
        s2 = socket.create_connection(("127.0.0.1", port), timeout=60)
        s2.sendall(("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Length: 104857600\r\n\r\n" % auth).encode())
        try:
            first = s2.recv(65536)
            st = int(first.split()[1]) if first.startswith(b"HTTP/1.1 ") else None
            closed = first == b""
        except socket.timeout:
            st, closed = None, False
        except OSError:
            st, closed = None, True
        s2.close()
        check("Content-Length 100 MiB, no body sent -> 413 or closed, without waiting for the body",
              st == 413 or closed, (st, closed, round(time.time() - t, 1)))

        # 3. oversized headers (64 KiB, the cap is 32 KiB)
        st, head, rb, closed = raw(port, ("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\nConnection: close\r\n\r\n"
                                          % ("b" * 65536)).encode())
        check("64 KiB header -> 4xx or closed, never 2xx", closed or (st is not None and 400 <= st < 500), (st, head[:100]))

        # 4. slowloris: 1 byte every 0.5 s; closed by the deadline, others served meanwhile
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        t = time.time()
        closed_at, served = None, 0
        msg = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100
        for ch in msg:
            try:
                s.sendall(bytes([ch]))
                s.settimeout(0.5)
                try:
                    b = s.recv(4096)
                    if not b or b:
                        closed_at = time.time() - t
                        break
                except socket.timeout:
                    pass
            except OSError:
                closed_at = time.time() - t
                break
            if healthy(port):
                served += 1
        s.close()
        # The request is never finished (its header has no end) and dribbling all of it takes
        # over a minute, so a close before the last byte is the deadline's doing; it is not
        # early (the deadline counts from the accept, before t). No upper bound in seconds:
        # it used to be "<= deadline + 2 s", which a loaded machine can miss.
        check("slowloris closed by the deadline (%d s), before its request was complete: closed after %s s"
              % (DEADLINE_S, closed_at and round(closed_at, 1)),
              closed_at is not None and closed_at >= DEADLINE_S - 0.5, closed_at)
        check("other clients served while the slowloris dribbles", served >= 2, served)

        # 5. idle keep-alive connections do not block service
        idle = []
        opened = 0
        try:
            for i in range(IDLE):
                c = socket.create_connection(("127.0.0.1", port), timeout=5)
                idle.append(c)
                if i % 2 == 0:   # half made one keep-alive request and stay idle, half sent nothing
                    c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                opened += 1
            for i, c in enumerate(idle):
                if i % 2 == 0:
                    c.recv(4096)
        except OSError as e:
            print("idle connections: stopped at %d: %s" % (opened, e))
        # Blocked service shows in the mechanism, not in a stopwatch: the new client is answered
        # and the listener never paused at the connection limit (levy logs it when it does), so
        # the client did not wait for idle ones to go. The time is printed, not asserted (it
        # used to be "< 1.0 s", which a loaded machine misses).
        t = time.time()
        ok = common.req("GET", "http://127.0.0.1:%d/healthz" % port, timeout=60)[0] == 200
        dt = time.time() - t
        with open(os.path.join(tmp, "levy.log"), errors="replace") as lf:
            paused = "(the limit, LEVY_HTTP_MAX_CONNECTIONS)" in lf.read()
        check("%d idle keep-alive connections: a new client is served (in %.3f s), the listener never paused"
              % (opened, dt), opened == IDLE and ok and not paused, (opened, ok, dt, paused))
        for c in idle:
            c.close()

        # 6. malformed chunked encoding
        for name, chunks in (("bad hex size", b"ZZ\r\nabc\r\n0\r\n\r\n"),
                             ("size larger than data then close", b"ffffff\r\nabc"),
                             ("negative size", b"-5\r\nabc\r\n0\r\n\r\n"),
                             ("missing CRLF after data", b"3\r\nabcXX0\r\n\r\n")):
            st, head, rb, closed = raw(port, ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                                              "Transfer-Encoding: chunked\r\n\r\n" % auth).encode() + chunks,
                                       timeout=DEADLINE_S + 4)
            check("malformed chunked (%s) -> 4xx or closed, never 2xx" % name,
                  closed or (st is not None and 400 <= st < 500), (st, head[:120]))

        # 7. Regression (bug found by this test, fixed in core/http/server.c framing_ok): two
        # Content-Length headers with different values were accepted; evhttp framed the body by
        # the first one and levy answered 422 on a kept-alive connection, so bytes a proxy
        # framed by the other value could be read as a second, smuggled request. RFC 9112 §6.3
        # requires 400 and closing the connection.
        st, head, rb, closed = raw(port, ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                                          "Content-Length: 2\r\nContent-Length: 40\r\nConnection: close\r\n\r\n{}"
                                          % auth).encode(), timeout=DEADLINE_S + 4)
        check("two different Content-Length headers -> 400, never 2xx/422",
              closed or st == 400, (st, head[:160]))
        smuggled = ("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").encode()
        s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_S + 3)
        s.sendall(("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                   "Content-Length: 2\r\nContent-Length: %d\r\n\r\n{}" % (auth, 2 + len(smuggled))).encode() + smuggled)
        got = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except (socket.timeout, OSError):
            pass
        s.close()
        answers = got.count(b"HTTP/1.1 ")
        check("conflicting Content-Length with a request hidden in the body: one 400, connection closed, "
              "the hidden request never answered", answers == 1 and got.startswith(b"HTTP/1.1 400"), got[:300])
        st, head, rb, closed = raw(port, ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                                          "Content-Length: 18\r\nContent-Length: 18\r\nConnection: close\r\n\r\n"
                                          '{"currency":"USD"}' % auth).encode(), timeout=DEADLINE_S + 4)
        check("two equal Content-Length headers are accepted (RFC 9112 allows it)", st in (200, 422), (st, head[:120]))
        # Content-Length together with Transfer-Encoding: chunked
        st, head, rb, closed = raw(port, ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                                          "Content-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                          "2\r\n{}\r\n0\r\n\r\n" % auth).encode(), timeout=DEADLINE_S + 4)
        check("Content-Length + chunked -> handled as chunked or refused, never a smuggled second request",
              closed or st in (400, 422, 200, 411), (st, head[:160]))

        # 8. Expect: 100-continue
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        body = b'{"currency":"USD"}'
        s.sendall(("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n"
                   "Expect: 100-continue\r\nConnection: close\r\n\r\n" % (auth, len(body))).encode())
        s.settimeout(3)
        try:
            first = s.recv(4096)
        except socket.timeout:
            first = b""
        s.sendall(body)
        rest = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                rest += b
        except socket.timeout:
            pass
        s.close()
        allb = first + rest
        finals = [l for l in allb.split(b"\r\n") if l.startswith(b"HTTP/1.1 ") and not l.startswith(b"HTTP/1.1 100")]
        check("Expect: 100-continue -> 100 Continue, then a real answer",
              first.startswith(b"HTTP/1.1 100") and finals and finals[0].split()[1] in (b"200", b"400", b"422"),
              allb[:200])
        # over the cap: since issue 15 the request gate answers 413 from the head, without a
        # 100 Continue (before, 100 Continue came first and the body was read); both end in 413
        big = b"x" * (2 * 1024 * 1024)
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\nExpect: 100-continue\r\n"
                   "Connection: close\r\n\r\n" % (auth, len(big))).encode())
        s.settimeout(3)
        try:
            first = s.recv(4096)
        except socket.timeout:
            first = b""
        if first.startswith(b"HTTP/1.1 100"):
            try:
                s.sendall(big)
            except OSError:
                pass
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    first += b
            except (socket.timeout, OSError):
                pass
        s.close()
        finals = [l for l in first.split(b"\r\n") if l.startswith(b"HTTP/1.1 ") and not l.startswith(b"HTTP/1.1 100")]
        check("Expect: 100-continue with a 2 MiB body -> 413", finals and finals[0].split()[1] == b"413", first[:200])
        st, head, rb, closed = raw(port, ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\n%sContent-Length: 104857600\r\n"
                                          "Expect: 100-continue\r\n\r\n" % auth).encode(), timeout=DEADLINE_S + 3)
        check("Expect: 100-continue with 100 MiB announced -> 413/417 without 100 Continue, or closed",
              closed or st in (413, 417), (st, head[:120]))

        check("levy is alive and serving after all of it", env.levy.poll() is None and healthy(port), "")
    finally:
        common.stop(env.levy)
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(tmp, "levy.log")))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    common.run_main(main)
