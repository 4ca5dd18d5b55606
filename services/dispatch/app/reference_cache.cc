#include "dispatch/app/reference_cache.h"

#include "dispatch/store/batch_store.h"
#include "dispatch/store/dispatch_store.h"

namespace aftercare::dispatch {

std::map<std::string, std::shared_ptr<const ProjectReference>> ReferenceCache::get(
    pqxx::work& tx, const std::set<std::string>& projects) {
  std::map<std::string, std::shared_ptr<const ProjectReference>> out;
  if (projects.empty()) return out;
  // The versions first, so the rows read after them are at least as new (a newer change is seen
  // at the next check). A version this transaction wrote itself and then rolls back is never
  // read again: the sequence does not give it twice, so its copy is reloaded.
  for (const auto& [project, version] : store::reference_versions(tx, projects)) {
    {
      std::lock_guard lock(mu_);
      auto it = held_.find(project);
      if (it != held_.end() && it->second->version == version) {
        out[project] = it->second;
        continue;
      }
    }
    auto loaded = std::make_shared<ProjectReference>();
    loaded->version = version;
    loaded->policy = store::load_policy(tx, project);
    loaded->parties = store::routing_parties(tx, project);
    loaded->with_technicians = store::parties_with_technicians(tx, project);
    std::lock_guard lock(mu_);
    held_[project] = loaded;
    out[project] = std::move(loaded);
  }
  return out;
}

}  // namespace aftercare::dispatch
