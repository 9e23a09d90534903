#!/bin/sh
# R1 lint (perf-anchors): secrets and MACs are compared in constant time only. Fails when the
# signature / crypto code compares with memcmp/strcmp/strncmp/bcmp (CRYPTO_memcmp is the one
# allowed), or when the webhook verifier compares a MAC or signature with Lua's == / ~=
# (crypto.equal is the one allowed).   Usage: lint_ct_compare.sh SOURCE_DIR
set -u
S=${1:-.}
bad=0
for f in "$S"/core/crypto/*.c "$S"/core/lua/bind_crypto.c; do
  if grep -nE '(^|[^_A-Za-z])(memcmp|strcmp|strncmp|bcmp|strcasecmp)[[:space:]]*\(' "$f" | grep -v 'CRYPTO_memcmp'; then
    echo "lint_ct_compare: $f: use levy_crypto_equal (CRYPTO_memcmp), not a short-circuit compare" >&2
    bad=1
  fi
done
for f in "$S"/plugins/rillet/webhook.lua; do
  # an identifier naming a MAC / signature / digest on either side of == or ~= (an empty-string
  # test of the header text, sig ~= "", is not a secret compare)
  if grep -nE '(mac|digest|hmac|expected|raw|sig)[A-Za-z_0-9]*[[:space:]]*(==|~=)[[:space:]]*[^"[:space:]]|[^"[:space:]][[:space:]]*(==|~=)[[:space:]]*(mac|digest|hmac|expected|raw)[A-Za-z_0-9]*' "$f" \
       | grep -vE '(==|~=)[[:space:]]*(nil|true|false|[0-9])'; then
    echo "lint_ct_compare: $f: compare MACs with crypto.equal, not == / ~=" >&2
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "lint_ct_compare: ok (constant-time compares only)"
exit $bad
