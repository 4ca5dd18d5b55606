#include "intake/app/registry_cache.h"

#include <absl/time/civil_time.h>

#include "intake/store/registry_store.h"

namespace aftercare::intake::app {

ReferenceData RegistryCache::get(kit::PgPool& db, const std::string& project_id,
                                 const std::string& unit_id, absl::Time around, int64_t version) {
  ReferenceData out;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(project_id);
    if (it != entries_.end() && version != kReload &&
        (version == kAny || it->second->version == version)) {
      const Entry& e = *it->second;
      auto rules = e.rules.find(static_cast<int>(absl::ToCivilYear(around, e.zone).year()));
      auto unit = e.units.find(unit_id);
      if (rules != e.rules.end()) {
        out.version = e.version;
        out.project = e.project;
        out.rules = rules->second;
        if (unit != e.units.end()) {
          out.unit = unit->second;
          return out;
        }
      }
    }
  }
  if (out.rules) {  // the project is held, the unit not yet: read it alone
    out.unit = db.in_transaction([&](pqxx::work& tx) { return store::find_unit(tx, unit_id); });
    // (not `fresh`: the project's copy is checked at the number, or reloaded on a refusal)
    std::lock_guard lock(mu_);
    auto it = entries_.find(project_id);
    if (out.unit && out.unit->project_id() == project_id && it != entries_.end() &&
        it->second->version == out.version)
      it->second->units[unit_id] = *out.unit;
    return out;
  }
  // Missing or stale: load what the report needs. The version first, so the rows read after it
  // are at least as new as it (a newer change is seen at the next report's check).
  db.in_transaction([&](pqxx::work& tx) {
    out.version = store::registry_version(tx, project_id);
    out.project = store::find_project(tx, project_id);
    out.unit = store::find_unit(tx, unit_id);
    if (out.project)
      out.rules = std::make_shared<const ProjectRules>(load_rules(tx, *out.project, around));
  });
  out.fresh = true;
  if (!out.project) return out;  // nothing held for a project that does not exist
  std::lock_guard lock(mu_);
  auto& slot = entries_[project_id];
  if (!slot || slot->version != out.version) {
    slot = std::make_shared<Entry>();
    slot->version = out.version;
    slot->project = *out.project;
    slot->zone = out.rules->zone;
  }
  slot->rules[static_cast<int>(absl::ToCivilYear(around, slot->zone).year())] = out.rules;
  // A unit is held under the project it belongs to (a move changes both projects' versions).
  if (out.unit && out.unit->project_id() == project_id) slot->units[unit_id] = *out.unit;
  return out;
}

}  // namespace aftercare::intake::app
