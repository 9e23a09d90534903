#!/usr/bin/env bash
# Issue 21: what an idle levy costs (the job runner's pass over an empty queue).
#   bash bench/idlepoll.sh [LEVY] [SECONDS]      (defaults build/levy 20)
# 1. levy serve under valgrind --tool=callgrind collecting only inside poll_jobs (the runner's
#    pass, core/host/jobs.c), idle for SECONDS after its first /healthz answer: prints the
#    instructions per pass (passes counted by its one clock_gettime each; load-independent).
# 2. levy serve natively, idle for 60 s after a 5 s settle: prints its CPU time over those 60 s
#    (utime+stime of /proc/PID/stat, in clock ticks and ms; small numbers, and the machine's
#    load moves them: an order of magnitude, not a precise figure), and the ns it ran on a CPU
#    (/proc/PID/schedstat, finer than the clock ticks).
# IDLEPOLL_CG=FILE keeps the callgrind output (callgrind_annotate --inclusive=yes FILE).
# Port 16670 (run inside `unshare -n` when others may use it). Empty data dir, the repository's
# scripts and plugins (their job kinds: one claim each per full pass).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LEVY=$(realpath "${1:-$HERE/../build/levy}")
SECS=${2:-20}
PORT=16670
TMP=$(mktemp -d /tmp/levy-idlepoll.XXXXXX)
trap 'kill "${P:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$TMP"' EXIT
cd "$HERE/.."
export LEVY_API_TOKEN=idlepoll-token-0123456789
wait_up() { for _ in $(seq 600); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0; sleep 0.2; done; return 1; }

mkdir -p "$TMP/d1"
valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" --dump-instr=no \
  --toggle-collect=poll_jobs \
  "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/d1" --scripts scripts --plugins plugins \
  >"$TMP/serve1.log" 2>&1 &
P=$!
wait_up
sleep 2 # the start's own passes (requeue, first claims) are not the idle ones
callgrind_control -z "$P" >/dev/null 2>&1
sleep "$SECS"
callgrind_control -d idle "$P" >/dev/null 2>&1
kill "$P"; wait "$P" 2>/dev/null || true
f=$(grep -l "^desc: Trigger: dump idle\$" "$TMP"/cg.out* | head -1)
ir=$(awk '/^summary:/{print $2}' "$f")
# the passes: poll_jobs reads the clock (clock_gettime) once per pass, in both the idle and
# the full pass: the 'calls=' of that call inside poll_jobs' block (names are compressed:
# "fn=(12) poll_jobs" once, "fn=(12)" after)
cat >"$TMP/calls.py" <<'PY'
import re, sys
names, fn, cfn, n = {}, None, None, 0
def name(v):
    m = re.match(r"\((\d+)\)(?: (.*))?", v)
    if not m:
        return v
    if m.group(2):
        names[m.group(1)] = m.group(2)
    return names.get(m.group(1), "")
for line in open(sys.argv[1]):
    if line.startswith("fn="):
        fn = name(line[3:].strip())
    elif line.startswith("cfn="):
        cfn = name(line[4:].strip())
    elif line.startswith("calls=") and fn == "poll_jobs" and cfn and cfn.startswith("clock_gettime"):
        n += int(line[6:].split()[0])
print(n)
PY
passes=$(python3 "$TMP/calls.py" "$f")
if [ "$passes" = 0 ]; then echo "no passes counted"; exit 1; fi
[ -n "${IDLEPOLL_CG:-}" ] && cp "$f" "$IDLEPOLL_CG" # for callgrind_annotate --inclusive=yes
echo "poll_jobs: $ir Ir over $passes passes in ${SECS} s idle = $((ir / passes)) Ir/pass"

mkdir -p "$TMP/d2"
"$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$TMP/d2" --scripts scripts --plugins plugins \
  >"$TMP/serve2.log" 2>&1 &
P=$!
wait_up
sleep 5
cpu() { awk '{print $14 + $15}' "/proc/$P/stat"; }
run_ns() { awk '{print $1}' "/proc/$P/schedstat"; } # time on a CPU, ns (all threads)
c0=$(cpu) n0=$(run_ns)
sleep 60
c1=$(cpu) n1=$(run_ns)
tck=$(getconf CLK_TCK)
echo "idle levy CPU over 60 s: $((c1 - c0)) ticks = $(((c1 - c0) * 1000 / tck)) ms (utime+stime);" \
  "$(((n1 - n0) / 1000)) us on a CPU (/proc/PID/schedstat)"
