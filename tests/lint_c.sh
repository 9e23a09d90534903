#!/bin/sh
# C formatting lint: every C source and header under core/, tests/ and bench/ must match
# .clang-format exactly (a new file too: there is no list to join).
#   Usage: lint_c.sh SOURCE_DIR [CLANG_FORMAT]     exit 77 (skipped) without clang-format
set -u
src=$1
cf=${2:-clang-format}
command -v "$cf" >/dev/null 2>&1 || { echo "clang-format not found: apt-get install clang-format"; exit 77; }
cd "$src" || exit 1
bad=0
n=0
for f in $(find core tests bench -name node_modules -prune -o \( -name '*.c' -o -name '*.h' \) -print | sort); do
  n=$((n + 1))
  if ! "$cf" --dry-run -Werror --style=file "$f"; then
    echo "lint_c: $f does not follow .clang-format (fix: $cf -i $f)"
    bad=1
  fi
done
[ "$n" -gt 0 ] || { echo "lint_c: no C files found under $src"; exit 1; }
[ "$bad" = 0 ] && echo "lint_c: $n file(s) formatted"
exit $bad
