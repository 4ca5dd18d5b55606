#!/usr/bin/env bash
#
# Bring up the whole AfterCare platform on 127.0.0.1 and return, leaving it running:
# PostgreSQL, Redis, devbroker (Kafka protocol), the five services and the gateway.
# Running it again is safe: whatever is already running is kept (a service or the gateway whose
# binary was rebuilt since it started is restarted).
#
#   deploy/local/up.sh                 # progress on stderr, summary + exports on stdout
#   eval "$(deploy/local/up.sh)"       # ... and AFTERCARE_TOKEN etc. land in your shell
#   deploy/local/down.sh [--wipe]      # stop it (and delete its data)
#
# Environment: AFTERCARE_BUILD_DIR (default <repo>/build), AFTERCARE_PG_PORT (15432),
# AFTERCARE_REDIS_PORT (16379), AFTERCARE_KAFKA_PORT (19092: devbroker's brokers on 19092-19094,
# its control API on 19099), AFTERCARE_HTTP_PORT (8080),
# AFTERCARE_JWT_SECRET (aftercare-dev-secret, a dev-only default), AFTERCARE_LOCAL_STATE (state
# dir, default <repo>/.state/local), AFTERCARE_GRPC_PORT_BASE (50051) and
# AFTERCARE_METRICS_PORT_BASE (9101) for a second stack beside the first, AFTERCARE_SKIP_BUILD=1.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

STATE=${AFTERCARE_LOCAL_STATE:-$AC_REPO/.state/local}
PG_PORT=${AFTERCARE_PG_PORT:-15432}
REDIS_PORT=${AFTERCARE_REDIS_PORT:-16379}
KAFKA_PORT=${AFTERCARE_KAFKA_PORT:-19092}
HTTP_PORT=${AFTERCARE_HTTP_PORT:-8080}
JWT_SECRET=${AFTERCARE_JWT_SECRET:-aftercare-dev-secret}
HEALTH_TIMEOUT=60

# Relative paths in the services (migrations, fixtures) resolve against the repo.
cd "$AC_REPO"

BUILD=$(ac_build_dir)
if [[ ${AFTERCARE_SKIP_BUILD:-0} != 1 ]]; then  # tests that already built the tree skip this
  ac_install_packages
  ac_build "$BUILD"
fi

ac_state_init "$STATE"
# One up.sh/down.sh at a time per checkout; the lock file sits outside the state dir so that
# down.sh --wipe can delete the state dir while holding it.
ac_lock "$STATE.lock"

# --- data stores -------------------------------------------------------------------------------
ac_pg_start "$STATE" "$PG_PORT"
for svc in "${AC_SERVICES[@]}"; do
  ac_pg_create_db "$PG_PORT" "aftercare_$svc"
done
ac_redis_start "$STATE" "$REDIS_PORT"

# --- Kafka (devbroker) -------------------------------------------------------------------------
BOOTSTRAP_FILE=$STATE/kafka.bootstrap
CONTROL_FILE=$STATE/devbroker.control
ac_devbroker_start "$STATE" "$BUILD" "$KAFKA_PORT" ||
  ac_die "devbroker did not come up (the services need Kafka); see $STATE/logs/devbroker.log"

# --- services and gateway ----------------------------------------------------------------------

# Environment every process gets: where the shared infrastructure and the other services are.
# (Services call each other over gRPC and re-check the caller's JWT, hence the peer addresses
# and the secret.)
COMMON_ENV=(
  "AFTERCARE_KAFKA_BOOTSTRAP_FILE=$BOOTSTRAP_FILE"
  "AFTERCARE_REDIS_ADDR=127.0.0.1:$REDIS_PORT"
  # devbroker holds an empty fetch for the whole fetch.wait.max.ms even when data arrives
  # (librdkafka mock cluster): keep it short or every event hop waits up to 500 ms.
  "AFTERCARE_KAFKA_FETCH_WAIT_MS=${AFTERCARE_KAFKA_FETCH_WAIT_MS:-10}"
  "AFTERCARE_JWT_SECRET=$JWT_SECRET"
)
for i in "${!AC_SERVICES[@]}"; do
  svc=${AC_SERVICES[i]}
  COMMON_ENV+=("AFTERCARE_${svc^^}_ADDR=127.0.0.1:${AC_GRPC_PORTS[i]}")
done

# start_proc NAME BINARY ENV...: start BINARY under ac_start_bg with the given environment.
# If it is already running from an older binary (rebuilt since), restart it so that "edit, up.sh"
# is the whole dev loop. Returns 1 (with a note) if the binary has not been built.
start_proc() {
  local name=$1 bin=$2
  shift 2
  local pidfile=$STATE/run/$name.pid log=$STATE/logs/$name.log
  if [[ ! -x $bin ]]; then
    ac_log "NOTE: skipping $name: $bin not built"
    return 1
  fi
  if ac_pidfile_alive "$pidfile" && [[ $bin -nt $pidfile ]]; then
    ac_log "$name: binary rebuilt since it started, restarting"
    ac_stop_pidfile "$pidfile"
  fi
  ac_start_bg "$name" "$log" "$pidfile" -- env "${COMMON_ENV[@]}" "$@" "$bin"
}

# Partners' webhook receivers on a developer's machine are on loopback: allow private URLs here
# (production refuses them, docs/operations.md).
COMMON_ENV+=("AFTERCARE_DISPATCH_WEBHOOK_ALLOW_PRIVATE_URLS=${AFTERCARE_DISPATCH_WEBHOOK_ALLOW_PRIVATE_URLS:-1}")

# Start everything first and wait afterwards, so the services boot in parallel.
STARTED=()    # names to health-check
HEALTH_URL=() # index-aligned with STARTED: the whole truth (503 "degraded" names the problem)
READY_URL=()  # index-aligned with STARTED: serves its API
for i in "${!AC_SERVICES[@]}"; do
  svc=${AC_SERVICES[i]}
  if start_proc "$svc" "$BUILD/services/$svc/aftercare-$svc" \
    "AFTERCARE_DB_URL=postgresql://aftercare@127.0.0.1:$PG_PORT/aftercare_$svc" \
    "AFTERCARE_GRPC_ADDR=127.0.0.1:${AC_GRPC_PORTS[i]}" \
    "AFTERCARE_METRICS_ADDR=127.0.0.1:${AC_METRICS_PORTS[i]}"; then
    STARTED+=("$svc")
    HEALTH_URL+=("http://127.0.0.1:${AC_METRICS_PORTS[i]}/healthz")
    READY_URL+=("http://127.0.0.1:${AC_METRICS_PORTS[i]}/readyz")
  fi
done

GATEWAY_BIN=$BUILD/gateway/aftercare-gateway
# The local stack signs people in to the web console with the dev login (AFTERCARE_DEV_LOGIN=0 to
# turn it off); the gateway's own default is off.
DEV_LOGIN=${AFTERCARE_DEV_LOGIN:-1}
ulimit -Sn 65536 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true # a socket per partner stream (issue 17)
if start_proc gateway "$GATEWAY_BIN" "AFTERCARE_HTTP_PORT=$HTTP_PORT" "AFTERCARE_DEV_LOGIN=$DEV_LOGIN" \
  "AFTERCARE_GATEWAY_ADMIN_PORT=$AC_GATEWAY_ADMIN_PORT"; then
  STARTED+=(gateway)
  HEALTH_URL+=("http://127.0.0.1:$HTTP_PORT/healthz")
  READY_URL+=("http://127.0.0.1:$HTTP_PORT/openapi.json")
fi

# Check every process (rather than stop at the first failure) so one run reports all problems;
# a crashed process fails its check at once instead of after the deadline. A process that serves
# but is degraded (e.g. after a power cut, while its outbox publishes what waited) is reported,
# not fatal: it heals by itself, and its /healthz says what is wrong meanwhile.
FAILED=()
for i in "${!STARTED[@]}"; do
  name=${STARTED[i]}
  AC_WAIT_LOG=$STATE/logs/$name.log AC_WAIT_PIDFILE=$STATE/run/$name.pid \
    ac_wait_for "$name serving at ${READY_URL[i]}" "$HEALTH_TIMEOUT" \
    curl -fsS --max-time 2 -o /dev/null "${READY_URL[i]}" ||
    FAILED+=("$name")
done
if ((${#FAILED[@]} > 0)); then
  ac_die "not serving: ${FAILED[*]} (logs in $STATE/logs; the rest is still running, stop it with deploy/local/down.sh)"
fi
for i in "${!STARTED[@]}"; do
  ac_wait_for "${STARTED[i]} healthy" 10 \
    curl -fsS --max-time 2 -o /dev/null "${HEALTH_URL[i]}" ||
    ac_log "WARNING: ${STARTED[i]} serves but is degraded: $(curl -sS --max-time 2 "${HEALTH_URL[i]}" 2>&1)"
done

# --- admin token -------------------------------------------------------------------------------

# A JWT an admin can use against the gateway. The gateway mints it itself (same code path as
# verification); `timeout` guards against a gateway build that ignores --mint-token and starts
# serving instead. Fallback: the same HS256 token from the Python standard library.
mint_admin_token() {
  local token
  if [[ -x $GATEWAY_BIN ]] &&
    token=$(AFTERCARE_JWT_SECRET=$JWT_SECRET timeout 10 "$GATEWAY_BIN" --mint-token \
      --role admin --sub admin --projects '*' --ttl 86400 2>/dev/null </dev/null) &&
    [[ $token =~ ^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$ ]]; then
    printf '%s\n' "$token"
    return 0
  fi
  ac_log "NOTE: gateway --mint-token unavailable, minting the admin token with python3"
  AFTERCARE_JWT_SECRET=$JWT_SECRET python3 - <<'PY'
import base64, hashlib, hmac, json, os, time

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def part(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())

signing_input = part({"alg": "HS256", "typ": "JWT"}) + "." + part(
    {"sub": "admin", "role": "admin", "projects": ["*"], "exp": int(time.time()) + 86400})
secret = os.environ["AFTERCARE_JWT_SECRET"].encode()
signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
print(signing_input + "." + b64url(signature))
PY
}
TOKEN=$(mint_admin_token)

# --- summary (stdout: shell comments and exports only, so `eval "$(up.sh)"` works) -------------
{
  echo "# AfterCare local stack is up (state: $STATE)"
  echo "#"
  if [[ " ${STARTED[*]} " == *" gateway "* ]]; then
    echo "#   gateway    http://127.0.0.1:$HTTP_PORT   (health /healthz; admin http://127.0.0.1:$AC_GATEWAY_ADMIN_PORT/metrics)   log $STATE/logs/gateway.log"
    echo "#   console    http://127.0.0.1:$HTTP_PORT/   (web console; dev login $([[ $DEV_LOGIN == 1 ]] && echo on || echo off))"
  else
    echo "#   gateway    NOT RUNNING (not built)"
  fi
  for i in "${!AC_SERVICES[@]}"; do
    svc=${AC_SERVICES[i]}
    if [[ " ${STARTED[*]} " == *" $svc "* ]]; then
      printf '#   %-9s  grpc 127.0.0.1:%s   http://127.0.0.1:%s/healthz   log %s\n' \
        "$svc" "${AC_GRPC_PORTS[i]}" "${AC_METRICS_PORTS[i]}" "$STATE/logs/$svc.log"
    else
      printf '#   %-9s  NOT RUNNING (not built)\n' "$svc"
    fi
  done
  echo "#   postgres   postgresql://aftercare@127.0.0.1:$PG_PORT/aftercare_<service>   log $STATE/logs/postgres.log"
  echo "#   redis      127.0.0.1:$REDIS_PORT   log $STATE/logs/redis.log"
  echo "#   devbroker  bootstrap list in $BOOTSTRAP_FILE, control file $CONTROL_FILE, log $STATE/logs/devbroker.log"
  echo "#              try: kcat -L -b \"\$(cat $BOOTSTRAP_FILE)\""
  echo "#"
  echo "# Admin token (24 h):  curl -H \"Authorization: Bearer \$AFTERCARE_TOKEN\" http://127.0.0.1:$HTTP_PORT/v1/..."
  echo "# Stop: deploy/local/down.sh   (add --wipe to delete all local data)"
  printf 'export AFTERCARE_GATEWAY_URL=%q\n' "http://127.0.0.1:$HTTP_PORT"
  printf 'export AFTERCARE_KAFKA_BOOTSTRAP_FILE=%q\n' "$BOOTSTRAP_FILE"
  printf 'export AFTERCARE_TOKEN=%q\n' "$TOKEN"
}
