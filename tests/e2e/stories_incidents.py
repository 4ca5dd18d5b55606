"""Story 6 (issue 23): a planned water cut announced to one building, a lift that five homes report,
and notices to the owners, through the public HTTP API only.

Found by stories.py (the demo and stories_test.sh) as stories_<topic>.py: stories(st) gives the
story, run after story 5 with the Stories object. The story runs in a project of its own, so the
month's report of stories 1-5 is not touched.

  1. A dispatcher opens a planned outage (water, building 5栋, tomorrow 09:00-12:00): every owner of
     5栋 gets an urgent incident_notice, the owner in 6栋 none.
  2. Five homes of 5栋 report the stopped lift within minutes: the second report makes the platform
     open an incident; all five tickets link to it, only the first is dispatched (one work order);
     each owner sees the incident with their own ticket only.
  3. The owner in 6栋 reports the lift too: an ordinary ticket with its own work order.
  4. The dispatcher resolves the incident: all five tickets are resolved and each reporter gets
     one callback.
  5. A supervisor posts an urgent notice to 5栋 and schedules one for the whole project 20 s
     ahead: recipients, owners reading it in the portal (read counts), the scheduled one
     going out, and the announcement messages.
  (remainder of issue 23)
  0. The admin sets when the platform proposes an incident (Policy.incidents: 2 homes within
     60 minutes); a bad value is refused naming the field.
  2b. The lift incident is a proposal: an agent confirms it, and every owner of 5栋 is told the
     failure is known and being repaired (incident_notice, once each); 6栋 nobody.
  4b. The crew finished the lift before the incident was resolved; one reporter is unsatisfied
     at the callback: the incident reopens and the lift's work order goes back as one rework; a
     second unsatisfied reporter waits with it (no second rework); resolved again, each of the
     two gets a new callback.
  6. Two homes report the corridor lights within minutes: the platform proposes an incident, a
     dispatcher sees two separate faults and dismisses it: both tickets are ordinary again and the
     second gets its own work order.
"""
import datetime as dt

import stories as lib  # poll, StoryError, rfc3339, ymd, ZONE, TRADES


def stories(st):
    return [("story incidents", lambda: story(st))]


def story(s):
    out, api = s.out, s.api
    out.story = "story incidents"
    p = s.p + "-lift"
    r = s.run_id
    admin = s.admin
    agent = api.token("agent", s.agent_id, [p])
    dispatcher = api.token("dispatcher", "disp-" + r, [p])
    supervisor = api.token("supervisor", "sup-laozhou-" + r, [p])
    crew_id = "crew-lift-" + r
    out.title("故事六 · 5栋计划停水通知、电梯故障五户报修 → 一个事件一张派单、公告")

    api.must("PUT", f"/v1/projects/{p}", admin, {"name": "翠湖花园二期", "timezone": lib.ZONE_NAME})
    api.must("PUT", f"/v1/projects/{p}/parties/{crew_id}", admin,
             {"kind": "crew", "name": "物业维修班 (二期)", "trades": lib.TRADES})
    handover = s.today - dt.timedelta(days=400)
    homes = []
    for i, (building, room, name) in enumerate([("5栋", "0201", "周红"), ("5栋", "0502", "吴刚"),
                                                ("5栋", "0801", "郑洁"), ("5栋", "1203", "孙磊"),
                                                ("5栋", "1602", "冯丽"), ("6栋", "0901", "何平")]):
        unit_id = f"{p}-{building[0]}-{room}"
        body = {"building": building, "room": room, "area_m2": 89.0, "owner_id": f"owner-l{i}-{r}",
                "owner_name": name, "owner_phone": f"1390000{i:04d}", "handover_date": lib.ymd(handover)}
        api.must("PUT", f"/v1/projects/{p}/units/{unit_id}", admin, body)
        homes.append(dict(body, unit_id=unit_id, name=name))
    five, outsider = homes[:5], homes[5]
    tok = {h["unit_id"]: api.token("owner", h["owner_id"], [p], units=[h["unit_id"]]) for h in homes}
    out.say(f"项目 翠湖花园二期 ({p}): 5栋 五户、6栋 一户; 维修班 {crew_id}")

    # 0. the proposal rule is project policy ---------------------------------------------------------
    status, body = api.call("PUT", f"/v1/projects/{p}/policy", admin,
                            {"policy": {"incidents": {"proposal_min_units": 1}}})
    out.eq("a proposal rule of one home is refused", status, 400)
    out.ok("the refusal names the field", "incidents.proposal_min_units" in str(body), str(body)[:200])
    api.must("PUT", f"/v1/projects/{p}/policy", admin,
             {"policy": {"incidents": {"proposal_min_units": 2, "proposal_window_minutes": 60}}})
    rule = api.must("GET", f"/v1/projects/{p}/policy", agent).get("incidents") or {}
    out.eq("the project's proposal rule", (rule.get("proposal_min_units"), rule.get("proposal_window_minutes")),
           (2, 60))
    out.say("管理员设定: 同一栋 2 户在 60 分钟内报修同一公共部位 → 平台提议事件 (不合理的值 → HTTP 400)")

    def messages(home, kind):
        status, body = api.call("GET", f"/v1/owners/{home['owner_id']}/messages", tok[home["unit_id"]])
        if status != 200:
            return []
        return [m for m in body.get("messages", []) if m.get("kind") == kind]

    # 1. planned outage, announced ahead ----------------------------------------------------------
    # Callback fans notices out over its projection of intake's units (UnitUpserted, partitioned by
    # unit, so not ordered with the incident's event): wait until it knows every owner (staff get
    # 404 for an owner it does not know yet).
    for h in homes:
        lib.poll(f"callback to know {h['name']}", lambda h=h: api.call(
            "GET", f"/v1/owners/{h['owner_id']}/messages", agent)[0] == 200, s.wait)
    tomorrow = s.today + dt.timedelta(days=1)
    start = dt.datetime.combine(tomorrow, dt.time(9, 0), lib.ZONE)
    outage = api.must("POST", f"/v1/projects/{p}/incidents", dispatcher, {
        "kind": "outage", "category": "public_facility", "component": "plumbing", "buildings": ["5栋"],
        "title": "5栋二次供水水箱清洗停水", "description": "请提前储水",
        "starts_at": lib.rfc3339(start), "expected_end": lib.rfc3339(start + dt.timedelta(hours=3))})
    out.eq("outage status", outage.get("status"), "open")
    out.eq("outage kind", outage.get("kind"), "outage")
    out.say(f"调度开出计划停水事件 {outage.get('incident_id')[:8]}: 5栋 {lib.ymd(tomorrow)} 09:00-12:00")
    for h in five:
        got = lib.poll(f"incident notice to {h['name']}", lambda h=h: messages(h, "incident_notice"), s.wait)
        out.eq(f"notice to {h['name']}: urgent", got[0].get("urgent"), True)
        out.ok(f"notice to {h['name']} names the cut", "停水" in got[0].get("text", ""), got[0].get("text"))
    out.eq("the owner in 6栋 got no notice", messages(outsider, "incident_notice"), [])
    out.say("5栋 五位业主收到紧急通知 (不受免打扰时段限制); 6栋 业主没有收到")

    # 2. five homes report the lift ---------------------------------------------------------------
    def report(home):
        return api.must("POST", "/v1/tickets", tok[home["unit_id"]], {
            "project_id": p, "unit_id": home["unit_id"], "kind": "repair", "category": "public_facility",
            "component": "elevator", "urgency": "normal", "channel": "app",
            "description": "电梯停在8楼，按钮没反应"})
    tickets = [report(h) for h in five]
    out.eq("the first report is an ordinary ticket", tickets[0].get("incident_id", ""), "")
    incident_id = tickets[1].get("incident_id", "")
    out.ok("the second report made an incident", bool(incident_id), str(tickets[1])[:200])
    if not incident_id:
        raise lib.StoryError("no incident was opened for the lift")
    out.eq("reports 2-5 link to it", {t.get("incident_id") for t in tickets[1:]}, {incident_id})
    listed = api.must("GET", f"/v1/projects/{p}/incidents?status=open", agent)["incidents"]
    inc = next((i for i in listed if i["incident_id"] == incident_id), {})
    out.eq("open incidents of the project", len(listed), 2)
    out.eq("incident kind", inc.get("kind"), "failure")
    out.eq("incident buildings", inc.get("buildings"), ["5栋"])
    out.eq("incident tickets: all five, oldest first", inc.get("ticket_ids"),
           [t["ticket_id"] for t in tickets])
    out.eq("the first ticket carries the incident now", s.ticket(tickets[0]["ticket_id"], agent).get("incident_id"),
           incident_id)
    order = lib.poll("the incident's work order",
                     lambda: (lambda wos: wos[0] if wos else None)(
                         api.must("GET", f"/v1/work-orders?ticket_id={tickets[0]['ticket_id']}",
                                  dispatcher).get("work_orders")), s.wait)
    out.eq("work order party", order.get("party_id"), crew_id)
    inc = lib.poll("the incident to show its work order",
                   lambda: (lambda i: i if i.get("work_order_id") else None)(
                       api.must("GET", f"/v1/incidents/{incident_id}", agent)), s.wait)
    out.eq("incident work order", inc.get("work_order_id"), order.get("work_order_id"))
    out.say(f"五户报修 → 平台开出事件「{inc.get('title')}」, 五张工单挂在事件下, 只派一张维修单 "
            f"{order['work_order_id'][:8]} 给维修班")

    # 2b. the proposal confirmed: the owners of 5栋 are told ----------------------------------------
    out.eq("the platform's incident is a pending proposal", (inc.get("proposed"), inc.get("proposal_status")),
           (True, "pending"))
    status, _ = api.call("POST", f"/v1/incidents/{incident_id}/confirm", tok[five[0]["unit_id"]], {})
    out.eq("an owner may not confirm it", status, 403)
    confirmed = api.must("POST", f"/v1/incidents/{incident_id}/confirm", agent, {"note": "维保单位已到场"})
    out.eq("confirmed by the agent", (confirmed.get("proposal_status"), confirmed.get("decided_by")),
           ("confirmed", s.agent_id))
    status, _ = api.call("POST", f"/v1/incidents/{incident_id}/confirm", agent, {})
    out.eq("confirming twice", status, 409)

    def failure_notices(home):
        return [m for m in messages(home, "incident_notice") if "无需重复报修" in m.get("text", "")]
    for h in five:
        got = lib.poll(f"failure notice to {h['name']}", lambda h=h: failure_notices(h), s.wait)
        out.eq(f"one failure notice to {h['name']}", len(got), 1)
    out.eq("the owner in 6栋 is not told of 5栋's lift", failure_notices(outsider), [])
    out.say("客服确认平台提议的事件 → 5栋 每位业主收到一次「已知悉, 正在维修, 无需重复报修」; 6栋 没有")

    # 3. the owner in 6栋: an ordinary ticket -------------------------------------------------------
    other = report(outsider)
    out.eq("6栋's lift report is not linked", other.get("incident_id", ""), "")
    lib.poll("6栋's own work order", lambda: api.must(
        "GET", f"/v1/work-orders?ticket_id={other['ticket_id']}", dispatcher).get("work_orders"), s.wait)
    # By now dispatch has long seen the followers' TicketOpened (committed before 6栋's): none of
    # them has a work order.
    for t in tickets[1:]:
        out.eq(f"no work order for {t['ticket_no']}", api.must(
            "GET", f"/v1/work-orders?ticket_id={t['ticket_id']}", dispatcher).get("work_orders"), [])
    mine = api.must("GET", f"/v1/incidents/{incident_id}", tok[five[1]["unit_id"]])
    out.eq("an owner sees only their own ticket of the incident", mine.get("ticket_ids"),
           [tickets[1]["ticket_id"]])
    status, _ = api.call("GET", f"/v1/incidents/{incident_id}", tok[outsider["unit_id"]])
    out.eq("the owner in 6栋 does not see 5栋's incident", status, 404)
    out.say("6栋 业主报修电梯 → 普通工单, 自己的维修单; 5栋 业主只看到自己那张")

    # 4. resolve the incident: five tickets resolved, one callback per reporter ----------------------
    # The crew repairs the lift first (its order is done when the incident is resolved).
    crew = api.token("crew", "crew-user-lift-" + r, [p], party_id=crew_id)
    wo = order["work_order_id"]
    api.must("POST", f"/v1/work-orders/{wo}/accept", crew, {"technician_id": "crew-tech-lift-" + r})
    api.must("POST", f"/v1/work-orders/{wo}/start", crew, {})
    api.must("POST", f"/v1/work-orders/{wo}/complete", crew, {"cost_fen": 0, "notes": "更换曳引机编码器"})
    status, _ = api.call("POST", f"/v1/incidents/{incident_id}/resolve", agent, {"note": "x"})
    out.eq("an agent may not resolve an incident", status, 403)
    done = api.must("POST", f"/v1/incidents/{incident_id}/resolve", dispatcher,
                    {"note": "更换曳引机编码器, 试运行正常"})
    out.eq("incident resolved", done.get("status"), "resolved")
    for t in tickets:
        s.wait_ticket(t["ticket_id"], "resolved with the incident", lambda x: x.get("status") == "resolved",
                      tok=agent)
    out.ok("all five tickets resolved", True)
    callbacks = {}
    for t in tickets:
        cbs = lib.poll(f"callback of {t['ticket_no']}", lambda t=t: api.must(
            "GET", f"/v1/callbacks?ticket_id={t['ticket_id']}", agent).get("callbacks"), s.wait)
        callbacks[t["ticket_id"]] = cbs
    out.eq("one callback per reporter", sorted(len(c) for c in callbacks.values()), [1] * 5)
    out.eq("6栋's ticket is not resolved by it", s.ticket(other["ticket_id"], agent).get("status") == "resolved",
           False)
    out.say("调度关闭事件 → 五张工单全部办结, 每位报修业主一次回访")

    # 4b. an unsatisfied reporter reopens the incident: one rework of its work order ----------------
    def record(ticket, satisfaction, score, comment):
        cb = callbacks[ticket["ticket_id"]][0]
        return api.must("POST", f"/v1/callbacks/{cb['callback_id']}/record", agent, {
            "reached": True, "satisfaction": satisfaction, "score": score, "attitude": 3,
            "timely": False, "comment": comment, "owner_confirmed": True})
    record(tickets[2], "unsatisfied", 1, "电梯还是时好时坏")
    s.wait_ticket(tickets[2]["ticket_id"], "reopened by the unsatisfied callback",
                  lambda x: x.get("status") == "reopened", tok=agent)
    inc = lib.poll("the incident to reopen", lambda: (lambda i: i if i.get("status") == "open" else None)(
        api.must("GET", f"/v1/incidents/{incident_id}", agent)), s.wait)
    out.eq("the incident reopened once", inc.get("reopen_count"), 1)
    rework = lib.poll("the rework of the lift's order", lambda: [w for w in api.must(
        "GET", f"/v1/work-orders?ticket_id={tickets[0]['ticket_id']}", dispatcher).get("work_orders", [])
        if w.get("rework_of") == wo], s.wait)
    out.eq("one rework of the incident's work order", len(rework), 1)
    out.eq("the rework goes back to the crew", rework[0].get("party_id"), crew_id)
    record(tickets[3], "unsatisfied", 2, "同上")
    s.wait_ticket(tickets[3]["ticket_id"], "reopened too", lambda x: x.get("status") == "reopened", tok=agent)
    lib.poll("the second reporter's ticket to wait with the incident", lambda: any(
        e.get("action") == "incident_waiting" for e in api.must(
            "GET", f"/v1/tickets/{tickets[3]['ticket_id']}/history", agent).get("entries", [])), s.wait)
    out.eq("still one reopening", api.must("GET", f"/v1/incidents/{incident_id}", agent).get("reopen_count"), 1)
    out.eq("still one rework", len([w for w in api.must(
        "GET", f"/v1/work-orders?ticket_id={tickets[0]['ticket_id']}", dispatcher).get("work_orders", [])
        if w.get("rework_of") == wo]), 1)
    for t in (tickets[1], tickets[4]):
        out.eq(f"{t['ticket_no']} not reopened", s.ticket(t["ticket_id"], agent).get("status"), "resolved")
    rw = rework[0]["work_order_id"]
    api.must("POST", f"/v1/work-orders/{rw}/accept", crew, {"technician_id": "crew-tech-lift-" + r})
    api.must("POST", f"/v1/work-orders/{rw}/start", crew, {})
    api.must("POST", f"/v1/work-orders/{rw}/complete", crew, {"cost_fen": 0, "notes": "更换门机控制板"})
    api.must("POST", f"/v1/incidents/{incident_id}/resolve", dispatcher, {"note": "返工: 更换门机控制板"})
    for t in (tickets[2], tickets[3]):
        again = lib.poll(f"a new callback of {t['ticket_no']}", lambda t=t: (lambda c: c if len(c) == 2 else None)(
            api.must("GET", f"/v1/callbacks?ticket_id={t['ticket_id']}", agent).get("callbacks")), s.wait)
        out.eq(f"{t['ticket_no']}: two callbacks in all", len(again), 2)
    out.say("回访: 一位业主不满意 → 事件重开, 电梯维修单返工一次; 第二位不满意的业主随事件等待 (不再返工); "
            "返工完成后事件再次办结, 两位业主各再回访一次")

    # 5. announcements --------------------------------------------------------------------------------
    urgent = api.must("POST", f"/v1/projects/{p}/announcements", supervisor, {
        "title": "电梯恢复运行", "body": "5栋电梯已修复，感谢理解。客服热线 4008123456",
        "buildings": ["5栋"], "urgent": True})
    out.eq("urgent notice sent", urgent.get("status"), "sent")
    out.eq("urgent notice recipients: the five owners of 5栋", urgent.get("recipients"), 5)
    later = api.must("POST", f"/v1/projects/{p}/announcements", supervisor, {
        "title": "元旦游园会", "body": "1月1日上午中心花园", "buildings": [], "urgent": False,
        "send_at": lib.rfc3339(dt.datetime.now(lib.UTC) + dt.timedelta(seconds=20))})
    out.eq("the project-wide notice is scheduled", later.get("status"), "scheduled")
    read = api.must("GET", f"/v1/projects/{p}/announcements", tok[five[0]["unit_id"]])["announcements"]
    out.eq("an owner of 5栋 reads the urgent notice", [a["title"] for a in read], ["电梯恢复运行"])
    lib.poll("the scheduled notice to go out", lambda: any(
        a.get("announcement_id") == later["announcement_id"] and a.get("status") == "sent"
        for a in api.must("GET", f"/v1/projects/{p}/announcements", supervisor)["announcements"]), s.wait)
    seen = api.must("GET", f"/v1/projects/{p}/announcements", tok[outsider["unit_id"]])["announcements"]
    out.eq("the owner in 6栋 reads only the project-wide one", [a["title"] for a in seen], ["元旦游园会"])
    staff_view = {a["announcement_id"]: a for a in
                  api.must("GET", f"/v1/projects/{p}/announcements", supervisor)["announcements"]}
    out.eq("read counts", (staff_view[urgent["announcement_id"]].get("read_count"),
                           staff_view[later["announcement_id"]].get("read_count")), (1, 1))
    out.eq("project-wide recipients: all six owners", staff_view[later["announcement_id"]].get("recipients"), 6)
    got = lib.poll("the urgent announcement message", lambda: messages(five[2], "announcement"), s.wait)
    out.ok("the announcement message is urgent and keeps the hotline number",
           any(m.get("urgent") and "4008123456" in m.get("text", "") for m in got), str(got)[:300])
    lib.poll("the project-wide announcement message", lambda: messages(outsider, "announcement"), s.wait)
    out.say("主管发布紧急公告 (5栋, 5 位业主) 与定时公告 (全项目, 6 位业主); 业主在门户阅读 → 阅读数 1/1")

    # 6. a proposal dismissed: two separate faults ----------------------------------------------------
    def lights(home, text):
        return api.must("POST", "/v1/tickets", tok[home["unit_id"]], {
            "project_id": p, "unit_id": home["unit_id"], "kind": "repair", "category": "public_facility",
            "component": "electrical", "urgency": "normal", "channel": "app", "description": text})
    first = lights(five[0], "2楼楼道灯不亮")
    second = lights(five[3], "12楼配电箱有焦味")
    proposal = second.get("incident_id", "")
    out.ok("two homes' electrical reports make a proposal", bool(proposal), str(second)[:200])
    if not proposal:
        raise lib.StoryError("no proposal for the corridor lights")
    status, body = api.call("POST", f"/v1/incidents/{proposal}/dismiss", dispatcher, {"reason": ""})
    out.eq("dismissing without a reason", status, 400)
    dismissed = api.must("POST", f"/v1/incidents/{proposal}/dismiss", dispatcher,
                         {"reason": "2楼是灯泡坏, 12楼是配电箱故障, 不是同一故障"})
    out.eq("the proposal dismissed", (dismissed.get("status"), dismissed.get("proposal_status")),
           ("dismissed", "dismissed"))
    out.eq("it still lists both reports", sorted(dismissed.get("ticket_ids", [])),
           sorted([first["ticket_id"], second["ticket_id"]]))
    for t in (first, second):
        out.eq(f"{t['ticket_no']} is an ordinary ticket again",
               s.ticket(t["ticket_id"], agent).get("incident_id", ""), "")
    lib.poll("the second report's own work order", lambda: api.must(
        "GET", f"/v1/work-orders?ticket_id={second['ticket_id']}", dispatcher).get("work_orders"), s.wait)
    kept = lib.poll("the first report's work order", lambda: api.must(
        "GET", f"/v1/work-orders?ticket_id={first['ticket_id']}", dispatcher).get("work_orders"), s.wait)
    out.eq("the first keeps its one work order", len(kept), 1)
    out.say("两户报修楼道电气 → 平台提议事件; 调度判断为两处不同故障 → 驳回 (须说明理由): 两张工单各自派单")
