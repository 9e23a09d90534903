#!/usr/bin/env bash
# Issue 22: levy on PostgreSQL with 1, 2 and 3 replicas behind one proxy, against PostgreSQL's
# own commit rate (the ceiling) and a single levy on SQLite, all in one run.
# Usage: bash bench/replicas.sh        (env LEVY_BUILD=build dir, default build; RUNS=3 DUR=5;
#                                      REPLICAS="1 2 3")
#   - a throwaway cluster (tests/pg/cluster.sh) switched back to durable commits (fsync,
#     synchronous_commit, full_page_writes on; the test default is off);
#   - the ceiling: pgbench, 50 clients, one single-row INSERT per transaction;
#   - N = 1, 2, 3 `levy serve` replicas on that database (one master key, own data dirs),
#     behind nginx (upstream round-robin, keepalive; haproxy is not installed here): signed
#     webhook ingest (unique ids, ~2 KB, bench/gen_webhooks.py) and POST /v1/calculate
#     (10 lines, bench/wrk/calc.lua), wrk -t1 -c50;
#   - SQLite: one levy serve, the same two loads, direct and through the same nginx.
# Nothing is pinned (several processes share the 2 cores); the median of RUNS runs per point.
# Prints a table (TSV) and the load average before/after. Ports 27600-27699. Not part of ctest.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
BUILD=${LEVY_BUILD:-$ROOT/build}
LEVY=$BUILD/levy
RUNS=${RUNS:-3}; DUR=${DUR:-5}; CONNS=${CONNS:-50}
REPLICAS=${REPLICAS:-1 2 3}   # e.g. REPLICAS=1: only the one-replica point
P_PG=27600 P_SIM=27601 P_PROXY=27602 P_LITE=27603 P_R=27610   # replicas: 27611..27613
TOKEN=bench-token-$$-0123456789
TMP=$(mktemp -d /tmp/levy-bench-replicas.XXXXXX)
PIDS=()
log() { printf '== %s\n' "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [[ -f $TMP/ngx/nginx.pid ]] && kill "$(cat "$TMP/ngx/nginx.pid")" 2>/dev/null
  sh "$ROOT/tests/pg/cluster.sh" stop "$TMP/pg" >/dev/null 2>&1
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
[[ -x $LEVY ]] || die "no $LEVY"
command -v wrk >/dev/null || die "wrk missing"
command -v nginx >/dev/null || die "nginx missing"
PGBIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/pgbench | tail -1)")
RES=$TMP/results.tsv
: >"$RES"
row() { printf '%s\t%s\t%s\n' "$@" >>"$RES"; }
wait_http() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
to_us() { awk -v v="$1" 'BEGIN{ n=v+0; if (v ~ /us$/) m=1; else if (v ~ /ms$/) m=1000; else if (v ~ /s$/) m=1000000; else m=1; printf "%d", n*m + 0.5 }'; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# one wrk run -> "rps p50 p99 errors"
wrk_once() { # URL [args...]
  local out
  out=$(wrk -t1 -c"$CONNS" -d"${DUR}s" --latency "$@" 2>&1)
  echo "$out" >>"$TMP/wrk.log"
  echo "$(awk '/^Requests\/sec/{printf "%d", $2}' <<<"$out") $(to_us "$(awk '$1=="50%"{print $2}' <<<"$out")") $(to_us "$(awk '$1=="99%"{print $2}' <<<"$out")") $(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(/,/,""); n+=$4+$6+$8+$10} END{print n+0}' <<<"$out")"
}
median() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }
# CPU ticks (utime + stime) of the given pids and of the cluster's server processes
ticks() {
  local pm pids=("$@")
  pm=$(head -1 "$(cat "$TMP/pg/pgdata.path" 2>/dev/null || echo "$TMP/pg/pgdata")/postmaster.pid" 2>/dev/null)
  [[ -n $pm ]] && pids+=("PG" "$pm" $(ps -o pid= --ppid "$pm"))
  local lv=0 pg=0 in_pg=0 p
  for p in "${pids[@]}"; do
    [[ $p == PG ]] && { in_pg=1; continue; }
    local t; t=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    if ((in_pg)); then pg=$((pg + t)); else lv=$((lv + t)); fi
  done
  echo "$lv $pg"
}

# ingest URL_BASE -> median "rps p50 p99 err" of RUNS runs, fresh unique ids per run
ingest() {
  local url=$1 i lines=()
  for i in $(seq "$RUNS"); do
    python3 "$BENCH/gen_webhooks.py" "$SIGNING" "$CON_ID" 40000 "$TMP/hooks.req"
    lines+=("$(BENCH_REQS=$TMP/hooks.req wrk_once "$url/" -s "$BENCH/wrk/replay.lua")")
  done
  printf '%s\n' "${lines[@]}" | median
}
calc() {
  local url=$1 i lines=()
  for i in $(seq "$RUNS"); do
    lines+=("$(BENCH_TOKEN=$TOKEN BENCH_LINES=10 wrk_once "$url/v1/calculate" -s "$BENCH/wrk/calc.lua")")
  done
  printf '%s\n' "${lines[@]}" | median
}
fmt() { read -r r p50 p99 e <<<"$1"; echo "$r req/s (p50 $p50 µs, p99 $p99 µs, errors $e)"; }

# nginx round-robin over the given ports
proxy() {
  mkdir -p "$TMP/ngx/logs"
  [[ -f $TMP/ngx/nginx.pid ]] && { kill "$(cat "$TMP/ngx/nginx.pid")"; sleep 0.5; }
  {
    echo "worker_processes 1; pid $TMP/ngx/nginx.pid; error_log $TMP/ngx/logs/error.log warn; daemon on;"
    echo "events { worker_connections 1024; }"
    echo "http { access_log off; client_max_body_size 16m;"
    echo "  upstream levy { $(for p in "$@"; do printf 'server 127.0.0.1:%s; ' "$p"; done) keepalive 64; }"
    echo "  server { listen 127.0.0.1:$P_PROXY; location / { proxy_pass http://levy; proxy_http_version 1.1;"
    echo "    proxy_set_header Connection \"\"; proxy_set_header Host \$http_host; } } }"
  } >"$TMP/ngx/nginx.conf"
  nginx -p "$TMP/ngx" -c "$TMP/ngx/nginx.conf" || die "nginx did not start"
  wait_http "http://127.0.0.1:$P_PROXY/healthz" || die "proxy not answering"
}

start_sim() {
  mkdir -p "$TMP/sim"
  "$LEVY" sim --listen 127.0.0.1:$P_SIM --data-dir "$TMP/sim" --plugins "$ROOT/plugins" --scripts "$ROOT/scripts" \
    --seed 1 --invoices 20 --no-rate-limit >"$TMP/sim/sim.log" 2>&1 &
  SIM_PID=$!; PIDS+=("$SIM_PID")
  wait_http "http://127.0.0.1:$P_SIM/health" || die "sim did not start"
  SIM_KEY=$(curl -s http://127.0.0.1:$P_SIM/_sim/info | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
}

# connect through PORT (the flow of bench/connect.py, without its drain timing) -> CON_ID SIGNING
connect() {
  read -r CON_ID SIGNING < <(python3 - "$1" "$TOKEN" "$P_SIM" "$SIM_KEY" <<'EOF'
import http.client, json, sys
lport, tok, sport, key = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
def call(port, method, path, body=None, bearer=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Content-Type": "application/json"}
    if bearer: h["Authorization"] = "Bearer " + bearer
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    if r.status >= 300: raise SystemExit("%s %s -> %d %s" % (method, path, r.status, data[:300]))
    return json.loads(data) if data else None
con = call(lport, "POST", "/v1/connections", {"provider": "rillet", "api_key": key}, tok)
if con["status"] == "needs_subsidiary":
    con = call(lport, "POST", "/v1/connections/%s/subsidiary" % con["id"], {"subsidiary_id": con["subsidiaries"][0]["id"]}, tok)
hook = call(sport, "POST", "/_sim/webhooks", {"name": "bench", "url": con["webhook_url"], "events": {"INVOICE": ["CREATED", "UPDATED"]}, "enabled": True}, key)
for code in ["US-CA", "US-TX", "US-NY"]:
    call(lport, "PUT", "/v1/regions/" + code, {"subscribed": True, "tax_calculation": True}, tok)
call(lport, "POST", "/v1/connections/%s/webhook-secret" % con["id"], {"signing_token": hook["signing_token"]}, tok)
print(con["id"], hook["signing_token"])
EOF
)
  [[ -n ${CON_ID:-} && -n ${SIGNING:-} ]] || die "connect failed"
}

LOAD0=$(load)
log "load average before: $LOAD0 ($(nproc) CPUs; other engineers' jobs share them)"

#################################################################### PostgreSQL ceiling
URL=$(LEVY_PG_OWNER=$$ sh "$ROOT/tests/pg/cluster.sh" start "$TMP/pg" $P_PG) || die "cluster"
PGPW=$(cat "$TMP/pg/password")
psqlc() { PGPASSWORD=$PGPW "$PGBIN/psql" -XqAt -h 127.0.0.1 -p $P_PG -U levy -d levy -c "$1"; }
psqlc "ALTER SYSTEM SET fsync = on" && psqlc "ALTER SYSTEM SET synchronous_commit = on" &&
  psqlc "ALTER SYSTEM SET full_page_writes = on" && psqlc "SELECT pg_reload_conf()" >/dev/null
sleep 1
log "PostgreSQL: fsync=$(psqlc 'SHOW fsync') synchronous_commit=$(psqlc 'SHOW synchronous_commit') $(psqlc 'SHOW server_version')"
psqlc "CREATE TABLE bench_commit(id bigserial PRIMARY KEY, v text, at timestamptz DEFAULT now())"
echo "INSERT INTO bench_commit(v) VALUES (repeat('x', 200));" >"$TMP/insert.sql"
PGB=()
for i in $(seq "$RUNS"); do
  PGB+=("$(PGPASSWORD=$PGPW "$PGBIN/pgbench" -n -h 127.0.0.1 -p $P_PG -U levy -c "$CONNS" -j 1 -T "$DUR" -f "$TMP/insert.sql" levy 2>&1 |
    awk '/^tps/{printf "%d", $3}')")
done
PGTPS=$(printf '%s\n' "${PGB[@]}" | median)
log "pgbench one-row INSERT c=$CONNS: $PGTPS tps (runs ${PGB[*]})"
row "PostgreSQL commit rate: pgbench, one 200-byte row INSERT per transaction, c=$CONNS" "$PGTPS tps" \
  "pgbench -n -c $CONNS -j 1 -T $DUR -f insert.sql (median of $RUNS)"
psqlc "DROP TABLE bench_commit"

#################################################################### SQLite, one process
start_sim
mkdir -p "$TMP/lite"
LEVY_API_TOKEN=$TOKEN LEVY_RILLET_URL=http://127.0.0.1:$P_SIM LEVY_RILLET_RATE_LIMIT=0 \
  "$LEVY" serve --listen 127.0.0.1:$P_LITE --data-dir "$TMP/lite" --plugins "$ROOT/plugins" \
  --scripts "$ROOT/scripts" >"$TMP/lite/serve.log" 2>&1 &
LITE=$!; PIDS+=("$LITE")
wait_http "http://127.0.0.1:$P_LITE/healthz" || die "levy (SQLite) did not start"
connect $P_LITE
proxy $P_LITE
# each delivery queues inbox processing that calls the simulator: stopped, those calls fail
# fast (as in bench/run.sh's ingest section), the same for every configuration
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
for via in direct proxy; do
  u=http://127.0.0.1:$P_LITE; [[ $via == proxy ]] && u=http://127.0.0.1:$P_PROXY
  I=$(ingest "$u"); C=$(calc "$u")
  log "SQLite $via: ingest $(fmt "$I"); calculate $(fmt "$C")"
  row "SQLite, 1 process, $via: webhook ingest" "$(fmt "$I")" "wrk -t1 -c$CONNS -d${DUR}s -s bench/wrk/replay.lua (unique ids)"
  row "SQLite, 1 process, $via: POST /v1/calculate 10 lines" "$(fmt "$C")" "wrk -t1 -c$CONNS -d${DUR}s -s bench/wrk/calc.lua"
done
kill "$LITE"; wait "$LITE" 2>/dev/null

#################################################################### PostgreSQL, 1-3 replicas
start_sim
KEY=$(head -c 32 /dev/urandom | base64)
REPS=()
start_replica() { # N
  local n=$1 port=$((P_R + $1))
  mkdir -p "$TMP/r$n"
  LEVY_DATABASE_URL=$URL LEVY_MASTER_KEY=$KEY LEVY_API_TOKEN=$TOKEN LEVY_RILLET_URL=http://127.0.0.1:$P_SIM \
    LEVY_RILLET_RATE_LIMIT=0 "$LEVY" serve --listen 127.0.0.1:$port --data-dir "$TMP/r$n" --plugins "$ROOT/plugins" \
    --scripts "$ROOT/scripts" --replica-id "r$n" --public-url "http://127.0.0.1:$P_PROXY" >"$TMP/r$n/serve.log" 2>&1 &
  REPS+=($!); PIDS+=($!)
  wait_http "http://127.0.0.1:$port/healthz" || die "replica r$n did not start"
}
start_replica 1
proxy $((P_R + 1))
connect $P_PROXY
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
# the replicas' store round trips (levy_store_round_trips_total, summed; "-" before it existed)
trips() {
  local k sum=0 v
  for k in $(seq "$1"); do
    v=$(curl -s -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$((P_R + k))/metrics" |
      awk '$1=="levy_store_round_trips_total"{print $2}')
    [[ -n $v ]] || { echo -; return; }
    sum=$((sum + ${v%.*}))
  done
  echo "$sum"
}
for n in $REPLICAS; do
  while ((${#REPS[@]} < n)); do start_replica $((${#REPS[@]} + 1)); done
  ports=(); for k in $(seq $n); do ports+=($((P_R + k))); done
  proxy "${ports[@]}"
  X0=$(psqlc "SELECT xact_commit FROM pg_stat_database WHERE datname = 'levy'")
  R0=$(trips "$n"); T0=($(ticks "${REPS[@]}")); N0=$(psqlc "SELECT count(*) FROM inbox")
  I=$(ingest http://127.0.0.1:$P_PROXY)
  T1=($(ticks "${REPS[@]}")); N1=$(psqlc "SELECT count(*) FROM inbox"); R1=$(trips "$n")
  X1=$(psqlc "SELECT xact_commit FROM pg_stat_database WHERE datname = 'levy'")
  HZ=$(getconf CLK_TCK)
  CPU="per 1,000 stored deliveries: levy $(awk -v t=$((T1[0] - T0[0])) -v n=$((N1 - N0)) -v hz="$HZ" 'BEGIN{printf "%.2f", n ? t / hz / n * 1000 : 0}') CPU s, PostgreSQL $(awk -v t=$((T1[1] - T0[1])) -v n=$((N1 - N0)) -v hz="$HZ" 'BEGIN{printf "%.2f", n ? t / hz / n * 1000 : 0}') CPU s; $(awk -v x=$((X1 - X0)) -v n=$((N1 - N0)) 'BEGIN{printf "%.1f", n ? x / n : 0}') commits per delivery; $( [[ $R0 == - || $R1 == - ]] && echo - || awk -v r=$((R1 - R0)) -v n=$((N1 - N0)) 'BEGIN{printf "%.1f", n ? r / n : 0}') round trips per delivery"
  C=$(calc http://127.0.0.1:$P_PROXY)
  CONNS_PG=$(psqlc "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'levy'")
  log "PostgreSQL, $n replica(s): ingest $(fmt "$I") [$CPU]; calculate $(fmt "$C") ($CONNS_PG levy connections)"
  row "PostgreSQL, $n replica(s) behind nginx: webhook ingest" "$(fmt "$I"); $CPU" "wrk -t1 -c$CONNS -d${DUR}s -s bench/wrk/replay.lua (unique ids)"
  row "PostgreSQL, $n replica(s) behind nginx: POST /v1/calculate 10 lines" "$(fmt "$C")" "wrk -t1 -c$CONNS -d${DUR}s -s bench/wrk/calc.lua"
done
INBOX=$(psqlc "SELECT count(*) FROM inbox")
LOAD1=$(load)
log "load average after: $LOAD1; inbox rows stored on PostgreSQL: $INBOX"
echo
echo "machine: $(nproc) CPUs, $(awk '/MemTotal/{printf "%d MB", $2/1024}' /proc/meminfo); load average before $LOAD0, after $LOAD1"
echo "PostgreSQL $(psqlc 'SHOW server_version') (fsync on, synchronous_commit on, shared_buffers $(psqlc 'SHOW shared_buffers')); RUNS=$RUNS DUR=${DUR}s c=$CONNS"
printf 'figure\tvalue\tcommand\n'
cat "$RES"
