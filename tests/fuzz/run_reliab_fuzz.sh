#!/bin/sh
# Builds one libFuzzer target with clang (ASan + UBSan) and runs it.
#   run_reliab_fuzz.sh SOURCE_DIR OUT_DIR TARGET SECONDS
# Targets: fuzz_webhook_verify, fuzz_json_codec, fuzz_tax_decimal, fuzz_tax_request,
# fuzz_rillet_mapping, fuzz_http_gate (a few core files each), fuzz_http_request (the whole
# HTTP server path: evhttp + core/http/server.c and core/host/routes.c over a real host with
# the shipped plugins and rules) and
# fuzz_rule_load (a rule file through the real generation build: sandbox, loader, self-tests).
# The last two link all of core/ (built once per OUT_DIR with coverage: about 30 s on 2 cores).
# Longer run by hand (issue 15 asks for >= 10 minutes per target on the hardened code):
#   tests/fuzz/run_reliab_fuzz.sh . build-fuzz fuzz_http_request 600
#   tests/fuzz/run_reliab_fuzz.sh . build-fuzz fuzz_rule_load 600
# Extra libFuzzer flags can be given in LEVY_FUZZ_FLAGS (e.g. "-jobs=2 -workers=2").
set -eu
SRC=$(cd "$1" && pwd); T=$3; SECS=$4
mkdir -p "$2/corpus-$T"
OUT=$(cd "$2" && pwd)
CORE="$SRC/core/lua/bind_json.c $SRC/core/base/json_scan.c $SRC/core/base/json_doc.c $SRC/core/lua/lctx.c $SRC/core/base/err.c $SRC/core/base/file.c"
# core/tax minus update.c (levy rates update: downloads with libcurl, no part of a decision)
TAX="$(ls "$SRC"/core/tax/*.c | grep -v '/update\.c$' | tr '\n' ' ') $SRC/core/lua/bind_tax.c $SRC/core/lua/tax_stack.c $SRC/core/lua/bind_json.c $SRC/core/lua/bind_taxid.c $SRC/core/lua/bind_money.c $SRC/core/base/money.c $SRC/core/base/json_scan.c $SRC/core/base/json_doc.c $SRC/core/lua/lctx.c $SRC/core/base/err.c $SRC/core/base/file.c $SRC/core/base/clock.c $SRC/core/crypto/crypto.c $SRC/core/base/log.c"
CFLAGS="-std=c11 -D_GNU_SOURCE -D_DEFAULT_SOURCE -g -O1 -fno-sanitize-recover=undefined"
MAXLEN=4096; TIMEOUT=""
# All of core/ (minus main.c) compiled with coverage into OUT/core-objs, for the targets that
# drive the host as levy runs it; rebuilt whole when anything under core/ (or this script)
# changed since the last build.
whole_core() {
  OBJ="$OUT/core-objs"; mkdir -p "$OBJ"
  if [ ! -f "$OBJ/stamp" ] || [ -n "$(find "$SRC/core" "$0" -newer "$OBJ/stamp" | head -1)" ]; then
    rm -f "$OBJ"/*.o "$OBJ/stamp"
  fi
  FILES=$(find "$SRC/core/lua/runtime" "$SRC/core/store/migrations" -name '*.lua' -o -name '*.sql' | sort | tr '\n' ',' | sed 's/,$//')
  cmake -DOUT="$OBJ/embedded.c" -DROOT="$SRC" "-DFILES=$FILES" -P "$SRC/core/embed.cmake"
  # one compiler line per file, two at a time
  cat > "$OBJ/cc.sh" <<CC
#!/bin/sh
exec clang $CFLAGS -fsanitize=fuzzer-no-link,address,undefined -DLEVY_VERSION='"fuzz"' \\
  -DLEVY_SOURCE_DIR='"$SRC"' -DLEVY_INSTALL_DATADIR='"/nonexistent"' -I'$SRC/core/base' -I'$SRC/core' -I'$SRC/core/lua' \\
  $(pkg-config --cflags lua5.4 libevent libpq) -c "\$1" -o "\$2"
CC
  { find "$SRC/core" -name '*.c' ! -name main.c; echo "$OBJ/embedded.c"; } | while read -r f; do
    o="$OBJ/$(echo "${f#"$SRC"/}" | tr '/' '_').o"
    [ -f "$o" ] || echo "$f $o"
  done | xargs -r -P2 -n2 sh "$OBJ/cc.sh"
  touch "$OBJ/stamp"
  CORE="$OBJ/*.o"
  LIBS="-llua5.4-cjson $(pkg-config --libs libevent_core libevent_extra libevent_openssl libssl libcrypto sqlite3)"
}
case $T in
  fuzz_webhook_verify) CORE="$CORE $SRC/core/lua/bind_crypto.c $SRC/core/crypto/crypto.c $SRC/core/crypto/hook.c $SRC/core/lua/bind_time.c $SRC/core/base/log.c $SRC/core/base/clock.c $SRC/core/lua/bind_money.c $SRC/core/base/money.c"; LIBS="-lcrypto -levent" ;;
  fuzz_json_codec) LIBS="" ;;
  fuzz_rillet_mapping) CORE="$CORE $SRC/core/lua/bind_crypto.c $SRC/core/crypto/crypto.c $SRC/core/crypto/hook.c $SRC/core/lua/bind_time.c $SRC/core/base/log.c $SRC/core/base/clock.c $SRC/core/lua/bind_money.c $SRC/core/base/money.c"; LIBS="-lcrypto -levent" ;;
  fuzz_tax_decimal) CORE="$TAX"; LIBS="-llua5.4-cjson -lcrypto" ;;
  # the oracle checks every computation: levy_tax_compute is wrapped (tests/fuzz/fuzz_tax_request.c)
  fuzz_tax_request) CORE="$TAX"; LIBS="-llua5.4-cjson -lcrypto -Wl,--wrap=levy_tax_compute" ;;
  fuzz_http_gate) CORE="$SRC/core/http/gate.c"; LIBS="" ;;
  fuzz_http_request) whole_core; MAXLEN=8192; TIMEOUT="-timeout=60" ;;
  fuzz_rule_load) whole_core; MAXLEN=8192; TIMEOUT="-timeout=20" ;;
  *) echo "unknown target $T"; exit 2 ;;
esac
# shellcheck disable=SC2086
clang $CFLAGS -fsanitize=fuzzer,address,undefined \
  -I"$SRC/core/base" -I"$SRC/core" -I"$SRC/core/lua" $(pkg-config --cflags lua5.4) \
  -o "$OUT/$T" "$SRC/tests/fuzz/$T.c" $CORE $(pkg-config --libs lua5.4) $LIBS -lm -lpthread
SEEDS="$SRC/tests/fuzz/seeds/$T"
[ -d "$SEEDS" ] || SEEDS=""
# the tax targets load the rate tables from ./data (and fuzz_tax_request every rule in ./scripts)
cd "$SRC"
# shellcheck disable=SC2086
LEVY_SOURCE="$SRC" "$OUT/$T" -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=$MAXLEN \
  $TIMEOUT -artifact_prefix="$OUT/" ${LEVY_FUZZ_FLAGS:-} "$OUT/corpus-$T" $SEEDS
