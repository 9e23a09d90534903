#!/usr/bin/env bash
# Issue 21: the round trips an idle levy makes to PostgreSQL (the job runner's pass, the
# replica heartbeat, schedules: everything on the loop's connection and the writer's).
#   bash bench/idlepoll_pg.sh [LEVY] [SECONDS]      (defaults build/levy 20)
# A throwaway cluster (tests/pg/cluster.sh, port 16680), one `levy serve` on it with the
# repository's scripts and plugins, idle; levy_store_round_trips_total read from /metrics
# 5 s after start and again SECONDS later: prints the difference and the rate per second
# (the second scrape's own trips included). Run inside `unshare -n`.
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
mkdir -p "$TMP/d"
LEVY_DATABASE_URL="$URL" "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/d" \
  --scripts scripts --plugins plugins --replica-id idle >"$TMP/serve.log" 2>&1 &
P=$!
for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
sleep 5
TOK=$(cat "$TMP/d/api-token")
trips() {
  curl -s -H "Authorization: Bearer $TOK" "http://127.0.0.1:$PORT/metrics" |
    awk '/^levy_store_round_trips_total /{print int($2)}'
}
t0=$(trips)
sleep "$SECS"
t1=$(trips)
echo "idle levy on PostgreSQL: $((t1 - t0)) round trips in $SECS s = $(((t1 - t0) / SECS))/s"
