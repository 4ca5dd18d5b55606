#!/usr/bin/env bash
# The after-sales stories of issue 9 as assertions: tests/e2e/stories.py --check against a private
# full stack with fast sweepers (the late builder is rerouted, overdue notices go out, within
# seconds); every number checked, partner feeds included.
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
export AFTERCARE_DISPATCH_SWEEP_INTERVAL_S=2 AFTERCARE_CALLBACK_GENERATOR_INTERVAL_S=2
export AFTERCARE_LOYALTY_SWEEP_S=2 AFTERCARE_BILLING_SWEEP_INTERVAL_S=2
exec "$repo/tests/e2e/on_private_stack.sh" stories 21000 \
  bash -c 'python3 "$1" --check --gateway "$AFTERCARE_GATEWAY" --wait 45' _ \
  "$repo/tests/e2e/stories.py"
