#!/usr/bin/env python3
"""Holds N partner SSE streams open against the gateway (issue 17 benchmark, not a test).

streams_client.py URL-HOST PORT GATEWAY_BIN PARTIES PER_PARTY READY_FILE STOP_FILE
Opens PARTIES x PER_PARTY streams (one token subject per stream, so the per-subject cap is not
what is measured), writes READY_FILE once every stream has its 200, keeps reading until
STOP_FILE exists, then prints one JSON line: streams, events received, and the violations the
issue forbids (another party's event, an id out of order, an id twice)."""
import base64, hashlib, hmac, json, os, re, selectors, socket, sys, time

host, port, _gw, parties, per_party, ready_file, stop_file = sys.argv[1:8]
port, parties, per_party = int(port), int(parties), int(per_party)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(claims):
    # HS256 as the gateway's --mint-token does (deploy/local/up.sh has the same fallback);
    # 5,000 process starts would take minutes.
    part = lambda obj: b64url(json.dumps(obj, separators=(",", ":")).encode())
    signing = part({"alg": "HS256", "typ": "JWT"}) + "." + part(claims)
    sig = hmac.new(os.environ["AFTERCARE_JWT_SECRET"].encode(), signing.encode(), hashlib.sha256)
    return signing + "." + b64url(sig.digest())


def tokens(party, n):
    return [mint({"sub": f"bench-{party}-{i}", "role": "builder", "projects": ["bench-p"],
                  "party_id": party, "exp": int(time.time()) + 7200}) for i in range(n)]


class Stream:
    def __init__(self, party, tok):
        self.party, self.buf, self.ok, self.last, self.events = party, b"", False, 0, 0
        self.sock = socket.create_connection((host, port))
        self.sock.setblocking(False)
        self.sock.sendall((f"GET /v1/partners/{party}/events HTTP/1.1\r\nHost: {host}\r\n"
                           f"Accept: text/event-stream\r\nAuthorization: Bearer {tok}\r\n\r\n").encode())


ID = re.compile(rb"id: (\d+)\nevent: [^\n]*\ndata: ([^\n]*)\n\n")
sel = selectors.DefaultSelector()
streams, violations = [], {"foreign": 0, "order": 0, "status": 0}
t0 = time.time()
for p in range(parties):
    party = f"B-{p:05d}"
    for tok in tokens(party, per_party):
        s = Stream(party, tok)
        streams.append(s)
        sel.register(s.sock, selectors.EVENT_READ, s)
print(f"streams_client: {len(streams)} connections made in {time.time() - t0:.1f} s", flush=True)

ready_written = False
while not os.path.exists(stop_file):
    for key, _ in sel.select(timeout=0.5):
        s = key.data
        try:
            chunk = s.sock.recv(65536)
        except BlockingIOError:
            continue
        if not chunk:
            sel.unregister(s.sock)
            violations["status"] += 1
            continue
        s.buf += chunk
        if not s.ok:
            if b"\r\n\r\n" not in s.buf:
                continue
            head, s.buf = s.buf.split(b"\r\n\r\n", 1)
            if not head.startswith(b"HTTP/1.1 200"):
                violations["status"] += 1
                sel.unregister(s.sock)
                continue
            s.ok = True
        # Chunk framing is left in the buffer; events are found by their own framing.
        end = 0
        for m in ID.finditer(s.buf):
            seq, data = int(m.group(1)), m.group(2)
            if seq <= s.last:
                violations["order"] += 1
            s.last = seq
            s.events += 1
            if json.loads(data)["event"].get("aggregate_id") != s.party:
                violations["foreign"] += 1
            end = m.end()
        s.buf = s.buf[end:]
    if not ready_written and all(s.ok for s in streams):
        open(ready_file, "w").write(str(time.time()))
        ready_written = True
        print(f"streams_client: all {len(streams)} streams open after {time.time() - t0:.1f} s",
              flush=True)
print(json.dumps({"streams": len(streams), "open": sum(s.ok for s in streams),
                  "events": sum(s.events for s in streams),
                  "streams_with_events": sum(1 for s in streams if s.events),
                  "violations": violations}), flush=True)
