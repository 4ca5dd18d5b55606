// libFuzzer target for the gateway's JSON -> request mapping: arbitrary bytes are parsed as a
// JSON body and decoded with from_json into the request message of every public RPC (every
// method of every aftercare.v1 service, a superset of the route table), both as a body and as
// URL values, and whatever was decoded is encoded back with to_json. It must never crash.
// Built only with clang (-DAFTERCARE_FUZZ=ON); tests/fuzz/run_gateway_fuzz.sh builds and runs it.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/dispatch.pb.h"
#include "aftercare/v1/intake.pb.h"
#include "aftercare/v1/loyalty.pb.h"
#include "common/json_codec.h"

namespace {

using google::protobuf::Descriptor;
using google::protobuf::Message;

const std::vector<const Descriptor*>& request_types() {
  static const std::vector<const Descriptor*> types = [] {
    std::vector<const Descriptor*> out;
    for (const auto* d :
         {aftercare::v1::OpenTicketRequest::descriptor(), aftercare::v1::WorkOrder::descriptor(),
          aftercare::v1::Callback::descriptor(), aftercare::v1::Member::descriptor(),
          aftercare::v1::Invoice::descriptor()})
      for (int s = 0; s < d->file()->service_count(); ++s)
        for (int m = 0; m < d->file()->service(s)->method_count(); ++m)
          out.push_back(d->file()->service(s)->method(m)->input_type());
    if (out.empty()) __builtin_trap();
    return out;
  }();
  return types;
}

void decode(const nlohmann::json& body, const Descriptor* type, bool from_url) {
  std::unique_ptr<Message> message(
      google::protobuf::MessageFactory::generated_factory()->GetPrototype(type)->New());
  std::string err = aftercare::kit::from_json(body, message.get(), from_url);
  // A partial decode is discarded by the gateway, but encoding it must still be safe.
  nlohmann::json back = aftercare::kit::to_json(*message);
  std::string text = back.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (err.empty() && !back.is_object()) __builtin_trap();
  (void)text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& types = request_types();
  // The first byte picks the request type (all of them for 0xff); the rest is the body.
  uint8_t selector = data[0];
  nlohmann::json body = nlohmann::json::parse(data + 1, data + size, nullptr, false);
  if (body.is_discarded()) return 0;
  bool from_url = (selector & 1) != 0;
  if (selector == 0xff) {
    for (const auto* type : types) {
      decode(body, type, false);
      decode(body, type, true);
    }
  } else {
    decode(body, types[(selector >> 1) % types.size()], from_url);
  }
  return 0;
}
