// How long each copy of an event is kept, in one place. tests/deploy/check_manifests.py reads
// these numbers and checks the topics of deploy/k8s and deploy/compose against them.
//
//   topic retention (30 days) + segment roll (7 days)  <  inbox ids (45 days)
//
// Kafka deletes a whole segment only once its newest message is past retention, so a topic can
// hold events up to retention + segment roll old. A consumer rewound to the earliest offset (its
// group offsets lost, or rewound by an operator) therefore never meets an event that its inbox
// has already forgotten, and never applies one twice.
#pragma once

namespace aftercare::kit {

inline constexpr int kTopicRetentionDays = 30;
inline constexpr int kTopicSegmentDays = 7;
inline constexpr int kInboxRetentionDays = 45;
// Sent outbox rows are kept as long as the topics keep events: when the relay finds a broker that
// lost its data (devbroker restarted), it publishes this window again, which rebuilds what the
// topics would have held. Pruned after that.
inline constexpr int kOutboxReplayDays = kTopicRetentionDays;

static_assert(kInboxRetentionDays > kTopicRetentionDays + kTopicSegmentDays,
              "inbox ids must outlive every event a topic can still hold");

}  // namespace aftercare::kit
