#!/bin/sh
# C formatting lint: every file listed in tests/lint_c.txt must match .clang-format exactly.
#   Usage: lint_c.sh SOURCE_DIR [CLANG_FORMAT]     exit 77 (skipped) without clang-format
set -u
src=$1
cf=${2:-clang-format}
command -v "$cf" >/dev/null 2>&1 || { echo "clang-format not found: apt-get install clang-format"; exit 77; }
cd "$src" || exit 1
bad=0
n=0
for f in $(grep -v '^#' tests/lint_c.txt); do
  n=$((n + 1))
  if [ ! -f "$f" ]; then echo "lint_c: $f is listed in tests/lint_c.txt but missing"; bad=1; continue; fi
  if ! "$cf" --dry-run -Werror --style=file "$f"; then
    echo "lint_c: $f does not follow .clang-format (fix: $cf -i $f)"
    bad=1
  fi
done
[ "$bad" = 0 ] && echo "lint_c: $n file(s) formatted"
exit $bad
