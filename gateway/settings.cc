#include "gateway/settings.h"

#include <stdexcept>

#include "common/config.h"

namespace aftercare::gateway {

int read_setting(const IntSetting& s) {
  int value = kit::env_int(s.env, s.fallback, s.min);
  if (value > s.max)
    throw std::invalid_argument(std::string(s.env) + " must be at most " + std::to_string(s.max) +
                                ", got " + std::to_string(value));
  return value;
}

const std::vector<IntSetting>& all_settings() {
  static const std::vector<IntSetting> all = {
      kStreamsPerSubject,  kStreamsTotal,   kHeaderTimeoutS, kIdleTimeoutS,
      kBodyTimeoutS,       kWriteTimeoutS,  kMaxHeaderBytes, kMaxBodyBytes,
      kHeartbeatS,         kShutdownGraceS, kIoThreads,      kWorkers,
      kStreamBacklogBytes, kHttpPort,       kRatePerSecond,  kRateBurst};
  return all;
}

}  // namespace aftercare::gateway
