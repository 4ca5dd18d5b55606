// The adapters behind app/outreach.h's ports: the generic webhook provider (signed JSON over
// HTTP) and intake's registry as the contact directory.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>

#include "callback/app/outreach.h"

namespace aftercare::callback::app {

// POST {url} with the request body and X-AfterCare-Signature; 2xx is success. Plain http:// (the
// providers' relay sits inside the platform's network; see README).
class WebhookProvider final : public Provider {
 public:
  explicit WebhookProvider(std::chrono::milliseconds timeout = std::chrono::seconds(5))
      : timeout_(timeout) {}
  ProviderResult post(const store::ChannelRow& channel, const Outgoing& message) override;

 private:
  std::chrono::milliseconds timeout_;
};

// intake's GetUnit as the callback service (staff scope, sees the clear number).
class IntakeContactDirectory final : public ContactDirectory {
 public:
  explicit IntakeContactDirectory(std::shared_ptr<grpc::Channel> intake)
      : intake_(std::move(intake)) {}
  std::optional<Contact> contact(const std::string& unit_id) override;

 private:
  std::shared_ptr<grpc::Channel> intake_;
};

}  // namespace aftercare::callback::app
