// The service host end to end: migrations on a real database, a gRPC service with health and
// reflection, caller identity and trace across a real gRPC hop, /healthz and /metrics, and a
// graceful stop on SIGTERM. Own binary: it blocks SIGTERM for the whole process.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <thread>

#include "common/call.h"
#include "common/service_host.h"
#include "gateway/health.h"
#include "support/echo.grpc.pb.h"
#include "support/test_env.h"

namespace aftercare::kit {
namespace {

class EchoService final : public aftercare::testing::Echo::Service {
  grpc::Status Echo(grpc::ServerContext* context, const aftercare::testing::EchoRequest* request,
                    aftercare::testing::EchoReply* reply) override {
    ServerCall call = begin_call(*context);
    reply->set_text(request->text());
    reply->set_trace_id(current_trace().trace_id);
    reply->set_caller_sub(call.caller.sub);
    reply->set_caller_role(call.caller.role_name());
    for (auto& p : call.caller.projects) reply->add_caller_projects(p);
    return grpc::Status::OK;
  }
};

// grpc.health.v1.Health/Check with an empty request; the reply's field 1 is the status
// (1 = SERVING, 2 = NOT_SERVING). Spoken as raw bytes to avoid compiling health.proto.
int health_status(std::shared_ptr<grpc::Channel> channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::ByteBuffer request, response;
  grpc::Slice empty("");
  request = grpc::ByteBuffer(&empty, 1);
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&](grpc::Status s) {
                   std::lock_guard lock(mu);
                   status = s;
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  if (!status.ok()) return -1;
  std::vector<grpc::Slice> slices;
  response.Dump(&slices);
  std::string bytes;
  for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return bytes.size() == 2 && bytes[0] == 0x08 ? bytes[1] : -1;
}

// The "echo" service on free ports with a fresh database.
Config echo_config(const std::string& database, const std::string& kafka_bootstrap) {
  Config config;
  config.service = "echo";
  config.db_url = testing::fresh_database(database);
  config.grpc_addr = "127.0.0.1:0";
  config.metrics_addr = "127.0.0.1:0";
  config.kafka_bootstrap = kafka_bootstrap;
  return config;
}

TEST(ServiceHost, ServesHealthCallerTraceAndMetricsThenStopsOnSigterm) {
  Config config = echo_config("t_service_host", testing::kafka_bootstrap());
  ServiceHost host(config);
  host.migrate({{1, "001_things.sql", "CREATE TABLE things (id int)"}});
  EchoService echo;
  host.add_service(&echo);
  std::atomic<bool> worker_stopped{false};
  host.add_worker("waiter", [&](std::stop_token stop) {
    while (!stop.stop_requested()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    worker_stopped = true;
  });
  std::atomic<int> exit_code{-1};
  std::thread runner([&] { exit_code = host.run(); });
  ASSERT_TRUE(testing::eventually([&] { return host.started(); }));

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  EXPECT_EQ(health_status(channel), 1);

  auto stub = aftercare::testing::Echo::NewStub(channel);
  TraceScope trace(TraceContext::fresh());
  Caller caller{"agent-9", kit::Role::agent, {"P01", "P02"}, {}, ""};
  auto context = client_context(caller);
  aftercare::testing::EchoRequest request;
  request.set_text("卫生间漏水");
  aftercare::testing::EchoReply reply;
  ASSERT_TRUE(stub->Echo(context.get(), request, &reply).ok());
  EXPECT_EQ(reply.text(), "卫生间漏水");
  EXPECT_EQ(reply.trace_id(), current_trace().trace_id);
  EXPECT_EQ(reply.caller_sub(), "agent-9");
  EXPECT_EQ(reply.caller_role(), "agent");
  EXPECT_EQ(reply.caller_projects_size(), 2);

  httplib::Client http("127.0.0.1", host.metrics_port());
  auto health = http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto metrics = http.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);

  // The service's migration ran after the kit's.
  PgPool pool(config.db_url, 1);
  pool.in_transaction([](pqxx::work& tx) {
    EXPECT_EQ(tx.exec("SELECT count(*) FROM kit_schema_migrations WHERE component = 'echo'")[0][0]
                  .as<int>(),
              1);
  });

  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  ASSERT_TRUE(
      testing::eventually([&] { return exit_code.load() != -1; }, std::chrono::seconds(15)));
  runner.join();
  EXPECT_EQ(exit_code.load(), 0);
  EXPECT_TRUE(worker_stopped.load());
  EXPECT_EQ(health_status(channel), -1);  // the server is gone
}

// Readiness tells the truth (issue 16): an event that waited too long to be published and a broker
// that does not answer turn /healthz 503 "degraded" naming both, and the service's named gRPC
// health NOT_SERVING (what the gateway shows), while /livez and /readyz stay 200: the API still
// works, the outbox keeps the events.
TEST(ServiceHost, HealthNamesAStuckOutboxAndAnUnreachableBrokerWhileLivenessStays) {
  Config config = echo_config("t_service_health", "127.0.0.1:9");  // no broker listens there
  config.outbox_max_age = std::chrono::seconds(30);
  ServiceHost host(config);
  host.migrate({});
  host.add_outbox_relay();
  std::atomic<int> exit_code{-1};
  std::thread runner([&] { exit_code = host.run(); });
  ASSERT_TRUE(testing::eventually([&] { return host.started(); }));
  PgPool pool(config.db_url, 1);
  pool.in_transaction([](pqxx::work& tx) {
    tx.exec(R"(INSERT INTO kit_outbox (event_id, topic, partition_key, event_type, payload,
                                       created_at)
               VALUES (gen_random_uuid(), 'aftercare.echo.v1', 'k', 'test.Waited', '\x00',
                       now() - interval '5 minutes'))");
  });

  httplib::Client http("127.0.0.1", host.metrics_port());
  std::string body;
  EXPECT_TRUE(testing::eventually(
      [&] {
        auto r = http.Get("/healthz");
        body = r ? r->body : "";
        return r && r->status == 503 && body.find("\"degraded\"") != std::string::npos &&
               body.find("\"outbox\"") != std::string::npos &&
               body.find("\"broker\"") != std::string::npos;
      },
      std::chrono::seconds(20)))
      << body;
  auto live = http.Get("/livez");
  ASSERT_TRUE(live);
  EXPECT_EQ(live->status, 200);
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(host.grpc_port()),
                                     grpc::InsecureChannelCredentials());
  EXPECT_EQ(health_status(channel), 1);  // liveness: the process serves
  EXPECT_TRUE(testing::eventually([&] {
    return gateway::service_readiness(channel, "echo", std::chrono::milliseconds(500)) ==
           "degraded";
  }));

  host.request_stop();
  runner.join();
  EXPECT_EQ(exit_code.load(), 0);
}

}  // namespace
}  // namespace aftercare::kit
