"""Shared helpers of the fault and bad-input suites (Python 3 standard library only).

- HS256 JWTs minted here (and deliberately broken ones for the bad-input suite);
- `call()`: one HTTP request to the gateway that never raises: it returns a Response whose
  `status` is None for a connection-level failure (refused, reset, timed out);
- `Stack`: the private local stack of a suite (deploy/local/up.sh with its own ports and state
  dir), with the fault levers: kill -9 and restart a process, stop/start PostgreSQL and Redis
  through deploy/local/lib.sh, devbroker's control API, psql against a service database;
- `eventually()`: poll a condition against a deadline (never sleep-and-hope).
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIB_SH = os.path.join(REPO, "deploy", "local", "lib.sh")
PSQL = "/usr/lib/postgresql/15/bin/psql"


def log(*parts):
    print(time.strftime("%H:%M:%S"), *parts, flush=True)


# ---------------------------------------------------------------------------------------------
# Tokens


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def mint(secret, role, sub, projects=(), units=(), party_id=None, ttl=3600, alg="HS256",
         extra=None, header=None):
    """An HS256 JWT with the claims of DESIGN.md. `alg`="none" gives an unsigned token."""
    claims = {"sub": sub, "role": role, "projects": list(projects), "exp": int(time.time()) + ttl}
    if units:
        claims["units"] = list(units)
    if party_id:
        claims["party_id"] = party_id
    claims.update(extra or {})
    head = header if header is not None else {"alg": alg, "typ": "JWT"}
    h = b64url(json.dumps(head, separators=(",", ":")).encode())
    b = b64url(json.dumps(claims, separators=(",", ":")).encode())
    if alg == "none":
        return f"{h}.{b}."
    sig = hmac.new(secret.encode(), f"{h}.{b}".encode(), hashlib.sha256).digest()
    return f"{h}.{b}.{b64url(sig)}"


# ---------------------------------------------------------------------------------------------
# HTTP


class Response:
    __slots__ = ("status", "body", "text", "headers", "error")

    def __init__(self, status=None, body=None, text="", headers=None, error=None):
        self.status, self.body, self.text = status, body, text
        self.headers, self.error = headers or {}, error

    def __repr__(self):
        if self.status is None:
            return f"<no response: {self.error}>"
        return f"<HTTP {self.status} {self.text[:300]!r}>"

    def json_error(self):
        """(code, message) of a contract error body {"error": {"code", "message"}}, else None."""
        b = self.body
        if isinstance(b, dict) and isinstance(b.get("error"), dict):
            code, msg = b["error"].get("code"), b["error"].get("message")
            if isinstance(code, str) and code and isinstance(msg, str) and msg:
                return code, msg
        return None


_local = threading.local()


def _conn(host, port, timeout):
    """A keep-alive connection per thread and address."""
    key = (host, port)
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    c = pool.get(key)
    if c is None:
        c = pool[key] = http.client.HTTPConnection(host, port, timeout=timeout)
    c.timeout = timeout
    return c


def _drop(host, port):
    pool = getattr(_local, "pool", {})
    c = pool.pop((host, port), None)
    if c is not None:
        c.close()


def call(base, method, path, token=None, body=None, raw=None, headers=None, timeout=30):
    """One request. `body` is JSON-encoded; `raw` (bytes/str) is sent as is. Never raises for
    network trouble: status None and `error` set instead."""
    u = urllib.parse.urlsplit(base)
    hdrs = {"Content-Type": "application/json"}
    if token is not None:
        hdrs["Authorization"] = "Bearer " + token
    hdrs.update(headers or {})
    data = None
    if raw is not None:
        data = raw.encode() if isinstance(raw, str) else raw
    elif body is not None:
        data = json.dumps(body, ensure_ascii=False).encode()
    for attempt in (0, 1):
        c = _conn(u.hostname, u.port, timeout)
        try:
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            text = r.read().decode("utf-8", "replace")
            rh = {k.lower(): v for k, v in r.getheaders()}
            if rh.get("connection", "").lower() == "close":
                _drop(u.hostname, u.port)
            break
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
            _drop(u.hostname, u.port)
            # A keep-alive connection the server closed while idle: one fresh retry is what any
            # HTTP client does (the request never reached a handler). A second failure is real.
            if attempt == 0:
                continue
            return Response(error=f"{type(e).__name__}: {e}")
        except (OSError, http.client.HTTPException) as e:
            _drop(u.hostname, u.port)
            return Response(error=f"{type(e).__name__}: {e}")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = None
    return Response(r.status, parsed, text, rh)


def q(s):
    return urllib.parse.quote(s, safe="")


# ---------------------------------------------------------------------------------------------
# Waiting


class Timeout(AssertionError):
    pass


def eventually(pred, timeout, desc, interval=0.2):
    """Poll `pred` until it returns a truthy value (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = pred()
            if v:
                return v
            last = v
        except Exception as e:  # noqa: BLE001 - keep polling, report the last failure
            last = e
        if time.monotonic() >= deadline:
            raise Timeout(f"timed out after {timeout}s waiting for {desc} (last: {last!r})")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# The stack


SERVICES = ("intake", "dispatch", "callback", "loyalty", "billing")


class Stack:
    """A private stack: env = the AFTERCARE_* settings given to up.sh/down.sh."""

    def __init__(self, state, pg_port, redis_port, http_port, grpc_base, metrics_base, secret,
                 kafka_port, extra_env=None):
        self.state, self.pg_port, self.redis_port = state, pg_port, redis_port
        self.kafka_port = kafka_port  # devbroker: brokers kafka_port..+2, control API +7
        self.http_port, self.grpc_base, self.metrics_base = http_port, grpc_base, metrics_base
        self.secret = secret
        self.base = f"http://127.0.0.1:{http_port}"
        # Nothing AFTERCARE_* from the caller (tests/run exports its own stack's settings, which
        # must not reach this stack's processes): only what is set here.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERCARE_")}
        self.env.update({
            "AFTERCARE_LOCAL_STATE": state,
            "AFTERCARE_PG_PORT": str(pg_port),
            "AFTERCARE_REDIS_PORT": str(redis_port),
            "AFTERCARE_HTTP_PORT": str(http_port),
            "AFTERCARE_GRPC_PORT_BASE": str(grpc_base),
            "AFTERCARE_METRICS_PORT_BASE": str(metrics_base),
            "AFTERCARE_KAFKA_PORT": str(kafka_port),
            "AFTERCARE_SKIP_BUILD": "1",
            "AFTERCARE_JWT_SECRET": secret,
        })
        self.env.update(extra_env or {})
        self.rebuilt = set()

    # -- binaries ---------------------------------------------------------------------------
    BINARIES = ["services/%s/aftercare-%s" % (s, s) for s in SERVICES] + [
        "gateway/aftercare-gateway", "deploy/local/devbroker/devbroker"]

    def snapshot_build(self, build_dir):
        """Run this stack from a private copy of the binaries: the shared build tree is rebuilt
        by others at any time, and up.sh restarts a process whose binary is newer than its pid
        file (a restart the suite did not ask for, and a mix of versions)."""
        dst = os.path.join(self.state, "build")
        for rel in self.BINARIES:
            src = os.path.join(build_dir, rel)
            if not os.path.exists(src):
                raise RuntimeError(f"{src} is not built")
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            tmp = os.path.join(dst, rel) + ".tmp"
            shutil.copy2(src, tmp)
            os.replace(tmp, os.path.join(dst, rel))
        self.env["AFTERCARE_BUILD_DIR"] = dst

    def ports(self):
        return ([self.pg_port, self.redis_port, self.http_port, self.metrics_base - 1]
                + [self.grpc_base + i for i in range(5)] + [self.metrics_base + i for i in range(5)]
                + [self.kafka_port + i for i in range(3)] + [self.kafka_port + 7])

    def start(self, build_dir):
        """Fresh stack: wipe, snapshot the binaries, up.sh (once more if a port was taken by
        someone's ephemeral connection in the meantime)."""
        for attempt in (1, 2, 3):
            self.down(wipe=True)
            busy = [p for p in self.ports() if not free_port_ok(p)]
            if busy:
                log(f"ports {busy} are busy; waiting for them")
                eventually(lambda: all(free_port_ok(p) for p in self.ports()), 60,
                           f"ports {busy} to be free")
            os.makedirs(self.state, exist_ok=True)
            self.snapshot_build(build_dir)
            try:
                return self.up()
            except RuntimeError as e:
                if attempt == 3:
                    raise
                log(f"up.sh failed (attempt {attempt}), starting over: {str(e)[-600:]}")

    # -- scripts ----------------------------------------------------------------------------
    def _run(self, args, timeout=180, check=True):
        p = subprocess.run(args, env=self.env, cwd=REPO, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"{args[:3]} exit {p.returncode}:\n{p.stderr[-3000:]}")
        return p

    def lib(self, script, timeout=120, check=True):
        """Run bash with deploy/local/lib.sh sourced."""
        return self._run(["bash", "-c", f'source "{LIB_SH}"; set -e; {script}'], timeout, check)

    def up(self):
        """up.sh; names of processes it restarted because their binary was rebuilt meanwhile
        (someone else rebuilt the tree) are added to `self.rebuilt`."""
        p = self._run([os.path.join(REPO, "deploy/local/up.sh")], timeout=300)
        for line in p.stderr.splitlines():
            if "binary rebuilt since it started, restarting" in line:
                self.rebuilt.add(line.split("]", 1)[-1].strip().split(":")[0])
        return p

    def down(self, wipe=True):
        """down.sh; without wipe the state dir (logs, databases) stays for a post-mortem, minus
        the copy of the binaries."""
        args = [os.path.join(REPO, "deploy/local/down.sh")] + (["--wipe"] if wipe else [])
        p = self._run(args, timeout=180, check=False)
        if not wipe:
            shutil.rmtree(os.path.join(self.state, "build"), ignore_errors=True)
        return p

    # -- processes --------------------------------------------------------------------------
    def pid(self, name):
        try:
            with open(os.path.join(self.state, "run", name + ".pid")) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    @staticmethod
    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def kill9(self, name):
        pid = self.pid(name)
        assert pid and self.alive(pid), f"{name} is not running"
        os.kill(pid, signal.SIGKILL)
        eventually(lambda: not self.alive(pid), 10, f"{name} (pid {pid}) to die")
        return pid

    def pg_stop(self):
        self.lib(f'ac_pg_stop "{self.state}"')

    def pg_start(self):
        self.lib(f'ac_pg_start "{self.state}" {self.pg_port}')

    def redis_stop(self):
        self.lib(f'ac_redis_stop "{self.state}"')

    def redis_start(self):
        self.lib(f'ac_redis_start "{self.state}" {self.redis_port}')

    def health(self, name):
        port = self.http_port if name == "gateway" else self.metrics_base + SERVICES.index(name)
        r = call(f"http://127.0.0.1:{port}", "GET", "/healthz", timeout=3)
        return r.status == 200

    def log_path(self, name):
        return os.path.join(self.state, "logs", name + ".log")

    # -- devbroker --------------------------------------------------------------------------
    def broker(self, method, path, body=None):
        with open(os.path.join(self.state, "devbroker.control")) as f:
            addr = f.read().strip()
        if not addr.startswith("http"):
            addr = "http://" + addr
        r = call(addr, method, path, body=body, timeout=10)
        assert r.status == 200, f"devbroker {method} {path}: {r}"
        return r.body

    # -- databases --------------------------------------------------------------------------
    def psql(self, svc, sql, timeout=30):
        """Rows of `sql` in aftercare_<svc> as lists of strings (unaligned, tab-separated)."""
        p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "aftercare",
                            "-d", "aftercare_" + svc, "-c", sql],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"psql {svc}: {p.stderr.strip()}")
        return [line.split("\t") for line in p.stdout.splitlines() if line != ""]

    def scalar(self, svc, sql):
        rows = self.psql(svc, sql)
        return rows[0][0] if rows else None


def free_port_ok(port):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def finish(suite, failures, started, stack, keep_env):
    """The end of a suite: stop its stack (kept running if `keep_env` is 1, its state dir kept
    for a post-mortem either way), list the failures, return the exit code."""
    if os.environ.get(keep_env) != "1":
        stack.down(wipe=False)
    log(f"{suite} finished in {time.monotonic() - started:.0f}s: {len(failures)} failure(s)")
    for f in failures:
        print("  -", f)
    return 1 if failures else 0


def main_guard(fn):
    """Run fn(); print a traceback and exit 2 on an unexpected error (a harness problem)."""
    try:
        sys.exit(fn())
    except Timeout as e:
        log("FAIL:", e)
        sys.exit(1)
