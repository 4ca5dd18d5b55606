"""Story 7 (issue 20): a quarterly satisfaction campaign to one building.

The supervisor asks every owner of 1栋 (张伟 and 王强; 李娜 and 赵敏 live in 2栋): one
questionnaire each, and an invitation among their messages. 张伟 answers in the portal (5), the
agent records 王强's answer on the phone (3); a second answer is refused (409) and the points go
once per owner and campaign (the ledger's survey entry is tied to the questionnaire). The
campaign's satisfaction index, overall and for 1栋, follows the answers; 李娜 has nothing to
answer, and a crew member cannot start a campaign.
"""

import stories as kit


def stories(st):
    return [("story 7", lambda: story(st))]


def survey_earns(st, unit):
    ledger = st.api.must("GET", f"/v1/members/{unit['owner_id']}/ledger", st.owner_token(unit))
    return [e for e in ledger.get("entries", []) if e.get("kind") == "earn" and e.get("reason") == "survey"]


def story(st):
    out, api, p = st.out, st.api, st.p
    out.story = "story 7"
    out.title("故事七 · 季度满意度调查 (1栋)")
    a, b, c = st.units["A"], st.units["B"], st.units["C"]
    s, _ = api.call("POST", f"/v1/projects/{p}/survey-campaigns", st.crew,
                    {"kind": "quarterly_satisfaction", "title": "x", "buildings": ["1栋"]})
    out.eq("a crew member starting a campaign", s, 403)
    s, _ = api.call("POST", f"/v1/projects/{p}/survey-campaigns", st.supervisor,
                    {"kind": "quarterly_satisfaction", "title": "第四季度满意度回访", "buildings": ["9栋"]})
    out.eq("a campaign to a building with no unit", s, 400)
    before = {k: len(survey_earns(st, u)) for k, u in (("A", a), ("C", c))}
    camp = api.must("POST", f"/v1/projects/{p}/survey-campaigns", st.supervisor,
                    {"kind": "quarterly_satisfaction", "title": "第四季度满意度回访", "buildings": ["1栋"]},
                    want=(201,))
    cid = camp.get("campaign_id")
    out.eq("campaign: recipients and answers", (camp.get("recipients"), camp.get("answered")), (2, 0))
    out.say(f"主管发起 第四季度满意度回访 (1栋): 问卷 {camp.get('recipients')} 份")

    for unit in (a, c):
        mine = api.must("GET", f"/v1/owners/{unit['owner_id']}/surveys", st.owner_token(unit)).get("surveys", [])
        out.eq(f"{unit['name']}'s questionnaire", [(x.get("campaign_id"), x.get("status")) for x in mine
                                                    if x.get("campaign_id") == cid], [(cid, "pending")])
        invited = kit.poll(f"{unit['name']}'s invitation", lambda: [
            m for m in api.must("GET", f"/v1/owners/{unit['owner_id']}/messages", st.owner_token(unit)).get("messages", [])
            if m.get("kind") == "announcement" and "第四季度满意度回访" in (m.get("text") or "")] or None, st.wait)
        out.eq(f"{unit['name']}: one invitation", len(invited), 1)
    mine = api.must("GET", f"/v1/owners/{b['owner_id']}/surveys", st.owner_token(b)).get("surveys", [])
    out.eq("李娜 (2栋) has no questionnaire of this campaign", [x for x in mine if x.get("campaign_id") == cid], [])

    got = api.must("POST", f"/v1/survey-campaigns/{cid}/answers", st.owner_token(a),
                   {"owner_id": a["owner_id"], "score": 5, "comment": "回访及时, 很满意"}, want=(201,))
    out.eq("张伟 answers in the portal", (got.get("score"), got.get("satisfaction"), got.get("method")),
           (5, "satisfied", "app"))
    got = api.must("POST", f"/v1/survey-campaigns/{cid}/answers", st.agent,
                   {"owner_id": c["owner_id"], "score": 3, "comment": "电话回访: 基本满意"}, want=(201,))
    out.eq("the agent records 王强's answer", (got.get("score"), got.get("method"), got.get("recorded_by")),
           (3, "phone", st.agent_id))
    s, _ = api.call("POST", f"/v1/survey-campaigns/{cid}/answers", st.owner_token(a),
                    {"owner_id": a["owner_id"], "score": 1})
    out.eq("张伟 answering again", s, 409)
    s, _ = api.call("POST", f"/v1/survey-campaigns/{cid}/answers", st.owner_token(b),
                    {"owner_id": b["owner_id"], "score": 4})
    out.eq("李娜 answering a campaign she was not asked", s, 404)

    for key, unit in (("A", a), ("C", c)):
        earns = kit.poll(f"{unit['name']}'s survey points", lambda: (lambda e: e if len(e) > before[key] else None)(
            survey_earns(st, unit)), st.wait)
        out.eq(f"{unit['name']}: one survey earning for the campaign", len(earns) - before[key], 1)
        out.eq(f"{unit['name']}: survey points", earns[0].get("points"), kit.SURVEY_POINTS)

    camp = api.must("GET", f"/v1/survey-campaigns/{cid}", st.supervisor)
    idx = camp.get("satisfaction_index") or {}
    out.eq("campaign index: 2 of 2 satisfied or basically", (camp.get("answered"), int(idx.get("numerator", 0)),
                                                             int(idx.get("denominator", 0))), (2, 2, 2))
    out.eq("campaign average score 4.0", (camp.get("average_score") or {}).get("basis_points"), 40000)
    out.eq("index per building", [(x.get("building"), x.get("answered")) for x in camp.get("by_building", [])],
           [("1栋", 2)])
    listed = api.must("GET", f"/v1/projects/{p}/survey-campaigns", st.agent).get("campaigns", [])
    out.ok("the campaign is listed for the project", any(x.get("campaign_id") == cid for x in listed))
    out.say(f"张伟 在业主端打 5 分, 客服电话记录 王强 3 分; 满意度 {kit.pct(idx)}, 平均 "
            f"{(camp.get('average_score') or {}).get('basis_points', 0) / 10000:.1f} 分; 每人问卷积分 {kit.SURVEY_POINTS} (仅一次)")
