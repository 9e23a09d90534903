#!/usr/bin/env bash
# Builds levy with -DLEVY_SANITIZE=ON in its own tree and runs the C unit tests there.
set -euo pipefail
src=$1; out=$2
cmake -S "$src" -B "$out" -DLEVY_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$out" -j"$(nproc)" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$out" -L unit --output-on-failure
