#!/usr/bin/env bash
# Issue 21: where a POST /v1/calculate goes, per body set (bench/mkreq.py bodies).
#   bash bench/calcprof.sh ir [LEVY] [N]       instructions per request (callgrind, deterministic:
#                                               the machine is shared and wall-clock swings 2x)
#   bash bench/calcprof.sh peer [N]            the same count for the nginx + ngx_lua peer
#   bash bench/calcprof.sh flame [LEVY] [OUT]   perf record (dwarf stacks) of levy under wrk -c50 on
#                                               the mixed set -> OUT.folded + OUT.svg (bench/flame.py)
# LEVY defaults to build/levy; the scripts, plugins and data of ROOT (default: this checkout)
# are served, so an older build is measured with its own tree: ROOT=/tmp/old bash ... ir
# /tmp/old/build/levy. Port 18870 (run inside `unshare -n` when others may use it).
# ir: levy serve under valgrind --tool=callgrind, collecting only inside
# bufferevent_run_readcb_ (reading, parsing, dispatching and answering requests: not the
# timers, whose share grows with the wall time valgrind takes); per set 40 warm-up requests,
# then N (default 600) on one keep-alive connection; prints Ir/request per set.
# CG_KEEP=DIR (ir, peer): keep the callgrind dumps there (callgrind_annotate DIR/cg.out.N).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/.." && pwd)}
MODE=${1:-ir}
LEVY=$(realpath "${2:-$ROOT/build/levy}")
PORT=18870
T=calcprof-token-0123456789
TMP=$(mktemp -d /tmp/levy-calcprof.XXXXXX)
trap 'kill "${P:-}" 2>/dev/null || true; wait 2>/dev/null || true; [[ -z ${CG_KEEP:-} ]] || { mkdir -p "$CG_KEEP"; cp "$TMP"/cg.out* "$CG_KEEP"/ 2>/dev/null || true; }; rm -rf "$TMP"' EXIT
SETS=${SETS:-"tx cacity euvat canada mixed"} # SETS="euvat canada": only those
for s in $SETS; do python3 "$HERE/mkreq.py" bodies 10 "$s" "$TMP/$s.txt"; done
cd "$ROOT"

client() { # BODIES N: N POST /v1/calculate on one keep-alive connection; non-200 answers fail
  python3 - "$PORT" "$T" "$1" "$2" <<'PY'
import http.client, sys
port, tok, path, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
bodies = [l.strip() for l in open(path) if l.strip()]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
for i in range(n):
    c.request("POST", "/v1/calculate", bodies[i % len(bodies)], {"Content-Type": "application/json", "Authorization": "Bearer " + tok})
    r = c.getresponse(); r.read()
    if r.status != 200: raise SystemExit("answer %d" % r.status)
PY
}
start() { # [wrapper...]
  mkdir -p "$TMP/d"
  LEVY_LUA_TIME_MS=60000 LEVY_API_TOKEN=$T "$@" "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/d" \
    --scripts scripts --plugins plugins >"$TMP/serve.log" 2>&1 &
  P=$!
  for _ in $(seq 600); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
  for r in US-TX US-CA EU CA CA-BC CA-QC; do
    curl -s -o /dev/null -X PUT -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
      -d '{"subscribed":true,"tax_calculation":true}' "http://127.0.0.1:$PORT/v1/regions/$r"
  done
}

if [[ $MODE == ir ]]; then
  N=${3:-600}
  start valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" --dump-instr=no \
    --toggle-collect=bufferevent_run_readcb_
  for s in $SETS; do
    client "$TMP/$s.txt" 40
    callgrind_control -z "$P" >/dev/null 2>&1
    client "$TMP/$s.txt" "$N"
    callgrind_control -d "$s" "$P" >/dev/null 2>&1
  done
  kill "$P"; wait "$P" 2>/dev/null || true
  for s in $SETS; do
    f=$(grep -l "^desc: Trigger: dump $s\$" "$TMP"/cg.out.* | head -1)
    echo "$s $(($(awk '/^summary:/{print $2}' "$f") / N)) Ir/request"
  done
elif [[ $MODE == peer ]]; then
  N=${2:-600}
  mkdir -p "$TMP/ngx"
  sed -e "s#@TMP@#$TMP/ngx#g; s#@PORT@#$PORT#; s#@BENCH@#$HERE#; s#@DATA@#$ROOT/data#" \
    "$HERE/nginx/nginx.conf.in" >"$TMP/ngx/nginx.conf"
  valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" --dump-instr=no \
    nginx -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" -e "$TMP/ngx/err.log" >"$TMP/serve.log" 2>&1 &
  P=$!
  for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/v1/example/hello" && break; sleep 0.2; done
  for s in $SETS; do
    client "$TMP/$s.txt" 40
    callgrind_control -z "$P" >/dev/null 2>&1
    client "$TMP/$s.txt" "$N"
    callgrind_control -d "$s" "$P" >/dev/null 2>&1
  done
  kill "$P"; wait "$P" 2>/dev/null || true
  for s in $SETS; do
    f=$(grep -l "^desc: Trigger: dump $s\$" "$TMP"/cg.out.* | head -1)
    echo "$s $(($(awk '/^summary:/{print $2}' "$f") / N)) Ir/request (peer)"
  done
elif [[ $MODE == flame ]]; then
  OUT=${3:-$ROOT/bench/flame/calc}
  start taskset -c 0
  BENCH_TOKEN=$T BENCH_BODIES=$TMP/mixed.txt taskset -c 1 wrk -t1 -c50 -d2s -s "$HERE/wrk/calc.lua" "http://127.0.0.1:$PORT/v1/calculate" >/dev/null
  BENCH_TOKEN=$T BENCH_BODIES=$TMP/mixed.txt taskset -c 1 wrk -t1 -c50 -d8s -s "$HERE/wrk/calc.lua" "http://127.0.0.1:$PORT/v1/calculate" >"$TMP/wrk.txt" &
  W=$!
  sleep 1
  perf record -F 999 --call-graph dwarf,16384 -p "$P" -o "$TMP/perf.data" -- sleep 5 2>/dev/null
  wait "$W"
  perf script -i "$TMP/perf.data" 2>/dev/null | python3 "$HERE/flame.py" "$OUT.folded" "$OUT.svg" \
    "levy POST /v1/calculate, mixed set, c=50 ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo tree))"
  grep Requests/sec "$TMP/wrk.txt"
else
  sed -n '2,13p' "$0"; exit 2
fi
