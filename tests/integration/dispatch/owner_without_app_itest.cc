// Owners without the app (issue 23) across three services, through real PostgreSQL and
// devbroker: intake, dispatch and callback run in-process on their own databases, each with its
// outbox relay and its consumers on test topics, as their main()s wire them. An elderly owner
// phones the hotline; the builder repairs; maintenance uploads the paper repair slip the owner
// signed and records the owner's sign-off from it, then signs itself. The ticket is resolved,
// the callback is scheduled, and the ticket's history says how the owner signed and who
// recorded it.
#include <gtest/gtest.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "callback/app/events.h"
#include "callback/callback_service.h"
#include "common/call.h"
#include "common/consumer.h"
#include "common/outbox.h"
#include "dispatch/dispatch_service.h"
#include "intake/intake_service.h"
#include "support/test_env.h"
#include "support/test_server.h"

namespace aftercare {
namespace {

namespace v1 = aftercare::v1;
using v1::Event;

constexpr const char* kProject = "P-hot";
constexpr const char* kUnit = "U-hot-1";
constexpr const char* kOwner = "owner-elder";

kit::Caller admin() {
  return {"admin-1", kit::Role::admin, {"*"}, {}, ""};
}
kit::Caller agent() {
  return {"agent-1", kit::Role::agent, {kProject}, {}, ""};
}
kit::Caller dispatcher() {
  return {"disp-1", kit::Role::dispatcher, {kProject}, {}, ""};
}
kit::Caller builder() {
  return {"b-user", kit::Role::builder, {kProject}, {}, "B-hot"};
}

class OwnerWithoutAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string suffix = std::to_string(::getpid());
    intake_topic_ = testing::create_topic("test.hotline.intake", 3);
    dispatch_topic_ = testing::create_topic("test.hotline.dispatch", 3);
    for (const auto& t : {intake_topic_, dispatch_topic_}) {
      ASSERT_EQ(testing::devbroker_post("/topics", R"({"name":")" + t + R"(.dlq","partitions":1})"),
                200);
    }
    intake_db_ = testing::migrated_database("t_hotline_intake", generated::intake_migrations());
    dispatch_db_ =
        testing::migrated_database("t_hotline_dispatch", generated::dispatch_migrations(), 12);
    callback_db_ =
        testing::migrated_database("t_hotline_callback", generated::callback_migrations());
    intake_outbox_ = std::make_unique<kit::Outbox>(intake_topic_, "intake");
    dispatch_outbox_ = std::make_unique<kit::Outbox>(dispatch_topic_, "dispatch");
    callback_outbox_ = std::make_unique<kit::Outbox>("test.hotline.callback", "callback");

    intake_ = std::make_unique<intake::IntakeServiceImpl>(*intake_db_, *intake_outbox_);
    dispatch_ = std::make_unique<dispatch::DispatchServiceImpl>(*dispatch_db_, *dispatch_outbox_);
    callback_ = std::make_unique<callback::CallbackServiceImpl>(*callback_db_, *callback_outbox_);
    applier_ = std::make_unique<callback::app::EventApplier>(*callback_outbox_);
    intake_server_ = std::make_unique<testing::TestServer>(intake_.get());
    dispatch_server_ = std::make_unique<testing::TestServer>(dispatch_.get());
    callback_server_ = std::make_unique<testing::TestServer>(callback_.get());
    intake_stub_ = v1::IntakeService::NewStub(intake_server_->channel());
    dispatch_stub_ = v1::DispatchService::NewStub(dispatch_server_->channel());
    callback_stub_ = v1::CallbacksService::NewStub(callback_server_->channel());

    auto bootstrap = [] { return testing::kafka_bootstrap(); };
    for (kit::PgPool* db : {intake_db_.get(), dispatch_db_.get()}) {
      relays_.push_back(std::make_unique<kit::OutboxRelay>(*db, bootstrap, metrics_,
                                                           kit::OutboxRelay::Options{}));
    }
    auto consumer = [&](kit::PgPool& db, const std::string& name, std::vector<std::string> topics,
                        kit::EventHandler handler) {
      consumers_.push_back(std::make_unique<kit::EventConsumer>(
          db, testing::kafka_bootstrap(), metrics_,
          kit::EventConsumer::Options{
              name + "-" + suffix + "-" + intake_topic_,
              std::move(topics),
              3,
              std::chrono::milliseconds(20),
              {{"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}}},
          std::move(handler)));
    };
    consumer(*dispatch_db_, "dispatch.inbound", {intake_topic_},
             [this](pqxx::work& tx, const Event& e) { dispatch_->apply_event(tx, e); });
    consumer(*intake_db_, "intake.progress", {dispatch_topic_},
             [this](pqxx::work& tx, const Event& e) { intake_->apply_event(tx, e); });
    consumer(*callback_db_, "callback.inbound", {intake_topic_, dispatch_topic_},
             [this](pqxx::work& tx, const Event& e) { (*applier_)(tx, e); });
  }

  void TearDown() override {
    consumers_.clear();
    relays_.clear();
    intake_stub_.reset();
    dispatch_stub_.reset();
    callback_stub_.reset();
    intake_server_.reset();
    dispatch_server_.reset();
    callback_server_.reset();
  }

  static std::unique_ptr<grpc::ClientContext> as(const kit::Caller& c) {
    return kit::client_context(c);
  }

  // One turn of the platform: every relay publishes, every consumer applies what arrived.
  void pump() {
    for (auto& r : relays_) r->relay_once();
    for (auto& c : consumers_) c->poll_batch(std::chrono::milliseconds(20));
  }
  bool until(const std::function<bool()>& done) {
    return testing::eventually(
        [&] {
          pump();
          return done();
        },
        std::chrono::seconds(60));
  }

  void register_world() {
    v1::UpsertProjectRequest p;
    p.set_project_id(kProject);
    p.set_name("松鹤苑");
    p.set_timezone("Asia/Shanghai");
    v1::Project project;
    ASSERT_TRUE(intake_stub_->UpsertProject(as(admin()).get(), p, &project).ok());
    v1::UpsertUnitRequest u;
    u.set_project_id(kProject);
    u.set_unit_id(kUnit);
    u.set_building("3");
    u.set_room("0101");
    u.set_area_centi_m2(8850);
    u.set_owner_id(kOwner);
    u.set_owner_name("陈秀英");
    u.set_owner_phone("13800138021");
    absl::CivilDay handover =
        absl::ToCivilDay(absl::Now() - absl::Hours(24 * 100), absl::UTCTimeZone());
    u.mutable_handover_date()->set_year(static_cast<int>(handover.year()));
    u.mutable_handover_date()->set_month(handover.month());
    u.mutable_handover_date()->set_day(handover.day());
    v1::Unit unit;
    auto s = intake_stub_->UpsertUnit(as(admin()).get(), u, &unit);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::UpsertPartyRequest party;
    party.set_project_id(kProject);
    party.set_party_id("B-hot");
    party.set_kind(v1::PARTY_KIND_BUILDER);
    party.set_name("华泰建设");
    party.add_trades(v1::TICKET_CATEGORY_HOUSE_QUALITY);
    v1::Party out;
    s = dispatch_stub_->UpsertParty(as(admin()).get(), party, &out);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::optional<v1::WorkOrder> order_of(const std::string& ticket_id) {
    v1::ListWorkOrdersRequest req;
    req.set_ticket_id(ticket_id);
    v1::ListWorkOrdersResponse resp;
    if (!dispatch_stub_->ListWorkOrders(as(admin()).get(), req, &resp).ok()) return std::nullopt;
    if (resp.work_orders_size() == 0) return std::nullopt;
    return resp.work_orders(0);
  }

  grpc::Status sign_off(const kit::Caller& c, const std::string& id, v1::Signer signer,
                        const v1::OnBehalf* on_behalf, v1::WorkOrder* out) {
    v1::SignOffWorkOrderRequest req;
    req.set_work_order_id(id);
    req.set_signer(signer);
    if (on_behalf) *req.mutable_on_behalf() = *on_behalf;
    return dispatch_stub_->SignOffWorkOrder(as(c).get(), req, out);
  }

  std::string intake_topic_, dispatch_topic_;
  kit::Metrics metrics_;
  std::unique_ptr<kit::PgPool> intake_db_, dispatch_db_, callback_db_;
  std::unique_ptr<kit::Outbox> intake_outbox_, dispatch_outbox_, callback_outbox_;
  std::unique_ptr<intake::IntakeServiceImpl> intake_;
  std::unique_ptr<dispatch::DispatchServiceImpl> dispatch_;
  std::unique_ptr<callback::CallbackServiceImpl> callback_;
  std::unique_ptr<callback::app::EventApplier> applier_;
  std::unique_ptr<testing::TestServer> intake_server_, dispatch_server_, callback_server_;
  std::unique_ptr<v1::IntakeService::Stub> intake_stub_;
  std::unique_ptr<v1::DispatchService::Stub> dispatch_stub_;
  std::unique_ptr<v1::CallbacksService::Stub> callback_stub_;
  std::vector<std::unique_ptr<kit::OutboxRelay>> relays_;
  std::vector<std::unique_ptr<kit::EventConsumer>> consumers_;
};

TEST_F(OwnerWithoutAppTest, APaperSlipSignedOffByMaintenanceResolvesAndSchedulesTheCallback) {
  register_world();
  // The owner phones the hotline: an agent opens the ticket.
  v1::OpenTicketRequest open;
  open.set_project_id(kProject);
  open.set_unit_id(kUnit);
  open.set_kind(v1::TICKET_KIND_REPAIR);
  open.set_category(v1::TICKET_CATEGORY_HOUSE_QUALITY);
  open.set_component(v1::COMPONENT_PLUMBING);
  open.set_urgency(v1::URGENCY_NORMAL);
  open.set_channel(v1::CHANNEL_HOTLINE);
  open.set_description("厨房水管滴水, 业主不会用手机");
  v1::Ticket ticket;
  auto s = intake_stub_->OpenTicket(as(agent()).get(), open, &ticket);
  ASSERT_TRUE(s.ok()) << s.error_message();

  std::optional<v1::WorkOrder> wo;
  ASSERT_TRUE(until([&] { return (wo = order_of(ticket.ticket_id())).has_value(); }));
  ASSERT_EQ(wo->party_id(), "B-hot");
  const std::string id = wo->work_order_id();
  v1::WorkOrder got;
  {
    v1::AcceptWorkOrderRequest r;
    r.set_work_order_id(id);
    ASSERT_TRUE(dispatch_stub_->AcceptWorkOrder(as(builder()).get(), r, &got).ok());
    v1::StartWorkOrderRequest st;
    st.set_work_order_id(id);
    s = dispatch_stub_->StartWorkOrder(as(builder()).get(), st, &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
    v1::CompleteWorkOrderRequest c;
    c.set_work_order_id(id);
    c.set_cost_fen(0);
    c.set_notes("更换水管接头");
    s = dispatch_stub_->CompleteWorkOrder(as(builder()).get(), c, &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  // The builder cannot vouch for the owner by phone; maintenance without a slip on the ticket
  // is refused too. Neither writes anything.
  v1::OnBehalf by_phone;
  by_phone.set_method(v1::ON_BEHALF_METHOD_PHONE);
  s = sign_off(builder(), id, v1::SIGNER_OWNER, &by_phone, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  v1::OnBehalf slip;
  slip.set_method(v1::ON_BEHALF_METHOD_PAPER_SLIP);
  slip.set_attachment_id("no-such-attachment");
  s = sign_off(dispatcher(), id, v1::SIGNER_OWNER, &slip, &got);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("on_behalf.attachment_id"), std::string::npos);
  ASSERT_EQ(order_of(ticket.ticket_id())->sign_offs_size(), 0);

  // Maintenance scans the signed slip onto the ticket and signs for the owner from it.
  v1::AddAttachmentRequest add;
  add.set_ticket_id(ticket.ticket_id());
  add.set_kind(v1::ATTACHMENT_KIND_DOCUMENT);
  add.set_filename("签认维修单.pdf");
  add.set_content_type("application/pdf");
  add.set_content("%PDF-1.4\n% signed repair slip\n%%EOF\n");
  v1::Attachment attachment;
  s = intake_stub_->AddAttachment(as(dispatcher()).get(), add, &attachment);
  ASSERT_TRUE(s.ok()) << s.error_message();
  slip.set_attachment_id(attachment.attachment_id());
  slip.set_note("业主陈秀英在纸质维修单上签字");
  // The slip's AttachmentAdded reaches dispatch (this test drives the consumers itself).
  ASSERT_TRUE(until([&] {
    return dispatch_db_->in_transaction([&](pqxx::work& tx) {
      return tx.exec_params("SELECT count(*) FROM ticket_attachments WHERE attachment_id = $1",
                            attachment.attachment_id())[0][0]
                 .as<int>() == 1;
    });
  }));
  s = sign_off(dispatcher(), id, v1::SIGNER_OWNER, &slip, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(got.sign_offs_size(), 1);
  EXPECT_EQ(got.sign_offs(0).signer(), v1::SIGNER_OWNER);
  EXPECT_EQ(got.sign_offs(0).signed_by(), kOwner);  // the owner's act
  EXPECT_EQ(got.sign_offs(0).recorded_by(), "disp-1");
  EXPECT_EQ(got.sign_offs(0).on_behalf().method(), v1::ON_BEHALF_METHOD_PAPER_SLIP);
  EXPECT_EQ(got.sign_offs(0).on_behalf().attachment_id(), attachment.attachment_id());
  s = sign_off(dispatcher(), id, v1::SIGNER_MAINTENANCE, nullptr, &got);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(got.status(), v1::WORK_ORDER_STATUS_SIGNED_OFF);

  // Intake resolves the ticket; callback schedules the owner's callback (plumbing: a leak).
  ASSERT_TRUE(until([&] {
    v1::GetTicketRequest g;
    g.set_ticket_id(ticket.ticket_id());
    v1::Ticket t;
    return intake_stub_->GetTicket(as(agent()).get(), g, &t).ok() &&
           t.status() == v1::TICKET_STATUS_RESOLVED;
  }));
  v1::ListCallbacksResponse callbacks;
  ASSERT_TRUE(until([&] {
    v1::ListCallbacksRequest l;
    l.set_project_id(kProject);
    l.set_ticket_id(ticket.ticket_id());
    callbacks.Clear();
    return callback_stub_->ListCallbacks(as(agent()).get(), l, &callbacks).ok() &&
           callbacks.callbacks_size() == 1;
  }));
  EXPECT_EQ(callbacks.callbacks(0).work_order_id(), id);

  v1::GetTicketHistoryRequest h;
  h.set_ticket_id(ticket.ticket_id());
  v1::GetTicketHistoryResponse history;
  s = intake_stub_->GetTicketHistory(as(agent()).get(), h, &history);
  ASSERT_TRUE(s.ok()) << s.error_message();
  bool told = false;
  for (const auto& entry : history.entries()) {
    std::string text = entry.DebugString();
    if (text.find("paper_slip, recorded by disp-1") != std::string::npos) told = true;
  }
  EXPECT_TRUE(told) << history.DebugString();
}

}  // namespace
}  // namespace aftercare
