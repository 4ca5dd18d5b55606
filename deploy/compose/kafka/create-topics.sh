#!/bin/bash
# topic-init (docker-compose.yaml): create AfterCare's topics on the KRaft cluster.
# Environment: BOOTSTRAP, REPLICATION_FACTOR, MIN_INSYNC_REPLICAS, TOPICS ("name:partitions:retention_ms:segment_ms ...").
# Idempotent: existing topics are left alone (a partition count is never changed here: adding
# partitions moves keys to other partitions and breaks per-aggregate order; see docs/operations.md).
set -euo pipefail
bin=/opt/kafka/bin
: "${BOOTSTRAP:?}" "${TOPICS:?}"
rf=${REPLICATION_FACTOR:-3}
isr=${MIN_INSYNC_REPLICAS:-2}

# Wait (bounded) until all brokers are registered: RF 3 needs three.
deadline=$((SECONDS + 180))
until (($("$bin/kafka-broker-api-versions.sh" --bootstrap-server "$BOOTSTRAP" 2>/dev/null |
  grep -c '(id: [0-9]* rack') >= rf)); do
  if ((SECONDS > deadline)); then
    echo "topic-init: fewer than $rf brokers after 180 s" >&2
    exit 1
  fi
  sleep 2
done

for spec in $TOPICS; do
  IFS=: read -r topic partitions retention segment <<<"$spec"
  "$bin/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists \
    --topic "$topic" --partitions "$partitions" --replication-factor "$rf" \
    --config "min.insync.replicas=$isr" --config "retention.ms=$retention" \
    --config "segment.ms=$segment" \
    --config cleanup.policy=delete
  have=$("$bin/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --describe --topic "$topic" |
    grep -c 'Partition: ' || true)
  if ((have != partitions)); then
    echo "topic-init: WARNING $topic has $have partitions, manifest says $partitions (left as is)" >&2
  fi
done
echo "topic-init: topics ready"
"$bin/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --list
