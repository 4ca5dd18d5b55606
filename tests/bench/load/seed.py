#!/usr/bin/env python3
"""Seeds the bench projects through the public API (standard library only).

  seed.py URL PROJECT:UNIT_PREFIX:UNITS[:FIRST_BUILDING] ... [--ticket PROJECT:UNIT]

Each project gets a name, this and next year's calendar, a builder, a crew and a contractor for
every trade, and units PREFIX1..PREFIXn handed over 200 days ago (in warranty). UNITS may be 0
(the project only: bulk units are loaded with SQL). The units are spread over 30 buildings
numbered from FIRST_BUILDING (1). --ticket opens one ticket on a unit of its
own and prints its id. Tokens: AFTERCARE_ADMIN_TOKEN, AFTERCARE_TOKEN (an agent).
"""
import datetime as dt
import http.client
import json
import os
import sys
import urllib.parse

TRADES = ["house_quality", "decoration", "public_facility", "other"]


class Api:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)

    def call(self, method, path, token, body):
        self.conn.request(method, path, body=json.dumps(body).encode(),
                          headers={"Authorization": "Bearer " + token,
                                   "Content-Type": "application/json"})
        r = self.conn.getresponse()
        data = r.read()
        if r.status >= 300:
            raise SystemExit(f"seed: {method} {path} -> {r.status} {data[:300]!r}")
        return json.loads(data) if data else {}


def main(argv):
    url, specs, ticket = argv[1], [], None
    args = iter(argv[2:])
    for a in args:
        if a == "--ticket":
            ticket = next(args)
        else:
            specs.append(a)
    admin, agent = os.environ["AFTERCARE_ADMIN_TOKEN"], os.environ["AFTERCARE_TOKEN"]
    api = Api(url)
    today = dt.date.today()
    handover = (today - dt.timedelta(days=200)).isoformat()
    for spec in specs:
        project, prefix, n, *first = spec.split(":")
        first_building = int(first[0]) if first else 1
        api.call("PUT", f"/v1/projects/{project}", admin,
                 {"name": f"bench {project}", "timezone": "Asia/Shanghai"})
        for year in (today.year, today.year + 1):
            api.call("PUT", f"/v1/projects/{project}/calendars/{year}", admin,
                     {"holidays": [], "workdays": []})
        for kind in ("builder", "crew", "contractor"):
            api.call("PUT", f"/v1/projects/{project}/parties/{kind}-{project}", admin,
                     {"kind": kind, "name": f"{kind} of {project}", "trades": TRADES})
        for i in range(1, int(n) + 1):
            api.call("PUT", f"/v1/projects/{project}/units/{prefix}{i}", admin,
                     {"building": str(i % 30 + first_building), "room": f"{i:04d}", "area_m2": 88.5,
                      "owner_id": f"owner-{prefix}{i}", "owner_name": "张三",
                      "owner_phone": f"138{i:08d}", "handover_date": handover})
    if ticket:
        project, unit = ticket.split(":")
        api.call("PUT", f"/v1/projects/{project}/units/{unit}", admin,
                 {"building": "1", "room": "0101", "area_m2": 88.5, "owner_id": f"owner-{unit}",
                  "owner_name": "张三", "owner_phone": "13800000000", "handover_date": handover})
        t = api.call("POST", "/v1/tickets", agent,
                     {"project_id": project, "unit_id": unit, "kind": "repair",
                      "category": "house_quality", "component": "plumbing", "urgency": "normal",
                      "channel": "hotline", "description": "bench seed: 厨房水管漏水"})
        print(t["ticket_id"])


if __name__ == "__main__":
    main(sys.argv)
