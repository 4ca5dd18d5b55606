// Who is calling and under which trace. The gateway verifies the JWT and forwards the caller as
// gRPC metadata; services read it back with begin_call and check scope again, so a bypassed
// gateway still cannot leak another project's data.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/role.h"
#include "common/trace.h"

namespace aftercare::kit {

struct Caller {
  std::string sub;                    // subject (user or party id)
  Role role = Role::none;             // read from the wire once (begin_call) or the token (gateway)
  std::vector<std::string> projects;  // "*" = every project
  std::vector<std::string> units;     // owners' units
  std::string party_id;               // builders, crews, contractors

  bool is(Role r) const { return role == r; }
  bool is_any(Roles roles) const { return roles.contains(role); }
  std::string role_name() const { return kit::role_name(role); }  // "" for none
  bool sees_project(const std::string& project_id) const;
  bool owns_unit(const std::string& unit_id) const;
};

// Metadata keys (see common.proto): the caller travels as a serialized aftercare.v1.Caller.
inline constexpr const char* kCallerMetadata = "aftercare-caller-bin";
inline constexpr const char* kTraceparent = "traceparent";

// The start of every handler: continues the caller's trace and reads its identity.
struct ServerCall {
  TraceScope trace;
  Caller caller;
};
ServerCall begin_call(const grpc::ServerContext& context);

// A client context for calling another service: deadline, current trace, the caller forwarded.
std::unique_ptr<grpc::ClientContext> client_context(
    const Caller& caller, std::chrono::milliseconds deadline = std::chrono::seconds(5));

// The largest gRPC message either side accepts: a 10 MiB attachment plus its fields (gRPC's
// default of 4 MiB would refuse it).
inline constexpr int kMaxMessageBytes = 16 << 20;

// A channel to another service at host:port (or dns:///name:port): round_robin over every address
// the name resolves to, so a headless Kubernetes service spreads calls over its replicas, and
// kMaxMessageBytes both ways.
std::shared_ptr<grpc::Channel> service_channel(const std::string& target);

// INVALID_ARGUMENT naming the field, the convention for bad input.
grpc::Status invalid_field(const std::string& field, const std::string& why);

std::vector<std::string> split_list(std::string_view text, char sep = ',');

}  // namespace aftercare::kit
