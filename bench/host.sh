#!/usr/bin/env bash
# Host benchmarks: Lua route req/s at c=1 and c=50 (levy vs nginx + lua-nginx-module, one
# worker each, server pinned to CPU 0 and wrk to CPU 1), reload latency with 100 rule files,
# idle RSS. usage: bench/host.sh [build-dir]   (ports 18110-18111; ~40 s)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
levy=$build/levy
tmp=$(mktemp -d /tmp/levy-bench-XXXXXX)
dur=${BENCH_SECONDS:-5}
cleanup() { [[ -n ${lpid:-} ]] && kill "$lpid" 2>/dev/null; [[ -f $tmp/nginx.pid ]] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# 100 rule files sharing a helper
mkdir -p "$tmp/scripts/xx" "$tmp/plugins"
cp -r "$here/tests/fixtures/plugins/example" "$tmp/plugins/example"
echo 'return { EXEMPT = "exempt" }' > "$tmp/scripts/xx/_common.lua"
for i in $(seq 1 100); do
  cat > "$tmp/scripts/xx/r$i.lua" <<LUA
local common = require "_common"
return { region = "XX-$i", name = "Region $i", tax_type = "SALES_TAX", sourcing = "destination",
  taxability = { default = "taxable", saas = { fraction = "0.80" }, food_grocery = common.EXEMPT,
                 clothing = { threshold = "110.00", below = "exempt", above = "taxable" } } }
LUA
done

taskset -c 0 "$levy" serve --listen 127.0.0.1:18110 --data-dir "$tmp/data" --plugins "$tmp/plugins" \
  --scripts "$tmp/scripts" >/dev/null 2>"$tmp/levy.log" &
lpid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:18110/healthz >/dev/null && break; sleep 0.1; done
tok=$(cat "$tmp/data/api-token")
sleep 1
echo "levy idle RSS: $(ps -o rss= -p $lpid) KiB (example plugin + 100 rule files)"

for c in 1 50; do
  echo -n "levy  c=$c: "
  taskset -c 1 wrk -t1 -c$c -d${dur}s -H "Authorization: Bearer $tok" http://127.0.0.1:18110/v1/example/hello \
    | awk '/Requests\/sec/ {r = $2} /Latency/ {l = $2} END {printf "%s req/s, avg latency %s\n", r, l}'
done

echo -n "reload (100 rule files changed), 5 runs, ms:"
for i in 1 2 3 4 5; do
  echo "-- $i" >> "$tmp/scripts/xx/r1.lua"
  t=$(curl -s -o /dev/null -w '%{time_total}' -XPOST -H "Authorization: Bearer $tok" http://127.0.0.1:18110/admin/reload)
  echo -n " $(awk -v t="$t" 'BEGIN {printf "%.1f", t * 1000}')"
done
echo
kill $lpid; wait $lpid 2>/dev/null || true; lpid=

mkdir -p "$tmp/nginx/logs"
cat > "$tmp/nginx/nginx.conf" <<NGX
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:18111;
    location /v1/example/hello {
      content_by_lua_block {
        local cjson = require "cjson.safe"
        if ngx.var.http_authorization ~= "Bearer $tok" then
          ngx.status = 401; ngx.say('{"error":{"code":"unauthorized","message":"no"}}'); return
        end
        ngx.header.content_type = "application/json"
        ngx.print(cjson.encode({ hello = "hello, " .. (ngx.var.arg_name or "world"), generation = 1 }))
      }
    }
  }
}
NGX
taskset -c 0 nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/logs/error.log"
sleep 0.5
for c in 1 50; do
  echo -n "nginx c=$c: "
  taskset -c 1 wrk -t1 -c$c -d${dur}s -H "Authorization: Bearer $tok" http://127.0.0.1:18111/v1/example/hello \
    | awk '/Requests\/sec/ {r = $2} /Latency/ {l = $2} END {printf "%s req/s, avg latency %s\n", r, l}'
done
