#!/usr/bin/env bash
# The group view's benchmark (issue 20): GET /v1/reports/{period} read by an hq token over
# BENCH_GROUP_PROJECTS projects (500) holding a year of data, on a private stack
# (deploy/local/up.sh, own ports and state dir, torn down at the end). Not part of tests/run.
#
#   tests/bench/group/run_group_bench.sh
#
# Seeding: the projects through the API (so every service's projection knows them), then per
# project 50 units and per month BENCH_GROUP_PER_MONTH (20) tickets (intake), done callbacks with records
# (callback), property-fee invoices (billing) and signed-off work orders with their reworks
# (dispatch), written with SQL in the services' row shapes (the year before now). Measured: BENCH_GROUP_REQUESTS (10) sequential GETs of the year and of
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
# BENCH_GROUP_KEEP=1 leaves the seeded stack up afterwards (EXPLAIN ANALYZE on its databases;
# deploy/local/down.sh --wipe with the same AFTERCARE_* variables takes it down).
if [[ ${BENCH_GROUP_KEEP:-0} != 1 ]]; then
  trap '"$AC_REPO/deploy/local/down.sh" --wipe >/dev/null 2>&1 || true' EXIT
fi
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
# dispatch: one work order per ticket (60 % to one of 40 builders, 25 % to one of 25 contractors
# shared across the projects, the rest to the project's crew), signed off 5 days after, started
# 0-32 h after the report against a 24-h on-site deadline; every 15th is reworked (a second order
# of origin rework). The doc is the aftercare.v1.WorkOrder the API returns, encoded here with the
# fields a real order of that life carries (routing, sign-offs, notes).
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)
def fld(num, wt, payload):
    key = varint((num << 3) | wt)
    return key + (varint(payload) if wt == 0 else varint(len(payload)) + payload)
def s(num, text): return fld(num, 2, text.encode()) if text else b""
def e(num, n): return fld(num, 0, n) if n else b""
def ts(num, t): return fld(num, 2, fld(1, 0, int(t.timestamp())) + (fld(2, 0, t.microsecond * 1000) if t.microsecond else b""))
def work_order(wid, ticket, p, unit, kind, party, builder, status, origin, rework_of, created, deadline, started, signed):
    doc = (s(1, wid) + s(2, ticket) + e(3, kind) + s(4, party) + e(5, status) + ts(7, deadline) + fld(9, 0, 12000)
           + s(10, rework_of) + ts(11, created) + s(12, p) + s(13, unit) + s(14, "bench-" + ticket[:8]) + e(15, 1)
           + e(16, 1) + e(17, 3) + e(18, 2) + e(19, 1) + ts(21, created + dt.timedelta(days=15)) + s(22, builder)
           + e(23, origin) + s(30, "更换密封条, 已试水") + ts(34, started) + ts(35, started)
           + ts(36, signed - dt.timedelta(hours=2)) + ts(37, signed) + ts(38, signed) + e(39, 6)
           + s(41, "in warranty: builder first" if kind == 1 else "large job: contractor"))
    for signer, who in ((1, "o-" + unit), (2, "maint-" + p)):
        doc += fld(31, 2, e(1, signer) + s(2, who) + ts(3, signed))
    return doc
import io
now = dt.datetime.now(dt.timezone.utc)
start = now - dt.timedelta(days=365)
buf = io.StringIO()
orders = 0
def row(wid, source, ticket, p, unit, origin_name, kind, party, builder, created, deadline, started, signed, rework_of, origin):
    global orders
    kinds = {1: "builder", 2: "crew", 3: "contractor"}
    doc = work_order(wid, ticket, p, unit, kind, party, builder, 6, origin, rework_of or "", created, deadline, started, signed)
    iso = lambda t: t.isoformat()  # noqa: E731
    buf.write("\t".join([wid, source, ticket, p, unit, origin_name, kinds[kind], party, builder, "signed_off", "t", "f",
                          iso(deadline), iso(created + dt.timedelta(days=15)), "12000", rework_of or "\\N", iso(created),
                          iso(signed), iso(signed), "6", "\\\\x" + doc.hex(),
                          # the report columns (dispatch migration 006) as the store writes them
                          iso(started), "f", "\\N", "0", "\\N", "\\N", "0", "\\N", "0",
                          "t" if kind != 1 else "f", "1",
                          # migration 007: a rework's original (here the same party and kind)
                          party if rework_of else "\\N", kinds[kind] if rework_of else "\\N"]) + "\n")
    orders += 1
for g in range(n):
    p = f"bg{g % projects:04d}"
    created = start + dt.timedelta(days=365) * (g / n)
    kind = 1 if g % 20 < 12 else 3 if g % 20 < 17 else 2
    party = f"bld-{g % 40}" if kind == 1 else f"ctr-{g % 25}" if kind == 3 else "crew-" + p
    builder = f"bld-{g % 40}"
    deadline = created + dt.timedelta(hours=24)
    started = created + dt.timedelta(hours=4 * (g % 9))
    signed = created + dt.timedelta(days=5)
    wid = f"bgw-{g}"
    unit = f"{p}-u{g % 50}"
    row(wid, "ticket:bg-" + str(g), f"bg-{g}", p, unit, "initial", kind, party, builder, created, deadline, started, signed,
        None, 1)
    if g % 15 == 0:
        rc = created + dt.timedelta(days=7)
        row(f"bgw-r{g}", "rework:bg-" + str(g), f"bg-{g}", p, unit, "rework", kind, party, builder, rc,
            rc + dt.timedelta(hours=24), rc + dt.timedelta(hours=3), rc + dt.timedelta(days=4), wid, 2)
copy = ("COPY work_orders (work_order_id, source_key, ticket_id, project_id, unit_id, origin, assignee_kind, party_id, "
        "builder_party_id, status, in_warranty, paid, deadline, resolve_due, cost_fen, rework_of, created_at, "
        "signed_off_at, updated_at, version, doc, started_at, rerouted, rating_at, rating_score, rating_technician, "
        "quote_confirmed_at, quote_fen, verifier_signed_at, owner_signs_on_behalf, warranty_advanced, report_columns, "
        "rework_of_party, rework_of_kind) "
        "FROM STDIN;\n")
sql("dispatch", copy + buf.getvalue() + "\\.\n")
for db in ("intake", "callback", "billing", "dispatch"):
    sql(db, "ANALYZE;")
seeded = time.monotonic() - t0
today = dt.date.today()
last_month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
print(f"group view bench: {projects} projects, {n} tickets, {n} done callbacks, {n} fee invoices, {orders} work "
      f"orders over the year before now (seeded in {seeded:.0f} s)")
import urllib.error
def service_seconds(offset=2, method="GroupReport"):
    """A service's own handling time of a method (sum, count), also for calls the caller gave up
    on; offset: the service's metrics port after the base (intake 0, dispatch 1, callback 2,
    billing 4)."""
    port = int(os.environ["AFTERCARE_METRICS_PORT_BASE"]) + offset
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    got = {}
    for line in text.splitlines():
        if f'grpc_method="{method}"' in line and line.startswith("aftercare_grpc_server_handling_seconds_"):
            kind = line.split("{")[0].rsplit("_", 1)[1]
            if kind in ("sum", "count"):
                got[kind] = got.get(kind, 0) + float(line.rsplit(" ", 1)[1])
    return got.get("sum", 0.0), got.get("count", 0.0)
for period in (str(today.year), last_month):
    times, statuses, rows = [], {}, 0
    load_before = open("/proc/loadavg").read().split()[:3]
    s0, c0 = service_seconds()
    parts = {m: service_seconds(o, m) for o, m in ((0, "GroupStats"), (4, "GroupProjectReport"), (1, "GroupRepairReport"))}
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
    spent = []
    for (o, m) in ((0, "GroupStats"), (4, "GroupProjectReport"), (1, "GroupRepairReport")):
        a1, n1 = service_seconds(o, m)
        a0, n0 = parts[m]
        spent.append(f"{m} {(a1 - a0) / (n1 - n0) * 1000:.0f} ms" if n1 > n0 else f"{m} -")
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    mean = (s1 - s0) / (c1 - c0) if c1 > c0 else float("nan")
    print(f"  GET /v1/reports/{period} as hq, {requests} sequential requests: statuses {statuses}, {rows} projects; "
          f"through the gateway p50 {p(0.5) * 1000:.0f} ms, p99 {p(0.99) * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms; "
          f"callback's GroupReport itself {mean * 1000:.0f} ms on average; the grouped RPCs (mean, run at once): "
          + ", ".join(spent) + f"; load average before {' '.join(load_before)}, after "
          + " ".join(open("/proc/loadavg").read().split()[:3]))
PY
