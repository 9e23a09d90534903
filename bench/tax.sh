#!/usr/bin/env bash
# Tax benchmarks: in-process (rates load, engine, levy.tax binding) and, when the levy binary
# has `serve`, HTTP /v1/calculate with wrk on one core (10-line US invoice).
# Usage: bench/tax.sh [BUILD_DIR] [PORT]   (ports 18200-18299 belong to the tax helper)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
PORT=${2:-18201}
cmake --build "$BUILD" -j2 --target bench_calc_inproc >/dev/null
echo "== in-process"
(cd "$ROOT" && "$BUILD/tests/bench_calc_inproc" data 2)

LEVY="$BUILD/levy"
if [[ ! -x "$LEVY" ]] || ! "$LEVY" serve --help >/dev/null 2>&1; then
  echo "== HTTP: skipped (no levy serve in $BUILD)"
  exit 0
fi
command -v wrk >/dev/null || { echo "== HTTP: skipped (no wrk)"; exit 0; }
DATA=$(mktemp -d)
TOKEN=bench-token-$$-0123456789  # 16+ characters (levy refuses shorter tokens)
trap 'kill $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
LEVY_API_TOKEN=$TOKEN taskset -c 0 "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$DATA" \
  --scripts "$ROOT/scripts" --plugins "$ROOT/plugins" >"$DATA/serve.log" 2>&1 &
PID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -X PUT -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
  -d '{"subscribed":true,"tax_calculation":true}' "http://127.0.0.1:$PORT/v1/regions/US-TX" >/dev/null
BODY=$(python3 - <<'PY'
import json
lines=[{"id":str(i),"amount":"%d.25"%(100+i),"quantity":"2","tax_code":"saas" if i%3==0 else "general"} for i in range(1,11)]
print(json.dumps({"currency":"USD","date":"2026-03-01","ship_to":{"line1":"1 Main","city":"Austin","state":"TX","zip_code":"78701","country":"US"},"lines":lines}))
PY
)
curl -sf -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d "$BODY" \
  "http://127.0.0.1:$PORT/v1/calculate" | head -c 300; echo
cat >"$DATA/post.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$BODY]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
echo "== HTTP /v1/calculate (server pinned to CPU 0, wrk on CPU 1)"
taskset -c 1 wrk -t1 -c32 -d5s -s "$DATA/post.lua" "http://127.0.0.1:$PORT/v1/calculate"
