// Structured logs: one JSON object per line on stderr with time, level, service, trace id and
// message, so files from deploy/local can be grepped by trace id across services.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace aftercare::kit {

// Installs the JSON formatter as spdlog's default logger. Level: trace debug info warn error.
void init_logging(const std::string& service, const std::string& level);

// Escapes a string for inclusion inside a JSON string literal.
std::string json_escape(std::string_view text);

}  // namespace aftercare::kit
