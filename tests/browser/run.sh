#!/bin/sh
# Runs the web UI browser test: installs playwright-core (npm) next to it when missing,
# then drives /usr/bin/chromium against a real levy serve + levy sim.
# usage: run.sh /path/to/levy   (LEVY_BROWSER_TEST=exposure.test.js runs another script of this directory)
set -e
here=$(cd "$(dirname "$0")" && pwd)
[ -x /usr/bin/chromium ] || { echo "SKIP: /usr/bin/chromium not installed"; exit 77; }
command -v node >/dev/null 2>&1 || { echo "SKIP: node not installed"; exit 77; }
# one install at a time: ctest -j runs several browser tests at once on a fresh clone, and a
# second npm install into the same node_modules replaced the first one's while its test
# started ("playwright-core missing" in a clean-clone CI)
if [ ! -f "$here/node_modules/playwright-core/package.json" ]; then
  (
    flock 9
    [ -f "$here/node_modules/playwright-core/package.json" ] ||
      (cd "$here" && npm install --no-audit --no-fund playwright-core@1)
  ) 9>"$here/.npm-install.lock"
fi
exec node "$here/${LEVY_BROWSER_TEST:-ui.test.js}" "$@"
