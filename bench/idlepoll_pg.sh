#!/usr/bin/env bash
# Issue 21: the round trips an idle levy makes to PostgreSQL (the job runner's pass, the
# replica heartbeat, schedules: everything on the loop's connection and the writer's).
#   bash bench/idlepoll_pg.sh [LEVY] [SECONDS]      (defaults build/levy 20)
# A throwaway cluster (tests/pg/cluster.sh, port 16680), one `levy serve` on it with the
# repository's scripts and plugins, idle; levy_store_round_trips_total read from /metrics
# 5 s after start and again SECONDS later: prints the difference and the rate per second
# (the second scrape's own trips included). Run inside `unshare -n`.
# Issue 22: RUNNING=N (default 0) adds a plugin with one job kind (concurrency N) whose job
# sleeps 60 s, and N such jobs queued through psql before levy starts: the window then has N
# jobs running on this replica (SECONDS + 5 must stay under 60). LEASE_MS sets
# LEVY_JOB_LEASE_MS (default: levy's 10 min, no renewal falls in the window); the script
# also prints what PostgreSQL did to the jobs table in the window (pg_stat_user_tables: its
# index + sequential scans, about one per statement that reads it, and rows updated; the
# server flushes these counters about once a second).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LEVY=$(realpath "${1:-$HERE/../build/levy}")
SECS=${2:-20}
PGPORT=16680
PORT=16681
TMP=$(mktemp -d /tmp/levy-idlepg.XXXXXX)
chmod 755 "$TMP" # the cluster may run as postgres (called as root)
trap 'kill "${P:-}" 2>/dev/null || true; wait 2>/dev/null || true; sh "$HERE/../tests/pg/cluster.sh" stop "$TMP/c" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
cd "$HERE/.."
URL=$(LEVY_PG_OWNER=$$ sh tests/pg/cluster.sh start "$TMP/c" $PGPORT)
RUNNING=${RUNNING:-0}
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql | tail -1)
PLUGINS=plugins
if [ "$RUNNING" -gt 0 ]; then
  # the repository's plugins plus one with a long job (levy.time.sleep yields: no CPU)
  PLUGINS=$TMP/plugins
  mkdir -p "$PLUGINS/benchsleep"
  for d in plugins/*/; do ln -s "$PWD/$d" "$PLUGINS/$(basename "$d")"; done
  cat >"$PLUGINS/benchsleep/handler.lua" <<LUA
local t = require "levy.time"
return { name = "benchsleep", version = "1", jobs = { ["benchsleep.sleep"] = {
  run = function() t.sleep(60000) end, concurrency = $RUNNING } } }
LUA
fi
mkdir -p "$TMP/d"
LEASE_ENV=()
[ -n "${LEASE_MS:-}" ] && LEASE_ENV=(LEVY_JOB_LEASE_MS="$LEASE_MS")
env "${LEASE_ENV[@]}" LEVY_DATABASE_URL="$URL" "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/d" \
  --scripts scripts --plugins "$PLUGINS" --replica-id idle >"$TMP/serve.log" 2>&1 &
P=$!
for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
if [ "$RUNNING" -gt 0 ]; then
  "$PSQL" "$URL" -qAt -c "INSERT INTO jobs(id, kind, payload, state, attempts, max_attempts, run_at,
    created_at, updated_at) SELECT 'job_bench' || g, 'benchsleep.sleep', '{}', 'queued', 0, 1, 0, 0, 0
    FROM generate_series(1, $RUNNING) g" >/dev/null
fi
sleep 5
if [ "$RUNNING" -gt 0 ]; then
  n=$("$PSQL" "$URL" -qAt -c "SELECT count(*) FROM jobs WHERE kind = 'benchsleep.sleep' AND state = 'running'")
  [ "$n" = "$RUNNING" ] || { echo "only $n of $RUNNING jobs running" >&2; exit 1; }
fi
jobstats() {
  "$PSQL" "$URL" -qAt -F ' ' -c "SELECT coalesce(idx_scan, 0) + coalesce(seq_scan, 0), n_tup_upd
    FROM pg_stat_user_tables WHERE relname = 'jobs'"
}
TOK=$(cat "$TMP/d/api-token")
trips() {
  curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$PORT/metrics" |
    awk '/^levy_store_round_trips_total /{print int($2)}'
}
read -r s0 u0 <<<"$(jobstats)"
t0=$(trips)
sleep "$SECS"
t1=$(trips)
sleep 1.5 # the server's counters of the window's last second
read -r s1 u1 <<<"$(jobstats)"
echo "idle levy on PostgreSQL, $RUNNING job(s) running${LEASE_MS:+, lease $LEASE_MS ms}:" \
  "$((t1 - t0)) round trips in $SECS s = $(((t1 - t0) / SECS))/s;" \
  "jobs table: $((s1 - s0)) scans, $((u1 - u0)) rows updated"
