#!/usr/bin/env bash
# levy soak (issue 9, perf-anchors B6): mixed traffic at ~50 % of the mix's closed-loop maximum
# for SOAK_MIN minutes (default 10) against a connected levy; RSS, open fds and the store's size
# on disk sampled every 10 s.
# Usage: flock /tmp/levy-bench.lock bash bench/soak.sh     (env LEVY_BUILD, SOAK_MIN, SOAK_PCT,
#        SOAK_PORT: levy's port, the simulator's is the next one; default 18853)
# Mix (bench/openloop.c weights): POST /v1/calculate 10 lines x4, GET lists x2 (invoices,
# customers, products, regions), signed Rillet webhook deliveries with unique X-Rillet-Id x1
# (bench/gen_webhooks.py, ~1.9 KB, each one a durable commit). Beside it (bench/soak_side.py):
# a reload that builds a new generation every minute, one invoice a second created in the
# simulator (its signed delivery -> levy fetches, calculates, writes the tax back to the
# simulator), the filing summary and the liability report for the year every 15 s.
# levy on CPU 0; the load generator and the simulator (a live Rillet) on CPU 1.
# Pass: RSS max <= 64 MB, RSS growth over the last 5 min <= 5 % (last half when shorter),
# open fds at the end <= fds at the window's start + 8, 0 errors / non-2xx / unanswered
# requests, every reload and report 200, every write-back done (none dead, none left queued).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
BUILD=${LEVY_BUILD:-$ROOT/build-bench}
LEVY=$BUILD/levy
SOAK_MIN=${SOAK_MIN:-10}
SOAK_PCT=${SOAK_PCT:-50}
P_LEVY=${SOAK_PORT:-18853}
P_SIM=$((P_LEVY + 1))
TOKEN=soak-token-$$-0123456789  # 16+ characters (levy refuses shorter tokens)
TMP=$(mktemp -d /tmp/levy-soak.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
log() { printf '== %s\n' "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }
wait_http() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status"; }
fd_n() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
store_kb() { du -kc "$TMP/levy"/levy.db* 2>/dev/null | tail -1 | cut -f1; }
# levy's own account of two holders of its heap, kB: the Lua generation and SQLite (/metrics)
heap_kb() {
  curl -s -m 5 -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P_LEVY/metrics" |
    awk '/^levy_lua_memory_bytes /{l=$2} /^levy_sqlite_memory_bytes /{q=$2} END{printf "%d %d", l/1024, q/1024}'
}
[[ -x $LEVY ]] || die "no $LEVY"

{
  echo "date: $(date -u +%FT%TZ)  host: $(uname -srm)  nproc: $(nproc)  git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  build: $(grep -m1 CMAKE_BUILD_TYPE:STRING "$BUILD/CMakeCache.txt" | cut -d= -f2)"
  echo "levy: $("$LEVY" version 2>&1 | tr '\n' ' ')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$TMP/info.txt" >&2
cc -O2 -Wall -Wextra -o "$TMP/openloop" "$BENCH/openloop.c" -levent || die "openloop build"

# a live simulator and a connected levy
mkdir -p "$TMP/sim" "$TMP/levy"
cp -a "$ROOT/scripts" "$TMP/scripts"   # the reloads touch a rule file: a copy, not the tree
taskset -c 1 "$LEVY" sim --listen 127.0.0.1:$P_SIM --data-dir "$TMP/sim" --plugins "$ROOT/plugins" \
  --seed 1 --invoices 20 --no-rate-limit >"$TMP/sim/sim.log" 2>&1 &
PIDS+=($!)
wait_http http://127.0.0.1:$P_SIM/health || die "sim did not start"
SIM_KEY=$(curl -s http://127.0.0.1:$P_SIM/_sim/info | python3 -c 'import json,sys; print(json.load(sys.stdin)["api_key"])')
LEVY_API_TOKEN=$TOKEN LEVY_RILLET_URL=http://127.0.0.1:$P_SIM LEVY_RILLET_RATE_LIMIT=0 taskset -c 0 "$LEVY" serve \
  --listen 127.0.0.1:$P_LEVY --data-dir "$TMP/levy" --scripts "$TMP/scripts" --plugins "$ROOT/plugins" >"$TMP/levy/serve.log" 2>&1 &
LEVY_PID=$!
PIDS+=($LEVY_PID)
wait_http http://127.0.0.1:$P_LEVY/healthz || die "levy did not start"
DRAIN_WAIT=5 python3 "$BENCH/connect.py" $P_LEVY "$TOKEN" $P_SIM "$SIM_KEY" 20 "$TMP/levy" >"$TMP/connect.txt" 2>"$TMP/connect.err" \
  || die "connect failed: $(tail -3 "$TMP/connect.err")"
read -r CON_ID SIGNING _ <"$TMP/connect.txt"

# request files
python3 "$BENCH/mkreq.py" calc 10 "$TOKEN" "$TMP/calc.req" 2>/dev/null
python3 "$BENCH/mkreq.py" get "/v1/invoices?limit=20,/v1/customers?limit=20,/v1/products,/v1/regions" "$TOKEN" "$TMP/list.req"
python3 "$BENCH/gen_webhooks.py" "$SIGNING" "$CON_ID" 20000 "$TMP/hooks-max.req"
MIX_W="calc.req:4 list.req:2 hooks.req:1"; W_HOOK=1; W_ALL=7

# closed-loop maximum of the mix: wrk over the same interleave (replay.lua), separate hook ids
python3 - "$TMP" <<'PY'
import sys
d = sys.argv[1]
def load(n): return [r for r in open(d + "/" + n, "rb").read().split(b"\0\n") if r]
calc, lst, hooks = load("calc.req"), load("list.req"), load("hooks-max.req")
out, ci, li = [], 0, 0
for h in hooks:
    for _ in range(4): out.append(calc[ci % len(calc)]); ci += 1
    for _ in range(2): out.append(lst[li % len(lst)]); li += 1
    out.append(h)
open(d + "/mix-max.req", "wb").write(b"".join(r + b"\0\n" for r in out))
PY
taskset -c 1 env BENCH_REQS="$TMP/mix-max.req" wrk -t1 -c50 -d8s --latency -s "$BENCH/wrk/replay.lua" "http://127.0.0.1:$P_LEVY/" >"$TMP/wrk-max.txt" 2>&1
MAX=$(awk '/^Requests\/sec/{printf "%d", $2}' "$TMP/wrk-max.txt")
MAXERR=$(awk '/Non-2xx/{n+=$NF} /Socket errors/{gsub(/,/,""); n+=$4+$6+$8+$10} END{print n+0}' "$TMP/wrk-max.txt")
log "mix closed-loop max (wrk -c50 8 s): $MAX req/s, errors $MAXERR"
[[ ${MAX:-0} -gt 0 ]] || die "no maximum measured"
RATE=$((MAX * SOAK_PCT / 100))
SECS=$((SOAK_MIN * 60))
NH=$(( RATE * W_HOOK * (SECS + 5) / W_ALL + 1000 ))
((NH > 250000)) && NH=250000
log "generating $NH unique signed deliveries for the soak"
python3 "$BENCH/gen_webhooks.py" "$SIGNING" "$CON_ID" $NH "$TMP/hooks.req"

# soak
log "soak: $RATE req/s (${SOAK_PCT} % of $MAX) for $SOAK_MIN min, mix $MIX_W"
(cd "$TMP" && taskset -c 1 "$TMP/openloop" -p $P_LEVY -r $RATE -d $SECS -c 50 -t 10 -i 10 $MIX_W) >"$TMP/openloop.out" 2>"$TMP/openloop.log" &
OL=$!
PIDS+=($OL)
python3 "$BENCH/soak_side.py" $P_LEVY "$TOKEN" $P_SIM "$SIM_KEY" "$TMP/scripts" $SECS "$TMP/side.json" 2>"$TMP/side.err" &
SIDE=$!
PIDS+=($SIDE)
T0=$(date +%s)
# one line per 10 s: seconds, levy VmRSS kB, levy CPU % of a core and CPU 0 busy % over the
# interval (busy on CPU 0 well above levy's share = another process took levy's core), levy's
# open fds, the store on disk (levy.db + -wal + -shm, kB), levy's VmHWM kB, Lua heap kB, SQLite kB
cpu_levy() { awk '{print $14 + $15}' "/proc/$LEVY_PID/stat"; }
cpu0() { awk '$1=="cpu0"{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
sample() {
  local lv c0 b0 t0
  lv=$(cpu_levy); read -r b0 t0 < <(cpu0)
  echo "$(( $(date +%s) - T0 )) $(rss_kb $LEVY_PID) $(awk -v a="$lv" -v b="$PLV" -v c="$b0" -v d="$PB0" -v e="$t0" -v f="$PT0" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{ dt = (e - f) / hz; if (dt <= 0) dt = 1; printf "%.0f %.0f", (a - b) / hz / dt * 100, (c - d) / (e - f > 0 ? e - f : 1) * 100 }') $(fd_n $LEVY_PID) $(store_kb) $(awk '/^VmHWM/{print $2}' "/proc/$LEVY_PID/status") $(heap_kb)" >>"$TMP/rss.tsv"
  PLV=$lv PB0=$b0 PT0=$t0
}
PLV=$(cpu_levy); read -r PB0 PT0 < <(cpu0)
: >"$TMP/rss.tsv"
while kill -0 $OL 2>/dev/null; do
  sample
  sleep 10
done
wait $OL
wait $SIDE
# let the write-backs of the last invoices drain (the side traffic stops with the mix)
for _ in $(seq 120); do
  [[ $(python3 -c 'import sqlite3,sys; print(sqlite3.connect("file:%s/levy/levy.db?mode=ro" % sys.argv[1], uri=True, timeout=10).execute("SELECT count(*) FROM jobs WHERE state IN (\x27queued\x27,\x27running\x27) AND kind IN (\x27rillet.calculate\x27,\x27rillet.writeback\x27,\x27rillet.process_inbox\x27)").fetchone()[0])' "$TMP") == 0 ]] && break
  sleep 1
done
sample
OUT=$(cat "$TMP/openloop.out")
python3 - "$TMP" >"$TMP/stored.json" <<'PY'
import json, sqlite3, sys
c = sqlite3.connect("file:%s/levy/levy.db?mode=ro" % sys.argv[1], uri=True, timeout=10)
def q(sql):
    try: return c.execute(sql).fetchone()[0]
    except Exception: return -1
print(json.dumps({"inbox": q("SELECT count(*) FROM inbox"),
                  "jobs_open": q("SELECT count(*) FROM jobs WHERE state IN ('queued','running')"),
                  "wb_done": q("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state = 'done'"),
                  "wb_dead": q("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state = 'dead'"),
                  "wb_open": q("SELECT count(*) FROM jobs WHERE kind = 'rillet.writeback' AND state IN ('queued','running')")}))
PY

# verdict
python3 - "$TMP/rss.tsv" "$OUT" "$SECS" "$TMP/side.json" "$TMP/stored.json" <<'PY' | tee "$TMP/verdict.txt"
import json, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if len(l.split()) >= 9]
out = dict(kv.split("=") for kv in sys.argv[2].split())
secs = int(sys.argv[3])
try:
    side = json.load(open(sys.argv[4]))
except Exception as e:
    side = {"reloads": 0, "reloads_new_generation": 0, "reload_fail": 1, "invoices": 0, "invoice_fail": 1,
            "reports": 0, "report_fail": 1, "report_ms_max": 0, "fail_samples": ["side traffic: %s" % e]}
st = json.load(open(sys.argv[5]))
win = min(300, secs // 2)
t_end = rows[-1][0]
start = [r for r in rows if r[0] <= t_end - win][-1]   # the sample at (or just before) T - window
last = rows[-1]
rmax = max(r[1] for r in rows)
wmax = max(r[1] for r in rows if r[0] >= start[0])
growth = (last[1] - start[1]) * 100.0 / start[1]
wgrowth = (wmax - start[1]) * 100.0 / start[1]
fdmax = max(r[4] for r in rows)
bad = int(out["non2xx"]) + int(out["errors"]) + int(out["unfinished"])
side_bad = side["reload_fail"] + side["invoice_fail"] + side["report_fail"]
ok_rss, ok_g, ok_e = rmax <= 64 * 1024, growth <= 5.0, bad == 0
ok_fd = last[4] <= start[4] + 8
ok_side = side_bad == 0 and side["reloads_new_generation"] == side["reloads"] > 0
ok_wb = st["wb_done"] > 0 and st["wb_dead"] == 0 and st["wb_open"] == 0
print("RSS samples %d (every 10 s): first %d kB, max %d kB (%.1f MB), last %d kB; VmHWM at the end %d kB" % (
    len(rows), rows[0][1], rmax, rmax / 1024, last[1], last[6]))
print("growth over the last %d s: %.2f %% (%d -> %d kB; window max %d kB, %.2f %%)" % (win, growth, start[1], last[1], wmax, wgrowth))
print("of it, by levy's /metrics: Lua heap %d -> %d kB (window start %d), SQLite %d -> %d kB (window start %d)" % (
    rows[0][7], last[7], start[7], rows[0][8], last[8], start[8]))
print("open fds: first %d, at the window's start %d, max %d, last %d" % (rows[0][4], start[4], fdmax, last[4]))
print("store on disk (levy.db + -wal + -shm): first %.1f MB, last %.1f MB (%.0f kB/min)" % (
    rows[0][5] / 1024, last[5] / 1024, (last[5] - rows[0][5]) * 60.0 / max(1, last[0] - rows[0][0])))
print("requests: %s sent, %s ok, %s non-2xx, %s errors, %s unanswered; achieved %s req/s of %s" % (
    out["counted_sent"], out["ok"], out["non2xx"], out["errors"], out["unfinished"], out["achieved_rps"], out["target_rps"]))
print("latency from intended send time: p50 %s / p90 %s / p99 %s / p99.9 %s / max %s us" % (
    out["p50_us"], out["p90_us"], out["p99_us"], out["p999_us"], out["max_us"]))
print("side traffic: %d reloads (%d new generations, %d failed), %d invoices created in the simulator (%d failed), "
      "%d report reads (%d failed, slowest %d ms)" % (side["reloads"], side["reloads_new_generation"], side["reload_fail"],
      side["invoices"], side["invoice_fail"], side["reports"], side["report_fail"], side["report_ms_max"]))
for f in side.get("fail_samples", []):
    print("  side failure: " + f)
print("store after the soak: %d stored deliveries, %d jobs queued/running; write-backs %d done, %d dead, %d left" % (
    st["inbox"], st["jobs_open"], st["wb_done"], st["wb_dead"], st["wb_open"]))
pf = lambda ok: "pass" if ok else "FAIL"
print("RSS <= 64 MB: %s; growth <= 5 %%: %s; fds +<= 8: %s; 0 errors: %s; reloads/invoices/reports ok: %s; "
      "write-backs all done: %s => %s" % (pf(ok_rss), pf(ok_g), pf(ok_fd), pf(ok_e), pf(ok_side), pf(ok_wb),
      "PASS" if ok_rss and ok_g and ok_fd and ok_e and ok_side and ok_wb else "FAIL"))
PY
echo "database after the soak: $(du -m "$TMP/levy/levy.db" | cut -f1) MB; unique deliveries generated: $NH" | tee -a "$TMP/verdict.txt"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$TMP/verdict.txt"
log "per-10 s intervals: $TMP/openloop.log, samples (t rss_kB levy_cpu% cpu0_busy% fds store_kB hwm_kB lua_kB sqlite_kB): $TMP/rss.tsv$([[ -n ${KEEP_TMP:-} ]] || echo ' (removed; KEEP_TMP=1 keeps them)')"
grep -q "=> PASS" "$TMP/verdict.txt"
