#include "callback/callback_events.h"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "callback/app/outreach.h"
#include "callback/domain/dates.h"
#include "callback/domain/due.h"
#include "callback/domain/events.h"
#include "callback/domain/names.h"
#include "callback/domain/schedule.h"
#include "callback/domain/validation.h"

namespace aftercare::callback {
namespace {

namespace v1 = aftercare::v1;

void require(bool ok, const v1::Event& event, const char* what) {
  if (!ok) {
    throw std::invalid_argument(event.type() + " " + event.event_id() + ": " + what);
  }
}

// The first set instant of the list, else `fallback`.
absl::Time first_set(std::initializer_list<const google::protobuf::Timestamp*> candidates,
                     absl::Time fallback) {
  for (const google::protobuf::Timestamp* t : candidates) {
    if (t->seconds() != 0 || t->nanos() != 0) return domain::from_timestamp(*t);
  }
  return fallback;
}

}  // namespace

std::optional<v1::Callback> schedule_callback(pqxx::transaction_base& tx, const kit::Outbox& outbox,
                                              const store::NewCallback& callback) {
  std::optional<v1::Callback> created = store::insert_callback(tx, callback);
  if (created) outbox.add(tx, domain::callback_scheduled(*created, callback.now));
  return created;
}

void EventApplier::operator()(pqxx::work& tx, const v1::Event& e) const {
  const std::string& type = e.type();
  if (type == "dispatch.WorkOrderSignedOff" && e.has_work_order_signed_off()) {
    work_order_signed_off(tx, e);
  } else if (type == "dispatch.WorkOrderCreated" && e.has_work_order_created()) {
    work_order_created(tx, e);
  } else if (type == "intake.TicketResolved" && e.has_ticket_resolved()) {
    ticket_resolved(tx, e);
  } else if (type == "intake.UnitUpserted" && e.has_unit_upserted()) {
    unit_upserted(tx, e);
  } else if (type == "intake.ProjectUpserted" && e.has_project_upserted()) {
    project_upserted(tx, e);
  } else if (type == "intake.PolicyUpdated" && e.has_policy_updated()) {
    policy_updated(tx, e);
  } else if (type == "intake.TicketOpened" && e.has_ticket_opened()) {
    app::on_ticket_opened(tx, e);
  } else if (type == "intake.DeadlineExtended" && e.has_deadline_extended()) {
    app::on_deadline_extended(tx, e, clock_());
  } else if (type == "dispatch.WorkOrderScheduled" && e.has_work_order_scheduled()) {
    app::on_work_order_scheduled(tx, e, clock_());
  } else if (type == "dispatch.AppointmentReminderDue" && e.has_appointment_reminder_due()) {
    app::on_appointment_reminder_due(tx, e, clock_());
  } else if (type == "dispatch.TechnicianLate" && e.has_technician_late()) {
    app::on_technician_late(tx, e, clock_());
  } else if (type == "dispatch.QuoteIssued" && e.has_quote_issued()) {
    app::on_quote_issued(tx, e, clock_());
  } else if (type == "dispatch.WorkOrderCompleted" && e.has_work_order_completed()) {
    app::on_work_order_completed(tx, e, clock_());
  } else if (type == "billing.PaymentReminderDue" && e.has_payment_reminder_due()) {
    app::on_payment_reminder_due(tx, e, clock_());
  } else if (type == "billing.InvoiceOverdue" && e.has_invoice_overdue()) {
    app::on_invoice_overdue(tx, e, clock_());
  } else if (type == "intake.IncidentOpened" && e.has_incident_opened()) {
    app::on_incident_opened(tx, e, clock_());  // issue 23
  } else if (type == "intake.IncidentConfirmed" && e.has_incident_confirmed()) {
    app::on_incident_confirmed(tx, e, clock_());  // issue 23: a known failure
  } else if (type == "intake.AnnouncementPublished" && e.has_announcement_published()) {
    app::on_announcement_published(tx, e, clock_());  // issue 23
  } else if (type == "intake.KeyCollectionReminderDue" && e.has_key_collection_reminder_due()) {
    app::on_key_collection_reminder_due(tx, e, clock_());  // issue 19
  }
  // Anything else (including a type whose payload case does not match) is not for callback.
}

void EventApplier::work_order_signed_off(pqxx::work& tx, const v1::Event& e) const {
  const v1::WorkOrderSignedOff& p = e.work_order_signed_off();
  require(!e.project_id().empty(), e, "project_id is empty");
  require(!p.work_order_id().empty(), e, "work_order_id is empty");
  require(!p.unit_id().empty(), e, "unit_id is empty");
  // Issue 21: the project's settings and the order's origin in one statement.
  std::optional<std::string> origin;
  store::ProjectContext context =
      store::load_context(tx, e.project_id(), p.work_order_id(), &origin);
  if (origin && *origin == domain::public_name(v1::WORK_ORDER_ORIGIN_RECTIFICATION)) {
    spdlog::info("work order {} is a rectification: no owner callback", p.work_order_id());
    return;  // issue 19: the re-inspection checks the builder's work, not the owner
  }
  absl::Time now = clock_();
  absl::Time basis = first_set({&p.signed_off_at(), &p.completed_at(), &e.occurred_at()}, now);
  v1::CallbackDueKind kind =
      domain::classify({p.component(), p.urgency(), p.safety_related(), p.leak()}, context.policy);

  std::string owner = p.owner_id();
  if (owner.empty()) {
    if (auto unit = store::load_unit(tx, p.unit_id())) owner = unit->owner_id;
  }
  store::NewCallback cb;
  cb.callback_id = kit::new_uuid();
  cb.source_key = domain::work_order_source_key(p.work_order_id());
  cb.project_id = e.project_id();
  cb.unit_id = p.unit_id();
  cb.owner_id = owner;
  cb.ticket_id = p.ticket_id();
  cb.work_order_id = p.work_order_id();
  cb.reason = v1::CALLBACK_REASON_REPAIR_COMPLETED;
  cb.due_kind = kind;
  cb.component = p.component();
  cb.basis_at = basis;
  cb.due_at = domain::callback_due_at(basis, kind, context.policy, context.zone);
  cb.now = now;
  if (!schedule_callback(tx, outbox_, cb)) {
    spdlog::info("work order {} already has its callback", p.work_order_id());
  }
}

void EventApplier::work_order_created(pqxx::work& tx, const v1::Event& e) const {
  const v1::WorkOrderCreated& p = e.work_order_created();
  app::on_work_order_created(tx, e);  // owner outreach finds the order's unit from here
  if (p.origin() != v1::WORK_ORDER_ORIGIN_REWORK || p.rework_of().empty()) return;
  store::mark_rework_returned(tx, p.rework_of(), p.work_order_id(),
                              first_set({&e.occurred_at()}, clock_()));
}

void EventApplier::ticket_resolved(pqxx::work& tx, const v1::Event& e) const {
  const v1::TicketResolved& p = e.ticket_resolved();
  // Repairs are called back from dispatch's sign-off (which knows the component's urgency and
  // dispatch's safety/leak flags); only complaints get their callback from the resolution, and
  // (issue 23) every report resolved with its incident: one callback per reporter.
  bool incident = !p.incident_id().empty();
  if (p.kind() != v1::TICKET_KIND_COMPLAINT && !incident) return;
  require(!e.project_id().empty(), e, "project_id is empty");
  require(!p.ticket_id().empty(), e, "ticket_id is empty");
  require(!p.unit_id().empty(), e, "unit_id is empty");
  absl::Time now = clock_();
  store::ProjectContext context = store::load_context(tx, e.project_id());
  absl::Time basis = first_set({&p.resolved_at(), &e.occurred_at()}, now);
  v1::CallbackDueKind kind =
      domain::classify({p.component(), v1::URGENCY_UNSPECIFIED, false, false}, context.policy);
  store::NewCallback cb;
  cb.callback_id = kit::new_uuid();
  // A complaint resolved by a repair shares the work order's key, so the sign-off and the
  // resolution (in whichever order they arrive) make one phone call, not two.
  // The incident's lead shares its work order's key too.
  cb.source_key =
      !p.work_order_id().empty() ? domain::work_order_source_key(p.work_order_id())
      : incident ? domain::incident_source_key(p.incident_id(), p.ticket_id(), p.incident_round())
                 : domain::complaint_source_key(p.ticket_id(), basis);
  cb.project_id = e.project_id();
  cb.unit_id = p.unit_id();
  cb.owner_id = p.owner_id();
  cb.ticket_id = p.ticket_id();
  cb.work_order_id = p.work_order_id();
  cb.reason = p.kind() == v1::TICKET_KIND_COMPLAINT ? v1::CALLBACK_REASON_COMPLAINT_RESOLVED
                                                    : v1::CALLBACK_REASON_REPAIR_COMPLETED;
  cb.due_kind = kind;
  cb.component = p.component();
  cb.basis_at = basis;
  cb.due_at = domain::callback_due_at(basis, kind, context.policy, context.zone);
  cb.now = now;
  schedule_callback(tx, outbox_, cb);
}

void EventApplier::unit_upserted(pqxx::work& tx, const v1::Event& e) const {
  const v1::UnitUpserted& p = e.unit_upserted();
  require(!e.project_id().empty(), e, "project_id is empty");
  require(!p.unit_id().empty(), e, "unit_id is empty");
  store::UnitRow unit{p.unit_id(), e.project_id(), p.owner_id(), std::nullopt};
  if (p.has_handover_date() && p.handover_date().year() != 0) {
    require(domain::check_date(p.handover_date(), "handover_date").empty(), e,
            "handover_date is not a real date");
    unit.handover = domain::to_civil_day(p.handover_date());
  }
  store::upsert_unit(tx, unit);
  app::on_unit_upserted(tx, e);
}

void EventApplier::project_upserted(pqxx::work& tx, const v1::Event& e) const {
  const v1::ProjectUpserted& p = e.project_upserted();
  std::string project = p.project_id().empty() ? e.project_id() : p.project_id();
  require(!project.empty(), e, "project_id is empty");
  store::upsert_project(tx, project, p.timezone());
}

void EventApplier::policy_updated(pqxx::work& tx, const v1::Event& e) const {
  const v1::Policy& policy = e.policy_updated().policy();
  std::string project = policy.project_id().empty() ? e.project_id() : policy.project_id();
  require(!project.empty(), e, "project_id is empty");
  store::upsert_policy(tx, project, policy.version(), policy.SerializeAsString());
}

}  // namespace aftercare::callback
