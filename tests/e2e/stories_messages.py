"""Story 6 (issue 18): what each owner was told, and how it reached them.

prepare() runs right after setup: the project's SMS channel points at a provider started here (a
local HTTP server that checks the platform's signature and keeps every request), and 李娜 (unit
B) opts out of quotes. Stories 1-5 then run as usual and the platform writes to the owners as the
repairs move. Story 6 reads each owner's message log (as the owner, and as the agent on the
ticket page would), and checks it against what the provider received:
  - every message posted once, signed with the channel secret, to the owner's full number,
    while the log keeps only the masked one;
  - non-urgent messages created in quiet hours (21:00-08:00 project time) are held, not posted,
    while the window lasts; the others are posted;
  - 李娜's quote was suppressed and never posted; urgent kinds cannot be opted out;
  - an emergency (a tripped main breaker in 张伟's flat) is told at once, whatever the hour;
  - receipts: the provider's signed "delivered" moves the message on, a later "failed" does not
    move it back, a wrong signature is refused (401), an unknown message id is 404;
  - scope: another owner and a crew member cannot read the log;
  - the month's report counts the messages as the logs show them.
"""

import datetime as dt
import hashlib
import hmac
import json
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import stories as kit

PLATFORM_QUIET = ("21:00", "08:00")  # the platform default of Policy.callback
SETTLED = {"held", "sent", "delivered", "failed", "suppressed"}
KIND_ZH = {"appointment_scheduled": "预约上门", "appointment_reminder": "上门提醒",
           "technician_late": "维修晚到", "quote_issued": "报价确认", "signoff_requested": "完工验收",
           "deadline_extended": "时限延长", "payment_reminder": "缴费提醒", "invoice_overdue": "欠费通知",
           "warranty_expiry": "保修到期", "incident_notice": "紧急通知", "announcement": "公告"}


def sign(secret, body):
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hhmm(text):
    return dt.time(int(text[:2]), int(text[3:]))


def in_quiet_hours(window, t):
    start, end = window
    local = kit.local(t).time()
    if start == end:
        return False
    return start <= local < end if start < end else (local >= start or local < end)


def quiet_window_end(window, t):
    """The end of the quiet window that contains t (t must be in one)."""
    local, end = kit.local(t), window[1]
    day = local.date() if local.time() < end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, end, tzinfo=kit.ZONE)


class Provider:
    """The SMS vendor's side: accepts signed posts, answers 200, remembers them."""

    def __init__(self, secret):
        self.secret = secret
        self.posts = []  # (body dict, signature ok)
        self.lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                ok = hmac.compare_digest(self.headers.get("X-AfterCare-Signature") or "",
                                         sign(provider.secret, raw))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = {"unparsable": raw.decode(errors="replace")}
                with provider.lock:
                    provider.posts.append((body, ok))
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self):
        with self.lock:
            return list(self.posts)


def prepare(st):
    out, api, p = st.out, st.api, st.p
    out.story = "story 6 (prepare)"
    st.sms_secret = "sms-secret-" + st.run_id
    st.sms = Provider(st.sms_secret)
    # Callback learns the project from intake's ProjectUpserted event: until then the channel's
    # project is unknown there (404). Wait for that, then the answer must be the channel.
    channel = {"url": st.sms.url, "secret": st.sms_secret, "enabled": True}
    kit.poll("callback to know the project",
             lambda: api.call("PUT", f"/v1/projects/{p}/notification-channels/sms", st.admin,
                              channel)[0] != 404, 30)
    got = api.must("PUT", f"/v1/projects/{p}/notification-channels/sms", st.admin, channel)
    out.eq("sms channel", (got.get("channel"), got.get("url"), got.get("enabled")), ("sms", st.sms.url, True))
    out.ok("sms channel answer has no secret", st.sms_secret not in json.dumps(got))
    # Quiet hours are project policy: a bad window is refused; this project has none, so every
    # message goes as it is made (held messages are covered by callback_outreach_itest).
    s, _ = api.call("PUT", f"/v1/projects/{p}/policy", st.admin,
                    {"policy": {"callback": {"quiet_hours_start": "25:00"}}})
    out.eq("policy: quiet hours 25:00", s, 400)
    pol = api.must("GET", f"/v1/projects/{p}/policy", st.admin).get("callback") or {}
    out.eq("policy: platform quiet hours and daily cap",
           (pol.get("quiet_hours_start"), pol.get("quiet_hours_end"), pol.get("owner_daily_message_cap")),
           PLATFORM_QUIET + (10,))
    pol = api.must("PUT", f"/v1/projects/{p}/policy", st.admin, {"policy": {
        "callback": {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}}}).get("callback") or {}
    st.quiet_since = dt.datetime.now(kit.UTC)
    st.platform_quiet = tuple(hhmm(x) for x in PLATFORM_QUIET)
    st.quiet = (hhmm(pol.get("quiet_hours_start", "21:00")), hhmm(pol.get("quiet_hours_end", "08:00")))
    out.eq("policy: this project has no quiet window", (pol.get("quiet_hours_start"), pol.get("quiet_hours_end")),
           ("00:00", "00:00"))
    b = st.units["B"]
    tok = st.owner_token(b)
    s, body = api.call("PUT", f"/v1/owners/{b['owner_id']}/notification-preferences", tok,
                       {"opt_out": ["quote_issued", "incident_notice"]})
    out.eq("opting out of an urgent kind (incident_notice)", s, 400)
    got = api.must("PUT", f"/v1/owners/{b['owner_id']}/notification-preferences", tok, {"opt_out": ["quote_issued"]})
    out.eq("李娜's preferences", got.get("opt_out"), ["quote_issued"])
    got = api.must("GET", f"/v1/owners/{b['owner_id']}/notification-preferences", st.agent)
    out.eq("李娜's preferences as the agent reads them", got.get("opt_out"), ["quote_issued"])
    out.say(f"短信通道 → {st.sms.url} (签名密钥仅平台与服务商持有); 李娜 退订 报价确认短信")


def stories(st):
    return [("story 6", lambda: story(st))]


def held_expected(st, created, now):
    """True: the message must still be held; False: it must have been posted; None: either (made
    while the project's new window was on its way to callback, a few seconds after the change)."""
    def held_by(window):
        if not in_quiet_hours(window, created):
            return False
        end = quiet_window_end(window, created)
        return True if now < end else (None if now < end + dt.timedelta(seconds=30) else False)
    if created < st.quiet_since:
        return held_by(st.platform_quiet)
    if created < st.quiet_since + dt.timedelta(seconds=20) and held_by(st.platform_quiet) is not False:
        return None
    return held_by(st.quiet)


def log_of(st, unit, tok=None):
    return st.api.must("GET", f"/v1/owners/{unit['owner_id']}/messages", tok or st.owner_token(unit)).get("messages", [])


def settled_log(st, unit, wait):
    """The owner's log once no message is still waiting for its first post."""
    def fetch():
        msgs = log_of(st, unit)
        return msgs if all(m.get("status") in SETTLED for m in msgs) else None
    try:
        return kit.poll(f"{unit['name']}'s messages settled", fetch, wait)
    except kit.StoryError as e:
        st.out.fail(f"{unit['name']}'s messages", f"{e}: {[(m['kind'], m['status']) for m in log_of(st, unit)]}")
        return log_of(st, unit)


def emergency(st):
    """A tripped main breaker at night: an emergency, so its messages go at once."""
    api, out, unit = st.api, st.out, st.units["A"]
    t = api.must("POST", "/v1/tickets", st.agent, {
        "project_id": st.p, "unit_id": unit["unit_id"], "kind": "repair", "category": "house_quality",
        "component": "electrical", "urgency": "emergency", "channel": "hotline",
        "description": "总闸跳闸无法合上, 家中有老人, 请尽快处理"}, want=(201,))
    wo = st.wait_order(t["ticket_id"], "for the emergency", lambda w: w.get("assignee_kind") == "crew")
    tok = st.crew
    st.accept("W6 emergency", wo, tok, "tech-elec-" + st.run_id)
    start = kit.dt.datetime.now(kit.UTC).replace(microsecond=0) + dt.timedelta(minutes=30)
    window = (start, start + dt.timedelta(hours=1))
    got = api.must("POST", f"/v1/work-orders/{wo['work_order_id']}/schedule", tok,
                   {"start": kit.rfc3339(window[0]), "end": kit.rfc3339(window[1])})
    out.eq("W6 scheduled", got.get("status"), "scheduled")
    a, b = kit.local(window[0]), kit.local(window[1])
    text = (f"{a.month}月{a.day}日 {a:%H:%M}-{b:%H:%M}" if a.date() == b.date()
            else f"{a.month}月{a.day}日 {a:%H:%M} 至 {b.month}月{b.day}日 {b:%H:%M}")
    out.say(f"紧急报修 (深夜也立即通知): 张伟家总闸跳闸 → 物业维修班预约 {text}")
    return wo, text


def story(st):
    out, api = st.out, st.api
    out.story = "story 6"
    out.title("故事六 · 业主收到的消息 (短信), 回执, 退订与免打扰")
    if not hasattr(st, "quiet"):
        raise kit.StoryError("prepare did not finish")
    wo, window_text = emergency(st)
    a = st.units["A"]
    # The appointment reaches callback as an event: wait until its message exists and went out.
    kit.poll("the emergency's appointment message", lambda: [
        m for m in log_of(st, a) if window_text in (m.get("text") or "") and m.get("status") in SETTLED] or None,
        st.wait)
    # Messages of stories 1-5 and the emergency; the sender posts every few seconds, and a
    # message created before the channel existed waits a minute for it.
    wait = st.wait + 75
    phones = {u["owner_id"]: u["owner_phone"] for u in st.units.values()}
    logs = {key: settled_log(st, u, wait) for key, u in st.units.items()}
    now = dt.datetime.now(kit.UTC)
    posts = st.sms.received()
    out.ok("every post carries the channel's signature", all(ok for _, ok in posts),
           [b.get("message_id") for b, ok in posts if not ok])
    posted_ids = [b.get("message_id") for b, _ in posts]
    out.eq("no message posted twice", len(posted_ids), len(set(posted_ids)))
    by_id = {b.get("message_id"): b for b, _ in posts}

    for key, unit in st.units.items():
        msgs = logs[key]
        out.say(f"{unit['name']} ({unit['building']}{unit['room']}) 收到 {len(msgs)} 条:")
        for m in msgs:
            created = kit.parse_ts(m.get("created_at"))
            label = f"{unit['name']} {m.get('kind')} {m.get('message_id', '')[:8]}"
            out.ok(f"{label}: the log never holds the full number", unit["owner_phone"] not in json.dumps(m),
                   m.get("to_masked"))
            if m.get("to_masked"):
                out.eq(f"{label}: masked number", m["to_masked"],
                       unit["owner_phone"][:3] + "****" + unit["owner_phone"][-4:])
            posted = by_id.get(m.get("message_id"))
            urgent = m.get("kind") == "incident_notice" or m.get("message_id") in {
                b.get("message_id") for b in by_id.values() if b.get("urgent")}
            if m.get("status") == "suppressed":
                out.ok(f"{label}: suppressed, never posted", posted is None)
            elif not urgent and created and (expect := held_expected(st, created, now)) is not False \
                    and (expect or m.get("status") == "held"):
                out.eq(f"{label}: created in quiet hours, held", (m.get("status"), posted is None), ("held", True))
            else:
                out.ok(f"{label}: posted ({m.get('status')})", posted is not None and m.get("status") in ("sent", "delivered"),
                       m.get("status"))
                if posted:
                    out.eq(f"{label}: what the provider got", (posted.get("to"), posted.get("owner_id"),
                           posted.get("project_id"), posted.get("kind"), posted.get("text"), posted.get("channel")),
                           (phones[unit["owner_id"]], unit["owner_id"], st.p, m.get("kind"), m.get("text"), "sms"))
            out.say(f"· {kit.local(created):%m-%d %H:%M} [{KIND_ZH.get(m.get('kind'), m.get('kind'))} · "
                    f"{m.get('status')}] {m.get('text')}", 4)

    kinds_b = {m.get("kind"): m.get("status") for m in logs["B"]}
    out.eq("李娜's quote (opted out) is suppressed", kinds_b.get("quote_issued"), "suppressed")
    out.ok("李娜's quote was never posted", not any(b.get("kind") == "quote_issued" and
                                                    b.get("owner_id") == st.units["B"]["owner_id"] for b in by_id.values()))
    kinds_a = [m.get("kind") for m in logs["A"]]
    out.ok("张伟 was told of the roof-leak appointment and asked to sign", {"appointment_scheduled", "signoff_requested"} <= set(kinds_a), kinds_a)
    urgent_msgs = [m for m in logs["A"] if m.get("kind") == "appointment_scheduled" and window_text in (m.get("text") or "")]
    out.eq("the emergency's appointment: one message with the local window", len(urgent_msgs), 1)
    if urgent_msgs:
        m = urgent_msgs[0]
        posted = by_id.get(m["message_id"])
        out.ok("the emergency's message went at once, quiet hours or not", posted is not None and posted.get("urgent") is True,
               m.get("status"))
        if posted:
            receipts(st, m)
    scope(st)
    report(st, logs)


def receipts(st, m):
    out, api = st.out, st.api
    url = st.api.base + "/v1/notification-receipts/sms"

    def post(body, signature):
        raw = json.dumps(body).encode()
        req = urllib.request.Request(url, method="POST", data=raw, headers={
            "Content-Type": "application/json", "X-AfterCare-Signature": signature(raw)})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            return e.code, None

    good = lambda raw: sign(st.sms_secret, raw)  # noqa: E731
    delivered = {"message_id": m["message_id"], "status": "delivered", "at": kit.rfc3339(dt.datetime.now(kit.UTC))}
    s, _ = post(delivered, lambda raw: sign("not-the-secret", raw))
    out.eq("receipt with a wrong signature", s, 401)
    s, _ = post(dict(delivered, message_id="00000000-0000-5000-8000-000000000000"), good)
    out.eq("receipt for an unknown message", s, 404)
    s, body = post(delivered, good)
    out.eq("receipt: delivered", (s, (body or {}).get("status")), (200, "delivered"))
    s, body = post(dict(delivered, status="failed"), good)
    out.eq("a later 'failed' does not move it back", (s, (body or {}).get("status")), (200, "delivered"))
    a = st.units["A"]
    got = next((x for x in log_of(st, a) if x["message_id"] == m["message_id"]), {})
    out.eq("张伟's log: the emergency message delivered", (got.get("status"), got.get("delivered_at") is not None),
           ("delivered", True))
    out.say("短信服务商回执: 已送达 (签名错误 401, 未知消息 404, 已送达不会被改回失败)")


def scope(st):
    out, api = st.out, st.api
    a, c = st.units["A"], st.units["C"]
    s, _ = api.call("GET", f"/v1/owners/{a['owner_id']}/messages", st.owner_token(c))
    out.eq("王强 reading 张伟's messages", s, 404)
    s, _ = api.call("GET", f"/v1/owners/{a['owner_id']}/messages", st.crew)
    out.eq("a crew member reading 张伟's messages", s, 403)
    as_agent = log_of(st, a, st.agent)
    out.eq("the agent sees 张伟's messages (ticket page)", [m["message_id"] for m in as_agent],
           [m["message_id"] for m in log_of(st, a)])


def report(st, logs):
    """callbacks.messages of the month's report against every owner's log, read together
    (a held message may go out meanwhile, so both are read again until they agree)."""
    out, api = st.out, st.api

    # Every owner of the project: later stories may register more units than the four.
    units = api.must("GET", f"/v1/projects/{st.p}/units", st.admin).get("units", [])
    owners = sorted({u.get("owner_id") for u in units if u.get("owner_id")})

    def figures():
        everything = [m for o in owners for m in api.must(
            "GET", f"/v1/owners/{o}/messages?limit=200", st.agent).get("messages", [])]
        count = lambda *st_: sum(m.get("status") in st_ for m in everything)  # noqa: E731
        want = {"created": len(everything), "posted": sum(m.get("sent_at") is not None for m in everything),
                "delivered": count("delivered"), "failed": count("failed"), "suppressed": count("suppressed"),
                "pending": count("queued", "held")}
        body = api.must("GET", f"/v1/projects/{st.p}/reports/{st.period}", st.supervisor)
        have = (body.get("callbacks") or {}).get("messages") or {}
        return want, have

    last = {}

    def agree():
        want, have = figures()
        last.update(want=want, have=have)
        got = {k: int(have.get(k, 0) or 0) for k in want}
        return have if got == want else None
    try:
        have = kit.poll("report callbacks.messages equal to the logs", agree, st.wait)
    except kit.StoryError:
        out.eq("report callbacks.messages", {k: int(last["have"].get(k, 0) or 0) for k in last["want"]}, last["want"])
        return
    want = last["want"]
    out.eq("report callbacks.messages", {k: int(have.get(k, 0) or 0) for k in want}, want)
    rate = have.get("delivery_rate") or {}
    out.eq("report delivery rate = delivered / (created - suppressed)",
           (int(rate.get("numerator", 0) or 0), int(rate.get("denominator", 0) or 0)),
           (want["delivered"], want["created"] - want["suppressed"]))
    out.say(f"月报 · 业主消息: 共 {want['created']} 条, 已发 {want['posted']}, 送达 {want['delivered']}, "
            f"待发 {want['pending']}, 退订 {want['suppressed']}; 送达率 {kit.pct(rate)}")
