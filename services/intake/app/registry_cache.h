// Issue 21: the reference data a report needs (its project, unit, policy and calendars) kept in
// the process, by project and by the version of the project's registry rows (migration 011: any
// change of them, by any process, gives the project a new version). A report reads the current
// version with the statement that takes its number; a copy of another version is dropped and
// loaded again, so a change is seen by the next report.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "intake/app/context.h"

namespace aftercare::intake::app {

// What a report reads from the registry, as of `version`.
struct ReferenceData {
  int64_t version = 0;
  bool fresh = false;  // loaded from the database by this call
  std::optional<v1::Project> project;
  std::optional<v1::Unit> unit;               // the unit, whichever project it belongs to
  std::shared_ptr<const ProjectRules> rules;  // when the project exists
};

class RegistryCache {
 public:
  // The project's and unit's data for a report at `around` (rules as load_rules gives them):
  // from memory when held, else loaded (its own transaction). `version` >= 0 demands that
  // version (kReload: whatever is held): a copy of another one is loaded again.
  static constexpr int64_t kAny = -1, kReload = -2;
  ReferenceData get(kit::PgPool& db, const std::string& project_id, const std::string& unit_id,
                    absl::Time around, int64_t version = kAny);

 private:
  struct Entry {
    int64_t version = 0;
    v1::Project project;
    absl::TimeZone zone;
    std::map<int, std::shared_ptr<const ProjectRules>> rules;  // by local year of `around`
    std::unordered_map<std::string, v1::Unit> units;
  };
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries_;
};

}  // namespace aftercare::intake::app
