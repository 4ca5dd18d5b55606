// Partner webhooks: registration, the delivery log and redelivery by hand. The posting itself is
// app/webhook_sender.h; deliveries are queued with the partner feed's appends
// (store/batch_store.h).
#include "absl/strings/escaping.h"
#include "dispatch/dispatch_service.h"
#include "dispatch/domain/names.h"
#include "dispatch/domain/webhook.h"
#include "dispatch/handler_support.h"
#include "dispatch/store/technician_store.h"
#include "dispatch/store/webhook_store.h"

namespace aftercare::dispatch {
namespace {

using namespace handlers;  // NOLINT: the shared handler helpers

constexpr size_t kMaxUrlBytes = 2000;
constexpr size_t kMinSecretChars = 16;
constexpr size_t kMaxSecretChars = 256;
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !std::isxdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

// Admins, dispatchers of a project where the party is registered, the party itself and other
// services; anyone else learns nothing about the party (NOT_FOUND).
void require_party_access(pqxx::work& tx, const kit::Caller& caller, const std::string& party_id) {
  std::vector<std::string> projects = store::party_projects(tx, party_id);
  bool visible = false;
  if (caller.is(kit::Role::service)) {
    visible = true;
  } else if (is_partner(caller)) {
    visible = !caller.party_id.empty() && caller.party_id == party_id;
  } else {
    for (const std::string& p : projects) visible = visible || caller.sees_project(p);
  }
  if (!visible || projects.empty())
    refuse(StatusCode::NOT_FOUND, "party " + party_id + " not found");
}

void require_webhook_role(const kit::Caller& caller, const char* what) {
  require_role(is_dispatcher(caller) || is_partner(caller) || caller.is(kit::Role::service), caller,
               what);
}

std::string deliveries_filter_hash(const aftercare::v1::ListWebhookDeliveriesRequest& r) {
  return std::to_string(fnv1a(r.party_id() + "\x1f" + std::to_string(r.status())));
}

}  // namespace

Status DispatchServiceImpl::UpsertWebhook(Ctx* context,
                                          const aftercare::v1::UpsertWebhookRequest* req,
                                          aftercare::v1::Webhook* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("UpsertWebhook", [&] {
    const kit::Caller& caller = call.caller;
    require_webhook_role(caller, "register webhooks");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    domain::WebhookUrl url;
    check_input(domain::parse_webhook_url(req->url(), options_.webhook_allow_private_urls,
                                          kMaxUrlBytes, &url),
                "url");
    if (!req->secret().empty()) {
      check_input(domain::check_webhook_secret(req->secret(), kMinSecretChars, kMaxSecretChars),
                  "secret");
    }
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      require_party_access(tx, caller, req->party_id());
      std::optional<store::StoredWebhook> existing =
          store::find_webhook(tx, req->party_id(), /*for_update=*/true);
      if (!existing && req->secret().empty()) {
        throw Refusal{kit::invalid_field("secret", "is required for a new webhook")};
      }
      std::string secret = req->secret().empty() ? existing->secret : req->secret();
      store::upsert_webhook(tx, req->party_id(), req->url(), secret,
                            req->has_active() ? req->active() : true, now);
      return store::find_webhook(tx, req->party_id(), /*for_update=*/false)->webhook;
    });
  });
}

Status DispatchServiceImpl::GetWebhook(Ctx* context, const aftercare::v1::GetWebhookRequest* req,
                                       aftercare::v1::Webhook* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GetWebhook", [&] {
    const kit::Caller& caller = call.caller;
    require_webhook_role(caller, "read webhooks");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      require_party_access(tx, caller, req->party_id());
      auto webhook = store::find_webhook(tx, req->party_id(), /*for_update=*/false);
      if (!webhook) refuse(StatusCode::NOT_FOUND, "party " + req->party_id() + " has no webhook");
      return webhook->webhook;
    });
  });
}

Status DispatchServiceImpl::ListWebhookDeliveries(
    Ctx* context, const aftercare::v1::ListWebhookDeliveriesRequest* req,
    aftercare::v1::ListWebhookDeliveriesResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListWebhookDeliveries", [&] {
    const kit::Caller& caller = call.caller;
    require_webhook_role(caller, "read webhook deliveries");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    std::string status;
    if (req->status() != aftercare::v1::WEBHOOK_DELIVERY_STATUS_UNSPECIFIED) {
      check_input(domain::check_enum(req->status(), "status"), "status");
      status = domain::public_name(req->status());
    }
    if (req->page_size() < 0 || req->page_size() > kMaxPageSize) {
      throw Refusal{
          kit::invalid_field("page_size", "must be between 0 and " + std::to_string(kMaxPageSize))};
    }
    int page = req->page_size() == 0 ? kDefaultPageSize : req->page_size();
    std::string hash = deliveries_filter_hash(*req);
    int64_t before_seq = 0;
    if (!req->page_token().empty()) {
      std::string raw;
      aftercare::v1::PageCursor cursor;
      bool ok = absl::WebSafeBase64Unescape(req->page_token(), &raw) &&
                cursor.ParseFromString(raw) && cursor.filter_hash() == hash;
      if (ok) {
        try {
          before_seq = std::stoll(cursor.after_id());
        } catch (const std::exception&) {
          ok = false;
        }
      }
      if (!ok || before_seq <= 0)
        throw Refusal{kit::invalid_field("page_token", "is not a token of this listing")};
    }
    auto deliveries = db_.in_transaction([&](pqxx::work& tx) {
      require_party_access(tx, caller, req->party_id());
      return store::list_deliveries(tx, req->party_id(), status, before_seq, page + 1);
    });
    bool more = static_cast<int>(deliveries.size()) > page;
    if (more) deliveries.resize(page);
    for (auto& d : deliveries) *resp->add_deliveries() = d;
    if (more) {
      aftercare::v1::PageCursor cursor;
      cursor.set_after_id(deliveries.back().cursor());
      cursor.set_filter_hash(hash);
      resp->set_next_page_token(absl::WebSafeBase64Escape(cursor.SerializeAsString()));
    }
  });
}

Status DispatchServiceImpl::RedeliverWebhook(Ctx* context,
                                             const aftercare::v1::RedeliverWebhookRequest* req,
                                             aftercare::v1::WebhookDelivery* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RedeliverWebhook", [&] {
    const kit::Caller& caller = call.caller;
    require_webhook_role(caller, "redeliver webhooks");
    if (!is_uuid(req->delivery_id()))
      throw Refusal{kit::invalid_field("delivery_id", "must be a delivery id (UUID)")};
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      auto delivery = store::find_delivery(tx, req->delivery_id(), /*for_update=*/true);
      if (!delivery) refuse(StatusCode::NOT_FOUND, "delivery " + req->delivery_id() + " not found");
      try {
        require_party_access(tx, caller, delivery->party_id());
      } catch (const Refusal&) {
        refuse(StatusCode::NOT_FOUND, "delivery " + req->delivery_id() + " not found");
      }
      auto webhook = store::find_webhook(tx, delivery->party_id(), /*for_update=*/false);
      if (!webhook || !webhook->webhook.active()) {
        refuse(StatusCode::FAILED_PRECONDITION,
               "party " + delivery->party_id() + " has no active webhook");
      }
      store::redeliver(tx, req->delivery_id(), now);
      return *store::find_delivery(tx, req->delivery_id(), /*for_update=*/false);
    });
  });
}

}  // namespace aftercare::dispatch
