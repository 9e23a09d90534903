#!/usr/bin/env bash
# Installs every Debian package levy needs to build, run all tests (C, Lua, end-to-end and
# the headless-Chromium UI test) and the benchmarks. Idempotent: installs only what is
# missing. Run as root (or with sudo) on Debian 12.
set -euo pipefail
PKGS=(build-essential cmake pkg-config
      liblua5.4-dev lua5.4 lua-cjson lua-cjson-dev
      libevent-dev libssl-dev libcurl4-openssl-dev libsqlite3-dev sqlite3
      curl ca-certificates valgrind python3 python3-yaml procps
      chromium
      dpkg-dev)  # python3-yaml: the OpenAPI test; dpkg-dev: cpack -G DEB (dpkg-shlibdeps)
# node/npm for the browser test driver (playwright-core): Debian's packages unless a node
# is already installed some other way (its own npm would conflict with Debian's).
command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
command -v npm >/dev/null 2>&1 || PKGS+=(npm)
# Benchmarks compare against nginx + ngx_lua and drive load with wrk.
if [ "${LEVY_WITH_BENCH:-0}" = 1 ]; then PKGS+=(wrk nginx libnginx-mod-http-lua util-linux); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
