// The dispatch gRPC service against real PostgreSQL: parties, routing of intake tickets, the
// work-order actions with their role checks and events, quotes, sign-off and warranty costs.
#include <gtest/gtest.h>

#include "dispatch_fixture.h"

namespace aftercare::dispatch::testing {
namespace {

using enum aftercare::v1::PartyKind;
using enum aftercare::v1::WorkOrderStatus;
using enum aftercare::v1::Signer;
using grpc::StatusCode;

class ServiceTest : public DispatchTest {
 protected:
  ServiceTest() : DispatchTest("t_dispatch_service") {}

  // An in-warranty decoration ticket routed to B-deco; returns its order.
  WorkOrder builder_order(const std::string& ticket_id) {
    deliver(ticket_opened(ticket_id));
    return only_order(ticket_id);
  }

  // Drives an order through accept, start, complete as `who`.
  void work(const kit::Caller& who, const std::string& id, int64_t cost_fen) {
    ASSERT_TRUE(accept(who, id).ok());
    ASSERT_TRUE(start(who, id).ok());
    ASSERT_TRUE(complete(who, id, cost_fen).ok());
  }
};

TEST_F(ServiceTest, PartiesAreRegisteredWithTheirTradesAndListed) {
  standard_parties();
  ASSERT_TRUE(put_party("C-night", PARTY_KIND_CREW,
                        {aftercare::v1::TICKET_CATEGORY_PUBLIC_FACILITY,
                         aftercare::v1::TICKET_CATEGORY_OTHER},
                        false)
                  .ok());
  aftercare::v1::ListPartiesRequest req;
  req.set_project_id(kProject);
  aftercare::v1::ListPartiesResponse resp;
  ASSERT_TRUE(stub_->ListParties(as(dispatcher()).get(), req, &resp).ok());
  ASSERT_EQ(resp.parties_size(), 4);
  EXPECT_EQ(resp.parties(0).party_id(), "B-deco");
  EXPECT_TRUE(resp.parties(0).active());
  EXPECT_FALSE(resp.parties(0).on_duty());  // builders are not on duty by default
  EXPECT_TRUE(resp.parties(1).on_duty());   // C-crew: crews are
  EXPECT_EQ(resp.parties(2).party_id(), "C-night");
  EXPECT_FALSE(resp.parties(2).on_duty());
  EXPECT_EQ(resp.parties(2).trades_size(), 2);

  req.set_trade(aftercare::v1::TICKET_CATEGORY_OTHER);
  resp.Clear();
  ASSERT_TRUE(stub_->ListParties(as(dispatcher()).get(), req, &resp).ok());
  ASSERT_EQ(resp.parties_size(), 1);
  EXPECT_EQ(resp.parties(0).party_id(), "C-night");
  EXPECT_EQ(outbox_count("dispatch.PartyUpserted"), 4);
}

TEST_F(ServiceTest, PartyInputAndRolesAreChecked) {
  aftercare::v1::UpsertPartyRequest req;
  req.set_project_id(kProject);
  req.set_party_id("B-1");
  req.set_kind(PARTY_KIND_BUILDER);
  req.set_name("中建三局");
  aftercare::v1::Party resp;
  auto s = stub_->UpsertParty(as(admin()).get(), req, &resp);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "trades: at least one category is required");
  req.add_trades(aftercare::v1::TICKET_CATEGORY_DECORATION);
  req.set_kind(aftercare::v1::PARTY_KIND_UNSPECIFIED);
  s = stub_->UpsertParty(as(admin()).get(), req, &resp);
  EXPECT_EQ(s.error_message(), "kind: must be one of builder, crew, contractor");
  req.set_kind(PARTY_KIND_BUILDER);
  EXPECT_EQ(stub_->UpsertParty(as(dispatcher()).get(), req, &resp).error_code(),
            StatusCode::PERMISSION_DENIED);
  kit::Caller other_admin{"a2", kit::Role::admin, {"P2"}, {}, ""};
  EXPECT_EQ(stub_->UpsertParty(as(other_admin).get(), req, &resp).error_code(),
            StatusCode::NOT_FOUND);
  EXPECT_EQ(count("SELECT count(*) FROM parties"), 0);
  ASSERT_TRUE(stub_->UpsertParty(as(admin()).get(), req, &resp).ok());
  EXPECT_EQ(resp.name(), "中建三局");
}

TEST_F(ServiceTest, InWarrantyTicketGoesToTheBuilderWithA24HourDeadline) {
  standard_parties();
  absl::Time reported = reported_at();
  deliver(ticket_opened("T-1", true, reported));
  WorkOrder o = only_order("T-1");
  EXPECT_EQ(o.assignee_kind(), PARTY_KIND_BUILDER);
  EXPECT_EQ(o.party_id(), "B-deco");
  EXPECT_EQ(o.status(), WORK_ORDER_STATUS_CREATED);
  EXPECT_EQ(store::from_timestamp(o.deadline()), reported + absl::Hours(24));
  EXPECT_EQ(o.builder_party_id(), "B-deco");
  EXPECT_FALSE(o.paid());
  EXPECT_FALSE(o.has_estimate_fen());
  EXPECT_EQ(o.origin(), aftercare::v1::WORK_ORDER_ORIGIN_INITIAL);
  auto created = outbox_events("dispatch.WorkOrderCreated");
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].aggregate_id(), o.work_order_id());
  EXPECT_EQ(created[0].project_id(), kProject);
  EXPECT_EQ(created[0].work_order_created().party_id(), "B-deco");
}

TEST_F(ServiceTest, APolicyOverrideChangesTheBuilderDeadline) {
  standard_parties();
  Event policy;
  policy.set_event_id(kit::new_uuid());
  policy.set_type("intake.PolicyUpdated");
  policy.set_project_id(kProject);
  policy.mutable_policy_updated()->mutable_policy()->set_project_id(kProject);
  policy.mutable_policy_updated()->mutable_policy()->set_version(2);
  policy.mutable_policy_updated()->mutable_policy()->mutable_dispatch()->set_builder_onsite_hours(
      48);
  deliver(policy);
  absl::Time reported = reported_at();
  deliver(ticket_opened("T-1", true, reported));
  EXPECT_EQ(store::from_timestamp(only_order("T-1").deadline()), reported + absl::Hours(48));
}

TEST_F(ServiceTest, DuplicatesAndRepeatedDeliveriesAreNotDispatchedAgain) {
  standard_parties();
  Event e = ticket_opened("T-1");
  deliver(e);
  deliver(e);                     // the same event again
  deliver(ticket_opened("T-1"));  // the same ticket under another event id
  EXPECT_EQ(orders_of("T-1").size(), 1u);
  Event dup = ticket_opened("T-2");
  dup.mutable_ticket_opened()->set_duplicate_of("T-1");
  deliver(dup);
  EXPECT_TRUE(orders_of("T-2").empty());
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCreated"), 1);
}

TEST_F(ServiceTest, FullLifecycleToSignOffWritesEveryEvent) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  auto b = partner("builder", "B-deco");
  WorkOrder got;
  ASSERT_TRUE(accept(b, o.work_order_id(), &got).ok());
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_ACCEPTED);
  absl::Time tomorrow = absl::Now() + absl::Hours(20);
  ASSERT_TRUE(
      schedule(b, o.work_order_id(), tomorrow, tomorrow + absl::Hours(2), "", "", &got).ok());
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_SCHEDULED);
  EXPECT_EQ(got.technician_id(), "B-deco-user");  // the calling technician by default
  ASSERT_TRUE(start(b, o.work_order_id()).ok());
  ASSERT_TRUE(complete(b, o.work_order_id(), 0).ok());

  // The owner alone does not finish it; maintenance too; a repeat changes nothing.
  ASSERT_TRUE(sign(owner("U-101"), o.work_order_id(), SIGNER_OWNER, &got).ok());
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_COMPLETED);
  ASSERT_TRUE(sign(owner("U-101"), o.work_order_id(), SIGNER_OWNER, &got).ok());
  EXPECT_EQ(got.sign_offs_size(), 1);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderSignedOff"), 0);
  ASSERT_TRUE(sign(dispatcher(), o.work_order_id(), SIGNER_MAINTENANCE, &got).ok());
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_SIGNED_OFF);
  EXPECT_TRUE(got.has_signed_off_at());
  // The verifier's acceptance may follow.
  ASSERT_TRUE(sign(verifier(), o.work_order_id(), SIGNER_VERIFIER, &got).ok());
  EXPECT_EQ(got.sign_offs_size(), 3);

  for (const char* type : {"dispatch.WorkOrderCreated", "dispatch.WorkOrderAccepted",
                           "dispatch.WorkOrderScheduled", "dispatch.WorkOrderStarted",
                           "dispatch.WorkOrderCompleted", "dispatch.WorkOrderSignedOff"}) {
    EXPECT_EQ(outbox_count(type), 1) << type;
  }
  auto signed_off = outbox_events("dispatch.WorkOrderSignedOff")[0].work_order_signed_off();
  EXPECT_EQ(signed_off.owner_id(), "owner-U-101");
  EXPECT_EQ(signed_off.builder_party_id(), "B-deco");
  EXPECT_FALSE(signed_off.was_rerouted());
  EXPECT_EQ(signed_off.signers_size(), 2);
  // The builder repaired its own defect: nothing to charge back.
  EXPECT_EQ(outbox_count("dispatch.WarrantyCostAdvanced"), 0);
}

TEST_F(ServiceTest, InvalidTransitionsAreRefusedNamingTheCurrentState) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  auto b = partner("builder", "B-deco");
  auto s = start(b, o.work_order_id());
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(),
            "cannot start a work order that is created (needs accepted or scheduled)");
  s = sign(owner("U-101"), o.work_order_id(), SIGNER_OWNER);
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("created"), std::string::npos);
  ASSERT_TRUE(accept(b, o.work_order_id()).ok());
  s = accept(b, o.work_order_id());
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "cannot accept a work order that is accepted (needs created)");
  EXPECT_EQ(complete(b, o.work_order_id(), 100).error_code(), StatusCode::FAILED_PRECONDITION);
  // Refusals wrote nothing.
  EXPECT_EQ(count("SELECT version FROM work_orders"), 2);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderAccepted"), 1);
}

TEST_F(ServiceTest, CallersOnlyActWithinTheirScope) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  const std::string id = o.work_order_id();
  // Another party and another owner do not even see it.
  EXPECT_EQ(accept(partner("crew", "C-crew"), id).error_code(), StatusCode::NOT_FOUND);
  aftercare::v1::GetWorkOrderRequest get;
  get.set_work_order_id(id);
  WorkOrder got;
  EXPECT_EQ(stub_->GetWorkOrder(as(owner("U-999")).get(), get, &got).error_code(),
            StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->GetWorkOrder(as(dispatcher("P2")).get(), get, &got).error_code(),
            StatusCode::NOT_FOUND);
  ASSERT_TRUE(stub_->GetWorkOrder(as(owner("U-101")).get(), get, &got).ok());
  ASSERT_TRUE(stub_->GetWorkOrder(as(partner("builder", "B-deco")).get(), get, &got).ok());
  // The owner sees it but may not act for the builder.
  EXPECT_EQ(accept(owner("U-101"), id).error_code(), StatusCode::PERMISSION_DENIED);
  // A dispatcher of the project may act for the assignee.
  ASSERT_TRUE(accept(dispatcher(), id).ok());
  ASSERT_TRUE(start(partner("builder", "B-deco"), id).ok());
  ASSERT_TRUE(complete(partner("builder", "B-deco"), id, 0).ok());
  // Signers: only the owner signs as owner, staff as maintenance.
  EXPECT_EQ(sign(dispatcher(), id, SIGNER_OWNER).error_code(), StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(sign(owner("U-101"), id, SIGNER_MAINTENANCE).error_code(),
            StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(sign(partner("builder", "B-deco"), id, SIGNER_MAINTENANCE).error_code(),
            StatusCode::PERMISSION_DENIED);
  // Reassigning is for dispatchers.
  aftercare::v1::ReassignWorkOrderRequest reassign;
  reassign.set_work_order_id(id);
  reassign.set_assignee_kind(PARTY_KIND_CREW);
  reassign.set_party_id("C-crew");
  EXPECT_EQ(
      stub_->ReassignWorkOrder(as(partner("builder", "B-deco")).get(), reassign, &got).error_code(),
      StatusCode::PERMISSION_DENIED);
  // Listing: a partner sees only its own orders, whatever it asks for.
  aftercare::v1::ListWorkOrdersRequest list;
  list.set_project_id(kProject);
  aftercare::v1::ListWorkOrdersResponse listed;
  ASSERT_TRUE(stub_->ListWorkOrders(as(partner("crew", "C-crew")).get(), list, &listed).ok());
  EXPECT_EQ(listed.work_orders_size(), 0);
  ASSERT_TRUE(stub_->ListWorkOrders(as(partner("builder", "B-deco")).get(), list, &listed).ok());
  EXPECT_EQ(listed.work_orders_size(), 1);
}

TEST_F(ServiceTest, BadInputNamesTheFieldAndWritesNothing) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  auto b = partner("builder", "B-deco");
  aftercare::v1::DeclineWorkOrderRequest decline;
  decline.set_work_order_id(o.work_order_id());
  WorkOrder got;
  auto s = stub_->DeclineWorkOrder(as(b).get(), decline, &got);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "reason: is required");
  ASSERT_TRUE(accept(b, o.work_order_id()).ok());
  absl::Time t = absl::Now() + absl::Hours(5);
  s = schedule(b, o.work_order_id(), t, t);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "end: must be after start");
  s = schedule(b, o.work_order_id(), absl::Now() - absl::Hours(3), absl::Now() - absl::Hours(2));
  EXPECT_EQ(s.error_message(), "start: must not be in the past");
  aftercare::v1::GetWorkOrderRequest get;
  get.set_work_order_id("no/such");
  EXPECT_EQ(stub_->GetWorkOrder(as(admin()).get(), get, &got).error_code(),
            StatusCode::INVALID_ARGUMENT);
  ASSERT_TRUE(start(b, o.work_order_id()).ok());
  aftercare::v1::CompleteWorkOrderRequest done;
  done.set_work_order_id(o.work_order_id());
  done.set_cost_fen(-5);
  s = stub_->CompleteWorkOrder(as(b).get(), done, &got);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("cost_fen"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM work_orders WHERE status = 'in_progress'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM appointments"), 0);
}

TEST_F(ServiceTest, PaidRepairStartsOnlyAfterTheOwnerConfirmedTheQuote) {
  standard_parties();
  deliver(ticket_opened("T-1", /*in_warranty=*/false));
  WorkOrder o = only_order("T-1");
  EXPECT_EQ(o.assignee_kind(), PARTY_KIND_CREW);
  EXPECT_EQ(o.party_id(), "C-crew");
  EXPECT_TRUE(o.paid());
  EXPECT_EQ(o.builder_party_id(), "");
  auto crew = partner("crew", "C-crew");
  ASSERT_TRUE(accept(crew, o.work_order_id()).ok());
  auto s = start(crew, o.work_order_id());
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("quote"), std::string::npos);

  aftercare::v1::IssueQuoteRequest quote;
  quote.set_work_order_id(o.work_order_id());
  quote.set_amount_fen(35'000);
  quote.set_items("换水龙头 tap and labour");
  WorkOrder got;
  ASSERT_TRUE(stub_->IssueQuote(as(crew).get(), quote, &got).ok());
  EXPECT_EQ(got.quote().status(), aftercare::v1::QUOTE_STATUS_ISSUED);
  const std::string quote_id = got.quote().quote_id();

  aftercare::v1::ConfirmQuoteRequest confirm;
  confirm.set_work_order_id(o.work_order_id());
  confirm.set_quote_id(quote_id);
  confirm.set_accept(true);
  EXPECT_EQ(stub_->ConfirmQuote(as(owner("U-999")).get(), confirm, &got).error_code(),
            StatusCode::NOT_FOUND);
  EXPECT_EQ(stub_->ConfirmQuote(as(crew).get(), confirm, &got).error_code(),
            StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ConfirmQuote(as(owner("U-101")).get(), confirm, &got).ok());
  EXPECT_EQ(got.quote().status(), aftercare::v1::QUOTE_STATUS_CONFIRMED);
  ASSERT_TRUE(start(crew, o.work_order_id()).ok());

  auto issued = outbox_events("dispatch.QuoteIssued");
  ASSERT_EQ(issued.size(), 1u);
  EXPECT_EQ(issued[0].quote_issued().owner_id(), "owner-U-101");
  auto confirmed = outbox_events("dispatch.QuoteConfirmed");
  ASSERT_EQ(confirmed.size(), 1u);
  EXPECT_EQ(confirmed[0].quote_confirmed().amount_fen(), 35'000);
  EXPECT_EQ(confirmed[0].quote_confirmed().quote_id(), quote_id);
}

TEST_F(ServiceTest, OwnerDecliningTheQuoteCancelsTheOrder) {
  standard_parties();
  deliver(ticket_opened("T-1", false));
  WorkOrder o = only_order("T-1");
  aftercare::v1::IssueQuoteRequest quote;
  quote.set_work_order_id(o.work_order_id());
  quote.set_amount_fen(20'000);
  quote.set_items("repaint");
  WorkOrder got;
  ASSERT_TRUE(stub_->IssueQuote(as(dispatcher()).get(), quote, &got).ok());
  aftercare::v1::ConfirmQuoteRequest decline;
  decline.set_work_order_id(o.work_order_id());
  decline.set_quote_id(got.quote().quote_id());
  decline.set_accept(false);
  ASSERT_TRUE(stub_->ConfirmQuote(as(owner("U-101")).get(), decline, &got).ok());
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_CANCELLED);
  EXPECT_EQ(got.quote().status(), aftercare::v1::QUOTE_STATUS_DECLINED);
  EXPECT_EQ(outbox_count("dispatch.QuoteDeclined"), 1);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCancelled"), 1);
  EXPECT_EQ(outbox_count("dispatch.QuoteConfirmed"), 0);
}

TEST_F(ServiceTest, ReroutedWarrantyWorkIsChargedBackToTheBuilder) {
  standard_parties();
  absl::Time reported = reported_at();
  deliver(ticket_opened("T-1", true, reported));
  auto reroutes = reroute_as_of(reported + absl::Hours(25));
  ASSERT_EQ(reroutes.size(), 1u);
  WorkOrder crew_order;
  for (const auto& o : orders_of("T-1")) {
    if (o.assignee_kind() == PARTY_KIND_CREW) crew_order = o;
  }
  ASSERT_EQ(crew_order.party_id(), "C-crew");
  EXPECT_FALSE(crew_order.paid());
  work(partner("crew", "C-crew"), crew_order.work_order_id(), 12'000);
  EXPECT_EQ(outbox_count("dispatch.WarrantyCostAdvanced"), 0);  // not before the sign-off
  ASSERT_TRUE(sign(owner("U-101"), crew_order.work_order_id(), SIGNER_OWNER).ok());
  ASSERT_TRUE(sign(dispatcher(), crew_order.work_order_id(), SIGNER_MAINTENANCE).ok());
  auto advanced = outbox_events("dispatch.WarrantyCostAdvanced");
  ASSERT_EQ(advanced.size(), 1u);
  const auto& w = advanced[0].warranty_cost_advanced();
  EXPECT_EQ(w.builder_party_id(), "B-deco");
  EXPECT_EQ(w.performed_by_kind(), PARTY_KIND_CREW);
  EXPECT_EQ(w.performed_by_party_id(), "C-crew");
  EXPECT_EQ(w.cost_fen(), 12'000);
  EXPECT_EQ(w.work_order_id(), crew_order.work_order_id());
  auto signed_off = outbox_events("dispatch.WorkOrderSignedOff")[0].work_order_signed_off();
  EXPECT_TRUE(signed_off.was_rerouted());
  EXPECT_EQ(signed_off.builder_party_id(), "B-deco");
}

TEST_F(ServiceTest, EmergencyGoesToTheOnDutyCrewAtOnceAndTheBuilderIsNotified) {
  standard_parties();
  absl::Time reported = reported_at();
  deliver(ticket_opened("T-1", true, reported, aftercare::v1::URGENCY_EMERGENCY));
  WorkOrder o = only_order("T-1");
  EXPECT_EQ(o.assignee_kind(), PARTY_KIND_CREW);
  EXPECT_EQ(o.party_id(), "C-crew");
  EXPECT_EQ(store::from_timestamp(o.deadline()), reported + absl::Hours(2));
  EXPECT_EQ(o.builder_party_id(), "B-deco");
  EXPECT_EQ(count("SELECT count(*) FROM partner_events WHERE party_id = 'B-deco' "
                  "AND event_type = 'dispatch.WorkOrderCreated'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM partner_events WHERE party_id = 'C-crew'"), 1);
}

TEST_F(ServiceTest, ABuilderThatDeclinesIsReplacedAtOnce) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  aftercare::v1::DeclineWorkOrderRequest decline;
  decline.set_work_order_id(o.work_order_id());
  decline.set_reason("不在我方施工范围 not our scope");
  WorkOrder got;
  ASSERT_TRUE(stub_->DeclineWorkOrder(as(partner("builder", "B-deco")).get(), decline, &got).ok());
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_DECLINED);
  EXPECT_EQ(got.reroute_reason(), aftercare::v1::REROUTE_REASON_BUILDER_DECLINED);
  ASSERT_FALSE(got.rerouted_to().empty());
  aftercare::v1::GetWorkOrderRequest get;
  get.set_work_order_id(got.rerouted_to());
  WorkOrder replacement;
  ASSERT_TRUE(stub_->GetWorkOrder(as(admin()).get(), get, &replacement).ok());
  EXPECT_EQ(replacement.assignee_kind(), PARTY_KIND_CREW);
  EXPECT_EQ(replacement.rerouted_from(), o.work_order_id());
  EXPECT_EQ(replacement.origin(), aftercare::v1::WORK_ORDER_ORIGIN_REROUTE);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderDeclined"), 1);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderRerouted"), 1);
}

TEST_F(ServiceTest, ReassignMovesTheOrderAndBothPartiesHearOfIt) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  ASSERT_TRUE(accept(partner("builder", "B-deco"), o.work_order_id()).ok());
  aftercare::v1::ReassignWorkOrderRequest req;
  req.set_work_order_id(o.work_order_id());
  req.set_assignee_kind(PARTY_KIND_CONTRACTOR);
  req.set_party_id("K-big");
  req.set_reason("builder unreachable");
  WorkOrder got;
  ASSERT_TRUE(stub_->ReassignWorkOrder(as(dispatcher()).get(), req, &got).ok());
  EXPECT_EQ(got.status(), WORK_ORDER_STATUS_CREATED);
  EXPECT_EQ(got.party_id(), "K-big");
  EXPECT_EQ(got.builder_party_id(), "B-deco");
  EXPECT_EQ(
      count(
          "SELECT count(*) FROM partner_events WHERE event_type = 'dispatch.WorkOrderReassigned'"),
      2);
  // The builder no longer sees it; the contractor accepts.
  EXPECT_EQ(accept(partner("builder", "B-deco"), o.work_order_id()).error_code(),
            StatusCode::NOT_FOUND);
  ASSERT_TRUE(accept(partner("contractor", "K-big"), o.work_order_id()).ok());
  req.set_party_id("nobody");
  EXPECT_EQ(stub_->ReassignWorkOrder(as(dispatcher()).get(), req, &got).error_code(),
            StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServiceTest, ReworkIsLinkedToTheOriginalAndCounted) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  work(partner("builder", "B-deco"), o.work_order_id(), 0);
  ASSERT_TRUE(sign(owner("U-101"), o.work_order_id(), SIGNER_OWNER).ok());
  ASSERT_TRUE(sign(dispatcher(), o.work_order_id(), SIGNER_MAINTENANCE).ok());
  Event rework;
  rework.set_event_id(kit::new_uuid());
  rework.set_type("callback.ReworkRequested");
  rework.set_project_id(kProject);
  rework.mutable_rework_requested()->set_callback_id("CB-1");
  rework.mutable_rework_requested()->set_ticket_id("T-1");
  rework.mutable_rework_requested()->set_work_order_id(o.work_order_id());
  rework.mutable_rework_requested()->set_reason("still leaking");
  deliver(rework);
  Event again = rework;
  again.set_event_id(kit::new_uuid());
  deliver(again);  // the same callback's request once more: nothing new
  auto orders = orders_of("T-1");
  ASSERT_EQ(orders.size(), 2u);
  const WorkOrder& r = orders[1];
  EXPECT_EQ(r.rework_of(), o.work_order_id());
  EXPECT_EQ(r.rework_count(), 1);
  EXPECT_EQ(r.origin(), aftercare::v1::WORK_ORDER_ORIGIN_REWORK);
  EXPECT_EQ(r.party_id(), "B-deco");  // back to whoever did the work
  EXPECT_EQ(outbox_events("dispatch.WorkOrderCreated").back().work_order_created().rework_of(),
            o.work_order_id());
}

TEST_F(ServiceTest, AReopeningWithoutACallbackReworksTheLastSignedOffOrder) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  work(partner("builder", "B-deco"), o.work_order_id(), 0);
  ASSERT_TRUE(sign(owner("U-101"), o.work_order_id(), SIGNER_OWNER).ok());
  ASSERT_TRUE(sign(dispatcher(), o.work_order_id(), SIGNER_MAINTENANCE).ok());
  absl::Time new_due = absl::Now() + absl::Hours(24 * 20);
  Event reopened;
  reopened.set_event_id(kit::new_uuid());
  reopened.set_type("intake.TicketReopened");
  reopened.set_project_id(kProject);
  auto* r = reopened.mutable_ticket_reopened();
  r->set_ticket_id("T-1");
  r->set_reason("owner called again");
  r->set_recurrence(2);
  *r->mutable_resolve_due() = store::to_timestamp(new_due);
  // Caused by an unsatisfied callback: ReworkRequested does the work, not this event.
  Event by_callback = reopened;
  by_callback.set_event_id(kit::new_uuid());
  by_callback.mutable_ticket_reopened()->set_callback_id("CB-9");
  deliver(by_callback);
  EXPECT_EQ(orders_of("T-1").size(), 1u);
  deliver(reopened);
  Event again = reopened;
  again.set_event_id(kit::new_uuid());
  deliver(again);
  auto orders = orders_of("T-1");
  ASSERT_EQ(orders.size(), 2u);
  EXPECT_EQ(orders[1].rework_of(), o.work_order_id());
  EXPECT_EQ(orders[1].party_id(), "B-deco");
  EXPECT_EQ(store::from_timestamp(orders[1].resolve_due()), store::truncate_to_micros(new_due));
}

TEST_F(ServiceTest, CancellingTheTicketCancelsItsOpenOrders) {
  standard_parties();
  WorkOrder o = builder_order("T-1");
  Event cancelled;
  cancelled.set_event_id(kit::new_uuid());
  cancelled.set_type("intake.TicketCancelled");
  cancelled.set_project_id(kProject);
  cancelled.mutable_ticket_cancelled()->set_ticket_id("T-1");
  cancelled.mutable_ticket_cancelled()->set_reason("owner withdrew");
  deliver(cancelled);
  EXPECT_EQ(only_order("T-1").status(), WORK_ORDER_STATUS_CANCELLED);
  EXPECT_EQ(outbox_count("dispatch.WorkOrderCancelled"), 1);
}

TEST_F(ServiceTest, DispatcherCreatesExtraOrdersOnceperIdempotencyKey) {
  standard_parties();
  builder_order("T-1");
  aftercare::v1::CreateWorkOrderRequest req;
  req.set_ticket_id("T-1");
  req.set_assignee_kind(PARTY_KIND_CONTRACTOR);
  req.set_estimate_fen(250'000);
  req.set_idempotency_key("k-1");
  WorkOrder first, second;
  ASSERT_TRUE(stub_->CreateWorkOrder(as(dispatcher()).get(), req, &first).ok());
  ASSERT_TRUE(stub_->CreateWorkOrder(as(dispatcher()).get(), req, &second).ok());
  EXPECT_EQ(first.work_order_id(), second.work_order_id());
  EXPECT_EQ(first.party_id(), "K-big");
  EXPECT_EQ(first.origin(), aftercare::v1::WORK_ORDER_ORIGIN_MANUAL);
  EXPECT_EQ(orders_of("T-1").size(), 2u);
  // A large job needs the verifier's check before work starts.
  auto k = partner("contractor", "K-big");
  ASSERT_TRUE(accept(k, first.work_order_id()).ok());
  auto s = start(k, first.work_order_id());
  EXPECT_EQ(s.error_code(), StatusCode::FAILED_PRECONDITION);
  aftercare::v1::RecordVerificationRequest v;
  v.set_work_order_id(first.work_order_id());
  v.set_defect_confirmed(true);
  v.set_liability(aftercare::v1::LIABILITY_BUILDER);
  v.set_estimate_fen(240'000);
  WorkOrder got;
  ASSERT_TRUE(stub_->RecordVerification(as(verifier()).get(), v, &got).ok());
  EXPECT_EQ(got.estimate_fen(), 240'000);
  ASSERT_TRUE(start(k, first.work_order_id()).ok());
  EXPECT_EQ(outbox_count("dispatch.VerificationRecorded"), 1);
}

TEST_F(ServiceTest, TheRepairReportCountsThisMonthsOrders) {
  standard_parties();
  // An emergency in warranty: the crew does the builder's warranty work at once.
  deliver(ticket_opened("T-1", true, reported_at(), aftercare::v1::URGENCY_EMERGENCY));
  WorkOrder o = only_order("T-1");
  auto crew = partner("crew", "C-crew");
  work(crew, o.work_order_id(), 8'000);
  ASSERT_TRUE(sign(owner("U-101"), o.work_order_id(), SIGNER_OWNER).ok());
  ASSERT_TRUE(sign(dispatcher(), o.work_order_id(), SIGNER_MAINTENANCE).ok());
  EXPECT_EQ(outbox_count("dispatch.WarrantyCostAdvanced"), 1);

  // The month (project time, default Asia/Shanghai) in which the order was created.
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  absl::CivilSecond created = absl::ToCivilSecond(store::from_timestamp(o.created_at()), shanghai);
  aftercare::v1::RepairReportRequest req;
  req.set_project_id(kProject);
  req.mutable_period()->set_granularity(aftercare::v1::REPORT_GRANULARITY_MONTH);
  req.mutable_period()->set_year(static_cast<int>(created.year()));
  req.mutable_period()->set_index(created.month());
  aftercare::v1::RepairReportResponse report;
  kit::Caller finance{"fin-1", kit::Role::finance, {kProject}, {}, ""};
  auto s = stub_->RepairReport(as(finance).get(), req, &report);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(report.work_orders_created(), 1);
  EXPECT_EQ(report.work_orders_signed_off(), 1);
  EXPECT_EQ(report.warranty_cost_fen(), 8'000);
  ASSERT_EQ(report.by_party_size(), 2);
  EXPECT_EQ(report.by_party(0).party_id(), "B-deco");
  EXPECT_EQ(report.by_party(0).chargeable_fen(), 8'000);
  EXPECT_EQ(report.by_party(1).party_id(), "C-crew");
  EXPECT_EQ(report.by_party(1).cost_fen(), 8'000);

  EXPECT_EQ(stub_->RepairReport(as(crew).get(), req, &report).error_code(),
            StatusCode::PERMISSION_DENIED);
  req.mutable_period()->set_index(13);
  s = stub_->RepairReport(as(finance).get(), req, &report);
  EXPECT_EQ(s.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "period.index: must be a month 1-12");
}

}  // namespace
}  // namespace aftercare::dispatch::testing
