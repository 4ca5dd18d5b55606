// Warranty-expiry listing: the N-day window, the exact anniversary, 29 February, the policy's
// periods, ordering and paging, and the database pre-selection window.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "intake/domain/warranty.h"
#include "intake/domain/warranty_expiry.h"

namespace aftercare::intake::domain {
namespace {

using absl::CivilDay;
namespace v1 = aftercare::v1;

const IntakePolicy kDefaults = IntakePolicy::defaults();
const ExpiryRules kRules = ExpiryRules::defaults();

UnitHandover unit(const std::string& id, CivilDay handover) {
  return {id, "3栋", "1201", "owner-" + id, handover};
}

std::vector<WarrantyExpiry> of_component(const std::vector<WarrantyExpiry>& all,
                                         v1::Component component) {
  std::vector<WarrantyExpiry> out;
  for (const auto& e : all)
    if (e.component == component) out.push_back(e);
  return out;
}

TEST(WarrantyExpiry, WithinDaysDefaultsTo30AndStaysWithin1To366) {
  EXPECT_EQ(check_within_days(0, kRules), "");
  EXPECT_EQ(check_within_days(1, kRules), "");
  EXPECT_EQ(check_within_days(366, kRules), "");
  EXPECT_EQ(check_within_days(367, kRules).rfind("within_days ", 0), 0u);
  EXPECT_EQ(check_within_days(-1, kRules).rfind("within_days ", 0), 0u);
  EXPECT_EQ(effective_within_days(0, kRules), 30);
  EXPECT_EQ(effective_within_days(7, kRules), 7);
}

TEST(WarrantyExpiry, EndingInNDaysIsListedAndInNPlusOneIsNot) {
  CivilDay today(2026, 11, 23);
  // Plumbing (2 years): U-A ends 2026-12-23 (30 days), U-B 2026-12-24 (31 days).
  std::vector<UnitHandover> units = {unit("U-A", CivilDay(2024, 12, 23)),
                                     unit("U-B", CivilDay(2024, 12, 24))};
  auto within30 =
      of_component(warranty_expiries(units, kDefaults, today, 30), v1::COMPONENT_PLUMBING);
  ASSERT_EQ(within30.size(), 1u);
  EXPECT_EQ(within30[0].unit_id, "U-A");
  EXPECT_EQ(within30[0].ends, CivilDay(2026, 12, 23));
  EXPECT_EQ(within30[0].days_left, 30);
  EXPECT_EQ(within30[0].owner_id, "owner-U-A");
  auto within31 =
      of_component(warranty_expiries(units, kDefaults, today, 31), v1::COMPONENT_PLUMBING);
  ASSERT_EQ(within31.size(), 2u);
  EXPECT_EQ(within31[1].unit_id, "U-B");
  EXPECT_EQ(within31[1].days_left, 31);
}

TEST(WarrantyExpiry, TheAnniversaryIsAlreadyOutAndTheDayBeforeIsTheLast) {
  std::vector<UnitHandover> units = {
      unit("U-A", CivilDay(2024, 6, 15))};  // plumbing ends 2026-06-15
  EXPECT_TRUE(of_component(warranty_expiries(units, kDefaults, CivilDay(2026, 6, 15), 30),
                           v1::COMPONENT_PLUMBING)
                  .empty());
  auto last = of_component(warranty_expiries(units, kDefaults, CivilDay(2026, 6, 14), 1),
                           v1::COMPONENT_PLUMBING);
  ASSERT_EQ(last.size(), 1u);
  EXPECT_EQ(last[0].days_left, 1);
  EXPECT_TRUE(in_warranty(CivilDay(2026, 6, 14), last[0].ends));
}

TEST(WarrantyExpiry, A29FebruaryHandoverEndsOn28February) {
  std::vector<UnitHandover> units = {unit("U-A", CivilDay(2024, 2, 29))};
  auto other = of_component(warranty_expiries(units, kDefaults, CivilDay(2025, 2, 27), 1),
                            v1::COMPONENT_OTHER);  // 1 year
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].ends, CivilDay(2025, 2, 28));
}

TEST(WarrantyExpiry, PeriodsComeFromThePolicy) {
  IntakePolicy policy = kDefaults;
  policy.warranty_years[v1::COMPONENT_PLUMBING] = 3;
  std::vector<UnitHandover> units = {unit("U-A", CivilDay(2023, 12, 1))};
  CivilDay today(2026, 11, 23);
  EXPECT_EQ(
      of_component(warranty_expiries(units, policy, today, 30), v1::COMPONENT_PLUMBING).size(), 1u);
  EXPECT_TRUE(
      of_component(warranty_expiries(units, kDefaults, today, 30), v1::COMPONENT_PLUMBING).empty());
}

TEST(WarrantyExpiry, SortedByEndUnitAndComponentAndPagedByCursor) {
  CivilDay today(2026, 11, 23);
  std::vector<UnitHandover> units = {unit("U-C", CivilDay(2024, 12, 1)),
                                     unit("U-A", CivilDay(2024, 12, 2)),
                                     unit("U-B", CivilDay(2024, 12, 1))};
  auto all = warranty_expiries(units, kDefaults, today, 30);
  ASSERT_EQ(all.size(), 24u);  // eight two-year components each
  for (size_t i = 1; i < all.size(); ++i) {
    const auto& a = all[i - 1];
    const auto& b = all[i];
    EXPECT_TRUE(std::tie(a.ends, a.unit_id, a.component) <
                std::tie(b.ends, b.unit_id, b.component));
  }
  EXPECT_EQ(all.front().unit_id, "U-B");
  EXPECT_EQ(all.back().unit_id, "U-A");
  // Resuming after any row returns exactly the rows after it.
  for (size_t i = 0; i < all.size(); ++i) {
    ExpiryCursor c{all[i].ends, all[i].unit_id, static_cast<int>(all[i].component)};
    auto rest = warranty_expiries(units, kDefaults, today, 30, c);
    ASSERT_EQ(rest.size(), all.size() - i - 1);
    if (!rest.empty()) {
      EXPECT_EQ(rest.front().unit_id, all[i + 1].unit_id);
    }
  }
}

TEST(WarrantyExpiry, TheHandoverWindowHoldsEveryListedUnit) {
  // Every handover day over eight years, around leap days and year ends: whatever is listed
  // was handed over inside the pre-selection window of its period.
  std::set<int> periods;
  for (const auto& [component, years] : kDefaults.warranty_years) periods.insert(years);
  for (CivilDay today : {CivilDay(2026, 11, 23), CivilDay(2028, 2, 28), CivilDay(2028, 2, 29),
                         CivilDay(2027, 12, 31), CivilDay(2029, 2, 27)}) {
    for (int within : {1, 30, 366}) {
      std::vector<UnitHandover> units;
      for (CivilDay d(2019, 1, 1); d <= today; ++d)
        units.push_back(unit("U-" + std::to_string(d - CivilDay(2019, 1, 1)), d));
      for (const auto& e : warranty_expiries(units, kDefaults, today, within)) {
        int years = kDefaults.warranty_years_of(e.component);
        auto [first, last] = handover_window(today, within, years);
        CivilDay handover = units[std::stoi(e.unit_id.substr(2))].handover;
        EXPECT_TRUE(first <= handover && handover <= last)
            << handover << " not in " << first << ".." << last << " (" << years << "y)";
      }
    }
  }
}

TEST(WarrantyExpiry, CursorsRoundTripAndBadTokensAreRefused) {
  ExpiryCursor c{CivilDay(2026, 12, 1), "U-101", 5};
  EXPECT_EQ(format_cursor(c), "2026-12-01|U-101|5");
  auto back = parse_cursor(format_cursor(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->ends, c.ends);
  EXPECT_EQ(back->unit_id, "U-101");
  EXPECT_EQ(back->component, 5);
  for (auto bad :
       {"", "x", "2026-12-01|U-101", "2026-13-01|U-101|5", "2026-02-30|U|5", "2026-12-01|bad id|5",
        "2026-12-01|U-101|x", "2026-12-01|U-101|5|6", "26-12-01|U|5"})
    EXPECT_FALSE(parse_cursor(bad)) << bad;
}

}  // namespace
}  // namespace aftercare::intake::domain
