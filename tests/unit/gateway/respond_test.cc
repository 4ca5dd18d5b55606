// Stages 5 and 6: which service a method belongs to, and how answers and statuses map to HTTP.
#include "gateway/respond.h"

#include <gtest/gtest.h>

#include "aftercare/v1/loyalty.pb.h"
#include "gateway/forward.h"

namespace aftercare::gateway {
namespace {

TEST(Respond, OneTableFromGrpcToHttp) {
  using grpc::StatusCode;
  EXPECT_EQ(http_status_of(StatusCode::INVALID_ARGUMENT).first, 400);
  EXPECT_EQ(http_status_of(StatusCode::UNAUTHENTICATED).first, 401);
  EXPECT_EQ(http_status_of(StatusCode::PERMISSION_DENIED).first, 403);
  EXPECT_EQ(http_status_of(StatusCode::NOT_FOUND).first, 404);
  EXPECT_EQ(http_status_of(StatusCode::FAILED_PRECONDITION).first, 409);
  EXPECT_EQ(http_status_of(StatusCode::RESOURCE_EXHAUSTED).first, 429);
  EXPECT_EQ(http_status_of(StatusCode::UNAVAILABLE),
            (std::pair<int, std::string>{503, "unavailable"}));
  EXPECT_EQ(http_status_of(StatusCode::DEADLINE_EXCEEDED).first, 503);
  EXPECT_EQ(http_status_of(StatusCode::INTERNAL).first, 500);
}

TEST(Respond, CreatesAre201UnlessNothingWasCreated) {
  Route earn{
      "POST", "/v1/members/{owner_id}/earnings", "aftercare.v1.LoyaltyService.Earn", {}, 201};
  aftercare::v1::Member m;
  m.set_owner_id("o1");
  m.set_balance(120);
  auto ok = respond(earn, grpc::Status::OK, m);
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(ok.content_type, "application/json; charset=utf-8");
  EXPECT_NE(ok.body.find("\"balance\":120"), std::string::npos);  // int64 as a JSON number
  auto failed = respond(earn, grpc::Status(grpc::StatusCode::NOT_FOUND, "member o1 not found"), m);
  EXPECT_EQ(failed.status, 404);
  EXPECT_EQ(failed.body, R"({"error":{"code":"not_found","message":"member o1 not found"}})");
}

TEST(Forward, MethodsAndTheirServices) {
  EXPECT_EQ(service_of("aftercare.v1.IntakeService.OpenTicket"), "intake");
  EXPECT_EQ(service_of("aftercare.v1.CallbacksService.RecordCallback"), "callback");
  EXPECT_EQ(service_of("other.Service.X"), "");
  aftercare::v1::Member::descriptor();  // links loyalty's descriptors
  EXPECT_NE(method_of("aftercare.v1.LoyaltyService.GetMember"), nullptr);
  EXPECT_EQ(method_of("aftercare.v1.LoyaltyService.Nope"), nullptr);
  // No channel for the service: UNAVAILABLE (503), at once.
  Forwarder f({}, std::chrono::seconds(1));
  auto req = std::make_shared<aftercare::v1::GetMemberRequest>();
  auto res = std::make_shared<aftercare::v1::Member>();
  grpc::Status got;
  f.call("aftercare.v1.LoyaltyService.GetMember", {}, req, res, "", {},
         [&](grpc::Status s) { got = s; });
  EXPECT_EQ(got.error_code(), grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace aftercare::gateway
