#!/usr/bin/env bash
# Gateway benchmark (not a ctest): brings up its own local stack (state .state/bench-gw, HTTP
# 55780, gRPC 55751+, metrics 55801+, rate limit raised so the limiter does not cap the run),
# seeds a project/unit/ticket, then runs wrk at fixed concurrency against
#   GET  /v1/tickets/{id}   and   POST /v1/tickets
# and prints throughput and p50/p99 with nproc and the load average. Tears the stack down after.
# Knobs: BENCH_CONNECTIONS (16), BENCH_THREADS (2), BENCH_DURATION (15s).
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd)
here=$repo/tests/bench/gateway
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
export AFTERCARE_LOCAL_STATE=$repo/.state/bench-gw
export AFTERCARE_PG_PORT=${AFTERCARE_PG_PORT:-55482} AFTERCARE_REDIS_PORT=${AFTERCARE_REDIS_PORT:-55389}
export AFTERCARE_HTTP_PORT=55780 AFTERCARE_GRPC_PORT_BASE=55751 AFTERCARE_METRICS_PORT_BASE=55801 AFTERCARE_KAFKA_PORT=24592
export AFTERCARE_SKIP_BUILD=1 AFTERCARE_JWT_SECRET=bench-secret
export AFTERCARE_RATE_LIMIT_PER_SECOND=100000 AFTERCARE_RATE_LIMIT_BURST=100000
# The phases measure the front door itself: no backpressure on the ticket path unless asked
# (AFTERCARE_GATEWAY_TICKET_LAG_LIMIT, README "Backpressure instead of an unbounded backlog").
export AFTERCARE_GATEWAY_TICKET_LAG_LIMIT=${AFTERCARE_GATEWAY_TICKET_LAG_LIMIT:-0}
export AFTERCARE_LOG_LEVEL=${AFTERCARE_LOG_LEVEL:-warn}
build=${AFTERCARE_BUILD_DIR:-$repo/build}
conns=${BENCH_CONNECTIONS:-16} threads=${BENCH_THREADS:-2} duration=${BENCH_DURATION:-15s}
url=http://127.0.0.1:$AFTERCARE_HTTP_PORT

cleanup() { "$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
"$repo/deploy/local/up.sh" >/dev/null

token() { "$build/gateway/aftercare-gateway" --mint-token "$@"; }
export AFTERCARE_TOKEN=$(token --role admin --sub bench-admin --projects '*')
export BENCH_PROJECT=bench-p BENCH_UNIT=bench-p-u1
ticket_id=$(python3 - "$url" <<'PY'
import json, sys, os, urllib.request, datetime as dt
url, tok = sys.argv[1], os.environ["AFTERCARE_TOKEN"]
def call(method, path, body):
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)
p, u, today = os.environ["BENCH_PROJECT"], os.environ["BENCH_UNIT"], dt.date.today()
call("PUT", f"/v1/projects/{p}", {"name": "bench", "timezone": "Asia/Shanghai"})
call("PUT", f"/v1/projects/{p}/units/{u}", {"building": "1", "room": "101", "area_m2": 88.5,
     "owner_id": "bench-owner", "owner_name": "张三", "owner_phone": "13800138000",
     "handover_date": (today - dt.timedelta(days=200)).isoformat()})
call("PUT", f"/v1/projects/{p}/calendars/{today.year}", {"holidays": [], "workdays": []})
t = call("POST", "/v1/tickets", {"project_id": p, "unit_id": u, "kind": "repair",
         "category": "house_quality", "component": "plumbing", "urgency": "normal",
         "channel": "hotline", "description": "bench seed"})
print(t["ticket_id"])
PY
)

echo "== gateway bench: nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) c=$conns t=$threads d=$duration"
echo "-- GET /v1/tickets/$ticket_id"
wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/get_ticket.lua" "$url/v1/tickets/$ticket_id" |
  grep -E "RESULT|Non-2xx|Socket errors"
echo "-- POST /v1/tickets"
wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/post_ticket.lua" "$url/v1/tickets" |
  grep -E "RESULT|Non-2xx|Socket errors"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
# The gateway's added latency (against IntakeService.GetTicket called directly over gRPC in the
# same run) is measured by tests/bench/run, phase (8), with tests/bench/intake/intake_loadgen.
