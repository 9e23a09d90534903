#!/usr/bin/env python3
"""A request's cost does not grow with the connections held open (issue 21), in instructions.

Usage: http_connlist.py LEVY_BINARY SOURCE_DIR [BASE_PORT=16600]

levy serve runs under valgrind --tool=callgrind, counting only inside bufferevent_run_readcb_
and bufferevent_run_writecb_ (reading, dispatching and answering a request, and its
request-complete callback; not accepts or timers): instruction counts, so the check does not
depend on the machine's load. 100 `GET /healthz` on one keep-alive connection with no other
client, then 1,000 idle clients connect after it (newest first is the order levy used to walk)
and 100 more. On the base build each request walked the list of every open connection twice
(on_request's guard lookup, on_req_complete): ~10 more instructions per request for each idle
client held (66,400 -> 86,500 per request with 2,000; bench/connlist.sh). Checked: the
per-request count with 1,000 held is within 1,500 instructions of the count with none (the walk
alone would add ~10,000), and the idle clients are still open at the end.
"""
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import http.client

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import check  # noqa: E402

LEVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.abspath("build/levy")
SRC = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 else os.getcwd()
BASE_PORT = int(sys.argv[3]) if len(sys.argv) > 3 else 16600
N_IDLE = 1000
N_REQ = 100  # few enough that the idle clients stay within evhttp's 30 s idle timeout on a loaded machine


def nfds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def healthy(port):
    try:
        return common.req("GET", "http://127.0.0.1:%d/healthz" % port)[0] == 200
    except OSError:
        return False


def ir_of(tmp, name):
    """The instruction total of callgrind's dump `name`."""
    for f in os.listdir(tmp):
        if not f.startswith("cg.out"):
            continue
        text = open(os.path.join(tmp, f)).read()
        if "desc: Trigger: dump %s\n" % name in text:
            for line in text.splitlines():
                if line.startswith("summary:"):
                    return int(line.split()[1])
    return -1


def main():
    if not shutil.which("valgrind") or not shutil.which("callgrind_control"):
        check("valgrind and callgrind_control installed", False, "")
        return common.summary()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp = tempfile.mkdtemp(prefix="levy-connlist-")
    port = common.free_port(BASE_PORT)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + os.path.join(tmp, "cg.out"),
           "--dump-instr=no", "--toggle-collect=bufferevent_run_readcb_",
           "--toggle-collect=bufferevent_run_writecb_",
           LEVY, "serve", "--listen", "127.0.0.1:%d" % port, "--data-dir", os.path.join(tmp, "data"),
           "--plugins", os.path.join(SRC, "plugins"), "--scripts", os.path.join(SRC, "scripts")]
    # Lua's running-time budget and the whole-request deadline well above callgrind's slowdown
    p = common.start(cmd, os.path.join(tmp, "levy.log"),
                     {"LEVY_LUA_TIME_MS": "60000", "LEVY_HTTP_DEADLINE_S": "600",
                      "LEVY_API_TOKEN": "connlist-token-0123456789abcdef"})
    idle = []
    try:
        check("levy starts under callgrind", common.wait_for(lambda: p.poll() is None and healthy(port), 240, 0.5),
              "")
        pid = p.pid
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

        def get(n):
            for _ in range(n):
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                if r.status != 200:
                    raise RuntimeError("answer %d" % r.status)

        def measure(name):
            subprocess.run(["callgrind_control", "-z", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            get(N_REQ)
            subprocess.run(["callgrind_control", "-d", name, str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            return ir_of(tmp, name) // N_REQ

        get(20)  # warm-up
        alone = measure("alone")
        fd0 = nfds(pid)
        for _ in range(N_IDLE):
            idle.append(socket.create_connection(("127.0.0.1", port), timeout=30))
        held = common.wait_for(lambda: nfds(pid) >= fd0 + N_IDLE, 120, 0.2)
        check("levy holds the %d idle clients (%d descriptors)" % (N_IDLE, nfds(pid)), held, "")
        crowd = measure("crowd")
        check("instructions per request with %d idle clients held: %d, alone %d (within 1,500; a walk of "
              "the open connections adds ~10,000)" % (N_IDLE, crowd, alone),
              alone > 0 and crowd > 0 and abs(crowd - alone) <= 1500, "")
        still = 0
        for s in idle:
            s.setblocking(False)
            try:
                still += 0 if s.recv(1) == b"" else 1
            except BlockingIOError:
                still += 1
            except OSError:
                pass
        check("the idle clients were still open at the end (%d of %d)" % (still, N_IDLE), still == N_IDLE, "")
    except Exception as e:  # noqa: BLE001
        check("no exception", False, repr(e))
    finally:
        for s in idle:
            s.close()
        common.stop(p)
        if common.failed:
            print("---- levy.log (tail) ----\n" + common.tail(os.path.join(tmp, "levy.log"), 3000), flush=True)
        if not os.environ.get("RELIAB_KEEP"):
            shutil.rmtree(tmp, ignore_errors=True)
    return common.summary()


if __name__ == "__main__":
    sys.exit(main())
