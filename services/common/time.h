// Instants between protobuf, abseil and SQL. SQL sees integer microseconds through the kit's
// functions kit_ts(bigint) and kit_us(timestamptz) (migration 002), so nothing is lost.
#pragma once

#include <absl/time/time.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>

namespace aftercare::kit {

inline int64_t to_micros(absl::Time t) {
  return absl::ToUnixMicros(t);
}
inline absl::Time from_micros(int64_t us) {
  return absl::FromUnixMicros(us);
}

// The database keeps microseconds: rounding to them makes what is returned equal a re-read.
inline absl::Time truncate_to_micros(absl::Time t) {
  return absl::FromUnixMicros(absl::ToUnixMicros(t));
}

inline google::protobuf::Timestamp to_timestamp(absl::Time t) {
  google::protobuf::Timestamp out;
  const int64_t us = absl::ToUnixMicros(t);
  int64_t seconds = us / 1000000, micros = us % 1000000;
  if (micros < 0) {
    micros += 1000000;
    --seconds;
  }
  out.set_seconds(seconds);
  out.set_nanos(static_cast<int32_t>(micros * 1000));
  return out;
}

inline absl::Time from_timestamp(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

}  // namespace aftercare::kit
