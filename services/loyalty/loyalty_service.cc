#include "loyalty/loyalty_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "common/call.h"
#include "common/periodic.h"
#include "common/refusal.h"
#include "common/time.h"
#include "loyalty/access.h"
#include "loyalty/domain/statement.h"
#include "loyalty/domain/tier.h"
#include "loyalty/domain/validation.h"
#include "loyalty/store/loyalty_store.h"

namespace aftercare::loyalty {
namespace {

using store::Tx;

using kit::guarded;
using kit::Refusal;

[[noreturn]] void refuse(grpc::StatusCode code, const std::string& message) {
  throw Refusal(code, message);
}
[[noreturn]] void refuse_field(const std::string& field, const std::string& why) {
  throw Refusal{kit::invalid_field(field, why)};
}
void require(const std::string& field, const std::string& why) {
  if (!why.empty()) refuse_field(field, why);
}

// Roles. Staff who may read members (and their projects' reports), and who may change points.
bool staff_reader(const kit::Caller& c) {
  return c.is_any(kMemberReaders);
}
bool staff_writer(const kit::Caller& c) {
  return c.is_any(kPointsWriters);
}

// Role check before anything is looked up: owners may only name themselves (else NOT_FOUND, so
// ids do not leak), staff need the right role (else PERMISSION_DENIED).
void check_role(const kit::Caller& c, const std::string& owner_id, bool owner_allowed,
                bool (*staff)(const kit::Caller&)) {
  if (c.is(kit::Role::owner)) {
    if (!owner_allowed) refuse(grpc::StatusCode::PERMISSION_DENIED, "owners may not do this");
    if (c.sub != owner_id)
      refuse(grpc::StatusCode::NOT_FOUND, "owner_id: no member account for this owner");
    return;
  }
  if (staff == nullptr || !staff(c))
    refuse(grpc::StatusCode::PERMISSION_DENIED, "role not allowed");
}

bool sees_any(const kit::Caller& c, const std::vector<std::string>& projects) {
  return std::any_of(projects.begin(), projects.end(),
                     [&](const std::string& p) { return c.sees_project(p); });
}

// The member and its projects when the caller may see it; NOT_FOUND otherwise.
std::pair<store::MemberRow, std::vector<std::string>> visible_member(Tx& tx, const kit::Caller& c,
                                                                     const std::string& owner_id,
                                                                     bool lock) {
  auto member = store::find_member(tx, owner_id, lock);
  if (!member) refuse(grpc::StatusCode::NOT_FOUND, "owner_id: no member account for this owner");
  auto projects = store::member_projects(tx, owner_id);
  if (!c.is(kit::Role::owner) && !sees_any(c, projects))
    refuse(grpc::StatusCode::NOT_FOUND, "owner_id: no member account for this owner");
  return {*member, projects};
}

google::protobuf::Timestamp ts(absl::Time t) {
  return kit::to_timestamp(t);
}
absl::Time from_ts(const google::protobuf::Timestamp& t) {
  return kit::from_timestamp(t);
}

void to_proto(const store::MemberRow& m, const std::vector<std::string>& projects,
              v1::Member* out) {
  out->set_owner_id(m.owner_id);
  out->set_card_no(m.card_no);
  out->set_balance(m.balance);
  out->set_held(m.held);
  out->set_tier(static_cast<v1::MemberTier>(m.tier));
  out->set_lifetime_earned(m.lifetime_earned);
  out->set_window_earned(m.window_earned);
  out->set_home_project_id(m.home_project_id);
  out->clear_project_ids();
  for (const auto& p : projects) out->add_project_ids(p);
  *out->mutable_enrolled_at() = ts(m.enrolled_at);
  *out->mutable_updated_at() = ts(m.updated_at);
}

void to_proto(const store::EntryRow& e, v1::LedgerEntry* out) {
  *out->mutable_at() = ts(e.at);
  out->set_kind(static_cast<v1::LedgerEntryKind>(e.kind));
  out->set_points(e.points);
  out->set_amount(e.amount);
  out->set_reason(e.reason);
  out->set_source_id(e.source_id);
  out->set_entry_id(e.entry_id);
  out->set_earn_reason(static_cast<v1::EarnReason>(e.earn_reason));
  out->set_redemption_id(e.redemption_id);
  out->set_merchant_id(e.merchant_id);
  out->set_balance_after(e.balance_after);
  out->set_held_after(e.held_after);
  if (e.expires_at) *out->mutable_expires_at() = ts(*e.expires_at);
  out->set_note(e.note);
}

void to_proto(const store::RedemptionRow& r, v1::Redemption* out) {
  out->set_redemption_id(r.redemption_id);
  out->set_owner_id(r.owner_id);
  out->set_merchant_id(r.merchant_id);
  out->set_item(r.item);
  out->set_points(r.points);
  out->set_status(static_cast<v1::RedemptionStatus>(r.status));
  *out->mutable_created_at() = ts(r.created_at);
  if (r.settled_at) *out->mutable_settled_at() = ts(*r.settled_at);
  *out->mutable_expires_at() = ts(r.expires_at);
  out->set_settle_reason(r.settle_reason);
}

void to_proto(const store::MerchantRow& m, v1::Merchant* out) {
  out->set_merchant_id(m.merchant_id);
  out->set_name(m.name);
  out->set_description(m.description);
  for (const auto& p : m.project_ids) out->add_project_ids(p);
  out->set_active(m.active);
  *out->mutable_updated_at() = ts(m.updated_at);
}

void fill_redemption(Tx& tx, const store::RedemptionOutcome& o, v1::RedemptionResponse* response) {
  to_proto(o.redemption, response->mutable_redemption());
  // A repeat returns the member as it is now.
  auto member = o.changed ? o.member : *store::find_member(tx, o.member.owner_id, false);
  to_proto(member, store::member_projects(tx, member.owner_id), response->mutable_member());
}

std::string idempotency_key(const grpc::ServerContext& context, const std::string& field) {
  if (!field.empty()) return field;
  auto it = context.client_metadata().find("idempotency-key");
  return it == context.client_metadata().end() ? std::string()
                                               : std::string(it->second.data(), it->second.size());
}

// "expiry_months must be ..." -> invalid_field("expiry_months", "must be ...").
[[noreturn]] void refuse_policy(const std::string& error) {
  auto space = error.find(' ');
  if (space == std::string::npos) refuse_field("rules", error);
  refuse_field(error.substr(0, space), error.substr(space + 1));
}

std::string ledger_filter(const std::string& owner_id, int kind) {
  return owner_id + "|" + std::to_string(kind);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

grpc::Status LoyaltyServiceImpl::GetMember(grpc::ServerContext* context,
                                           const v1::GetMemberRequest* request,
                                           v1::Member* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GetMember", [&] {
    require("owner_id", domain::check_id(request->owner_id()));
    check_role(call.caller, request->owner_id(), true, staff_reader);
    db_.in_transaction([&](pqxx::work& tx) {
      auto [member, projects] = visible_member(tx, call.caller, request->owner_id(), false);
      to_proto(member, projects, response);
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::GetLedger(grpc::ServerContext* context,
                                           const v1::GetLedgerRequest* request,
                                           v1::GetLedgerResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GetLedger", [&] {
    require("owner_id", domain::check_id(request->owner_id()));
    if (!v1::LedgerEntryKind_IsValid(request->kind()))
      refuse_field("kind", "unknown ledger entry kind");
    if (request->page_size() < 0) refuse_field("page_size", "must not be negative");
    const int page_size = request->page_size() == 0 ? 50 : std::min(request->page_size(), 200);
    int64_t before_seq = 0;
    const std::string filter = ledger_filter(request->owner_id(), request->kind());
    if (!request->page_token().empty()) {
      std::string raw;
      v1::PageCursor cursor;
      if (!absl::WebSafeBase64Unescape(request->page_token(), &raw) ||
          !cursor.ParseFromString(raw) || cursor.filter_hash() != filter ||
          !absl::SimpleAtoi(cursor.after_id(), &before_seq) || before_seq <= 0)
        refuse_field("page_token", "not a token of this listing");
    }
    check_role(call.caller, request->owner_id(), true, staff_reader);
    db_.in_transaction([&](pqxx::work& tx) {
      visible_member(tx, call.caller, request->owner_id(), false);
      auto rows =
          store::ledger_page(tx, request->owner_id(), before_seq, request->kind(), page_size + 1);
      const bool more = static_cast<int>(rows.size()) > page_size;
      if (more) rows.resize(page_size);
      for (const auto& row : rows) to_proto(row, response->add_entries());
      if (more) {
        v1::PageCursor cursor;
        cursor.set_after_id(std::to_string(rows.back().seq));
        cursor.set_filter_hash(filter);
        response->set_next_page_token(absl::WebSafeBase64Escape(cursor.SerializeAsString()));
      }
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::Statement(grpc::ServerContext* context,
                                           const v1::StatementRequest* request,
                                           v1::StatementResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("Statement", [&] {
    require("owner_id", domain::check_id(request->owner_id()));
    if (!request->has_from_date()) refuse_field("from_date", "is required");
    if (!request->has_to_date()) refuse_field("to_date", "is required");
    check_role(call.caller, request->owner_id(), true, staff_reader);
    const absl::Time now = clock_();
    db_.in_transaction([&](pqxx::work& tx) {
      auto [member, projects] = visible_member(tx, call.caller, request->owner_id(), false);
      const auto policy = store::load_policy(tx, member.home_project_id);
      absl::Time start, end;
      if (auto e = domain::date_range(request->from_date(), request->to_date(),
                                      domain::load_zone(policy.timezone), &start, &end);
          !e.empty())
        refuse_field(e.substr(0, e.find(':')), e.substr(e.find(':') + 2));
      auto rows = store::entries_before(tx, member.owner_id, end);
      std::vector<domain::Movement> moves;
      moves.reserve(rows.size());
      for (const auto& r : rows)
        moves.push_back({r.at, static_cast<v1::LedgerEntryKind>(r.kind), r.points, r.amount});
      const domain::StatementTotals t = domain::summarize(moves, start, end);
      to_proto(member, projects, response->mutable_member());
      response->set_opening_balance(t.opening_balance);
      response->set_opening_held(t.opening_held);
      response->set_earned(t.earned);
      response->set_redeemed(t.redeemed);
      response->set_expired(t.expired);
      response->set_held(t.held);
      response->set_released(t.released);
      response->set_closing_balance(t.closing_balance);
      response->set_closing_held(t.closing_held);
      response->set_expiring_next_30_days(
          store::expiring_between(tx, member.owner_id, now, now + absl::Hours(24 * 30)));
      for (const auto& r : rows)
        if (r.at >= start) to_proto(r, response->add_entries());
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::PointsSummary(grpc::ServerContext* context,
                                               const v1::PointsSummaryRequest* request,
                                               v1::PointsSummaryResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("PointsSummary", [&] {
    require("project_id", domain::check_id(request->project_id()));
    const auto& c = call.caller;
    if (!c.is_any(kSummaryReaders)) refuse(grpc::StatusCode::PERMISSION_DENIED, "role not allowed");
    if (!c.sees_project(request->project_id()))
      refuse(grpc::StatusCode::NOT_FOUND, "project_id: unknown project");
    db_.in_transaction([&](pqxx::work& tx) {
      const auto policy = store::load_policy(tx, request->project_id());
      absl::Time start, end;
      if (auto e = domain::period_range(request->period(), domain::load_zone(policy.timezone),
                                        &start, &end);
          !e.empty())
        refuse_field(e.substr(0, e.find(':')), e.substr(e.find(':') + 2));
      const auto t = store::project_totals(tx, request->project_id(), start, end);
      response->set_project_id(request->project_id());
      *response->mutable_period() = request->period();
      response->set_earned(t.earned);
      response->set_redeemed(t.redeemed);
      response->set_expired(t.expired);
      response->set_members(t.members);
      response->set_active_members(t.active_members);
      for (const auto& [reason, points] : t.earned_by_reason) {
        auto* tally = response->add_earned_by_reason();
        tally->set_key(domain::reason_name(static_cast<v1::EarnReason>(reason)));
        tally->set_count(points);
      }
    });
    return grpc::Status::OK;
  });
}

// ---------------------------------------------------------------------------------------------
// Earning
// ---------------------------------------------------------------------------------------------

grpc::Status LoyaltyServiceImpl::Earn(grpc::ServerContext* context, const v1::EarnRequest* request,
                                      v1::EarnResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("Earn", [&] {
    const auto& c = call.caller;
    require("owner_id", domain::check_id(request->owner_id()));
    if (!domain::known_reason(request->reason()))
      refuse_field("reason", "must be one of survey, feedback, referral, repurchase, activity");
    require("points", domain::check_points(request->points()));
    require("source_id", domain::check_id(request->source_id(), 200));
    require("note", domain::check_text(request->note(), 1000, false));
    if (!request->project_id().empty())
      require("project_id", domain::check_id(request->project_id()));
    check_role(c, request->owner_id(), false, staff_writer);
    const absl::Time now = clock_();
    db_.in_transaction([&](pqxx::work& tx) {
      std::string project = request->project_id();
      auto existing = store::find_member(tx, request->owner_id(), /*for_update=*/true);
      if (existing) {
        auto projects = store::member_projects(tx, request->owner_id());
        if (!sees_any(c, projects))
          refuse(grpc::StatusCode::NOT_FOUND, "owner_id: no member account for this owner");
        if (project.empty()) {
          project = c.sees_project(existing->home_project_id)
                        ? existing->home_project_id
                        : *std::find_if(projects.begin(), projects.end(),
                                        [&](auto& p) { return c.sees_project(p); });
        } else if (std::find(projects.begin(), projects.end(), project) == projects.end()) {
          refuse_field("project_id", "the member has no units in this project");
        } else if (!c.sees_project(project)) {
          refuse(grpc::StatusCode::NOT_FOUND, "project_id: unknown project");
        }
      } else {
        if (project.empty()) refuse_field("project_id", "is required to enrol a new member");
        if (!c.sees_project(project))
          refuse(grpc::StatusCode::NOT_FOUND, "project_id: unknown project");
      }
      store::EarnCommand command{request->owner_id(),   request->reason(), request->points(),
                                 request->source_id(),  request->note(),   project,
                                 /*staff_entered=*/true};
      auto outcome = accounts_.earn(tx, command, now);
      response->set_awarded(outcome.awarded);
      to_proto(outcome.entry, response->mutable_entry());
      auto member =
          outcome.awarded ? outcome.member : *store::find_member(tx, request->owner_id(), false);
      to_proto(member, store::member_projects(tx, request->owner_id()), response->mutable_member());
    });
    return grpc::Status::OK;
  });
}

// ---------------------------------------------------------------------------------------------
// Redemptions
// ---------------------------------------------------------------------------------------------

namespace {

void validate_hold(const std::string& owner_id, const std::string& merchant_id,
                   const std::string& item, int64_t points, const std::string& key) {
  require("owner_id", domain::check_id(owner_id));
  if (!merchant_id.empty()) require("merchant_id", domain::check_id(merchant_id));
  require("item", domain::check_text(item, 400, true));
  require("points", domain::check_points(points));
  if (!key.empty()) require("idempotency_key", domain::check_id(key, 200));
}

}  // namespace

grpc::Status LoyaltyServiceImpl::Hold(grpc::ServerContext* context, const v1::HoldRequest* request,
                                      v1::RedemptionResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("Hold", [&] {
    const std::string key = idempotency_key(*context, request->idempotency_key());
    validate_hold(request->owner_id(), request->merchant_id(), request->item(), request->points(),
                  key);
    check_role(call.caller, request->owner_id(), true, staff_writer);
    const absl::Time now = clock_();
    db_.in_transaction([&](pqxx::work& tx) {
      visible_member(tx, call.caller, request->owner_id(), true);
      auto outcome = accounts_.hold(tx,
                                    {request->owner_id(), request->merchant_id(), request->item(),
                                     request->points(), key, /*confirm=*/false},
                                    now);
      fill_redemption(tx, outcome, response);
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::Redeem(grpc::ServerContext* context,
                                        const v1::RedeemRequest* request,
                                        v1::RedemptionResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("Redeem", [&] {
    const std::string key = idempotency_key(*context, request->idempotency_key());
    validate_hold(request->owner_id(), request->merchant_id(), request->item(), request->points(),
                  key);
    // POST /v1/members/{owner_id}/redemptions: that owner only.
    check_role(call.caller, request->owner_id(), true, nullptr);
    const absl::Time now = clock_();
    db_.in_transaction([&](pqxx::work& tx) {
      auto outcome = accounts_.hold(tx,
                                    {request->owner_id(), request->merchant_id(), request->item(),
                                     request->points(), key, /*confirm=*/true},
                                    now);
      fill_redemption(tx, outcome, response);
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::ConfirmRedemption(grpc::ServerContext* context,
                                                   const v1::ConfirmRedemptionRequest* request,
                                                   v1::RedemptionResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ConfirmRedemption", [&] {
    require("owner_id", domain::check_id(request->owner_id()));
    if (!domain::is_uuid(request->redemption_id())) refuse_field("redemption_id", "must be a UUID");
    check_role(call.caller, request->owner_id(), true, staff_writer);
    const absl::Time now = clock_();
    db_.in_transaction([&](pqxx::work& tx) {
      visible_member(tx, call.caller, request->owner_id(), true);
      auto outcome = accounts_.settle(tx, request->owner_id(), request->redemption_id(),
                                      domain::Settle::kConfirm, "", now);
      fill_redemption(tx, outcome, response);
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::CancelHold(grpc::ServerContext* context,
                                            const v1::CancelHoldRequest* request,
                                            v1::RedemptionResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("CancelHold", [&] {
    require("owner_id", domain::check_id(request->owner_id()));
    if (!domain::is_uuid(request->redemption_id())) refuse_field("redemption_id", "must be a UUID");
    require("reason", domain::check_text(request->reason(), 400, false));
    check_role(call.caller, request->owner_id(), true, staff_writer);
    const absl::Time now = clock_();
    db_.in_transaction([&](pqxx::work& tx) {
      visible_member(tx, call.caller, request->owner_id(), true);
      auto outcome = accounts_.settle(tx, request->owner_id(), request->redemption_id(),
                                      domain::Settle::kRelease, request->reason(), now);
      fill_redemption(tx, outcome, response);
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::GetRedemption(grpc::ServerContext* context,
                                               const v1::GetRedemptionRequest* request,
                                               v1::RedemptionResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GetRedemption", [&] {
    require("owner_id", domain::check_id(request->owner_id()));
    if (!domain::is_uuid(request->redemption_id())) refuse_field("redemption_id", "must be a UUID");
    check_role(call.caller, request->owner_id(), true, staff_reader);
    db_.in_transaction([&](pqxx::work& tx) {
      auto [member, projects] = visible_member(tx, call.caller, request->owner_id(), false);
      auto r = store::find_redemption(tx, request->owner_id(), request->redemption_id());
      if (!r)
        refuse(grpc::StatusCode::NOT_FOUND, "redemption_id: no such redemption for this member");
      to_proto(*r, response->mutable_redemption());
      to_proto(member, projects, response->mutable_member());
    });
    return grpc::Status::OK;
  });
}

// ---------------------------------------------------------------------------------------------
// Merchants and rules
// ---------------------------------------------------------------------------------------------

grpc::Status LoyaltyServiceImpl::UpsertMerchant(grpc::ServerContext* context,
                                                const v1::UpsertMerchantRequest* request,
                                                v1::Merchant* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("UpsertMerchant", [&] {
    if (!call.caller.is(kit::Role::admin))
      refuse(grpc::StatusCode::PERMISSION_DENIED, "admins manage merchants");
    require("merchant_id", domain::check_id(request->merchant_id()));
    require("name", domain::check_text(request->name(), 200, true));
    require("description", domain::check_text(request->description(), 2000, false));
    if (request->project_ids_size() > 1000) refuse_field("project_ids", "at most 1000 projects");
    store::MerchantRow m;
    m.merchant_id = request->merchant_id();
    m.name = request->name();
    m.description = request->description();
    for (const auto& p : request->project_ids()) {
      require("project_ids", domain::check_id(p));
      if (!call.caller.sees_project(p))
        refuse(grpc::StatusCode::NOT_FOUND, "project_ids: unknown project " + p);
      if (std::find(m.project_ids.begin(), m.project_ids.end(), p) == m.project_ids.end())
        m.project_ids.push_back(p);
    }
    m.active = request->has_active() ? request->active() : true;
    db_.in_transaction([&](pqxx::work& tx) {
      store::upsert_merchant(tx, m);
      to_proto(*store::find_merchant(tx, m.merchant_id), response);
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::ListMerchants(grpc::ServerContext* context,
                                               const v1::ListMerchantsRequest* request,
                                               v1::ListMerchantsResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListMerchants", [&] {
    if (call.caller.role_name().empty()) refuse(grpc::StatusCode::PERMISSION_DENIED, "no caller");
    if (!request->project_id().empty())
      require("project_id", domain::check_id(request->project_id()));
    db_.in_transaction([&](pqxx::work& tx) {
      for (const auto& m : store::list_merchants(tx, request->project_id(), request->active_only()))
        to_proto(m, response->add_merchants());
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::SetProjectRules(grpc::ServerContext* context,
                                                 const v1::SetProjectRulesRequest* request,
                                                 v1::ProjectRules* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("SetProjectRules", [&] {
    require("project_id", domain::check_id(request->project_id()));
    if (!call.caller.is(kit::Role::admin))
      refuse(grpc::StatusCode::PERMISSION_DENIED, "admins set loyalty rules");
    if (!call.caller.sees_project(request->project_id()))
      refuse(grpc::StatusCode::NOT_FOUND, "project_id: unknown project");
    db_.in_transaction([&](pqxx::work& tx) {
      auto policy = store::load_policy(tx, request->project_id());
      if (auto e = policy.apply(*request); !e.empty()) refuse_policy(e);
      store::save_policy(tx, request->project_id(), policy, 0);
      policy.to_proto(response);
      response->set_project_id(request->project_id());
      if (auto at = store::rules_updated_at(tx, request->project_id()))
        *response->mutable_updated_at() = ts(*at);
    });
    return grpc::Status::OK;
  });
}

grpc::Status LoyaltyServiceImpl::GetProjectRules(grpc::ServerContext* context,
                                                 const v1::GetProjectRulesRequest* request,
                                                 v1::ProjectRules* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GetProjectRules", [&] {
    require("project_id", domain::check_id(request->project_id()));
    if (!staff_reader(call.caller)) refuse(grpc::StatusCode::PERMISSION_DENIED, "role not allowed");
    if (!call.caller.sees_project(request->project_id()))
      refuse(grpc::StatusCode::NOT_FOUND, "project_id: unknown project");
    db_.in_transaction([&](pqxx::work& tx) {
      store::load_policy(tx, request->project_id()).to_proto(response);
      response->set_project_id(request->project_id());
      if (auto at = store::rules_updated_at(tx, request->project_id()))
        *response->mutable_updated_at() = ts(*at);
    });
    return grpc::Status::OK;
  });
}

// ---------------------------------------------------------------------------------------------
// Expiry
// ---------------------------------------------------------------------------------------------

grpc::Status LoyaltyServiceImpl::RunExpiry(grpc::ServerContext* context,
                                           const v1::RunExpiryRequest* request,
                                           v1::RunExpiryResponse* response) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RunExpiry", [&] {
    if (!call.caller.is_any(kExpiryRunners))
      refuse(grpc::StatusCode::PERMISSION_DENIED, "admins and services run the expiry");
    const absl::Time now = clock_();
    absl::Time as_of = now;
    if (request->has_as_of()) {
      as_of = from_ts(request->as_of());
      // Expiring "as of" a future instant would take points that are still valid.
      if (as_of > now) refuse_field("as_of", "must not be in the future");
    }
    const SweepTotals t = Sweep(as_of);
    response->set_members_affected(t.members_affected);
    response->set_points_expired(t.points_expired);
    response->set_holds_released(t.holds_released);
    response->set_points_released(t.points_released);
    response->set_tiers_changed(t.tiers_changed);
    return grpc::Status::OK;
  });
}

SweepTotals LoyaltyServiceImpl::Sweep(absl::Time as_of) {
  return app::sweep(db_, accounts_, as_of, clock_);
}

void LoyaltyServiceImpl::SweepNow() {
  const SweepTotals t = Sweep(clock_());
  if (t.holds_released || t.points_expired || t.tiers_changed)
    spdlog::info(
        "loyalty sweep: {} holds released ({} points), {} points expired for {} members, {} "
        "tiers changed",
        t.holds_released, t.points_released, t.points_expired, t.members_affected, t.tiers_changed);
}

void LoyaltyServiceImpl::RunSweeper(std::stop_token stop, absl::Duration interval) {
  kit::PeriodicWorker({"loyalty.sweeper", absl::ToChronoMilliseconds(interval)},
                      [this](std::stop_token) { SweepNow(); })
      .run(stop);
}

// ---------------------------------------------------------------------------------------------
// Consumers
// ---------------------------------------------------------------------------------------------

void LoyaltyServiceImpl::HandleIntakeEvent(pqxx::work& tx, const v1::Event& event) {
  app::on_intake_event(tx, accounts_, clock_(), event);
}

void LoyaltyServiceImpl::HandleCallbackEvent(pqxx::work& tx, const v1::Event& event) {
  app::on_callback_event(tx, accounts_, clock_(), event);
}

}  // namespace aftercare::loyalty
