#include "common/call.h"
#include "common/field_error.h"

#include <algorithm>
#include <cctype>

#include "aftercare/v1/common.pb.h"

namespace aftercare::kit {
namespace {

std::string metadata(const grpc::ServerContext& context, const char* key) {
  const auto& md = context.client_metadata();
  auto it = md.find(key);
  return it == md.end() ? std::string() : std::string(it->second.data(), it->second.size());
}

}  // namespace

std::vector<std::string> split_list(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool Caller::sees_project(const std::string& project_id) const {
  return std::any_of(projects.begin(), projects.end(),
                     [&](const std::string& p) { return p == "*" || p == project_id; });
}

bool Caller::owns_unit(const std::string& unit_id) const {
  return std::find(units.begin(), units.end(), unit_id) != units.end();
}

ServerCall begin_call(const grpc::ServerContext& context) {
  ServerCall call{TraceScope::from_header(metadata(context, kTraceparent)), {}};
  aftercare::v1::Caller wire;
  // An absent or unreadable caller stays anonymous (no role), which every check refuses.
  if (wire.ParseFromString(metadata(context, kCallerMetadata))) {
    call.caller.sub = wire.sub();
    call.caller.role = role_from_wire(wire.role());
    call.caller.projects.assign(wire.projects().begin(), wire.projects().end());
    call.caller.units.assign(wire.units().begin(), wire.units().end());
    call.caller.party_id = wire.party_id();
  }
  return call;
}

std::shared_ptr<grpc::Channel> service_channel(const std::string& target) {
  grpc::ChannelArguments args;
  args.SetLoadBalancingPolicyName("round_robin");
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  args.SetMaxSendMessageSize(kMaxMessageBytes);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> client_context(const Caller& caller,
                                                    std::chrono::milliseconds deadline) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + deadline);
  const TraceContext& trace = current_trace();
  context->AddMetadata(
      kTraceparent, (trace.trace_id.empty() ? TraceContext::fresh() : trace.child()).traceparent());
  aftercare::v1::Caller wire;
  wire.set_sub(caller.sub);
  wire.set_role(static_cast<aftercare::v1::Role>(role_to_wire(caller.role)));
  for (const auto& p : caller.projects) wire.add_projects(p);
  for (const auto& u : caller.units) wire.add_units(u);
  wire.set_party_id(caller.party_id);
  context->AddMetadata(kCallerMetadata, wire.SerializeAsString());
  return context;
}

grpc::Status invalid_field(const std::string& field, const std::string& why) {
  return {grpc::StatusCode::INVALID_ARGUMENT, field + ": " + why};
}

grpc::Status invalid_from_check(const std::string& error) {
  size_t space = error.find(' ');
  if (space == std::string::npos) return invalid_field(error, "is invalid");
  return invalid_field(error.substr(0, space), error.substr(space + 1));
}

}  // namespace aftercare::kit
