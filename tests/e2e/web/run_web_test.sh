#!/usr/bin/env bash
# The web console end to end (issue 12): the console's unit tests (vitest), then a private full
# stack (own state dir and ports, dev login on) whose gateway serves the built console, seeded
# through the public API, driven by Playwright in Debian's headless Chromium
# (tests/e2e/web/console_test.mjs). Screenshots of every page go to
# $AFTERCARE_BUILD_DIR/e2e-artifacts/web/*.png; the stack is always torn down, its logs kept in
# $AFTERCARE_BUILD_DIR/e2e-logs/web on failure.
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd)
build=${AFTERCARE_BUILD_DIR:-$repo/build}
here=$repo/tests/e2e/web
web_src=$repo/gateway/web
dist=$build/gateway/web/dist
artifacts=$build/e2e-artifacts/web

fail() {
  echo "web_console_e2e: $*" >&2
  echo "web_console: 0 passed, 1 failed"
  exit 1
}
command -v node >/dev/null && command -v npm >/dev/null ||
  fail "Node.js and npm are missing (Debian package nodejs; deploy/local/lib.sh installs it)"
chromium=${AFTERCARE_CHROMIUM:-/usr/bin/chromium}
[[ -x $chromium ]] || fail "no Chromium at $chromium (Debian package chromium)"
[[ -f $dist/index.html ]] ||
  fail "the web console is not built ($dist/index.html missing): build the target aftercare_web (needs npm and the npm registry once)"

# Unit tests of the console's pure helpers (SLA countdowns, i18n, error words, money).
bash "$web_src/npm_build.sh" --deps-only || fail "npm ci in gateway/web failed"
(cd "$web_src" && npm test --silent) || fail "the console's unit tests (npm test in gateway/web) failed"

# playwright-core for the browser test (its own package.json and lock in this folder).
(
  cd "$here"
  want=$(sha256sum package-lock.json | cut -d' ' -f1)
  have=$(cat node_modules/.aftercare-lock.sha256 2>/dev/null || true)
  if [[ ! -d node_modules || $have != "$want" ]]; then
    npm ci --no-audit --no-fund --prefer-offline --loglevel=error ||
      npm install --no-save --no-audit --no-fund --prefer-offline --loglevel=error
    printf '%s\n' "$want" >node_modules/.aftercare-lock.sha256
  fi
) || fail "npm ci in tests/e2e/web failed"

export AFTERCARE_DEV_LOGIN=1 AFTERCARE_WEB_ROOT=$dist AFTERCARE_CHROMIUM=$chromium
# Issue 20's KPI alerts: callback's period-close sweep every 2 s and without the hour's grace,
# so the alert of last month appears while the test watches (console_test.mjs).
export AFTERCARE_CALLBACK_CLOSE_INTERVAL_S=2 AFTERCARE_CALLBACK_CLOSE_GRACE_S=0
rm -rf -- "$artifacts"
mkdir -p "$artifacts"
rc=0
"$repo/tests/e2e/on_private_stack.sh" web 23000 \
  bash -c 'node "$1" "$AFTERCARE_GATEWAY" "$2"' _ "$here/console_test.mjs" "$artifacts" || rc=$?
echo "web_console_e2e: screenshots in $artifacts" >&2
exit "$rc"
