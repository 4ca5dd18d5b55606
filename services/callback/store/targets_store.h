// SQL of issue 20 in the callback service: the figures of a project's scorecard that callback
// counts itself, the period closes and the KPI alerts.
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/callback.pb.h"
#include "callback/domain/targets.h"
#include "callback/store/callback_store.h"

namespace aftercare::callback::store {

// The project's targets (platform defaults + its overrides) and time zone; nullopt when callback
// has never heard of the project.
struct TargetContext {
  domain::Targets targets;
  absl::TimeZone zone;
};
std::optional<TargetContext> load_targets(pqxx::transaction_base& tx,
                                          const std::string& project_id);

// Done callbacks due in [from, to), per recorder (the agent, supervisor... who recorded it).
std::vector<domain::RecorderCount> done_by_recorder(pqxx::transaction_base& tx,
                                                    const std::string& project_id, absl::Time from,
                                                    absl::Time to);

// Issue 20, the group view: done_by_recorder of many projects in one statement, each over its
// own [from, to); by project id (a project without done callbacks is absent).
std::map<std::string, std::vector<domain::RecorderCount>> group_done_by_recorder(
    pqxx::transaction_base& tx, const std::vector<TotalsWindow>& windows);

// Every known project's targets and time zone in one read (load_targets of each), by project id.
std::map<std::string, TargetContext> all_targets(pqxx::transaction_base& tx);

// Every project callback knows, with its time zone name and when callback first heard of it.
struct KnownProject {
  std::string project_id;
  std::string timezone;
  absl::Time first_seen;
};
std::vector<KnownProject> known_projects(pqxx::transaction_base& tx);

bool period_closed(pqxx::transaction_base& tx, const std::string& project_id,
                   const std::string& period_label);
// Records the close; false when another sweep closed it first (nothing written).
bool insert_period_close(pqxx::transaction_base& tx, const std::string& project_id,
                         const std::string& period_label, int missed, absl::Time now);

void insert_alert(pqxx::transaction_base& tx, const aftercare::v1::KpiAlert& alert);
std::optional<aftercare::v1::KpiAlert> load_alert(pqxx::transaction_base& tx,
                                                  const std::string& alert_id,
                                                  bool for_update = false);
// Newest first; after = the (raised_at, alert_id) of the last alert of the previous page.
struct AlertPage {
  std::string project_id;
  bool open_only = false;
  std::optional<std::pair<absl::Time, std::string>> after;
  int limit = 50;
};
std::vector<aftercare::v1::KpiAlert> list_alerts(pqxx::transaction_base& tx, const AlertPage& page);
void acknowledge_alert(pqxx::transaction_base& tx, const std::string& alert_id,
                       const std::string& by, const std::string& note, absl::Time now);

}  // namespace aftercare::callback::store
