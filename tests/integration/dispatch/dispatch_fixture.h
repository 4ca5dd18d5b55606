// Shared set-up of the dispatch integration tests: a fresh database with dispatch's schema, the
// service on a real gRPC channel, callers of every role, and helpers that feed intake events
// through the consumer's handler and read back the outbox.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "common/call.h"
#include "common/outbox.h"
#include "dispatch/dispatch_service.h"
#include "dispatch/store/dispatch_store.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare::dispatch::testing {

using aftercare::v1::Event;
using aftercare::v1::WorkOrder;

inline const char* kProject = "P1";

class DispatchTest : public ::testing::Test {
 protected:
  explicit DispatchTest(std::string database) : database_(std::move(database)) {}

  void SetUp() override {
    db_ = aftercare::testing::migrated_database(database_, generated::dispatch_migrations(), 12);
    service_ = std::make_unique<DispatchServiceImpl>(*db_, outbox_, options_);
    server_ = std::make_unique<aftercare::testing::TestServer>(service_.get());
    stub_ = aftercare::v1::DispatchService::NewStub(server_->channel());
  }
  void TearDown() override {
    stub_.reset();
    server_.reset();
    service_.reset();
    db_.reset();
  }

  // ---- callers ----
  static kit::Caller admin() { return {"admin-1", kit::Role::admin, {"*"}, {}, ""}; }
  static kit::Caller dispatcher(const std::string& project = kProject) {
    return {"disp-1", kit::Role::dispatcher, {project}, {}, ""};
  }
  static kit::Caller verifier() { return {"ver-1", kit::Role::verifier, {kProject}, {}, ""}; }
  static kit::Caller partner(const std::string& role, const std::string& party,
                             const std::string& sub = "") {
    return {sub.empty() ? party + "-user" : sub, kit::role_from_name(role), {kProject}, {}, party};
  }
  static kit::Caller owner(const std::string& unit) {
    return {"owner-" + unit, kit::Role::owner, {}, {unit}, ""};
  }
  static kit::Caller service_caller() { return {"service:test", kit::Role::service, {}, {}, ""}; }
  static std::unique_ptr<grpc::ClientContext> as(const kit::Caller& c) {
    return kit::client_context(c);
  }

  // ---- parties ----
  grpc::Status put_party(const std::string& party_id, aftercare::v1::PartyKind kind,
                         std::vector<aftercare::v1::TicketCategory> trades,
                         std::optional<bool> on_duty = std::nullopt) {
    aftercare::v1::UpsertPartyRequest req;
    req.set_project_id(kProject);
    req.set_party_id(party_id);
    req.set_kind(kind);
    req.set_name("party " + party_id);
    for (auto t : trades) req.add_trades(t);
    if (on_duty) req.set_on_duty(*on_duty);
    aftercare::v1::Party resp;
    return stub_->UpsertParty(as(admin()).get(), req, &resp);
  }

  // Builder B-deco and crew C-crew for decoration, contractor K-big for decoration.
  void standard_parties() {
    using enum aftercare::v1::PartyKind;
    ASSERT_TRUE(
        put_party("B-deco", PARTY_KIND_BUILDER, {aftercare::v1::TICKET_CATEGORY_DECORATION}).ok());
    ASSERT_TRUE(
        put_party("C-crew", PARTY_KIND_CREW, {aftercare::v1::TICKET_CATEGORY_DECORATION}).ok());
    ASSERT_TRUE(
        put_party("K-big", PARTY_KIND_CONTRACTOR, {aftercare::v1::TICKET_CATEGORY_DECORATION})
            .ok());
  }

  // ---- intake events ----
  static absl::Time reported_at() {
    return store::truncate_to_micros(absl::Now() - absl::Hours(1));
  }

  static Event ticket_opened(const std::string& ticket_id, bool in_warranty = true,
                             absl::Time reported = reported_at(),
                             aftercare::v1::Urgency urgency = aftercare::v1::URGENCY_NORMAL,
                             const std::string& unit = "U-101") {
    Event e;
    e.set_event_id(kit::new_uuid());
    e.set_type("intake.TicketOpened");
    e.set_project_id(kProject);
    e.set_aggregate_id(ticket_id);
    auto* t = e.mutable_ticket_opened();
    t->set_ticket_id(ticket_id);
    t->set_ticket_no("P1-20261122-0001");
    t->set_unit_id(unit);
    t->set_owner_id("owner-" + unit);
    t->set_kind(aftercare::v1::TICKET_KIND_REPAIR);
    t->set_category(aftercare::v1::TICKET_CATEGORY_DECORATION);
    t->set_component(aftercare::v1::COMPONENT_DECORATION);
    t->set_urgency(urgency);
    t->set_channel(aftercare::v1::CHANNEL_APP);
    t->set_description("墙面开裂 cracked wall");
    t->set_in_warranty(in_warranty);
    *t->mutable_reported_at() = store::to_timestamp(reported);
    *t->mutable_response_due() = store::to_timestamp(reported + absl::Hours(2));
    *t->mutable_resolve_due() = store::to_timestamp(reported + absl::Hours(24 * 21));
    t->set_recurrence(1);
    return e;
  }

  // Applies an event as the consumer would (inside one transaction).
  void deliver(const Event& e) {
    db_->in_transaction([&](pqxx::work& tx) { service_->apply_event(tx, e); });
  }

  // ---- reading back ----
  int64_t count(const std::string& sql) {
    return db_->in_transaction([&](pqxx::work& tx) { return tx.exec(sql)[0][0].as<int64_t>(); });
  }
  int64_t outbox_count(const std::string& type) {
    return count("SELECT count(*) FROM kit_outbox WHERE event_type = '" + type + "'");
  }
  std::vector<Event> outbox_events(const std::string& type) {
    return db_->in_transaction([&](pqxx::work& tx) {
      std::vector<Event> out;
      for (const auto& row : tx.exec_params(
               "SELECT payload FROM kit_outbox WHERE event_type = $1 ORDER BY id", type)) {
        pqxx::binarystring raw(row[0]);
        Event e;
        e.ParseFromArray(raw.data(), static_cast<int>(raw.size()));
        out.push_back(e);
      }
      return out;
    });
  }
  std::vector<WorkOrder> orders_of(const std::string& ticket_id) {
    aftercare::v1::ListWorkOrdersRequest req;
    req.set_ticket_id(ticket_id);
    aftercare::v1::ListWorkOrdersResponse resp;
    grpc::Status s = stub_->ListWorkOrders(as(admin()).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.work_orders().begin(), resp.work_orders().end()};
  }
  // The only order of a ticket (fails the test otherwise).
  WorkOrder only_order(const std::string& ticket_id) {
    auto orders = orders_of(ticket_id);
    EXPECT_EQ(orders.size(), 1u);
    return orders.empty() ? WorkOrder() : orders.front();
  }

  // ---- actions ----
  grpc::Status accept(const kit::Caller& c, const std::string& id, WorkOrder* out = nullptr) {
    aftercare::v1::AcceptWorkOrderRequest req;
    req.set_work_order_id(id);
    WorkOrder resp;
    auto s = stub_->AcceptWorkOrder(as(c).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }
  grpc::Status schedule(const kit::Caller& c, const std::string& id, absl::Time start,
                        absl::Time end, const std::string& technician = "",
                        const std::string& reason = "", WorkOrder* out = nullptr) {
    aftercare::v1::ScheduleWorkOrderRequest req;
    req.set_work_order_id(id);
    *req.mutable_start() = store::to_timestamp(start);
    *req.mutable_end() = store::to_timestamp(end);
    req.set_technician_id(technician);
    req.set_reason(reason);
    WorkOrder resp;
    auto s = stub_->ScheduleWorkOrder(as(c).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }
  grpc::Status start(const kit::Caller& c, const std::string& id) {
    aftercare::v1::StartWorkOrderRequest req;
    req.set_work_order_id(id);
    WorkOrder resp;
    return stub_->StartWorkOrder(as(c).get(), req, &resp);
  }
  grpc::Status complete(const kit::Caller& c, const std::string& id, int64_t cost_fen) {
    aftercare::v1::CompleteWorkOrderRequest req;
    req.set_work_order_id(id);
    req.set_cost_fen(cost_fen);
    req.set_notes("replaced the tiles");
    WorkOrder resp;
    return stub_->CompleteWorkOrder(as(c).get(), req, &resp);
  }
  grpc::Status sign(const kit::Caller& c, const std::string& id, aftercare::v1::Signer signer,
                    WorkOrder* out = nullptr) {
    aftercare::v1::SignOffWorkOrderRequest req;
    req.set_work_order_id(id);
    req.set_signer(signer);
    WorkOrder resp;
    auto s = stub_->SignOffWorkOrder(as(c).get(), req, &resp);
    if (out) *out = resp;
    return s;
  }
  std::vector<aftercare::v1::Reroute> reroute_as_of(absl::Time as_of) {
    aftercare::v1::RerouteLateBuildersRequest req;
    req.set_project_id(kProject);
    *req.mutable_as_of() = store::to_timestamp(as_of);
    aftercare::v1::RerouteLateBuildersResponse resp;
    grpc::Status s = stub_->RerouteLateBuilders(as(dispatcher()).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.reroutes().begin(), resp.reroutes().end()};
  }

  std::string database_;
  DispatchOptions options_;  // set in a derived constructor to change the service's settings
  kit::Outbox outbox_{"aftercare.dispatch.v1", "dispatch"};
  std::unique_ptr<kit::PgPool> db_;
  std::unique_ptr<DispatchServiceImpl> service_;
  std::unique_ptr<aftercare::testing::TestServer> server_;
  std::unique_ptr<aftercare::v1::DispatchService::Stub> stub_;
};

}  // namespace aftercare::dispatch::testing
