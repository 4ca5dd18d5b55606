#!/usr/bin/env bash
# The after-sales stories of issue 9 as assertions: brings up a private full stack (own state dir
# and ports, fast sweepers so time-based steps take seconds), runs tests/e2e/stories.py --check
# against its gateway (every number checked, partner feeds included) and always tears the stack
# down. On failure the services' logs are kept in $AFTERCARE_BUILD_DIR/e2e-stories-logs.
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
build=${AFTERCARE_BUILD_DIR:-$repo/build}

export AFTERCARE_LOCAL_STATE=$repo/.state/e2e-stories
export AFTERCARE_PG_PORT=58532 AFTERCARE_REDIS_PORT=58579 AFTERCARE_HTTP_PORT=58180
export AFTERCARE_GRPC_PORT_BASE=58151 AFTERCARE_METRICS_PORT_BASE=58201
export AFTERCARE_SKIP_BUILD=1 AFTERCARE_JWT_SECRET=e2e-stories-secret
# Sweepers every 2 s: the late builder is rerouted, overdue notices go out, within seconds.
export AFTERCARE_DISPATCH_SWEEP_INTERVAL_S=2 AFTERCARE_CALLBACK_GENERATOR_INTERVAL_S=2
export AFTERCARE_LOYALTY_SWEEP_S=2 AFTERCARE_BILLING_SWEEP_INTERVAL_S=2

rc=1
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if ((rc != 0)) && [[ -d $AFTERCARE_LOCAL_STATE/logs ]]; then
    rm -rf -- "$build/e2e-stories-logs"
    cp -r -- "$AFTERCARE_LOCAL_STATE/logs" "$build/e2e-stories-logs" 2>/dev/null &&
      echo "stories_e2e: service logs kept in $build/e2e-stories-logs" >&2
  fi
  "$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true  # leftovers of a killed run
"$repo/deploy/local/up.sh" >/dev/null
python3 "$repo/tests/e2e/stories.py" --check --gateway "http://127.0.0.1:$AFTERCARE_HTTP_PORT" \
  --wait 45 && rc=0 || rc=$?
exit "$rc"
