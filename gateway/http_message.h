// The gateway's own view of one HTTP exchange, independent of the server library: the request
// stages (authenticate, authorize, bind, idempotency, forward, respond) read an HttpRequest and
// produce an HttpResponse, so each stage is tested with plain values and the Beast front is the
// only code that knows about sockets.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace aftercare::gateway {

// Header names compare case-insensitively (RFC 9110 §5.1).
struct HeaderLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using HeaderMap = std::multimap<std::string, std::string, HeaderLess>;

struct HttpRequest {
  std::string method;    // GET PUT POST ...
  std::string target;    // as sent: /v1/tickets?project_id=P01
  std::string path;      // percent-decoded, without the query: /v1/tickets
  std::string raw_path;  // still encoded; route parameters are decoded one segment at a time
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order, repeats kept
  HeaderMap headers;
  std::string body;

  // The first value of the header, or "".
  std::string header(const std::string& name) const;
  bool has_query(const std::string& name) const;
  std::string query_value(const std::string& name) const;  // first value or ""
};

struct HttpResponse {
  int status = 200;
  HeaderMap headers;
  std::string content_type;
  std::string body;

  void set_header(const std::string& name, const std::string& value);
  std::string header(const std::string& name) const;
};

// Splits a request target into the decoded path and query parameters ('+' in the query is a
// space, as HTML forms send it; in the path it is a plus).
void parse_target(const std::string& target, HttpRequest* out);
std::string percent_decode(std::string_view text, bool plus_is_space);

// The JSON answer every route gives, and the error shape {"error": {"code", "message"}}.
HttpResponse json_response(int status, const nlohmann::json& body);
HttpResponse error_response(int status, const std::string& code, const std::string& message);

}  // namespace aftercare::gateway
