#include "intake/app/context.h"

#include <absl/time/civil_time.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "intake/store/intake_store.h"

namespace aftercare::intake::app {

Status bad(std::string_view error) {
  return {StatusCode::INVALID_ARGUMENT, std::string(error)};
}
Status not_found(const std::string& what) {
  return {StatusCode::NOT_FOUND, what + " not found"};
}
Status denied(const std::string& why) {
  return {StatusCode::PERMISSION_DENIED, why};
}

std::string actor_of(const kit::Caller& c) {
  return c.sub.empty() ? "service:" + c.role_name() : c.sub;
}

int page_size(int requested) {
  return requested <= 0 ? kDefaultPageSize : std::min(requested, kMaxPageSize);
}

std::string fnv1a_hex(const std::string& bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

bool is_set(const google::protobuf::Timestamp& ts) {
  return ts.seconds() != 0 || ts.nanos() != 0;
}

ProjectRules load_rules(pqxx::transaction_base& tx, const v1::Project& project, absl::Time around) {
  ProjectRules rules{project, {}, domain::IntakePolicy::defaults(), {}};
  if (!absl::LoadTimeZone(project.timezone(), &rules.zone))
    absl::LoadTimeZone(kDefaultTimeZone, &rules.zone);
  if (auto stored = store::find_policy(tx, project.project_id())) {
    std::string error = rules.policy.apply_overrides(*stored);
    if (!error.empty())
      spdlog::error("stored policy of {} rejected: {}", project.project_id(), error);
  }
  // Deadlines reach at most a few months ahead: load this year and the next.
  int year = static_cast<int>(absl::ToCivilYear(around, rules.zone).year());
  rules.calendar = store::load_calendar(tx, project.project_id(), year - 1, year + 1);
  return rules;
}

// The envelope of a ticket's event; the outbox names its type after the payload.
v1::Event event(const v1::Ticket& t) {
  v1::Event e;
  e.set_project_id(t.project_id());
  e.set_aggregate_id(t.ticket_id());
  return e;
}

}  // namespace aftercare::intake::app
