#!/bin/sh
# Writes tests/costs.txt from the per-test times ctest kept in a build tree after ONE full run
# in a fresh tree (from its second run on, ctest's file mixes the COST given into the average):
#   cmake -S . -B build-costs && cmake --build build-costs -j2
#   unshare -n sh -c 'ip link set lo up && ctest --test-dir build-costs -j3'
#   tests/update-costs.sh build-costs
# ctest keeps them in BUILD/Testing/Temporary/CTestCostData.txt ("name runs average-seconds"
# lines, then "---" and the names that failed). tests/CMakeLists.txt gives every test its time
# as its COST, so a clean clone (no CTestCostData.txt yet) still starts the long tests first.
set -eu
data=${1:?usage: update-costs.sh BUILD_DIR}/Testing/Temporary/CTestCostData.txt
out=$(dirname "$0")/costs.txt
if awk '$0 == "---" { exit } NF == 3 && $2 > 1 { found = 1 } END { exit !found }' "$data"; then
  echo "update-costs.sh: $data holds more than one run (their average includes the COST given);" >&2
  echo "  take the times from one run in a fresh build tree" >&2
  exit 1
fi
{
  echo "# test seconds: one run's wall time on the 2-core CI machine (tests/update-costs.sh);"
  echo "# only the order matters: ctest -j starts the highest COST first"
  awk '$0 == "---" { exit } NF == 3 && $2 == 1 && $3 >= 1 { printf "%s %d\n", $1, $3 + 0.5 }' "$data" |
    sort -k2,2nr -k1,1
} > "$out"
