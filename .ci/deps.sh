#!/usr/bin/env bash
# Installs the Debian packages levy needs. Idempotent: installs only what is missing. Run as
# root (or with sudo) on Debian 12.
#   bash .ci/deps.sh          build and run levy (levy demo)
#   bash .ci/deps.sh --test   also everything the tests need (valgrind, python3, Chromium, node)
#   LEVY_WITH_BENCH=1         also the benchmark peers (nginx + ngx_lua, wrk)
set -euo pipefail
PKGS=(build-essential cmake pkg-config
      liblua5.4-dev lua5.4 lua-cjson lua-cjson-dev
      libevent-dev libssl-dev libcurl4-openssl-dev libsqlite3-dev sqlite3
      curl ca-certificates
      libpq-dev)  # libpq: the PostgreSQL store engine (core/store/pg.c, issue 22)
if [ "${1:-}" = "--test" ]; then
  # python3-yaml: the OpenAPI test; dpkg-dev: cpack -G DEB (dpkg-shlibdeps) in the package test
  PKGS+=(valgrind python3 python3-yaml procps openssl chromium dpkg-dev)
  # lintian: the packages' lint (ctest e2e_ops_lintian); file, binutils: cpack's DEB generator
  # (ELF detection, objcopy for the -dbgsym package)
  PKGS+=(lintian file binutils)
  # lua-check: luacheck, the Lua lint (ctest lint_lua, .luacheckrc); clang-format: lint_c
  PKGS+=(lua-check clang-format)
  # clang + its libFuzzer/sanitizer runtime: the fuzz targets (tests/fuzz)
  PKGS+=(clang libclang-rt-14-dev)
  # prometheus: its promtool checks /metrics and the example rules docs/alerts.yml
  # (reliab_metrics_conventions; without it the test's own Python checker still runs)
  PKGS+=(prometheus)
  # postgresql: the server binaries (initdb, pg_ctl) tests/pg/cluster.sh runs a throwaway
  # cluster with, for the tests of the PostgreSQL store engine (issue 22)
  PKGS+=(postgresql libpq-dev)
  # node/npm for the browser test driver (playwright-core) and the rate oracle: Debian's
  # packages unless a node is already installed some other way (its own npm would conflict).
  command -v node >/dev/null 2>&1 || PKGS+=(nodejs)
  command -v npm >/dev/null 2>&1 || PKGS+=(npm)
fi
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
