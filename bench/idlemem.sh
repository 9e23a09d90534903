#!/usr/bin/env bash
# levy's idle memory (issue 21, h-rss21): `levy serve` with the shipped plugins, rules and rate
# data on an empty data dir, measured IDLE_WAIT seconds after it answers /healthz.
# Prints VmRSS / VmHWM, smaps_rollup (Rss, Pss, anonymous, file pages) and the resident kB of
# every mapping, grouped by what it maps (the heap, anonymous maps, each library), largest first.
# With MASSIF=1 also a second run under valgrind massif (heap only) and its peak's top entries.
# Usage: bash bench/idlemem.sh     (env LEVY_BUILD (default build), IDLE_PORT (default 17400),
#        IDLE_WAIT (s, default 2), RUNS (default 3: the median of VmRSS is printed), MASSIF=1)
# Run it inside `unshare -n sh -c 'ip link set lo up && bash bench/idlemem.sh'` on a shared box.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${LEVY_BUILD:-$ROOT/build}
LEVY=$BUILD/levy
PORT=${IDLE_PORT:-17400}
WAIT=${IDLE_WAIT:-2}
RUNS=${RUNS:-3}
TOKEN=idlemem-token-$$-0123456789
TMP=$(mktemp -d /tmp/levy-idlemem.XXXXXX)
PID=
cleanup() {
  [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  [[ -n ${KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT
die() { echo "FATAL: $*" >&2; exit 1; }
[[ -x $LEVY ]] || die "no $LEVY"

start() { # $1: data dir, rest: a prefix command (valgrind)
  local d=$1; shift
  mkdir -p "$d"
  "$@" "$LEVY" serve --listen 127.0.0.1:$PORT --data-dir "$d" --plugins "$ROOT/plugins" \
    --scripts "$ROOT/scripts" --data "$ROOT/data" --web "$ROOT/web" --api-token "$TOKEN" \
    >"$d.log" 2>&1 &
  PID=$!
  for _ in $(seq 1200); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && return 0
    kill -0 "$PID" 2>/dev/null || die "levy exited ($d.log)"
    sleep 0.1
  done
  die "levy did not answer /healthz ($d.log)"
}
stop() { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=; }

echo "git: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)  load: $(cut -d' ' -f1-3 /proc/loadavg)"
rss=()
for r in $(seq "$RUNS"); do
  start "$TMP/d$r"
  sleep "$WAIT"
  st=/proc/$PID/status
  v=$(awk '/^VmRSS/{r=$2} /^VmHWM/{h=$2} END{printf "%d %d", r, h}' "$st")
  roll=$(awk '/^Rss:/{r=$2} /^Pss:/{p=$2} /^Anonymous:/{a=$2} END{printf "Rss %d Pss %d anonymous %d file %d", r, p, a, r - a}' "/proc/$PID/smaps_rollup")
  echo "run $r: VmRSS/VmHWM kB: $v; smaps_rollup kB: $roll"
  rss+=("${v%% *}")
  if [[ $r == "$RUNS" ]]; then
    echo "resident kB by mapping (last run; [anon] = anonymous maps, incl. thread stacks):"
    awk '/^[0-9a-f]+-[0-9a-f]+ /{n = ($6 == "") ? "[anon]" : $6; sub(/.*\//, "", n)}
         /^Rss:/{s[n] += $2} /^Anonymous:/{a[n] += $2}
         END{for (k in s) if (s[k] > 0) printf "  %6d  (anon %6d)  %s\n", s[k], a[k], k}' \
      "/proc/$PID/smaps" | sort -rn | head -25
    # the libraries levy maps only because it links libcurl and libpq (gnutls, krb5, ldap,
    # nettle, p11-kit...: their own dependencies), and what they hold resident
    only=$(python3 - "$PID" <<'PY'
import os, re, subprocess, sys
def dyn(path, tag):
    out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
    return re.findall(tag + r".*\[(.*)\]", out)
def needed(path):
    return dyn(path, "NEEDED")
maps = {}  # soname (or file name) -> the mapped file
for line in open("/proc/%s/maps" % sys.argv[1]):
    f = line.split()
    if len(f) >= 6 and f[5].startswith("/") and f[5] not in maps.values():
        so = dyn(f[5], "SONAME")
        maps.setdefault(so[0] if so else os.path.basename(f[5]), f[5])
def closure(roots):
    seen, todo = set(), list(roots)
    while todo:
        x = todo.pop()
        if x in seen or x not in maps:
            continue
        seen.add(x)
        todo += needed(maps[x])
    return seen
levy = [p for n, p in maps.items() if n == "levy"][0]
top = needed(levy)
core = closure([t for t in top if not t.startswith(("libcurl", "libpq"))])
print(" ".join(sorted(os.path.basename(maps[x]) for x in
                      closure([t for t in top if t.startswith(("libcurl", "libpq"))]) - core)))
PY
)
    awk -v only=" $only " '/^[0-9a-f]+-[0-9a-f]+ /{n = $6; sub(/.*\//, "", n)}
         /^Rss:/{ if (n != "" && index(only, " " n " ")) { s += $2; if (!(n in seen)) { seen[n] = 1; k++ } } }
         END{printf "file pages of the %d libraries mapped only for libcurl/libpq: %d kB\n", k, s}' \
      "/proc/$PID/smaps"
  fi
  stop
done
printf 'VmRSS median of %d runs: %s kB\n' "$RUNS" "$(printf '%s\n' "${rss[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')"

if [[ -n ${MASSIF:-} ]]; then
  command -v valgrind >/dev/null || die "no valgrind"
  start "$TMP/dm" valgrind --tool=massif --massif-out-file="$TMP/massif.out" --threshold=0.5 \
    --time-unit=ms
  sleep $((WAIT + 3))
  stop
  echo "massif (heap only): the idle plateau (the most frequent total of the run's second half):"
  ms_print --threshold=2 "$TMP/massif.out" >"$TMP/massif.txt"
  cp "$TMP/massif.txt" /tmp/levy-idlemem-massif.txt
  awk '/^ +[0-9]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+ +[0-9,]+$/{
         t = $2; gsub(",", "", t); n++; T[n] = t + 0; L[n] = $0; if (t + 0 > max) max = t + 0 }
       END{for (i = 1; i <= n; i++) if (T[i] >= max / 2) { split(L[i], f, " +"); c[f[4]]++; W[f[4]] = L[i] }
           for (k in c) if (c[k] > best) { best = c[k]; line = W[k] }
           split(line, f, " +")
           printf "  total %s B (useful heap %s B, extra %s B), %d snapshots\n", f[4], f[5], f[6], best }' \
    "$TMP/massif.txt"
  echo "  (full ms_print output: /tmp/levy-idlemem-massif.txt)"
fi
