// Issue 21: what routing reads of a project (its dispatch policy, its parties, which of them have
// technicians) kept in the process, by project and by the version of those rows (migration 009:
// any change of them, by any process, gives the project a new version). A consumer batch reads
// its projects' versions with one statement; a copy of another version is dropped and loaded
// again in the batch's transaction, so a change is seen by the next ticket.
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "dispatch/domain/policy.h"
#include "dispatch/domain/routing.h"

namespace aftercare::dispatch {

struct ProjectReference {
  int64_t version = 0;
  domain::DispatchPolicy policy;
  std::vector<domain::PartyInfo> parties;
  std::set<std::string> with_technicians;  // parties that have technicians registered
};

class ReferenceCache {
 public:
  // The reference data of `projects` as `tx` sees them.
  std::map<std::string, std::shared_ptr<const ProjectReference>> get(
      pqxx::work& tx, const std::set<std::string>& projects);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const ProjectReference>> held_;
};

}  // namespace aftercare::dispatch
