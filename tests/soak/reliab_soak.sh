#!/bin/sh
# Long reliability runs (see tests/soak/README.md). Usage: tests/soak/reliab_soak.sh BUILD_DIR
set -eu
B=${1:-build}
python3 tests/e2e/reliab/kill9.py "$B/levy" . 500 19000
python3 tests/e2e/reliab/writeback_kill.py "$B/levy" . 300 19020
LEVY_POWERLOSS_POINTS=20000 LEVY_SOURCE=$PWD "$B/tests/test_powerloss"
python3 tests/e2e/reliab/io_fault_http.py "$B/levy" . 19080 50
python3 tests/e2e/reliab/retry_storm.py "$B/levy" . 19500 60 2500
RELIAB_DOWN=close python3 tests/e2e/reliab/retry_storm.py "$B/levy" . 19500 60 2500
for t in fuzz_webhook_verify fuzz_rillet_mapping fuzz_json_codec fuzz_tax_decimal fuzz_tax_request fuzz_http_request fuzz_rule_load; do
  tests/fuzz/run_reliab_fuzz.sh . "$B/reliab-fuzz" "$t" 600
done
