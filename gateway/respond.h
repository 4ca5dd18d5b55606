// Stage 6: the service's answer (or its gRPC status) becomes the HTTP answer: the message as the
// public JSON (kit codec: snake_case, enums as lowercase words, int64 as numbers), the route's
// created status for creates, and one table from gRPC codes to HTTP statuses and error codes.
#pragma once

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <string>
#include <utility>

#include "gateway/http_message.h"
#include "gateway/route.h"

namespace aftercare::gateway {

// gRPC status -> (HTTP status, error code string).
std::pair<int, std::string> http_status_of(grpc::StatusCode code);

// The error answer of a failed call.
HttpResponse status_response(const grpc::Status& status);

HttpResponse respond(const Route& route, const grpc::Status& status,
                     const google::protobuf::Message& response);

}  // namespace aftercare::gateway
