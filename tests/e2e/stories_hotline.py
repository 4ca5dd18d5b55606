"""Story 6 of tests/e2e/stories.py (issue 23, first half): the owner who only phones.

An elderly owner without the app reports a leak on the hotline. The agent confirms the builder's
appointment with her on the phone; the builder moves it without her consent, she refuses, and the
order goes back for reassignment (征得用户同意与用户改约时间, 若用户不同意, 转其他人). The crew books a
window agreed with her on the phone; the verifier's repair plan waits for her approval before the
work starts (保修实施先得到业主确认), which the agent takes on the phone; the crew repairs, and
maintenance records her signature from the paper
repair slip (签认维修单) scanned onto the ticket; the ticket is resolved and the callback scheduled.
The agent takes her star rating on the phone; the month's report counts it for the crew and its
technician, and counts the sign-off recorded on her behalf.

Runs after story 5 in the same project (it adds a fifth unit, so it must not change the figures
story 5 checks); the report figures it checks are differences from a report read first, so other
later stories in the project do not disturb them. Public HTTP API only, like every story.
"""
import base64
import datetime as dt
import time
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
ZONE = ZoneInfo("Asia/Shanghai")


def _ts(t):
    return t.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse(text):
    if not text or text.startswith("1970-01-01"):
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _poll(what, fetch, timeout, error):
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if got:
            return got
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.25)


def stories(st):
    import stories as kit  # the main module (stories.py registers itself under this name)
    return [("story 6 (hotline)", lambda: story6(st, kit.StoryError))]


def _repairs(s):
    return (s.api.must("GET", f"/v1/projects/{s.p}/reports/{s.period}", s.supervisor).get("repairs")
            or {})


def _counts(rp, crew_id):
    crew = next((x for x in rp.get("by_party", []) if x.get("party_id") == crew_id), {})
    return ((rp.get("ratings") or {}).get("rated", 0), rp.get("signed_off_on_behalf", 0),
            (crew.get("ratings") or {}).get("rated", 0), (crew.get("ratings") or {}).get("score_sum", 0))


def story6(s, error):
    """`s` is the Stories object of stories.py (api, out, tokens, helpers, project); `error` its
    StoryError."""
    out, api, p, r = s.out, s.api, s.p, s.run_id
    out.story = "story 6"
    before = _counts(_repairs(s), s.crew_id)
    out.title("故事六 · 不会用手机的业主: 电话报修 → 电话确认预约 → 改约被拒转派 → 纸质维修单签认 → 电话评分")
    # A fifth owner, 陈秀英, handed over four months ago; she has no app.
    handover = s.today - dt.timedelta(days=120)
    unit_id, owner_id = f"{p}-3-0101", f"owner-e-{r}"
    api.must("PUT", f"/v1/projects/{p}/units/{unit_id}", s.admin, {
        "building": "3栋", "room": "0101", "area_m2": 72.4, "owner_id": owner_id,
        "owner_name": "陈秀英", "owner_phone": "13800000005", "handover_date": handover.isoformat()})
    owner = api.token("owner", owner_id, [p], units=[unit_id])
    t = api.must("POST", "/v1/tickets", s.agent, {
        "project_id": p, "unit_id": unit_id, "kind": "repair", "category": "house_quality",
        "component": "plumbing", "urgency": "normal", "channel": "hotline",
        "description": "陈阿姨来电: 厨房水管滴水, 她不会用手机, 请电话联系"}, want=(201,))
    tid = t["ticket_id"]
    out.eq("T6 in warranty, by hotline", (t.get("in_warranty"), t.get("channel")), (True, "hotline"))
    wo = s.wait_order(tid, "to the builder", lambda w: w.get("party_id") == s.builder_id)
    w = wo["work_order_id"]
    out.say(f"3栋0101 陈秀英 (交付 4 个月, 不用 App) 打热线报修: 厨房水管滴水 → 工单 {t.get('ticket_no')}, 派承建商")

    # The builder books a window; the agent phones her and confirms it for her.
    s.accept("W6 builder", wo, s.builder, "bld-tech-zhou-" + r)
    start, end = s.window(3, 9)
    api.must("POST", f"/v1/work-orders/{w}/schedule", s.builder, {"start": _ts(start), "end": _ts(end)})
    got = api.must("POST", f"/v1/work-orders/{w}/confirm-appointment", s.agent, {})
    appt = got.get("appointment") or {}
    consent = (got.get("appointment_consents") or [{}])[-1]
    out.ok("W6 appointment confirmed_at set", _parse(appt.get("confirmed_at")) is not None, str(appt))
    out.eq("W6 consent recorded for the owner by the agent, by phone",
           (consent.get("agreed"), consent.get("owner_id"), consent.get("recorded_by"),
            (consent.get("on_behalf") or {}).get("method")),
           (True, owner_id, s.agent_id, "phone"))
    again = api.must("POST", f"/v1/work-orders/{w}/confirm-appointment", owner, {})
    out.eq("confirming twice changes nothing", len(again.get("appointment_consents") or []), 1)
    out.say(f"承建商预约 {start:%m-%d %H:%M}–{end:%H:%M}; 客服电话与业主确认 → confirmed_at 已记录 (业主的同意, 客服代录)")

    # The builder moves the window without asking her: work cannot start on it; she refuses.
    start2, end2 = s.window(3, 14)
    got = api.must("POST", f"/v1/work-orders/{w}/schedule", s.builder,
                   {"start": _ts(start2), "end": _ts(end2), "reason": "上午人手不够"})
    out.eq("W6 changed window awaits the owner", (got.get("appointment_change_pending"),
                                                  _parse((got.get("appointment") or {}).get("confirmed_at"))),
           (True, None))
    st, _ = api.call("POST", f"/v1/work-orders/{w}/start", s.builder, {})
    out.eq("W6 cannot start on a window the owner has not agreed to", st, 409)
    got = api.must("POST", f"/v1/work-orders/{w}/refuse-appointment", s.agent,
                   {"reason": "业主下午要去医院, 不同意改约",
                    "on_behalf": {"method": "phone", "note": "客服回拨确认"}})
    out.eq("W6 back for reassignment", (got.get("status"), got.get("party_id") or "",
                                         got.get("technician_id") or "",
                                         (got.get("appointment") or {}).get("start")),
           ("created", "", "", None))
    out.say("承建商未经同意改约到下午 → 开工被拒 (HTTP 409); 业主不同意 → 工单退回待转派 (无人承接)")

    # Dispatch passes it to the crew, who books a window agreed with her on the phone.
    api.must("POST", f"/v1/work-orders/{w}/reassign", s.dispatcher,
             {"assignee_kind": "crew", "party_id": s.crew_id, "reason": "业主不同意改约, 转物业维修班"})
    tech = "crew-tech-li-" + r
    got = api.must("POST", f"/v1/work-orders/{w}/accept", s.crew, {"technician_id": tech})
    start3, end3 = s.window(3, 9, 3)
    got = api.must("POST", f"/v1/work-orders/{w}/schedule", s.crew, {
        "start": _ts(start3), "end": _ts(end3),
        "owner_consent": {"method": "phone", "note": "李师傅电话与陈阿姨约定上午"}})
    out.ok("W6 crew window confirmed at once with the owner's consent",
           _parse((got.get("appointment") or {}).get("confirmed_at")) is not None
           and not got.get("appointment_change_pending"), str(got.get("appointment")))
    # The verifier's plan of this warranty work waits for her approval (保修实施先得到业主确认).
    plan = "更换厨房水管接头及角阀, 试水30分钟, 约1小时, 需关闭厨房进水阀"
    got = api.must("POST", f"/v1/work-orders/{w}/verification", s.verifier, {
        "defect_confirmed": True, "liability": "builder", "estimate_fen": 12000,
        "notes": "接头老化渗水", "plan": plan})
    out.eq("W6 verification carries the plan", (got.get("verification") or {}).get("plan"), plan)
    st, body = api.call("POST", f"/v1/work-orders/{w}/start", s.crew, {})
    out.eq("W6 cannot start before the owner approved the plan", st, 409)
    st, _ = api.call("POST", f"/v1/work-orders/{w}/approve-plan", s.crew,
                     {"on_behalf": {"method": "phone"}})
    out.eq("the crew approving the plan for her by phone", st, 400)
    got = api.must("POST", f"/v1/work-orders/{w}/approve-plan", s.agent, {
        "comment": "同意方案", "on_behalf": {"method": "phone", "note": "客服电话向陈阿姨说明方案, 她同意"}})
    approval = got.get("plan_approval") or {}
    out.eq("W6 plan approved for the owner by the agent, by phone",
           (approval.get("plan"), approval.get("owner_id"), approval.get("recorded_by"),
            (approval.get("on_behalf") or {}).get("method")),
           (plan, owner_id, s.agent_id, "phone"))
    s.wait_ticket(tid, "T6 history to record the plan approval", lambda x: any(
        "repair plan of work order" in (e.get("detail") or "") and "recorded by " + s.agent_id in e.get("detail", "")
        for e in api.must("GET", f"/v1/tickets/{tid}/history", s.agent).get("entries", [])))
    out.say("核算组上门定维修方案 → 业主确认前不得开工 (HTTP 409); 客服电话向业主说明方案, 代录业主同意 (phone)")
    api.must("POST", f"/v1/work-orders/{w}/start", s.crew, {})
    api.must("POST", f"/v1/work-orders/{w}/complete", s.crew, {"cost_fen": 0, "notes": "更换水管接头, 试水无渗漏"})
    out.say(f"调度转派物业维修班 → 李师傅接单, 电话约定 {start3:%m-%d %H:%M}–{end3:%H:%M} (即时确认); 上门维修, 完工")

    # The crew cannot vouch for her by phone; a paper slip must be on the ticket.
    st, body = api.call("POST", f"/v1/work-orders/{w}/sign-off", s.crew,
                        {"signer": "owner", "on_behalf": {"method": "phone"}})
    out.eq("the crew signing for the owner by phone", st, 400)
    st, body = api.call("POST", f"/v1/work-orders/{w}/sign-off", s.dispatcher,
                        {"signer": "owner", "on_behalf": {"method": "paper_slip"}})
    out.eq("paper_slip without an attachment", st, 400)
    slip = b"%PDF-1.4\n% repair slip signed by the owner and maintenance\n%%EOF\n"
    att = api.must("POST", f"/v1/tickets/{tid}/attachments", s.dispatcher, {
        "kind": "document", "filename": "签认维修单.pdf", "content_type": "application/pdf",
        "content": base64.b64encode(slip).decode()}, want=(201,))
    got = api.must("POST", f"/v1/work-orders/{w}/sign-off", s.dispatcher, {
        "signer": "owner", "comment": "业主在纸质维修单上签字",
        "on_behalf": {"method": "paper_slip", "attachment_id": att["attachment_id"],
                      "note": "原件存维修部"}})
    sig = next((x for x in got.get("sign_offs", []) if x.get("signer") == "owner"), {})
    out.eq("W6 the owner's signature, recorded by maintenance from the slip",
           (sig.get("signed_by"), sig.get("recorded_by"), (sig.get("on_behalf") or {}).get("method"),
            (sig.get("on_behalf") or {}).get("attachment_id")),
           (owner_id, "disp-" + r, "paper_slip", att["attachment_id"]))
    got = api.must("POST", f"/v1/work-orders/{w}/sign-off", s.dispatcher, {"signer": "maintenance"})
    out.eq("W6 signed off", got.get("status"), "signed_off")
    signed_off = _parse(got.get("signed_off_at"))
    s.wait_ticket(tid, "T6 resolved", lambda x: x.get("status") == "resolved")
    history = api.must("GET", f"/v1/tickets/{tid}/history", s.agent).get("entries", [])
    out.ok("T6 history: how the owner signed and who recorded it",
           any("paper_slip, recorded by disp-" + r in (e.get("detail") or "") for e in history),
           str([e.get("detail") for e in history][-4:]))
    cb = s.wait_callback(tid, w)
    s.check_callback_due("C6", cb, signed_off)
    out.say(f"维修部扫描纸质维修单上传 → 代业主签认 (paper_slip) + 维修部签字 → 已签收; 工单已解决, "
            f"回访已排期 ({_parse(cb.get('due_at')).astimezone(ZONE):%m-%d} 前)")

    # Her rating, taken by the agent on the phone; once only.
    got = api.must("POST", f"/v1/work-orders/{w}/rating", s.agent,
                   {"score": 4, "comment": "李师傅很耐心, 就是来之前改了一次时间"}, want=(201,))
    rating = got.get("rating") or {}
    out.eq("W6 rating", (rating.get("score"), rating.get("owner_id"), rating.get("recorded_by"),
                         (rating.get("on_behalf") or {}).get("method"), rating.get("technician_id")),
           (4, owner_id, s.agent_id, "phone", tech))
    st, _ = api.call("POST", f"/v1/work-orders/{w}/rating", owner, {"score": 5, "comment": ""})
    out.eq("a second rating", st, 409)
    out.say("客服电话回访评分: 4 星 (按数据记录, 不再写进签字备注); 再次评分 → HTTP 409")

    def report():
        rp = _repairs(s)
        techs = {x.get("technician_id"): x for x in rp.get("by_technician", [])}
        return rp if tech in techs and (techs[tech].get("ratings") or {}).get("rated") else None
    rp = _poll("the report to count the rating", report, s.wait, error)
    t6 = {x.get("technician_id"): x for x in rp.get("by_technician", [])}[tech]
    after = _counts(rp, s.crew_id)
    out.eq("report: one more rating, one more sign-off for an owner, the crew's rating 4",
           tuple(a - b for a, b in zip(after, before)), (1, 1, 1, 4))
    out.eq("report: the technician (signed off, rated, average)",
           (t6.get("party_id"), t6.get("signed_off"), (t6.get("ratings") or {}).get("rated"),
            (t6.get("ratings") or {}).get("average_hundredths"),
            (t6.get("ratings") or {}).get("count_by_score")),
           (s.crew_id, 1, 1, 400, [0, 0, 0, 1, 0]))
    out.say(f"月报: 评分 {after[0]} 条 (李师傅 4.00 星, 计入物业维修班); 代业主签认 {after[1]} 单; "
            f"核算组验收 {rp.get('verifier_accepted', 0)} 次")
