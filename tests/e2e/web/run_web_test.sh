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

export AFTERCARE_LOCAL_STATE=$repo/.state/web
export AFTERCARE_PG_PORT=23432 AFTERCARE_REDIS_PORT=23379 AFTERCARE_HTTP_PORT=23080
export AFTERCARE_GRPC_PORT_BASE=23051 AFTERCARE_METRICS_PORT_BASE=23101
export AFTERCARE_SKIP_BUILD=1 AFTERCARE_JWT_SECRET=web-e2e-secret AFTERCARE_DEV_LOGIN=1
export AFTERCARE_WEB_ROOT=$dist

rc=1
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if ((rc != 0)) && [[ -d $AFTERCARE_LOCAL_STATE/logs ]]; then
    rm -rf -- "$build/e2e-logs/web"
    mkdir -p "$build/e2e-logs" && cp -r -- "$AFTERCARE_LOCAL_STATE/logs" "$build/e2e-logs/web" 2>/dev/null &&
      echo "web_console_e2e: stack logs kept in $build/e2e-logs/web" >&2
  fi
  "$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true # leftovers of a killed run
"$repo/deploy/local/up.sh" >/dev/null
rm -rf -- "$artifacts"
mkdir -p "$artifacts"
AFTERCARE_CHROMIUM=$chromium node "$here/console_test.mjs" "http://127.0.0.1:$AFTERCARE_HTTP_PORT" "$artifacts" &&
  rc=0 || rc=$?
echo "web_console_e2e: screenshots in $artifacts" >&2
exit "$rc"
