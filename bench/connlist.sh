#!/usr/bin/env bash
# Issue 21: instructions per request with N idle connections held (callgrind, load-independent).
#   bash bench/connlist.sh [LEVY] [N_IDLE] [REQUESTS]     (defaults build/levy 2000 1000)
# levy serve runs under valgrind --tool=callgrind collecting only inside
# bufferevent_run_readcb_ and bufferevent_run_writecb_ (reading, dispatching, answering and the
# request-complete callback, not timers or accepts). N_IDLE clients connect and send nothing
# (levy holds a guard for each), then REQUESTS `GET /healthz` go on one keep-alive connection
# opened before them (levy's list of connections is newest first: the worst case of a walk);
# prints Ir/request and how many idle clients were still open at the end. Port 16650 (run inside
# `unshare -n` when others may use it). A cost that grows with N_IDLE is a per-request walk of
# the open connections.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LEVY=$(realpath "${1:-$HERE/../build/levy}")
NIDLE=${2:-2000}
NREQ=${3:-1000}
PORT=16650
TMP=$(mktemp -d /tmp/levy-connlist.XXXXXX)
trap 'kill "${P:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
cd "$HERE/.."
mkdir -p "$TMP/d"
# idle clients must outlive the run: whole-request deadline 600 s (evhttp's 30 s read timeout
# is checked by the still_open count)
LEVY_LUA_TIME_MS=60000 LEVY_HTTP_DEADLINE_S=600 LEVY_API_TOKEN=connlist-token-0123456789 \
  valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" --dump-instr=no \
  --toggle-collect=bufferevent_run_readcb_ --toggle-collect=bufferevent_run_writecb_ \
  "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/d" --scripts scripts --plugins plugins \
  >"$TMP/serve.log" 2>&1 &
P=$!
for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
python3 - "$PORT" "$P" "$NIDLE" "$NREQ" <<'PY'
import http.client, os, resource, socket, subprocess, sys, time
port, pid, nidle, nreq = map(int, sys.argv[1:5])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
fds = lambda: len(os.listdir("/proc/%d/fd" % pid))
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def get(n):
    for _ in range(n):
        c.request("GET", "/healthz")
        r = c.getresponse(); r.read()
        if r.status != 200: raise SystemExit("answer %d" % r.status)
get(20)  # warm-up
base = fds()
idle = []
for _ in range(nidle):
    s = socket.socket()
    s.settimeout(30)
    s.connect(("127.0.0.1", port))
    idle.append(s)
for _ in range(3000):  # levy accepts as its loop turns: wait until it holds them all
    if fds() >= base + nidle:
        break
    time.sleep(0.1)
subprocess.run(["callgrind_control", "-z", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
get(nreq)
subprocess.run(["callgrind_control", "-d", "run", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
alive = 0
for s in idle:
    s.setblocking(False)
    try:
        alive += 0 if s.recv(1) == b"" else 1
    except BlockingIOError:
        alive += 1
    except OSError:
        pass
print("idle_held=%d still_open=%d" % (nidle, alive))
PY
kill "$P"; wait "$P" 2>/dev/null || true
f=$(grep -l "^desc: Trigger: dump run\$" "$TMP"/cg.out.* | head -1)
echo "$(($(awk '/^summary:/{print $2}' "$f") / NREQ)) Ir/request (N_IDLE=$NIDLE, $NREQ requests)"
