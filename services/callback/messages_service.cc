// The gRPC edge of owner messages (issue 18): validate, authorize, call app/outreach, map.
#include <algorithm>
#include <set>

#include "callback/app/outreach.h"
#include "callback/callback_service.h"
#include "callback/domain/outreach.h"
#include "callback/domain/validation.h"
#include "callback/store/outreach_store.h"
#include "common/field_error.h"
#include "common/refusal.h"
#include "common/time.h"

namespace aftercare::callback {
namespace {

namespace v1 = aftercare::v1;
using grpc::Status;
using grpc::StatusCode;

constexpr size_t kMaxUrlChars = 2000;
constexpr size_t kMinSecretChars = 16;
constexpr size_t kMaxSecretChars = 200;
constexpr int kDefaultMessages = 50;
constexpr int kMaxMessages = 200;
constexpr size_t kMaxReceiptBytes = 16 << 10;

bool staff_of_owner(const kit::Caller& c, const std::vector<std::string>& projects,
                    kit::Roles roles) {
  if (!roles.contains(c.role)) return false;
  return std::any_of(projects.begin(), projects.end(),
                     [&](const std::string& p) { return c.sees_project(p); });
}

void to_proto(const store::MessageRow& m, v1::OwnerMessage* out) {
  out->set_message_id(m.message_id);
  out->set_channel(m.channel);
  out->set_kind(m.kind);
  out->set_to_masked(m.to_masked);
  out->set_text(m.text);
  out->set_status(m.status);
  *out->mutable_created_at() = kit::to_timestamp(m.created_at);
  if (m.sent_at) *out->mutable_sent_at() = kit::to_timestamp(*m.sent_at);
  if (m.delivered_at) *out->mutable_delivered_at() = kit::to_timestamp(*m.delivered_at);
  out->set_project_id(m.project_id);
  out->set_unit_id(m.unit_id);
  out->set_urgent(m.urgent);
}

}  // namespace

Status CallbackServiceImpl::PutNotificationChannel(grpc::ServerContext* context,
                                                   const v1::PutNotificationChannelRequest* r,
                                                   v1::NotificationChannel* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty())
    return kit::invalid_from_check(e);
  if (!domain::is_channel(r->channel()))
    return kit::invalid_field("channel", "must be sms, wechat or app");
  const std::string& url = r->url();
  if (url.empty() || url.size() > kMaxUrlChars ||
      (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) ||
      url.find_first_of(" \t\r\n") != std::string::npos)
    return kit::invalid_field("url",
                              "must be an http:// or https:// URL of at most 2000 characters");
  if (r->secret().size() < kMinSecretChars || r->secret().size() > kMaxSecretChars)
    return kit::invalid_field("secret", "must be 16-200 characters");
  if (!call.caller.is(kit::Role::admin))
    return {StatusCode::PERMISSION_DENIED, "notification channels are set by admins"};
  if (!call.caller.sees_project(r->project_id()))
    return {StatusCode::NOT_FOUND, "project " + r->project_id() + " not found"};
  return kit::guarded("PutNotificationChannel", [&] {
    absl::Time now = clock_();
    bool enabled = r->has_enabled() ? r->enabled() : true;
    db_.in_transaction([&](pqxx::work& tx) {
      if (!app::project_known(tx, r->project_id()))
        throw kit::Refusal(StatusCode::NOT_FOUND, "project " + r->project_id() + " not found");
      store::upsert_channel(tx, {r->project_id(), r->channel(), url, r->secret(), enabled}, now);
    });
    out->set_project_id(r->project_id());
    out->set_channel(r->channel());
    out->set_url(url);
    out->set_enabled(enabled);
    *out->mutable_updated_at() = kit::to_timestamp(now);
    return Status::OK;
  });
}

Status CallbackServiceImpl::ListOwnerMessages(grpc::ServerContext* context,
                                              const v1::ListOwnerMessagesRequest* r,
                                              v1::ListOwnerMessagesResponse* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->owner_id(), "owner_id"); !e.empty())
    return kit::invalid_from_check(e);
  if (r->limit() < 0 || r->limit() > kMaxMessages)
    return kit::invalid_field("limit", "must be 1-200");
  int limit = r->limit() == 0 ? kDefaultMessages : r->limit();
  const kit::Caller& c = call.caller;
  if (!c.is(kit::Role::owner) && !c.is(kit::Role::agent) && !c.is(kit::Role::supervisor) &&
      !c.is(kit::Role::admin))
    return {StatusCode::PERMISSION_DENIED,
            "role " + c.role_name() + " may not read owners' messages"};
  if (c.is(kit::Role::owner) && c.sub != r->owner_id())
    return {StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found"};
  return kit::guarded("ListOwnerMessages", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      if (!c.is(kit::Role::owner)) {
        auto projects = app::owner_projects(tx, r->owner_id());
        if (!staff_of_owner(c, projects,
                            {kit::Role::agent, kit::Role::supervisor, kit::Role::admin}))
          return Status(StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found");
      }
      for (const store::MessageRow& m : store::list_messages(tx, r->owner_id(), limit)) {
        // Staff see the messages of their projects only.
        if (!c.is(kit::Role::owner) && !c.sees_project(m.project_id)) continue;
        to_proto(m, out->add_messages());
      }
      return Status::OK;
    });
  });
}

Status CallbackServiceImpl::PutNotificationPreferences(
    grpc::ServerContext* context, const v1::PutNotificationPreferencesRequest* r,
    v1::NotificationPreferences* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->owner_id(), "owner_id"); !e.empty())
    return kit::invalid_from_check(e);
  std::set<std::string> kinds;
  for (const std::string& k : r->opt_out()) {
    if (!domain::is_message_kind(k))
      return kit::invalid_field("opt_out", "unknown kind '" + k.substr(0, 64) + "'");
    if (domain::is_urgent_kind(k))
      return kit::invalid_field("opt_out", k + " is urgent and cannot be opted out");
    kinds.insert(k);
  }
  const kit::Caller& c = call.caller;
  if (!c.is(kit::Role::owner) && !c.is(kit::Role::agent))
    return {StatusCode::PERMISSION_DENIED, "preferences are set by the owner or an agent"};
  if (c.is(kit::Role::owner) && c.sub != r->owner_id())
    return {StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found"};
  return kit::guarded("PutNotificationPreferences", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      if (c.is(kit::Role::agent) &&
          !staff_of_owner(c, app::owner_projects(tx, r->owner_id()), {kit::Role::agent}))
        return Status(StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found");
      std::vector<std::string> list(kinds.begin(), kinds.end());
      store::replace_opt_outs(tx, r->owner_id(), list);
      out->set_owner_id(r->owner_id());
      for (const std::string& k : store::load_opt_outs(tx, r->owner_id())) out->add_opt_out(k);
      return Status::OK;
    });
  });
}

Status CallbackServiceImpl::GetNotificationPreferences(
    grpc::ServerContext* context, const v1::GetNotificationPreferencesRequest* r,
    v1::NotificationPreferences* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->owner_id(), "owner_id"); !e.empty())
    return kit::invalid_from_check(e);
  const kit::Caller& c = call.caller;
  if (!c.is(kit::Role::owner) && !c.is(kit::Role::agent) && !c.is(kit::Role::supervisor) &&
      !c.is(kit::Role::admin))
    return {StatusCode::PERMISSION_DENIED,
            "role " + c.role_name() + " may not read owners' preferences"};
  if (c.is(kit::Role::owner) && c.sub != r->owner_id())
    return {StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found"};
  return kit::guarded("GetNotificationPreferences", [&] {
    return db_.in_transaction([&](pqxx::work& tx) {
      if (!c.is(kit::Role::owner) &&
          !staff_of_owner(c, app::owner_projects(tx, r->owner_id()),
                          {kit::Role::agent, kit::Role::supervisor, kit::Role::admin}))
        return Status(StatusCode::NOT_FOUND, "owner " + r->owner_id() + " not found");
      out->set_owner_id(r->owner_id());
      for (const std::string& k : store::load_opt_outs(tx, r->owner_id())) out->add_opt_out(k);
      return Status::OK;
    });
  });
}

Status CallbackServiceImpl::ReceiveReceipt(grpc::ServerContext* context,
                                           const v1::ReceiveReceiptRequest* r,
                                           v1::ReceiptResponse* out) {
  kit::ServerCall call = kit::begin_call(*context);
  if (r->raw_body().size() > kMaxReceiptBytes)
    return kit::invalid_field("body", "is larger than 16 KiB");
  return kit::guarded("ReceiveReceipt", [&] {
    store::MessageRow m = db_.in_transaction([&](pqxx::work& tx) {
      return app::receive_receipt(tx, r->channel(), r->raw_body(), r->signature(), clock_());
    });
    out->set_message_id(m.message_id);
    out->set_status(m.status);
    return Status::OK;
  });
}

}  // namespace aftercare::callback
