// The gateway binary's work besides serving (gateway/cli.cc).
#pragma once

#include "gateway/gateway.h"

namespace aftercare::gateway {

// --mint-token [--role R --sub S --projects a,b --units u --party-id P --ttl S]: prints a token
// signed with AFTERCARE_JWT_SECRET (development only; deploy/local/up.sh uses it). The exit code.
int mint_token_command(int argc, char** argv);

// The config from AFTERCARE_* variables: integer settings through settings.h (declared once with
// their bounds), the service addresses, the rest as strings.
GatewayConfig config_from_env();

}  // namespace aftercare::gateway
