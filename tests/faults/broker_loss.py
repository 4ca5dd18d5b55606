#!/usr/bin/env python3
"""Broker-loss suite (issue 16): the one-machine stack loses nothing when its Kafka or the whole
machine restarts. devbroker keeps its data in memory, so a restart is a new, empty cluster.

Brings up a private stack with deploy/local/up.sh, runs a steady stream of tickets through the
gateway (each with its own Idempotency-Key, retried with the SAME key on 503 / no answer, as
clients do), and then:

  1. Broker lost while a consumer is down: dispatch killed; tickets accepted meanwhile (their
     events already published, so intake's outbox has marked them sent); devbroker killed with
     SIGKILL; /healthz must turn 503 "degraded" naming the broker; up.sh restarts devbroker and
     dispatch only. Then every accepted ticket has exactly one work order, tickets accepted after
     the restart flow too, devbroker is back on the same ports, and no other process was
     restarted (they reconnected by themselves).
  2. Power cut: owners' sign-offs and satisfied callbacks just recorded (their events in flight),
     invoices issued; then every process of the stack (gateway, services, devbroker, Redis,
     PostgreSQL and its backends) killed with SIGKILL at once, and up.sh run. Then again every
     ticket has exactly one work order, every sign-off exactly one callback, every satisfied
     callback exactly 50 survey points in one ledger entry, the invoices are the same ones, all
     outboxes drain and no dead letters.

Exit 0 = all checks passed, 1 = a check failed. Env: AFTERCARE_BUILD_DIR (binaries to copy),
AFTERCARE_BROKER_LOSS_KEEP=1 (leave the stack running).
"""
import datetime as dt
import itertools
import os
import random
import signal
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aftercare_http import (REPO, SERVICES, Stack, Timeout, call, eventually, finish,  # noqa: E402
                            log, mint)

STACK = Stack(
    state=os.environ.get("AFTERCARE_BROKER_LOSS_STATE", os.path.join(REPO, ".state", "broker-loss")),
    pg_port=27632, redis_port=27679, http_port=27280, grpc_base=27251, metrics_base=27301,
    kafka_port=27592, secret="broker-loss-secret",
    extra_env={"AFTERCARE_LOG_LEVEL": "info"},
)
B, SECRET = STACK.base, STACK.secret
RUN = f"{int(time.time())}{random.randint(100, 999)}"
P = "bl" + RUN
UNITS = 40
EFFECT_OWNERS = 4
CATEGORIES = ["house_quality", "decoration", "public_facility", "other"]
COMPONENTS = ["structure", "roof_waterproofing", "bathroom_waterproofing", "exterior_wall",
              "electrical", "plumbing", "heating", "decoration", "door_window", "elevator",
              "fire_safety", "gas", "other"]
failures = []


def fail(msg):
    failures.append(msg)
    log("FAIL:", msg)


def transient(r):
    if r.status is None or r.status >= 500:
        return True
    return r.status == 409 and (r.json_error() or ("",))[0] == "request_in_progress"


def retry(method, path, token, body=None, headers=None, deadline_s=120, ok=(200, 201),
          done_if=None):
    """Retry through transient failures (the stack restarts under the caller's feet);
    `done_if(r)` accepts a final answer that shows a lost earlier attempt already did it."""
    deadline = time.monotonic() + deadline_s
    ambiguous = False
    while True:
        r = call(B, method, path, token, body=body, headers=headers, timeout=15)
        if r.status in ok or (ambiguous and done_if and done_if(r)):
            return r
        if (r.status == 429 or transient(r)) and time.monotonic() < deadline:
            ambiguous = ambiguous or r.status is None or r.status >= 500
            time.sleep(0.3)
            continue
        return r


class TicketStream:
    """Tickets at a steady pace from two client threads, each retried with its key."""

    def __init__(self, units, rate=6.0):
        self.combos = iter([(u, c, k) for c in CATEGORIES for k in COMPONENTS for u in units])
        self.lock = threading.Lock()
        self.accepted = {}  # key -> ticket id
        self.accept_times = []  # (time, ticket id)
        self.rejected = []
        self.stop = threading.Event()
        self.interval = 2 / rate
        self.seq = itertools.count(1)
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in (0, 1)]

    def start(self):
        for t in self.threads:
            t.start()

    def since(self, t):
        with self.lock:
            return [tid for at, tid in self.accept_times if at >= t]

    def ids(self):
        with self.lock:
            return set(self.accepted.values())

    def run(self, i):
        tok = mint(SECRET, "agent", f"bl-agent-{i}", [P], ttl=7200)
        while not self.stop.is_set():
            with self.lock:
                combo = next(self.combos, None)
            if combo is None:
                return
            n = next(self.seq)
            unit, category, component = combo
            key = f"{RUN}-t{n}"
            r = retry("POST", "/v1/tickets", tok, headers={"Idempotency-Key": key}, deadline_s=600,
                      body={"project_id": P, "unit_id": unit, "kind": "repair",
                            "category": category, "component": component, "urgency": "normal",
                            "channel": "hotline", "description": f"第{n}号报修：{component} 漏水"})
            with self.lock:
                if r.status == 201 and isinstance(r.body, dict) and r.body.get("ticket_id"):
                    self.accepted[key] = r.body["ticket_id"]
                    self.accept_times.append((time.time(), r.body["ticket_id"]))
                else:
                    self.rejected.append((key, repr(r)))
            self.stop.wait(self.interval)  # pacing of the load, not synchronisation


def setup(admin):
    ok = (200, 201)
    today = dt.date.today()
    r = retry("PUT", f"/v1/projects/{P}", admin, {"name": "断电演练项目", "timezone": "Asia/Shanghai"})
    assert r.status in ok, f"PUT project: {r}"
    units = []
    for i in range(UNITS + EFFECT_OWNERS):
        u, owner = f"{P}-u{i:03d}", f"{P}-o{i:03d}"
        r = retry("PUT", f"/v1/projects/{P}/units/{u}", admin, {
            "building": str(1 + i // 20), "room": f"{100 + i}", "area_m2": 88.5,
            "owner_id": owner, "owner_name": "业主" + str(i), "owner_phone": "13800138000",
            "handover_date": (today - dt.timedelta(days=200)).isoformat()})
        assert r.status in ok, f"PUT unit: {r}"
        units.append((u, owner))
    for kind in ("builder", "crew", "contractor"):
        r = retry("PUT", f"/v1/projects/{P}/parties/{kind}-{P}", admin,
                  {"kind": kind, "name": kind, "trades": CATEGORIES})
        assert r.status in ok, f"PUT party: {r}"
    return units[:UNITS], units[UNITS:]


# ---------------------------------------------------------------------------------------------
# What the databases say


def work_order_counts(ids):
    """ticket id -> number of work orders, from dispatch's database."""
    if not ids:
        return {}
    arr = "{" + ",".join(sorted(ids)) + "}"
    rows = STACK.psql("dispatch", "SELECT ticket_id, count(*) FROM work_orders "
                                  f"WHERE ticket_id = ANY('{arr}'::text[]) GROUP BY ticket_id")
    return {t: int(n) for t, n in rows}


def wait_every_ticket_routed(ids, desc, timeout=150):
    """Each ticket in `ids` has exactly one work order (polled until all have one)."""
    counts = {}

    def done():
        counts.clear()
        counts.update(work_order_counts(ids))
        return len(counts) == len(ids)
    try:
        eventually(done, timeout, f"a work order for each of {len(ids)} tickets ({desc})", 1.0)
    except Timeout:
        missing = sorted(set(ids) - set(counts))
        fail(f"{desc}: {len(missing)} of {len(ids)} accepted tickets never got a work order: "
             f"{missing[:8]}")
    doubled = {t: n for t, n in counts.items() if n != 1}
    if doubled:
        fail(f"{desc}: tickets with more than one work order: {doubled}")


def outboxes_drained():
    return all(STACK.scalar(s, "SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL") == "0"
               for s in SERVICES)


def health(name):
    port = STACK.http_port if name == "gateway" else STACK.metrics_base + SERVICES.index(name)
    return call(f"http://127.0.0.1:{port}", "GET", "/healthz", timeout=5)


def metric(svc, name):
    r = call(f"http://127.0.0.1:{STACK.metrics_base + SERVICES.index(svc)}", "GET", "/metrics")
    total = 0.0
    for line in r.text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def bootstrap():
    with open(os.path.join(STACK.state, "kafka.bootstrap")) as f:
        return f.read().strip()


# ---------------------------------------------------------------------------------------------
# 1. devbroker lost while dispatch is down


def phase_broker_loss(stream):
    log("=== phase 1: dispatch down, tickets accepted, devbroker killed, up.sh")
    before_boot = bootstrap()
    want = [f"127.0.0.1:{STACK.kafka_port + i}" for i in range(3)]
    if sorted(before_boot.split(",")) != want:
        fail(f"devbroker bootstrap {before_boot!r}, want the fixed ports {','.join(want)}")
    pids = {n: STACK.pid(n) for n in SERVICES + ("gateway",)}
    STACK.kill9("dispatch")
    t_down = time.time()
    eventually(lambda: len(stream.since(t_down)) >= 8, 60, "8 tickets accepted while dispatch is down")
    # The premise of the bug: their events left intake's outbox for the broker that will die.
    eventually(lambda: STACK.scalar("intake", "SELECT count(*) FROM kit_outbox "
                                              "WHERE sent_at IS NULL") == "0",
               30, "intake's outbox to have published (marked sent) those tickets")
    accepted_while_down = stream.since(t_down)
    log(f"{len(accepted_while_down)} tickets accepted with dispatch down and published; "
        "killing devbroker")
    STACK.kill9("devbroker")
    t_lost = time.time()

    # Honest health: the services say the broker is gone, and the gateway is not "ok".
    def broker_reported():
        r = health("intake")
        problems = (r.body or {}).get("problems", {}) if isinstance(r.body, dict) else {}
        return r.status == 503 and r.body.get("status") == "degraded" and "broker" in problems
    try:
        eventually(broker_reported, 30, "intake's /healthz to report the broker unreachable (503)")
    except Timeout as e:
        fail(str(e))
    g = health("gateway")
    if g.status != 503 or (g.body or {}).get("status") != "degraded":
        fail(f"gateway /healthz with devbroker dead and dispatch down: {g}")
    live = call(f"http://127.0.0.1:{STACK.metrics_base}", "GET", "/livez")
    if live.status != 200:
        fail(f"intake /livez during the broker outage: {live} (liveness must stay 200)")
    eventually(lambda: len(stream.since(t_lost)) >= 3, 60,
               "tickets accepted while the broker is gone (the outbox keeps them)")

    STACK.up()  # restarts devbroker and dispatch only
    t_back = time.time()
    after_boot = bootstrap()
    if after_boot != before_boot:
        fail(f"devbroker came back on other ports: {before_boot!r} -> {after_boot!r}")
    for name, pid in pids.items():
        if name != "dispatch" and STACK.pid(name) != pid and name not in STACK.rebuilt:
            fail(f"{name} was restarted (pid {pid} -> {STACK.pid(name)}); it must reconnect alone")

    eventually(lambda: len(stream.since(t_back)) >= 10, 90, "10 tickets accepted after the restart")
    wait_every_ticket_routed(set(accepted_while_down), "accepted while dispatch was down")
    wait_every_ticket_routed(set(stream.since(t_lost)), "accepted after the broker was lost")
    wait_every_ticket_routed(stream.ids(), "every ticket so far")
    try:
        eventually(lambda: health("gateway").status == 200, 60, "gateway /healthz back to 200")
    except Timeout as e:
        fail(str(e))
    replayed = metric("intake", "aftercare_outbox_replayed_total")
    log(f"intake republished {replayed:.0f} events after the broker loss")
    if replayed < len(accepted_while_down):
        fail(f"intake replayed {replayed:.0f} events, fewer than the {len(accepted_while_down)} "
             "tickets the lost broker held")


# ---------------------------------------------------------------------------------------------
# 2. Power cut


class Owners:
    """Owners whose repair is finished: signed off, called back satisfied, rewarded."""

    def __init__(self, owners):
        self.owners = owners
        self.tickets, self.orders, self.callbacks = {}, {}, {}
        self.disp = mint(SECRET, "dispatcher", "bl-dispatcher", [P])
        self.agent = mint(SECRET, "agent", "bl-cb-agent", [P])
        self.builder = mint(SECRET, "builder", "bl-builder", [P], party_id=f"builder-{P}")

    def token(self, unit, owner):
        return mint(SECRET, "owner", owner, [P], units=[unit], ttl=7200)

    def open_and_complete(self):
        for i, (unit, owner) in enumerate(self.owners):
            r = retry("POST", "/v1/tickets", self.token(unit, owner),
                      headers={"Idempotency-Key": f"{RUN}-effect-{i}"},
                      body={"project_id": P, "unit_id": unit, "kind": "repair",
                            "category": "house_quality", "component": "plumbing",
                            "urgency": "normal", "channel": "app", "description": "卫生间漏水"})
            assert r.status == 201, f"effect ticket: {r}"
            self.tickets[owner] = r.body["ticket_id"]
        for unit, owner in self.owners:
            tid = self.tickets[owner]
            wos = eventually(lambda: (call(B, "GET", f"/v1/work-orders?ticket_id={tid}",
                                           self.disp).body or {}).get("work_orders"),
                             60, f"work order of {tid}")
            w = self.orders[owner] = wos[0]["work_order_id"]
            for action, body in (("accept", {}), ("start", {}),
                                 ("complete", {"cost_fen": 12000, "notes": "更换密封圈"})):
                r = retry("POST", f"/v1/work-orders/{w}/{action}", self.builder, body)
                assert r.status == 200, f"{action} {w}: {r}"

    def sign_off(self, owners):
        for unit, owner in owners:
            w = self.orders[owner]
            for signer, tok in (("owner", self.token(unit, owner)), ("maintenance", self.disp)):
                r = retry("POST", f"/v1/work-orders/{w}/sign-off", tok, {"signer": signer})
                if r.status != 200:
                    fail(f"sign-off ({signer}) of {w}: {r}")

    def callbacks_of(self, owner):
        tid = self.tickets[owner]
        return (call(B, "GET", f"/v1/callbacks?project_id={P}&ticket_id={tid}",
                     self.agent).body or {}).get("callbacks")

    def wait_callbacks(self, owners):
        for unit, owner in owners:
            cbs = eventually(lambda: self.callbacks_of(owner), 120,
                             f"callback of ticket {self.tickets[owner]}")
            if len(cbs) != 1:
                fail(f"ticket {self.tickets[owner]}: {len(cbs)} callbacks after one sign-off")
            self.callbacks[owner] = cbs[0]["callback_id"]

    def record_satisfied(self, owners):
        def already(r):
            return r.status == 409 and (r.json_error() or ("",))[0] == "already_exists"
        for unit, owner in owners:
            c = self.callbacks[owner]
            r = retry("POST", f"/v1/callbacks/{c}/record", self.agent,
                      {"reached": True, "attitude": 5, "timely": True, "satisfaction": "satisfied",
                       "score": 5, "comment": "满意"}, done_if=already)
            if r.status != 200 and not already(r):
                fail(f"recording callback {c}: {r}")

    def check(self):
        for unit, owner in self.owners:
            cbs = self.callbacks_of(owner) or []
            if len(cbs) != 1:
                fail(f"owner {owner}: {len(cbs)} callbacks after the power cut, want 1")
            tok = self.token(unit, owner)
            try:
                eventually(lambda: (call(B, "GET", f"/v1/members/{owner}", tok).body or {})
                           .get("balance", 0) >= 50, 90, f"survey points of {owner}")
            except Timeout as e:
                fail(str(e))
            m = call(B, "GET", f"/v1/members/{owner}", tok).body or {}
            entries = (call(B, "GET", f"/v1/members/{owner}/ledger", tok).body or {}).get(
                "entries", [])
            surveys = [e for e in entries if e.get("reason") == "survey"]
            if m.get("balance") != 50 or len(surveys) != 1:
                fail(f"member {owner}: balance {m.get('balance')}, survey entries "
                     f"{[(e.get('points'), e.get('source_id')) for e in surveys]}; want 50 once")


def invoices(fin, units, period):
    out = {}
    for unit, _ in units:
        r = retry("GET", f"/v1/invoices?unit_id={unit}", fin)
        out[unit] = sorted(i["invoice_id"] for i in (r.body or {}).get("invoices", [])
                           if i.get("period") == period)
    return out


def power_cut():
    """SIGKILL to every process of the stack at once, PostgreSQL's backends included."""
    victims = [STACK.pid(n) for n in SERVICES + ("gateway", "devbroker", "redis")]
    pm = os.path.join(STACK.state, "pg", "data", "postmaster.pid")
    with open(pm) as f:
        postmaster = int(f.readline())
    children = [int(p) for p in os.listdir("/proc") if p.isdigit() and _ppid(int(p)) == postmaster]
    victims = [p for p in victims + [postmaster] + children if p]
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    eventually(lambda: not any(STACK.alive(p) for p in victims), 20, "every process to die")
    log(f"power cut: killed {len(victims)} processes")


def _ppid(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def phase_power_cut(stream, effect_units, units):
    log("=== phase 2: events in flight, then every process killed at once, up.sh")
    owners = Owners(effect_units)
    owners.open_and_complete()
    fin = mint(SECRET, "finance", "bl-finance", [P])
    period = (dt.date.today().replace(day=1) + dt.timedelta(days=40)).strftime("%Y-%m")
    r = retry("PUT", f"/v1/projects/{P}/fee-rate", fin, {"fen_per_m2_month": 300, "due_day": 28})
    assert r.status == 200, f"fee rate: {r}"
    r = retry("POST", "/v1/billing/runs", fin, {"project_id": P, "period": period})
    assert r.status in (200, 201), f"billing run: {r}"
    before_invoices = invoices(fin, units[:6], period)
    if any(len(v) != 1 for v in before_invoices.values()):
        fail(f"invoices of {period} before the cut: {before_invoices}")

    first, last = owners.owners[:2], owners.owners[2:]
    owners.sign_off(first)
    owners.wait_callbacks(first)
    owners.record_satisfied(first)  # survey events on their way to loyalty...
    owners.sign_off(last)  # ... and sign-offs on their way to callback: then the lights go out
    power_cut()
    STACK.up()
    log("stack restarted after the power cut")

    owners.wait_callbacks(last)
    owners.record_satisfied(last)
    owners.check()
    after_invoices = invoices(fin, units[:6], period)
    if after_invoices != before_invoices:
        fail(f"invoices changed across the power cut: {before_invoices} -> {after_invoices}")
    r = retry("POST", "/v1/billing/runs", fin, {"project_id": P, "period": period})
    if r.status not in (200, 201) or invoices(fin, units[:6], period) != before_invoices:
        fail(f"billing run repeated after the cut changed the invoices: {r}")


# ---------------------------------------------------------------------------------------------


def main():
    t_start = time.monotonic()
    stream = None
    log(f"broker-loss suite: run {RUN}, project {P}, stack {STACK.state} (gateway {B})")
    try:
        p = STACK.start(os.environ.get("AFTERCARE_BUILD_DIR", os.path.join(REPO, "build")))
        # `eval "$(up.sh)"`: stdout holds only shell comments and exports.
        stray = [ln for ln in p.stdout.splitlines()
                 if ln.strip() and not ln.startswith("#") and not ln.startswith("export ")]
        if stray or "export AFTERCARE_TOKEN=" not in p.stdout:
            fail(f"up.sh stdout is not only comments and exports: {stray[:5]}")
        admin = mint(SECRET, "admin", "bl-admin", ["*"])
        units, effect_units = setup(admin)
        stream = TicketStream([u for u, _ in units])
        stream.start()
        t0 = time.time()
        eventually(lambda: len(stream.since(t0)) >= 10, 60, "the stream to warm up")
        wait_every_ticket_routed(set(stream.since(t0)), "warm-up")

        phase_broker_loss(stream)
        phase_power_cut(stream, effect_units, units)

        stream.stop.set()
        for t in stream.threads:
            t.join(120)
        log(f"stream stopped: {len(stream.accepted)} tickets accepted")
        for key, what in stream.rejected:
            fail(f"ticket {key} never accepted: {what}")
        wait_every_ticket_routed(stream.ids(), "every ticket of the run")
        try:
            eventually(outboxes_drained, 90, "every outbox drained")
        except Timeout as e:
            fail(str(e))
        for svc in SERVICES:
            for row in STACK.psql(svc, "SELECT consumer, source_topic, event_id, error "
                                       "FROM kit_dead_letters ORDER BY id"):
                fail(f"dead letter in {svc}: {row}")
        rewinds = sum(metric(s, "aftercare_consumer_rewinds_total") for s in SERVICES)
        log(f"consumer rewinds since the last start: {rewinds:.0f}")
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        failures.append("harness: " + traceback.format_exc().strip().splitlines()[-1])
    finally:
        if stream:
            stream.stop.set()
    return finish("broker-loss suite", failures, t_start, STACK, "AFTERCARE_BROKER_LOSS_KEEP")


if __name__ == "__main__":
    sys.exit(main())
