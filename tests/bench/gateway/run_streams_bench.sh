#!/usr/bin/env bash
# Partner-streams benchmark (issue 17; not a ctest): brings up its own local stack (state
# .state/bench-streams, HTTP 56780, gRPC 56751+, metrics 56801+), seeds a project/unit/ticket,
# and measures with wrk, at fixed concurrency,
#   GET  /v1/tickets/{id}   and   POST /v1/tickets
# with no streams, then with BENCH_STREAMS partner SSE streams open (BENCH_PARTIES parties, one
# token subject per stream) while pgbench records BENCH_EVENT_RATE partner events per second in
# dispatch's feed, then with no streams again. Prints the p99 of the three runs and the ratio of
# the streams run to the mean of the other two (target <= 1.5x), the CPU each process spends on
# the open streams alone (10 s without API calls), the gateway's
# RSS with the streams open (target < 300 MB), and what the streams received (every event of
# its own party, in order, none of another party's). Writes build/bench-results/streams.md.
# Knobs: BENCH_STREAMS (5000), BENCH_PARTIES (100), BENCH_CONNECTIONS (16), BENCH_THREADS (2),
# BENCH_DURATION (15s), BENCH_EVENT_RATE (50).
set -euo pipefail
repo=$(cd "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd)
here=$repo/tests/bench/gateway
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install -y wrk)" >&2; exit 1; }
export AFTERCARE_LOCAL_STATE=$repo/.state/bench-streams
export AFTERCARE_PG_PORT=${AFTERCARE_PG_PORT:-56482} AFTERCARE_REDIS_PORT=${AFTERCARE_REDIS_PORT:-56389}
export AFTERCARE_HTTP_PORT=56780 AFTERCARE_GRPC_PORT_BASE=56751 AFTERCARE_METRICS_PORT_BASE=56801
export AFTERCARE_KAFKA_PORT=${AFTERCARE_KAFKA_PORT:-24692}
export AFTERCARE_SKIP_BUILD=1 AFTERCARE_JWT_SECRET=bench-secret
export AFTERCARE_RATE_LIMIT_PER_SECOND=100000 AFTERCARE_RATE_LIMIT_BURST=100000
# The phases measure the front door itself: no backpressure on the ticket path unless asked
# (AFTERCARE_GATEWAY_TICKET_LAG_LIMIT, README "Backpressure instead of an unbounded backlog").
export AFTERCARE_GATEWAY_TICKET_LAG_LIMIT=${AFTERCARE_GATEWAY_TICKET_LAG_LIMIT:-0}
export AFTERCARE_LOG_LEVEL=${AFTERCARE_LOG_LEVEL:-warn}
build=${AFTERCARE_BUILD_DIR:-$repo/build}
streams=${BENCH_STREAMS:-5000} parties=${BENCH_PARTIES:-100}
conns=${BENCH_CONNECTIONS:-16} threads=${BENCH_THREADS:-2} duration=${BENCH_DURATION:-15s}
rate=${BENCH_EVENT_RATE:-50}
url=http://127.0.0.1:$AFTERCARE_HTTP_PORT
client_pid= work=

cleanup() {
  if [[ -n $client_pid ]]; then kill "$client_pid" 2>/dev/null || true; fi
  "$repo/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
  if [[ -n $work ]]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT
cleanup
work=$(mktemp -d)
"$repo/deploy/local/up.sh" >/dev/null
gateway_pid=$(cat "$AFTERCARE_LOCAL_STATE/run/gateway.pid")
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$gateway_pid/status"; }
echo "== nofile limit of the gateway: $(awk '/Max open files/ {print $4}' "/proc/$gateway_pid/limits")"

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

# run_wrk LABEL RUN_ID: GET then POST; prints "p99_get p99_post rps_get rps_post errors".
run_wrk() {
  local g p
  # post_ticket.lua numbers its requests across wrk's threads; a fresh run id per phase keeps
  # the second phase's Idempotency-Keys from replaying the first's.
  export BENCH_THREADS=$threads BENCH_RUN=$2
  g=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/get_ticket.lua" \
    "$url/v1/tickets/$ticket_id" | grep RESULT)
  p=$(wrk -t"$threads" -c"$conns" -d"$duration" --latency -s "$here/post_ticket.lua" \
    "$url/v1/tickets" | grep RESULT)
  echo "-- $1 GET  $g" >&2
  echo "-- $1 POST $p" >&2
  echo "$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$g") $(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$p")" \
    "$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$g") $(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$p")" \
    "$(sed -E 's/.*errors_status=([0-9]+) errors_socket=([0-9]+).*/\1+\2/' <<<"$g$p")"
}

echo "== streams bench: nproc=$(nproc) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) load=$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== gateway RSS idle: $(rss_mb) MB"
read -r base_get base_post base_rps_get base_rps_post base_err < <(run_wrk "no streams" "base-$$")

per_party=$(((streams + parties - 1) / parties))
python3 "$here/streams_client.py" 127.0.0.1 "$AFTERCARE_HTTP_PORT" - "$parties" "$per_party" \
  "$work/ready" "$work/stop" >"$work/client.log" 2>&1 &
client_pid=$!
for _ in $(seq 1 600); do [[ -f $work/ready ]] && break; sleep 0.5; done
[[ -f $work/ready ]] || { cat "$work/client.log"; echo "streams did not all open" >&2; exit 1; }
cat "$work/client.log"
rss_open=$(rss_mb)
echo "== gateway RSS with $((parties * per_party)) streams open: $rss_open MB"
# Events flow to the streams during the measured run (pgbench paced at BENCH_EVENT_RATE/s).
pg_seconds=$((${duration%s} * 2 + 22))
pgbench_pid=
if ((rate > 0)); then
  "/usr/lib/postgresql/15/bin/pgbench" -n -h 127.0.0.1 -p "$AFTERCARE_PG_PORT" -U aftercare \
    -d aftercare_dispatch -f "$here/partner_event.sql" -D parties="$parties" -R "$rate" \
    -T "$pg_seconds" -c 2 >"$work/pgbench.log" 2>&1 &
  pgbench_pid=$!
fi
sleep 2
# What the open streams cost on their own (events flowing, no API calls): CPU of each process
# over 10 s, in % of one core.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
declare -A cpu_before
procs=(gateway dispatch intake)
for p in "${procs[@]}"; do cpu_before[$p]=$(cpu_ticks "$(cat "$AFTERCARE_LOCAL_STATE/run/$p.pid")"); done
client_before=$(cpu_ticks "$client_pid")
pg_total() { local t=0 p; for p in $(pgrep -x postgres); do t=$((t + $(cpu_ticks "$p"))); done; echo "$t"; }
pg_before=$(pg_total)
sleep 10
hz=$(getconf CLK_TCK)
idle_cpu=""
for p in "${procs[@]}"; do
  after=$(cpu_ticks "$(cat "$AFTERCARE_LOCAL_STATE/run/$p.pid")")
  idle_cpu+="$p $(awk -v a="$after" -v b="${cpu_before[$p]}" -v hz="$hz" 'BEGIN {printf "%.1f", (a - b) * 10 / hz}')%, "
done
idle_cpu+="stream client $(awk -v a="$(cpu_ticks "$client_pid")" -v b="$client_before" -v hz="$hz" 'BEGIN {printf "%.1f", (a - b) * 10 / hz}')%, "
idle_cpu+="postgres (all backends) $(awk -v a="$(pg_total)" -v b="$pg_before" -v hz="$hz" 'BEGIN {printf "%.1f", (a - b) * 10 / hz}')%"
echo "== CPU of the open streams alone (events flowing, no API calls), % of one core: $idle_cpu"
# Where the two cores go while the streams are open (one 5 s top sample, mid-run).
(sleep 8 && top -b -d 5 -n 2 -w 200 | awk '/^top -/ {n++} n == 2' | sed -n '7,16p' >"$work/top.txt") &
read -r s_get s_post s_rps_get s_rps_post s_err < <(run_wrk "$((parties * per_party)) streams" "streams-$$")
rss_load=$(rss_mb)
if [[ -n $pgbench_pid ]]; then wait "$pgbench_pid" || true; fi
echo "== CPU mid-run (top):"
awk '{print "   " $9 "% " $12}' "$work/top.txt"
sleep 3 # the last events reach the streams
touch "$work/stop"
wait "$client_pid" || true
client_pid=
summary=$(tail -n 1 "$work/client.log")
# The baseline again with the streams closed: the machine's load may have drifted meanwhile, so
# the ratio is taken against the mean of the two baselines (both are printed).
read -r base2_get base2_post base2_rps_get base2_rps_post base2_err < <(run_wrk "no streams (again)" "base2-$$")
events_written=$(grep -soE 'number of transactions actually processed: [0-9]+' "$work/pgbench.log" | grep -oE '[0-9]+$' || echo "?")
ratio_get=$(awk -v a="$s_get" -v b="$base_get" -v c="$base2_get" 'BEGIN {printf "%.2f", 2 * a / (b + c)}')
ratio_post=$(awk -v a="$s_post" -v b="$base_post" -v c="$base2_post" 'BEGIN {printf "%.2f", 2 * a / (b + c)}')

mkdir -p "$build/bench-results"
{
  echo "Run of $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average at the end $(cut -d' ' -f1-3 /proc/loadavg); wrk c=$conns t=$threads $duration per route."
  echo
  echo "| measure | no streams (before / after) | $((parties * per_party)) streams open, events flowing | ratio to the mean of before and after (target ≤ 1.5x) |"
  echo "| --- | --- | --- | --- |"
  echo "| \`GET /v1/tickets/{id}\` p99 | $base_get / $base2_get ms ($base_rps_get / $base2_rps_get req/s) | $s_get ms ($s_rps_get req/s) | ${ratio_get}x |"
  echo "| \`POST /v1/tickets\` p99 | $base_post / $base2_post ms ($base_rps_post / $base2_rps_post req/s) | $s_post ms ($s_rps_post req/s) | ${ratio_post}x |"
  echo "| errors (status+socket) | $base_err / $base2_err | $s_err | |"
  echo "| gateway RSS (target < 300 MB) | | $rss_open MB open, $rss_load MB after the run | |"
  echo
  echo "Streams: $summary; partner events written: $events_written over $parties parties."
  echo
  echo "CPU of the open streams alone (events flowing, no API calls), % of one core: $idle_cpu."
} | tee "$build/bench-results/streams.md"
