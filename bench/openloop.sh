# Sourced by bench/run.sh (section `openloop`): open-loop latency of POST /v1/calculate
# (10 lines) for levy and the nginx peer at 50 % and 80 % of each one's closed-loop maximum
# (wrk -c50) measured in the same run. Each point: RUNS runs of DUR s after OL_WARM s of
# warm-up at the same rate; the run with the median p99 is reported. Latency is from each
# request's intended send time (bench/openloop.c), so a stall is charged to every request
# that should have gone out during it (no coordinated omission).
# Uses from run.sh: ROOT BENCH TMP LEVY TOKEN RUNS DUR QUICK P_NGX, wrk_point row ratio log
# start_levy stop_pid need_openloop, and CALC50_LEVY / CALC50_NGX when the calc section ran.
P_OL=18850
OL_WARM=2; ((QUICK)) && OL_WARM=1
need_openloop
python3 "$BENCH/mkreq.py" calc 10 "$TOKEN" "$TMP/calc10.req" 2>/dev/null

log "open loop: POST /v1/calculate 10 lines"
start_levy "$TMP/d-ol" "$ROOT/scripts" "$ROOT/plugins" $P_OL
OL_PID=$LEVY_PID
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"subscribed":true,"tax_calculation":true}' "http://127.0.0.1:$P_OL/v1/regions/US-TX"
export BENCH_TOKEN=$TOKEN
# maxima: from the calc section of this run, else measured here
if [[ -z ${CALC50_LEVY:-} ]]; then
  BENCH_LINES=10 wrk_point ol-max-levy 50 "http://127.0.0.1:$P_OL/v1/calculate" -s "$BENCH/wrk/calc.lua"
  CALC50_LEVY=$W_RPS
  BENCH_LINES=10 wrk_point ol-max-ngx 50 "http://127.0.0.1:$P_NGX/v1/calculate" -s "$BENCH/wrk/calc.lua"
  CALC50_NGX=$W_RPS
else
  # the calc section's levy is gone: warm this one up
  BENCH_LINES=10 taskset -c 1 wrk -t1 -c50 -d"${WARM}s" -s "$BENCH/wrk/calc.lua" "http://127.0.0.1:$P_OL/v1/calculate" >/dev/null 2>&1
fi

# ol_point NAME PORT RATE -> OL_LINE (key=value of the median-p99 run), OL_CMD
ol_point() {
  local name=$1 port=$2 rate=$3 i out lines=()
  OL_CMD="taskset -c 1 openloop -p PORT -r $rate -d $((DUR + OL_WARM)) -w $OL_WARM -c 50 calc10.req"
  for i in $(seq $RUNS); do
    out=$(taskset -c 1 "$TMP/openloop" -p "$port" -r "$rate" -d $((DUR + OL_WARM)) -w "$OL_WARM" -c 50 "$TMP/calc10.req")
    echo "$out" >>"$TMP/openloop-$name.log"
    lines+=("$(sed 's/.*p99_us=\([0-9]*\).*/\1/' <<<"$out") $out")
  done
  OL_LINE=$(printf '%s\n' "${lines[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p" | cut -d' ' -f2-)
  log "$name @ $rate/s: $OL_LINE"
}
kv() { sed -n "s/.*\b$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
ol_fmt() { # LINE -> "p50 / p90 / p99 / max µs (errors N)"
  local bad=$(($(kv non2xx "$1") + $(kv errors "$1") + $(kv unfinished "$1")))
  local v="$(kv p50_us "$1") / $(kv p90_us "$1") / $(kv p99_us "$1") / $(kv max_us "$1") µs, $(kv achieved_rps "$1") req/s done, errors $bad"
  ((bad)) && v="INVALID (errors): $v"
  echo "$v"
}
for pct in 50 80; do
  RL=$((CALC50_LEVY * pct / 100)); RN=$((CALC50_NGX * pct / 100))
  ol_point "levy-$pct" $P_OL $RL; LL=$OL_LINE; LCMD=$OL_CMD
  ol_point "ngx-$pct" $P_NGX $RN; NL=$OL_LINE
  tgt="-"; [[ $pct == 50 ]] && tgt="p99 <= 5 ms (B3)"
  row "Open loop POST /v1/calculate 10 lines at $pct % of max: levy $RL req/s, peer $RN req/s; p50 / p90 / p99 / max" \
    "$(ol_fmt "$LL")" "$tgt" "$(ol_fmt "$NL")" "$(ratio "$(kv p99_us "$NL")" "$(kv p99_us "$LL")") (p99, peer/levy)" "$LCMD (max = wrk -c50 median: levy $CALC50_LEVY, peer $CALC50_NGX)"
done
stop_pid "$OL_PID"
