// Input checks and policy overrides.
#include <gtest/gtest.h>

#include <string>

#include "intake/domain/names.h"
#include "intake/domain/policy.h"
#include "intake/domain/validation.h"

namespace aftercare::intake::domain {
namespace {

namespace v1 = aftercare::v1;

std::string repeat(const std::string& piece, int times) {
  std::string out;
  for (int i = 0; i < times; ++i) out += piece;
  return out;
}

TEST(Utf8, CountsCodePointsNotBytes) {
  EXPECT_EQ(utf8_length(""), 0u);
  EXPECT_EQ(utf8_length("abc"), 3u);
  EXPECT_EQ(utf8_length("卫生间漏水"), 5u);  // 3 bytes each
  EXPECT_EQ(utf8_length("é"), 1u);           // 2 bytes
  EXPECT_EQ(utf8_length("漏水😢"), 3u);       // 4-byte emoji
}

TEST(Utf8, RefusesInvalidSequences) {
  EXPECT_EQ(utf8_length("\xE6\xBC"), std::nullopt);          // truncated 漏
  EXPECT_EQ(utf8_length("ok\xFF"), std::nullopt);            // never valid
  EXPECT_EQ(utf8_length("\xC0\xAF"), std::nullopt);          // overlong '/'
  EXPECT_EQ(utf8_length("\xE0\x80\xAF"), std::nullopt);      // overlong '/'
  EXPECT_EQ(utf8_length("\xED\xA0\x80"), std::nullopt);      // surrogate U+D800
  EXPECT_EQ(utf8_length("\xF4\x90\x80\x80"), std::nullopt);  // beyond U+10FFFF
  EXPECT_EQ(utf8_length("\x80"), std::nullopt);              // stray continuation
  EXPECT_EQ(utf8_length("\xE6\x41\x41"), std::nullopt);      // continuation expected
}

TEST(Description, TwoThousandChineseCharactersAreFine) {
  std::string text = repeat("漏", 2000);
  ASSERT_EQ(text.size(), 6000u);
  EXPECT_EQ(check_description(text), "");
  EXPECT_EQ(check_description(text + "水"), "description must be at most 2000 characters");
  EXPECT_EQ(check_description(repeat("a", 2000)), "");
  EXPECT_EQ(check_description(repeat("a", 2001)), "description must be at most 2000 characters");
}

TEST(Description, RefusesEmptyInvalidUtf8AndNul) {
  EXPECT_EQ(check_description(""), "description is required");
  EXPECT_EQ(check_description("卫生间\xE6\xBC"), "description is not valid UTF-8");
  EXPECT_EQ(check_description(std::string("a\0b", 3)),
            "description must not contain NUL characters");
  EXPECT_EQ(check_text("x", "reason", 10), "");
  EXPECT_EQ(check_text("", "reason", 10), "reason is required");
}

TEST(Ids, LettersDigitsUnderscoreHyphenUpTo64) {
  EXPECT_EQ(check_id("P01", "project_id"), "");
  EXPECT_EQ(check_id("unit_3-1204", "unit_id"), "");
  EXPECT_EQ(check_id(repeat("a", 64), "unit_id"), "");
  EXPECT_EQ(check_id(repeat("a", 65), "unit_id"), "unit_id must be at most 64 characters");
  EXPECT_EQ(check_id("", "unit_id"), "unit_id is required");
  for (const char* bad : {"a b", "a/b", "a.b", "单元", "a%20", "a\nb"}) {
    EXPECT_EQ(check_id(bad, "unit_id"), "unit_id may contain only letters, digits, '_' and '-'")
        << bad;
  }
}

TEST(TimeZone, LoadableIanaNamesOnly) {
  EXPECT_EQ(check_time_zone("Asia/Shanghai"), "");
  EXPECT_EQ(check_time_zone("UTC"), "");
  EXPECT_EQ(check_time_zone("America/Argentina/Buenos_Aires"), "");
  const std::string error = "timezone must be an IANA time zone name such as Asia/Shanghai";
  EXPECT_EQ(check_time_zone(""), "timezone is required");
  for (const char* bad : {"Mars/Olympus_Mons", "/etc/passwd", "../../etc/passwd", "Asia/../UTC",
                          "localtime", "Asia Shanghai"}) {
    EXPECT_EQ(check_time_zone(bad), error) << bad;
  }
}

TEST(Area, HundredthsOfSquareMetres) {
  EXPECT_EQ(check_area_centi_m2(8850), "");
  EXPECT_EQ(check_area_centi_m2(100'000'000), "");
  EXPECT_EQ(check_area_centi_m2(0), "area_centi_m2 must be greater than 0 and at most 100000000");
  EXPECT_EQ(check_area_centi_m2(-1, "area_m2"),
            "area_m2 must be greater than 0 and at most 100000000");
  EXPECT_NE(check_area_centi_m2(100'000'001), "");
}

v1::Date date(int y, int m, int d) {
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

TEST(Dates, RealCalendarDatesOnly) {
  EXPECT_EQ(check_date(date(2024, 2, 29), "handover_date"), "");
  EXPECT_EQ(check_date(date(2026, 12, 31), "handover_date"), "");
  EXPECT_EQ(check_date(date(2026, 2, 29), "handover_date"), "handover_date is not a valid date");
  EXPECT_EQ(check_date(date(1900, 2, 29), "d"), "d is not a valid date");
  EXPECT_EQ(check_date(date(2000, 2, 29), "d"), "");
  EXPECT_EQ(check_date(date(2026, 4, 31), "d"), "d is not a valid date");
  EXPECT_EQ(check_date(date(2026, 13, 1), "d"), "d is not a valid date");
  EXPECT_EQ(check_date(date(2026, 0, 1), "d"), "d is not a valid date");
  EXPECT_EQ(check_date(date(2026, 1, 0), "d"), "d is not a valid date");
  EXPECT_EQ(check_date(date(26, 1, 1), "d"), "d must have a 4-digit year");
  EXPECT_EQ(check_date(v1::Date(), "d"), "d must have a 4-digit year");
}

TEST(Phone, DigitsSpacesHyphensAndALeadingPlus) {
  EXPECT_EQ(check_phone("13800000000"), "");
  EXPECT_EQ(check_phone("+86 138-0000-0000"), "");
  EXPECT_EQ(check_phone("95588"), "");
  EXPECT_EQ(check_phone("1234"), "owner_phone must be 5 to 20 characters");
  EXPECT_EQ(check_phone(repeat("1", 21)), "owner_phone must be 5 to 20 characters");
  EXPECT_EQ(check_phone("138+0000000"),
            "owner_phone may contain only digits, spaces, '-' and a leading '+'");
  EXPECT_EQ(check_phone("tel:13800000000"),
            "owner_phone may contain only digits, spaces, '-' and a leading '+'");
  EXPECT_EQ(check_phone("+ - - 12"), "owner_phone must contain at least 5 digits");
}

TEST(Enums, PublicNamesAndChecks) {
  EXPECT_EQ(public_name(v1::TICKET_KIND_REPAIR), "repair");
  EXPECT_EQ(public_name(v1::CHANNEL_WALK_IN), "walk_in");
  EXPECT_EQ(public_name(v1::TICKET_CATEGORY_PUBLIC_FACILITY), "public_facility");
  EXPECT_EQ(public_name(static_cast<v1::Component>(99)), "99");
  EXPECT_EQ(parse_public_name<v1::Urgency>("emergency"), v1::URGENCY_EMERGENCY);
  EXPECT_EQ(parse_public_name<v1::Urgency>("unspecified"), std::nullopt);
  EXPECT_EQ(parse_public_name<v1::Urgency>("EMERGENCY"), std::nullopt);
  EXPECT_EQ(check_enum(v1::URGENCY_NORMAL, "urgency"), "");
  EXPECT_EQ(check_enum(v1::URGENCY_UNSPECIFIED, "urgency"),
            "urgency must be one of emergency, normal");
  EXPECT_EQ(check_enum(static_cast<v1::TicketKind>(9), "kind"),
            "kind must be one of repair, complaint, consultation, suggestion, praise");
}

TEST(Policy, DefaultsAreTheDomainNumbers) {
  IntakePolicy p = IntakePolicy::defaults();
  EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_HOUSE_QUALITY), 30);
  EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_DECORATION), 15);
  EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_PUBLIC_FACILITY), 30);
  EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_OTHER), 15);
  EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_UNSPECIFIED), 15);  // catch-all
  EXPECT_EQ(p.warranty_years_of(v1::COMPONENT_STRUCTURE), 50);
  EXPECT_EQ(p.warranty_years_of(v1::COMPONENT_UNSPECIFIED), 1);  // catch-all
  EXPECT_EQ(p.emergency_response_minutes, 120);
  EXPECT_EQ(p.normal_response_working_days, 1);
  EXPECT_EQ(p.complaint_reply_hours, 24);
  EXPECT_EQ(p.max_backdate_days, 30);
  EXPECT_EQ(p.fine_min_fen, 20000);
  EXPECT_EQ(p.fine_max_fen, 100000);
  EXPECT_EQ(p.level2_fine_multiplier, 2);
}

TEST(Policy, UnsetFieldsKeepTheirValueSetFieldsOverride) {
  IntakePolicy p = IntakePolicy::defaults();
  v1::Policy overrides;
  v1::CategoryDays* days = overrides.mutable_ticket()->add_resolve_working_days();
  days->set_category(v1::TICKET_CATEGORY_DECORATION);
  days->set_working_days(10);
  v1::ComponentWarranty* years = overrides.mutable_ticket()->add_warranty_years();
  years->set_component(v1::COMPONENT_ELEVATOR);
  years->set_years(3);
  overrides.mutable_ticket()->set_complaint_reply_hours(12);
  overrides.mutable_ticket()->set_max_backdate_days(0);
  overrides.mutable_ticket()->set_fine_min_fen(30000);
  ASSERT_EQ(p.apply_overrides(overrides), "");
  EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_DECORATION), 10);
  EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_HOUSE_QUALITY), 30);
  EXPECT_EQ(p.warranty_years_of(v1::COMPONENT_ELEVATOR), 3);
  EXPECT_EQ(p.warranty_years_of(v1::COMPONENT_GAS), 2);
  EXPECT_EQ(p.complaint_reply_hours, 12);
  EXPECT_EQ(p.max_backdate_days, 0);
  EXPECT_EQ(p.fine_min_fen, 30000);
  EXPECT_EQ(p.emergency_response_minutes, 120);
  EXPECT_EQ(p.repair_level1_at_report, 3);

  // The effective values round-trip through the proto.
  v1::TicketPolicy effective;
  p.to_proto(&effective);
  EXPECT_EQ(effective.resolve_working_days_size(), 4);
  EXPECT_EQ(effective.warranty_years_size(), 13);
  EXPECT_TRUE(effective.has_level2_fine_multiplier());
  IntakePolicy again = IntakePolicy::defaults();
  v1::Policy wrapped;
  *wrapped.mutable_ticket() = effective;
  ASSERT_EQ(again.apply_overrides(wrapped), "");
  EXPECT_EQ(again.resolve_working_days, p.resolve_working_days);
  EXPECT_EQ(again.warranty_years, p.warranty_years);
  EXPECT_EQ(again.fine_min_fen, 30000);
}

TEST(Policy, BadOverridesNameTheFieldAndChangeNothing) {
  auto apply = [](auto&& edit) {
    IntakePolicy p = IntakePolicy::defaults();
    v1::Policy overrides;
    edit(*overrides.mutable_ticket());
    std::string error = p.apply_overrides(overrides);
    if (!error.empty()) {
      EXPECT_EQ(p.fine_min_fen, 20000);
      EXPECT_EQ(p.resolve_working_days_of(v1::TICKET_CATEGORY_HOUSE_QUALITY), 30);
      EXPECT_EQ(p.complaint_reply_hours, 24);
    }
    return error;
  };
  EXPECT_EQ(apply([](v1::TicketPolicy& t) {
              auto* d = t.add_resolve_working_days();
              d->set_category(v1::TICKET_CATEGORY_DECORATION);
              d->set_working_days(0);
            }),
            "ticket.resolve_working_days.decoration must be between 1 and 365");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) {
              auto* d = t.add_resolve_working_days();
              d->set_category(v1::TICKET_CATEGORY_HOUSE_QUALITY);
              d->set_working_days(20);
              d = t.add_resolve_working_days();
              d->set_category(v1::TICKET_CATEGORY_HOUSE_QUALITY);
              d->set_working_days(25);
            }),
            "ticket.resolve_working_days.house_quality is given more than once");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) { t.add_resolve_working_days()->set_working_days(5); }),
            "ticket.resolve_working_days.category must be one of house_quality, decoration, "
            "public_facility, other");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) {
              auto* w = t.add_warranty_years();
              w->set_component(v1::COMPONENT_ROOF_WATERPROOFING);
              w->set_years(-5);
            }),
            "ticket.warranty_years.roof_waterproofing must be between 1 and 100");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) {
              t.set_complaint_reply_hours(12);  // valid, but must not stick
              t.set_emergency_response_minutes(0);
            }),
            "ticket.emergency_response_minutes must be between 1 and 1440");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) { t.set_repair_level1_at_report(1); }),
            "ticket.repair_level1_at_report must be between 2 and 100");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) { t.set_repair_level1_at_report(4); }),
            "ticket.repair_level2_at_report must be greater than ticket.repair_level1_at_report");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) { t.set_complaint_level2_at_report(2); }),
            "ticket.complaint_level2_at_report must be greater than "
            "ticket.complaint_level1_at_report");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) {
              t.set_fine_min_fen(30000);
              t.set_fine_max_fen(25000);
            }),
            "ticket.fine_max_fen must not be less than ticket.fine_min_fen");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) { t.set_fine_min_fen(-1); }),
            "ticket.fine_min_fen must be between 0 and 100000000");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) { t.set_level2_fine_multiplier(0); }),
            "ticket.level2_fine_multiplier must be between 1 and 10");
  EXPECT_EQ(apply([](v1::TicketPolicy& t) { t.set_max_backdate_days(-1); }),
            "ticket.max_backdate_days must be between 0 and 365");
}

}  // namespace
}  // namespace aftercare::intake::domain
