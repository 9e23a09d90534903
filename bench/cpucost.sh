#!/usr/bin/env bash
# Issue 21: CPU time per POST /v1/calculate, levy and the nginx + ngx_lua peer, per body set
# (bench/mkreq.py bodies). On a shared machine req/s swings with the neighbours; the CPU time
# a server spends per answered request moves much less (it is charged only while the server
# runs), so its peer/levy ratio is the throughput ratio one idle core would give.
#   bash bench/cpucost.sh [LEVY] [SECS]      (LEVY default build/levy, SECS per point, default 5)
# ROOT (default: this checkout) gives the scripts/plugins/data levy serves, so an older build
# runs with its own tree: ROOT=/tmp/old bash bench/cpucost.sh /tmp/old/build/levy.
# Per set: wrk -t1 -c50 for SECS against each server (after a 1 s warm-up); utime+stime of the
# server from /proc/PID/stat before and after; CPU µs per request = CPU time / requests.
# Ports 18880-18881 (run inside `unshare -n` when others may use them). Not part of ctest.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/.." && pwd)}
LEVY=$(realpath "${1:-$ROOT/build/levy}")
SECS=${2:-5}
PL=18880 PN=18881
T=cpucost-token-0123456789
TMP=$(mktemp -d /tmp/levy-cpucost.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
SETS="tx cacity euvat canada mixed"
for s in $SETS; do python3 "$HERE/mkreq.py" bodies 10 "$s" "$TMP/$s.txt"; done
wait_http() { for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }

cd "$ROOT"
mkdir -p "$TMP/d" "$TMP/ngx"
LEVY_API_TOKEN=$T taskset -c 0 "$LEVY" serve --listen 127.0.0.1:$PL --data-dir "$TMP/d" \
  --scripts scripts --plugins plugins >"$TMP/serve.log" 2>&1 &
PIDS+=($!); LP=$!
sed -e "s#@TMP@#$TMP/ngx#g; s#@PORT@#$PN#; s#@BENCH@#$HERE#; s#@DATA@#$ROOT/data#" \
  "$HERE/nginx/nginx.conf.in" >"$TMP/ngx/nginx.conf"
taskset -c 0 nginx -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" -e "$TMP/ngx/err.log" &
PIDS+=($!); NP=$!
wait_http "http://127.0.0.1:$PL/healthz"; wait_http "http://127.0.0.1:$PN/v1/example/hello"
for r in US-TX US-CA EU CA CA-BC CA-QC; do
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
    -d '{"subscribed":true,"tax_calculation":true}' "http://127.0.0.1:$PL/v1/regions/$r"
done
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
point() { # PID PORT SET -> "cpu_us_per_req req/s non2xx"
  local url="http://127.0.0.1:$2/v1/calculate"
  BENCH_TOKEN=$T BENCH_BODIES=$TMP/$3.txt taskset -c 1 wrk -t1 -c50 -d1s -s "$HERE/wrk/calc.lua" "$url" >/dev/null 2>&1
  local t0 out t1
  t0=$(ticks "$1")
  out=$(BENCH_TOKEN=$T BENCH_BODIES=$TMP/$3.txt taskset -c 1 wrk -t1 -c50 -d"${SECS}"s -s "$HERE/wrk/calc.lua" "$url" 2>&1)
  t1=$(ticks "$1")
  local n rps bad
  n=$(awk '/requests in/{print $1}' <<<"$out")
  rps=$(awk '/^Requests\/sec/{printf "%d", $2}' <<<"$out")
  bad=$(awk '/Non-2xx/{print $NF}' <<<"$out")
  awk -v t=$((t1 - t0)) -v hz="$HZ" -v n="$n" -v r="$rps" -v b="${bad:-0}" 'BEGIN{printf "%.1f %d %d\n", t * 1e6 / hz / n, r, b}'
}
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %18s %18s %10s\n' set "levy CPU us/req" "peer CPU us/req" "peer/levy"
for s in $SETS; do
  read -r lc lr lb < <(point "$LP" $PL "$s")
  read -r nc nr nb < <(point "$NP" $PN "$s")
  printf '%-8s %10s (%d non-2xx) %10s (%d non-2xx) %9sx\n' "$s" "$lc" "$lb" "$nc" "$nb" \
    "$(awk -v a="$nc" -v b="$lc" 'BEGIN{printf "%.2f", a / b}')"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
