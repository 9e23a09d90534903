#!/usr/bin/env bash
# Issue 21: the c=1 tail of POST /v1/calculate in instructions (deterministic, unlike wall-clock
# percentiles on this shared machine). levy serve runs under callgrind collecting inside
# bufferevent_run_readcb_ (reading, handling and answering requests, as calcprof.sh; the
# timers are left out: under valgrind a request takes ~50x its time, so they would land in far
# more requests than at full speed), with a dump each time `on_request` returns
# (core/http/server.c): each dump is one request on one keep-alive connection. Each step of the
# idle collector (levy_vm_gc_idle_step, run by the loop when nothing else is ready) is collected
# and dumped on its own: a request that arrives during one waits for it. Prints the percentiles
# of Ir per cycle and per idle step, then for the median and the largest cycles (and the three
# largest idle steps) the inclusive cost of a few functions (what made them large).
#   bash bench/calctail.sh [LEVY] [N] [SET]     N cycles after 100 warm-up (default 2000), body
#                                               set SET of bench/mkreq.py (default mixed)
# CG_KEEP=DIR keeps the dumps. Port 18871 (run inside `unshare -n` when others may use it).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/.." && pwd)}
LEVY=$(realpath "${1:-$ROOT/build/levy}")
N=${2:-2000}
SET=${3:-mixed}
PORT=${PORT:-18871}
T=calctail-token-0123456789
TMP=$(mktemp -d /tmp/levy-calctail.XXXXXX)
trap 'kill "${P:-}" 2>/dev/null || true; wait 2>/dev/null || true; [[ -z ${CG_KEEP:-} ]] || { mkdir -p "$CG_KEEP"; cp "$TMP"/cg.out* "$CG_KEEP"/ 2>/dev/null || true; }; rm -rf "$TMP"' EXIT
python3 "$HERE/mkreq.py" bodies 10 "$SET" "$TMP/bodies.txt"
cd "$ROOT"
mkdir -p "$TMP/d"
LEVY_LUA_TIME_MS=60000 LEVY_API_TOKEN=$T valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
  --dump-instr=no --toggle-collect=bufferevent_run_readcb_ --dump-after=on_request \
  --toggle-collect=levy_vm_gc_idle_step --dump-after=levy_vm_gc_idle_step "$LEVY" serve --listen 127.0.0.1:$PORT \
  --data-dir "$TMP/d" --scripts scripts --plugins plugins >"$TMP/serve.log" 2>&1 &
P=$!
for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
for r in US-TX US-CA EU CA CA-BC CA-QC; do
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
    -d '{"subscribed":true,"tax_calculation":true}' "http://127.0.0.1:$PORT/v1/regions/$r"
done
python3 - "$PORT" "$T" "$TMP/bodies.txt" 100 "$N" "$TMP" <<'PY'
import glob, http.client, os, sys, time
port, tok, path, warm, n, tmp = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
bodies = [l.strip() for l in open(path) if l.strip()]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
def req(i):
    c.request("POST", "/v1/calculate", bodies[i % len(bodies)], {"Content-Type": "application/json", "Authorization": "Bearer " + tok})
    r = c.getresponse(); r.read()
    if r.status != 200: raise SystemExit("answer %d" % r.status)
for i in range(warm): req(i)
time.sleep(1)
first = len(glob.glob(tmp + "/cg.out.*")) + 1
open(tmp + "/first", "w").write(str(first))
for i in range(n): req(i)
PY
kill "$P"; wait "$P" 2>/dev/null || true
python3 - "$TMP" "$N" <<'PY'
import glob, re, sys, subprocess, collections
tmp, n = sys.argv[1], int(sys.argv[2])
first = int(open(tmp + "/first").read())
cyc, idles = [], []
for f in glob.glob(tmp + "/cg.out.*"):
    k = int(f.rsplit(".", 1)[1])
    if k < first: continue
    tot, idle = None, False
    for line in open(f):
        if line.startswith("desc: Trigger:"):
            idle = "levy_vm_gc_idle_step" in line
        if line.startswith("totals:") or line.startswith("summary:"):
            tot = int(line.split()[1]); break
    (idles if idle else cyc).append((tot or 0, k, f))
cyc.sort()
idles.sort()
ir = [c[0] for c in cyc]
def pct(p): return ir[min(len(ir) - 1, int(p / 100 * len(ir)))]
print("requests %d  Ir per request: min %d  p50 %d  p90 %d  p99 %d  p99.9 %d  max %d  mean %d" % (
    len(ir), ir[0], pct(50), pct(90), pct(99), pct(99.9), ir[-1], sum(ir) // len(ir)))
if idles:
    # the idle collector's steps (levy_host_gc_idle): each ran when the loop had nothing else
    # ready; a request that arrived during one waited for it
    ii = [c[0] for c in idles]
    ip = lambda p: ii[min(len(ii) - 1, int(p / 100 * len(ii)))]
    print("idle collector steps %d (%.2f a request): p50 %d  p99 %d  p99.9 %d  max %d  sum per request %d" % (
        len(ii), len(ii) / len(ir), ip(50), ip(99), ip(99.9), ii[-1], sum(ii) // len(ir)))
med = pct(50)
print("requests above 2x the median: %d; above 5x: %d" % (sum(1 for x in ir if x > 2 * med), sum(1 for x in ir if x > 5 * med)))
NAMES = ["free", "malloc_consolidate", "malloc_trim", "vm_alloc", "lua_resume", "tax_calculate", "tax_parse",
         "setup_req", "lua_reply", "luaC_step"]
def incl(f):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", f], capture_output=True, text=True).stdout
    got = {}
    for line in out.splitlines():
        m = re.match(r"^\s*([\d,]+) \([ \d.]+%\)\s+\S*:(\w+) ", line)
        if m and m.group(2) in NAMES and m.group(2) not in got: got[m.group(2)] = int(m.group(1).replace(",", ""))
    return got
mid = [c for c in cyc if c[0] == med][:1] or [cyc[len(cyc) // 2]]
print("inclusive Ir of some functions (free and malloc_consolidate: mostly the Lua GC's sweep; luaC_step")
print("is named only with a liblua that has symbols, e.g. LD_LIBRARY_PATH to a -g build of the same Lua):")
print("%-22s %s" % ("request: Ir", " ".join("%10s" % n[:10] for n in NAMES)))
for c in mid + cyc[-8:][::-1] + idles[-3:][::-1]:
    g = incl(c[2])
    print("%-22s %s" % ("%d: %d" % (c[1] - first, c[0]), " ".join("%10d" % g.get(n, 0) for n in NAMES)))
PY
