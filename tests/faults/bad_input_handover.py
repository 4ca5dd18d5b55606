"""Bad-input cases of handover and decoration (issue 19), used by bad_input.py: unknown ids,
wrong types, out-of-scope units, impossible dates, amounts below zero -> a clear 4xx, nothing
written (the suite fingerprints every table, these included)."""
import datetime as dt

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def setup(w, api, ok, t):
    """An open joint inspection with one defect and an approved permit on unit A1 of project P."""
    _, uA1, _ = w.units["A1"]
    verifier = w.verifierP = t("verifier", "bi-verifier-p", [w.units["A1"][0]])
    w.iA1 = ok(api("POST", f"/v1/units/{uA1}/inspections", verifier, {"stage": "joint"}),
               "inspection")["inspection_id"]
    w.dA1 = ok(api("POST", f"/v1/inspections/{w.iA1}/defects", verifier, {
        "component": "decoration", "location": "客厅", "description": "墙面空鼓",
        "severity": "major"}), "defect")["defect_id"]
    today = dt.date.today()
    w.permitA1 = ok(api("POST", f"/v1/units/{uA1}/decoration-permits", w.owner["A1"], {
        "contractor_name": "安居装饰", "scope": "厨房翻新", "starts_on": today.isoformat(),
        "ends_on": (today + dt.timedelta(days=30)).isoformat()}), "permit")["permit_id"]
    ok(api("POST", f"/v1/decoration-permits/{w.permitA1}/approve", w.supP,
           {"deposit_fen": 300000, "fee_fen": 2000}), "approve")


def cases(w, add):
    g = "handover and decoration"
    _, uA1, _ = w.units["A1"]
    _, uB1, _ = w.units["B1"]
    today = dt.date.today()
    v, i, d, p = w.verifierP, w.iA1, w.dA1, w.permitA1
    I = f"/v1/units/{uA1}/inspections"
    add(g, "inspection: unknown stage", "POST", I, v, (400,), "stage", body={"stage": "final"})
    add(g, "inspection: stage a number", "POST", I, v, (400,), "stage", body={"stage": 2})
    add(g, "inspection: no stage", "POST", I, v, (400,), "stage", body={})
    add(g, "inspection: in the future", "POST", I, v, (400,), "inspected_at",
        body={"stage": "joint", "inspected_at": "2999-01-01T00:00:00Z"})
    add(g, "inspection: impossible time", "POST", I, v, (400,), "inspected_at",
        body={"stage": "joint", "inspected_at": "2026-02-30T10:00:00Z"})
    add(g, "inspection: unknown unit", "POST", "/v1/units/bi-nope/inspections", v, (404,),
        body={"stage": "joint"})
    add(g, "inspection: unit of another project", "POST", f"/v1/units/{uB1}/inspections", v, (404,),
        body={"stage": "joint"})
    add(g, "inspection: unknown field", "POST", I, v, (400,), "colour",
        body={"stage": "joint", "colour": "red"})
    D = f"/v1/inspections/{i}/defects"
    good = {"component": "plumbing", "location": "厨房", "description": "水管渗水", "severity": "minor"}
    add(g, "defect: unknown inspection", "POST", f"/v1/inspections/{UNKNOWN}/defects", v, (404,), body=good)
    add(g, "defect: inspection id not a uuid", "POST", "/v1/inspections/x'--/defects", v, (400, 404),
        body=good)
    add(g, "defect: unknown component", "POST", D, v, (400,), "component", body=dict(good, component="roof"))
    add(g, "defect: severity critical", "POST", D, v, (400,), "severity", body=dict(good, severity="critical"))
    add(g, "defect: empty location", "POST", D, v, (400,), "location", body=dict(good, location=""))
    add(g, "defect: description of 2001 characters", "POST", D, v, (400,), "description",
        body=dict(good, description="漏" * 2001))
    add(g, "defect: attachment ids not a list", "POST", D, v, (400,), "attachment_ids",
        body=dict(good, attachment_ids="a"))
    add(g, "defect: unknown attachment", "POST", D, v, (400,), "attachment_ids",
        body=dict(good, attachment_ids=[UNKNOWN]))
    add(g, "defect: agent of another project", "POST", D, w.agentQ, (404,), body=good)
    add(g, "defect: by an owner", "POST", D, w.owner["A1"], (403,), body=good)
    S = f"/v1/inspections/{i}/sign"
    add(g, "sign: unknown signer", "POST", S, v, (400,), "signer", body={"signer": "witness"})
    add(g, "sign: staff for the owner without on_behalf", "POST", S, w.agentP, (400,), "on_behalf",
        body={"signer": "owner"})
    add(g, "sign: paper slip without the slip", "POST", S, w.agentP, (400,), "attachment_id",
        body={"signer": "owner", "on_behalf": {"method": "paper_slip"}})
    add(g, "sign: unknown on_behalf method", "POST", S, w.agentP, (400,), "method",
        body={"signer": "owner", "on_behalf": {"method": "telepathy"}})
    add(g, "sign: owner with on_behalf", "POST", S, w.owner["A1"], (400,), "on_behalf",
        body={"signer": "owner", "on_behalf": {"method": "phone"}})
    add(g, "sign: another owner", "POST", S, w.owner["A2"], (404,), body={"signer": "owner"})
    add(g, "sign: owner as inspector", "POST", S, w.owner["A1"], (403,), body={"signer": "inspector"})
    R = f"/v1/inspections/{i}/defects/{d}/reinspect"
    add(g, "reinspect: unknown defect", "POST", f"/v1/inspections/{i}/defects/{UNKNOWN}/reinspect", v,
        (404,), body={"passed": True})
    add(g, "reinspect: passed as a string", "POST", R, v, (400,), "passed", body={"passed": "yes"})
    add(g, "reinspect: agent of another project", "POST", R, w.agentQ, (404,), body={"passed": True})
    H = f"/v1/units/{uA1}/handover"
    add(g, "handover: in the future", "POST", H, w.agentP, (400,), "handed_over_on",
        body={"handed_over_on": (today + dt.timedelta(days=3)).isoformat()})
    add(g, "handover: 30 February", "POST", H, w.agentP, (400,), "handed_over_on",
        body={"handed_over_on": "2026-02-30"})
    add(g, "handover: no date", "POST", H, w.agentP, (400,), "handed_over_on", body={})
    add(g, "handover: year 1899", "POST", H, w.agentP, (400,), "handed_over_on",
        body={"handed_over_on": "1899-01-01"})
    add(g, "handover: agent of another project", "POST", H, w.agentQ, (404,),
        body={"handed_over_on": today.isoformat()})
    add(g, "handover: by an owner", "POST", H, w.owner["A1"], (403,),
        body={"handed_over_on": today.isoformat()})
    add(g, "handover notice: 13th month", "PUT", f"/v1/units/{uA1}/handover-notice", w.agentP, (400,),
        "notice_on", body={"notice_on": "2026-13-01"})
    add(g, "key reminders: unit not on the list", "POST", f"/v1/projects/{w.units['A1'][0]}/key-reminders",
        w.agentP, (409,), body={"unit_ids": [uA1]})
    add(g, "uncollected keys: another project", "GET", f"/v1/projects/{w.units['B1'][0]}/uncollected-keys",
        w.agentP, (404,))
    A = f"/v1/units/{uA1}/decoration-permits"
    works = {"contractor_name": "安居装饰", "scope": "厨房翻新", "starts_on": today.isoformat(),
             "ends_on": (today + dt.timedelta(days=30)).isoformat()}
    add(g, "permit: ends before it starts", "POST", A, w.owner["A1"], (400,), "ends_on",
        body=dict(works, ends_on=(today - dt.timedelta(days=1)).isoformat()))
    add(g, "permit: impossible start", "POST", A, w.owner["A1"], (400,), "starts_on",
        body=dict(works, starts_on="2026-04-31"))
    add(g, "permit: two years of works", "POST", A, w.owner["A1"], (400,), "ends_on",
        body=dict(works, ends_on=(today + dt.timedelta(days=800)).isoformat()))
    add(g, "permit: no contractor", "POST", A, w.owner["A1"], (400,), "contractor_name",
        body=dict(works, contractor_name=""))
    add(g, "permit: workers -1", "POST", A, w.owner["A1"], (400,), "workers", body=dict(works, workers=-1))
    add(g, "permit: another owner's unit", "POST", A, w.owner["A2"], (404,), body=works)
    add(g, "permit: unit of another project", "POST", f"/v1/units/{uB1}/decoration-permits", w.agentP,
        (404,), body=works)
    add(g, "permit: unknown permit", "GET", f"/v1/decoration-permits/{UNKNOWN}", w.agentP, (404,))
    add(g, "permit: another owner reads", "GET", f"/v1/decoration-permits/{p}", w.owner["A2"], (404,))
    X = f"/v1/decoration-permits/{p}"
    add(g, "approve: already approved", "POST", f"{X}/approve", w.supP, (409,),
        body={"deposit_fen": 1, "fee_fen": 1})
    add(g, "violation: deduction below zero", "POST", f"{X}/violation", w.supP, (400,), "deduction_fen",
        body={"description": "违章搭建", "deadline": (today + dt.timedelta(days=5)).isoformat(),
              "deduction_fen": -100})
    add(g, "violation: deduction beyond the deposit", "POST", f"{X}/violation", w.supP, (409,),
        body={"description": "违章搭建", "deadline": (today + dt.timedelta(days=5)).isoformat(),
              "deduction_fen": 300001})
    add(g, "violation: deduction fractional", "POST", f"{X}/violation", w.supP, (400,), "deduction_fen",
        body={"description": "违章搭建", "deadline": (today + dt.timedelta(days=5)).isoformat(),
              "deduction_fen": 1.5})
    add(g, "violation: deadline in the past", "POST", f"{X}/violation", w.supP, (400,), "deadline",
        body={"description": "违章搭建", "deadline": "2020-01-01", "deduction_fen": 0})
    add(g, "violation: impossible deadline", "POST", f"{X}/violation", w.supP, (400,), "deadline",
        body={"description": "违章搭建", "deadline": "2026-02-29", "deduction_fen": 0})
    add(g, "finish: before the final inspection", "POST", f"{X}/finish", w.supP, (409,), body={})
    add(g, "finish: supervisor of another project", "POST", f"{X}/finish", w.supQ, (404,), body={})
    add(g, "refuse: no reason", "POST", f"{X}/refuse", w.supP, (400,), "reason", body={"reason": ""})
    add(g, "refuse: an approved permit", "POST", f"{X}/refuse", w.supP, (409,), body={"reason": "图纸不全"})
    add(g, "approve: deposit below zero", "POST", f"{X}/approve", w.supP, (400,), "deposit_fen",
        body={"deposit_fen": -1, "fee_fen": 0})
    add(g, "approve: deposit as a string", "POST", f"{X}/approve", w.supP, (400,), "deposit_fen",
        body={"deposit_fen": "many", "fee_fen": 0})
    add(g, "approve: by a dispatcher", "POST", f"{X}/approve", w.dispP, (403,),
        body={"deposit_fen": 1, "fee_fen": 0})
