#!/usr/bin/env python3
"""Bad-input suite (issue 10): every bad request gets a clear 4xx and changes nothing.

Brings up a private stack (own ports and state dir), registers two projects (P and Q) with units,
owners, parties, fee rates, invoices, tickets, work orders and points, then:

  1. round-trips (these must SUCCEED and come back byte for byte): Chinese, emoji (ZWJ sequences,
     skin tones, flags), RTL and bidi-override marks, combining characters, astral CJK, SQL-looking
     and template-looking text, tabs/newlines, 2000 Chinese characters (the documented maximum);
  2. bad requests, in groups: malformed and oversized bodies, wrong types, unknown enums, unknown
     fields, SQL-looking ids, negative/zero/huge amounts, dates out of range, forged / expired /
     wrong-secret / alg=none tokens, wrong roles, cross-tenant ids, idempotency misuse.

Each bad request must answer its expected 4xx with the contract's JSON error body
{"error": {"code", "message"}} (and, for 400s on a named field, a message naming the field).
After each group the databases of all five services are fingerprinted (row counts of every table,
plus the content of tickets, units, invoices, payments, members, ledgers, work orders) and must be
exactly as before the group. Filtered lists that name another tenant's object may answer 4xx or
an empty list (nothing foreign may appear). No process may crash.

Exit 0 = all checks passed, 1 = a check failed (each failure is printed).
"""
import datetime as dt
import hashlib
import hmac
import json
import os
import random
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from aftercare_http import (REPO, SERVICES, Stack, b64url, call, eventually, finish,  # noqa: E402
                            log, mint, q)
import bad_input_handover  # noqa: E402  (issue 19)

# Ports below the ephemeral range, as in fault_suite.py.
STACK = Stack(
    state=os.environ.get("AFTERCARE_BADINPUT_STATE", os.path.join(REPO, ".state", "bad-input")),
    pg_port=int(os.environ.get("AFTERCARE_BADINPUT_PG_PORT", 28732)),
    redis_port=int(os.environ.get("AFTERCARE_BADINPUT_REDIS_PORT", 28779)),
    http_port=int(os.environ.get("AFTERCARE_BADINPUT_HTTP_PORT", 28380)),
    grpc_base=int(os.environ.get("AFTERCARE_BADINPUT_GRPC_PORT_BASE", 28351)),
    metrics_base=int(os.environ.get("AFTERCARE_BADINPUT_METRICS_PORT_BASE", 28401)),
    kafka_port=int(os.environ.get("AFTERCARE_BADINPUT_KAFKA_PORT", 28792)),
    secret="bad-input-secret",
)
B, S = STACK.base, STACK.secret
RUN = f"{int(time.time())}{random.randint(100, 999)}"
P, Q = "bip" + RUN, "biq" + RUN
TODAY = dt.date.today()
NOW = dt.datetime.now(dt.timezone.utc)
# Invoices for next month: due dates far enough ahead that no reminder/overdue sweep fires while
# the suite runs, so the databases stay still unless a request changes them.
NEXT = (TODAY.replace(day=1) + dt.timedelta(days=40)).strftime("%Y-%m")
# Handed over 400 days ago: no periodic (1/3/6 months) or warranty-expiry callback is due now.
HANDOVER = (TODAY - dt.timedelta(days=400)).isoformat()
CATEGORIES = ["house_quality", "decoration", "public_facility", "other"]

failures = []


def fail(msg):
    failures.append(msg)
    log("FAIL:", msg)


def t(role, sub, projects=(), **kw):
    return mint(S, role, sub, projects, **kw)


def api(method, path, token=None, body=None, raw=None, headers=None):
    return call(B, method, path, token, body=body, raw=raw, headers=headers, timeout=30)


def ok(r, what, want=(200, 201)):
    if r.status not in want:
        raise AssertionError(f"setup: {what}: {r}")
    return r.body


# ---------------------------------------------------------------------------------------------
# Fingerprint of everything the platform stores


CONTENT = {
    "intake": ["SELECT ticket_id, project_id, unit_id, status, description FROM tickets",
               "SELECT * FROM units", "SELECT * FROM projects", "SELECT * FROM calendars"],
    "dispatch": ["SELECT work_order_id, ticket_id, status, party_id, cost_fen FROM work_orders",
                 "SELECT * FROM parties", "SELECT * FROM appointments"],
    "callback": ["SELECT * FROM callbacks", "SELECT * FROM callback_records"],
    "loyalty": ["SELECT owner_id, balance, held, lifetime_earned FROM members",
                "SELECT * FROM ledger_entries", "SELECT * FROM redemptions",
                "SELECT * FROM merchants"],
    "billing": ["SELECT invoice_id, amount_fen, paid_fen, status FROM invoices",
                "SELECT * FROM payments", "SELECT * FROM fee_rates",
                "SELECT * FROM ledger_entries"],
}


_tables = {}


def fingerprint():
    """One query per database: the row count of every table and a hash of the CONTENT queries."""
    fp = {}
    for svc in SERVICES:
        if svc not in _tables:
            _tables[svc] = [r[0] for r in STACK.psql(
                svc, "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                     "'public' AND table_type = 'BASE TABLE' ORDER BY 1")]
        parts = [f"SELECT '{tb} rows', count(*)::text FROM {tb}" for tb in _tables[svc]]
        parts += [f"SELECT {i}::text, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), ''))"
                  f" FROM ({sql}) x" for i, sql in enumerate(CONTENT[svc])]
        for key, value in STACK.psql(svc, " UNION ALL ".join(parts)):
            if key.isdigit():
                key = CONTENT[svc][int(key)]
            fp[f"{svc}: {key}"] = value
    return fp


def outboxes_drained():
    return all(STACK.scalar(s, "SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL") == "0"
               for s in SERVICES)


def quiet_fingerprint():
    """A fingerprint taken once the platform is still: outboxes drained and two fingerprints a
    second apart equal (events of the setup applied everywhere)."""
    last = [None]

    def still():
        if not outboxes_drained():
            return False
        fp = fingerprint()
        same, last[0] = fp == last[0], fp
        return same
    eventually(still, 90, "the platform to be still", interval=1.0)
    return last[0]


# ---------------------------------------------------------------------------------------------
# Setup


class World:
    pass


def setup():
    w = World()
    admin = w.admin = t("admin", "bi-admin", ["*"])
    for p in (P, Q):
        ok(api("PUT", f"/v1/projects/{p}", admin, {"name": "坏输入测试 " + p, "timezone": "Asia/Shanghai"}), "project")
        for kind in ("builder", "crew", "contractor"):
            ok(api("PUT", f"/v1/projects/{p}/parties/{kind}-{p}", admin,
                   {"kind": kind, "name": kind, "trades": CATEGORIES}), "party")
        ok(api("PUT", f"/v1/projects/{p}/fee-rate", t("finance", "bi-fin", [p]),
               {"fen_per_m2_month": 300, "due_day": 28}), "fee rate")
    w.units = {"A1": (P, f"{P}-ua1", f"{P}-oa1"), "A2": (P, f"{P}-ua2", f"{P}-oa2"),
               "B1": (Q, f"{Q}-ub1", f"{Q}-ob1")}
    for key, (p, u, o) in w.units.items():
        ok(api("PUT", f"/v1/projects/{p}/units/{u}", admin, {
            "building": "1", "room": "101", "area_m2": 88.5, "owner_id": o, "owner_name": "业主",
            "owner_phone": "13800138000", "handover_date": HANDOVER}), "unit")
    w.agentP, w.agentQ = t("agent", "bi-agent-p", [P]), t("agent", "bi-agent-q", [Q])
    w.supP, w.supQ = t("supervisor", "bi-sup-p", [P]), t("supervisor", "bi-sup-q", [Q])
    w.finP, w.finQ = t("finance", "bi-fin-p", [P]), t("finance", "bi-fin-q", [Q])
    w.dispP, w.dispQ = t("dispatcher", "bi-disp-p", [P]), t("dispatcher", "bi-disp-q", [Q])
    w.owner = {k: t("owner", o, [p], units=[u]) for k, (p, u, o) in w.units.items()}
    w.builderP = t("builder", "bi-builder-p", [P], party_id=f"builder-{P}")
    w.builderQ = t("builder", "bi-builder-q", [Q], party_id=f"builder-{Q}")

    def ticket(tok, key, component="plumbing"):
        p, u, _ = w.units[key]
        return ok(api("POST", "/v1/tickets", tok, {
            "project_id": p, "unit_id": u, "kind": "repair", "category": "house_quality",
            "component": component, "urgency": "normal", "channel": "app",
            "description": "阳台漏水"}), "ticket")["ticket_id"]
    w.tA1 = ticket(w.agentP, "A1")
    w.tA2 = ticket(w.owner["A2"], "A2")
    w.tB1 = ticket(w.agentQ, "B1")

    def order(tid, tok):
        return eventually(lambda: (api("GET", f"/v1/work-orders?ticket_id={tid}", tok).body or {})
                          .get("work_orders"), 60, f"work order of {tid}")[0]["work_order_id"]
    w.wA1, w.wA2, w.wB1 = order(w.tA1, w.dispP), order(w.tA2, w.dispP), order(w.tB1, w.dispQ)
    for key in w.units:
        p, u, o = w.units[key]
        eventually(lambda: api("GET", f"/v1/members/{o}", w.owner[key]).status == 200, 60,
                   f"member {o} enrolled")
    ok(api("POST", f"/v1/members/{w.units['A1'][2]}/earnings", w.supP,
           {"reason": "activity", "points": 200, "source_id": "bi-activity-1"}), "earning")
    for p, fin in ((P, w.finP), (Q, w.finQ)):
        ok(api("POST", "/v1/billing/runs", fin, {"project_id": p, "period": NEXT}), "billing run")
    w.inv = {}
    for key, (p, u, o) in w.units.items():
        fin = w.finP if p == P else w.finQ
        invs = ok(api("GET", f"/v1/invoices?unit_id={u}&period={NEXT}", fin), "invoices")["invoices"]
        assert len(invs) == 1, f"setup: invoices of {u}: {invs}"
        w.inv[key] = invs[0]
    ok(api("POST", "/v1/payments", w.finP, {"invoice_id": w.inv["A1"]["invoice_id"],
                                            "amount_fen": 100, "reference": "bi-pay-1"}), "payment")
    bad_input_handover.setup(w, api, ok, t)  # issue 19
    # -- incidents and announcements (issue 23): one open incident of P to aim at ------------------
    w.incident = ok(api("POST", f"/v1/projects/{P}/incidents", w.dispP, {
        "kind": "failure", "category": "public_facility", "component": "fire_safety",
        "buildings": ["1"], "title": "1栋消防报警误报"}), "incident")["incident_id"]
    return w


# ---------------------------------------------------------------------------------------------
# Round trips


STRINGS = {
    "chinese": "卫生间漏水，楼下天花板有水渍；请尽快上门维修（周末也可以）。",
    "sql": "'; DROP TABLE tickets; --",
    "sql2": "Robert'); DROP TABLE students;-- \" \\ ' OR '1'='1 /* */ %s %n {{7*7}} ${jndi:x} <script>alert(1)</script>",
    "emoji": "漏水 🚰💧🔧 一家人 👨‍👩‍👧‍👦 点赞 👍🏽 国旗 🇨🇳 ❤️",
    "rtl": "RTL \u200fעברית\u200f العربية \u202eabc\u202c LRM\u200e ZWJ a\u200db ZWSP\u200b BOM\ufeffend",
    "combining": "e\u0301 vs \u00e9; Ａ１全角；扩展汉字 𠀀𪚥；制表\t换行\n回车\r结束",
    "max": "漏" * 2000,
}


def round_trips(w):
    p, u, _ = w.units["A1"]
    components = ["structure", "roof_waterproofing", "bathroom_waterproofing", "exterior_wall",
                  "electrical", "heating", "decoration", "door_window"]
    made = {}
    for (name, text), comp in zip(STRINGS.items(), components):
        r = api("POST", "/v1/tickets", w.agentP, {
            "project_id": p, "unit_id": u, "kind": "consultation", "category": "other",
            "component": comp, "urgency": "normal", "channel": "wechat", "description": text},
            headers={"Idempotency-Key": f"bi-rt-{name}-{RUN}"})
        if r.status != 201:
            fail(f"round trip '{name}': POST /v1/tickets -> {r}")
            continue
        if r.body.get("description") != text:
            fail(f"round trip '{name}': POST answered description {r.body.get('description')!r}")
        made[r.body["ticket_id"]] = (name, text)
        g = api("GET", f"/v1/tickets/{r.body['ticket_id']}", w.agentP)
        if g.status != 200 or g.body.get("description") != text:
            fail(f"round trip '{name}': GET gave {g.body.get('description') if g.body else g!r}, "
                 f"want {text!r}")
        # A second POST with the same key replays the same ticket, text included.
        again = api("POST", "/v1/tickets", w.agentP, {
            "project_id": p, "unit_id": u, "kind": "consultation", "category": "other",
            "component": comp, "urgency": "normal", "channel": "wechat", "description": text},
            headers={"Idempotency-Key": f"bi-rt-{name}-{RUN}"})
        if again.status != 201 or (again.body or {}).get("ticket_id") != r.body["ticket_id"] \
                or again.body.get("description") != text:
            fail(f"round trip '{name}': replay with the same key -> {again}")
    listed = {}
    token = ""
    while True:
        r = api("GET", f"/v1/tickets?project_id={p}&unit_id={u}&page_size=100"
                + (f"&page_token={q(token)}" if token else ""), w.agentP)
        if r.status != 200:
            fail(f"round trip: list -> {r}")
            break
        listed.update({x["ticket_id"]: x["description"] for x in r.body["tickets"]})
        token = r.body.get("next_page_token")
        if not token:
            break
    for tid, (name, text) in made.items():
        if listed.get(tid) != text:
            fail(f"round trip '{name}': the list shows {listed.get(tid)!r}")
    # Stored exactly: compare what PostgreSQL holds, byte for byte.
    for tid, (name, text) in made.items():
        stored = STACK.psql("intake", f"SELECT encode(convert_to(description, 'UTF8'), 'hex') "
                                      f"FROM tickets WHERE ticket_id = '{tid}'")
        if not stored or bytes.fromhex(stored[0][0]) != text.encode():
            fail(f"round trip '{name}': stored bytes differ from the UTF-8 sent")

    # Other free-text fields: unit owner/building/room, party name, payment reference, earning note.
    name = "王小明 \u200fمحمد\u200f 👩‍🔧 O'Brien; DROP TABLE units; --"
    unit = {"building": "３号楼 🏢", "room": "'; DELETE FROM units; --", "area_m2": 120.25,
            "owner_id": f"{P}-oa3", "owner_name": name, "owner_phone": "+8613800138000",
            "handover_date": HANDOVER}
    r = api("PUT", f"/v1/projects/{P}/units/{P}-ua3", w.admin, unit)
    g = api("GET", f"/v1/units/{P}-ua3", w.admin)
    if r.status != 200 or g.status != 200 or any(
            g.body.get(k) != unit[k] for k in ("building", "room", "owner_name", "area_m2")):
        fail(f"round trip unit: PUT {r.status}, GET {g}")
    party = "张三建筑工程有限公司 🏗️ \u202e‮反转"
    r = api("PUT", f"/v1/projects/{P}/parties/crew2-{P}", w.admin,
            {"kind": "crew", "name": party, "trades": ["other"]})
    parties = api("GET", f"/v1/projects/{P}/parties", w.admin)
    names = [x.get("name") for x in (parties.body or {}).get("parties", [])]
    if r.status != 200 or (r.body or {}).get("name") != party or party not in names:
        fail(f"round trip party name: PUT {r}, listed {names}")
    ref = "收据-'; DROP TABLE payments; -- 🧾"
    r = api("POST", "/v1/payments", w.finP, {"invoice_id": w.inv["A1"]["invoice_id"],
                                             "amount_fen": 1, "reference": ref})
    if r.status != 201 or ((r.body or {}).get("payment") or {}).get("reference") != ref:
        fail(f"round trip payment reference: {r}")
    note = "活动奖励 🎉 \u200fمكافأة\u200f"
    o = w.units["A1"][2]
    r = api("POST", f"/v1/members/{o}/earnings", w.supP,
            {"reason": "activity", "points": 10, "source_id": "bi-note-" + RUN, "note": note})
    ledger = api("GET", f"/v1/members/{o}/ledger", w.owner["A1"])
    notes = [e.get("note") for e in (ledger.body or {}).get("entries", [])]
    if r.status != 201 or note not in notes:
        fail(f"round trip earning note: {r}; notes {notes}")


# ---------------------------------------------------------------------------------------------
# Bad requests


def raw_token(header, claims, secret=S, digest=hashlib.sha256):
    h = b64url(json.dumps(header).encode())
    b = b64url(json.dumps(claims).encode())
    return f"{h}.{b}." + b64url(hmac.new(secret.encode(), f"{h}.{b}".encode(), digest).digest())


def cases(w):
    """(group, name, method, path, token, kwargs, wanted statuses, field the message names)."""
    pA, uA1, oA1 = w.units["A1"]
    _, uA2, oA2 = w.units["A2"]
    pB, uB1, oB1 = w.units["B1"]
    inA1, inA2, inB1 = (w.inv[k]["invoice_id"] for k in ("A1", "A2", "B1"))
    due_A2 = w.inv["A2"]["amount_fen"]
    good = {"project_id": pA, "unit_id": uA1, "kind": "repair", "category": "decoration",
            "component": "door_window", "urgency": "normal", "channel": "hotline",
            "description": "门窗关不严"}

    def tk(**changes):
        b = dict(good)
        for k, v in changes.items():
            if v is KeyError:
                b.pop(k, None)
            else:
                b[k] = v
        return b

    def ts(delta):
        return (NOW + delta).isoformat().replace("+00:00", "Z")

    unit_ok = {"building": "1", "room": "102", "area_m2": 90, "owner_id": oA1, "owner_name": "业主",
               "owner_phone": "13800138000", "handover_date": HANDOVER}
    C = []

    def add(group, name, method, path, token, want, field=None, **kw):
        C.append((group, name, method, path, token, kw, want, field))

    T = "/v1/tickets"
    # -- malformed and oversized bodies ---------------------------------------------------------
    g = "malformed"
    for name, raw in [
        ("empty body", ""), ("lone brace", "{"), ("trailing comma", '{"project_id": "x",}'),
        ("single quotes", "{'project_id': 'x'}"), ("array", "[]"), ("string", '"ticket"'),
        ("number", "42"), ("null", "null"), ("NaN", '{"description": NaN}'),
        ("trailing garbage", json.dumps(good, ensure_ascii=False) + " trailing"), ("comment", "/* hi */ " + json.dumps(good, ensure_ascii=False)),
        ("unquoted key", '{project_id: "x"}'), ("bad escape", '{"description": "\\x41"}'),
        ("truncated", json.dumps(good, ensure_ascii=False)[:-3]),
    ]:
        add(g, name, "POST", T, w.agentP, (400,), raw=raw)
    add(g, "invalid UTF-8", "POST", T, w.agentP, (400,),
        raw=json.dumps(good, ensure_ascii=False).replace("门窗关不严", "\udcff").encode("utf-8", "surrogateescape"))
    add(g, "lone surrogate escape", "POST", T, w.agentP, (400,),
        raw=json.dumps(good, ensure_ascii=False).replace("门窗关不严", "\\ud800"))
    add(g, "raw NUL byte in a string", "POST", T, w.agentP, (400,),
        raw=json.dumps(good, ensure_ascii=False).replace("门窗关不严", "a\x00b").encode())
    add(g, "escaped NUL in description", "POST", T, w.agentP, (400,), "description",
        body=tk(description="a\u0000b"))
    add(g, "body over 1 MiB", "POST", T, w.agentP, (413,),
        raw=json.dumps(tk(description="漏" * 400000), ensure_ascii=False))
    add(g, "description 2001 chars", "POST", T, w.agentP, (400,), "description",
        body=tk(description="a" * 2001))
    add(g, "description 2001 Chinese chars", "POST", T, w.agentP, (400,), "description",
        body=tk(description="漏" * 2001))
    add(g, "empty description", "POST", T, w.agentP, (400,), "description", body=tk(description=""))
    add(g, "100k nested arrays", "POST", T, w.agentP, (400,), raw="[" * 100000 + "]" * 100000)
    add(g, "50k nested objects", "POST", T, w.agentP, (400,),
        raw='{"a":' * 50000 + "1" + "}" * 50000)
    add(g, "10001 holidays", "PUT", f"/v1/projects/{pA}/calendars/{TODAY.year}", w.admin, (400,),
        "holidays", body={"holidays": [f"{TODAY.year}-01-01"] * 10001, "workdays": []})
    add(g, "payment body is an array", "POST", "/v1/payments", w.finP, (400,), raw="[1,2,3]")
    g = "HTTP level"
    add(g, "path of 100k characters", "GET", f"{T}/" + "a" * 100000, w.agentP, (400, 404, 414))
    add(g, "query of 100k characters", "GET", f"{T}?project_id=" + "a" * 100000, w.agentP,
        (400, 414))
    add(g, "2000 query parameters", "GET", f"{T}?" + "&".join(f"p{i}=1" for i in range(2000)),
        w.agentP, (400, 414))
    add(g, "100 kB header", "POST", T, w.agentP, (400, 413, 431), body=good,
        headers={"X-Padding": "a" * 100000})
    add(g, "form-encoded body", "POST", T, w.agentP, (400,), raw=f"project_id={pA}&unit_id={uA1}",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    add(g, "DELETE a ticket", "DELETE", f"{T}/{w.tA1}", w.admin, (404, 405))
    add(g, "PATCH a ticket", "PATCH", f"{T}/{w.tA1}", w.admin, (404, 405), body={"status": "closed"})
    add(g, "unknown route", "POST", "/v1/tickets/bulk-delete", w.admin, (404, 405), body={})
    # -- wrong types ----------------------------------------------------------------------------
    g = "wrong types"
    for field, value in [("project_id", 123), ("unit_id", ["x"]), ("description", {"zh": "漏"}),
                         ("urgency", True), ("kind", 1), ("reported_at", 1700000000),
                         ("channel", ["app"])]:
        add(g, f"ticket {field}={value!r}", "POST", T, w.agentP, (400,), field, body=tk(**{field: value}))
    add(g, "ticket kind null = missing", "POST", T, w.agentP, (400,), "kind", body=tk(kind=None))
    for value in ["88.5", True, [88.5], 88.555, "Infinity"]:
        add(g, f"unit area_m2={value!r}", "PUT", f"/v1/projects/{pA}/units/{uA1}", w.admin, (400,),
            "area_m2", body=dict(unit_ok, area_m2=value))
    add(g, "unit handover_date=20250101", "PUT", f"/v1/projects/{pA}/units/{uA1}", w.admin, (400,),
        "handover_date", body=dict(unit_ok, handover_date=20250101))
    for value in ["50", 50.5, 1e2, True]:
        add(g, f"earning points={value!r}", "POST", f"/v1/members/{oA1}/earnings", w.supP, (400,),
            "points", body={"reason": "activity", "points": value, "source_id": "bi-x-" + RUN})
    for value in ["100", 100.0, [100]]:
        add(g, f"payment amount_fen={value!r}", "POST", "/v1/payments", w.finP, (400,),
            "amount_fen", body={"invoice_id": inA1, "amount_fen": value, "reference": "bi-x"})
    add(g, "payment invoice_id=42", "POST", "/v1/payments", w.finP, (400,), "invoice_id",
        body={"invoice_id": 42, "amount_fen": 1, "reference": "bi-x"})
    add(g, "calendar holidays is a string", "PUT", f"/v1/projects/{pA}/calendars/{TODAY.year}",
        w.admin, (400,), "holidays", body={"holidays": f"{TODAY.year}-10-01", "workdays": []})
    add(g, "party trades=[1,2]", "PUT", f"/v1/projects/{pA}/parties/crew9-{pA}", w.admin, (400,),
        "trades", body={"kind": "crew", "name": "x", "trades": [1, 2]})
    add(g, "fee rate due_day='15'", "PUT", f"/v1/projects/{pA}/fee-rate", w.finP, (400,), "due_day",
        body={"fen_per_m2_month": 300, "due_day": "15"})
    add(g, "callback score='5'", "POST", f"/v1/callbacks/{w.tA1}/record", w.agentP, (400,), "score",
        body={"reached": True, "score": "5"})
    add(g, "list page_size=abc", "GET", f"{T}?project_id={pA}&page_size=abc", w.agentP, (400,),
        "page_size")
    add(g, "list page_size=2^40", "GET", f"{T}?project_id={pA}&page_size={2**40}", w.agentP, (400,),
        "page_size")
    add(g, "list page_token=garbage", "GET", f"{T}?project_id={pA}&page_token=garbage", w.agentP,
        (400,), "page_token")
    # -- unknown enums --------------------------------------------------------------------------
    g = "unknown enums"
    for field, value in [("kind", "REPAIR"), ("kind", "unspecified"), ("kind", "ticket_kind_repair"),
                         ("kind", ""), ("category", "roof"), ("component", "window"),
                         ("channel", "fax"), ("urgency", "urgent"), ("repair_area", "garden")]:
        add(g, f"ticket {field}={value!r}", "POST", T, w.agentP, (400,), field, body=tk(**{field: value}))
    add(g, "party kind=robot", "PUT", f"/v1/projects/{pA}/parties/x9-{pA}", w.admin, (400,), "kind",
        body={"kind": "robot", "name": "x", "trades": ["other"]})
    add(g, "party trade=roofing", "PUT", f"/v1/projects/{pA}/parties/x9-{pA}", w.admin, (400,),
        "trades", body={"kind": "crew", "name": "x", "trades": ["roofing"]})
    add(g, "sign-off signer=ceo", "POST", f"/v1/work-orders/{w.wA1}/sign-off", w.dispP, (400,),
        "signer", body={"signer": "ceo"})
    add(g, "earning reason=lottery", "POST", f"/v1/members/{oA1}/earnings", w.supP, (400,), "reason",
        body={"reason": "lottery", "points": 10, "source_id": "bi-x-" + RUN})
    add(g, "callback satisfaction=meh", "POST", f"/v1/callbacks/{w.tA1}/record", w.agentP, (400,),
        "satisfaction", body={"reached": True, "satisfaction": "meh"})
    add(g, "list status=bogus", "GET", f"{T}?project_id={pA}&status=bogus", w.agentP, (400,), "status")
    add(g, "reassign assignee_kind=alien", "POST", f"/v1/work-orders/{w.wA1}/reassign", w.dispP,
        (400,), "assignee_kind", body={"assignee_kind": "alien", "party_id": f"crew-{pA}"})
    # -- unknown fields (including mass assignment of server-owned fields) ----------------------
    g = "unknown fields"
    for field, value in [("priority", "high"), ("status", "closed"), ("ticket_id", "t-1"),
                         ("owner_id", oA2), ("escalation_level", 2), ("in_warranty", True),
                         ("Description", "x")]:
        add(g, f"ticket +{field}", "POST", T, w.agentP, (400,), field, body=tk(**{field: value}))
    add(g, "payment +paid_fen", "POST", "/v1/payments", w.finP, (400,), "paid_fen",
        body={"invoice_id": inA1, "amount_fen": 1, "reference": "bi-y", "paid_fen": 999999})
    add(g, "earning +awarded/+balance", "POST", f"/v1/members/{oA1}/earnings", w.supP, (400,),
        "balance", body={"reason": "activity", "points": 10, "source_id": "bi-z-" + RUN,
                         "balance": 1000000})
    add(g, "unit +area", "PUT", f"/v1/projects/{pA}/units/{uA1}", w.admin, (400,), "area",
        body=dict(unit_ok, area=90))
    add(g, "schedule start/end +foo", "POST", f"/v1/work-orders/{w.wA1}/schedule", w.builderP, (400,),
        "foo", body={"start": ts(dt.timedelta(hours=30)), "end": ts(dt.timedelta(hours=31)), "foo": 1})
    add(g, "query parameter foo", "GET", f"{T}?project_id={pA}&foo=1", w.agentP, (400,), "foo")
    add(g, "redemption +owner_id of another owner", "POST", f"/v1/members/{oA1}/redemptions",
        w.owner["A1"], (400,), "owner_id",
        body={"merchant_id": "m1", "item": "x", "points": 10, "owner_id": oA2})
    # -- SQL-looking ids ------------------------------------------------------------------------
    g = "SQL-looking ids"
    sql = "'; DROP TABLE tickets; --"
    add(g, "PUT project id", "PUT", f"/v1/projects/{q(sql)}", w.admin, (400,), "project_id",
        body={"name": "x", "timezone": "Asia/Shanghai"})
    add(g, "GET ticket id", "GET", f"{T}/{q(sql)}", w.agentP, (400, 404))
    add(g, "GET history id", "GET", f"{T}/{q(sql)}/history", w.agentP, (400, 404))
    add(g, "list project_id", "GET", f"{T}?project_id={q(chr(39) + ' OR 1=1 --')}", w.admin, (400, 404),
        "project_id")
    add(g, "list unit_id", "GET", f"{T}?project_id={pA}&unit_id={q(chr(39) + ' OR ' + chr(39) + '1' + chr(39) + '=' + chr(39) + '1')}",
        w.agentP, (400,), "unit_id")
    add(g, "ticket unit_id", "POST", T, w.agentP, (400, 404), None, body=tk(unit_id=sql))
    add(g, "member id", "GET", f"/v1/members/{q(sql)}", w.supP, (400, 404))
    add(g, "invoice id", "GET", f"/v1/invoices/{q(sql)}", w.finP, (400, 404))
    add(g, "work order id", "POST", f"/v1/work-orders/{q(sql)}/accept", w.builderP, (400, 404), body={})
    add(g, "payment invoice_id", "POST", "/v1/payments", w.finP, (400, 404),
        body={"invoice_id": sql, "amount_fen": 1, "reference": "bi-sql"})
    add(g, "path traversal", "GET", f"{T}/..%2F..%2Fetc%2Fpasswd", w.agentP, (400, 404))
    add(g, "Chinese ticket id", "GET", f"{T}/{q('工单一')}", w.agentP, (400, 404))
    # -- amounts --------------------------------------------------------------------------------
    g = "amounts"
    for value, want in [(-100, (400,)), (0, (400,)), (due_A2 + 1, (409,)),
                        (2**63 - 1, (400, 409)), (2**63, (400,)), (2**64 + 5, (400,)),
                        (-(2**63), (400,))]:
        add(g, f"payment amount_fen={value}", "POST", "/v1/payments", w.finP, want, "amount_fen"
            if want == (400,) else None,
            body={"invoice_id": inA2, "amount_fen": value, "reference": f"bi-amt-{value}"})
    add(g, "payment amount_fen=1e30", "POST", "/v1/payments", w.finP, (400,), "amount_fen",
        raw=f'{{"invoice_id": "{inA2}", "amount_fen": 1e30, "reference": "bi-amt-e30"}}')
    for value in [-50, 0, 10**15, 2**63 - 1]:
        add(g, f"earning points={value}", "POST", f"/v1/members/{oA1}/earnings", w.supP, (400,),
            "points", body={"reason": "activity", "points": value, "source_id": f"bi-pts-{value}"})
    add(g, "earning over the staff cap", "POST", f"/v1/members/{oA1}/earnings", w.supP, (400,),
        "points", body={"reason": "activity", "points": 1001, "source_id": "bi-cap"})
    for value, want in [(-10, (400,)), (0, (400,)), (10**6, (409,)), (2**63 - 1, (400, 409))]:
        add(g, f"redemption points={value}", "POST", f"/v1/members/{oA1}/redemptions", w.owner["A1"],
            want, "points" if want == (400,) else None,
            body={"merchant_id": "m-bi", "item": "洗车券", "points": value})
    for value in [-1, 0, 2**63 - 1]:
        add(g, f"fee rate fen_per_m2_month={value}", "PUT", f"/v1/projects/{pB}/fee-rate", w.finQ,
            (400,), "fen_per_m2_month", body={"fen_per_m2_month": value, "due_day": 28})
    for value in [0, 32, -1]:
        add(g, f"fee rate due_day={value}", "PUT", f"/v1/projects/{pB}/fee-rate", w.finQ, (400,),
            "due_day", body={"fen_per_m2_month": 300, "due_day": value})
    for value in [-88.5, 0, 1e13, 0.001]:
        add(g, f"unit area_m2={value}", "PUT", f"/v1/projects/{pA}/units/{uA1}", w.admin, (400,),
            "area_m2", body=dict(unit_ok, area_m2=value))
    for value in [-1, 2**63 - 1]:
        add(g, f"complete cost_fen={value}", "POST", f"/v1/work-orders/{w.wA1}/complete", w.builderP,
            (400,), "cost_fen", body={"cost_fen": value, "notes": "x"})
    add(g, "callback score=6", "POST", f"/v1/callbacks/{w.tA1}/record", w.agentP, (400, 404), None,
        body={"reached": True, "score": 6})
    # -- dates out of range ---------------------------------------------------------------------
    g = "dates"
    for name, value in [("tomorrow", ts(dt.timedelta(days=1))), ("31 days back", ts(dt.timedelta(days=-31))),
                        ("year 1", "0001-01-01T00:00:00Z"), ("year 9999", "9999-12-31T23:59:59Z"),
                        ("hour 25", f"{TODAY.isoformat()}T25:00:00Z"), ("date only", TODAY.isoformat()),
                        ("words", "yesterday"), ("no zone", f"{TODAY.isoformat()}T10:00:00"),
                        ("year 10000", "10000-01-01T00:00:00Z")]:
        add(g, f"reported_at {name}", "POST", T, w.agentP, (400,), "reported_at",
            body=tk(reported_at=value))
    for value in ["2025-02-29", "2026-13-01", "2026-00-10", "1899-12-31", "2026/01/01", "", "10000-01-01",
                  "2026-1-1"]:
        add(g, f"handover_date {value!r}", "PUT", f"/v1/projects/{pA}/units/{uA1}", w.admin, (400,),
            "handover_date", body=dict(unit_ok, handover_date=value))
    for value in ["2026-13", "0000-01", "26-01", "2026-1", "2026-00", "1899-12"]:
        add(g, f"billing period {value!r}", "POST", "/v1/billing/runs", w.finP, (400,), "period",
            body={"project_id": pA, "period": value})
    for value in ["2026-W60", "2026-Q9", "2026-13", "latest", "2026-W00"]:
        add(g, f"report period {value}", "GET", f"/v1/projects/{pA}/reports/{value}", w.supP, (400,),
            "period")
    for value in ["99999", "-1", "1899", "20x6"]:
        add(g, f"calendar year {value}", "PUT", f"/v1/projects/{pA}/calendars/{value}", w.admin,
            (400,), "year", body={"holidays": [], "workdays": []})
    add(g, "holiday 30 February", "PUT", f"/v1/projects/{pA}/calendars/{TODAY.year}", w.admin,
        (400,), "holidays", body={"holidays": [f"{TODAY.year}-02-30"], "workdays": []})
    add(g, "holiday of another year", "PUT", f"/v1/projects/{pA}/calendars/{TODAY.year}", w.admin,
        (400,), "holidays", body={"holidays": [f"{TODAY.year + 1}-01-01"], "workdays": []})
    add(g, "appointment end before start", "POST", f"/v1/work-orders/{w.wA1}/schedule", w.builderP,
        (400,), "end", body={"start": ts(dt.timedelta(hours=30)), "end": ts(dt.timedelta(hours=29))})
    add(g, "appointment in the past", "POST", f"/v1/work-orders/{w.wA1}/schedule", w.builderP,
        (400,), "start", body={"start": ts(dt.timedelta(hours=-30)), "end": ts(dt.timedelta(hours=-29))})
    add(g, "appointment longer than 12 h", "POST", f"/v1/work-orders/{w.wA1}/schedule", w.builderP,
        (400,), None, body={"start": ts(dt.timedelta(hours=30)), "end": ts(dt.timedelta(hours=50))})
    add(g, "list reported_from=not-a-time", "GET", f"{T}?project_id={pA}&reported_from=soon", w.agentP,
        (400,), "reported_from")
    add(g, "payment paid_at year 9999", "POST", "/v1/payments", w.finP, (400,), "paid_at",
        body={"invoice_id": inA2, "amount_fen": 1, "reference": "bi-paid-at",
              "paid_at": "9999-01-01T00:00:00Z"})
    # -- far-future periods (a policy question: see the report) ---------------------------------
    g = "far-future billing"
    for value in ["2999-01", "9999-12"]:
        add(g, f"billing run for {value}", "POST", "/v1/billing/runs", w.finP, (400,), "period",
            body={"project_id": pA, "period": value})
    # -- tokens ---------------------------------------------------------------------------------
    g = "tokens"
    now = int(time.time())
    claims = {"sub": "bi-agent-p", "role": "agent", "projects": [pA], "exp": now + 600}
    ownerA1 = w.owner["A1"]
    h, b, s = ownerA1.split(".")
    forged_claims = json.loads(__import__("base64").urlsafe_b64decode(b + "=="))
    forged_claims["units"] = [uA1, uA2]
    forged = h + "." + b64url(json.dumps(forged_claims).encode()) + "." + s
    bad_tokens = [
        ("no Authorization", None, {}),
        ("Basic scheme", None, {"Authorization": "Basic YWRtaW46YWRtaW4="}),
        ("empty bearer", None, {"Authorization": "Bearer "}),
        ("garbage", "not-a-jwt", {}),
        ("two parts", "abc.def", {}),
        ("alg=none", mint(S, "agent", "bi-agent-p", [pA], alg="none"), {}),
        ("alg=None", mint(S, "agent", "bi-agent-p", [pA], alg="none", header={"alg": "None"}), {}),
        ("alg=HS512", raw_token({"alg": "HS512", "typ": "JWT"}, claims, digest=hashlib.sha512), {}),
        ("wrong secret", mint("not-the-secret", "agent", "bi-agent-p", [pA]), {}),
        ("empty secret", mint("", "agent", "bi-agent-p", [pA]), {}),
        ("expired", mint(S, "agent", "bi-agent-p", [pA], ttl=-5), {}),
        ("no exp", raw_token({"alg": "HS256"}, {k: v for k, v in claims.items() if k != "exp"}), {}),
        ("exp as string", raw_token({"alg": "HS256"}, dict(claims, exp=str(now + 600))), {}),
        ("unknown role", mint(S, "root", "bi-agent-p", [pA]), {}),
        ("role in capitals", mint(S, "AGENT", "bi-agent-p", [pA]), {}),
        ("no role", raw_token({"alg": "HS256"}, {k: v for k, v in claims.items() if k != "role"}), {}),
        ("projects as string", raw_token({"alg": "HS256"}, dict(claims, projects="*")), {}),
        ("payload forged (owner adds a unit)", forged, {}),
        ("signature of another token", ownerA1.rsplit(".", 1)[0] + "." + w.agentP.rsplit(".", 1)[1], {}),
    ]
    for name, tok, hdrs in bad_tokens:
        add(g, f"GET list, {name}", "GET", f"{T}?project_id={pA}", tok, (401,), headers=hdrs)
        add(g, f"POST ticket, {name}", "POST", T, tok, (401,), headers=hdrs, body=tk(component="gas"))
    add(g, "forged owner token reads another's ticket", "GET", f"{T}/{w.tA2}", forged, (401,))
    # -- roles ----------------------------------------------------------------------------------
    g = "roles"
    add(g, "owner runs billing", "POST", "/v1/billing/runs", ownerA1, (403,),
        body={"project_id": pA, "period": NEXT})
    add(g, "owner awards points", "POST", f"/v1/members/{oA1}/earnings", ownerA1, (403,),
        body={"reason": "activity", "points": 10, "source_id": "bi-role"})
    add(g, "agent upserts a project", "PUT", f"/v1/projects/{pA}", w.agentP, (403,),
        body={"name": "x", "timezone": "Asia/Shanghai"})
    add(g, "finance opens a ticket", "POST", T, w.finP, (403,), body=tk(component="gas"))
    add(g, "owner lists callbacks", "GET", f"/v1/callbacks?project_id={pA}", ownerA1, (403,))
    add(g, "agent redeems for an owner", "POST", f"/v1/members/{oA1}/redemptions", w.agentP, (403,),
        body={"merchant_id": "m1", "item": "x", "points": 10})
    add(g, "builder reads the report", "GET", f"/v1/projects/{pA}/reports/{NEXT}", w.builderP, (403,))
    add(g, "agent pays an invoice", "POST", "/v1/payments", w.agentP, (403,),
        body={"invoice_id": inA1, "amount_fen": 1, "reference": "bi-role-pay"})
    add(g, "dispatcher sets a fee rate", "PUT", f"/v1/projects/{pA}/fee-rate", w.dispP, (403,),
        body={"fen_per_m2_month": 1, "due_day": 1})
    # -- cross-tenant ids -----------------------------------------------------------------------
    g = "cross-tenant"
    add(g, "agent Q reads P's ticket", "GET", f"{T}/{w.tA1}", w.agentQ, (404,))
    add(g, "agent Q reads P's ticket history", "GET", f"{T}/{w.tA1}/history", w.agentQ, (404,))
    add(g, "agent Q lists P", "GET", f"{T}?project_id={pA}", w.agentQ, (403, 404))
    add(g, "agent Q opens a ticket in P", "POST", T, w.agentQ, (404,), body=tk(component="gas"))
    add(g, "agent P opens a ticket on Q's unit", "POST", T, w.agentP, (404,),
        body=tk(unit_id=uB1, component="gas"))
    add(g, "agent P opens a ticket in Q", "POST", T, w.agentP, (404,),
        body=tk(project_id=pB, unit_id=uB1, component="gas"))
    add(g, "agent P cancels Q's ticket", "POST", f"{T}/{w.tB1}/cancel", w.agentP, (404,),
        body={"reason": "x"})
    add(g, "owner A1 reads A2's ticket", "GET", f"{T}/{w.tA2}", ownerA1, (404,))
    add(g, "owner A1 reads Q's ticket", "GET", f"{T}/{w.tB1}", ownerA1, (404,))
    add(g, "owner A1 opens a ticket on A2's unit", "POST", T, ownerA1, (404,),
        body=tk(unit_id=uA2, component="gas"))
    add(g, "owner A1 cancels A2's ticket", "POST", f"{T}/{w.tA2}/cancel", ownerA1, (404,),
        body={"reason": "x"})
    add(g, "owner A1 reads A2's member account", "GET", f"/v1/members/{oA2}", ownerA1, (404,))
    add(g, "owner A1 reads A2's ledger", "GET", f"/v1/members/{oA2}/ledger", ownerA1, (404,))
    add(g, "owner A1 redeems A2's points", "POST", f"/v1/members/{oA2}/redemptions", ownerA1, (404,),
        body={"merchant_id": "m1", "item": "x", "points": 10})
    add(g, "owner A1 reads A2's invoice", "GET", f"/v1/invoices/{inA2}", ownerA1, (404,))
    add(g, "owner A1 pays A2's invoice", "POST", "/v1/payments", ownerA1, (404,),
        body={"invoice_id": inA2, "amount_fen": 1, "reference": "bi-xt-1"})
    add(g, "owner A1 signs off A2's work order", "POST", f"/v1/work-orders/{w.wA2}/sign-off", ownerA1,
        (404,), body={"signer": "owner"})
    add(g, "owner A1 reads Q's work order", "GET", f"/v1/work-orders/{w.wB1}", ownerA1, (404,))
    add(g, "finance Q reads P's invoice", "GET", f"/v1/invoices/{inA1}", w.finQ, (404,))
    add(g, "finance Q pays P's invoice", "POST", "/v1/payments", w.finQ, (404,),
        body={"invoice_id": inA1, "amount_fen": 1, "reference": "bi-xt-2"})
    add(g, "finance Q runs P's billing", "POST", "/v1/billing/runs", w.finQ, (404,),
        body={"project_id": pA, "period": NEXT})
    add(g, "finance Q sets P's fee rate", "PUT", f"/v1/projects/{pA}/fee-rate", w.finQ, (404,),
        body={"fen_per_m2_month": 1, "due_day": 1})
    add(g, "supervisor Q awards points to A1", "POST", f"/v1/members/{oA1}/earnings", w.supQ, (404,),
        body={"reason": "activity", "points": 10, "source_id": "bi-xt-3"})
    add(g, "supervisor Q reads A1's member", "GET", f"/v1/members/{oA1}", w.supQ, (404,))
    add(g, "supervisor Q reads P's report", "GET", f"/v1/projects/{pA}/reports/{NEXT}", w.supQ, (404,))
    add(g, "dispatcher Q reads P's work order", "GET", f"/v1/work-orders/{w.wA1}", w.dispQ, (404,))
    add(g, "dispatcher Q signs off P's work order", "POST", f"/v1/work-orders/{w.wA1}/sign-off",
        w.dispQ, (404,), body={"signer": "maintenance"})
    add(g, "dispatcher Q reassigns P's work order", "POST", f"/v1/work-orders/{w.wA1}/reassign",
        w.dispQ, (404,), body={"assignee_kind": "crew", "party_id": f"crew-{pB}"})
    add(g, "builder Q accepts P's work order", "POST", f"/v1/work-orders/{w.wA1}/accept", w.builderQ,
        (404,), body={})
    add(g, "builder Q reads builder P's feed", "GET", f"/v1/partners/builder-{pA}/events?wait=0",
        w.builderQ, (404,))
    # wait is whole seconds: "80x" used to be read as 80 (std::stoi stops at the first non-digit).
    for value in ("80x", "1.5", "abc", " 5", "", "+3", "99999999999"):
        add(g, f"partner feed wait={value!r}", "GET",
            f"/v1/partners/builder-{pA}/events?wait={q(value)}", w.builderP, (400,), "wait")
    add(g, "agent Q reads P's unit", "GET", f"/v1/units/{uA1}", w.agentQ, (404,))
    add(g, "owner A1 reads A2's unit", "GET", f"/v1/units/{uA2}", ownerA1, (404,))
    add(g, "admin: body unit_id disagrees with the URL", "PUT", f"/v1/projects/{pA}/units/{uA1}",
        w.admin, (400,), "unit_id", body=dict(unit_ok, unit_id=uB1))
    add(g, "admin: unit moved to another project", "PUT", f"/v1/projects/{pB}/units/{uA1}", w.admin,
        (400, 409), None, body=unit_ok)
    # -- owner messages (issue 18) ----------------------------------------------------------------
    g = "owner messages"
    CH = f"/v1/projects/{pA}/notification-channels"
    chan = {"url": "http://127.0.0.1:9/sms", "secret": "s" * 20, "enabled": True}
    add(g, "unknown channel", "PUT", f"{CH}/fax", w.admin, (400,), "channel", body=chan)
    add(g, "ftp URL", "PUT", f"{CH}/sms", w.admin, (400,), "url", body=dict(chan, url="ftp://x/sms"))
    add(g, "URL of 2001 characters", "PUT", f"{CH}/sms", w.admin, (400,), "url",
        body=dict(chan, url="http://x/" + "a" * 1992))
    add(g, "secret of 15 characters", "PUT", f"{CH}/sms", w.admin, (400,), "secret",
        body=dict(chan, secret="s" * 15))
    add(g, "enabled as a string", "PUT", f"{CH}/sms", w.admin, (400,), "enabled",
        body=dict(chan, enabled="yes"))
    add(g, "unknown field", "PUT", f"{CH}/sms", w.admin, (400,), "colour", body=dict(chan, colour="red"))
    add(g, "unknown project", "PUT", f"/v1/projects/bi-nope-{RUN}/notification-channels/sms", w.admin,
        (404,), body=chan)
    add(g, "messages limit -1", "GET", f"/v1/owners/{oA1}/messages?limit=-1", w.agentP, (400,), "limit")
    add(g, "messages limit 201", "GET", f"/v1/owners/{oA1}/messages?limit=201", w.agentP, (400,), "limit")
    add(g, "messages limit abc", "GET", f"/v1/owners/{oA1}/messages?limit=abc", w.agentP, (400,), "limit")
    add(g, "agent Q reads A1's messages", "GET", f"/v1/owners/{oA1}/messages", w.agentQ, (404,))
    add(g, "owner A1 reads A2's messages", "GET", f"/v1/owners/{oA2}/messages", w.owner["A1"], (404,))
    P_ = f"/v1/owners/{oA1}/notification-preferences"
    add(g, "opt out of an unknown kind", "PUT", P_, w.owner["A1"], (400,), "opt_out",
        body={"opt_out": ["spam"]})
    add(g, "opt out of an urgent kind", "PUT", P_, w.owner["A1"], (400,), "opt_out",
        body={"opt_out": ["announcement", "incident_notice"]})
    add(g, "opt_out as a string", "PUT", P_, w.owner["A1"], (400,), "opt_out",
        body={"opt_out": "announcement"})
    add(g, "opt_out of numbers", "PUT", P_, w.owner["A1"], (400,), "opt_out", body={"opt_out": [1]})
    add(g, "agent Q sets A1's preferences", "PUT", P_, w.agentQ, (404,), body={"opt_out": []})
    add(g, "agent Q reads A1's preferences", "GET", P_, w.agentQ, (404,))
    # The quiet window and the daily cap are project policy: a bad value is refused, nothing stored.
    POL = f"/v1/projects/{P}/policy"
    for name, cb, field in [
            ("quiet hours 25:00", {"quiet_hours_start": "25:00"}, "quiet_hours_start"),
            ("quiet hours 9pm", {"quiet_hours_end": "9pm"}, "quiet_hours_end"),
            ("quiet hours a number", {"quiet_hours_start": 2100}, "quiet_hours_start"),
            ("message cap 0", {"owner_daily_message_cap": 0}, "owner_daily_message_cap"),
            ("message cap 101", {"owner_daily_message_cap": 101}, "owner_daily_message_cap"),
            ("message cap -3", {"owner_daily_message_cap": -3}, "owner_daily_message_cap")]:
        add(g, "policy: " + name, "PUT", POL, w.admin, (400,), field, body={"policy": {"callback": cb}})
    add(g, "owner A1 reads A2's preferences", "GET", f"/v1/owners/{oA2}/notification-preferences",
        w.owner["A1"], (404,))
    # Survey campaigns (issue 20): bad campaigns and answers change nothing.
    SC = f"/v1/projects/{P}/survey-campaigns"
    camp = {"kind": "quarterly_satisfaction", "title": "第四季度满意度回访", "buildings": ["1"]}
    for name, body, field in [
            ("campaign kind weekly", dict(camp, kind="weekly"), "kind"),
            ("campaign without title", dict(camp, title=""), "title"),
            ("campaign title of 101 characters", dict(camp, title="问" * 101), "title"),
            ("campaign buildings as a string", dict(camp, buildings="1"), "buildings"),
            ("campaign building twice", dict(camp, buildings=["1", "1"]), "buildings"),
            ("campaign to a building without units", dict(camp, buildings=["99"]), "buildings"),
            ("campaign with an unknown field", dict(camp, colour="red"), "colour")]:
        add(g, name, "POST", SC, w.supP, (400,), field, body=body)
    add(g, "campaign in another project", "POST", SC, w.supQ, (404,), body=camp)
    add(g, "campaign in an unknown project", "POST", f"/v1/projects/bi-nope-{RUN}/survey-campaigns", w.admin,
        (404,), body=camp)
    SA = "/v1/survey-campaigns/00000000-0000-4000-8000-000000000000/answers"
    add(g, "answer to an unknown campaign", "POST", SA, w.owner["A1"], (404,), body={"owner_id": oA1, "score": 4})
    add(g, "unknown campaign", "GET", "/v1/survey-campaigns/00000000-0000-4000-8000-000000000000", w.supP, (404,))
    for name, body, field in [
            ("answer score 0", {"owner_id": oA1, "score": 0}, "score"),
            ("answer score 6", {"owner_id": oA1, "score": 6}, "score"),
            ("answer score as a string", {"owner_id": oA1, "score": "five"}, "score"),
            ("answer score 4.5", {"owner_id": oA1, "score": 4.5}, "score"),
            ("answer comment of 501 characters", {"owner_id": oA1, "score": 4, "comment": "好" * 501}, "comment")]:
        add(g, name, "POST", SA, w.owner["A1"], (400,), field, body=body)
    add(g, "owner A1 reads A2's questionnaires", "GET", f"/v1/owners/{oA2}/surveys", w.owner["A1"], (404,))
    R = "/v1/notification-receipts"
    sig = {"X-AfterCare-Signature": "sha256=" + "0" * 64}
    add(g, "receipt: unknown message id", "POST", f"{R}/sms", None, (404,), raw=json.dumps(
        {"message_id": "00000000-0000-5000-8000-000000000000", "status": "delivered"}), headers=sig)
    add(g, "receipt: not JSON", "POST", f"{R}/sms", None, (400,), None, raw="{", headers=sig)
    add(g, "receipt: status read", "POST", f"{R}/sms", None, (400,), "status", raw=json.dumps(
        {"message_id": "00000000-0000-5000-8000-000000000000", "status": "read"}), headers=sig)
    add(g, "receipt: impossible at", "POST", f"{R}/sms", None, (400,), "at", raw=json.dumps(
        {"message_id": "00000000-0000-5000-8000-000000000000", "status": "delivered",
         "at": "2026-02-30T10:00:00Z"}), headers=sig)
    add(g, "receipt: message_id a number", "POST", f"{R}/sms", None, (400,), "message_id",
        raw=json.dumps({"message_id": 7, "status": "delivered"}), headers=sig)
    add(g, "receipt: unknown channel", "POST", f"{R}/fax", None, (400,), "channel",
        raw=json.dumps({"message_id": "00000000-0000-5000-8000-000000000000", "status": "delivered"}),
        headers=sig)
    # -- owners without the app (issue 23) -------------------------------------------------------
    g = "owners without the app"
    SO, WO = f"/v1/work-orders/{w.wA1}/sign-off", f"/v1/work-orders/{w.wA1}"
    for label, ob, field in [
            ("method fax", {"method": "fax"}, "on_behalf.method"),
            ("no method", {"note": "电话"}, "on_behalf.method"),
            ("paper_slip without attachment", {"method": "paper_slip"}, "on_behalf.attachment_id"),
            ("SQL-looking attachment id", {"method": "paper_slip", "attachment_id": "'; DROP TABLE x; --"},
             "on_behalf.attachment_id"),
            ("attachment id a number", {"method": "paper_slip", "attachment_id": 7}, "on_behalf.attachment_id"),
            ("note of 501 characters", {"method": "phone", "note": "话" * 501}, "on_behalf.note"),
            ("unknown field", {"method": "phone", "recorded_by": "me"}, "on_behalf.recorded_by"),
            ("slip of no ticket", {"method": "paper_slip", "attachment_id": "bi-no-such-slip"},
             "on_behalf.attachment_id")]:
        add(g, f"sign-off on_behalf {label}", "POST", SO, w.dispP, (400,), field,
            body={"signer": "owner", "on_behalf": ob})
    add(g, "sign-off on_behalf as a string", "POST", SO, w.dispP, (400,), "on_behalf",
        body={"signer": "owner", "on_behalf": "phone"})
    add(g, "on_behalf for the maintenance signature", "POST", SO, w.dispP, (400,), "on_behalf",
        body={"signer": "maintenance", "on_behalf": {"method": "phone"}})
    add(g, "the owner signing with on_behalf", "POST", SO, w.owner["A1"], (400,), "on_behalf",
        body={"signer": "owner", "on_behalf": {"method": "phone"}})
    add(g, "agent signing for the owner without on_behalf", "POST", SO, w.agentP, (403,),
        body={"signer": "owner"})
    add(g, "dispatcher Q signing for A1's owner", "POST", SO, w.dispQ, (404,),
        body={"signer": "owner", "on_behalf": {"method": "phone"}})
    add(g, "confirm-appointment of an unknown order", "POST", f"/v1/work-orders/bi-nope-{RUN}/confirm-appointment",
        w.agentP, (404,), body={})
    add(g, "confirm-appointment, order not scheduled", "POST", f"{WO}/confirm-appointment", w.agentP,
        (409,), body={})
    add(g, "confirm-appointment by agent Q", "POST", f"{WO}/confirm-appointment", w.agentQ, (404,), body={})
    add(g, "confirm-appointment by a dispatcher", "POST", f"{WO}/confirm-appointment", w.dispP, (403,),
        body={})
    add(g, "confirm-appointment on_behalf method sms", "POST", f"{WO}/confirm-appointment", w.agentP,
        (400,), "on_behalf.method", body={"on_behalf": {"method": "sms"}})
    add(g, "confirm-appointment unknown field", "POST", f"{WO}/confirm-appointment", w.agentP, (400,),
        "start", body={"start": "2026-12-01T09:00:00Z"})
    add(g, "refuse-appointment without reason", "POST", f"{WO}/refuse-appointment", w.agentP, (400,),
        "reason", body={})
    add(g, "refuse-appointment, nothing to refuse", "POST", f"{WO}/refuse-appointment", w.agentP, (409,),
        body={"reason": "不同意"})
    add(g, "schedule owner_consent method carrier pigeon", "POST", f"{WO}/schedule", w.dispP, (400,),
        "owner_consent.method", body={"start": (NOW + dt.timedelta(days=2)).isoformat().replace("+00:00", "Z"),
                                      "end": (NOW + dt.timedelta(days=2, hours=2)).isoformat().replace("+00:00", "Z"),
                                      "owner_consent": {"method": "pigeon"}})
    for label, body, field in [("score 0", {"score": 0}, "score"), ("score 6", {"score": 6}, "score"),
                               ("score -1", {"score": -1}, "score"), ("score 4.5", {"score": 4.5}, "score"),
                               ("score '5'", {"score": "5"}, "score"), ("score 2^40", {"score": 2**40}, "score"),
                               ("comment of 501 characters", {"score": 4, "comment": "好" * 501}, "comment"),
                               ("comment a number", {"score": 4, "comment": 5}, "comment")]:
        add(g, f"rating {label}", "POST", f"{WO}/rating", w.agentP, (400,), field, body=body)
    add(g, "rating an order not done", "POST", f"{WO}/rating", w.agentP, (409,), body={"score": 4})
    add(g, "rating by owner A1 of A2's order", "POST", f"/v1/work-orders/{w.wA2}/rating", w.owner["A1"],
        (404,), body={"score": 4})
    add(g, "rating by a dispatcher", "POST", f"{WO}/rating", w.dispP, (403,), body={"score": 4})
    add(g, "rating by agent Q", "POST", f"{WO}/rating", w.agentQ, (404,), body={"score": 4})
    # the owner's approval of the repair plan (issue 23, remainder)
    AP = f"{WO}/approve-plan"
    add(g, "approve-plan of an unknown order", "POST", f"/v1/work-orders/bi-nope-{RUN}/approve-plan",
        w.agentP, (404,), body={})
    add(g, "approve-plan, no plan awaits approval", "POST", AP, w.agentP, (409,), body={})
    add(g, "approve-plan comment of 501 characters", "POST", AP, w.agentP, (400,), "comment",
        body={"comment": "同" * 501})
    add(g, "approve-plan comment a number", "POST", AP, w.agentP, (400,), "comment", body={"comment": 5})
    add(g, "approve-plan on_behalf method fax", "POST", AP, w.dispP, (400,), "on_behalf.method",
        body={"on_behalf": {"method": "fax"}})
    add(g, "approve-plan paper_slip without attachment", "POST", AP, w.dispP, (400,),
        "on_behalf.attachment_id", body={"on_behalf": {"method": "paper_slip"}})
    add(g, "approve-plan unknown field", "POST", AP, w.agentP, (400,), "plan", body={"plan": "x"})
    add(g, "approve-plan by the owner with on_behalf", "POST", AP, w.owner["A1"], (400,), "on_behalf",
        body={"on_behalf": {"method": "phone"}})
    add(g, "approve-plan by a dispatcher without on_behalf", "POST", AP, w.dispP, (403,), body={})
    add(g, "approve-plan by agent Q", "POST", AP, w.agentQ, (404,), body={})
    add(g, "approve-plan by owner A1 of A2's order", "POST", f"/v1/work-orders/{w.wA2}/approve-plan",
        w.owner["A1"], (404,), body={})
    add(g, "verification plan of 2001 characters", "POST", f"{WO}/verification", w.admin, (400,), "plan",
        body={"defect_confirmed": True, "liability": "builder", "estimate_fen": 100, "plan": "修" * 2001})
    add(g, "verification plan a number", "POST", f"{WO}/verification", w.admin, (400,), "plan",
        body={"defect_confirmed": True, "liability": "builder", "estimate_fen": 100, "plan": 5})
    bad_input_handover.cases(w, add)  # -- handover and decoration (issue 19)
    # -- incidents and announcements (issue 23) ---------------------------------------------------
    g = "incidents"
    I = f"/v1/projects/{pA}/incidents"
    inc = {"kind": "outage", "category": "public_facility", "component": "plumbing",
           "buildings": ["1"], "title": "1栋停水", "starts_at": ts(dt.timedelta(days=1)),
           "expected_end": ts(dt.timedelta(days=1, hours=4))}
    add(g, "unknown kind", "POST", I, w.dispP, (400,), "kind", body=dict(inc, kind="fire"))
    add(g, "kind missing", "POST", I, w.dispP, (400,), "kind",
        body={k: v for k, v in inc.items() if k != "kind"})
    add(g, "component missing", "POST", I, w.dispP, (400,), "component",
        body={k: v for k, v in inc.items() if k != "component"})
    add(g, "buildings as a string", "POST", I, w.dispP, (400,), "buildings", body=dict(inc, buildings="1"))
    add(g, "a building of another project", "POST", I, w.dispP, (400,), "buildings",
        body=dict(inc, buildings=["99"]))
    add(g, "the same building twice", "POST", I, w.dispP, (400,), "buildings",
        body=dict(inc, buildings=["1", "1"]))
    add(g, "title empty", "POST", I, w.dispP, (400,), "title", body=dict(inc, title=""))
    add(g, "title a number", "POST", I, w.dispP, (400,), "title", body=dict(inc, title=7))
    add(g, "starts_at 30 February", "POST", I, w.dispP, (400,), "starts_at",
        body=dict(inc, starts_at="2026-02-30T10:00:00Z"))
    add(g, "expected_end before starts_at", "POST", I, w.dispP, (400,), "expected_end",
        body=dict(inc, expected_end=ts(dt.timedelta(hours=1))))
    add(g, "starts_at in 1970", "POST", I, w.dispP, (400,), "starts_at",
        body=dict(inc, starts_at="1970-01-02T00:00:00Z", expected_end="1970-01-03T00:00:00Z"))
    add(g, "unknown field", "POST", I, w.dispP, (400,), "severity", body=dict(inc, severity=3))
    add(g, "unknown project", "POST", f"/v1/projects/bi-nope-{RUN}/incidents", w.admin, (404,), body=inc)
    add(g, "dispatcher Q opens one in P", "POST", I, w.dispQ, (404,), body=inc)
    add(g, "an owner opens one", "POST", I, w.owner["A1"], (403,), body=inc)
    add(g, "a builder opens one", "POST", I, w.builderP, (403,), body=inc)
    add(g, "list: unknown status", "GET", f"{I}?status=closed", w.agentP, (400,), "status")
    add(g, "list: bad page_token", "GET", f"{I}?page_token=zz", w.agentP, (400,), "page_token")
    add(g, "list: agent Q", "GET", I, w.agentQ, (404,))
    add(g, "get: unknown id", "GET", "/v1/incidents/00000000-0000-4000-8000-000000000000", w.agentP, (404,))
    add(g, "get: not a uuid", "GET", "/v1/incidents/1%27%20OR%201=1", w.agentP, (404,))
    add(g, "get: agent Q", "GET", f"/v1/incidents/{w.incident}", w.agentQ, (404,))
    add(g, "get: owner of another project", "GET", f"/v1/incidents/{w.incident}", w.owner["B1"], (404,))
    R_ = f"/v1/incidents/{w.incident}/resolve"
    add(g, "resolve: note a number", "POST", R_, w.dispP, (400,), "note", body={"note": 5})
    add(g, "resolve: note of 2001 characters", "POST", R_, w.dispP, (400,), "note",
        body={"note": "修" * 2001})
    add(g, "resolve: unknown incident", "POST",
        "/v1/incidents/00000000-0000-4000-8000-000000000000/resolve", w.dispP, (404,), body={})
    add(g, "resolve: dispatcher Q", "POST", R_, w.dispQ, (404,), body={})
    add(g, "resolve: an agent", "POST", R_, w.agentP, (403,), body={})
    # a proposal confirmed or dismissed (remainder of issue 23); w.incident was opened by staff
    for verb in ("confirm", "dismiss"):
        V = f"/v1/incidents/{w.incident}/{verb}"
        body = {"reason": "两处不同故障"} if verb == "dismiss" else {}
        add(g, f"{verb}: not a proposal", "POST", V, w.dispP, (409,), body=body)
        add(g, f"{verb}: unknown incident", "POST",
            f"/v1/incidents/00000000-0000-4000-8000-000000000000/{verb}", w.dispP, (404,), body=body)
        add(g, f"{verb}: not a uuid", "POST", f"/v1/incidents/1%27%20OR%201=1/{verb}", w.dispP, (404,),
            body=body)
        add(g, f"{verb}: dispatcher Q", "POST", V, w.dispQ, (404,), body=body)
        add(g, f"{verb}: an owner", "POST", V, w.owner["A1"], (403,), body=body)
        add(g, f"{verb}: a builder", "POST", V, w.builderP, (403,), body=body)
        add(g, f"{verb}: unknown field", "POST", V, w.dispP, (400,), "status", body=dict(body, status=2))
    D_ = f"/v1/incidents/{w.incident}/dismiss"
    add(g, "dismiss: no reason", "POST", D_, w.dispP, (400,), "reason", body={})
    add(g, "dismiss: reason of 2001 characters", "POST", D_, w.dispP, (400,), "reason",
        body={"reason": "因" * 2001})
    add(g, "dismiss: reason a number", "POST", D_, w.dispP, (400,), "reason", body={"reason": 7})
    add(g, "confirm: note a number", "POST", f"/v1/incidents/{w.incident}/confirm", w.dispP, (400,), "note",
        body={"note": 7})
    add(g, "confirm: note of 2001 characters", "POST", f"/v1/incidents/{w.incident}/confirm", w.dispP,
        (400,), "note", body={"note": "确" * 2001})
    # the proposal rule is project policy: bad values refused naming the field, nothing stored
    POLI = f"/v1/projects/{pA}/policy"
    for name, inc_policy, field in [
            ("one home makes an incident", {"proposal_min_units": 1}, "incidents.proposal_min_units"),
            ("101 homes", {"proposal_min_units": 101}, "incidents.proposal_min_units"),
            ("min units a string", {"proposal_min_units": "two"}, "proposal_min_units"),
            ("min units negative", {"proposal_min_units": -2}, "incidents.proposal_min_units"),
            ("window of 0 minutes", {"proposal_window_minutes": 0}, "incidents.proposal_window_minutes"),
            ("window over a week", {"proposal_window_minutes": 10081}, "incidents.proposal_window_minutes"),
            ("window 1.5 minutes", {"proposal_window_minutes": 1.5}, "proposal_window_minutes"),
            ("unknown field", {"proposal_hours": 2}, "proposal_hours")]:
        add(g, f"policy incidents: {name}", "PUT", POLI, w.admin, (400,), field,
            body={"policy": {"incidents": inc_policy}})
    g = "announcements"
    A = f"/v1/projects/{pA}/announcements"
    ann = {"title": "停水通知", "body": "明日9:00-12:00停水", "buildings": ["1"], "urgent": False}
    add(g, "title missing", "POST", A, w.supP, (400,), "title",
        body={k: v for k, v in ann.items() if k != "title"})
    add(g, "body of 5001 characters", "POST", A, w.supP, (400,), "body", body=dict(ann, body="水" * 5001))
    add(g, "urgent as a string", "POST", A, w.supP, (400,), "urgent", body=dict(ann, urgent="yes"))
    add(g, "send_at month 13", "POST", A, w.supP, (400,), "send_at",
        body=dict(ann, send_at="2026-13-01T00:00:00Z"))
    add(g, "send_at 100 days ahead", "POST", A, w.supP, (400,), "send_at",
        body=dict(ann, send_at=ts(dt.timedelta(days=100))))
    add(g, "buildings of numbers", "POST", A, w.supP, (400,), "buildings", body=dict(ann, buildings=[1]))
    add(g, "a building of another project", "POST", A, w.supP, (400,), "buildings",
        body=dict(ann, buildings=["99"]))
    add(g, "supervisor Q posts in P", "POST", A, w.supQ, (404,), body=ann)
    add(g, "a dispatcher posts", "POST", A, w.dispP, (403,), body=ann)
    add(g, "an owner posts", "POST", A, w.owner["A1"], (403,), body=ann)
    add(g, "list: bad page_token", "GET", f"{A}?page_token=1:x", w.agentP, (400,), "page_token")
    add(g, "list: agent Q", "GET", A, w.agentQ, (404,))
    add(g, "list: owner of another project", "GET", A, w.owner["B1"], (404,))
    # -- end of issue 23 block ----------------------------------------------------------------------
    # -- idempotency misuse ---------------------------------------------------------------------
    g = "idempotency"
    add(g, "same key, different body", "POST", T, w.agentP, (409,), None,
        body=tk(description="另一个问题"), headers={"Idempotency-Key": f"bi-rt-chinese-{RUN}"})
    add(g, "Idempotency-Key of 201 chars", "POST", T, w.agentP, (400,), "Idempotency-Key",
        body=tk(component="gas"), headers={"Idempotency-Key": "k" * 201})
    add(g, "Idempotency-Key of 150 chars", "POST", T, w.agentP, (400,), "idempotency",
        body=tk(component="gas"), headers={"Idempotency-Key": "k" * 150})
    add(g, "payment reference reused for another amount", "POST", "/v1/payments", w.finP, (409,),
        None, body={"invoice_id": inA1, "amount_fen": 2, "reference": "bi-pay-1"})
    add(g, "payment reference reused for another invoice", "POST", "/v1/payments", w.finP, (409,),
        None, body={"invoice_id": inA2, "amount_fen": 100, "reference": "bi-pay-1"})
    # -- targets, KPI alerts, yearly reports and the hq role (issue 20) -------------------------
    g = "targets"
    for value in ["20266", "1999", "0000", "202X", "2026-Y1"]:
        add(g, f"report period {value}", "GET", f"/v1/projects/{pA}/reports/{value}", w.supP, (400,),
            "period")
    POL = f"/v1/projects/{pA}/policy"
    for name, targets, field in [("satisfaction_bp 10001", {"satisfaction_bp": 10001}, "satisfaction_bp"),
                                 ("complaint_rate_max_bp -1", {"complaint_rate_max_bp": -1}, "complaint_rate_max_bp"),
                                 ("satisfaction_bp a word", {"satisfaction_bp": "high"}, "satisfaction_bp"),
                                 ("fee_collection_bp 80.5", {"fee_collection_bp": 80.5}, "fee_collection_bp"),
                                 ("an empty manager id", {"managers": [""]}, "managers"),
                                 ("managers as a string", {"managers": "mgr-1"}, "managers"),
                                 ("an unknown target", {"happiness_bp": 9000}, "happiness_bp")]:
        add(g, f"policy targets: {name}", "PUT", POL, w.admin, (400,), field, body={"policy": {"targets": targets}})
    KA = f"/v1/projects/{pA}/kpi-alerts"
    add(g, "alerts page_size 201", "GET", f"{KA}?page_size=201", w.supP, (400,), "page_size")
    add(g, "alerts page_size -1", "GET", f"{KA}?page_size=-1", w.supP, (400,), "page_size")
    add(g, "alerts page_size abc", "GET", f"{KA}?page_size=abc", w.supP, (400,), "page_size")
    add(g, "alerts page_token garbage", "GET", f"{KA}?page_token=zzz", w.supP, (400,), "page_token")
    add(g, "alerts open_only=maybe", "GET", f"{KA}?open_only=maybe", w.supP, (400,), "open_only")
    add(g, "alerts of an unknown project", "GET", f"/v1/projects/bi-nope-{RUN}/kpi-alerts", w.admin, (404,))
    add(g, "supervisor Q reads P's alerts", "GET", KA, w.supQ, (404,))
    ACK = "/v1/kpi-alerts/{}/acknowledge"
    add(g, "acknowledge an unknown alert", "POST", ACK.format("00000000-0000-5000-8000-000000000000"),
        w.supP, (404,), body={"note": "ok"})
    add(g, "acknowledge a malformed id", "POST", ACK.format("not-an-id"), w.supP, (404,), body={"note": "ok"})
    add(g, "acknowledge with a 2001-char note", "POST", ACK.format("00000000-0000-5000-8000-000000000000"),
        w.supP, (400,), "note", body={"note": "改" * 2001})
    add(g, "acknowledge with a numeric note", "POST", ACK.format("00000000-0000-5000-8000-000000000000"),
        w.supP, (400,), "note", body={"note": 7})
    hq = t("hq", "bi-hq", ["*"])
    # 2025 has 52 ISO weeks (its week 53 is an impossible date), weeks start at 1
    for value in ["2026-13", "2026-W60", "latest", "1999", "2026-Q0", "2025-W53", "2026-W00"]:
        add(g, f"group report period {value}", "GET", f"/v1/reports/{value}", hq, (400,), "period")
    add(g, "group report worst=101", "GET", f"/v1/reports/{NEXT}?worst=101", hq, (400,), "worst")
    add(g, "group report worst=-1", "GET", f"/v1/reports/{NEXT}?worst=-1", hq, (400,), "worst")
    add(g, "group report worst=abc", "GET", f"/v1/reports/{NEXT}?worst=abc", hq, (400,), "worst")
    add(g, "supervisor reads the group report", "GET", f"/v1/reports/{NEXT}", w.supP, (403,))
    add(g, "hq opens a ticket", "POST", T, hq, (403,), body=tk(component="gas"))
    add(g, "hq sets a policy", "PUT", POL, hq, (403,), body={"policy": {}})
    add(g, "hq runs billing", "POST", "/v1/billing/runs", hq, (403,), body={"project_id": pA, "period": NEXT})
    add(g, "hq acknowledges an alert", "POST", ACK.format("00000000-0000-5000-8000-000000000000"), hq,
        (403,), body={"note": "ok"})
    return C


# Filtered lists that name another tenant's object: a 4xx or an empty list, nothing foreign.
def list_cases(w):
    pA, uA1, oA1 = w.units["A1"]
    _, uA2, _ = w.units["A2"]
    pB, uB1, _ = w.units["B1"]
    return [
        ("owner A1 lists A2's unit tickets", f"/v1/tickets?project_id={pA}&unit_id={uA2}", w.owner["A1"],
         "tickets", lambda x: x.get("unit_id") == uA1),
        ("owner A1 lists P's tickets", f"/v1/tickets?project_id={pA}", w.owner["A1"], "tickets",
         lambda x: x.get("unit_id") == uA1),
        ("owner A1 lists A2's invoices", f"/v1/invoices?unit_id={uA2}", w.owner["A1"], "invoices",
         lambda x: x.get("unit_id") == uA1),
        ("owner A1 lists Q's invoices", f"/v1/invoices?unit_id={uB1}", w.owner["A1"], "invoices",
         lambda x: x.get("unit_id") == uA1),
        ("finance Q lists A1's invoices", f"/v1/invoices?unit_id={uA1}", w.finQ, "invoices",
         lambda x: x.get("unit_id") == uB1),
        ("dispatcher Q lists work orders of P's ticket", f"/v1/work-orders?ticket_id={w.tA1}", w.dispQ,
         "work_orders", lambda x: x.get("project_id") == pB),
        ("agent Q lists callbacks of P", f"/v1/callbacks?project_id={pA}", w.agentQ, "callbacks",
         lambda x: x.get("project_id") == pB),
        ("agent Q lists P's units", f"/v1/projects/{pA}/units", w.agentQ, "units",
         lambda x: x.get("project_id") == pB),
        ("owner A1 lists P's units", f"/v1/projects/{pA}/units", w.owner["A1"], "units",
         lambda x: x.get("unit_id") == uA1),
    ]


def check_case(case, r):
    group, name, method, path, token, kw, want, field = case
    label = f"[{group}] {name}: {method} {path[:80]}"
    if r.status is None:
        fail(f"{label}: no response ({r.error})")
        return
    if r.status not in want:
        fail(f"{label}: HTTP {r.status}, want {'/'.join(map(str, want))}: {r.text[:300]}")
        return
    err = r.json_error()
    if not err:
        fail(f"{label}: HTTP {r.status} without the JSON error body: {r.text[:300]!r}")
        return
    if not r.headers.get("content-type", "").startswith("application/json"):
        fail(f"{label}: error with Content-Type {r.headers.get('content-type')!r}")
    if field and field.lower() not in err[1].lower():
        fail(f"{label}: the message does not name '{field}': {err[1]!r}")


def diff(before, after):
    keys = sorted(set(before) | set(after))
    return [f"{k}: {before.get(k)} -> {after.get(k)}" for k in keys if before.get(k) != after.get(k)]


def main():
    t0 = time.monotonic()
    log(f"bad-input suite: run {RUN}, projects {P}/{Q}, stack {STACK.state} (gateway {B})")
    try:
        STACK.start(os.environ.get("AFTERCARE_BUILD_DIR", os.path.join(REPO, "build")))
        log(f"stack up in {time.monotonic() - t0:.1f}s")
        pids = {n: STACK.pid(n) for n in SERVICES + ("gateway",)}
        w = setup()
        round_trips(w)
        log(f"setup and round trips done ({len(failures)} failure(s) so far)")
        base = quiet_fingerprint()
        all_cases = cases(w)
        groups = []
        for c in all_cases:
            if c[0] not in groups:
                groups.append(c[0])
        n = 0
        statuses = {g: {} for g in groups}
        for group in groups:
            for case in (c for c in all_cases if c[0] == group):
                _, _, method, path, token, kw, _, _ = case
                r = api(method, path, token, body=kw.get("body"), raw=kw.get("raw"),
                        headers=kw.get("headers"))
                check_case(case, r)
                statuses[group][r.status] = statuses[group].get(r.status, 0) + 1
                n += 1
            if group == "cross-tenant":
                for name, path, token, key, mine in list_cases(w):
                    r = api("GET", path, token)
                    n += 1
                    if r.status is not None and 400 <= r.status < 500 and r.json_error():
                        continue
                    items = (r.body or {}).get(key) if r.status == 200 else None
                    if items is None:
                        fail(f"[cross-tenant] {name}: {r}")
                    elif not all(mine(x) for x in items):
                        fail(f"[cross-tenant] {name}: foreign objects listed: {items[:3]}")
            after = quiet_fingerprint()
            changed = diff(base, after)
            if changed:
                fail(f"[{group}] bad requests changed stored data: " + "; ".join(changed[:12]))
                base = after
            log(f"group '{group}' done: " + ", ".join(
                f"{k}x{v}" for k, v in sorted(statuses[group].items(), key=str)))
        log(f"{n} bad requests sent")
        for name, pid in pids.items():
            if STACK.pid(name) != pid or not STACK.alive(pid):
                fail(f"{name} crashed or restarted during the suite (pid {pid} -> {STACK.pid(name)})")
    except Exception:  # noqa: BLE001
        traceback.print_exc()
        failures.append("harness: " + traceback.format_exc().strip().splitlines()[-1])
    return finish("bad-input suite", failures, t0, STACK, "AFTERCARE_BADINPUT_KEEP")


if __name__ == "__main__":
    sys.exit(main())
