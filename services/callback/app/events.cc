// The event-handler table of callback: one function per payload case it acts on (events.h says
// what each does). The callbacks' handlers are app/callbacks.cc's, owner outreach
// app/outreach.cc's; the projections of intake's registry and policy are here.
#include "callback/app/events.h"

#include <map>
#include <stdexcept>

#include "callback/app/callbacks.h"
#include "callback/app/outreach.h"
#include "callback/domain/dates.h"
#include "callback/domain/validation.h"
#include "callback/store/callback_store.h"

namespace aftercare::callback::app {
namespace {

namespace v1 = aftercare::v1;

// One event in its transaction, with the instant it is applied at.
struct Applying {
  pqxx::work& tx;
  const kit::Outbox& outbox;
  const v1::Event& e;
  absl::Time now;
};

void require(bool ok, const v1::Event& event, const char* what) {
  if (!ok) {
    throw std::invalid_argument(event.type() + " " + event.event_id() + ": " + what);
  }
}

// ---- projections ----

void unit_upserted(const Applying& a) {
  const v1::UnitUpserted& p = a.e.unit_upserted();
  require(!a.e.project_id().empty(), a.e, "project_id is empty");
  require(!p.unit_id().empty(), a.e, "unit_id is empty");
  store::UnitRow unit{p.unit_id(), a.e.project_id(), p.owner_id(), std::nullopt};
  if (p.has_handover_date() && p.handover_date().year() != 0) {
    require(domain::check_date(p.handover_date(), "handover_date").empty(), a.e,
            "handover_date is not a real date");
    unit.handover = domain::to_civil_day(p.handover_date());
  }
  store::upsert_unit(a.tx, unit);
  on_unit_upserted(a.tx, a.e);
}

void project_upserted(const Applying& a) {
  const v1::ProjectUpserted& p = a.e.project_upserted();
  std::string project = p.project_id().empty() ? a.e.project_id() : p.project_id();
  require(!project.empty(), a.e, "project_id is empty");
  store::upsert_project(a.tx, project, p.timezone());
}

void policy_updated(const Applying& a) {
  const v1::Policy& policy = a.e.policy_updated().policy();
  std::string project = policy.project_id().empty() ? a.e.project_id() : policy.project_id();
  require(!project.empty(), a.e, "project_id is empty");
  store::upsert_policy(a.tx, project, policy.version(), policy.SerializeAsString());
}

// ---- the table ----

using Handler = void (*)(const Applying&);

const std::map<v1::Event::PayloadCase, Handler>& handlers() {
  using E = v1::Event;
  static const std::map<E::PayloadCase, Handler> table = {
      {E::kWorkOrderSignedOff,
       [](const Applying& a) { on_work_order_signed_off(a.tx, a.outbox, a.e, a.now); }},
      {E::kWorkOrderCreated,
       [](const Applying& a) {
         on_work_order_created(a.tx, a.e);  // owner outreach finds the order's unit from here
         on_rework_created(a.tx, a.e, a.now);
       }},
      {E::kTicketResolved,
       [](const Applying& a) { on_ticket_resolved(a.tx, a.outbox, a.e, a.now); }},
      {E::kUnitUpserted, unit_upserted},
      {E::kProjectUpserted, project_upserted},
      {E::kPolicyUpdated, policy_updated},
      {E::kTicketOpened, [](const Applying& a) { on_ticket_opened(a.tx, a.e); }},
      {E::kDeadlineExtended, [](const Applying& a) { on_deadline_extended(a.tx, a.e, a.now); }},
      {E::kWorkOrderScheduled,
       [](const Applying& a) { on_work_order_scheduled(a.tx, a.e, a.now); }},
      {E::kAppointmentReminderDue,
       [](const Applying& a) { on_appointment_reminder_due(a.tx, a.e, a.now); }},
      {E::kTechnicianLate, [](const Applying& a) { on_technician_late(a.tx, a.e, a.now); }},
      {E::kQuoteIssued, [](const Applying& a) { on_quote_issued(a.tx, a.e, a.now); }},
      {E::kWorkOrderCompleted,
       [](const Applying& a) { on_work_order_completed(a.tx, a.e, a.now); }},
      {E::kPaymentReminderDue,
       [](const Applying& a) { on_payment_reminder_due(a.tx, a.e, a.now); }},
      {E::kInvoiceOverdue, [](const Applying& a) { on_invoice_overdue(a.tx, a.e, a.now); }},
      // issue 23: outages, known failures and announcements to every owner in scope
      {E::kIncidentOpened, [](const Applying& a) { on_incident_opened(a.tx, a.e, a.now); }},
      {E::kIncidentConfirmed, [](const Applying& a) { on_incident_confirmed(a.tx, a.e, a.now); }},
      {E::kAnnouncementPublished,
       [](const Applying& a) { on_announcement_published(a.tx, a.e, a.now); }},
      // issue 19: owners past the handover notice without keys
      {E::kKeyCollectionReminderDue,
       [](const Applying& a) { on_key_collection_reminder_due(a.tx, a.e, a.now); }},
  };
  return table;
}

}  // namespace

void EventApplier::operator()(pqxx::work& tx, const v1::Event& e) const {
  auto handler = handlers().find(e.payload_case());
  if (handler == handlers().end()) return;  // not for callback
  handler->second(Applying{tx, outbox_, e, clock_()});
}

}  // namespace aftercare::callback::app
