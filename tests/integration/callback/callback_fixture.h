// Shared set-up of the callback integration tests: a fresh database with the callback schema, a
// controllable clock, and helpers to build the events callback consumes.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/events.pb.h"
#include "callback/app/events.h"
#include "callback/callback_service.h"
#include "callback/domain/dates.h"
#include "callback/domain/events.h"
#include "common/outbox.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::callback::testing {

namespace v1 = aftercare::v1;

// The service's clock in tests: set by the test, read by handlers on other threads.
class TestClock {
 public:
  absl::Time now() const {
    std::lock_guard lock(mu_);
    return now_;
  }
  void set(absl::Time t) {
    std::lock_guard lock(mu_);
    now_ = t;
  }

 private:
  mutable std::mutex mu_;
  absl::Time now_ = absl::UnixEpoch();
};

inline absl::TimeZone shanghai() {
  absl::TimeZone zone;
  absl::LoadTimeZone("Asia/Shanghai", &zone);
  return zone;
}

inline absl::Time local(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, ss), shanghai());
}

// An event of `type` about `aggregate` with a new event id.
inline v1::Event envelope_of(const std::string& project, const std::string& type,
                             const std::string& aggregate, const std::string& producer) {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type(type);
  e.set_project_id(project);
  e.set_aggregate_id(aggregate);
  e.set_producer(producer);
  return e;
}

inline v1::Event signed_off(const std::string& project, const std::string& work_order,
                            const std::string& ticket, const std::string& unit,
                            v1::Component component, absl::Time signed_off_at) {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type("dispatch.WorkOrderSignedOff");
  e.set_project_id(project);
  e.set_aggregate_id(work_order);
  e.set_producer("dispatch");
  domain::set_timestamp(e.mutable_occurred_at(), signed_off_at);
  v1::WorkOrderSignedOff* p = e.mutable_work_order_signed_off();
  p->set_work_order_id(work_order);
  p->set_ticket_id(ticket);
  p->set_unit_id(unit);
  p->set_owner_id("owner-" + unit);
  p->add_signers(v1::SIGNER_OWNER);
  p->add_signers(v1::SIGNER_MAINTENANCE);
  p->set_ticket_kind(v1::TICKET_KIND_REPAIR);
  p->set_category(v1::TICKET_CATEGORY_HOUSE_QUALITY);
  p->set_component(component);
  p->set_urgency(v1::URGENCY_NORMAL);
  domain::set_timestamp(p->mutable_completed_at(), signed_off_at - absl::Hours(1));
  domain::set_timestamp(p->mutable_signed_off_at(), signed_off_at);
  return e;
}

inline v1::Event unit_upserted(const std::string& project, const std::string& unit,
                               const std::string& owner, absl::CivilDay handover) {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type("intake.UnitUpserted");
  e.set_project_id(project);
  e.set_aggregate_id(unit);
  e.set_producer("intake");
  v1::UnitUpserted* p = e.mutable_unit_upserted();
  p->set_unit_id(unit);
  p->set_building("3");
  p->set_room("1203");
  p->set_area_centi_m2(8850);
  p->set_owner_id(owner);
  p->set_owner_phone_masked("138****0000");
  *p->mutable_handover_date() = domain::to_date(handover);
  return e;
}

inline v1::Event ticket_resolved(const std::string& project, const std::string& ticket,
                                 const std::string& unit, v1::TicketKind kind,
                                 const std::string& work_order, absl::Time resolved_at) {
  v1::Event e;
  e.set_event_id(kit::new_uuid());
  e.set_type("intake.TicketResolved");
  e.set_project_id(project);
  e.set_aggregate_id(ticket);
  e.set_producer("intake");
  v1::TicketResolved* p = e.mutable_ticket_resolved();
  p->set_ticket_id(ticket);
  p->set_unit_id(unit);
  p->set_owner_id("owner-" + unit);
  p->set_kind(kind);
  p->set_category(v1::TICKET_CATEGORY_OTHER);
  p->set_component(v1::COMPONENT_OTHER);
  domain::set_timestamp(p->mutable_resolved_at(), resolved_at);
  p->set_on_time(true);
  p->set_work_order_id(work_order);
  return e;
}

// Counts of one SQL query's first column.
inline int64_t count(kit::PgPool& pool, const std::string& sql) {
  return pool.in_transaction([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int64_t>(); });
}

inline int64_t outbox_count(kit::PgPool& pool, const std::string& type) {
  return count(pool, "SELECT count(*) FROM kit_outbox WHERE event_type = '" + type + "'");
}

// Outbox payloads of one type, oldest first.
inline std::vector<v1::Event> outbox_events(kit::PgPool& pool, const std::string& type) {
  return pool.in_transaction([&](pqxx::work& tx) {
    std::vector<v1::Event> out;
    for (const auto& row :
         tx.exec_params("SELECT payload FROM kit_outbox WHERE event_type = $1 ORDER BY id", type)) {
      pqxx::binarystring bytes(row[0]);
      v1::Event e;
      e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
      out.push_back(e);
    }
    return out;
  });
}

}  // namespace aftercare::callback::testing
