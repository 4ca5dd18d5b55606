#!/usr/bin/env python3
"""Scrapes /metrics of every process of a running stack and checks names and types (issue 22).

    python3 tests/e2e/metrics_scrape.py   # ports from the on_private_stack.sh / up.sh variables

Run after traffic (contract_smoke_test.sh runs it after the contract smoke). Checks:
  * the text parses as Prometheus exposition format 0.0.4: every sample belongs to a family with
    # HELP and # TYPE, names are aftercare_*, values are numbers, histograms have ascending
    `le` buckets ending in +Inf equal to _count, cumulative counts never decrease, _sum printed
    with full precision (no 6-digit exponent form);
  * every process has aftercare_build_info{program,version,revision} 1 (gauge);
  * every service has aftercare_grpc_server_handled_total (counter, grpc_service/grpc_method/
    grpc_code) and aftercare_grpc_server_handling_seconds (histogram), with calls of its own
    aftercare.v1.<Name>Service among them for intake;
  * the gateway (admin port) has aftercare_gateway_requests_total (counter: method, route,
    status) and aftercare_gateway_request_seconds (histogram: method, route) with the same
    (method, route) pairs; its public port answers /metrics with 404;
  * each metric documented in docs/operations.md's table has the documented type wherever it
    appears.
"""
import os
import re
import sys
import urllib.error
import urllib.request

SERVICES = ["intake", "dispatch", "callback", "loyalty", "billing"]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
ERRORS = []


def fail(msg):
    ERRORS.append(msg)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(proc, text):
    """{family: {"type", "help", "samples": [(name, labels, value, raw)]}}"""
    fams, current = {}, None
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            fams.setdefault(name, {"samples": []})["help"] = line.split(" ", 3)[3] if line.count(" ") >= 3 else ""
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ", 3)
            fams.setdefault(name, {"samples": []})["type"] = typ
            current = name
            continue
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            fail(f"{proc}: unparsable line {line!r}")
            continue
        name, labels, raw = m.group(1), dict(LABEL.findall(m.group(3) or "")), m.group(4)
        try:
            value = float(raw)
        except ValueError:
            fail(f"{proc}: {name} has a non-numeric value {raw!r}")
            continue
        fam = current
        if fam is None or not (name == fam or (fams[fam].get("type") == "histogram" and name in
                                               (fam + "_bucket", fam + "_sum", fam + "_count"))):
            fail(f"{proc}: sample {name} is not under its family's # TYPE line")
            continue
        fams[fam]["samples"].append((name, labels, value, raw))
    for name, f in fams.items():
        if not name.startswith("aftercare_"):
            fail(f"{proc}: metric {name} is not named aftercare_*")
        if "type" not in f or "help" not in f:
            fail(f"{proc}: {name} lacks # HELP or # TYPE")
        if f.get("type") == "histogram":
            check_histogram(proc, name, f["samples"])
    return fams


def check_histogram(proc, name, samples):
    series = {}
    for sname, labels, value, raw in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        s = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sname.endswith("_bucket"):
            s["buckets"].append((labels.get("le"), value))
        elif sname.endswith("_sum"):
            s["sum"] = raw
        else:
            s["count"] = value
    for key, s in series.items():
        where = f"{proc}: {name}{dict(key)}"
        les = [le for le, _ in s["buckets"]]
        if not les or les[-1] != "+Inf":
            fail(f"{where}: buckets do not end in le=\"+Inf\"")
            continue
        bounds = [float(le) for le in les[:-1]]
        if bounds != sorted(bounds):
            fail(f"{where}: le bounds are not ascending")
        counts = [v for _, v in s["buckets"]]
        if counts != sorted(counts):
            fail(f"{where}: cumulative bucket counts decrease")
        if s["count"] is None or s["sum"] is None:
            fail(f"{where}: no _sum or _count")
        elif counts[-1] != s["count"]:
            fail(f"{where}: +Inf bucket {counts[-1]} != _count {s['count']}")
        if s["sum"] is not None and re.search(r"e\+0[0-9]$", s["sum"]) and float(s["sum"]) < 1e16:
            fail(f"{where}: _sum {s['sum']} printed with too few digits")


def documented_types():
    text = open(os.path.join(ROOT, "docs", "operations.md"), encoding="utf-8").read()
    return dict(re.findall(r"^\| `(aftercare_[a-z0-9_]+)` \| (counter|gauge|histogram) \|", text, re.M))


def series_of(fams, name):
    return [labels for sname, labels, _, _ in fams.get(name, {}).get("samples", [])
            if sname in (name, name + "_count")]


def main():
    metrics_base = int(os.environ.get("AFTERCARE_METRICS_PORT_BASE", "9101"))
    admin = int(os.environ.get("AFTERCARE_GATEWAY_ADMIN_PORT", metrics_base - 1))
    http = int(os.environ.get("AFTERCARE_HTTP_PORT", "8080"))
    procs = {svc: metrics_base + i for i, svc in enumerate(SERVICES)}
    procs["gateway"] = admin
    docs = documented_types()
    seen = {}
    for proc, port in procs.items():
        status, text = get(f"http://127.0.0.1:{port}/metrics")
        if status != 200:
            fail(f"{proc}: GET :{port}/metrics answered {status}")
            continue
        fams = parse(proc, text)
        seen[proc] = fams
        for name, f in fams.items():
            if name in docs and f.get("type") != docs[name]:
                fail(f"{proc}: {name} is a {f.get('type')}, docs/operations.md says {docs[name]}")
        info = series_of(fams, "aftercare_build_info")
        if fams.get("aftercare_build_info", {}).get("type") != "gauge" or len(info) != 1:
            fail(f"{proc}: no single aftercare_build_info gauge")
        elif not (info[0].get("program") == proc and info[0].get("version") and info[0].get("revision")):
            fail(f"{proc}: aftercare_build_info labels {info[0]}")
        if proc == "gateway":
            req = fams.get("aftercare_gateway_requests_total", {})
            lat = fams.get("aftercare_gateway_request_seconds", {})
            if req.get("type") != "counter" or lat.get("type") != "histogram":
                fail("gateway: aftercare_gateway_requests_total (counter) and "
                     "aftercare_gateway_request_seconds (histogram) missing or mistyped")
                continue
            pairs_c = {(l.get("method"), l.get("route")) for l in series_of(fams, "aftercare_gateway_requests_total")}
            pairs_h = {(l.get("method"), l.get("route")) for l in series_of(fams, "aftercare_gateway_request_seconds")}
            if not pairs_c or pairs_c != pairs_h:
                fail(f"gateway: counter and histogram route labels differ: {sorted(pairs_c ^ pairs_h)[:5]}")
            if any(not r or not r.startswith("/") or m not in ("GET", "PUT", "POST", "PATCH", "DELETE")
                   for m, r in pairs_c):
                fail(f"gateway: route labels are not (method, pattern): {sorted(pairs_c)[:3]}")
            if any(set(l) != {"method", "route", "status"} for l in series_of(fams, "aftercare_gateway_requests_total")):
                fail("gateway: aftercare_gateway_requests_total labels are not method, route, status")
            continue
        handled = fams.get("aftercare_grpc_server_handled_total", {})
        timing = fams.get("aftercare_grpc_server_handling_seconds", {})
        if handled.get("type") != "counter" or timing.get("type") != "histogram":
            fail(f"{proc}: per-RPC metrics missing or mistyped")
            continue
        calls = series_of(fams, "aftercare_grpc_server_handled_total")
        if any(set(l) != {"grpc_service", "grpc_method", "grpc_code"} for l in calls):
            fail(f"{proc}: aftercare_grpc_server_handled_total labels are not grpc_service, grpc_method, grpc_code")
        if proc == "intake" and not any(l.get("grpc_service") == "aftercare.v1.IntakeService" for l in calls):
            fail("intake: no calls of aftercare.v1.IntakeService counted after the contract smoke")
    status, _ = get(f"http://127.0.0.1:{http}/metrics")
    if status != 404:
        fail(f"gateway: the public port answers /metrics with {status} (expected 404: admin port only)")
    families = sum(len(f) for f in seen.values())
    if ERRORS:
        for e in ERRORS:
            print("FAIL:", e)
        print(f"metrics_scrape: {len(ERRORS)} problem(s)")
        return 1
    print(f"metrics_scrape: OK ({len(seen)} processes, {families} metric families)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
