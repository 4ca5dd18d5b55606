#include "loyalty/app/accounts.h"

#include <algorithm>

#include "aftercare/v1/events.pb.h"
#include "common/time.h"
#include "loyalty/domain/card.h"
#include "loyalty/domain/lots.h"
#include "loyalty/domain/statement.h"
#include "loyalty/domain/tier.h"
#include "loyalty/domain/validation.h"

namespace aftercare::loyalty::store {
namespace {

namespace v1 = aftercare::v1;

google::protobuf::Timestamp ts(absl::Time t) {
  return kit::to_timestamp(t);
}
absl::Time micros(absl::Time t) {
  return kit::truncate_to_micros(t);
}

// A ledger entry of redemption `r` (hold, release, redeem): `points` is its effect on the
// balance, the amount is the redemption's points.
EntryRow redemption_entry(const RedemptionRow& r, v1::LedgerEntryKind kind, int64_t points,
                          const std::string& reason, absl::Time now) {
  EntryRow entry;
  entry.at = now;
  entry.kind = kind;
  entry.points = points;
  entry.amount = r.points;
  entry.reason = reason;
  entry.source_id = r.redemption_id;
  entry.redemption_id = r.redemption_id;
  entry.merchant_id = r.merchant_id;
  return entry;
}

v1::Event redemption_confirmed(const MemberRow& member, const RedemptionRow& r) {
  v1::Event e;
  auto* p = e.mutable_redemption_confirmed();
  p->set_owner_id(member.owner_id);
  p->set_redemption_id(r.redemption_id);
  p->set_merchant_id(r.merchant_id);
  p->set_item(r.item);
  p->set_points(r.points);
  p->set_held_after(member.held);
  return e;
}

}  // namespace

MemberRow Accounts::lock(Tx& tx, const std::string& owner_id) {
  auto m = find_member(tx, owner_id, /*for_update=*/true);
  if (!m)
    throw AccountError(AccountError::kNotFound, "owner_id", "no member account for this owner");
  return *m;
}

void Accounts::emit(Tx& tx, const MemberRow& member, const std::string& project_id, v1::Event event,
                    const std::string& causation_id) {
  event.set_project_id(project_id.empty() ? member.home_project_id : project_id);
  event.set_aggregate_id(member.owner_id);
  event.set_aggregate_version(member.last_seq);
  event.set_causation_id(causation_id);
  outbox_.add(tx, std::move(event));
}

EntryRow Accounts::append(Tx& tx, MemberRow& member, EntryRow entry) {
  entry.entry_id = kit::new_uuid();
  entry.owner_id = member.owner_id;
  entry.seq = ++member.last_seq;
  entry.at = micros(entry.at);
  if (entry.project_id.empty()) entry.project_id = member.home_project_id;
  entry.balance_after = member.balance;
  entry.held_after = member.held;
  insert_entry(tx, entry);
  return entry;
}

MemberRow Accounts::enroll(Tx& tx, const std::string& owner_id, const std::string& project_id,
                           absl::Time now, const std::string& causation_id) {
  now = micros(now);
  if (auto existing = find_member(tx, owner_id, true)) {
    if (!project_id.empty()) add_member_project(tx, owner_id, project_id, now);
    return *existing;
  }
  if (project_id.empty())
    throw AccountError(AccountError::kInvalid, "project_id", "is required to enrol a new member");
  MemberRow m;
  m.owner_id = owner_id;
  m.card_no = domain::card_number(next_card_serial(tx));
  m.home_project_id = project_id;
  m.tier = v1::MEMBER_TIER_STANDARD;
  m.enrolled_at = m.updated_at = now;
  if (insert_member(tx, m)) {
    v1::Event e;
    auto* p = e.mutable_member_enrolled();
    p->set_owner_id(m.owner_id);
    p->set_card_no(m.card_no);
    p->set_tier(v1::MEMBER_TIER_STANDARD);
    emit(tx, m, project_id, std::move(e), causation_id);
  }
  // Created here or by a concurrent transaction that won the race: lock what is there.
  MemberRow locked = lock(tx, owner_id);
  add_member_project(tx, owner_id, project_id, now);
  return locked;
}

EarnOutcome Accounts::earn(Tx& tx, const EarnCommand& c, absl::Time now,
                           const std::string& causation_id) {
  now = micros(now);
  MemberRow member = enroll(tx, c.owner_id, c.project_id, now, causation_id);
  if (auto first = find_earning(tx, c.owner_id, c.source_id)) return {member, *first, false};

  const std::string project = c.project_id.empty() ? member.home_project_id : c.project_id;
  // Issue 21: the event handler passes the policy it read already.
  const domain::LoyaltyPolicy policy = c.policy ? *c.policy : load_policy(tx, project);
  if (c.staff_entered) {
    // A reason switched off for staff is a state of the project (FAILED_PRECONDITION); an amount
    // over the reason's cap is bad input (INVALID_ARGUMENT).
    const domain::FieldError error = domain::check_earning(c.reason, c.points, policy);
    if (!error.ok())
      throw AccountError(
          error.field == "reason" ? AccountError::kPrecondition : AccountError::kInvalid,
          error.field, error.why + " (project " + project + ")");
  }
  const absl::TimeZone tz = domain::load_zone(policy.timezone);
  const absl::Time expires_at = micros(domain::add_months(now, policy.expiry_months, tz));

  member.balance += c.points;
  member.lifetime_earned += c.points;
  member.updated_at = now;
  EntryRow entry;
  entry.at = now;
  entry.kind = v1::LEDGER_ENTRY_KIND_EARN;
  entry.points = c.points;
  entry.amount = c.points;
  entry.reason = domain::reason_name(c.reason);
  entry.earn_reason = c.reason;
  entry.source_id = c.source_id;
  entry.project_id = project;
  entry.expires_at = expires_at;
  entry.note = c.note;
  entry = append(tx, member, entry);
  insert_lot(tx, entry.entry_id, member.owner_id, entry.seq, now, expires_at, c.points);

  v1::Event e;
  auto* p = e.mutable_points_earned();
  p->set_owner_id(member.owner_id);
  p->set_entry_id(entry.entry_id);
  p->set_reason(c.reason);
  p->set_points(c.points);
  p->set_source_id(c.source_id);
  p->set_balance_after(member.balance);
  p->set_lifetime_earned(member.lifetime_earned);
  *p->mutable_expires_at() = ts(expires_at);
  emit(tx, member, project, std::move(e), causation_id);

  // The tier follows the home project's thresholds.
  const domain::LoyaltyPolicy home =
      project == member.home_project_id ? policy : load_policy(tx, member.home_project_id);
  refresh_tier(tx, member, home, now, causation_id);
  update_member(tx, member);
  return {member, entry, true};
}

bool Accounts::refresh_tier(Tx& tx, MemberRow& member, const domain::LoyaltyPolicy& policy,
                            absl::Time as_of, const std::string& causation_id) {
  const absl::TimeZone tz = domain::load_zone(policy.timezone);
  member.window_earned =
      earned_since(tx, member.owner_id, domain::tier_window_start(as_of, policy, tz));
  const v1::MemberTier next = domain::tier_for(member.window_earned, policy);
  if (next == member.tier) return false;
  v1::Event e;
  auto* p = e.mutable_tier_changed();
  p->set_owner_id(member.owner_id);
  p->set_from_tier(static_cast<v1::MemberTier>(member.tier));
  p->set_to_tier(next);
  p->set_lifetime_earned(member.lifetime_earned);
  member.tier = next;
  emit(tx, member, "", std::move(e), causation_id);
  return true;
}

int64_t Accounts::expire_locked(Tx& tx, MemberRow& member, absl::Time as_of, absl::Time now,
                                std::vector<domain::Lot>* loaded) {
  std::vector<domain::Lot> own;
  std::vector<domain::Lot>& lots = loaded ? *loaded : own;
  if (!loaded) lots = live_lots(tx, member.owner_id);
  const std::vector<domain::Take> due = domain::expire_due(lots, as_of);
  const int64_t points = domain::total(due);
  if (points == 0) return 0;
  domain::apply(lots, due, -1);
  absl::Time latest_earned = absl::InfinitePast();
  for (const auto& take : due)
    for (const auto& lot : lots)
      if (lot.lot_id == take.lot_id) latest_earned = std::max(latest_earned, lot.earned_at);
  apply_takes(tx, due, -1);
  if (member.balance < points)
    throw std::logic_error("member " + member.owner_id + ": lots hold more than the balance");
  member.balance -= points;
  member.updated_at = now;
  EntryRow entry;
  entry.at = now;
  entry.kind = v1::LEDGER_ENTRY_KIND_EXPIRE;
  entry.points = -points;
  entry.amount = points;
  entry.reason = "expired";
  append(tx, member, entry);

  v1::Event e;
  auto* p = e.mutable_points_expired();
  p->set_owner_id(member.owner_id);
  p->set_points(points);
  *p->mutable_earned_before() = ts(latest_earned + absl::Microseconds(1));
  p->set_balance_after(member.balance);
  emit(tx, member, "", std::move(e), "");
  return points;
}

RedemptionOutcome Accounts::hold(Tx& tx, const HoldCommand& c, absl::Time now) {
  now = micros(now);
  MemberRow member = lock(tx, c.owner_id);
  if (!c.idempotency_key.empty()) {
    if (auto first = find_redemption_by_key(tx, c.owner_id, c.idempotency_key))
      return {member, *first, false};
  }
  if (!c.merchant_id.empty()) {
    auto merchant = find_merchant(tx, c.merchant_id);
    if (!merchant) {
      // The public API names merchants without a registry route (partners are contracted
      // offline), so a merchant first seen in a redemption is registered on first use: active,
      // for every project. Admins complete its details or deactivate it with UpsertMerchant.
      MerchantRow first_use;
      first_use.merchant_id = c.merchant_id;
      first_use.name = c.merchant_id;
      upsert_merchant(tx, first_use);
      merchant = first_use;
    }
    if (!merchant->active)
      throw AccountError(AccountError::kPrecondition, "merchant_id",
                         "the merchant no longer takes points");
    if (!merchant->project_ids.empty()) {
      const auto projects = member_projects(tx, c.owner_id);
      bool open = std::any_of(projects.begin(), projects.end(), [&](const std::string& p) {
        return std::find(merchant->project_ids.begin(), merchant->project_ids.end(), p) !=
               merchant->project_ids.end();
      });
      if (!open)
        throw AccountError(AccountError::kPrecondition, "merchant_id",
                           "the merchant does not take points from this member's projects");
    }
  }
  const domain::LoyaltyPolicy policy = load_policy(tx, member.home_project_id);
  // Points past their expiry are not spendable, even before the expiry job ran.
  std::vector<domain::Lot> lots = live_lots(tx, c.owner_id);
  expire_locked(tx, member, now, now, &lots);
  auto takes = domain::take_oldest_first(lots, c.points, now);
  if (!takes)
    throw AccountError(AccountError::kPrecondition, "points",
                       "the balance (" + std::to_string(domain::spendable(lots, now)) +
                           ") is less than " + std::to_string(c.points) + " points");
  apply_takes(tx, *takes, -1);

  RedemptionRow r;
  r.redemption_id = kit::new_uuid();
  r.owner_id = c.owner_id;
  r.merchant_id = c.merchant_id;
  r.item = c.item;
  r.points = c.points;
  // Redeem inserts the redemption already confirmed (same transaction, one statement less).
  r.status = c.confirm ? v1::REDEMPTION_STATUS_CONFIRMED : v1::REDEMPTION_STATUS_HELD;
  if (c.confirm) r.settled_at = now;
  r.idempotency_key = c.idempotency_key;
  r.project_id = member.home_project_id;
  r.created_at = now;
  r.expires_at = micros(domain::hold_expires_at(now, policy));
  insert_redemption(tx, r);
  insert_allocations(tx, r.redemption_id, *takes);

  member.balance -= c.points;
  member.held += c.points;
  member.updated_at = now;
  append(tx, member, redemption_entry(r, v1::LEDGER_ENTRY_KIND_HOLD, -c.points, c.item, now));

  v1::Event e;
  auto* p = e.mutable_points_held();
  p->set_owner_id(member.owner_id);
  p->set_redemption_id(r.redemption_id);
  p->set_merchant_id(c.merchant_id);
  p->set_item(c.item);
  p->set_points(c.points);
  p->set_balance_after(member.balance);
  p->set_held_after(member.held);
  emit(tx, member, "", std::move(e), "");

  if (c.confirm) {
    member.held -= c.points;
    append(tx, member, redemption_entry(r, v1::LEDGER_ENTRY_KIND_REDEEM, 0, c.item, now));
    emit(tx, member, "", redemption_confirmed(member, r), "");
  }
  update_member(tx, member);
  return {member, r, true};
}

void Accounts::release_locked(Tx& tx, MemberRow& member, const RedemptionRow& r,
                              const std::string& reason, absl::Time now) {
  settle_redemption(tx, r.redemption_id, v1::REDEMPTION_STATUS_RELEASED, now, reason);
  apply_takes(tx, allocations(tx, r.redemption_id), +1);
  member.held -= r.points;
  member.balance += r.points;
  member.updated_at = now;
  append(tx, member, redemption_entry(r, v1::LEDGER_ENTRY_KIND_RELEASE, r.points, reason, now));
  v1::Event e;
  auto* p = e.mutable_hold_released();
  p->set_owner_id(member.owner_id);
  p->set_redemption_id(r.redemption_id);
  p->set_points(r.points);
  p->set_reason(reason);
  p->set_balance_after(member.balance);
  p->set_held_after(member.held);
  emit(tx, member, "", std::move(e), "");
}

RedemptionOutcome Accounts::settle(Tx& tx, const std::string& owner_id,
                                   const std::string& redemption_id, domain::Settle action,
                                   const std::string& reason, absl::Time now) {
  now = micros(now);
  MemberRow member = lock(tx, owner_id);
  auto r = find_redemption(tx, owner_id, redemption_id);
  if (!r)
    throw AccountError(AccountError::kNotFound, "redemption_id",
                       "no such redemption for this member");
  const domain::SettleDecision decision = domain::decide_settle(
      static_cast<v1::RedemptionStatus>(r->status), r->expires_at, now, action);
  if (decision.outcome == domain::SettleDecision::kAlreadyDone) return {member, *r, false};
  if (decision.outcome == domain::SettleDecision::kRefused)
    throw AccountError(AccountError::kPrecondition, "redemption_id", decision.why);

  if (action == domain::Settle::kConfirm) {
    settle_redemption(tx, r->redemption_id, v1::REDEMPTION_STATUS_CONFIRMED, now, reason);
    r->status = v1::REDEMPTION_STATUS_CONFIRMED;
    member.held -= r->points;
    member.updated_at = now;
    append(tx, member, redemption_entry(*r, v1::LEDGER_ENTRY_KIND_REDEEM, 0, r->item, now));
    emit(tx, member, "", redemption_confirmed(member, *r), "");
  } else {
    release_locked(tx, member, *r, reason.empty() ? "cancelled" : "cancelled: " + reason, now);
    r->status = v1::REDEMPTION_STATUS_RELEASED;
    r->settle_reason = reason.empty() ? "cancelled" : "cancelled: " + reason;
    // Points given back to lots that expired meanwhile are not spendable.
    expire_locked(tx, member, now, now);
  }
  r->settled_at = now;
  update_member(tx, member);
  return {member, *r, true};
}

Accounts::Released Accounts::release_if_due(Tx& tx, const std::string& owner_id,
                                            const std::string& redemption_id, absl::Time as_of,
                                            absl::Time now) {
  now = micros(now);
  auto member = find_member(tx, owner_id, true);
  if (!member) return {};
  auto r = find_redemption(tx, owner_id, redemption_id);
  if (!r || r->status != v1::REDEMPTION_STATUS_HELD || r->expires_at > as_of) return {};
  release_locked(tx, *member, *r, "hold expired", now);
  const int64_t expired = expire_locked(tx, *member, as_of, now);
  update_member(tx, *member);
  return {r->points, expired};
}

int64_t Accounts::expire_due(Tx& tx, const std::string& owner_id, absl::Time as_of,
                             absl::Time now) {
  now = micros(now);
  auto member = find_member(tx, owner_id, true);
  if (!member) return 0;
  const int64_t points = expire_locked(tx, *member, as_of, now);
  if (points > 0) update_member(tx, *member);
  return points;
}

bool Accounts::review_tier(Tx& tx, const std::string& owner_id, absl::Time as_of, absl::Time now) {
  auto member = find_member(tx, owner_id, true);
  if (!member) return false;
  const int64_t window_before = member->window_earned;
  const bool changed =
      refresh_tier(tx, *member, load_policy(tx, member->home_project_id), as_of, "");
  if (changed || member->window_earned != window_before) {
    member->updated_at = micros(now);
    update_member(tx, *member);
  }
  return changed;
}

}  // namespace aftercare::loyalty::store
