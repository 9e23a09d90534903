# Sourced by bench/run.sh (section `growth`): cost growth with the input size.
#  - calc latency for 1, 10, 100, 1000 lines: in-process (tests/bench_calc_inproc ... growth)
#    and over HTTP at c=1 (wrk, median of RUNS, with the nginx peer at the same sizes);
#  - import time for 1k, 10k, 100k invoices (GROWTH_IMPORTS overrides the list) from
#    `levy sim --invoices N --no-rate-limit` (seeded in the background; we wait for
#    /_sim/info seeding=false), levy started with LEVY_RILLET_RATE_LIMIT=0.
# GROWTH_PARTS="calc import" (default both) picks a part.
# Uses from run.sh: ROOT BENCH BUILD TMP LEVY TOKEN RUNS DUR QUICK P_NGX, wrk_point row ratio
# log start_levy stop_pid.
P_GR=18851 P_GRSIM=18852
if [[ " ${GROWTH_PARTS:-calc import} " == *" calc "* ]]; then
log "growth: in-process calc 1/10/100/1000 lines"
cmake --build "$BUILD" -j2 --target bench_calc_inproc >/dev/null 2>&1
(cd "$ROOT" && taskset -c 0 "$BUILD/tests/bench_calc_inproc" data $((QUICK ? 1 : 2)) growth) >"$TMP/growth-inproc.txt" 2>&1
cat "$TMP/growth-inproc.txt" >&2
declare -A GIP
while read -r nl v; do GIP[$nl]=$v; done < <(sed -n 's/^growth: levy.tax calculate() \([0-9]*\) lines: \(.*\)$/\1 \2/p' "$TMP/growth-inproc.txt")

log "growth: HTTP c=1, 1/10/100/1000 lines"
start_levy "$TMP/d-growth" "$ROOT/scripts" "$ROOT/plugins" $P_GR
GR_PID=$LEVY_PID
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"subscribed":true,"tax_calculation":true}' "http://127.0.0.1:$P_GR/v1/regions/US-TX"
export BENCH_TOKEN=$TOKEN
for nl in 1 10 100 1000; do
  # the largest body must fit the 1 MiB cap: check that one request of this size answers 200
  python3 "$BENCH/mkreq.py" calc $nl "$TOKEN" "$TMP/growth-$nl.req" 2>"$TMP/growth-$nl.size"
  BODY=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read().split(b"\0\n")[0]; sys.stdout.buffer.write(d.split(b"\r\n\r\n",1)[1])' "$TMP/growth-$nl.req")
  CHK=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -X POST -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    --data-binary "$BODY" "http://127.0.0.1:$P_GR/v1/calculate")
  CHKN=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -X POST -H 'Content-Type: application/json' \
    --data-binary "$BODY" "http://127.0.0.1:$P_NGX/v1/calculate")
  log "growth $nl lines: request $(cat "$TMP/growth-$nl.size"), levy answers $CHK, peer answers $CHKN (status, bytes)"
  BENCH_LINES=$nl wrk_point growth-levy-$nl 1 "http://127.0.0.1:$P_GR/v1/calculate" -s "$BENCH/wrk/calc.lua"
  L=($W_RPS $W_P50 $W_P99 $W_ERR); LCMD="BENCH_LINES=$nl $W_CMD"
  BENCH_LINES=$nl wrk_point growth-ngx-$nl 1 "http://127.0.0.1:$P_NGX/v1/calculate" -s "$BENCH/wrk/calc.lua"
  N=($W_RPS $W_P50 $W_P99 $W_ERR)
  v="p50 ${L[1]} µs, p99 ${L[2]} µs, ${L[0]} req/s (err ${L[3]}); in-process ${GIP[$nl]:-?}"
  ((L[3])) && v="INVALID (errors): $v"
  row "Cost growth: calc $nl lines (body $(sed 's/max body //' "$TMP/growth-$nl.size"), answer ${CHK#* } B), c=1" \
    "$v" "$( [[ $nl == 1000 ]] && echo "fits 1 MiB cap: $([[ ${CHK%% *} == 200 ]] && echo yes || echo "NO (${CHK%% *})")" || echo -)" \
    "p50 ${N[1]} µs, p99 ${N[2]} µs, ${N[0]} req/s (err ${N[3]})" "$(ratio "${N[1]}" "${L[1]}") (p50, peer/levy)" "$LCMD"
done
stop_pid "$GR_PID"
fi

# import time vs size
[[ " ${GROWTH_PARTS:-calc import} " == *" import "* ]] &&
for NINV in ${GROWTH_IMPORTS:-1000 10000 100000}; do
  log "growth: import of $NINV invoices"
  GD=$TMP/d-grsim-$NINV
  mkdir -p "$GD"
  T0=$(date +%s.%N)
  taskset -c 1 "$LEVY" sim --listen 127.0.0.1:$P_GRSIM --data-dir "$GD" --plugins "$ROOT/plugins" \
    --seed 1 --invoices "$NINV" --no-rate-limit >"$GD/sim.log" 2>&1 &
  GS_PID=$!
  PIDS+=("$GS_PID")
  SINFO=
  for _ in $(seq 3600); do
    SINFO=$(curl -s http://127.0.0.1:$P_GRSIM/_sim/info) && [[ $SINFO == *'"seeding":false'* ]] && break
    sleep 0.5
  done
  SEED_S=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}')
  SKEY=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])' <<<"$SINFO")
  log "simulator seeded in $SEED_S s: $SINFO"
  LEVY_RILLET_RATE_LIMIT=0 LEVY_RILLET_URL=http://127.0.0.1:$P_GRSIM start_levy "$TMP/d-grimp-$NINV" "$ROOT/scripts" "$ROOT/plugins" $P_GR
  GI_PID=$LEVY_PID
  DRAIN_WAIT=${GROWTH_DRAIN_WAIT:-0} python3 "$BENCH/connect.py" $P_GR "$TOKEN" $P_GRSIM "$SKEY" "$NINV" "$TMP/d-grimp-$NINV" \
    >"$TMP/growth-import-$NINV.txt" 2>"$TMP/growth-import-$NINV.err" || log "import failed: $(tail -3 "$TMP/growth-import-$NINV.err")"
  cat "$TMP/growth-import-$NINV.err" >&2
  read -r _ _ IMP_S IMP_N _ <"$TMP/growth-import-$NINV.txt"
  IMP_STATE=$(sed -n 's/^import: //p' "$TMP/growth-import-$NINV.err")
  IMP_ST=$(python3 -c 'import json,sys; d=json.loads(sys.stdin.read() or "{}"); print(d.get("state","?"), d.get("credit_memos","?"), d.get("customers","?"), d.get("products","?"))' <<<"$IMP_STATE")
  read -r ST NCM NCU NPR <<<"$IMP_ST"
  # import job runs that ended in an error (and were retried with backoff), and the last error
  NFAIL=$(grep -c "job run_.* failed" "$TMP/d-grimp-$NINV/serve.log")
  LASTERR=$(python3 - "$TMP/d-grimp-$NINV/levy.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, timeout=10)
r = c.execute("SELECT state, attempts, last_error FROM jobs WHERE kind = 'rillet.import' ORDER BY updated_at DESC LIMIT 1").fetchone()
n = c.execute("SELECT count(*) FROM invoices").fetchone()[0]
print("%d invoices stored; import job %s, attempts %s, last error: %s" % (n, r[0], r[1], (r[2] or "none")[:60]) if r else "%d invoices stored" % n)
PY
)
  if [[ $ST == done ]]; then
    v="${IMP_S:-?} s ($IMP_N invoices of the chosen subsidiary, $NCM credit memos, $NCU customers, $NPR products; $NFAIL failed job runs retried)"
  else
    v="INVALID: import not done after 600 s ($LASTERR; $NFAIL failed job runs)"
    IMP_N=0
  fi
  RATE=$(awk -v n="$IMP_N" -v s="$IMP_S" 'BEGIN{ if (s > 0) printf "%.0f", n / s; else print "-" }')
  row "Cost growth: import of $NINV invoices (levy --rillet-rate-limit 0, sim --no-rate-limit)" "$v, $RATE invoices/s" \
    "$([[ $NINV == 10000 ]] && echo '<= 20 s' || echo -)" "sim seeding took $SEED_S s (not in the figure)" "-" \
    "levy sim --seed 1 --invoices $NINV --no-rate-limit; LEVY_RILLET_RATE_LIMIT=0 levy serve; bench/connect.py (webhook-secret -> import.state done)"
  stop_pid "$GI_PID"
  stop_pid "$GS_PID"
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$GD" "$TMP/d-grimp-$NINV"
done
