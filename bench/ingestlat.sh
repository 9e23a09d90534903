#!/usr/bin/env bash
# Issue 21: unique signed webhook ingest at c=50 with latency and group sizes, per run.
#   bash bench/ingestlat.sh LEVY [ENTITY]     (ENTITY: INVOICE, default, or VENDOR)
# A levy connected to a 20-invoice simulator as in bench/ingestcpu.sh (simulator stopped
# afterwards), the wrk warm-up on duplicates, then RUNS (default 3) runs of DUR (default 3) s:
# each a fresh file of NH (default 20,000) signed deliveries (re-signed for ENTITY), sent by
# `taskset -c 1 wrk -t1 -c50 -d${DUR}s --latency -s bench/wrk/replay.lua` (run.sh's ingest
# point). Prints req/s, p50, p99 and the writer's units and groups (units per group) per run.
# VENDOR deliveries are stored `ignored` (the ingest alone); INVOICE ones are also processed
# by rillet.process_inbox on the loop. WALWATCH=PREFIX samples the WAL file's size every
# 0.5 s into PREFIX.N; KEEPTMP=1 keeps the data dir; KEEPLOG=FILE copies levy's log;
# WRAP="cmd" runs levy under cmd (e.g. "env LD_PRELOAD=/tmp/nosync.so", bench/nosync.c: the
# CPU-only ceiling); CPUS (default 0) the CPUs levy may run on (wrk runs on 1). Ports PORT
# (default 29400) and PORT+1: run inside `unshare -n`. Not in ctest.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=${ROOT:-$(cd "$HERE/.." && pwd)}
LEVY=$(realpath "$1"); ENTITY=${2:-INVOICE}; DUR=${DUR:-3}; RUNS=${RUNS:-3}; NH=${NH:-20000}
PL=${PORT:-29400}; PS=$((PL + 1)); T=ingestcpu-token-0123456789
TMP=$(mktemp -d /tmp/levy-ingestlat.XXXXXX)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [[ -n ${KEEPTMP:-} ]] || rm -rf "$TMP"' EXIT
wait_http() { for _ in $(seq 1200); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; } # 2xx: a starting levy answers 503
cd "$ROOT"; mkdir -p "$TMP/sim" "$TMP/d"
taskset -c 1 "$LEVY" sim --listen 127.0.0.1:$PS --data-dir "$TMP/sim" --plugins plugins --scripts scripts --seed 1 --invoices 20 --no-rate-limit >"$TMP/sim.log" 2>&1 &
SP=$!; PIDS+=($SP)
wait_http "http://127.0.0.1:$PS/health"
KEY=$(curl -s "http://127.0.0.1:$PS/_sim/info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
LEVY_API_TOKEN=$T LEVY_RILLET_URL=http://127.0.0.1:$PS taskset -c ${CPUS:-0} ${WRAP:-} $LEVY serve --listen 127.0.0.1:$PL --data-dir "$TMP/d" --scripts scripts --plugins plugins >"$TMP/serve.log" 2>&1 &
LP=$!; PIDS+=($LP)
wait_http "http://127.0.0.1:$PL/healthz"
DRAIN_WAIT=30 python3 "$HERE/connect.py" $PL $T $PS "$KEY" 20 "$TMP/d" >"$TMP/connect.txt" 2>"$TMP/connect.err"
read -r CID SIGNING _ <"$TMP/connect.txt"
kill $SP; wait $SP 2>/dev/null || true
wg() { curl -s "http://127.0.0.1:$PL/metrics" -H "Authorization: Bearer $T" | awk '/^levy_store_writer_units_total/{u=$NF} /^levy_store_writer_groups_total/{g=$NF} END{print u+0, g+0}'; }
resign() { python3 - "$SIGNING" "$1" "$ENTITY" <<'PY'
import base64, hashlib, hmac, re, sys
tok, path, ent = sys.argv[1:4]
try: key = base64.b64decode(tok, validate=True)
except Exception: key = tok.encode()
out = []
for r in open(path, "rb").read().split(b"\0\n")[:-1]:
    head, body = r.split(b"\r\n\r\n", 1)
    head = head.replace(b"X-Rillet-Entity: INVOICE", b"X-Rillet-Entity: " + ent.encode())
    h = dict(l.split(b": ", 1) for l in head.split(b"\r\n")[1:])
    msg = b".".join([h[b"X-Rillet-Timestamp"], h[b"X-Rillet-Id"], ent.encode(), h[b"X-Rillet-Event"], body])
    sig = base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest())
    head = re.sub(rb"X-Rillet-Signature: [^\r]*", b"X-Rillet-Signature: " + sig, head)
    out.append(head + b"\r\n\r\n" + body + b"\0\n")
open(path, "wb").write(b"".join(out))
PY
}
python3 "$HERE/gen_webhooks.py" "$SIGNING" "$CID" 100 "$TMP/dup.req" --dup
BENCH_REQS=$TMP/dup.req taskset -c 1 wrk -t1 -c50 -d1s -s "$HERE/wrk/replay.lua" "http://127.0.0.1:$PL/" >/dev/null 2>&1
for i in $(seq $RUNS); do
  python3 "$HERE/gen_webhooks.py" "$SIGNING" "$CID" $NH "$TMP/h.req"
  [[ $ENTITY != INVOICE ]] && resign "$TMP/h.req"
  read -r U0 G0 < <(wg)
  [[ -n ${WALWATCH:-} ]] && { (for _ in $(seq $((DUR*2))); do stat -c %s "$TMP/d/levy.db-wal" 2>/dev/null; sleep 0.5; done > "$WALWATCH.$i") & }
  out=$(BENCH_REQS=$TMP/h.req taskset -c 1 wrk -t1 -c50 -d${DUR}s --latency -s "$HERE/wrk/replay.lua" "http://127.0.0.1:$PL/" 2>&1)
  read -r U1 G1 < <(wg)
  echo "run $i load $(cut -d' ' -f1 /proc/loadavg): $(awk '/^Requests\/sec/{r=$2} $1=="50%"{a=$2} $1=="99%"{b=$2} /Non-2xx/{x=" non2xx " $NF} END{printf "%d req/s p50 %s p99 %s%s", r, a, b, x}' <<<"$out") units $((U1-U0)) groups $((G1-G0)) per-group $(awk -v u=$((U1-U0)) -v g=$((G1-G0)) 'BEGIN{printf "%.1f", g?u/g:0}')"
done
[[ -n ${KEEPLOG:-} ]] && cp "$TMP/serve.log" "$KEEPLOG"
