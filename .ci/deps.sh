#!/usr/bin/env bash
# Installs every Debian package levy needs to build, test and benchmark.
# Idempotent: installs only what is missing. Run as root on Debian 12.
set -euo pipefail
PKGS=(build-essential cmake pkg-config
      liblua5.4-dev lua5.4 lua-cjson lua-cjson-dev
      libevent-dev libssl-dev libcurl4-openssl-dev libsqlite3-dev sqlite3
      curl ca-certificates valgrind python3)
if [ "${LEVY_WITH_BROWSER:-0}" = 1 ]; then PKGS+=(chromium nodejs npm); fi
if [ "${LEVY_WITH_BENCH:-0}" = 1 ]; then PKGS+=(wrk nginx libnginx-mod-http-lua util-linux); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
