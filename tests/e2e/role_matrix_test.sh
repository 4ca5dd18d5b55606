#!/usr/bin/env bash
# Every contract route as every role, in and out of scope (tests/e2e/role_matrix.py), against a
# private full stack.
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
exec "$repo/tests/e2e/on_private_stack.sh" role-matrix 20000 \
  bash -c 'python3 "$1" "$AFTERCARE_GATEWAY"' _ "$repo/tests/e2e/role_matrix.py"
