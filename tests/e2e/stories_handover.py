"""The handover story (issue 19): before and after the keys. Hooked from stories.py; uses its Stories object
(api, out, project, calendar, builder) and runs after the month's report, on a unit of its own.

A unit is noticed for handover; the property company inspects it (pre_handover), then a joint
inspection with the owner finds two defects that go to the builder as rectification work
through dispatch (15 working days); the wall is fixed and passes the re-inspection, the leak is
still open when the keys are handed over and becomes a warranty ticket (channel inspection) that
dispatch sends to the builder; the owner had been reminded to collect the keys. Then a
decoration permit: approved with a deposit, a concealed-works inspection, a violation withholding
part of the deposit, the final inspection, and a refund of deposit minus deduction, once, although
finish is sent twice. Billing invoices the deposit (held) and the fee to the owner, who pays both;
the finish refunds deposit minus deduction once in billing too, and the report's billing section
shows it. The owner gets one key-collection reminder message. Every number is checked.
"""
import datetime as dt

RECTIFICATION_WORKING_DAYS = 15
DEPOSIT_FEN, FEE_FEN, DEDUCTION_FEN = 300000, 50000, 50000


def stories(st):
    return [("story handover", lambda: story(st))]


def story(s):
    """s: the stories.Stories of the run (setup done)."""
    import stories as m  # the running stories module (story_modules() makes it so)
    StoryError, end_of_local_day, parse_ts, poll = m.StoryError, m.end_of_local_day, m.parse_ts, m.poll
    ymd, yuan, add_years = m.ymd, m.yuan, m.add_years

    api, out, p = s.api, s.out, s.p
    out.story = "story handover"
    out.title("交房故事 · 查验 → 缺陷整改 (承建商) → 复验 → 交钥匙 (遗留缺陷转保修工单) · 二次装修押金")
    unit_id = f"{p}-3-0901"
    owner_id = f"owner-e-{s.run_id}"
    planned = s.today + dt.timedelta(days=3)
    api.must("PUT", f"/v1/projects/{p}/units/{unit_id}", s.admin, {
        "building": "3栋", "room": "0901", "area_m2": 110.0, "owner_id": owner_id, "owner_name": "陈静",
        "owner_phone": "13800000005", "handover_date": ymd(planned)})
    owner = api.token("owner", owner_id, [p], units=[unit_id])
    notice = s.today - dt.timedelta(days=5)
    got = api.must("PUT", f"/v1/units/{unit_id}/handover-notice", s.agent, {"notice_on": ymd(notice)})
    out.eq("notice: days overdue", got.get("days_overdue"), 5)
    out.say(f"房屋 3栋0901  业主 陈静  110.00 m²  计划交付 {ymd(planned)}; 交房通知 {ymd(notice)} 已发")

    pre = api.must("POST", f"/v1/units/{unit_id}/inspections", s.verifier,
                   {"stage": "pre_handover",
                    "inspected_at": (s.started - dt.timedelta(days=60)).isoformat().replace("+00:00", "Z")})
    got = api.must("POST", f"/v1/inspections/{pre['inspection_id']}/sign", s.verifier, {"signer": "inspector"})
    out.eq("pre_handover signed by the inspector alone", got.get("status"), "signed")
    out.say("交房前 2 个月 物业公司验收 (pre_handover): 无缺陷, 验收人签字 → 已签")

    joint = api.must("POST", f"/v1/units/{unit_id}/inspections", s.agent, {"stage": "joint"})
    out.eq("joint inspection open", (joint.get("stage"), joint.get("status")), ("joint", "open"))
    jid = joint["inspection_id"]
    wall = api.must("POST", f"/v1/inspections/{jid}/defects", s.verifier, {
        "component": "decoration", "location": "客厅东墙", "description": "墙面空鼓约 450 cm² (超过 400 cm²)",
        "severity": "major"})
    leak = api.must("POST", f"/v1/inspections/{jid}/defects", s.verifier, {
        "component": "bathroom_waterproofing", "location": "主卫", "description": "地漏周边渗水",
        "severity": "major"})
    due = end_of_local_day(s.calendar.nth_after(s.today, RECTIFICATION_WORKING_DAYS))
    for label, d in (("wall", wall), ("leak", leak)):
        out.eq(f"defect {label} open with its deadline", (d.get("status"), parse_ts(d.get("rectify_due"))),
               ("open", due))
    out.say(f"业主开放日 联合验房 (joint): 2 处缺陷 → 整改期限 {RECTIFICATION_WORKING_DAYS} 个工作日 "
            f"(已计入假期与调休), {ymd(s.calendar.nth_after(s.today, RECTIFICATION_WORKING_DAYS))} 23:59 前")

    def orders_of(defect):
        st, body = api.call("GET", f"/v1/work-orders?ticket_id={defect['defect_id']}", s.dispatcher)
        return body.get("work_orders") if st == 200 else None

    orders = {}
    for label, d in (("wall", wall), ("leak", leak)):
        wo = poll(f"rectification order of the {label}", lambda d=d: orders_of(d), s.wait)[0]
        out.eq(f"{label}: rectification order to the builder",
               (wo.get("assignee_kind"), wo.get("party_id"), wo.get("origin"), wo.get("defect_id")),
               ("builder", s.builder_id, "rectification", d["defect_id"]))
        orders[label] = wo
    ins = poll("defects rectifying", lambda: (lambda b: b if all(
        x.get("status") == "rectifying" for x in b.get("defects", [])) else None)(
        api.must("GET", f"/v1/inspections/{jid}", owner)), s.wait)
    out.eq("owner reads both defects rectifying with their orders",
           [(x.get("status"), x.get("work_order_id")) for x in ins["defects"]],
           [("rectifying", orders["wall"]["work_order_id"]), ("rectifying", orders["leak"]["work_order_id"])])
    out.say(f"缺陷经派单送承建商整改: 承建商 {s.builder_id} 收到 2 张整改单 (origin rectification)")

    api.must("POST", f"/v1/inspections/{jid}/sign", s.agent, {"signer": "inspector"})
    got = api.must("POST", f"/v1/inspections/{jid}/sign", owner, {"signer": "owner"})
    out.eq("joint signed by inspector and owner", got.get("status"), "signed")
    out.say("验房记录: 验房工程师与业主 陈静 签字 → 已签")

    w = orders["wall"]["work_order_id"]
    api.must("POST", f"/v1/work-orders/{w}/accept", s.builder, {})
    api.must("POST", f"/v1/work-orders/{w}/start", s.builder, {})
    got = api.must("POST", f"/v1/work-orders/{w}/complete", s.builder, {"cost_fen": 0, "notes": "铲除空鼓层重新抹灰"})
    out.eq("wall order completed by the builder", got.get("status"), "completed")
    got = api.must("POST", f"/v1/inspections/{jid}/defects/{wall['defect_id']}/reinspect", s.verifier,
                   {"passed": True, "note": "复验合格"})
    out.eq("wall fixed at re-inspection", got.get("status"), "fixed")
    out.say("承建商整改客厅墙面 → 完工 → 复验合格 (fixed); 主卫渗水尚未整改")

    keys = api.must("GET", f"/v1/projects/{p}/uncollected-keys", s.agent)
    mine = [u for u in keys.get("units", []) if u.get("unit_id") == unit_id]
    out.eq("uncollected keys list the unit", [(u.get("days_overdue"), u.get("reminders", 0)) for u in mine],
           [(5, 0)])
    for _ in range(2):  # the same day twice: one reminder
        api.must("POST", f"/v1/projects/{p}/key-reminders", s.agent, {"unit_ids": [unit_id]})
    keys = api.must("GET", f"/v1/projects/{p}/uncollected-keys", s.agent)
    out.eq("one reminder per day", [u.get("reminders") for u in keys["units"] if u["unit_id"] == unit_id], [1])
    reminders = poll("the owner's key collection reminder", lambda: [
        m for m in api.must("GET", f"/v1/owners/{owner_id}/messages", owner).get("messages", [])
        if m.get("kind") == "key_collection_reminder"], s.wait)
    out.eq("one key collection message to the owner", len(reminders), 1)
    out.say("未收房名单: 3栋0901 逾期 5 天 → 提醒业主收房 (同一天重复提醒只记一次; 业主收到 1 条收房提醒)")

    handed = api.must("POST", f"/v1/units/{unit_id}/handover", s.agent, {"handed_over_on": ymd(s.today)})
    out.eq("handover date set", handed.get("handover_date"), ymd(s.today))
    out.eq("one warranty ticket from the open defect", len(handed.get("ticket_ids", [])), 1)
    if not handed.get("ticket_ids"):
        raise StoryError("no ticket opened at handover")
    tid = handed["ticket_ids"][0]
    t = api.must("GET", f"/v1/tickets/{tid}", s.agent)
    out.eq("the ticket: channel inspection, the leak, in warranty",
           (t.get("channel"), t.get("component"), t.get("kind"), t.get("in_warranty"), t.get("warranty_ends")),
           ("inspection", "bathroom_waterproofing", "repair", True, ymd(add_years(s.today, 5))))
    unit = api.must("GET", f"/v1/units/{unit_id}", s.admin)
    out.eq("unit handover_date", unit.get("handover_date"), ymd(s.today))
    wo = poll("the ticket's work order", lambda: (lambda st, b: b.get("work_orders") if st == 200 else None)(
        *api.call("GET", f"/v1/work-orders?ticket_id={tid}", s.dispatcher)), s.wait)[0]
    out.eq("the ticket goes to the builder (in warranty)", (wo.get("assignee_kind"), wo.get("party_id")),
           ("builder", s.builder_id))
    old = poll("the leak's rectification order cancelled", lambda: (lambda b: b if b and b[0].get(
        "status") == "cancelled" else None)(orders_of(leak)), s.wait)[0]
    out.eq("rectification order of the leak cancelled", old.get("status"), "cancelled")
    keys = api.must("GET", f"/v1/projects/{p}/uncollected-keys", s.agent)
    out.ok("off the uncollected list", all(u["unit_id"] != unit_id for u in keys.get("units", [])))
    out.say(f"{ymd(s.today)} 交钥匙: 保修自今日起算; 遗留缺陷 主卫渗水 → 保修工单 {t.get('ticket_no')} "
            f"(渠道 inspection, 防水保修至 {t.get('warranty_ends')}), 派单承建商; 原整改单撤销")

    permit = api.must("POST", f"/v1/units/{unit_id}/decoration-permits", owner, {
        "contractor_name": "美家装饰", "scope": "厨房、主卫翻新; 不动承重墙",
        "starts_on": ymd(s.today + dt.timedelta(days=1)), "ends_on": ymd(s.today + dt.timedelta(days=60))})
    out.eq("permit applied", permit.get("status"), "applied")
    pid = permit["permit_id"]
    got = api.must("POST", f"/v1/decoration-permits/{pid}/approve", s.agent,
                   {"deposit_fen": DEPOSIT_FEN, "fee_fen": FEE_FEN})
    out.eq("permit approved with its deposit", (got.get("status"), got.get("deposit_fen")), ("approved", DEPOSIT_FEN))

    def decoration_invoices():
        got = api.must("GET", f"/v1/invoices?unit_id={unit_id}", owner).get("invoices", [])
        return {i.get("kind"): i for i in got if (i.get("kind") or "").startswith("decoration_")}
    invoices = poll("the deposit and fee invoices in billing",
                    lambda: (lambda d: d if len(d) == 2 else None)(decoration_invoices()), s.wait)
    deposit, fee = invoices["decoration_deposit"], invoices["decoration_fee"]
    out.eq("billing: deposit held, fee invoiced (the owner's invoices)",
           (deposit.get("amount_fen"), (deposit.get("deposit") or {}).get("status"), fee.get("amount_fen")),
           (DEPOSIT_FEN, "held", FEE_FEN))
    for i, ref in ((deposit, "deposit"), (fee, "fee")):
        api.must("POST", "/v1/payments", owner, {"invoice_id": i["invoice_id"], "amount_fen": i["amount_fen"],
                                                 "reference": f"wxpay-{s.run_id}-decoration-{ref}"}, want=(201,))
    got = api.must("POST", f"/v1/decoration-permits/{pid}/inspect", s.verifier,
                   {"passed": True, "note": "隐蔽工程 (水电) 封闭前验收"})
    out.eq("works in progress", got.get("status"), "in_progress")
    got = api.must("POST", f"/v1/decoration-permits/{pid}/violation", s.supervisor, {
        "description": "擅自移动燃气管道", "deadline": ymd(s.today + dt.timedelta(days=3)),
        "deduction_fen": DEDUCTION_FEN})
    out.eq("deduction recorded", got.get("deductions_fen"), DEDUCTION_FEN)
    s_, body = api.call("POST", f"/v1/decoration-permits/{pid}/finish", s.finance, {})
    out.eq("no refund before the final inspection", s_, 409)
    api.must("POST", f"/v1/decoration-permits/{pid}/inspect", s.verifier, {"passed": True, "note": "竣工验收合格"})
    first = api.must("POST", f"/v1/decoration-permits/{pid}/finish", s.finance, {})
    second = api.must("POST", f"/v1/decoration-permits/{pid}/finish", s.finance, {})
    out.eq("refund = deposit - deduction", first.get("deposit_refunded_fen"), DEPOSIT_FEN - DEDUCTION_FEN)
    out.eq("finish twice refunds once", (second.get("status"), second.get("deposit_refunded_fen"),
                                         second.get("version")),
           ("finished", DEPOSIT_FEN - DEDUCTION_FEN, first.get("version")))
    settled = poll("the deposit settled in billing", lambda: (lambda d: d if (d.get("decoration_deposit", {}).get(
        "deposit") or {}).get("status") == "settled" else None)(decoration_invoices()), s.wait)
    dep = settled["decoration_deposit"]["deposit"]
    out.eq("billing refunds deposit - deduction once", (
        len(settled), dep.get("refunded_fen"), dep.get("deducted_fen"), dep.get("waived_fen", 0),
        settled["decoration_deposit"].get("status")),
        (2, DEPOSIT_FEN - DEDUCTION_FEN, DEDUCTION_FEN, 0, "paid"))
    out.say(f"二次装修: 美家装饰 申请 → 批准 押金 {yuan(DEPOSIT_FEN)} 管理费 {yuan(FEE_FEN)} (账单开给业主, 已缴) → "
            f"隐蔽工程验收 → 违章 (擅自移动燃气管道) 整改通知, 扣押金 {yuan(DEDUCTION_FEN)} → 竣工验收 → "
            f"财务退押金 {yuan(dep.get('refunded_fen') or 0)} (重复提交只退一次)")

    report = api.must("GET", f"/v1/projects/{p}/reports/{s.period}", s.supervisor)
    h = report.get("handover") or {}
    out.eq("report: handover section", (
        h.get("defects_recorded"), (h.get("rectified_on_time") or {}).get("numerator"),
        (h.get("key_collection_rate") or {}).get("numerator"),
        (h.get("key_collection_rate") or {}).get("denominator"),
        h.get("permits_finished"), h.get("deposits_refunded_fen")),
        (2, 1, 1, 1, 1, DEPOSIT_FEN - DEDUCTION_FEN))
    b = report.get("billing") or {}
    out.eq("report: billing's decoration figures", (
        b.get("decoration_deposits_held_fen", 0), b.get("decoration_deposits_refunded_fen"),
        b.get("decoration_deductions_fen"), b.get("decoration_fees_fen")),
        (0, DEPOSIT_FEN - DEDUCTION_FEN, DEDUCTION_FEN, FEE_FEN))
    out.say(f"报表 {s.period}: 验房缺陷 {h.get('defects_recorded')}, 按期整改 "
            f"{(h.get('rectified_on_time') or {}).get('numerator')}/{(h.get('rectified_on_time') or {}).get('denominator')}, "
            f"收房率 {(h.get('key_collection_rate') or {}).get('numerator')}/"
            f"{(h.get('key_collection_rate') or {}).get('denominator')}, 装修完工 {h.get('permits_finished')}, "
            f"退押金 {yuan(h.get('deposits_refunded_fen') or 0)}; 财务: 押金退还 "
            f"{yuan(b.get('decoration_deposits_refunded_fen') or 0)}, 扣款收入 {yuan(b.get('decoration_deductions_fen') or 0)}, "
            f"装修管理费 {yuan(b.get('decoration_fees_fen') or 0)}")
