#!/usr/bin/env bash
# Issue 21: system calls per request at c=1 (one keep-alive connection), per body set.
#   bash bench/c1syscalls.sh [LEVY] [N]
# levy serve runs on its own (no valgrind); after 40 warm-up requests of a set, strace -c -f
# attaches to it for N (default 300) POST /v1/calculate and prints each system call's count
# per request (all threads: the writer thread is idle for a calculation). Deterministic counts,
# so a loaded machine does not move them. Port 18871 (run inside `unshare -n` when others may
# use it): unshare -n sh -c 'ip link set lo up && SETS=euvat bash bench/c1syscalls.sh'
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/.." && pwd)}
LEVY=$(realpath "${1:-$ROOT/build/levy}")
N=${2:-300}
PORT=18871
T=c1syscalls-token-0123456789
TMP=$(mktemp -d /tmp/levy-c1sys.XXXXXX)
trap 'kill "${S:-}" "${P:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
SETS=${SETS:-"euvat canada"}
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

mkdir -p "$TMP/d"
LEVY_API_TOKEN=$T "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/d" \
  --scripts scripts --plugins plugins >"$TMP/serve.log" 2>&1 &
P=$!
for _ in $(seq 300); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
for r in US-TX US-CA EU CA CA-BC CA-QC; do
  curl -s -o /dev/null -X PUT -H "Authorization: Bearer $T" -H 'Content-Type: application/json' \
    -d '{"subscribed":true,"tax_calculation":true}' "http://127.0.0.1:$PORT/v1/regions/$r"
done
for s in $SETS; do
  client "$TMP/$s.txt" 40
  strace -c -f -p "$P" -o "$TMP/$s.strace" 2>/dev/null &
  S=$!
  sleep 1 # strace attached to every thread
  client "$TMP/$s.txt" "$N"
  sleep 0.5
  kill -INT "$S"; wait "$S" 2>/dev/null || true
  S=
  echo "== $s: system calls per request over $N requests (strace -c -f)"
  awk -v n="$N" '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" {
      printf "  %-16s %6.2f\n", $NF, $4 / n; tot += $4 }
    END { printf "  %-16s %6.2f\n", "total", tot / n }' "$TMP/$s.strace"
done
