// Stage 5: the bound request goes to the owning service over gRPC's callback API
// (TemplatedGenericStub::UnaryCall): no thread waits for the answer, which arrives on one of
// gRPC's own threads. The caller and the trace travel as metadata (kit::client_context).
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>  // SerializationTraits<protobuf::Message>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/call.h"

namespace aftercare::gateway {

// aftercare.v1.IntakeService.OpenTicket -> "intake" ("" for an unknown service).
std::string service_of(const std::string& rpc);
// The method's descriptor in the generated pool, or nullptr.
const google::protobuf::MethodDescriptor* method_of(const std::string& rpc);
std::unique_ptr<google::protobuf::Message> new_message(const google::protobuf::Descriptor* d);

class Forwarder {
 public:
  // service name ("intake") -> channel; `deadline` is the default per call.
  Forwarder(std::map<std::string, std::shared_ptr<grpc::Channel>> channels,
            std::chrono::milliseconds deadline);

  using Done = std::function<void(grpc::Status status)>;
  // Starts `rpc`; `done` runs once `response` holds the answer (or the status says why not),
  // possibly on a gRPC thread and possibly before call() returns. `request` and `response` must
  // stay alive until then (hold them in the lambda). deadline 0 = the default.
  void call(const std::string& rpc, const kit::Caller& caller,
            std::shared_ptr<const google::protobuf::Message> request,
            std::shared_ptr<google::protobuf::Message> response, const std::string& idempotency_key,
            std::chrono::milliseconds deadline, Done done);

  const std::map<std::string, std::shared_ptr<grpc::Channel>>& channels() const {
    return channels_;
  }

 private:
  using Stub = grpc::TemplatedGenericStub<google::protobuf::Message, google::protobuf::Message>;
  std::map<std::string, std::shared_ptr<grpc::Channel>> channels_;
  std::map<std::string, std::unique_ptr<Stub>> stubs_;
  std::chrono::milliseconds deadline_;
};

}  // namespace aftercare::gateway
