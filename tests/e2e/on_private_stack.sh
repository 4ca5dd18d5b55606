#!/usr/bin/env bash
# Runs one whole-platform check against a private full stack of its own, and always tears the
# stack down:
#   tests/e2e/on_private_stack.sh NAME PORT_BASE COMMAND [ARGS...]
# The stack lives in .state/e2e-NAME with PostgreSQL on PORT_BASE+432, Redis +379, the gateway
# +80, gRPC +51..55, metrics +101..105 and devbroker +92..94 (control +99) (PORT_BASE a multiple of 1000 below 32768, so nothing
# lands in the kernel's ephemeral range and checks can run side by side). COMMAND gets the gateway
# URL in AFTERCARE_GATEWAY and the JWT secret in AFTERCARE_JWT_SECRET; extra AFTERCARE_* settings
# for the services may be exported by the caller. On failure the stack's logs are kept in
# $AFTERCARE_BUILD_DIR/e2e-logs/NAME.
# AFTERCARE_E2E_PORT_SHIFT (default 0; 100, 200, 300 or 400) moves every port up, so engineers
# working in several checkouts of one machine can run the same check at once.
set -euo pipefail
name=$1 base=$(($2 + ${AFTERCARE_E2E_PORT_SHIFT:-0}))
shift 2
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
build=${AFTERCARE_BUILD_DIR:-$repo/build}

export AFTERCARE_LOCAL_STATE=$repo/.state/e2e-$name
export AFTERCARE_PG_PORT=$((base + 432)) AFTERCARE_REDIS_PORT=$((base + 379))
export AFTERCARE_HTTP_PORT=$((base + 80)) AFTERCARE_GRPC_PORT_BASE=$((base + 51))
export AFTERCARE_METRICS_PORT_BASE=$((base + 101)) AFTERCARE_KAFKA_PORT=$((base + 92))
export AFTERCARE_SKIP_BUILD=${AFTERCARE_SKIP_BUILD:-1}
export AFTERCARE_JWT_SECRET=${AFTERCARE_JWT_SECRET:-e2e-$name-secret}
export AFTERCARE_GATEWAY=http://127.0.0.1:$AFTERCARE_HTTP_PORT

rc=1
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if ((rc != 0)) && [[ -d $AFTERCARE_LOCAL_STATE/logs ]]; then
    local dest=$build/e2e-logs/$name
    rm -rf -- "$dest" && mkdir -p -- "$dest" &&
      cp -r -- "$AFTERCARE_LOCAL_STATE/logs/." "$dest/" 2>/dev/null &&
      echo "$name: stack logs kept in $dest" >&2
  fi
  "$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true # leftovers of a killed run
"$repo/deploy/local/up.sh" >/dev/null
"$@" && rc=0 || rc=$?
exit "$rc"
