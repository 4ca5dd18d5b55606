// Survey campaigns (issue 20) through the callback gRPC service on real PostgreSQL: a campaign to
// one building asks each of its owners once (an owner of two units in it once), queues one
// invitation per owner, and leaves the other building alone; each answer is stored once and
// emits one SurveyCompleted with the questionnaire's reference (loyalty's points are keyed on
// it), a second answer is 409 and writes nothing; the index per building follows the answers;
// roles and scope are refused without writing.
#include <gtest/gtest.h>

#include "callback/domain/surveys.h"
#include "callback_fixture.h"
#include "common/call.h"

namespace aftercare::callback::testing {
namespace {

using aftercare::testing::TestServer;

const std::string kProject = "P-sv";

kit::Caller staff(const std::string& role, const std::string& sub = "staff-1",
                  std::vector<std::string> projects = {kProject}) {
  return kit::Caller{sub, kit::role_from_name(role), std::move(projects), {}, ""};
}
kit::Caller owner(const std::string& sub, const std::string& unit) {
  return kit::Caller{sub, kit::Role::owner, {kProject}, {unit}, ""};
}

class SurveyCampaignTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = aftercare::testing::migrated_database("t_callback_surveys",
                                                  generated::callback_migrations());
    outbox_ = std::make_unique<kit::Outbox>("aftercare.callback.v1", "callback");
    clock_.set(local(2026, 12, 3, 10, 0, 0));
    impl_ =
        std::make_unique<CallbackServiceImpl>(*pool_, *outbox_, [this] { return clock_.now(); });
    server_ = std::make_unique<TestServer>(impl_.get());
    stub_ = v1::CallbacksService::NewStub(server_->channel());
    applier_ = std::make_unique<app::EventApplier>(*outbox_, [this] { return clock_.now(); });
    // Building 1: three units, owner-b owns two of them; building 2: one unit.
    unit("U-101", "1", "owner-a");
    unit("U-102", "1", "owner-b");
    unit("U-103", "1", "owner-b");
    unit("U-201", "2", "owner-c");
  }

  void unit(const std::string& id, const std::string& building, const std::string& who) {
    v1::Event e = unit_upserted(kProject, id, who, absl::CivilDay(2025, 6, 1));
    e.mutable_unit_upserted()->set_building(building);
    pool_->in_transaction([&](pqxx::work& tx) { (*applier_)(tx, e); });
  }

  grpc::Status start(const kit::Caller& c, std::vector<std::string> buildings,
                     v1::SurveyCampaign* out,
                     const std::string& title = "2026年第四季度满意度回访") {
    v1::StartSurveyCampaignRequest r;
    r.set_project_id(kProject);
    r.set_kind("quarterly_satisfaction");
    r.set_title(title);
    for (const auto& b : buildings) r.add_buildings(b);
    return stub_->StartSurveyCampaign(kit::client_context(c).get(), r, out);
  }

  grpc::Status answer(const kit::Caller& c, const std::string& campaign, const std::string& who,
                      int score, v1::SurveyAnswer* out) {
    v1::AnswerSurveyRequest r;
    r.set_campaign_id(campaign);
    r.set_owner_id(who);
    r.set_score(score);
    r.set_comment("维修师傅很认真，电话13800001234");
    return stub_->AnswerSurvey(kit::client_context(c).get(), r, out);
  }

  int64_t rows(const std::string& table) { return count(*pool_, "SELECT count(*) FROM " + table); }

  std::unique_ptr<kit::PgPool> pool_;
  std::unique_ptr<kit::Outbox> outbox_;
  TestClock clock_;
  std::unique_ptr<CallbackServiceImpl> impl_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<v1::CallbacksService::Stub> stub_;
  std::unique_ptr<app::EventApplier> applier_;
};

TEST_F(SurveyCampaignTest, CampaignToABuildingAsksEachOwnerOnceAndAnswersEarnPointsOnce) {
  v1::SurveyCampaign c;
  ASSERT_TRUE(start(staff("supervisor"), {"1"}, &c).ok());
  EXPECT_EQ(c.recipients(), 2);  // owner-a, and owner-b once for two units
  EXPECT_EQ(c.answered(), 0);
  EXPECT_EQ(rows("survey_questionnaires"), 2);
  // One invitation per owner asked, none for building 2.
  EXPECT_EQ(count(*pool_,
                  "SELECT count(*) FROM owner_messages WHERE kind = 'announcement' "
                  "AND owner_id IN ('owner-a', 'owner-b')"),
            2);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM owner_messages WHERE owner_id = 'owner-c'"), 0);

  v1::SurveyAnswer a;
  ASSERT_TRUE(answer(owner("owner-a", "U-101"), c.campaign_id(), "owner-a", 5, &a).ok());
  EXPECT_EQ(a.method(), "app");
  EXPECT_EQ(a.satisfaction(), v1::SATISFACTION_SATISFIED);
  EXPECT_EQ(a.comment().find("13800001234"), std::string::npos);  // digits masked
  v1::SurveyAnswer phone;
  ASSERT_TRUE(answer(staff("agent"), c.campaign_id(), "owner-b", 2, &phone).ok());
  EXPECT_EQ(phone.method(), "phone");
  EXPECT_EQ(phone.recorded_by(), "staff-1");

  // A second answer of the same owner is refused and writes nothing.
  int64_t outbox_before = rows("kit_outbox");
  v1::SurveyAnswer again;
  EXPECT_EQ(answer(owner("owner-a", "U-101"), c.campaign_id(), "owner-a", 1, &again).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(rows("kit_outbox"), outbox_before);

  auto completed = outbox_events(*pool_, "callback.SurveyCompleted");
  ASSERT_EQ(completed.size(), 2u);
  EXPECT_EQ(completed[0].survey_completed().callback_id(),
            domain::survey_reference(c.campaign_id(), "owner-a"));
  EXPECT_EQ(completed[0].survey_completed().owner_id(), "owner-a");
  EXPECT_EQ(completed[0].project_id(), kProject);
  EXPECT_NE(completed[0].survey_completed().callback_id(),
            completed[1].survey_completed().callback_id());

  v1::GetSurveyCampaignRequest get;
  get.set_campaign_id(c.campaign_id());
  v1::SurveyCampaign now;
  ASSERT_TRUE(stub_->GetSurveyCampaign(kit::client_context(staff("agent")).get(), get, &now).ok());
  EXPECT_EQ(now.answered(), 2);
  EXPECT_EQ(now.satisfaction_index().numerator(), 1);  // 5 satisfied, 2 unsatisfied
  EXPECT_EQ(now.satisfaction_index().denominator(), 2);
  EXPECT_EQ(now.average_score().numerator(), 7);
  ASSERT_EQ(now.by_building_size(), 1);
  EXPECT_EQ(now.by_building(0).building(), "1");

  v1::ListOwnerSurveysRequest mine;
  mine.set_owner_id("owner-a");
  v1::ListOwnerSurveysResponse list;
  ASSERT_TRUE(
      stub_->ListOwnerSurveys(kit::client_context(owner("owner-a", "U-101")).get(), mine, &list)
          .ok());
  ASSERT_EQ(list.surveys_size(), 1);
  EXPECT_EQ(list.surveys(0).status(), "answered");
  EXPECT_EQ(list.surveys(0).score(), 5);
}

TEST_F(SurveyCampaignTest, RefusedCallsWriteNothing) {
  v1::SurveyCampaign c;
  EXPECT_EQ(start(staff("agent"), {}, &c).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(start(staff("supervisor", "sup-2", {"P-else"}), {}, &c).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(start(staff("supervisor"), {"9"}, &c).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // no unit in building 9
  EXPECT_EQ(start(staff("supervisor"), {"1", "1"}, &c).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(start(staff("supervisor"), {}, &c, "").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(rows("survey_campaigns"), 0);
  EXPECT_EQ(rows("owner_messages"), 0);

  ASSERT_TRUE(start(staff("admin"), {}, &c).ok());
  EXPECT_EQ(c.recipients(), 3);
  v1::SurveyAnswer a;
  // Another owner's questionnaire, a score out of range, an agent of another project.
  EXPECT_EQ(answer(owner("owner-a", "U-101"), c.campaign_id(), "owner-c", 4, &a).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(answer(owner("owner-a", "U-101"), c.campaign_id(), "owner-a", 6, &a).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      answer(staff("agent", "agent-x", {"P-else"}), c.campaign_id(), "owner-a", 4, &a).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(answer(staff("crew"), c.campaign_id(), "owner-a", 4, &a).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(count(*pool_, "SELECT count(*) FROM survey_questionnaires WHERE score IS NOT NULL"), 0);
  EXPECT_EQ(outbox_count(*pool_, "callback.SurveyCompleted"), 0);
}

}  // namespace
}  // namespace aftercare::callback::testing
