#!/usr/bin/env bash
# The group view's benchmark (issue 20): GET /v1/reports/{period} read by an hq token over
# BENCH_GROUP_PROJECTS projects (500) holding a year of data, on a private stack
# (deploy/local/up.sh, own ports and state dir, torn down at the end). Not part of tests/run.
#
#   tests/bench/group/run_group_bench.sh
#
# Seeding: the projects through the API (so every service's projection knows them), then per
# project 50 units and per month BENCH_GROUP_PER_MONTH (20) tickets (intake), done callbacks with records
# (callback) and property-fee invoices (billing), written with SQL in the services' row shapes
# (the year before now). Measured: BENCH_GROUP_REQUESTS (10) sequential GETs of the year and of
# the last month, p50 / p99 / max; target p99 < 1 s.
# Knobs: BENCH_GROUP_PROJECTS, BENCH_GROUP_PER_MONTH, BENCH_GROUP_REQUESTS, and the stack's
# AFTERCARE_* ports (34xxx by default) and AFTERCARE_LOCAL_STATE (<repo>/.state/bench-group).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../../../deploy/local/lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/../../../deploy/local/lib.sh"
PROJECTS=${BENCH_GROUP_PROJECTS:-500}
PER_MONTH=${BENCH_GROUP_PER_MONTH:-20}
REQUESTS=${BENCH_GROUP_REQUESTS:-10}
export AFTERCARE_PG_PORT=${AFTERCARE_PG_PORT:-34532} AFTERCARE_REDIS_PORT=${AFTERCARE_REDIS_PORT:-34479}
export AFTERCARE_KAFKA_PORT=${AFTERCARE_KAFKA_PORT:-34192} AFTERCARE_HTTP_PORT=${AFTERCARE_HTTP_PORT:-34080}
export AFTERCARE_GRPC_PORT_BASE=${AFTERCARE_GRPC_PORT_BASE:-34051}
export AFTERCARE_METRICS_PORT_BASE=${AFTERCARE_METRICS_PORT_BASE:-34101}
export AFTERCARE_LOCAL_STATE=${AFTERCARE_LOCAL_STATE:-$AC_REPO/.state/bench-group}
export AFTERCARE_RATE_LIMIT_PER_SECOND=1000000 AFTERCARE_RATE_LIMIT_BURST=1000000
export AFTERCARE_SKIP_BUILD=1
trap '"$AC_REPO/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true' EXIT
"$AC_REPO/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true
timeout 300 "$AC_REPO/deploy/local/up.sh" >/dev/null
python3 - "$PROJECTS" "$PER_MONTH" "$REQUESTS" <<'PY'
import base64, concurrent.futures as cf, datetime as dt, hashlib, hmac, json, os, subprocess, sys, time, urllib.request
projects, per_month, requests = (int(x) for x in sys.argv[1:4])
gw = f"http://127.0.0.1:{os.environ['AFTERCARE_HTTP_PORT']}"
secret = os.environ.get("AFTERCARE_JWT_SECRET", "aftercare-dev-secret")
pg = [f"{os.environ.get('AC_PG_BIN', '/usr/lib/postgresql/15/bin')}/psql", "-X", "-q", "-v", "ON_ERROR_STOP=1",
      "-h", "127.0.0.1", "-p", os.environ["AFTERCARE_PG_PORT"], "-U", "aftercare"]

def b64(x): return base64.urlsafe_b64encode(x).rstrip(b"=").decode()
def token(role):
    h, b = b64(b'{"alg":"HS256","typ":"JWT"}'), b64(json.dumps({"sub": "bench-" + role, "role": role, "projects": ["*"],
                                                                 "exp": int(time.time()) + 7200}).encode())
    return f"{h}.{b}." + b64(hmac.new(secret.encode(), f"{h}.{b}".encode(), hashlib.sha256).digest())
def call(method, path, tok, body=None):
    req = urllib.request.Request(gw + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + tok})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, json.loads(r.read() or b"null")
def sql(db, text):
    subprocess.run(pg + ["-d", "aftercare_" + db], input=text.encode(), check=True)

admin, hq = token("admin"), token("hq")
t0 = time.monotonic()
with cf.ThreadPoolExecutor(16) as ex:
    list(ex.map(lambda i: call("PUT", f"/v1/projects/bg{i:04d}", admin, {"name": f"项目{i}", "timezone": "Asia/Shanghai"}),
                range(projects)))
# callback learns the projects from intake's events
deadline = time.monotonic() + 300
while True:
    out = subprocess.run(pg + ["-d", "aftercare_callback", "-At", "-c", "SELECT count(*) FROM callback_projects"],
                         capture_output=True, check=True).stdout.decode().strip()
    if int(out) >= projects or time.monotonic() > deadline: break
    time.sleep(1)
n = projects * 12 * per_month
# row g: project g % P, month (g / P) % 12 back from now, spread over the year before now
rows = f"SELECT g, 'bg' || lpad((g % {projects})::text, 4, '0') AS p, now() - interval '365 days' + (g::float8 / {n}) * interval '365 days' AS ts FROM generate_series(0, {n - 1}) g"
sql("intake", f"""INSERT INTO units (unit_id, project_id, building, room, area_centi_m2, owner_id, owner_name,
  owner_phone, handover_date)
SELECT 'bg' || lpad((g / 50)::text, 4, '0') || '-u' || (g % 50), 'bg' || lpad((g / 50)::text, 4, '0'), '1',
  lpad((g % 50)::text, 4, '0'), 9000, 'o-bg' || lpad((g / 50)::text, 4, '0') || (g % 50), '业主',
  '13900000000', current_date - 400 FROM generate_series(0, {projects * 50 - 1}) g;""")
sql("intake", f"""INSERT INTO tickets (ticket_id, ticket_no, project_id, unit_id, owner_id, kind, category,
  component, urgency, channel, repair_area, description, status, in_warranty, warranty_ends,
  reported_at, response_due, resolve_due, escalation_level, recurrence, owner_agent, reported_by,
  duplicate_of, responded_at, resolved_at, closed_at, fault_party, fault_party_id, fine_fen,
  assignee_party_id, created_at, updated_at, version)
SELECT md5('bg-' || g)::uuid, 'bg-' || g, p, p || '-u' || (g % 50), 'o-' || p || (g % 50), CASE WHEN g % 20 = 0 THEN 2 ELSE 1 END,
  g % 4 + 1, g % 13 + 1, 2, g % 6 + 1, 1, '历史工单', 5, true, (ts + interval '5 years')::date, ts,
  ts + interval '1 day', ts + interval '15 days', 0, 1, 'agent', 'agent', NULL,
  ts + interval '1 hour' + (g % 7) * interval '4 hours', ts + interval '6 days' + (g % 11) * interval '1 day',
  ts + interval '20 days', 0, '', 0, 'builder-' || p, ts, ts, 6 FROM ({rows}) s;""")
sql("callback", f"""INSERT INTO callbacks (callback_id, source_key, project_id, unit_id, owner_id, reason, due_at,
  status, created_at, updated_at, closed_at)
SELECT md5('bgc-' || g)::uuid, 'bench:' || g, p, p || '-u' || (g % 50), 'o-' || p || (g % 50), 'repair_completed',
  ts, 'done', ts - interval '3 days', ts, ts FROM ({rows}) s;
INSERT INTO callback_records (callback_id, satisfaction, score, attitude, timely, charge_ok, recorded_by,
  recorded_at, on_time, owner_confirmed)
SELECT md5('bgc-' || g)::uuid, CASE WHEN g % 9 = 0 THEN 'unsatisfied' WHEN g % 3 = 0 THEN 'basically_satisfied' ELSE 'satisfied' END,
  CASE WHEN g % 9 = 0 THEN 2 ELSE 5 END, 4, true, true, 'agent-' || (g % 7), ts, true, true FROM ({rows}) s;""")
sql("billing", f"""INSERT INTO invoices (invoice_id, project_id, unit_id, owner_id, payer, kind, period, amount_fen,
  paid_fen, due_date, status, issued_by, issued_at)
SELECT md5('bgi-' || g)::uuid, p, p || '-u' || (g / {projects}), 'o', 'owner', 'property_fee', to_char(ts, 'YYYY-MM'),
  20000, CASE WHEN g % 5 = 0 THEN 0 ELSE 20000 END, ts::date, CASE WHEN g % 5 = 0 THEN 'overdue' ELSE 'paid' END,
  'bench', ts FROM ({rows}) s;""")
for db in ("intake", "callback", "billing"):
    sql(db, "ANALYZE;")
seeded = time.monotonic() - t0
today = dt.date.today()
last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
print(f"group view bench: {projects} projects, {n} tickets, {n} done callbacks, {n} fee invoices over the year "
      f"before now (seeded in {seeded:.0f} s)")
import urllib.error
def service_seconds():
    """callback's own handling time of GroupReport (sum, count), also for calls the gateway gave up on."""
    port = int(os.environ["AFTERCARE_METRICS_PORT_BASE"]) + 2
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    got = {}
    for line in text.splitlines():
        if 'grpc_method="GroupReport"' in line and line.startswith("aftercare_grpc_server_handling_seconds_"):
            kind = line.split("{")[0].rsplit("_", 1)[1]
            if kind in ("sum", "count"):
                got[kind] = got.get(kind, 0) + float(line.rsplit(" ", 1)[1])
    return got.get("sum", 0.0), got.get("count", 0.0)
for period in (str(today.year), last_month):
    times, statuses, rows = [], {}, 0
    s0, c0 = service_seconds()
    for _ in range(requests):
        t = time.monotonic()
        try:
            status, body = call("GET", f"/v1/reports/{period}", hq)
            rows = len(body["projects"])
        except urllib.error.HTTPError as e:
            status = e.code
        times.append(time.monotonic() - t)
        statuses[status] = statuses.get(status, 0) + 1
    s1, c1 = service_seconds()
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    mean = (s1 - s0) / (c1 - c0) if c1 > c0 else float("nan")
    print(f"  GET /v1/reports/{period} as hq, {requests} sequential requests: statuses {statuses}, {rows} projects; "
          f"through the gateway p50 {p(0.5) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; "
          f"callback's GroupReport itself {mean * 1000:.0f} ms on average")
PY
