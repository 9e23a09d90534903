#!/usr/bin/env bash
# Issue 21: CPU time per unique signed webhook delivery (the ingest path), load-independent.
#   bash bench/ingestcpu.sh [LEVY] [N] [ENTITY]   (default build/levy, 5000, VENDOR)
# A levy connected to a 20-invoice simulator (bench/connect.py); the simulator is stopped
# afterwards (as in bench/run.sh's rillet section). N unique signed deliveries (~2 KB,
# bench/gen_webhooks.py) are sent over 50 keep-alive connections (wrk -c50, each request of
# the file once); the first 5 % warm up, and `perf stat -e task-clock -p PID` counts the
# whole levy process (loop, writer thread, kernel time) while the other 95 % are answered.
# ENTITY VENDOR is stored as `ignored` without a job, so only the ingest path runs; INVOICE
# adds the process_inbox job (the simulator is down; the generated bodies name another
# subsidiary, so each is processed without Rillet: outcome other_subsidiary), and the count
# runs until the inbox is processed.
# ROOT (default: this checkout) gives the scripts/plugins levy serves.
# Ports PORT (default 29400) and PORT+1: run inside `unshare -n` when others may use them. Not part of ctest.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/.." && pwd)}
LEVY=$(realpath "${1:-$ROOT/build/levy}")
N=${2:-5000}
ENTITY=${3:-VENDOR}
PL=${PORT:-29400}; PS=$((PL + 1))
T=ingestcpu-token-0123456789
TMP=$(mktemp -d /tmp/levy-ingestcpu.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
wait_http() { for _ in $(seq 1200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; } # 2xx: a starting levy answers 503
cd "$ROOT"
mkdir -p "$TMP/sim" "$TMP/d"
taskset -c 1 "$LEVY" sim --listen 127.0.0.1:$PS --data-dir "$TMP/sim" --plugins plugins --scripts scripts \
  --seed 1 --invoices 20 --no-rate-limit >"$TMP/sim.log" 2>&1 &
SP=$!
PIDS+=($SP)
wait_http "http://127.0.0.1:$PS/health"
KEY=$(curl -s "http://127.0.0.1:$PS/_sim/info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
# CALLGRIND=OUT: levy runs under callgrind (instructions, load-independent); the counts are
# zeroed before the counted deliveries and dumped to OUT after them (callgrind_annotate OUT)
VG=()
[[ -n ${CALLGRIND:-} ]] && VG=(valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" --dump-instr=no)
LEVY_LUA_TIME_MS=${LEVY_LUA_TIME_MS:-60000} LEVY_API_TOKEN=$T LEVY_RILLET_URL=http://127.0.0.1:$PS taskset -c 0 "${VG[@]}" "$LEVY" serve --listen 127.0.0.1:$PL \
  --data-dir "$TMP/d" --scripts scripts --plugins plugins >"$TMP/serve.log" 2>&1 &
LP=$!
PIDS+=($LP)
wait_http "http://127.0.0.1:$PL/healthz"
DRAIN_WAIT=30 python3 "$HERE/connect.py" $PL $T $PS "$KEY" 20 "$TMP/d" >"$TMP/connect.txt" 2>"$TMP/connect.err"
read -r CID SIGNING _ <"$TMP/connect.txt"
kill $SP
wait $SP 2>/dev/null || true
python3 "$HERE/gen_webhooks.py" "$SIGNING" "$CID" "$N" "$TMP/hooks.req"
# the entity is signed: re-sign every request for it; split off the warm-up (first 5 %)
python3 - "$SIGNING" "$TMP/hooks.req" "$ENTITY" "$TMP/warm.req" "$TMP/run.req" <<'PY'
import base64, hashlib, hmac, re, sys
tok, path, ent, warm, run = sys.argv[1:6]
try:
    key = base64.b64decode(tok, validate=True)
except Exception:
    key = tok.encode()
out = []
for r in open(path, "rb").read().split(b"\0\n")[:-1]:
    head, body = r.split(b"\r\n\r\n", 1)
    head = head.replace(b"X-Rillet-Entity: INVOICE", b"X-Rillet-Entity: " + ent.encode())
    h = dict(l.split(b": ", 1) for l in head.split(b"\r\n")[1:])
    msg = b".".join([h[b"X-Rillet-Timestamp"], h[b"X-Rillet-Id"], ent.encode(), h[b"X-Rillet-Event"], body])
    sig = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest())
    head = re.sub(rb"X-Rillet-Signature: [^\r]*", b"X-Rillet-Signature: " + sig, head)
    out.append(head + b"\r\n\r\n" + body + b"\0\n")
w = len(out) // 20
open(warm, "wb").write(b"".join(out[:w]))
open(run, "wb").write(b"".join(out[w:]))
PY
W=$((N / 20))
M=$((N - W))
cat >"$TMP/once.lua" <<'LUA'
local reqs, n = {}, 0
function init()
  local f = assert(io.open(os.getenv("BENCH_REQS"), "rb")); local all = f:read("*a"); f:close()
  for r in all:gmatch("(.-)%z\n") do reqs[#reqs + 1] = r end
end
-- each delivery once; then GET /healthz (cheap) until the script stops wrk
function request()
  n = n + 1
  if n <= #reqs then return reqs[n] end
  return "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
end
LUA
count() { curl -s "http://127.0.0.1:$PL/metrics" -H "Authorization: Bearer $T" | awk '/^levy_webhook_deliveries_total/{s+=$NF} END{print s+0}'; }
# the writer's units and groups (committed transactions) so far
wgroups() { curl -s "http://127.0.0.1:$PL/metrics" -H "Authorization: Bearer $T" | awk '/^levy_store_writer_units_total/{u=$NF} /^levy_store_writer_groups_total/{g=$NF} END{print u+0, g+0}'; }
healthz() { curl -s "http://127.0.0.1:$PL/metrics" -H "Authorization: Bearer $T" | awk '/^levy_http_requests_total.*healthz/{s+=$NF} END{print s+0}'; }
# send a file's requests once each: wrk until the deliveries counter has moved by that many
send() { # FILE COUNT
  local b; b=$(count)
  BENCH_REQS=$1 taskset -c 1 wrk -t1 -c50 -d300s -s "$TMP/once.lua" "http://127.0.0.1:$PL/" >"$TMP/wrk.txt" 2>&1 &
  local wp=$!
  for _ in $(seq 6000); do (($(count) >= b + $2 - 2)) && break; sleep 0.02; done
  kill $wp 2>/dev/null || true
  wait $wp 2>/dev/null || true
}
send "$TMP/warm.req" $W
sleep 1
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
before=$(count)
read -r U0 G0 < <(wgroups)
[[ -n ${CALLGRIND:-} ]] && callgrind_control -z $LP >/dev/null
perf stat -e task-clock -x, -o "$TMP/perf.txt" -p $LP &
PP=$!
# PERF=OUT: also a cpu-clock sample profile of the counted part (perf report -i OUT)
[[ -n ${PERF:-} ]] && { perf record -e cpu-clock -F 4999 -g -p $LP -o "$PERF" 2>/dev/null & }
PR=$!
sleep 0.3
t0=$(date +%s.%N)
send "$TMP/run.req" $M
t1=$(date +%s.%N)
# INVOICE and CREDIT_MEMO deliveries are processed after their answer (rillet.process_inbox on
# the loop): wait (up to 120 s) until no such job is queued or running, so the CPU and the
# instructions counted are the whole cost of a delivery, its processing included
inbox_left() { curl -s "http://127.0.0.1:$PL/metrics" -H "Authorization: Bearer $T" | awk '/^levy_jobs\{.*rillet.process_inbox.*state="(queued|running)"/{s+=$NF} END{print s+0}'; }
if [[ $ENTITY != VENDOR ]]; then
  for _ in $(seq 1200); do (($(inbox_left) == 0)) && break; sleep 0.1; done
  echo "inbox processed: $(inbox_left) process_inbox job(s) left, $(awk -v a="$t1" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}') s after the last answer"
fi
sleep 0.3
kill -INT $PP
[[ -n ${PERF:-} ]] && kill -INT $PR
wait $PP $PR 2>/dev/null || true
after=$(count)
read -r U1 G1 < <(wgroups)
if [[ -n ${CALLGRIND:-} ]]; then
  callgrind_control -d $LP >/dev/null
  sleep 1
  f=$(ls -t "$TMP"/cg.out* | head -1)
  cp "$f" "$CALLGRIND"
  ir=$(callgrind_annotate "$CALLGRIND" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(/,/,""); print $1}')
  awk -v ir="$ir" -v n="$((after - before))" 'BEGIN{printf "callgrind: %d instructions for %d deliveries: %.1f k per delivery\n", ir, n, ir / n / 1000}'
fi
ms=$(awk -F, '/task-clock/{print $1}' "$TMP/perf.txt")
echo "deliveries counted: $((after - before)) (of $M sent), then $(healthz) GET /healthz until wrk stopped (counted in the CPU)"
curl -s "http://127.0.0.1:$PL/metrics" -H "Authorization: Bearer $T" | grep '^levy_webhook_deliveries_total'
awk -v ms="$ms" -v n="$((after - before))" 'BEGIN{printf "levy task-clock %.0f ms: %.1f us CPU per delivery\n", ms, ms * 1000 / n}'
awk -v a="$t0" -v b="$t1" -v n="$((after - before))" 'BEGIN{printf "wall %.2f s: ~%d deliveries/s\n", b - a, n / (b - a)}'
awk -v u="$((U1 - U0))" -v g="$((G1 - G0))" 'BEGIN{printf "writer: %d units in %d groups (%.1f per group)\n", u, g, g ? u / g : 0}'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
