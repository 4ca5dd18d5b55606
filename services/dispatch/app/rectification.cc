// Inspection defects (issue 19): intake's RectificationRequested is a builder job like any
// warranty ticket. Dispatch keeps it in its ticket projection under ticket_id = defect_id, so
// routing, the late-builder sweeper, reroutes, appointments and sign-off work unchanged; the
// orders carry defect_id and origin rectification. DefectClosed (fixed at re-inspection, or
// turned into a warranty ticket at handover) cancels what was not started or completed yet.
#include <spdlog/spdlog.h>

#include "dispatch/app/workflows.h"

namespace aftercare::dispatch {

void Workflows::on_rectification_requested(pqxx::work& tx, const aftercare::v1::Event& event,
                                           absl::Time now) {
  const aftercare::v1::RectificationRequested& r = event.rectification_requested();
  if (r.defect_id().empty() || r.unit_id().empty() || event.project_id().empty())
    throw std::runtime_error("RectificationRequested without defect_id, unit_id or project_id");
  aftercare::v1::TicketOpened t;
  t.set_ticket_id(r.defect_id());
  t.set_ticket_no("D-" + r.defect_id().substr(0, 8));
  t.set_unit_id(r.unit_id());
  t.set_owner_id(r.owner_id());
  t.set_kind(aftercare::v1::TICKET_KIND_REPAIR);
  t.set_category(r.category());
  t.set_component(r.component());
  t.set_urgency(aftercare::v1::URGENCY_NORMAL);
  t.set_channel(aftercare::v1::CHANNEL_INSPECTION);
  t.set_repair_area(aftercare::v1::REPAIR_AREA_HOME);
  t.set_description(r.location() + " " + r.description());
  t.set_in_warranty(true);  // before handover every defect is the builder's to put right
  *t.mutable_reported_at() = r.requested_at();
  *t.mutable_response_due() = r.requested_at();
  *t.mutable_resolve_due() = r.rectify_due();
  t.set_recurrence(1);
  store::insert_ticket(tx, event.project_id(), t);  // the first delivery wins
  std::optional<store::Ticket> ticket = store::load_ticket(tx, r.defect_id());
  if (!ticket || ticket->cancelled) return;
  // A failed re-inspection asks again: a new order only when none is under way.
  if (r.attempt() > 1 && !store::lock_open_orders_of_ticket(tx, r.defect_id()).empty()) return;
  domain::Routing routing =
      domain::route_ticket(ticket->facts, store::routing_parties(tx, event.project_id()),
                           store::load_policy(tx, event.project_id()));
  int attempt = r.attempt() > 0 ? r.attempt() : 1;
  create_order(tx, *ticket, routing, aftercare::v1::WORK_ORDER_ORIGIN_RECTIFICATION,
               "rectification:" + r.defect_id() + ":" + std::to_string(attempt), now,
               [&](aftercare::v1::WorkOrder& o) { o.set_defect_id(r.defect_id()); });
}

void Workflows::on_defect_closed(pqxx::work& tx, const aftercare::v1::Event& event,
                                 absl::Time now) {
  const aftercare::v1::DefectClosed& d = event.defect_closed();
  if (d.defect_id().empty()) return;
  std::string reason = d.outcome() == aftercare::v1::DEFECT_OUTCOME_TICKETED
                           ? "defect open at handover: now warranty ticket " + d.ticket_id()
                           : "defect fixed at re-inspection";
  store::mark_ticket_cancelled(tx, d.defect_id());
  cancel_orders_of_ticket(tx, d.defect_id(), reason, /*only_unstarted=*/false, now);
}

}  // namespace aftercare::dispatch
