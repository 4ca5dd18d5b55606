#include "gateway/respond.h"

#include "common/json_codec.h"

namespace aftercare::gateway {

std::pair<int, std::string> http_status_of(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return {200, "ok"};
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return {400, "invalid_argument"};
    case grpc::StatusCode::UNAUTHENTICATED:
      return {401, "unauthenticated"};
    case grpc::StatusCode::PERMISSION_DENIED:
      return {403, "permission_denied"};
    case grpc::StatusCode::NOT_FOUND:
      return {404, "not_found"};
    case grpc::StatusCode::ALREADY_EXISTS:
      return {409, "already_exists"};
    case grpc::StatusCode::FAILED_PRECONDITION:
      return {409, "failed_precondition"};
    case grpc::StatusCode::ABORTED:
      return {409, "aborted"};
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return {429, "resource_exhausted"};
    case grpc::StatusCode::UNIMPLEMENTED:
      return {501, "unimplemented"};
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return {503, "unavailable"};
    default:
      return {500, "internal"};
  }
}

HttpResponse status_response(const grpc::Status& status) {
  auto [http, code] = http_status_of(status.error_code());
  return error_response(http, code, status.error_message());
}

HttpResponse respond(const Route& route, const grpc::Status& status,
                     const google::protobuf::Message& response) {
  if (!status.ok()) return status_response(status);
  nlohmann::json body = kit::to_json(response);
  int ok_status = route.created_status;
  // A repeated earning (same source_id) or payment reference changed nothing: not "created".
  if (body.is_object() && ((body.contains("awarded") && body["awarded"] == false) ||
                           (body.contains("replayed") && body["replayed"] == true)))
    ok_status = 200;
  return json_response(ok_status, body);
}

}  // namespace aftercare::gateway
