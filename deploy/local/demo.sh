#!/usr/bin/env bash
#
# The whole after-sales story, end to end, in one command (after deploy/local/up.sh):
#
#   deploy/local/up.sh && deploy/local/demo.sh
#
# Seeds a fresh project (unique ids, so it can run again and again) and tells five stories through
# the public HTTP API only: a roof leak in warranty rerouted from a late builder to the contractor,
# a paid repair out of warranty, a bathroom leak that escalates to HQ, the month's billing with
# arrears and a points redemption, and the month's report; then the stories of later issues, each
# in its own module tests/e2e/stories_<topic>.py: an owner without the app (stories_hotline.py,
# issue 23: her appointment agreed and refused by phone, the repair plan she approves on the phone
# before work starts, her signature from the paper slip, her rating taken by the agent), a planned
# water cut announced to one building and a lift that five homes report: the platform proposes one
# incident with one work order under the project's rule, an agent confirms it and the building is
# told, an unsatisfied neighbour reopens it for one rework, a proposal for two separate faults is
# dismissed, then announcements with their read counts (stories_incidents.py, issue 23), what every owner was told by SMS (stories_messages.py,
# issue 18: a provider the story starts locally, an opt-out, a night-time emergency, receipts), the
# month's KPIs against the project's targets (stories_satisfaction.py, issue 20: callback quotas by
# title, the year report, the supervisors' KPI alerts, an hq token that may write nothing; and a
# survey campaign to one building, answered in the portal and by phone, stories_surveys.py), and a
# unit's handover (stories_handover.py, issue 19: inspection defects to the builder, the keys and
# the owner's key-collection reminder, a warranty ticket, a decoration permit's deposit and fee
# invoiced in billing, paid, and refunded minus the deduction once). The program is tests/e2e/stories.py (the e2e
# test runs the same stories with --check); it mints its own tokens.
#
# Environment (same defaults as up.sh): AFTERCARE_HTTP_PORT (8080), AFTERCARE_JWT_SECRET
# (aftercare-dev-secret). Extra arguments go to stories.py, e.g. --check to assert every number.
# With up.sh's default sweeper period (30 s) the late builder is rerouted within about a minute.
set -euo pipefail

repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
export AFTERCARE_JWT_SECRET=${AFTERCARE_JWT_SECRET:-aftercare-dev-secret}
gateway=http://127.0.0.1:${AFTERCARE_HTTP_PORT:-8080}

if ! python3 - "$gateway/healthz" <<'PY'; then
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1], timeout=5) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
  echo "demo: the gateway at $gateway is not healthy; start the platform first: deploy/local/up.sh" >&2
  exit 1
fi
exec python3 "$repo/tests/e2e/stories.py" --gateway "$gateway" "$@"
