#include "gateway/admin.h"

#include <httplib.h>

namespace aftercare::gateway {
namespace {

void reply(httplib::Response& res, const HttpResponse& from) {
  res.status = from.status;
  res.set_content(from.body, from.content_type.empty() ? "application/json" : from.content_type);
}

}  // namespace

AdminServer::AdminServer(Handlers handlers)
    : handlers_(std::move(handlers)), http_(std::make_unique<httplib::Server>()) {
  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.metrics(), "text/plain; version=0.0.4");
  });
  http_->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, handlers_.healthz());
  });
  http_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    reply(res, handlers_.readyz());
  });
  http_->Get("/livez", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"status":"alive"})", "application/json");
  });
}

AdminServer::~AdminServer() {
  stop();
}

int AdminServer::bind(const std::string& host, int port) {
  if (port == 0) return http_->bind_to_any_port(host);
  return http_->bind_to_port(host, port) ? port : -1;
}

void AdminServer::start() {
  thread_ = std::thread([this] { http_->listen_after_bind(); });
}

void AdminServer::stop() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace aftercare::gateway
