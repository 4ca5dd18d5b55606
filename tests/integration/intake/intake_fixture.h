// The intake integration fixture: a fresh database with intake's migrations, the service on a
// real gRPC channel, project P01 (Asia/Shanghai, 2026 National Day calendar) with units U-101
// and U-102, and helpers to open tickets, read the outbox and deliver consumer events.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "aftercare/v1/intake.grpc.pb.h"
#include "common/call.h"
#include "common/time.h"
#include "intake/intake_service.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::intake {

using kit::Caller;

inline v1::Date date(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

// 2026-11-23 10:00 in Shanghai (a Monday).
inline absl::Time monday_10am() {
  absl::TimeZone sh;
  absl::LoadTimeZone("Asia/Shanghai", &sh);
  return absl::FromCivil(absl::CivilSecond(2026, 11, 23, 10, 0, 0), sh);
}

class IntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = testing::migrated_database(database_name(), generated::intake_migrations());
    outbox_ = std::make_unique<kit::Outbox>("aftercare.intake.v1", "intake");
    service_ = std::make_unique<IntakeServiceImpl>(*db_, *outbox_, [this] { return now_; });
    server_ = std::make_unique<testing::TestServer>(service_.get());
    stub_ = v1::IntakeService::NewStub(server_->channel());
    seed_registry();
  }

  // Each test executable uses its own database so they can run side by side.
  virtual std::string database_name() const { return "t_intake"; }

  void seed_registry() {
    v1::UpsertProjectRequest p;
    p.set_project_id("P01");
    p.set_name("翡翠湾");
    p.set_timezone("Asia/Shanghai");
    v1::Project project;
    ASSERT_TRUE(stub_->UpsertProject(ctx(admin_).get(), p, &project).ok());
    // 2026 National Day week with make-up days, as a calendar.
    v1::PutCalendarRequest cal;
    cal.set_project_id("P01");
    cal.set_year(2026);
    for (int d = 1; d <= 7; ++d)
      if (d != 3 && d != 4) *cal.add_holidays() = date(2026, 10, d);  // Oct 3-4 is a weekend
    *cal.add_workdays() = date(2026, 9, 27);
    *cal.add_workdays() = date(2026, 10, 10);
    v1::Calendar calendar;
    auto s = stub_->PutCalendar(ctx(admin_).get(), cal, &calendar);
    ASSERT_TRUE(s.ok()) << s.error_message();
    add_unit("U-101", "owner-1", date(2025, 11, 23));  // handed over a year ago
    add_unit("U-102", "owner-2", date(2023, 6, 1));    // three and a half years ago
  }

  void add_unit(const std::string& unit, const std::string& owner, v1::Date handover) {
    v1::UpsertUnitRequest u;
    u.set_project_id("P01");
    u.set_unit_id(unit);
    u.set_building("3栋");
    u.set_room("1201");
    u.set_area_centi_m2(8950);
    u.set_owner_id(owner);
    u.set_owner_name("王小明");
    u.set_owner_phone("13812345678");
    *u.mutable_handover_date() = handover;
    v1::Unit out;
    auto s = stub_->UpsertUnit(ctx(admin_).get(), u, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::unique_ptr<grpc::ClientContext> ctx(const Caller& c) { return kit::client_context(c); }

  v1::OpenTicketRequest repair(const std::string& unit, v1::Component component,
                               v1::TicketCategory category) {
    v1::OpenTicketRequest r;
    r.set_project_id("P01");
    r.set_unit_id(unit);
    r.set_kind(v1::TICKET_KIND_REPAIR);
    r.set_category(category);
    r.set_component(component);
    r.set_urgency(v1::URGENCY_NORMAL);
    r.set_channel(v1::CHANNEL_HOTLINE);
    r.set_description("卫生间天花板渗水，电话13812345678");
    return r;
  }

  grpc::Status open(const v1::OpenTicketRequest& r, v1::Ticket* t, const Caller& who) {
    return stub_->OpenTicket(ctx(who).get(), r, t);
  }

  std::vector<v1::Event> outbox_events(const std::string& type) {
    return db_->in_transaction([&](pqxx::work& tx) {
      std::vector<v1::Event> out;
      for (const auto& row : tx.exec_params(
               "SELECT payload FROM kit_outbox WHERE event_type = $1 ORDER BY id", type)) {
        pqxx::binarystring b(row[0]);
        v1::Event e;
        e.ParseFromArray(b.data(), static_cast<int>(b.size()));
        out.push_back(e);
      }
      return out;
    });
  }

  // Applies an event the way the consumer does: inside a transaction.
  void deliver(const v1::Event& e) {
    db_->in_transaction([&](pqxx::work& tx) { service_->apply_event(tx, e); });
  }

  v1::Ticket get(const std::string& id) {
    v1::GetTicketRequest r;
    r.set_ticket_id(id);
    v1::Ticket t;
    EXPECT_TRUE(stub_->GetTicket(ctx(agent_).get(), r, &t).ok());
    return t;
  }

  // repair -> work order -> signed off -> unsatisfied callback: the ticket is reopened.
  void unsatisfied_repair_cycle(const std::string& ticket_id, const std::string& party) {
    v1::Event created;
    created.set_event_id(kit::new_uuid());
    created.set_type("dispatch.WorkOrderCreated");
    created.mutable_work_order_created()->set_ticket_id(ticket_id);
    created.mutable_work_order_created()->set_work_order_id("WO-" + kit::new_uuid().substr(0, 8));
    created.mutable_work_order_created()->set_party_id(party);
    created.mutable_work_order_created()->set_assignee_kind(v1::PARTY_KIND_BUILDER);
    deliver(created);
    v1::Event signed_off;
    signed_off.set_type("dispatch.WorkOrderSignedOff");
    signed_off.mutable_work_order_signed_off()->set_ticket_id(ticket_id);
    signed_off.mutable_work_order_signed_off()->set_work_order_id("WO-1");
    deliver(signed_off);
    v1::Event callback;
    callback.set_type("callback.CallbackRecorded");
    auto* c = callback.mutable_callback_recorded();
    c->set_ticket_id(ticket_id);
    c->set_callback_id("CB-" + kit::new_uuid().substr(0, 8));
    c->set_reached(true);
    c->set_satisfaction(v1::SATISFACTION_UNSATISFIED);
    deliver(callback);
  }

  absl::Time now_ = monday_10am();
  Caller admin_{"admin", kit::Role::admin, {"*"}, {}, ""};
  Caller agent_{"agent-7", kit::Role::agent, {"P01"}, {}, ""};
  Caller owner1_{"owner-1", kit::Role::owner, {"P01"}, {"U-101"}, ""};
  Caller stranger_{"agent-9", kit::Role::agent, {"P99"}, {}, ""};
  std::unique_ptr<kit::PgPool> db_;
  std::unique_ptr<kit::Outbox> outbox_;
  std::unique_ptr<IntakeServiceImpl> service_;
  std::unique_ptr<testing::TestServer> server_;
  std::unique_ptr<v1::IntakeService::Stub> stub_;
};

}  // namespace aftercare::intake
