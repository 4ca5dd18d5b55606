// The gateway's integer settings, each declared once with its environment name, default and
// bounds (kit::IntSetting), and read by kit::read_setting. A value outside the bounds stops the
// start with a message naming the variable.
#pragma once

#include <string>
#include <vector>

#include "common/config.h"

namespace aftercare::gateway {

using kit::IntSetting;
using kit::read_setting;

// Connections and streams (issue 17).
inline constexpr IntSetting kStreamsPerSubject{"AFTERCARE_GATEWAY_STREAMS_PER_SUBJECT", 4, 1, 1000,
                                               "open partner streams per token subject (429)"};
inline constexpr IntSetting kStreamsTotal{"AFTERCARE_GATEWAY_STREAMS_MAX", 10000, 1, 1000000,
                                          "open partner streams in all (503)"};
inline constexpr IntSetting kHeaderTimeoutS{"AFTERCARE_GATEWAY_HEADER_TIMEOUT_S", 10, 1, 300,
                                            "seconds to send a request's headers"};
inline constexpr IntSetting kIdleTimeoutS{"AFTERCARE_GATEWAY_IDLE_TIMEOUT_S", 60, 1, 3600,
                                          "seconds a keep-alive connection may sit idle"};
inline constexpr IntSetting kBodyTimeoutS{"AFTERCARE_GATEWAY_BODY_TIMEOUT_S", 30, 1, 600,
                                          "seconds to send a request's body"};
inline constexpr IntSetting kWriteTimeoutS{"AFTERCARE_GATEWAY_WRITE_TIMEOUT_S", 30, 1, 600,
                                           "seconds a client may take to read an answer"};
inline constexpr IntSetting kMaxHeaderBytes{"AFTERCARE_GATEWAY_MAX_HEADER_BYTES", 16384, 1024,
                                            1 << 20, "request line and headers (414/431)"};
inline constexpr IntSetting kMaxBodyBytes{"AFTERCARE_GATEWAY_MAX_BODY_BYTES", 1 << 20, 1024,
                                          64 << 20,
                                          "request body of most routes (413; attachments 15 MiB)"};
inline constexpr IntSetting kHeartbeatS{"AFTERCARE_GATEWAY_HEARTBEAT_S", 15, 1, 300,
                                        "seconds between SSE keep-alive comments"};
inline constexpr IntSetting kShutdownGraceS{"AFTERCARE_GATEWAY_SHUTDOWN_GRACE_S", 10, 0, 300,
                                            "seconds in-flight calls get after SIGTERM"};
inline constexpr IntSetting kIoThreads{"AFTERCARE_GATEWAY_IO_THREADS", 2, 1, 64,
                                       "threads running the sockets"};
inline constexpr IntSetting kWorkers{"AFTERCARE_GATEWAY_WORKERS", 8, 1, 256,
                                     "threads for the short blocking stages (Redis, JWT, JSON)"};
inline constexpr IntSetting kStreamBacklogBytes{
    "AFTERCARE_GATEWAY_STREAM_BACKLOG_BYTES", 1 << 20, 4096, 64 << 20,
    "unsent bytes a stream may queue before its slow reader is dropped"};
// Backpressure on the ticket path (issue 21, backpressure.h).
inline constexpr IntSetting kTicketLagLimit{
    "AFTERCARE_GATEWAY_TICKET_LAG_LIMIT", 500, 0, 100000000,
    "events dispatch may be behind on intake's topic before new reports get 503 (0 = off)"};
inline constexpr IntSetting kLagProbeMs{"AFTERCARE_GATEWAY_LAG_PROBE_MS", 1000, 50, 60000,
                                        "milliseconds between two readings of that lag"};
// Existing settings, now read the same way.
inline constexpr IntSetting kHttpPort{"AFTERCARE_HTTP_PORT", 8080, 0, 65535, "HTTP port"};
inline constexpr IntSetting kAdminPort{"AFTERCARE_GATEWAY_ADMIN_PORT", 9100, 0, 65535,
                                       "admin port: /metrics, /healthz, /readyz, /livez"};
inline constexpr IntSetting kRatePerSecond{"AFTERCARE_RATE_LIMIT_PER_SECOND", 50, 1, 1000000,
                                           "requests per second per subject"};
inline constexpr IntSetting kRateBurst{"AFTERCARE_RATE_LIMIT_BURST", 100, 1, 1000000,
                                       "rate limit burst per subject"};

// Every setting above, for documentation and the start-up log line.
const std::vector<IntSetting>& all_settings();

}  // namespace aftercare::gateway
