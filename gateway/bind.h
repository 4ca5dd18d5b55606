// Stage 3: the HTTP request becomes the route's gRPC request message, through the descriptor
// pool and the kit's JSON codec (no per-route code): path parameters (renamed where the route
// says), then the query string, then the JSON body; a field given twice, or a body that
// disagrees with the URL, is a 400. Owners may name only themselves in the route's owner
// parameter (404, as for anything they may not see).
#pragma once

#include <google/protobuf/message.h>

#include <optional>
#include <string>
#include <vector>

#include "common/call.h"
#include "gateway/http_message.h"
#include "gateway/route.h"

namespace aftercare::gateway {

// `names` are the pattern's parameter names and `params` their decoded values, in order.
// `body_limit` is the route's limit (checked again here; the front refuses larger bodies before
// reading them). On success `request` holds the bound message and nullopt is returned.
std::optional<HttpResponse> bind(const Route& route, const std::vector<std::string>& names,
                                 const std::vector<std::string>& params, const HttpRequest& req,
                                 const kit::Caller& caller, size_t body_limit,
                                 google::protobuf::Message* request);

// A provider-signed route (Route::provider_signed): path parameters by name, the raw body into
// bytes field `raw_body`, the X-AfterCare-Signature header into `signature`; the body is not
// parsed here (the signature is over its exact bytes).
std::optional<HttpResponse> bind_signed(const std::vector<std::string>& names,
                                        const std::vector<std::string>& params,
                                        const HttpRequest& req, size_t body_limit,
                                        google::protobuf::Message* request);

// The answer to a body above the limit, the same from the front and from bind().
HttpResponse body_too_large(size_t limit);

}  // namespace aftercare::gateway
