// Domain checks answer "" or "<field> <why>" (e.g. "score must be 1-5"); this turns such an
// answer into the kit's INVALID_ARGUMENT "field: why" (kit::invalid_field). Kept out of call.h so
// that only the edges that use it include it.
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

namespace aftercare::kit {

// error must not be empty; without a space the whole text is the field ("<field> is invalid").
grpc::Status invalid_from_check(const std::string& error);

}  // namespace aftercare::kit
