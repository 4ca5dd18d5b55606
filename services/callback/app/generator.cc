#include "callback/app/generator.h"

#include <spdlog/spdlog.h>

#include <set>

#include "callback/app/callbacks.h"
#include "callback/app/outreach.h"
#include "callback/domain/dates.h"
#include "callback/domain/events.h"
#include "callback/domain/schedule.h"
#include "callback/store/callback_store.h"

namespace aftercare::callback::app {
namespace {

namespace v1 = aftercare::v1;

// Handover days are searched a few days wider than the exact window: clamping to a month's end
// (31 January + 1 month = 28 February) moves a milestone by up to three days. The domain
// functions then decide exactly.
constexpr int kClampSlackDays = 3;

}  // namespace

GeneratorResult generate_outreach_for_project(pqxx::transaction_base& tx, const kit::Outbox& outbox,
                                              const std::string& project_id, absl::Time now) {
  GeneratorResult result;
  store::ProjectContext context = store::load_context(tx, project_id);
  const domain::CallbackPolicy& policy = context.policy;
  absl::CivilDay today = domain::local_day(now, context.zone);
  absl::CivilDay first = today - policy.backfill_days;
  absl::CivilDay last = today + policy.create_ahead_days;

  auto base = [&](const store::UnitRow& unit) {
    store::NewCallback cb;
    cb.callback_id = kit::new_uuid();
    cb.project_id = project_id;
    cb.unit_id = unit.unit_id;
    cb.owner_id = unit.owner_id;
    cb.now = now;
    return cb;
  };

  // Periodic callbacks after handover.
  for (int months : policy.handover_callback_months) {
    auto units = store::units_handed_over_between(
        tx, project_id, domain::add_months_clamped(first, -months) - kClampSlackDays,
        domain::add_months_clamped(last, -months) + kClampSlackDays);
    for (const store::UnitRow& unit : units) {
      if (!unit.handover || unit.owner_id.empty()) continue;  // unsold: nobody to call
      for (const domain::HandoverMilestone& m :
           domain::handover_milestones(*unit.handover, policy)) {
        if (m.months != months || !domain::in_creation_window(m.day, today, policy)) continue;
        store::NewCallback cb = base(unit);
        cb.source_key = domain::handover_source_key(unit.unit_id, m.months);
        cb.reason = m.reason;
        cb.milestone_months = m.months;
        cb.basis_at = domain::start_of_local_day(m.day, context.zone);
        cb.due_at = domain::end_of_local_day(m.day, context.zone);
        if (schedule_callback(tx, outbox, cb)) ++result.periodic;
      }
    }
  }

  // Warranty-expiry reminders, one search per distinct warranty length.
  std::set<int> years;
  for (const auto& [component, y] : policy.warranty_years) years.insert(y);
  for (int y : years) {
    int lead = policy.warranty_reminder_lead_days;
    auto units = store::units_handed_over_between(
        tx, project_id, domain::add_months_clamped(first + lead, -12 * y) - kClampSlackDays,
        domain::add_months_clamped(last + lead, -12 * y) + kClampSlackDays);
    for (const store::UnitRow& unit : units) {
      if (!unit.handover || unit.owner_id.empty()) continue;
      for (const domain::WarrantyReminder& r : domain::warranty_reminders(*unit.handover, policy)) {
        if (!domain::in_creation_window(r.remind_on, today, policy)) continue;
        store::NewCallback cb = base(unit);
        cb.source_key = domain::warranty_source_key(unit.unit_id, r.ends);
        cb.reason = v1::CALLBACK_REASON_WARRANTY_EXPIRY;
        cb.component = r.components.front();
        cb.warranty_ends = r.ends;
        cb.basis_at = domain::start_of_local_day(r.remind_on, context.zone);
        cb.due_at = domain::end_of_local_day(r.remind_on, context.zone);
        std::optional<v1::Callback> created = schedule_callback(tx, outbox, cb);
        if (!created) continue;
        ++result.warranty;
        for (v1::Component component : r.components) {
          outbox.add(tx, domain::warranty_expiry_reminder_due(*created, component, now));
        }
        warranty_expiry(tx, project_id, unit.unit_id, unit.owner_id, r.components, r.ends, now);
      }
    }
  }
  return result;
}

GeneratorResult generate_outreach(kit::PgPool& pool, const kit::Outbox& outbox, absl::Time now) {
  GeneratorResult total;
  std::vector<std::string> projects =
      pool.in_transaction([](pqxx::work& tx) { return store::projects_with_units(tx); });
  for (const std::string& project : projects) {
    GeneratorResult r = pool.in_transaction(
        [&](pqxx::work& tx) { return generate_outreach_for_project(tx, outbox, project, now); });
    total.periodic += r.periodic;
    total.warranty += r.warranty;
  }
  if (total.periodic + total.warranty > 0)
    spdlog::info("outreach generator: {} periodic, {} warranty-expiry callbacks", total.periodic,
                 total.warranty);
  return total;
}

}  // namespace aftercare::callback::app
