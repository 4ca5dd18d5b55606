// The callback gRPC service against real PostgreSQL (and devbroker for the relay check), called
// through a real channel with caller metadata: recording (one transaction, exactly one rework
// event, double recording rejected and writing nothing), attempts and give-up, assignment,
// review, work lists, listing with filters and scope, and exact statistics.
#include <gtest/gtest.h>

#include <atomic>

#include "callback_fixture.h"
#include "common/call.h"
#include "common/metrics.h"

namespace aftercare::callback::testing {
namespace {

using aftercare::testing::TestServer;

const std::string kProject = "P-cb";
const std::string kOther = "P-other";

kit::Caller agent(const std::string& sub = "agent-1",
                  std::vector<std::string> projects = {kProject}) {
  return kit::Caller{sub, kit::Role::agent, std::move(projects), {}, ""};
}
kit::Caller supervisor(const std::string& sub = "sup-1") {
  return kit::Caller{sub, kit::Role::supervisor, {kProject}, {}, ""};
}

class CallbackServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = aftercare::testing::migrated_database("t_callback_service",
                                                  generated::callback_migrations());
    topic_ = aftercare::testing::create_topic("test.callback");
    outbox_ = std::make_unique<kit::Outbox>(topic_, "callback");
    clock_.set(local(2024, 6, 14, 15, 0, 0));  // Friday afternoon in Shanghai
    impl_ =
        std::make_unique<CallbackServiceImpl>(*pool_, *outbox_, [this] { return clock_.now(); });
    server_ = std::make_unique<TestServer>(impl_.get());
    stub_ = v1::CallbacksService::NewStub(server_->channel());
    applier_ = std::make_unique<app::EventApplier>(*outbox_, [this] { return clock_.now(); });
    apply(unit_upserted(kProject, "U-1", "owner-U-1", absl::CivilDay(2024, 1, 10)));
    apply(unit_upserted(kOther, "U-9", "owner-U-9", absl::CivilDay(2024, 1, 10)));
  }

  void apply(const v1::Event& e) {
    pool_->in_transaction([&](pqxx::work& tx) { (*applier_)(tx, e); });
  }

  // A repair callback for a new work order signed off now; returns its id.
  std::string repair_callback(const std::string& work_order,
                              v1::Component component = v1::COMPONENT_PLUMBING,
                              const std::string& project = kProject,
                              const std::string& unit = "U-1") {
    apply(signed_off(project, work_order, "T-" + work_order, unit, component, clock_.now()));
    return pool_->in_transaction([&](pqxx::work& tx) {
      return std::string(
          tx.exec_params1("SELECT callback_id::text FROM callbacks WHERE work_order_id = $1",
                          work_order)[0]
              .c_str());
    });
  }

  grpc::Status record(const kit::Caller& caller, const v1::RecordCallbackRequest& r,
                      v1::Callback* out) {
    return stub_->RecordCallback(kit::client_context(caller).get(), r, out);
  }

  static v1::RecordCallbackRequest answer(const std::string& id, v1::Satisfaction s, int score,
                                          bool charge_ok = true) {
    v1::RecordCallbackRequest r;
    r.set_callback_id(id);
    r.set_reached(true);
    r.set_satisfaction(s);
    r.set_score(score);
    r.set_attitude(4);
    r.set_timely(true);
    r.set_charge_ok(charge_ok);
    r.set_comment("师傅修得不彻底，还在漏水，电话13800001111");
    r.set_owner_confirmed(true);
    return r;
  }

  grpc::Status attempt(const std::string& id, v1::Callback* out,
                       const kit::Caller& caller = agent()) {
    v1::RecordAttemptRequest r;
    r.set_callback_id(id);
    r.set_note("no answer");
    return stub_->RecordAttempt(kit::client_context(caller).get(), r, out);
  }

  std::unique_ptr<kit::PgPool> pool_;
  std::string topic_;
  std::unique_ptr<kit::Outbox> outbox_;
  TestClock clock_;
  std::unique_ptr<CallbackServiceImpl> impl_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::CallbacksService::Stub> stub_;
  std::unique_ptr<app::EventApplier> applier_;
};

TEST_F(CallbackServiceTest, RepairCallbackIsDueByKindInCalendarDays) {
  std::string leak = repair_callback("WO-leak", v1::COMPONENT_PLUMBING);
  std::string gas = repair_callback("WO-gas", v1::COMPONENT_GAS);
  std::string door = repair_callback("WO-door", v1::COMPONENT_DOOR_WINDOW);
  v1::GetCallbackRequest get;
  v1::Callback cb;
  get.set_callback_id(leak);
  ASSERT_TRUE(stub_->GetCallback(kit::client_context(agent()).get(), get, &cb).ok());
  EXPECT_EQ(domain::from_timestamp(cb.due_at()), local(2024, 6, 17, 23, 59, 59));
  EXPECT_EQ(cb.due_kind(), v1::CALLBACK_DUE_KIND_LEAK);
  EXPECT_EQ(cb.reason(), v1::CALLBACK_REASON_REPAIR_COMPLETED);
  EXPECT_EQ(cb.status(), v1::CALLBACK_STATUS_PENDING);
  EXPECT_EQ(cb.owner_id(), "owner-U-1");
  get.set_callback_id(gas);
  ASSERT_TRUE(stub_->GetCallback(kit::client_context(agent()).get(), get, &cb).ok());
  EXPECT_EQ(domain::from_timestamp(cb.due_at()), local(2024, 6, 16, 23, 59, 59));
  get.set_callback_id(door);
  ASSERT_TRUE(stub_->GetCallback(kit::client_context(agent()).get(), get, &cb).ok());
  EXPECT_EQ(domain::from_timestamp(cb.due_at()), local(2024, 6, 21, 23, 59, 59));
  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackScheduled"), 3);
}

TEST_F(CallbackServiceTest,
       UnsatisfiedRecordRequestsExactlyOneReworkAndASecondRecordWritesNothing) {
  std::string id = repair_callback("WO-1");
  v1::Callback cb;
  ASSERT_TRUE(record(agent(), answer(id, v1::SATISFACTION_UNSATISFIED, 2), &cb).ok());
  EXPECT_EQ(cb.status(), v1::CALLBACK_STATUS_DONE);
  EXPECT_EQ(cb.outcome().satisfaction(), v1::SATISFACTION_UNSATISFIED);
  EXPECT_EQ(cb.outcome().recorded_by(), "agent-1");
  EXPECT_EQ(domain::from_timestamp(cb.rework_return_due()), clock_.now() + absl::Hours(24));

  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackRecorded"), 1);
  EXPECT_EQ(outbox_count(*pool_, "callback.ReworkRequested"), 1);
  EXPECT_EQ(outbox_count(*pool_, "callback.SurveyCompleted"), 0);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callback_reworks WHERE work_order_id = 'WO-1' "
                  "AND return_due = requested_at + interval '24 hours' AND returned_at IS NULL"),
            1);
  auto recorded = outbox_events(*pool_, "callback.CallbackRecorded");
  ASSERT_EQ(recorded.size(), 1u);
  EXPECT_EQ(recorded[0].aggregate_id(), id);
  EXPECT_EQ(recorded[0].callback_recorded().satisfaction(), v1::SATISFACTION_UNSATISFIED);
  EXPECT_EQ(recorded[0].callback_recorded().ticket_id(), "T-WO-1");
  EXPECT_TRUE(recorded[0].callback_recorded().on_time());
  // No phone number in clear in events.
  EXPECT_EQ(recorded[0].callback_recorded().comment().find("13800001111"), std::string::npos);

  // A second record of the same callback is refused and writes nothing.
  int64_t outbox_before = count(*pool_, "SELECT count(*) FROM kit_outbox");
  grpc::Status again = record(agent("agent-2"), answer(id, v1::SATISFACTION_SATISFIED, 5), &cb);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::ALREADY_EXISTS) << again.error_message();
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM kit_outbox"), outbox_before);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_records"), 1);
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM callback_records WHERE recorded_by = 'agent-1' "
                  "AND satisfaction = 'unsatisfied'"),
            1);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_reworks"), 1);
  // An unanswered call on a done callback is refused as well.
  EXPECT_EQ(attempt(id, &cb).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // Through the relay: exactly one ReworkRequested on the topic, with the 24 h return deadline.
  kit::Metrics metrics;
  kit::OutboxRelay relay(*pool_, [] { return aftercare::testing::kafka_bootstrap(); }, metrics, {});
  int sent = 0;
  ASSERT_TRUE(aftercare::testing::eventually([&] {
    sent += relay.relay_once();
    return count(*pool_, "SELECT count(*) FROM kit_outbox WHERE sent_at IS NULL") == 0;
  }));
  EXPECT_EQ(sent, outbox_before);
  auto records = aftercare::testing::read_topic(topic_, static_cast<size_t>(outbox_before));
  int reworks = 0;
  for (const auto& r : records) {
    v1::Event e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    if (e.type() != "callback.ReworkRequested") continue;
    ++reworks;
    EXPECT_EQ(r.key, id);
    EXPECT_EQ(e.project_id(), kProject);
    EXPECT_EQ(e.rework_requested().work_order_id(), "WO-1");
    EXPECT_EQ(e.rework_requested().ticket_id(), "T-WO-1");
    EXPECT_EQ(e.rework_requested().unit_id(), "U-1");
    EXPECT_EQ(domain::from_timestamp(e.rework_requested().return_due()),
              clock_.now() + absl::Hours(24));
  }
  EXPECT_EQ(reworks, 1);
}

TEST_F(CallbackServiceTest, ConcurrentRecordsOfOneCallbackLeaveExactlyOneRecord) {
  std::string id = repair_callback("WO-race");
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, rejected{0};
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      v1::Callback cb;
      grpc::Status s = record(agent("agent-" + std::to_string(i)),
                              answer(id, v1::SATISFACTION_UNSATISFIED, 1), &cb);
      if (s.ok())
        ++ok;
      else if (s.error_code() == grpc::StatusCode::ALREADY_EXISTS)
        ++rejected;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(rejected.load(), 5);
  EXPECT_EQ(outbox_count(*pool_, "callback.ReworkRequested"), 1);
  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackRecorded"), 1);
}

TEST_F(CallbackServiceTest, SatisfiedRecordCompletesTheSurveyForLoyalty) {
  std::string id = repair_callback("WO-2");
  v1::Callback cb;
  ASSERT_TRUE(record(agent(), answer(id, v1::SATISFACTION_BASICALLY_SATISFIED, 3), &cb).ok());
  EXPECT_EQ(outbox_count(*pool_, "callback.ReworkRequested"), 0);
  auto surveys = outbox_events(*pool_, "callback.SurveyCompleted");
  ASSERT_EQ(surveys.size(), 1u);
  EXPECT_EQ(surveys[0].aggregate_id(), id);
  EXPECT_EQ(surveys[0].survey_completed().callback_id(), id);
  EXPECT_EQ(surveys[0].survey_completed().owner_id(), "owner-U-1");
  EXPECT_EQ(surveys[0].survey_completed().satisfaction(), v1::SATISFACTION_BASICALLY_SATISFIED);
}

TEST_F(CallbackServiceTest, WrongChargeRequestsReworkEvenWhenSatisfied) {
  std::string id = repair_callback("WO-3");
  v1::Callback cb;
  ASSERT_TRUE(
      record(agent(), answer(id, v1::SATISFACTION_SATISFIED, 5, /*charge_ok=*/false), &cb).ok());
  auto reworks = outbox_events(*pool_, "callback.ReworkRequested");
  ASSERT_EQ(reworks.size(), 1u);
  EXPECT_EQ(reworks[0].rework_requested().reason(), "charge not correct");
}

TEST_F(CallbackServiceTest, BadInputIsRefusedNamingTheFieldAndWritesNothing) {
  std::string id = repair_callback("WO-4");
  int64_t outbox_before = count(*pool_, "SELECT count(*) FROM kit_outbox");
  v1::Callback cb;
  struct Case {
    v1::RecordCallbackRequest request;
    std::string field;
  };
  std::vector<Case> cases;
  cases.push_back({answer(id, v1::SATISFACTION_SATISFIED, 6), "score"});
  cases.push_back({answer(id, static_cast<v1::Satisfaction>(7), 4), "satisfaction"});
  cases.push_back({answer(id, v1::SATISFACTION_UNSPECIFIED, 0), "satisfaction"});
  cases.push_back({answer(id, v1::SATISFACTION_SATISFIED, 1), "score"});
  auto attitude = answer(id, v1::SATISFACTION_SATISFIED, 5);
  attitude.set_attitude(9);
  cases.push_back({attitude, "attitude"});
  auto comment = answer(id, v1::SATISFACTION_SATISFIED, 5);
  comment.set_comment(std::string(2001, 'x'));
  cases.push_back({comment, "comment"});
  cases.push_back({answer("not-a-uuid", v1::SATISFACTION_SATISFIED, 5), "callback_id"});
  for (const Case& c : cases) {
    grpc::Status s = record(agent(), c.request, &cb);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.field;
    EXPECT_EQ(s.error_message().rfind(c.field + ":", 0), 0u) << s.error_message();
  }
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM kit_outbox"), outbox_before);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_records"), 0);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE status = 'pending'"), 1);
}

TEST_F(CallbackServiceTest, ScopeAndRoles) {
  std::string mine = repair_callback("WO-5");
  std::string theirs = repair_callback("WO-6", v1::COMPONENT_OTHER, kOther, "U-9");
  v1::Callback cb;
  v1::GetCallbackRequest get;
  get.set_callback_id(theirs);
  EXPECT_EQ(stub_->GetCallback(kit::client_context(agent()).get(), get, &cb).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(record(agent(), answer(theirs, v1::SATISFACTION_UNSATISFIED, 1), &cb).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(outbox_count(*pool_, "callback.ReworkRequested"), 0);
  get.set_callback_id(mine);
  kit::Caller owner{"owner-U-1", kit::Role::owner, {}, {"U-1"}, ""};
  EXPECT_EQ(stub_->GetCallback(kit::client_context(owner).get(), get, &cb).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  kit::Caller crew{"c-1", kit::Role::crew, {kProject}, {}, "crew-1"};
  EXPECT_EQ(record(crew, answer(mine, v1::SATISFACTION_SATISFIED, 5), &cb).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->GetCallback(kit::client_context(kit::Caller{}).get(), get, &cb).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  v1::ListCallbacksRequest list;
  v1::ListCallbacksResponse listed;
  list.set_project_id(kOther);
  EXPECT_EQ(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &listed).error_code(),
            grpc::StatusCode::NOT_FOUND);
  list.Clear();
  list.set_ticket_id("T-WO-6");  // another project's ticket: nothing visible
  ASSERT_TRUE(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &listed).ok());
  EXPECT_EQ(listed.callbacks_size(), 0);
  kit::Caller admin_like{"a", kit::Role::agent, {"*"}, {}, ""};
  ASSERT_TRUE(stub_->ListCallbacks(kit::client_context(admin_like).get(), list, &listed).ok());
  EXPECT_EQ(listed.callbacks_size(), 1);
  list.Clear();
  EXPECT_EQ(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CallbackServiceTest, ListFiltersByProjectTicketAndDueBeforeWithPages) {
  repair_callback("WO-a", v1::COMPONENT_GAS);         // due 16 June
  repair_callback("WO-b", v1::COMPONENT_PLUMBING);    // due 17 June
  repair_callback("WO-c", v1::COMPONENT_DECORATION);  // due 21 June
  repair_callback("WO-d", v1::COMPONENT_OTHER, kOther, "U-9");
  v1::ListCallbacksRequest list;
  v1::ListCallbacksResponse out;
  list.set_project_id(kProject);
  ASSERT_TRUE(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &out).ok());
  ASSERT_EQ(out.callbacks_size(), 3);
  EXPECT_EQ(out.callbacks(0).work_order_id(), "WO-a");  // sorted by due_at
  EXPECT_EQ(out.callbacks(2).work_order_id(), "WO-c");

  domain::set_timestamp(list.mutable_due_before(), local(2024, 6, 18));
  out.Clear();
  ASSERT_TRUE(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &out).ok());
  EXPECT_EQ(out.callbacks_size(), 2);

  list.clear_due_before();
  list.set_ticket_id("T-WO-b");
  out.Clear();
  ASSERT_TRUE(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &out).ok());
  ASSERT_EQ(out.callbacks_size(), 1);
  EXPECT_EQ(out.callbacks(0).work_order_id(), "WO-b");

  // Pages of 2, resumable, and the token only continues the same listing.
  list.clear_ticket_id();
  list.set_page_size(2);
  out.Clear();
  ASSERT_TRUE(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &out).ok());
  ASSERT_EQ(out.callbacks_size(), 2);
  ASSERT_FALSE(out.next_page_token().empty());
  list.set_page_token(out.next_page_token());
  v1::ListCallbacksResponse page2;
  ASSERT_TRUE(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &page2).ok());
  ASSERT_EQ(page2.callbacks_size(), 1);
  EXPECT_EQ(page2.callbacks(0).work_order_id(), "WO-c");
  EXPECT_TRUE(page2.next_page_token().empty());
  list.set_ticket_id("T-WO-a");
  EXPECT_EQ(stub_->ListCallbacks(kit::client_context(agent()).get(), list, &page2).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CallbackServiceTest, UnansweredCallsRetryThenGiveUpWithARecord) {
  std::string id = repair_callback("WO-7");
  v1::Callback cb;
  ASSERT_TRUE(attempt(id, &cb).ok());
  EXPECT_EQ(cb.attempts(), 1);
  EXPECT_EQ(cb.status(), v1::CALLBACK_STATUS_PENDING);
  EXPECT_EQ(domain::from_timestamp(cb.next_attempt_at()), clock_.now() + absl::Hours(2));

  // reached = false in RecordCallback counts as an attempt too.
  clock_.set(clock_.now() + absl::Hours(2));
  v1::RecordCallbackRequest unreached;
  unreached.set_callback_id(id);
  unreached.set_reached(false);
  unreached.set_comment("line busy");
  ASSERT_TRUE(record(agent(), unreached, &cb).ok());
  EXPECT_EQ(cb.attempts(), 2);
  EXPECT_EQ(domain::from_timestamp(cb.next_attempt_at()), clock_.now() + absl::Hours(24));

  clock_.set(clock_.now() + absl::Hours(24));
  ASSERT_TRUE(attempt(id, &cb).ok());
  EXPECT_EQ(cb.attempts(), 3);
  EXPECT_EQ(cb.status(), v1::CALLBACK_STATUS_FAILED);
  EXPECT_FALSE(cb.has_next_attempt_at());

  auto attempted = outbox_events(*pool_, "callback.CallbackAttempted");
  ASSERT_EQ(attempted.size(), 3u);
  EXPECT_FALSE(attempted[0].callback_attempted().gave_up());
  EXPECT_TRUE(attempted[0].callback_attempted().has_next_attempt_at());
  EXPECT_TRUE(attempted[2].callback_attempted().gave_up());
  EXPECT_EQ(attempted[2].callback_attempted().attempt_no(), 3);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callback_attempts WHERE gave_up"), 1);

  EXPECT_EQ(record(agent(), answer(id, v1::SATISFACTION_SATISFIED, 5), &cb).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(attempt(id, &cb).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // A requested retry time must lie ahead.
  std::string other = repair_callback("WO-8");
  v1::RecordAttemptRequest r;
  r.set_callback_id(other);
  domain::set_timestamp(r.mutable_retry_at(), clock_.now() - absl::Hours(1));
  grpc::Status s = stub_->RecordAttempt(kit::client_context(agent()).get(), r, &cb);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("retry_at:", 0), 0u);
  domain::set_timestamp(r.mutable_retry_at(), clock_.now() + absl::Hours(20));
  ASSERT_TRUE(stub_->RecordAttempt(kit::client_context(agent()).get(), r, &cb).ok());
  EXPECT_EQ(domain::from_timestamp(cb.next_attempt_at()), clock_.now() + absl::Hours(20));
}

TEST_F(CallbackServiceTest, AssignmentRules) {
  std::string id = repair_callback("WO-9");
  v1::AssignCallbackRequest r;
  v1::Callback cb;
  r.set_callback_id(id);
  r.set_agent_id("agent-2");
  // An agent cannot hand a callback to a colleague.
  EXPECT_EQ(stub_->AssignCallback(kit::client_context(agent()).get(), r, &cb).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // ... but takes it from the pool.
  r.set_agent_id("agent-1");
  ASSERT_TRUE(stub_->AssignCallback(kit::client_context(agent()).get(), r, &cb).ok());
  EXPECT_EQ(cb.assigned_agent(), "agent-1");
  // Another agent cannot take it away.
  r.set_agent_id("agent-2");
  EXPECT_EQ(stub_->AssignCallback(kit::client_context(agent("agent-2")).get(), r, &cb).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The supervisor reassigns.
  ASSERT_TRUE(stub_->AssignCallback(kit::client_context(supervisor()).get(), r, &cb).ok());
  EXPECT_EQ(cb.assigned_agent(), "agent-2");
  // The holder gives it back to the pool.
  r.set_agent_id("");
  ASSERT_TRUE(stub_->AssignCallback(kit::client_context(agent("agent-2")).get(), r, &cb).ok());
  EXPECT_EQ(cb.assigned_agent(), "");
  EXPECT_EQ(
      count(*pool_, "SELECT count(*) FROM callback_assignments WHERE callback_id = '" + id + "'"),
      3);
  r.set_agent_id("bad id!");
  EXPECT_EQ(stub_->AssignCallback(kit::client_context(supervisor()).get(), r, &cb).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(CallbackServiceTest, SupervisorReviewsOnceAfterTheRecord) {
  std::string id = repair_callback("WO-10");
  v1::ReviewCallbackRequest r;
  v1::Callback cb;
  r.set_callback_id(id);
  r.set_approved(true);
  r.set_note("录音已核对");
  EXPECT_EQ(stub_->ReviewCallback(kit::client_context(supervisor()).get(), r, &cb).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ASSERT_TRUE(record(agent(), answer(id, v1::SATISFACTION_SATISFIED, 5), &cb).ok());
  EXPECT_EQ(stub_->ReviewCallback(kit::client_context(agent()).get(), r, &cb).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->ReviewCallback(kit::client_context(supervisor()).get(), r, &cb).ok());
  EXPECT_EQ(cb.review().reviewer_id(), "sup-1");
  EXPECT_TRUE(cb.review().approved());
  EXPECT_EQ(cb.review().note(), "录音已核对");
  EXPECT_EQ(
      stub_->ReviewCallback(kit::client_context(supervisor("sup-2")).get(), r, &cb).error_code(),
      grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackReviewed"), 1);
}

TEST_F(CallbackServiceTest, WorkListShowsOwnAndPoolDueTodayOverdueFirst) {
  // Created on 10 June: a gas repair due 12 June (overdue on the 14th), a plumbing one due
  // 13 June (overdue), a door one due 17 June (not yet on the list).
  clock_.set(local(2024, 6, 10, 10, 0, 0));
  std::string overdue1 = repair_callback("WO-o1", v1::COMPONENT_GAS);
  std::string overdue2 = repair_callback("WO-o2", v1::COMPONENT_PLUMBING);
  std::string later = repair_callback("WO-later", v1::COMPONENT_DOOR_WINDOW);
  // Created on 12 June 13:00: a gas repair due 14 June (today), assigned to agent-2.
  clock_.set(local(2024, 6, 12, 13, 0, 0));
  std::string colleague = repair_callback("WO-c", v1::COMPONENT_GAS);
  std::string today = repair_callback("WO-t", v1::COMPONENT_GAS);
  v1::AssignCallbackRequest assign;
  v1::Callback cb;
  assign.set_callback_id(colleague);
  assign.set_agent_id("agent-2");
  ASSERT_TRUE(stub_->AssignCallback(kit::client_context(supervisor()).get(), assign, &cb).ok());
  assign.set_callback_id(today);
  assign.set_agent_id("agent-1");
  ASSERT_TRUE(stub_->AssignCallback(kit::client_context(supervisor()).get(), assign, &cb).ok());

  clock_.set(local(2024, 6, 14, 9, 0, 0));
  // overdue2 was not answered at 9:00 and the owner asked to be called tomorrow: off today's list.
  v1::RecordAttemptRequest later_call;
  later_call.set_callback_id(overdue2);
  domain::set_timestamp(later_call.mutable_retry_at(), local(2024, 6, 15, 10, 0, 0));
  ASSERT_TRUE(stub_->RecordAttempt(kit::client_context(agent()).get(), later_call, &cb).ok());

  v1::WorkListRequest request;
  v1::WorkListResponse list;
  request.set_project_id(kProject);
  ASSERT_TRUE(stub_->WorkList(kit::client_context(agent()).get(), request, &list).ok());
  std::vector<std::string> ids;
  for (const auto& c : list.callbacks()) ids.push_back(c.callback_id());
  EXPECT_EQ(ids, (std::vector<std::string>{overdue1, today}));
  EXPECT_TRUE(list.callbacks(0).overdue());
  EXPECT_FALSE(list.callbacks(1).overdue());
  EXPECT_EQ(list.overdue(), 1);
  EXPECT_EQ(list.weekly_target(), 18);

  // Record one today: the progress counts move, and it leaves the list.
  ASSERT_TRUE(record(agent(), answer(today, v1::SATISFACTION_SATISFIED, 5), &cb).ok());
  list.Clear();
  ASSERT_TRUE(stub_->WorkList(kit::client_context(agent()).get(), request, &list).ok());
  EXPECT_EQ(list.callbacks_size(), 1);
  EXPECT_EQ(list.done_today(), 1);
  EXPECT_EQ(list.done_this_week(), 1);

  // Tomorrow's list has the retry and the 17 June one is still ahead.
  domain::to_date(absl::CivilDay(2024, 6, 15)).Swap(request.mutable_date());
  list.Clear();
  ASSERT_TRUE(stub_->WorkList(kit::client_context(agent()).get(), request, &list).ok());
  ids.clear();
  for (const auto& c : list.callbacks()) ids.push_back(c.callback_id());
  EXPECT_EQ(ids, (std::vector<std::string>{overdue1, overdue2}));
  EXPECT_EQ(list.done_today(), 0);
  EXPECT_EQ(list.done_this_week(), 1);
  (void)later;

  // Agents see only their own list; supervisors anyone's.
  request.set_agent_id("agent-2");
  EXPECT_EQ(stub_->WorkList(kit::client_context(agent()).get(), request, &list).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  request.clear_date();
  list.Clear();
  ASSERT_TRUE(stub_->WorkList(kit::client_context(supervisor()).get(), request, &list).ok());
  ids.clear();
  for (const auto& c : list.callbacks()) ids.push_back(c.callback_id());
  EXPECT_EQ(ids, (std::vector<std::string>{overdue1, colleague}));
}

TEST_F(CallbackServiceTest, StatsAreExactRatiosForTheWeek) {
  // ISO week 2024-W24 = 10..16 June (Shanghai). Four callbacks due in it, one due the next week.
  clock_.set(local(2024, 6, 10, 10, 0, 0));
  std::string a = repair_callback("WO-s1", v1::COMPONENT_GAS);       // due 12 June
  std::string b = repair_callback("WO-s2", v1::COMPONENT_PLUMBING);  // due 13 June
  std::string c = repair_callback("WO-s3", v1::COMPONENT_GAS);
  std::string d = repair_callback("WO-s4", v1::COMPONENT_GAS);
  repair_callback("WO-s5", v1::COMPONENT_DOOR_WINDOW);  // due 17 June: next week
  v1::Callback cb;
  clock_.set(local(2024, 6, 11, 10, 0, 0));
  ASSERT_TRUE(record(agent("agent-1"), answer(a, v1::SATISFACTION_SATISFIED, 5), &cb).ok());
  ASSERT_TRUE(record(agent("agent-1"), answer(b, v1::SATISFACTION_UNSATISFIED, 2), &cb).ok());
  clock_.set(local(2024, 6, 13, 10, 0, 0));  // after c's due day: late
  ASSERT_TRUE(
      record(agent("agent-2"), answer(c, v1::SATISFACTION_BASICALLY_SATISFIED, 3), &cb).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(attempt(d, &cb, agent("agent-2")).ok());  // failed

  v1::CallbackStatsRequest request;
  request.set_project_id(kProject);
  request.mutable_period()->set_granularity(v1::REPORT_GRANULARITY_WEEK);
  request.mutable_period()->set_year(2024);
  request.mutable_period()->set_index(24);
  v1::CallbackStatsResponse stats;
  EXPECT_EQ(stub_->CallbackStats(kit::client_context(agent()).get(), request, &stats).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(stub_->CallbackStats(kit::client_context(supervisor()).get(), request, &stats).ok());
  EXPECT_EQ(stats.due(), 4);
  EXPECT_EQ(stats.done(), 3);
  EXPECT_EQ(stats.done_on_time(), 2);
  EXPECT_EQ(stats.failed(), 1);
  EXPECT_EQ(stats.handling_rate().numerator(), 3);
  EXPECT_EQ(stats.handling_rate().denominator(), 4);
  EXPECT_EQ(stats.handling_rate().basis_points(), 7500);
  EXPECT_EQ(stats.on_time_rate().basis_points(), 5000);
  EXPECT_EQ(stats.satisfaction_rate().numerator(), 2);
  EXPECT_EQ(stats.satisfaction_rate().denominator(), 3);
  EXPECT_EQ(stats.satisfaction_rate().basis_points(), 6667);
  EXPECT_EQ(stats.complaint_rate().basis_points(), 3333);
  EXPECT_EQ(stats.reworks_requested(), 1);
  EXPECT_EQ(stats.agent_weekly_target(), 18);
  ASSERT_EQ(stats.by_agent_size(), 2);
  EXPECT_EQ(stats.by_agent(0).agent_id(), "agent-1");
  EXPECT_EQ(stats.by_agent(0).done(), 2);
  EXPECT_EQ(stats.by_agent(0).attempts(), 0);
  EXPECT_FALSE(stats.by_agent(0).met_weekly_target());
  EXPECT_EQ(stats.by_agent(1).agent_id(), "agent-2");
  EXPECT_EQ(stats.by_agent(1).done(), 1);
  EXPECT_EQ(stats.by_agent(1).attempts(), 3);

  request.mutable_period()->set_index(60);
  grpc::Status bad = stub_->CallbackStats(kit::client_context(supervisor()).get(), request, &stats);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(bad.error_message().rfind("period.index:", 0), 0u);
}

TEST_F(CallbackServiceTest, ManualCallbackWithIdempotencyKey) {
  v1::ScheduleCallbackRequest r;
  r.set_project_id(kProject);
  r.set_unit_id("U-1");
  r.set_reason(v1::CALLBACK_REASON_COMPLAINT_RESOLVED);
  domain::set_timestamp(r.mutable_due_at(), clock_.now() + absl::Hours(48));
  r.set_idempotency_key("k-1");
  v1::Callback first, second;
  ASSERT_TRUE(stub_->ScheduleCallback(kit::client_context(agent()).get(), r, &first).ok());
  ASSERT_TRUE(stub_->ScheduleCallback(kit::client_context(agent()).get(), r, &second).ok());
  EXPECT_EQ(first.callback_id(), second.callback_id());
  EXPECT_EQ(first.owner_id(), "owner-U-1");
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM callbacks WHERE source_key LIKE 'manual:%'"), 1);
  EXPECT_EQ(outbox_count(*pool_, "callback.CallbackScheduled"), 1);
  r.set_unit_id("U-9");  // another project's unit
  EXPECT_EQ(stub_->ScheduleCallback(kit::client_context(agent()).get(), r, &first).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace aftercare::callback::testing
