#include "common/json_codec.h"

#include <gtest/gtest.h>

#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/intake.pb.h"

namespace aftercare::kit {
namespace {

using nlohmann::json;

TEST(JsonCodec, BytesAreBase64BothWaysAndAnythingElseIsRefused) {
  const std::string png("\x89PNG\r\n\x1a\n\0\xff", 10);
  v1::AddAttachmentRequest in;
  ASSERT_EQ(from_json(json{{"content", "iVBORw0KGgoA/w=="}}, &in), "");
  EXPECT_EQ(in.content(), png);  // the bytes themselves, not the base64 text
  v1::Attachment out;
  out.set_content(png);
  EXPECT_EQ(to_json(out)["content"], "iVBORw0KGgoA/w==");
  v1::AddAttachmentRequest bad;
  EXPECT_NE(from_json(json{{"content", "not base64!"}}, &bad), "");
  EXPECT_EQ(bad.content(), "");
}

TEST(JsonCodec, PrintsContractConventions) {
  v1::Ticket t;
  t.set_ticket_id("t1");
  t.set_kind(v1::TICKET_KIND_REPAIR);
  t.set_channel(v1::CHANNEL_WALK_IN);
  t.set_fine_fen(9007199254740993LL);  // above 2^53: must stay an exact integer
  t.mutable_warranty_ends()->set_year(2030);
  t.mutable_warranty_ends()->set_month(2);
  t.mutable_warranty_ends()->set_day(28);
  t.mutable_reported_at()->set_seconds(1795399200);
  json j = to_json(t);
  EXPECT_EQ(j["kind"], "repair");
  EXPECT_EQ(j["channel"], "walk_in");
  EXPECT_TRUE(j["fine_fen"].is_number_integer());
  EXPECT_EQ(j["fine_fen"].get<int64_t>(), 9007199254740993LL);
  EXPECT_EQ(j["warranty_ends"], "2030-02-28");
  EXPECT_EQ(j["reported_at"], "2026-11-23T02:00:00Z");
  EXPECT_EQ(j["escalation_level"], 0);  // defaults are printed, with their type
  EXPECT_EQ(j["owner_agent"], "");
  EXPECT_EQ(j["in_warranty"], false);
  EXPECT_TRUE(j["resolved_at"].is_null());  // unset message
}

TEST(JsonCodec, AreaIsExposedInSquareMetresAndStoredInHundredths) {
  v1::UpsertUnitRequest u;
  ASSERT_EQ(from_json(json{{"area_m2", 88.5}, {"handover_date", "2025-02-28"}}, &u), "");
  EXPECT_EQ(u.area_centi_m2(), 8850);
  EXPECT_EQ(u.handover_date().day(), 28);
  EXPECT_EQ(to_json(u)["area_m2"], 88.5);
  EXPECT_NE(from_json(json{{"area_m2", 88.505}}, &u), "");
  EXPECT_NE(from_json(json{{"area_centi_m2", 8850}}, &u), "");  // only the public name
}

TEST(JsonCodec, ParsesStrictlyAndNamesTheField) {
  v1::OpenTicketRequest r;
  EXPECT_EQ(from_json(json{{"kind", "repair"}, {"description", "厨房水管漏水"}}, &r), "");
  EXPECT_EQ(r.kind(), v1::TICKET_KIND_REPAIR);
  EXPECT_EQ(r.description(), "厨房水管漏水");
  std::string e = from_json(json{{"kind", "fix"}}, &r);
  EXPECT_EQ(e.rfind("kind: must be one of repair, complaint", 0), 0u) << e;
  EXPECT_EQ(from_json(json{{"kind", "unspecified"}}, &r).rfind("kind:", 0), 0u);
  EXPECT_EQ(from_json(json{{"colour", "red"}}, &r), "colour: unknown field");
  EXPECT_EQ(from_json(json{{"description", 5}}, &r), "description: must be a string");
  EXPECT_EQ(from_json(json{{"reported_at", "yesterday"}}, &r)
                .rfind("reported_at: must be an RFC 3339", 0),
            0u);
  ASSERT_EQ(from_json(json{{"reported_at", "2026-11-23T10:00:00+08:00"}}, &r), "");
  EXPECT_EQ(r.reported_at().seconds(), 1795399200);  // 10:00 in Shanghai = 02:00 UTC
  v1::RecordPaymentRequest p;
  EXPECT_EQ(from_json(json{{"amount_fen", 10.5}}, &p), "amount_fen: must be an integer");
  EXPECT_EQ(from_json(json{{"amount_fen", "100"}}, &p), "amount_fen: must be an integer");
  EXPECT_EQ(from_json(json{{"amount_fen", "100"}}, &p, /*from_url=*/true), "");
  EXPECT_EQ(p.amount_fen(), 100);
  v1::RunBillingRequest run;
  EXPECT_EQ(from_json(json{{"period", "2026-11"}}, &run), "");
  EXPECT_EQ(run.period().month(), 11);
  EXPECT_NE(from_json(json{{"period", "2026-13"}}, &run), "");
  EXPECT_NE(from_json(json{{"period", "2026-1"}}, &run), "");
  v1::UpsertUnitRequest u;
  EXPECT_NE(from_json(json{{"handover_date", "2026-02-30"}}, &u), "");
  EXPECT_EQ(from_json(json::array(), &u), "body must be a JSON object");
}

}  // namespace
}  // namespace aftercare::kit
