// Path patterns ("/v1/tickets/{ticket_id}") compiled once at start into segments, and the table
// that finds a request's route: the first pattern of its method that matches, in the order the
// routes were added (the fixed contract's routes before the additions, as before).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aftercare::gateway {

class PathPattern {
 public:
  // Throws std::invalid_argument for a pattern that does not start with '/' or has an
  // unclosed '{'.
  static PathPattern compile(const std::string& pattern);
  // The decoded parameter values in order, or nullopt. `raw_path` is still percent-encoded: a
  // segment is decoded after splitting, so an encoded '/' stays inside its parameter.
  std::optional<std::vector<std::string>> match(std::string_view raw_path) const;
  const std::vector<std::string>& names() const { return names_; }
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    bool param = false;
    std::string literal;
  };
  std::string text_;
  std::vector<Segment> segments_;
  std::vector<std::string> names_;
};

class RouteTable {
 public:
  struct Match {
    size_t id = 0;                    // what add() returned
    std::vector<std::string> params;  // decoded, in the pattern's order
  };
  size_t add(const std::string& method, const std::string& pattern);
  // The first route of `method` matching; HEAD finds the GET routes.
  std::optional<Match> find(std::string_view method, std::string_view raw_path) const;
  const PathPattern& pattern(size_t id) const { return entries_[id].pattern; }

 private:
  struct Entry {
    std::string method;
    PathPattern pattern;
  };
  std::vector<Entry> entries_;
};

}  // namespace aftercare::gateway
