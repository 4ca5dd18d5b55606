#include "gateway/route_table.h"

#include <stdexcept>

#include "gateway/http_message.h"

namespace aftercare::gateway {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  // "/a/b" -> "a", "b"; "/" -> ""; a trailing slash gives an empty last segment (no match
  // against a pattern without one, as before).
  path.remove_prefix(1);
  for (;;) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

PathPattern PathPattern::compile(const std::string& pattern) {
  if (pattern.empty() || pattern[0] != '/')
    throw std::invalid_argument("route pattern must start with /: " + pattern);
  PathPattern p;
  p.text_ = pattern;
  for (std::string_view seg : split_path(pattern)) {
    Segment s;
    if (seg.starts_with('{')) {
      if (!seg.ends_with('}') || seg.size() < 3)
        throw std::invalid_argument("bad parameter in route pattern " + pattern);
      s.param = true;
      p.names_.emplace_back(seg.substr(1, seg.size() - 2));
    } else {
      if (seg.find_first_of("{}") != std::string_view::npos)
        throw std::invalid_argument("bad parameter in route pattern " + pattern);
      s.literal = seg;
    }
    p.segments_.push_back(std::move(s));
  }
  return p;
}

std::optional<std::vector<std::string>> PathPattern::match(std::string_view raw_path) const {
  if (raw_path.empty() || raw_path[0] != '/') return std::nullopt;
  auto segs = split_path(raw_path);
  if (segs.size() != segments_.size()) return std::nullopt;
  std::vector<std::string> params;
  for (size_t i = 0; i < segs.size(); ++i) {
    std::string decoded = percent_decode(segs[i], false);
    if (segments_[i].param) {
      if (decoded.empty()) return std::nullopt;  // "{id}" needs at least one character
      params.push_back(std::move(decoded));
    } else if (decoded != segments_[i].literal) {
      return std::nullopt;
    }
  }
  return params;
}

size_t RouteTable::add(const std::string& method, const std::string& pattern) {
  entries_.push_back({method, PathPattern::compile(pattern)});
  return entries_.size() - 1;
}

std::optional<RouteTable::Match> RouteTable::find(std::string_view method,
                                                  std::string_view raw_path) const {
  std::string_view m = method == "HEAD" ? "GET" : method;
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].method != m) continue;
    if (auto params = entries_[i].pattern.match(raw_path)) return Match{i, std::move(*params)};
  }
  return std::nullopt;
}

}  // namespace aftercare::gateway
