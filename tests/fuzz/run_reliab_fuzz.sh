#!/bin/sh
# Builds one libFuzzer target (webhook verify, JSON codec, tax decimal, tax request, HTTP gate) with clang (ASan + UBSan) and runs it.
#   run_reliab_fuzz.sh SOURCE_DIR OUT_DIR TARGET SECONDS
# Longer run by hand:  tests/fuzz/run_reliab_fuzz.sh . build-fuzz fuzz_webhook_verify 600
set -eu
SRC=$(cd "$1" && pwd); T=$3; SECS=$4
mkdir -p "$2/corpus-$T"
OUT=$(cd "$2" && pwd)
CORE="$SRC/core/lua/bind_json.c $SRC/core/json_scan.c $SRC/core/lua/lctx.c $SRC/core/err.c"
TAX="$(ls "$SRC"/core/tax/*.c | tr '\n' ' ') $SRC/core/lua/bind_tax.c $SRC/core/lua/bind_money.c $SRC/core/money.c $SRC/core/json_scan.c $SRC/core/lua/lctx.c $SRC/core/err.c"
case $T in
  fuzz_webhook_verify) CORE="$CORE $SRC/core/lua/bind_crypto.c $SRC/core/crypto/crypto.c $SRC/core/log.c $SRC/core/clock.c"; LIBS="-lcrypto" ;;
  fuzz_json_codec) LIBS="" ;;
  fuzz_rillet_mapping) CORE="$CORE $SRC/core/lua/bind_crypto.c $SRC/core/crypto/crypto.c $SRC/core/lua/bind_time.c $SRC/core/log.c $SRC/core/clock.c"; LIBS="-lcrypto -levent" ;;
  fuzz_tax_decimal) CORE="$TAX"; LIBS="-llua5.4-cjson" ;;
  # the oracle checks every computation: levy_tax_compute is wrapped (tests/fuzz/fuzz_tax_request.c)
  fuzz_tax_request) CORE="$TAX"; LIBS="-llua5.4-cjson -Wl,--wrap=levy_tax_compute" ;;
  fuzz_http_gate) CORE="$SRC/core/http/gate.c"; LIBS="" ;;
  *) echo "unknown target $T"; exit 2 ;;
esac
# shellcheck disable=SC2086
clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -I"$SRC/core" -I"$SRC/core/lua" $(pkg-config --cflags lua5.4) \
  -o "$OUT/$T" "$SRC/tests/fuzz/$T.c" $CORE $(pkg-config --libs lua5.4) $LIBS -lm -lpthread
SEEDS="$SRC/tests/fuzz/seeds/$T"
[ -d "$SEEDS" ] || SEEDS=""
# the tax targets load the rate tables from ./data (and fuzz_tax_request every rule in ./scripts)
cd "$SRC"
LEVY_SOURCE="$SRC" "$OUT/$T" -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$OUT/" "$OUT/corpus-$T" $SEEDS
