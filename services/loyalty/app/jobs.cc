#include "loyalty/app/jobs.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "loyalty/domain/validation.h"
#include "loyalty/store/loyalty_store.h"

namespace aftercare::loyalty::app {

namespace v1 = aftercare::v1;

SweepTotals sweep(kit::PgPool& db, store::Accounts& accounts, absl::Time as_of,
                  const std::function<absl::Time()>& clock) {
  constexpr int kBatch = 200;
  SweepTotals totals;
  // 1. Holds past their time give their points back (exactly once: the release re-checks the
  //    status under the member's lock).
  for (int round = 0; round < 10000; ++round) {
    auto due =
        db.in_transaction([&](pqxx::work& tx) { return store::due_holds(tx, as_of, kBatch); });
    int released_now = 0;
    for (const auto& ref : due) {
      try {
        const auto released = db.in_transaction([&](pqxx::work& tx) {
          return accounts.release_if_due(tx, ref.owner_id, ref.redemption_id, as_of, clock());
        });
        if (released.points > 0) {
          ++released_now;
          ++totals.holds_released;
          totals.points_released += released.points;
        }
        if (released.expired > 0) {
          ++totals.members_affected;
          totals.points_expired += released.expired;
        }
      } catch (const std::exception& e) {
        spdlog::error("loyalty sweep: releasing hold {} failed: {}", ref.redemption_id, e.what());
      }
    }
    if (static_cast<int>(due.size()) < kBatch || released_now == 0) break;
  }
  // 2. Lots past their expiry, oldest first, one member per transaction.
  for (int round = 0; round < 10000; ++round) {
    auto owners = db.in_transaction(
        [&](pqxx::work& tx) { return store::owners_with_due_lots(tx, as_of, kBatch); });
    int expired = 0;
    for (const auto& owner : owners) {
      try {
        const int64_t points = db.in_transaction(
            [&](pqxx::work& tx) { return accounts.expire_due(tx, owner, as_of, clock()); });
        if (points > 0) {
          ++expired;
          ++totals.members_affected;
          totals.points_expired += points;
        }
      } catch (const std::exception& e) {
        spdlog::error("loyalty sweep: expiring points of a member failed: {}", e.what());
      }
    }
    if (static_cast<int>(owners.size()) < kBatch || expired == 0) break;
  }
  // 3. Tiers: the window moves on, earnings older than it stop counting.
  std::string after;
  for (;;) {
    auto owners = db.in_transaction(
        [&](pqxx::work& tx) { return store::members_above_standard(tx, after, kBatch); });
    for (const auto& owner : owners) {
      try {
        if (db.in_transaction(
                [&](pqxx::work& tx) { return accounts.review_tier(tx, owner, as_of, clock()); }))
          ++totals.tiers_changed;
      } catch (const std::exception& e) {
        spdlog::error("loyalty sweep: tier review failed: {}", e.what());
      }
    }
    if (static_cast<int>(owners.size()) < kBatch) break;
    after = owners.back();
  }
  return totals;
}

void on_intake_event(pqxx::work& tx, store::Accounts& accounts, absl::Time now,
                     const v1::Event& event) {
  switch (event.payload_case()) {
    case v1::Event::kUnitUpserted: {
      const auto& unit = event.unit_upserted();
      if (unit.owner_id().empty()) return;  // a unit without an owner enrols nobody
      if (event.project_id().empty())
        throw std::invalid_argument("UnitUpserted without project_id");
      if (auto e = domain::check_id(unit.owner_id()); !e.empty())
        throw std::invalid_argument("owner_id " + e);
      store::upsert_unit(tx, unit.unit_id(), event.project_id(), unit.owner_id());
      accounts.enroll(tx, unit.owner_id(), event.project_id(), now, event.event_id());
      return;
    }
    case v1::Event::kProjectUpserted: {
      const auto& p = event.project_upserted();
      const std::string id = p.project_id().empty() ? event.project_id() : p.project_id();
      if (id.empty()) throw std::invalid_argument("ProjectUpserted without project_id");
      store::upsert_project(tx, id, p.timezone().empty() ? "Asia/Shanghai" : p.timezone());
      return;
    }
    case v1::Event::kPolicyUpdated: {
      const auto& policy = event.policy_updated().policy();
      const std::string id = policy.project_id().empty() ? event.project_id() : policy.project_id();
      if (id.empty() || !policy.has_loyalty()) return;
      // Versions only move forward: an older policy arriving late changes nothing.
      if (policy.version() > 0 && policy.version() <= store::policy_version_applied(tx, id)) return;
      auto effective = store::load_policy(tx, id);
      if (auto e = effective.apply(policy.loyalty()); !e.empty())
        throw std::invalid_argument("PolicyUpdated for " + id + ": " + e);
      store::save_policy(tx, id, effective, policy.version());
      return;
    }
    default:
      return;  // other intake events are not loyalty's business
  }
}

void on_callback_event(pqxx::work& tx, store::Accounts& accounts, absl::Time now,
                       const v1::Event& event) {
  if (event.payload_case() != v1::Event::kSurveyCompleted) return;
  const auto& survey = event.survey_completed();
  if (survey.owner_id().empty()) return;  // nobody to award
  if (survey.callback_id().empty())
    throw std::invalid_argument("SurveyCompleted without callback_id");
  std::string project = event.project_id();
  if (project.empty()) {
    auto member = store::find_member(tx, survey.owner_id(), false);
    if (!member)
      throw std::invalid_argument("SurveyCompleted without project_id for an unknown member");
    project = member->home_project_id;
  }
  const domain::LoyaltyPolicy policy = store::load_policy(tx, project);
  const auto rule = policy.rule_of(v1::EARN_REASON_SURVEY);
  if (rule.points <= 0) return;  // survey points switched off in this project
  store::EarnCommand command{
      survey.owner_id(), v1::EARN_REASON_SURVEY,  rule.points, survey.callback_id(), "",
      project,           /*staff_entered=*/false, &policy};
  auto outcome = accounts.earn(tx, command, now, event.event_id());
  if (!outcome.awarded)
    spdlog::info("loyalty: survey {} was already awarded (entry {})", survey.callback_id(),
                 outcome.entry.entry_id);
}

}  // namespace aftercare::loyalty::app
