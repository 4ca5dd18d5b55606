// Loyalty's background work: the sweep (holds past their time, points past their expiry, tier
// reviews) and the consumers of intake's and callback's events (enrolment, project rules, survey
// points). Each runs its own transactions through store::Accounts (app/accounts.h).
#pragma once

#include <cstdint>
#include <functional>

#include <pqxx/pqxx>

#include "absl/time/time.h"
#include "aftercare/v1/events.pb.h"
#include "common/pg.h"
#include "loyalty/app/accounts.h"

namespace aftercare::loyalty {

struct SweepTotals {
  int64_t members_affected = 0;  // members whose points expired
  int64_t points_expired = 0;
  int64_t holds_released = 0;
  int64_t points_released = 0;
  int64_t tiers_changed = 0;
};

namespace app {

SweepTotals sweep(kit::PgPool& db, store::Accounts& accounts, absl::Time as_of,
                  const std::function<absl::Time()>& clock);
// UnitUpserted enrols the owner; ProjectUpserted and PolicyUpdated keep the project's rules.
void on_intake_event(pqxx::work& tx, store::Accounts& accounts, absl::Time now,
                     const aftercare::v1::Event& event);
// SurveyCompleted awards the survey's points once.
void on_callback_event(pqxx::work& tx, store::Accounts& accounts, absl::Time now,
                       const aftercare::v1::Event& event);

}  // namespace app
}  // namespace aftercare::loyalty
