#!/usr/bin/env bash
# The whole platform through its public HTTP API: brings up a second local stack (own state dir
# and ports, so it can run beside deploy/local/up.sh's), runs the shared contract smoke check
# against the gateway, and always tears the stack down.
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
smoke=${AFTERCARE_CONTRACT_SMOKE:-$repo/../shared/tools/contract_smoke.py}
if [[ ! -f $smoke ]]; then
  smoke=$repo/tests/e2e/contract_smoke.py
fi
export AFTERCARE_LOCAL_STATE=$repo/.state/e2e
export AFTERCARE_PG_PORT=58432 AFTERCARE_REDIS_PORT=58379 AFTERCARE_HTTP_PORT=58080
export AFTERCARE_GRPC_PORT_BASE=58051 AFTERCARE_METRICS_PORT_BASE=58101
export AFTERCARE_SKIP_BUILD=1 AFTERCARE_JWT_SECRET=e2e-secret
# On failure the stack's logs are kept in the build dir before the stack is wiped.
keep_logs() {
  local rc=$?
  if ((rc != 0)); then
    local dest=${AFTERCARE_BUILD_DIR:-$repo/build}/e2e-logs/contract_smoke
    rm -rf "$dest" && mkdir -p "$dest" && cp -r "$AFTERCARE_LOCAL_STATE/logs/." "$dest/" 2>/dev/null &&
      echo "stack logs kept in $dest" >&2
  fi
  "$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
  exit "$rc"
}
trap keep_logs EXIT
"$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
"$repo/deploy/local/up.sh" >/dev/null
python3 "$smoke" "http://127.0.0.1:$AFTERCARE_HTTP_PORT"
