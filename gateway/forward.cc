#include "gateway/forward.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/impl/codegen/proto_utils.h>

namespace aftercare::gateway {

std::string service_of(const std::string& rpc) {
  static const std::map<std::string, std::string> kServices = {
      {"IntakeService", "intake"},     {"HandoverService", "intake"},
      {"DispatchService", "dispatch"}, {"CallbacksService", "callback"},
      {"LoyaltyService", "loyalty"},   {"BillingService", "billing"}};
  const std::string prefix = "aftercare.v1.";
  if (!rpc.starts_with(prefix)) return "";
  auto dot = rpc.find('.', prefix.size());
  auto it = kServices.find(rpc.substr(prefix.size(), dot - prefix.size()));
  return it == kServices.end() ? "" : it->second;
}

const google::protobuf::MethodDescriptor* method_of(const std::string& rpc) {
  auto dot = rpc.rfind('.');
  if (dot == std::string::npos) return nullptr;
  const auto* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(rpc.substr(0, dot));
  return service ? service->FindMethodByName(rpc.substr(dot + 1)) : nullptr;
}

std::unique_ptr<google::protobuf::Message> new_message(const google::protobuf::Descriptor* d) {
  return std::unique_ptr<google::protobuf::Message>(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(d)->New());
}

Forwarder::Forwarder(std::map<std::string, std::shared_ptr<grpc::Channel>> channels,
                     std::chrono::milliseconds deadline)
    : channels_(std::move(channels)), deadline_(deadline) {
  for (const auto& [name, channel] : channels_) stubs_[name] = std::make_unique<Stub>(channel);
}

void Forwarder::call(const std::string& rpc, const kit::Caller& caller,
                     std::shared_ptr<const google::protobuf::Message> request,
                     std::shared_ptr<google::protobuf::Message> response,
                     const std::string& idempotency_key, std::chrono::milliseconds deadline,
                     Done done) {
  auto stub = stubs_.find(service_of(rpc));
  if (stub == stubs_.end()) {
    done(grpc::Status(grpc::StatusCode::UNAVAILABLE, "no address for " + service_of(rpc)));
    return;
  }
  // The context must outlive the call: it is owned by the completion callback.
  std::shared_ptr<grpc::ClientContext> context =
      kit::client_context(caller, deadline.count() > 0 ? deadline : deadline_);
  if (!idempotency_key.empty()) context->AddMetadata("idempotency-key", idempotency_key);
  auto dot = rpc.rfind('.');
  std::string path = "/" + rpc.substr(0, dot) + "/" + rpc.substr(dot + 1);
  grpc::ClientContext* raw = context.get();
  stub->second->UnaryCall(
      raw, path, grpc::StubOptions(), request.get(), response.get(),
      [context, request, response, done = std::move(done)](grpc::Status s) { done(std::move(s)); });
}

}  // namespace aftercare::gateway
