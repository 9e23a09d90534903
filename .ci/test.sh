#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh --test
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
# -j3 on two cores: many end-to-end tests spend most of their time waiting (a Rillet rate
# window, an outage's back-off, replicas' leases), and every test must pass with another
# CPU-heavy job beside it (issue 18) — a whole run at -j3 beside other work passed
ctest --test-dir build --output-on-failure -j3 "$@"
