#!/usr/bin/env bash
# The whole platform through its public HTTP API: the shared contract smoke check (shape of every
# fixed route) against a fresh private stack; then, on the same stack with that traffic behind
# it, every process's /metrics is scraped and its names and types checked (metrics_scrape.py).
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
smoke=${AFTERCARE_CONTRACT_SMOKE:-$repo/../shared/tools/contract_smoke.py}
[[ -f $smoke ]] || smoke=$repo/tests/e2e/contract_smoke.py
exec "$repo/tests/e2e/on_private_stack.sh" contract-smoke 22000 \
  bash -c 'python3 "$1" "$AFTERCARE_GATEWAY" && python3 "$2"' _ "$smoke" "$repo/tests/e2e/metrics_scrape.py"
