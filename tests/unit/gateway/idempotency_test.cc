// Stage 4: the first answer under a key is replayed, a different request or one still running
// under the same key is a 409, a failed create frees the key, and the key reaches the request.
#include "gateway/idempotency.h"

#include <gtest/gtest.h>

#include <map>

#include "aftercare/v1/intake.pb.h"

namespace aftercare::gateway {
namespace {

class MapStore : public ReplayStore {
 public:
  std::optional<Stored> claim(const std::string& key, const std::string& hash,
                              bool* claimed) override {
    *claimed = false;
    if (down) return std::nullopt;
    auto it = records.find(key);
    if (it != records.end()) return it->second;
    records[key] = Stored{hash, 0, ""};
    *claimed = true;
    return std::nullopt;
  }
  void complete(const std::string& key, const std::string& hash, int status,
                const std::string& body) override {
    records[key] = Stored{hash, status, body};
  }
  void release(const std::string& key) override { records.erase(key); }
  std::map<std::string, Stored> records;
  bool down = false;
};

const Route kOpen{"POST", "/v1/tickets", "aftercare.v1.IntakeService.OpenTicket", {}, 201, true};
const kit::Caller kAgent{"agent-1", kit::Role::agent, {"P01"}, {}, ""};

HttpRequest create(const std::string& key, const std::string& body) {
  HttpRequest r;
  r.method = "POST";
  parse_target("/v1/tickets", &r);
  r.headers.emplace("Idempotency-Key", key);
  r.body = body;
  return r;
}

TEST(Idempotency, ReplaysTheFirstAnswer) {
  MapStore store;
  IdempotencyStage stage(store);
  aftercare::v1::OpenTicketRequest m;
  IdempotencyStage::Claim claim;
  ASSERT_FALSE(stage.begin(kOpen, create("k1", "{}"), kAgent, &m, &claim));
  EXPECT_EQ(m.idempotency_key(), "k1");
  EXPECT_TRUE(claim.claimed);
  // While the first runs, a repeat is told so.
  IdempotencyStage::Claim again;
  EXPECT_EQ(stage.begin(kOpen, create("k1", "{}"), kAgent, &m, &again)->status, 409);
  stage.finish(claim, json_response(201, {{"ticket_id", "T1"}}));
  auto replay = stage.begin(kOpen, create("k1", "{}"), kAgent, &m, &again);
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 201);
  EXPECT_EQ(replay->header("Idempotent-Replayed"), "true");
  EXPECT_EQ(replay->body, R"({"ticket_id":"T1"})");
  auto other = stage.begin(kOpen, create("k1", R"({"x":1})"), kAgent, &m, &again);
  EXPECT_EQ(other->status, 409);
  EXPECT_NE(other->body.find("idempotency_key_reused"), std::string::npos);
}

TEST(Idempotency, AFailedCreateFreesTheKeyAndAStoreOutageLetsItThrough) {
  MapStore store;
  IdempotencyStage stage(store);
  aftercare::v1::OpenTicketRequest m;
  IdempotencyStage::Claim claim;
  ASSERT_FALSE(stage.begin(kOpen, create("k2", "{}"), kAgent, &m, &claim));
  stage.finish(claim, error_response(503, "unavailable", "down"));
  EXPECT_TRUE(store.records.empty());
  store.down = true;
  ASSERT_FALSE(stage.begin(kOpen, create("k3", "{}"), kAgent, &m, &claim));
  EXPECT_FALSE(claim.claimed);
  EXPECT_EQ(claim.header_key, "k3");  // still forwarded: the service dedups by it
  EXPECT_EQ(stage.begin(kOpen, create(std::string(201, 'k'), "{}"), kAgent, &m, &claim)->status,
            400);
}

}  // namespace
}  // namespace aftercare::gateway
