// The kit pieces that replaced copies in the services (issue 24): each checked with plain values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/input.h"
#include "common/policy_defaults.h"
#include "common/sql_array.h"
#include "common/unit_payload.h"

namespace aftercare::kit {
namespace {

TEST(KitShared, IsUuidAcceptsCanonicalFormInEitherCaseUnlessLowerOnly) {
  EXPECT_TRUE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e"));
  EXPECT_TRUE(is_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E"));
  EXPECT_FALSE(is_uuid("0F8FAD5B-D9CB-469F-A165-70867728950E", /*lower_only=*/true));
  EXPECT_TRUE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950e", /*lower_only=*/true));
  EXPECT_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950"));   // too short
  EXPECT_FALSE(is_uuid("0f8fad5bxd9cb-469f-a165-70867728950e"));  // no dash
  EXPECT_FALSE(is_uuid("0f8fad5b-d9cb-469f-a165-70867728950g"));  // not hex
  EXPECT_FALSE(is_uuid("0f8fad5bd9cb469fa16570867728950e0000"));  // dashes missing
  EXPECT_FALSE(is_uuid(""));
}

TEST(KitShared, CheckRangeNamesTheFieldAndBounds) {
  EXPECT_EQ(check_range("ticket.max_backdate_days", 0, 0, 365), "");
  EXPECT_EQ(check_range("ticket.max_backdate_days", 366, 0, 365),
            "ticket.max_backdate_days must be between 0 and 365");
  EXPECT_EQ(check_range("dispatch.large_job_threshold_fen", 10'000'000'001, 1, 10'000'000'000),
            "dispatch.large_job_threshold_fen must be between 1 and 10000000000");
}

TEST(KitShared, IntOverridesApplyTheSetOnesInOrderAndStopAtTheFirstOutOfRange) {
  int days = 7, hours = 24;
  int64_t fen = 100;
  EXPECT_EQ(apply_int_overrides({{true, 3, "a.days", 1, 90, &days},
                                 {false, 0, "a.hours", 1, 48, &hours},
                                 {true, 5000, "a.fen", 0, 10000, &fen}}),
            "");
  EXPECT_EQ(days, 3);
  EXPECT_EQ(hours, 24);  // not set: kept
  EXPECT_EQ(fen, 5000);
  EXPECT_EQ(apply_int_overrides(
                {{true, 91, "a.days", 1, 90, &days}, {true, 0, "a.hours", 1, 48, &hours}}),
            "a.days must be between 1 and 90");
  EXPECT_EQ(days, 3);
  EXPECT_EQ(hours, 24);
}

struct Parent {
  std::string id;
  std::vector<int> children;
};

TEST(KitShared, RowsByIdFindsTheParentOfAChild) {
  std::vector<Parent> parents{{"p1", {}}, {"p2", {}}};
  RowsById<Parent> by_id(parents, [](const Parent& p) { return p.id; });
  EXPECT_EQ(by_id.ids(), text_array({"p1", "p2"}));
  ASSERT_NE(by_id.find("p2"), nullptr);
  by_id.find("p2")->children.push_back(7);
  EXPECT_EQ(parents[1].children, std::vector<int>{7});
  EXPECT_EQ(by_id.find("p3"), nullptr);
}

TEST(KitShared, UnitUpsertedCarriesTheUnitWithTheGivenMaskedPhone) {
  aftercare::v1::Unit u;
  u.set_unit_id("U1");
  u.set_building("B2");
  u.set_room("301");
  u.set_area_centi_m2(8950);
  u.set_owner_id("O1");
  u.set_owner_phone("13812345678");
  u.mutable_handover_date()->set_year(2025);
  aftercare::v1::UnitUpserted p = unit_upserted(u, "138****5678");
  EXPECT_EQ(p.unit_id(), "U1");
  EXPECT_EQ(p.building(), "B2");
  EXPECT_EQ(p.room(), "301");
  EXPECT_EQ(p.area_centi_m2(), 8950);
  EXPECT_EQ(p.owner_id(), "O1");
  EXPECT_EQ(p.owner_phone_masked(), "138****5678");
  EXPECT_EQ(p.handover_date().year(), 2025);
  EXPECT_TRUE(p.previous_owner_id().empty());
}

}  // namespace
}  // namespace aftercare::kit
