#include "gateway/settings.h"

namespace aftercare::gateway {

const std::vector<IntSetting>& all_settings() {
  static const std::vector<IntSetting> all = {
      kStreamsPerSubject, kStreamsTotal,   kHeaderTimeoutS,     kIdleTimeoutS, kBodyTimeoutS,
      kWriteTimeoutS,     kMaxHeaderBytes, kMaxBodyBytes,       kHeartbeatS,   kShutdownGraceS,
      kIoThreads,         kWorkers,        kStreamBacklogBytes, kHttpPort,     kAdminPort,
      kRatePerSecond,     kRateBurst,      kTicketLagLimit,     kLagProbeMs};
  return all;
}

}  // namespace aftercare::gateway
