// intake_loadgen: the two load shapes of tests/bench/run that wrk cannot make (not a ctest).
//
//   intake_loadgen grpc-get --target HOST:PORT --ticket ID --connections C --seconds D
//                  [--role agent --sub S --projects p1,p2]
//     Closed loop: C threads call IntakeService.GetTicket directly over ONE channel (as the
//     gateway does), with the caller metadata the gateway would forward. The gateway's added
//     latency is this compared with `GET /v1/tickets/{id}` through wrk at the same C.
//
//   intake_loadgen paced-post --url http://HOST:PORT --token JWT --rate R --seconds D
//                  --project P --unit-prefix PFX --units N [--workers W] [--offset K]
//                  [--categories c1,c2,...] [--max-seconds M] --out FILE
//     Open loop: POST /v1/tickets at R per second (request k is due at start + k/R) from W
//     keep-alive connections, each ticket a distinct issue (unit x category x component, so no
//     ticket is linked as a duplicate and each gets a work order) with its own Idempotency-Key.
//     --offset skips the first K issues (for a second run against the same units); --categories
//     limits the issues to those categories (default all four; e.g. house_quality,decoration:
//     home repairs only, none a public report that may join an incident proposal). When the
//     platform cannot keep up, requests not started within M seconds (default D + 15) are not
//     sent at all: the run stays bounded and reports what it achieved.
//     Writes "ticket_id,accepted_us,due_us,status" per request (accepted_us: wall clock when the
//     201 arrived, microseconds since the epoch, comparable with PostgreSQL timestamps).
//
// Both print one line "RESULT key=value ..." for the calling script.
#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "aftercare/v1/intake.grpc.pb.h"
#include "common/call.h"

namespace {

using Clock = std::chrono::steady_clock;

std::map<std::string, std::string> parse_flags(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (!key.starts_with("--")) throw std::invalid_argument("expected --flag value, got " + key);
    flags[key.substr(2)] = argv[i + 1];
  }
  return flags;
}

std::string flag(const std::map<std::string, std::string>& f, const std::string& key,
                 const std::string& fallback = "") {
  auto it = f.find(key);
  if (it != f.end()) return it->second;
  if (fallback.empty()) throw std::invalid_argument("missing --" + key);
  return fallback;
}

// Nearest-rank percentile of sorted microseconds, in milliseconds.
double pct_ms(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  return static_cast<double>(sorted[std::min(rank, sorted.size() - 1)]) / 1000.0;
}

int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int grpc_get(const std::map<std::string, std::string>& f) {
  std::string target = flag(f, "target"), ticket = flag(f, "ticket");
  int conns = std::stoi(flag(f, "connections", "16"));
  double seconds = std::stod(flag(f, "seconds", "10"));
  aftercare::kit::Caller caller{flag(f, "sub", "bench-agent"),
                                aftercare::kit::role_from_name(flag(f, "role", "agent")),
                                aftercare::kit::split_list(flag(f, "projects", "*")),
                                {},
                                ""};
  auto channel = aftercare::kit::service_channel(target);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(5))) {
    std::fprintf(stderr, "grpc-get: cannot connect to %s\n", target.c_str());
    return 1;
  }
  auto stub = aftercare::v1::IntakeService::NewStub(channel);
  {  // one call up front: fails fast on a wrong id or caller, like a smoke test
    aftercare::v1::GetTicketRequest req;
    req.set_ticket_id(ticket);
    aftercare::v1::Ticket out;
    auto ctx = aftercare::kit::client_context(caller);
    auto s = stub->GetTicket(ctx.get(), req, &out);
    if (!s.ok()) {
      std::fprintf(stderr, "grpc-get: GetTicket %s: %d %s\n", ticket.c_str(), s.error_code(),
                   s.error_message().c_str());
      return 1;
    }
  }
  std::vector<std::vector<int64_t>> lat(conns);
  std::atomic<int64_t> errors{0};
  auto start = Clock::now();
  auto stop_at = start + std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6));
  std::vector<std::thread> threads;
  for (int i = 0; i < conns; ++i) {
    threads.emplace_back([&, i] {
      aftercare::v1::GetTicketRequest req;
      req.set_ticket_id(ticket);
      aftercare::v1::Ticket out;
      lat[i].reserve(200000);
      while (Clock::now() < stop_at) {
        auto t0 = Clock::now();
        auto ctx = aftercare::kit::client_context(caller);
        auto s = stub->GetTicket(ctx.get(), req, &out);
        auto t1 = Clock::now();
        if (!s.ok()) ++errors;
        lat[i].push_back(std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<int64_t> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  std::printf("RESULT requests=%zu errors=%lld rps=%.1f p50_ms=%.2f p99_ms=%.2f\n", all.size(),
              static_cast<long long>(errors.load()), static_cast<double>(all.size()) / elapsed,
              pct_ms(all, 50), pct_ms(all, 99));
  return 0;
}

const char* kCategories[] = {"house_quality", "decoration", "public_facility", "other"};
const char* kComponents[] = {"structure",     "roof_waterproofing", "bathroom_waterproofing",
                             "exterior_wall", "electrical",         "plumbing",
                             "heating",       "decoration",         "door_window",
                             "elevator",      "fire_safety",        "gas",
                             "other"};
constexpr int kComponentsPerCategory = 13;

struct Sample {
  std::string ticket_id;
  int64_t accepted_us = 0, due_us = 0, latency_us = 0, late_us = 0;
  int status = 0;
};

int paced_post(const std::map<std::string, std::string>& f) {
  std::string url = flag(f, "url"), token = flag(f, "token"), project = flag(f, "project");
  std::string prefix = flag(f, "unit-prefix"), out_path = flag(f, "out");
  double rate = std::stod(flag(f, "rate", "500")), seconds = std::stod(flag(f, "seconds", "30"));
  int units = std::stoi(flag(f, "units")), workers = std::stoi(flag(f, "workers", "64"));
  std::string run = flag(f, "run-id", std::to_string(wall_us()));
  int64_t total = static_cast<int64_t>(rate * seconds);
  int64_t offset = std::stoll(flag(f, "offset", "0"));
  double max_seconds = std::stod(flag(f, "max-seconds", std::to_string(seconds + 15)));
  std::vector<std::string> categories;
  std::string list = flag(f, "categories", "house_quality,decoration,public_facility,other");
  for (size_t start = 0; start <= list.size();) {
    size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) categories.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  for (const std::string& c : categories) {
    if (std::find(std::begin(kCategories), std::end(kCategories), c) == std::end(kCategories)) {
      std::fprintf(stderr, "paced-post: unknown category %s\n", c.c_str());
      return 2;
    }
  }
  const int issues_per_unit = static_cast<int>(categories.size()) * kComponentsPerCategory;
  if (categories.empty() || offset + total > static_cast<int64_t>(units) * issues_per_unit) {
    std::fprintf(stderr, "paced-post: %lld tickets need more than %d units (%d issues each)\n",
                 static_cast<long long>(total), units, issues_per_unit);
    return 2;
  }
  std::vector<Sample> samples(total);
  std::atomic<int64_t> next{0};
  auto start = Clock::now() + std::chrono::milliseconds(200);
  auto give_up = start + std::chrono::microseconds(static_cast<int64_t>(max_seconds * 1e6));
  int64_t start_wall = wall_us() + 200000;
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w) {
    threads.emplace_back([&] {
      httplib::Client cli(url);
      cli.set_keep_alive(true);
      // Without it the request body waits for the ACK of the headers (Nagle + delayed ACK: 40 ms).
      cli.set_tcp_nodelay(true);
      cli.set_connection_timeout(5, 0);
      cli.set_read_timeout(30, 0);
      httplib::Headers headers{{"Authorization", "Bearer " + token}};
      for (int64_t k; (k = next.fetch_add(1)) < total;) {
        auto due_offset = std::chrono::microseconds(static_cast<int64_t>(k * 1e6 / rate));
        std::this_thread::sleep_until(start + due_offset);
        if (Clock::now() > give_up) break;  // samples[k..] stay unsent (status 0)
        // Issue k: unit (k mod units), category x component (k / units): all distinct.
        int64_t unit = (k + offset) % units + 1, issue = (k + offset) / units;
        nlohmann::json body = {
            {"project_id", project},
            {"unit_id", prefix + std::to_string(unit)},
            {"kind", "repair"},
            {"category", categories[issue / kComponentsPerCategory]},
            {"component", kComponents[issue % kComponentsPerCategory]},
            {"urgency", "normal"},
            {"channel", "app"},
            {"description", "e2e bench " + run + " #" + std::to_string(k) + ": 卫生间天花板渗水"}};
        auto h = headers;
        h.emplace("Idempotency-Key", "e2e-" + run + "-" + std::to_string(k));
        Sample& s = samples[k];
        s.due_us = start_wall + due_offset.count();
        auto t0 = Clock::now();
        auto res = cli.Post("/v1/tickets", h, body.dump(), "application/json");
        auto t1 = Clock::now();
        s.accepted_us = wall_us();
        s.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count();
        s.late_us = std::chrono::duration_cast<std::chrono::microseconds>(t0 - (start + due_offset))
                        .count();
        s.status = res ? res->status : -static_cast<int>(res.error());
        if (res && res->status == 201) {
          try {
            s.ticket_id = nlohmann::json::parse(res->body).at("ticket_id").get<std::string>();
          } catch (const std::exception&) {
            s.status = -100;
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::ofstream out(out_path);
  int64_t sent = 0;
  out << "ticket_id,accepted_us,due_us,status\n";
  std::vector<int64_t> lat, late;
  int64_t ok = 0;
  std::map<int, int64_t> by_status;
  for (const auto& s : samples) {
    ++by_status[s.status];
    if (s.status == 0) continue;  // never sent
    ++sent;
    if (s.status == 201) {
      ++ok;
      out << s.ticket_id << ',' << s.accepted_us << ',' << s.due_us << ',' << s.status << '\n';
    }
    lat.push_back(s.latency_us);
    late.push_back(s.late_us);
  }
  std::sort(lat.begin(), lat.end());
  std::sort(late.begin(), late.end());
  std::string statuses;
  for (auto [code, n] : by_status)
    statuses += (statuses.empty() ? "" : ",") + std::to_string(code) + ":" + std::to_string(n);
  std::printf(
      "RESULT planned=%lld sent=%lld ok=%lld target_rps=%.1f achieved_rps=%.1f "
      "elapsed_s=%.1f http_p50_ms=%.2f http_p99_ms=%.2f send_late_p99_ms=%.2f statuses=%s\n",
      static_cast<long long>(total), static_cast<long long>(sent), static_cast<long long>(ok), rate,
      static_cast<double>(sent) / elapsed, elapsed, pct_ms(lat, 50), pct_ms(lat, 99),
      pct_ms(late, 99), statuses.c_str());
  return ok > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "grpc-get") return grpc_get(parse_flags(argc, argv));
    if (cmd == "paced-post") return paced_post(parse_flags(argc, argv));
    std::fprintf(stderr,
                 "usage: intake_loadgen grpc-get|paced-post --flag value ... (see source)\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "intake_loadgen: %s\n", e.what());
    return 2;
  }
}
