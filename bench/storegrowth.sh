#!/usr/bin/env bash
# levy cost growth with the store's size (issue 21): how calculation, webhook ingest, the
# filing summary and the liability report for a year, and the apply -> calculate -> write-back
# path behave as the store grows to 100k, 1M (and 10M) documents.
# Usage: bash bench/storegrowth.sh   (env LEVY_BUILD, GROWTH_DOCS="100000 1000000",
#        GROWTH_BASE=5000 invoices imported for real, GROWTH_PORT levy's port (sim: +1), KEEP_TMP)
# Method: a real store first (levy sim, GROWTH_BASE invoices, connected, imported, calculated
# and written back), then for each size levy is stopped and bench/storeclone.py re-inserts the
# documents and every row hanging off them through levy's own schema (ids suffixed), the kept
# filing sums scaled to match; levy restarts on that store and bench/storemeasure.py measures.
# Prints one line per size: docs=... calc_p50_us hook_p50_us filing_ms liability_ms apply_s db_mb load
# VmRSS_kb VmHWM_kb (levy's memory after the measurement at that size)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
BUILD=${LEVY_BUILD:-$ROOT/build-bench}
LEVY=$BUILD/levy
P_LEVY=${GROWTH_PORT:-18856}
P_SIM=$((P_LEVY + 1))
TOKEN=growth-token-$$-0123456789
TMP=$(mktemp -d /tmp/levy-storegrowth.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
log() { printf '== %s\n' "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
wait_http() { for _ in $(seq 600); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
[[ -x $LEVY ]] || die "no $LEVY"
echo "date: $(date -u +%FT%TZ)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  load average at start: $(cut -d' ' -f1-3 /proc/loadavg)  free disk: $(df -h --output=avail "$TMP" | tail -1)"

mkdir -p "$TMP/sim" "$TMP/levy"
"$LEVY" sim --listen 127.0.0.1:$P_SIM --data-dir "$TMP/sim" --plugins "$ROOT/plugins" \
  --seed 1 --invoices 1000 --no-rate-limit >"$TMP/sim/sim.log" 2>&1 &
PIDS+=($!)
wait_http http://127.0.0.1:$P_SIM/health || die "sim did not start"
for _ in $(seq 600); do curl -s http://127.0.0.1:$P_SIM/_sim/info | grep -q '"seeding":false' && break; sleep 0.5; done
SIM_KEY=$(curl -s http://127.0.0.1:$P_SIM/_sim/info | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
LEVY_PID=
start_levy() {
  # reports over a large store take longer than the default budget (80 ms x 5 for a handler):
  # raised so their cost is measured; storemeasure.py prints their CPU time to compare
  LEVY_LUA_TIME_MS=${GROWTH_LUA_TIME_MS:-4000} LEVY_LUA_INSTR=${GROWTH_LUA_INSTR:-2000000000} LEVY_API_TOKEN=$TOKEN LEVY_RILLET_URL=http://127.0.0.1:$P_SIM LEVY_RILLET_RATE_LIMIT=0 "$LEVY" serve \
    --listen 127.0.0.1:$P_LEVY --data-dir "$TMP/levy" --scripts "$ROOT/scripts" --plugins "$ROOT/plugins" >>"$TMP/levy/serve.log" 2>&1 &
  LEVY_PID=$!
  PIDS+=($LEVY_PID)
  wait_http http://127.0.0.1:$P_LEVY/healthz || die "levy did not start"
}
stop_levy() { kill "$LEVY_PID"; wait "$LEVY_PID" 2>/dev/null; }
# the jobs a (re)start schedules over the store (backfills, sweeps) run before a measurement
wait_idle() {
  for _ in $(seq 3600); do
    [[ $(python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:%s/levy.db?mode=ro" % sys.argv[1], uri=True, timeout=60).execute("SELECT count(*) FROM jobs WHERE state IN (\x27queued\x27,\x27running\x27) AND run_at <= ?", (int(__import__("time").time() * 1000),)).fetchone()[0])' "$TMP/levy" 2>/dev/null || echo 1) == 0 ]] && return 0
    sleep 1
  done
  log "jobs still queued after an hour"
}
start_levy
T=$(date +%s.%N)
DRAIN_WAIT=600 python3 "$BENCH/connect.py" $P_LEVY "$TOKEN" $P_SIM "$SIM_KEY" "${GROWTH_BASE:-5000}" "$TMP/levy" >"$TMP/connect.txt" 2>"$TMP/connect.err" \
  || die "connect failed: $(tail -3 "$TMP/connect.err")"
read -r CON_ID SIGNING _ <"$TMP/connect.txt"
log "base store: imported, calculated and written back in $(python3 -c "import time; print('%.0f' % (time.time() - $T))") s: $(tail -1 "$TMP/connect.err")"
python3 "$BENCH/mkreq.py" calc 10 "$TOKEN" "$TMP/calc.req" 2>/dev/null
measure() { python3 "$BENCH/storemeasure.py" $P_LEVY "$TOKEN" $P_SIM "$SIM_KEY" "$CON_ID" "$SIGNING" "$TMP/levy" "$TMP/calc.req" "$LEVY_PID"; }
# levy's memory after the measurement (VmRSS now, VmHWM its peak since the start)
mem() { awk '/^VmRSS|^VmHWM/{sub(":", ""); printf "%s_kb=%s ", $1, $2}' "/proc/$LEVY_PID/status"; }
M=$(measure) || die "measure failed"
echo "clone_s=0 $M $(mem)"
for N in ${GROWTH_DOCS:-100000 1000000}; do
  stop_levy
  C=$(python3 "$BENCH/storeclone.py" "$TMP/levy" "$N" 2>>"$TMP/clone.log") || die "clone failed: $(tail -3 "$TMP/clone.log")"
  start_levy
  # the clone wrote the store behind levy's back: what levy keeps outside the triggers (the
  # not-collected month memo, summed at a generation the copies did not move) is recounted
  # from the documents (plugins/rillet/recount.lua), as an operator would after such a write
  T=$(date +%s.%N)
  "$LEVY" recount --listen 127.0.0.1:$P_LEVY --api-token "$TOKEN" >>"$TMP/recount.log" 2>&1 \
    || die "levy recount failed: $(tail -3 "$TMP/recount.log")"
  RECOUNT=$(python3 -c "import time; print('%.0f' % (time.time() - $T))")
  T=$(date +%s.%N)
  wait_idle
  IDLE=$(python3 -c "import time; print('%.0f' % (time.time() - $T))")
  M=$(measure) || die "measure failed at $N"
  echo "clone_s=$(cut -d' ' -f4 <<<"$C") recount_s=$RECOUNT restart_jobs_s=$IDLE $M $(mem)"
done
