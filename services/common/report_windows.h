// Per-project report windows as SQL parameters (issue 20's grouped reports): one statement reads
// every project of a group through unnest($1::text[], $2::bigint[], $3::bigint[]) AS
// w(project_id, f, t), each project with its own window in integer microseconds (its own time
// zone made the window). libpqxx 6 binds no arrays, so the three go as text[] literals
// (kit::text_array). One helper for billing, callback and intake (issue 24).
#pragma once

#include <absl/time/time.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "common/pg.h"

namespace aftercare::kit {

class ReportWindows {
 public:
  ReportWindows() = default;
  // The windows of a grouped report (structs with a project_id and the two bounds `from`, `to`:
  // microseconds or absl::Time); `answers` gets an empty entry per project, so that a project
  // without rows is answered with zeros.
  template <typename Window, typename Bound, typename Answer>
  ReportWindows(const std::vector<Window>& windows, Bound Window::*from, Bound Window::*to,
                std::map<std::string, Answer>& answers) {
    for (const Window& w : windows) {
      answers[w.project_id];
      add(w.project_id, w.*from, w.*to);
    }
  }

  // The window [from_us, to_us) of `project_id`, in microseconds since the epoch.
  void add(const std::string& project_id, int64_t from_us, int64_t to_us) {
    ids_.push_back(project_id);
    froms_.push_back(std::to_string(from_us));
    tos_.push_back(std::to_string(to_us));
  }
  void add(const std::string& project_id, absl::Time from, absl::Time to) {
    add(project_id, absl::ToUnixMicros(from), absl::ToUnixMicros(to));
  }
  bool empty() const { return ids_.empty(); }
  // The three parameters, in unnest's order.
  std::string project_ids() const { return text_array(ids_); }
  std::string froms() const { return text_array(froms_); }
  std::string tos() const { return text_array(tos_); }

 private:
  std::vector<std::string> ids_, froms_, tos_;
};

}  // namespace aftercare::kit
