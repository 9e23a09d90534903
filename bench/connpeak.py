#!/usr/bin/env python3
"""Peak memory of `levy serve` with N clients held open at once (issue 21, "peak memory under the
connection cap"): half idle (connected, nothing sent), half slow (a request head and part of a
POST /v1/calculate body, the rest never sent). Samples the server's VmRSS/VmHWM from /proc.
usage: connpeak.py PORT PID N [TOKEN]
Prints: open=<connections held> rss_before_kb rss_held_kb hwm_kb rss_after_kb (after they close)
and per_conn_b = (rss_held - rss_before) / open. Needs RLIMIT_NOFILE > N in this process."""
import resource, socket, sys, time

port, pid, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tok = sys.argv[4] if len(sys.argv) > 4 else "x"
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def st(key):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return -1


def fds():
    import os
    return len(os.listdir("/proc/%d/fd" % pid))


before = st("VmRSS")
head = ("POST /v1/calculate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"
        "Content-Length: 4000\r\n\r\n{\"currency\":\"USD\",\"lines\":[" % tok).encode()
socks = []
failed = 0
for i in range(n):
    s = socket.socket()
    s.settimeout(10)
    try:
        s.connect(("127.0.0.1", port))
        if i % 2:
            s.sendall(head)
        socks.append(s)
    except OSError:
        failed += 1
        s.close()
# levy accepts as its loop turns: wait until it holds them (its fd count stops rising)
last, same = -1, 0
for _ in range(600):
    f = fds()
    same = same + 1 if f == last else 0
    last = f
    if same >= 5:
        break
    time.sleep(0.2)
held_fds = last
held = st("VmRSS")
hwm = st("VmHWM")
# are they still open on levy's side (a header/idle timeout would have closed some)?
alive = 0
for s in socks:
    s.setblocking(False)
    try:
        d = s.recv(1)
        alive += 0 if d == b"" else 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
for s in socks:
    s.close()
time.sleep(5)  # levy frees them as it sees the closes; a trim follows a second after a burst
after = st("VmRSS")
print("open=%d failed=%d levy_fds=%d still_open=%d rss_before_kb=%d rss_held_kb=%d hwm_kb=%d rss_after_kb=%d per_conn_b=%d" % (
    len(socks), failed, held_fds, alive, before, held, hwm, after, (held - before) * 1024 // max(1, len(socks))))
