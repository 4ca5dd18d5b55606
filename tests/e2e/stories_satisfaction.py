"""Issue 20: targets, callback quotas, yearly reports, the supervisors' KPI alerts and the hq role.

After story 5 (the month's report of the project): the project sets its targets and who counts
as manager, supervisor and repair lead; the report's "targets" section then shows every KPI of
the month against its target, with exactly the figures of the other sections, and the callback
quotas by title; the yearly report has the same sections; an hq token reads the report and the
supervisors' alert list but writes nothing (a refused call changes nothing); the group view ranks
the projects and lists the worst builders and contractors across them, this project's with exactly
its report's figures.
"""
import datetime as dt

import stories as kit

KPI_SOURCES = {  # KPI -> (report section, field): the targets section repeats these figures
    "satisfaction": ("callbacks", "satisfaction_rate"),
    "fee_collection": ("billing", "fee_collection_rate"),
    "complaint_rate": ("callbacks", "complaint_rate"),
    "callback_handling": ("callbacks", "handling_rate"),
    "response_on_time": ("tickets", "response_on_time"),
    "resolve_on_time": ("tickets", "resolve_on_time"),
}
NAMES = {"satisfaction": "满意率", "fee_collection": "收缴率", "complaint_rate": "投诉率",
         "callback_handling": "回访率", "response_on_time": "响应及时率", "resolve_on_time": "办结及时率"}
TITLES = {"manager": "经理", "supervisor": "主管", "repair_lead": "维修负责人"}


def met(kpi):
    """The rule of DOMAIN/issue 20, exactly: a floor is met at or above, a ceiling strictly below;
    nothing measured counts as met."""
    a = kpi.get("actual") or {}
    n, d, t = int(a.get("numerator", 0)), int(a.get("denominator", 0)), kpi.get("target_bp", 0)
    if d == 0:
        return True
    return n * 10000 < t * d if kpi.get("ceiling") else n * 10000 >= t * d


def story_targets(st):
    out, api, p = st.out, st.api, st.p
    out.story = "story satisfaction"
    out.title(f"满意度管理 · {st.period} 目标考核: 满意率 85%、收缴率 80%、投诉率 < 1%、回访率 100%, 回访配额")
    policy = api.must("GET", f"/v1/projects/{p}/policy", st.admin)
    targets = policy.get("targets") or {}
    out.eq("default targets (the seeds)",
           [targets.get(k) for k in ("satisfaction_bp", "fee_collection_bp", "complaint_rate_max_bp",
                                     "callback_handling_bp", "manager_callback_quota_bp",
                                     "supervisor_callback_quota_bp", "repair_lead_callback_quota_bp")],
           [8500, 8000, 100, 10000, 1000, 3000, 6000])

    # hq reads but never writes: the refused PUT changes nothing
    hq = api.token("hq", "hq-jituan-" + st.run_id, ["*"])
    changed = dict(policy, targets=dict(targets, satisfaction_bp=9000))
    s, _ = api.call("PUT", f"/v1/projects/{p}/policy", hq, {"policy": changed})
    out.eq("hq changes the policy", s, 403)
    out.eq("... and nothing changed", (api.must("GET", f"/v1/projects/{p}/policy", st.admin).get("targets") or {})
           .get("satisfaction_bp"), 8500)

    # the project's own targets and who is who for the quotas (the agent who made the calls
    # counts as repair lead here, the supervisor as supervisor)
    supervisor_sub = "sup-laozhou-" + st.run_id
    mine = dict(targets, satisfaction_bp=9000, managers=["mgr-" + st.run_id], supervisors=[supervisor_sub],
                repair_leads=[st.agent_id])
    api.must("PUT", f"/v1/projects/{p}/policy", st.admin, {"policy": dict(policy, targets=mine)})
    latest = {}

    def fetch():
        latest["r"] = api.must("GET", f"/v1/projects/{p}/reports/{st.period}", st.supervisor)
        kpis = (latest["r"].get("targets") or {}).get("kpis") or []
        return any(k.get("kpi") == "satisfaction" and k.get("target_bp") == 9000 for k in kpis)
    kit.poll("the new targets in the report", fetch, st.wait)
    report = latest["r"]
    section = report.get("targets") or {}
    out.eq("report complete", report.get("incomplete"), [])
    out.eq("targets section complete", section.get("incomplete") or [], [])
    kpis = section.get("kpis") or []
    out.eq("every KPI, in catalog order", [k.get("kpi") for k in kpis], list(KPI_SOURCES))
    for k in kpis:
        sec, field = KPI_SOURCES.get(k.get("kpi"), (None, None))
        out.eq(f"targets.{k.get('kpi')} = {sec}.{field}", k.get("actual"), (report.get(sec) or {}).get(field))
        out.eq(f"targets.{k.get('kpi')} met", bool(k.get("met")), met(k))
    out.eq("targets met", section.get("targets_met", 0), sum(1 for k in kpis if met(k)))
    out.eq("the month is not closed yet", bool(section.get("closed")), False)
    for k in kpis:
        cmp = "<" if k.get("ceiling") else "≥"
        out.say(f"{NAMES.get(k['kpi'], k['kpi'])} {kit.pct(k.get('actual'))} 目标 {cmp} {k['target_bp'] / 100:g}% → "
                f"{'达标' if k.get('met') else '未达标, 差 ' + str(k.get('gap_bp', 0) / 100) + ' 个百分点'}")
    quotas = {q.get("title"): q for q in section.get("quotas") or []}
    out.eq("quotas by title", sorted(quotas), sorted(TITLES))
    done = int((report.get("callbacks") or {}).get("done", 0))
    for title, q in quotas.items():
        out.eq(f"quota {title}: of the month's done callbacks", int((q.get("share") or {}).get("denominator", 0)), done)
    out.eq("quota manager: nobody called", int((quotas.get("manager", {}).get("share") or {}).get("numerator", 0)), 0)
    out.ok("quota repair lead: the agent's calls count", int((quotas.get("repair_lead", {}).get("share") or {})
                                                             .get("numerator", 0)) > 0, str(quotas.get("repair_lead")))
    out.say("回访配额: " + "; ".join(
        f"{TITLES[t]} {kit.pct(q.get('share'))} (≥ {q.get('quota_bp', 0) / 100:g}%) {'✓' if q.get('met') else '✗'}"
        for t, q in sorted(quotas.items())))

    # the year report, read by hq
    year = str(st.today.year)
    yearly = api.must("GET", f"/v1/projects/{p}/reports/{year}", hq)
    out.eq("year report period", yearly.get("period"), year)
    out.eq("year report complete", yearly.get("incomplete"), [])
    ym = int((yearly.get("callbacks") or {}).get("done", 0))
    out.ok("the year holds at least the month's callbacks", ym >= done, f"{ym} < {done}")
    out.say(f"{year} 年报: 回访 {ym} 次, 满意率 {kit.pct((yearly.get('callbacks') or {}).get('satisfaction_rate'))}, "
            f"收缴率 {kit.pct((yearly.get('billing') or {}).get('fee_collection_rate'))}")

    # the group view: this project's row carries the same KPIs as its report, ranked among the
    # projects of the hq token (here: every project of the stack)
    group = api.must("GET", f"/v1/reports/{st.period}", hq)
    rows = {r.get("project_id"): r for r in group.get("projects") or []}
    mine_row = rows.get(p) or {}
    out.eq("group report lists the project", bool(mine_row), True)
    out.eq("group report: the project's KPIs = its targets section", mine_row.get("kpis"), kpis)
    ranks = [r.get("rank") for r in group.get("projects") or []]
    out.eq("group report ranked 1..n", ranks, list(range(1, len(ranks) + 1)))
    out.eq("group report totals: every KPI", [k.get("kpi") for k in group.get("totals") or []], list(KPI_SOURCES))
    s, _ = api.call("GET", f"/v1/reports/{st.period}", st.supervisor)
    out.eq("a supervisor reads the group report", s, 403)
    out.eq("group report complete", group.get("incomplete") or [], [])
    out.say(f"集团视图 {st.period}: {len(ranks)} 个项目, 本项目排名第 {mine_row.get('rank')} "
            f"(达标 {mine_row.get('targets_met', 0)}/6); 合计满意率 "
            f"{kit.pct(((group.get('totals') or [{}])[0]).get('actual'))}")
    worst_lists(st, report)

    # the supervisors' list: the month is still open, so no alert for it; hq reads the list too
    alerts = api.must("GET", f"/v1/projects/{p}/kpi-alerts", st.supervisor).get("alerts") or []
    out.ok("no alert for the open month", all(a.get("period_label") != st.period for a in alerts), str(alerts)[:200])
    s, _ = api.call("GET", f"/v1/projects/{p}/kpi-alerts?open_only=true", hq)
    out.eq("hq reads the alert list", s, 200)
    s, _ = api.call("POST", "/v1/kpi-alerts/00000000-0000-5000-8000-000000000000/acknowledge", hq, {"note": "x"})
    out.eq("hq acknowledges an alert", s, 403)
    s, _ = api.call("GET", f"/v1/projects/{p}/kpi-alerts", st.agent)
    out.eq("an agent reads the alert list", s, 403)
    out.say(f"主管待办: {len(alerts)} 条目标预警 (本月 {st.period} 月底结账后才考核)")


def rate(r):
    """A ratio as an exact (numerator, denominator) pair."""
    r = r or {}
    return int(r.get("numerator", 0)), int(r.get("denominator", 0))


def worse_or_equal(a, b):
    """The group view's order of the worst lists: the highest rework rate first, then the lowest
    on-time rate, exact fractions (nothing signed off = no rework, nothing decided = on time)."""
    def frac(r, empty):
        n, d = rate(r)
        return (n, d) if d > 0 else (empty, 1)
    (an, ad), (bn, bd) = frac(a.get("rework_rate"), 0), frac(b.get("rework_rate"), 0)
    if an * bd != bn * ad:
        return an * bd > bn * ad
    (an, ad), (bn, bd) = frac(a.get("on_time_rate"), 1), frac(b.get("on_time_rate"), 1)
    return an * bd <= bn * ad


def worst_lists(st, report):
    """The group view's worst builders and contractors: filled, in order, and this project's
    builder and contractor (their ids are this run's, so they work here only) carry exactly the
    figures of the project report's repairs section."""
    out, api = st.out, st.api
    hq = api.token("hq", "hq-jituan-" + st.run_id, ["*"])
    group = api.must("GET", f"/v1/reports/{st.period}?worst=100", hq)
    builders, contractors = group.get("worst_builders") or [], group.get("worst_contractors") or []
    out.ok("worst builders filled", len(builders) > 0, str(group)[:300])
    out.ok("worst contractors filled", len(contractors) > 0, str(group)[:300])
    for name, rows, kind in (("builders", builders, "builder"), ("contractors", contractors, "contractor")):
        out.eq(f"worst {name}: kinds", sorted({r.get("kind") for r in rows}), [kind] if rows else [])
        out.ok(f"worst {name}: highest rework rate first, then lowest on-time rate",
               all(worse_or_equal(a, b) for a, b in zip(rows, rows[1:])), str(rows)[:400])
    listed = {(r.get("party_id"), r.get("kind")): r for r in builders + contractors}
    mine = [x for x in (report.get("repairs") or {}).get("by_party") or [] if x.get("kind") in ("builder", "contractor")]
    out.ok("this project has builder or contractor work this month", len(mine) > 0, str(report.get("repairs"))[:300])
    for x in mine:
        row = listed.get((x.get("party_id"), x.get("kind"))) or {}
        who = f"{x.get('kind')} {x.get('party_id')}"
        out.eq(f"{who} listed once, in this project only", int(row.get("projects", 0)), 1)
        out.eq(f"{who} signed off = the report's", int(row.get("signed_off", 0)), int(x.get("signed_off", 0)))
        out.eq(f"{who} rework rate = its reworks / signed off", rate(row.get("rework_rate")),
               (int(x.get("reworks", 0)), int(x.get("signed_off", 0))))
        out.eq(f"{who} on-time rate = the report's on-site figure", rate(row.get("on_time_rate")),
               rate(x.get("onsite_on_time")))
    s, _ = api.call("GET", f"/v1/reports/{st.period}?worst=101", hq)
    out.eq("worst above 100", s, 400)
    top = lambda rows: ", ".join(f"{r.get('party_id')} 返工率 {kit.pct(r.get('rework_rate'))} 按时率 "  # noqa: E731
                                 f"{kit.pct(r.get('on_time_rate'))}" for r in rows[:3])
    out.say(f"返工率最高的承建商: {top(builders)}")
    out.say(f"返工率最高的外包单位: {top(contractors)}")


def stories(st):
    return [("story satisfaction", lambda: story_targets(st))]
