#include "callback/app/providers.h"

#include <httplib.h>

#include <stdexcept>

#include "aftercare/v1/intake.grpc.pb.h"
#include "common/call.h"

namespace aftercare::callback::app {

ProviderResult WebhookProvider::post(const store::ChannelRow& channel, const Outgoing& message) {
  const std::string& url = channel.url;
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) return {false, "only http:// provider URLs are supported"};
  size_t slash = url.find('/', scheme.size());
  std::string origin = slash == std::string::npos ? url : url.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  httplib::Client client(origin);
  auto secs = std::chrono::duration_cast<std::chrono::seconds>(timeout_).count();
  client.set_connection_timeout(secs > 0 ? secs : 1, 0);
  client.set_read_timeout(secs > 0 ? secs : 1, 0);
  client.set_write_timeout(secs > 0 ? secs : 1, 0);
  std::string body = request_body(message);
  httplib::Headers headers = {{"X-AfterCare-Signature", signature(channel.secret, body)}};
  auto res = client.Post(path.c_str(), headers, body, "application/json");
  if (!res) return {false, "post: " + httplib::to_string(res.error())};
  if (res->status < 200 || res->status > 299) return {false, "HTTP " + std::to_string(res->status)};
  return {true, ""};
}

std::optional<Contact> IntakeContactDirectory::contact(const std::string& unit_id) {
  auto stub = v1::IntakeService::NewStub(intake_);
  const kit::Caller callback{"callback", kit::Role::service, {"*"}, {}, ""};
  v1::GetUnitRequest request;
  request.set_unit_id(unit_id);
  v1::Unit unit;
  auto context = kit::client_context(callback, std::chrono::seconds(5));
  grpc::Status status = stub->GetUnit(context.get(), request, &unit);
  if (status.error_code() == grpc::StatusCode::NOT_FOUND) return std::nullopt;
  if (!status.ok()) throw std::runtime_error("intake GetUnit: " + status.error_message());
  return Contact{unit.owner_id(), unit.owner_phone()};
}

}  // namespace aftercare::callback::app
