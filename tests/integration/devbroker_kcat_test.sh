#!/usr/bin/env bash
# devbroker against a real Kafka client: kcat lists, produces, consumes and commits through the
# mock cluster, and the control API's fault injection is exercised end to end.
#
# usage: devbroker_kcat_test.sh PATH_TO_DEVBROKER
set -euo pipefail

readonly DEVBROKER=${1:?usage: $0 PATH_TO_DEVBROKER}
readonly STARTUP_SECONDS=20
readonly SHUTDOWN_SECONDS=15
readonly KCAT_SECONDS=60

readonly PLATFORM_TOPICS=(
  aftercare.intake.v1 aftercare.dispatch.v1 aftercare.callback.v1
  aftercare.loyalty.v1 aftercare.billing.v1
)

WORK=$(mktemp -d)
readonly WORK
readonly BOOTSTRAP_FILE=$WORK/bootstrap
readonly CONTROL_FILE=$WORK/control
readonly LOG=$WORK/devbroker.log
readonly RESPONSE=$WORK/response.json
# Unique payloads, so a message from an earlier step can never pass for one from this step.
readonly RUN_ID="run-$$-$RANDOM"
DEVBROKER_PID=""

cleanup() {
  if [[ -n $DEVBROKER_PID ]] && kill -0 "$DEVBROKER_PID" 2>/dev/null; then
    kill -KILL "$DEVBROKER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  if [[ -s $LOG ]]; then
    echo "--- devbroker log" >&2
    cat "$LOG" >&2
  fi
  exit 1
}

step() { echo "== $*"; }

require_tool() {
  command -v "$1" >/dev/null || fail "$1 is not installed"
}

# Whole seconds since the epoch, for deadlines, without forking `date`.
now() { echo "${EPOCHREALTIME%.*}"; }

wait_for_file() {
  local path=$1 deadline=$(($(now) + STARTUP_SECONDS))
  until [[ -s $path ]]; do
    kill -0 "$DEVBROKER_PID" 2>/dev/null || fail "devbroker exited before writing $path"
    (($(now) < deadline)) || fail "no $path after ${STARTUP_SECONDS}s"
    sleep 0.1
  done
}

# Calls the control API; prints the HTTP status and leaves the body in $RESPONSE.
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-sS --max-time 10 -o "$RESPONSE" -w '%{http_code}' -X "$method")
  [[ -n $body ]] && args+=(-H 'Content-Type: application/json' -d "$body")
  curl "${args[@]}" "http://$CONTROL$path" || echo "curl-failed"
}

expect_api() {
  local want=$1 status
  shift
  status=$(api "$@")
  [[ $status == "$want" ]] || fail "$1 $2 answered $status, wanted $want: $(cat "$RESPONSE" 2>/dev/null)"
}

kcat_() { timeout "$KCAT_SECONDS" kcat -b "$BOOTSTRAP" "$@"; }

# The mock delays a group's next JoinGroup by session.timeout.ms - 1s once its last member left;
# a short session keeps the second group run at ~2 s instead of 44 s.
consume_group() {
  kcat_ -G "$1" -X auto.offset.reset=earliest -X session.timeout.ms=3000 \
    -X heartbeat.interval.ms=500 -e -q "$2"
}

consume_all() { kcat_ -C -t "$1" -e -q -o beginning; }

# Messages land on random partitions, so compare as sorted sets.
expect_messages() {
  local what=$1 want=$2 got=$3
  [[ "$(sort <<<"$got")" == "$(sort <<<"$want")" ]] ||
    fail "$what: expected [$(tr '\n' ' ' <<<"$want")] got [$(tr '\n' ' ' <<<"$got")]"
}

topic_listed() { grep -q "topic \"$2\" with" <<<"$1"; }

require_tool kcat
require_tool curl

step "start devbroker"
"$DEVBROKER" --bootstrap-file "$BOOTSTRAP_FILE" --control-file "$CONTROL_FILE" 2>"$LOG" &
DEVBROKER_PID=$!
wait_for_file "$BOOTSTRAP_FILE"
# The control file is written first, so it is already there; the check guards that contract.
[[ -s $CONTROL_FILE ]] || fail "bootstrap file appeared before the control file"
BOOTSTRAP=$(<"$BOOTSTRAP_FILE")
CONTROL=$(<"$CONTROL_FILE")
echo "bootstrap $BOOTSTRAP, control $CONTROL"

step "healthz"
expect_api 200 GET /healthz
grep -q "\"bootstrap\":\"$BOOTSTRAP\"" "$RESPONSE" || fail "healthz body: $(cat "$RESPONSE")"

step "kcat -L lists every platform topic and its dead-letter topic"
metadata=$(kcat_ -L) || fail "kcat -L failed"
for topic in "${PLATFORM_TOPICS[@]}"; do
  topic_listed "$metadata" "$topic" || fail "kcat -L does not list $topic"
  topic_listed "$metadata" "$topic.dlq" || fail "kcat -L does not list $topic.dlq"
done

step "produce 3 messages and consume them back"
intake=$(printf '%s-intake-%d\n' "$RUN_ID" 1 2 3)
kcat_ -P -t aftercare.intake.v1 <<<"$intake" || fail "kcat -P to aftercare.intake.v1 failed"
got=$(consume_all aftercare.intake.v1) || fail "kcat -C failed"
expect_messages "plain consumer" "$intake" "$got"

step "consumer group commits its offsets"
got=$(consume_group grp-$RUN_ID aftercare.intake.v1) || fail "first group run failed"
expect_messages "first group run" "$intake" "$got"
got=$(consume_group grp-$RUN_ID aftercare.intake.v1) || fail "second group run failed"
[[ -z $got ]] || fail "second group run read again: [$(tr '\n' ' ' <<<"$got")]"

step "broker 1 down, cluster still answers, broker 1 up"
expect_api 200 POST /brokers/1/down
kcat_ -L >/dev/null || fail "kcat -L failed with broker 1 down"
expect_api 200 POST /brokers/1/up
expect_api 404 POST /brokers/99/down

step "injected Produce errors are retried away by the idempotent producer"
expect_api 200 POST /errors '{"api": "Produce", "error": "NOT_LEADER_FOR_PARTITION", "count": 3}'
dispatch="$RUN_ID-dispatch-idempotent"
kcat_ -P -t aftercare.dispatch.v1 -X enable.idempotence=true -X acks=all \
  -X message.timeout.ms=30000 <<<"$dispatch" || fail "idempotent produce did not succeed"
got=$(consume_all aftercare.dispatch.v1) || fail "kcat -C of aftercare.dispatch.v1 failed"
expect_messages "after injected errors" "$dispatch" "$got"
expect_api 200 DELETE /errors/Produce
expect_api 400 POST /errors '{"api": "Produce", "error": "NO_SUCH_ERROR"}'

step "leader move"
expect_api 200 POST /leader '{"topic": "aftercare.intake.v1", "partition": 0, "broker": 2}'
kcat_ -L -t aftercare.intake.v1 | grep -q "partition 0, leader 2," ||
  fail "partition 0 of aftercare.intake.v1 is not led by broker 2"

step "POST /topics creates a topic kcat can see"
readonly NEW_TOPIC=devbroker.test.$RUN_ID
topic_listed "$(kcat_ -L)" "$NEW_TOPIC" && fail "$NEW_TOPIC exists before it was created"
expect_api 200 POST /topics "{\"name\": \"$NEW_TOPIC\", \"partitions\": 2, \"replication\": 3}"
kcat_ -L | grep -q "topic \"$NEW_TOPIC\" with 2 partitions" || fail "kcat -L does not show $NEW_TOPIC"
expect_api 409 POST /topics "{\"name\": \"$NEW_TOPIC\"}"
expect_api 400 POST /topics '{"name": "no spaces allowed"}'
expect_api 400 POST /topics '{not json'
expect_api 200 GET /topics
grep -q "\"$NEW_TOPIC\"" "$RESPONSE" || fail "GET /topics does not list $NEW_TOPIC"
expect_api 404 GET /no/such/route

step "SIGTERM stops devbroker cleanly"
kill -TERM "$DEVBROKER_PID"
deadline=$(($(now) + SHUTDOWN_SECONDS))
while kill -0 "$DEVBROKER_PID" 2>/dev/null; do
  (($(now) < deadline)) || fail "devbroker still running ${SHUTDOWN_SECONDS}s after SIGTERM"
  sleep 0.1
done
status=0
wait "$DEVBROKER_PID" || status=$?
DEVBROKER_PID=""
((status == 0)) || fail "devbroker exited with status $status after SIGTERM"
grep -q "stopped" "$LOG" || fail "devbroker did not log its shutdown"

echo "PASS: devbroker_kcat"
