#include "loyalty/store/loyalty_store.h"

#include "common/call.h"
#include "common/pg.h"
#include "common/sql_array.h"

namespace aftercare::loyalty::store {
namespace {

int64_t us(absl::Time t) {
  return absl::ToUnixMicros(t);
}
absl::Time at_us(const pqxx::field& f) {
  return absl::FromUnixMicros(f.as<int64_t>());
}
std::optional<absl::Time> opt_time(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return at_us(f);
}
std::string text(const pqxx::field& f) {
  return f.is_null() ? std::string() : f.as<std::string>();
}

MemberRow member_of(const pqxx::row& r) {
  MemberRow m;
  m.owner_id = r[0].as<std::string>();
  m.card_no = r[1].as<std::string>();
  m.home_project_id = r[2].as<std::string>();
  m.balance = r[3].as<int64_t>();
  m.held = r[4].as<int64_t>();
  m.lifetime_earned = r[5].as<int64_t>();
  m.window_earned = r[6].as<int64_t>();
  m.tier = r[7].as<int>();
  m.last_seq = r[8].as<int64_t>();
  m.enrolled_at = at_us(r[9]);
  m.updated_at = at_us(r[10]);
  return m;
}

constexpr const char* kFindMember =
    "SELECT owner_id, card_no, home_project_id, balance, held, lifetime_earned, window_earned, "
    "tier, "
    "last_seq, loyalty_us(enrolled_at), loyalty_us(updated_at) FROM members WHERE owner_id = $1";
constexpr const char* kLockMember =
    "SELECT owner_id, card_no, home_project_id, balance, held, lifetime_earned, window_earned, "
    "tier, "
    "last_seq, loyalty_us(enrolled_at), loyalty_us(updated_at) FROM members WHERE owner_id = $1 "
    "FOR UPDATE";
constexpr const char* kNextCardSerial = "SELECT nextval('member_card_serial')";
constexpr const char* kInsertMember = R"(
  INSERT INTO members (owner_id, card_no, home_project_id, balance, held, lifetime_earned,
                       window_earned, tier, last_seq, enrolled_at, updated_at)
  VALUES ($1, $2, $3, 0, 0, 0, 0, $4, 0, loyalty_ts($5), loyalty_ts($5))
  ON CONFLICT (owner_id) DO NOTHING RETURNING owner_id)";
constexpr const char* kUpdateMember = R"(
  UPDATE members SET balance = $2, held = $3, lifetime_earned = $4, window_earned = $5, tier = $6,
                     last_seq = $7, updated_at = loyalty_ts($8)
  WHERE owner_id = $1)";
constexpr const char* kMemberProjects =
    "SELECT project_id FROM member_projects WHERE owner_id = $1 ORDER BY since, project_id";
constexpr const char* kAddMemberProject = R"(
  INSERT INTO member_projects (owner_id, project_id, since) VALUES ($1, $2, loyalty_ts($3))
  ON CONFLICT DO NOTHING RETURNING owner_id)";
constexpr const char* kUpsertUnit = R"(
  INSERT INTO units (unit_id, project_id, owner_id) VALUES ($1, $2, $3)
  ON CONFLICT (unit_id) DO UPDATE SET project_id = EXCLUDED.project_id, owner_id = EXCLUDED.owner_id,
                                      updated_at = now())";

constexpr const char* kUpsertProject = R"(
  INSERT INTO projects (project_id, timezone) VALUES ($1, $2)
  ON CONFLICT (project_id) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = now())";
constexpr const char* kProjectRules = R"(
  SELECT expiry_months, hold_minutes, tier_window_months, silver_at_points, gold_at_points,
         platinum_at_points, policy_version, loyalty_us(updated_at)
  FROM project_rules WHERE project_id = $1)";
// The whole effective policy in one round trip (it is read inside every member's critical section).
constexpr const char* kLoadPolicy = R"(
  SELECT (SELECT timezone FROM projects WHERE project_id = $1),
         r.expiry_months, r.hold_minutes, r.tier_window_months, r.silver_at_points, r.gold_at_points,
         r.platinum_at_points,
         (SELECT string_agg(reason || ':' || points || ':' || max_points, ',') FROM earning_rules
          WHERE project_id = $1)
  FROM (SELECT 1) AS one LEFT JOIN project_rules r ON r.project_id = $1)";
constexpr const char* kSaveProjectRules = R"(
  INSERT INTO project_rules (project_id, expiry_months, hold_minutes, tier_window_months,
                             silver_at_points, gold_at_points, platinum_at_points, policy_version)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
  ON CONFLICT (project_id) DO UPDATE SET
    expiry_months = EXCLUDED.expiry_months, hold_minutes = EXCLUDED.hold_minutes,
    tier_window_months = EXCLUDED.tier_window_months, silver_at_points = EXCLUDED.silver_at_points,
    gold_at_points = EXCLUDED.gold_at_points, platinum_at_points = EXCLUDED.platinum_at_points,
    policy_version = GREATEST(project_rules.policy_version, EXCLUDED.policy_version), updated_at = now())";
constexpr const char* kSaveEarningRule = R"(
  INSERT INTO earning_rules (project_id, reason, points, max_points) VALUES ($1, $2, $3, $4)
  ON CONFLICT (project_id, reason) DO UPDATE SET points = EXCLUDED.points,
                                                 max_points = EXCLUDED.max_points, updated_at = now())";

constexpr const char* kEntryColumns =
    "entry_id::text, owner_id, seq, loyalty_us(at), kind, points, amount, reason, earn_reason, "
    "source_id, "
    "redemption_id::text, merchant_id, project_id, balance_after, held_after, "
    "loyalty_us(expires_at), note";

EntryRow entry_of(const pqxx::row& r) {
  EntryRow e;
  e.entry_id = r[0].as<std::string>();
  e.owner_id = r[1].as<std::string>();
  e.seq = r[2].as<int64_t>();
  e.at = at_us(r[3]);
  e.kind = r[4].as<int>();
  e.points = r[5].as<int64_t>();
  e.amount = r[6].as<int64_t>();
  e.reason = r[7].as<std::string>();
  e.earn_reason = r[8].is_null() ? 0 : r[8].as<int>();
  e.source_id = r[9].as<std::string>();
  e.redemption_id = text(r[10]);
  e.merchant_id = text(r[11]);
  e.project_id = r[12].as<std::string>();
  e.balance_after = r[13].as<int64_t>();
  e.held_after = r[14].as<int64_t>();
  e.expires_at = opt_time(r[15]);
  e.note = r[16].as<std::string>();
  return e;
}

constexpr const char* kInsertEntry = R"(
  INSERT INTO ledger_entries (entry_id, owner_id, seq, at, kind, points, amount, reason, earn_reason,
                              earn_key, source_id, redemption_id, merchant_id, project_id,
                              balance_after, held_after, expires_at, note)
  VALUES ($1::uuid, $2, $3, loyalty_ts($4), $5, $6, $7, $8, $9::smallint, $10, $11, $12::uuid, $13, $14,
          $15, $16, loyalty_ts($17::bigint), $18))";
constexpr const char* kInsertLot = R"(
  INSERT INTO lots (lot_id, owner_id, seq, earned_at, expires_at, points, remaining)
  VALUES ($1::uuid, $2, $3, loyalty_ts($4), loyalty_ts($5), $6, $6))";
constexpr const char* kLiveLots = R"(
  SELECT lot_id::text, seq, loyalty_us(earned_at), loyalty_us(expires_at), remaining
  FROM lots WHERE owner_id = $1 AND remaining > 0 ORDER BY earned_at, seq)";
constexpr const char* kAdjustLot =
    "UPDATE lots SET remaining = remaining + $2 WHERE lot_id = $1::uuid";
constexpr const char* kEarnedSince = R"(
  SELECT coalesce(sum(points), 0) FROM lots WHERE owner_id = $1 AND earned_at >= loyalty_ts($2))";
constexpr const char* kExpiringBetween = R"(
  SELECT coalesce(sum(remaining), 0) FROM lots
  WHERE owner_id = $1 AND remaining > 0 AND expires_at > loyalty_ts($2) AND expires_at <= loyalty_ts($3))";

constexpr const char* kRedemptionColumns =
    "redemption_id::text, owner_id, merchant_id, item, points, status, idempotency_key, "
    "project_id, "
    "loyalty_us(created_at), loyalty_us(expires_at), loyalty_us(settled_at), settle_reason";

RedemptionRow redemption_of(const pqxx::row& r) {
  RedemptionRow x;
  x.redemption_id = r[0].as<std::string>();
  x.owner_id = r[1].as<std::string>();
  x.merchant_id = r[2].as<std::string>();
  x.item = r[3].as<std::string>();
  x.points = r[4].as<int64_t>();
  x.status = r[5].as<int>();
  x.idempotency_key = text(r[6]);
  x.project_id = r[7].as<std::string>();
  x.created_at = at_us(r[8]);
  x.expires_at = at_us(r[9]);
  x.settled_at = opt_time(r[10]);
  x.settle_reason = r[11].as<std::string>();
  return x;
}

constexpr const char* kInsertRedemption = R"(
  INSERT INTO redemptions (redemption_id, owner_id, merchant_id, item, points, status, idempotency_key,
                           project_id, created_at, expires_at, settled_at)
  VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, loyalty_ts($9), loyalty_ts($10), loyalty_ts($11::bigint)))";
constexpr const char* kSettleRedemption = R"(
  UPDATE redemptions SET status = $2, settled_at = loyalty_ts($3), settle_reason = $4
  WHERE redemption_id = $1::uuid AND status = 1)";
constexpr const char* kInsertAllocation =
    "INSERT INTO hold_allocations (redemption_id, lot_id, points) VALUES ($1::uuid, $2::uuid, $3)";
constexpr const char* kAllocations =
    "SELECT lot_id::text, points FROM hold_allocations WHERE redemption_id = $1::uuid ORDER BY "
    "lot_id";
constexpr const char* kDueHolds = R"(
  SELECT owner_id, redemption_id::text FROM redemptions
  WHERE status = 1 AND expires_at <= loyalty_ts($1) ORDER BY expires_at LIMIT $2)";
constexpr const char* kOwnersWithDueLots = R"(
  SELECT DISTINCT owner_id FROM lots WHERE remaining > 0 AND expires_at <= loyalty_ts($1) LIMIT $2)";
constexpr const char* kMembersAboveStandard = R"(
  SELECT owner_id FROM members WHERE tier > 1 AND owner_id > $1 ORDER BY owner_id LIMIT $2)";

constexpr const char* kUpsertMerchant = R"(
  INSERT INTO merchants (merchant_id, name, description, project_ids, active)
  VALUES ($1, $2, $3, $4::text[], $5)
  ON CONFLICT (merchant_id) DO UPDATE SET name = EXCLUDED.name, description = EXCLUDED.description,
    project_ids = EXCLUDED.project_ids, active = EXCLUDED.active, updated_at = now())";
constexpr const char* kFindMerchant = R"(
  SELECT merchant_id, name, description, project_ids, active, loyalty_us(updated_at)
  FROM merchants WHERE merchant_id = $1)";
constexpr const char* kListMerchants = R"(
  SELECT merchant_id, name, description, project_ids, active, loyalty_us(updated_at)
  FROM merchants
  WHERE ($1::text = '' OR cardinality(project_ids) = 0 OR $1::text = ANY(project_ids)) AND (NOT $2::boolean OR active)
  ORDER BY merchant_id LIMIT 1000)";

MerchantRow merchant_of(const pqxx::row& r) {
  MerchantRow m;
  m.merchant_id = r[0].as<std::string>();
  m.name = r[1].as<std::string>();
  m.description = r[2].as<std::string>();
  m.project_ids = kit::text_array_items(r[3]);
  m.active = r[4].as<bool>();
  m.updated_at = at_us(r[5]);
  return m;
}

constexpr const char* kProjectTotals = R"(
  SELECT
    coalesce(sum(amount) FILTER (WHERE kind = 1), 0),
    coalesce(sum(amount) FILTER (WHERE kind = 3), 0),
    coalesce(sum(amount) FILTER (WHERE kind = 5), 0),
    count(DISTINCT owner_id)
  FROM ledger_entries WHERE project_id = $1 AND at >= loyalty_ts($2) AND at < loyalty_ts($3))";
constexpr const char* kProjectEarnedByReason = R"(
  SELECT earn_reason, sum(amount) FROM ledger_entries
  WHERE project_id = $1 AND kind = 1 AND at >= loyalty_ts($2) AND at < loyalty_ts($3)
  GROUP BY earn_reason ORDER BY earn_reason)";
constexpr const char* kProjectMembers =
    "SELECT count(*) FROM member_projects WHERE project_id = $1";

}  // namespace

std::optional<MemberRow> find_member(Tx& tx, const std::string& owner_id, bool for_update) {
  auto r = for_update ? kit::exec_prepared(tx, "loyalty_lock_member", kLockMember, owner_id)
                      : kit::exec_prepared(tx, "loyalty_find_member", kFindMember, owner_id);
  if (r.empty()) return std::nullopt;
  return member_of(r[0]);
}

int64_t next_card_serial(Tx& tx) {
  return tx.exec(kNextCardSerial)[0][0].as<int64_t>();
}

bool insert_member(Tx& tx, const MemberRow& m) {
  return !tx.exec_params(kInsertMember, m.owner_id, m.card_no, m.home_project_id, m.tier,
                         us(m.enrolled_at))
              .empty();
}

void update_member(Tx& tx, const MemberRow& m) {
  kit::exec_prepared(tx, "loyalty_update_member", kUpdateMember, m.owner_id, m.balance, m.held,
                     m.lifetime_earned, m.window_earned, m.tier, m.last_seq, us(m.updated_at));
}

std::vector<std::string> member_projects(Tx& tx, const std::string& owner_id) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kMemberProjects, owner_id))
    out.push_back(row[0].as<std::string>());
  return out;
}

bool add_member_project(Tx& tx, const std::string& owner_id, const std::string& project_id,
                        absl::Time at) {
  return !kit::exec_prepared(tx, "loyalty_add_member_project", kAddMemberProject, owner_id,
                             project_id, us(at))
              .empty();
}

void upsert_unit(Tx& tx, const std::string& unit_id, const std::string& project_id,
                 const std::string& owner_id) {
  tx.exec_params(kUpsertUnit, unit_id, project_id, owner_id);
}

void upsert_project(Tx& tx, const std::string& project_id, const std::string& timezone) {
  tx.exec_params(kUpsertProject, project_id, timezone);
}

domain::LoyaltyPolicy load_policy(Tx& tx, const std::string& project_id) {
  domain::LoyaltyPolicy p = domain::LoyaltyPolicy::defaults();
  const auto r = kit::exec_prepared(tx, "loyalty_load_policy", kLoadPolicy, project_id);
  const auto& row = r[0];
  if (!row[0].is_null()) p.timezone = row[0].as<std::string>();
  if (!row[1].is_null()) p.expiry_months = row[1].as<int>();
  if (!row[2].is_null()) p.hold_minutes = row[2].as<int>();
  if (!row[3].is_null()) p.tier_window_months = row[3].as<int>();
  if (!row[4].is_null()) p.silver_at_points = row[4].as<int64_t>();
  if (!row[5].is_null()) p.gold_at_points = row[5].as<int64_t>();
  if (!row[6].is_null()) p.platinum_at_points = row[6].as<int64_t>();
  // "reason:points:max_points,..." (integers only).
  if (!row[7].is_null()) {
    for (const std::string& rule : kit::split_list(row[7].as<std::string>(), ',')) {
      auto parts = kit::split_list(rule, ':');
      if (parts.size() != 3) throw std::runtime_error("bad earning rule " + rule);
      p.earning_rules[static_cast<aftercare::v1::EarnReason>(std::stoi(parts[0]))] = {
          std::stoll(parts[1]), std::stoll(parts[2])};
    }
  }
  return p;
}

void save_policy(Tx& tx, const std::string& project_id, const domain::LoyaltyPolicy& p,
                 int64_t policy_version) {
  tx.exec_params(kSaveProjectRules, project_id, p.expiry_months, p.hold_minutes,
                 p.tier_window_months, p.silver_at_points, p.gold_at_points, p.platinum_at_points,
                 policy_version);
  for (const auto& [reason, rule] : p.earning_rules)
    tx.exec_params(kSaveEarningRule, project_id, static_cast<int>(reason), rule.points,
                   rule.max_points);
}

int64_t policy_version_applied(Tx& tx, const std::string& project_id) {
  auto r = tx.exec_params(kProjectRules, project_id);
  return r.empty() ? 0 : r[0][6].as<int64_t>();
}

std::optional<absl::Time> rules_updated_at(Tx& tx, const std::string& project_id) {
  auto r = tx.exec_params(kProjectRules, project_id);
  if (r.empty()) return std::nullopt;
  return at_us(r[0][7]);
}

std::optional<EntryRow> find_earning(Tx& tx, const std::string& owner_id,
                                     const std::string& source_id) {
  static const std::string sql = std::string("SELECT ") + kEntryColumns +
                                 " FROM ledger_entries WHERE owner_id = $1 AND earn_key = $2";
  auto r = kit::exec_prepared(tx, "loyalty_find_earning", sql, owner_id, source_id);
  if (r.empty()) return std::nullopt;
  return entry_of(r[0]);
}

void insert_entry(Tx& tx, const EntryRow& e) {
  const bool earning = e.kind == aftercare::v1::LEDGER_ENTRY_KIND_EARN;
  std::string earn_reason = earning ? std::to_string(e.earn_reason) : "";
  std::string expires = e.expires_at ? std::to_string(us(*e.expires_at)) : "";
  kit::exec_prepared(tx, "loyalty_insert_entry", kInsertEntry, e.entry_id, e.owner_id, e.seq,
                     us(e.at), e.kind, e.points, e.amount, e.reason, kit::nullable(earn_reason),
                     earning ? e.source_id.c_str() : nullptr, e.source_id,
                     kit::nullable(e.redemption_id), kit::nullable(e.merchant_id), e.project_id,
                     e.balance_after, e.held_after, kit::nullable(expires), e.note);
}

void insert_lot(Tx& tx, const std::string& lot_id, const std::string& owner_id, int64_t seq,
                absl::Time earned_at, absl::Time expires_at, int64_t points) {
  kit::exec_prepared(tx, "loyalty_insert_lot", kInsertLot, lot_id, owner_id, seq, us(earned_at),
                     us(expires_at), points);
}

std::vector<domain::Lot> live_lots(Tx& tx, const std::string& owner_id) {
  std::vector<domain::Lot> out;
  for (const auto& row : tx.exec_params(kLiveLots, owner_id))
    out.push_back({row[0].as<std::string>(), row[1].as<int64_t>(), at_us(row[2]), at_us(row[3]),
                   row[4].as<int64_t>()});
  return out;
}

void apply_takes(Tx& tx, const std::vector<domain::Take>& takes, int sign) {
  for (const auto& t : takes) tx.exec_params(kAdjustLot, t.lot_id, sign * t.points);
}

int64_t earned_since(Tx& tx, const std::string& owner_id, absl::Time since) {
  if (since == absl::InfinitePast()) since = absl::UnixEpoch() - absl::Hours(24 * 365 * 100);
  return kit::exec_prepared(tx, "loyalty_earned_since", kEarnedSince, owner_id, us(since))[0][0]
      .as<int64_t>();
}

std::vector<EntryRow> ledger_page(Tx& tx, const std::string& owner_id, int64_t before_seq, int kind,
                                  int limit) {
  std::vector<EntryRow> out;
  auto r = tx.exec_params(
      std::string("SELECT ") + kEntryColumns +
          " FROM ledger_entries WHERE owner_id = $1 AND ($2::bigint = 0 OR seq < $2::bigint)"
          " AND ($3::smallint = 0 OR kind = $3::smallint) ORDER BY seq DESC LIMIT $4",
      owner_id, before_seq, kind, limit);
  for (const auto& row : r) out.push_back(entry_of(row));
  return out;
}

std::vector<EntryRow> entries_before(Tx& tx, const std::string& owner_id, absl::Time before) {
  std::vector<EntryRow> out;
  auto r = tx.exec_params(
      std::string("SELECT ") + kEntryColumns +
          " FROM ledger_entries WHERE owner_id = $1 AND at < loyalty_ts($2) ORDER BY seq",
      owner_id, us(before));
  for (const auto& row : r) out.push_back(entry_of(row));
  return out;
}

int64_t expiring_between(Tx& tx, const std::string& owner_id, absl::Time from, absl::Time to) {
  return tx.exec_params(kExpiringBetween, owner_id, us(from), us(to))[0][0].as<int64_t>();
}

void insert_redemption(Tx& tx, const RedemptionRow& r) {
  std::string settled = r.settled_at ? std::to_string(us(*r.settled_at)) : "";
  tx.exec_params(kInsertRedemption, r.redemption_id, r.owner_id, r.merchant_id, r.item, r.points,
                 r.status, kit::nullable(r.idempotency_key), r.project_id, us(r.created_at),
                 us(r.expires_at), kit::nullable(settled));
}

std::optional<RedemptionRow> find_redemption(Tx& tx, const std::string& owner_id,
                                             const std::string& redemption_id) {
  auto r = tx.exec_params(std::string("SELECT ") + kRedemptionColumns +
                              " FROM redemptions WHERE owner_id = $1 AND redemption_id = $2::uuid",
                          owner_id, redemption_id);
  if (r.empty()) return std::nullopt;
  return redemption_of(r[0]);
}

std::optional<RedemptionRow> find_redemption_by_key(Tx& tx, const std::string& owner_id,
                                                    const std::string& key) {
  auto r = tx.exec_params(std::string("SELECT ") + kRedemptionColumns +
                              " FROM redemptions WHERE owner_id = $1 AND idempotency_key = $2",
                          owner_id, key);
  if (r.empty()) return std::nullopt;
  return redemption_of(r[0]);
}

void settle_redemption(Tx& tx, const std::string& redemption_id, int status, absl::Time at,
                       const std::string& reason) {
  auto r = tx.exec_params(kSettleRedemption, redemption_id, status, us(at), reason);
  if (r.affected_rows() != 1)
    throw std::logic_error("redemption " + redemption_id + " was not held");
}

void insert_allocations(Tx& tx, const std::string& redemption_id,
                        const std::vector<domain::Take>& takes) {
  for (const auto& t : takes) tx.exec_params(kInsertAllocation, redemption_id, t.lot_id, t.points);
}

std::vector<domain::Take> allocations(Tx& tx, const std::string& redemption_id) {
  std::vector<domain::Take> out;
  for (const auto& row : tx.exec_params(kAllocations, redemption_id))
    out.push_back({row[0].as<std::string>(), row[1].as<int64_t>()});
  return out;
}

std::vector<HoldRef> due_holds(Tx& tx, absl::Time as_of, int limit) {
  std::vector<HoldRef> out;
  for (const auto& row : tx.exec_params(kDueHolds, us(as_of), limit))
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
  return out;
}

std::vector<std::string> owners_with_due_lots(Tx& tx, absl::Time as_of, int limit) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kOwnersWithDueLots, us(as_of), limit))
    out.push_back(row[0].as<std::string>());
  return out;
}

std::vector<std::string> members_above_standard(Tx& tx, const std::string& after, int limit) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kMembersAboveStandard, after, limit))
    out.push_back(row[0].as<std::string>());
  return out;
}

void upsert_merchant(Tx& tx, const MerchantRow& m) {
  tx.exec_params(kUpsertMerchant, m.merchant_id, m.name, m.description,
                 kit::text_array(m.project_ids), m.active);
}

std::optional<MerchantRow> find_merchant(Tx& tx, const std::string& merchant_id) {
  auto r = tx.exec_params(kFindMerchant, merchant_id);
  if (r.empty()) return std::nullopt;
  return merchant_of(r[0]);
}

std::vector<MerchantRow> list_merchants(Tx& tx, const std::string& project_id, bool active_only) {
  std::vector<MerchantRow> out;
  for (const auto& row : tx.exec_params(kListMerchants, project_id, active_only))
    out.push_back(merchant_of(row));
  return out;
}

ProjectTotals project_totals(Tx& tx, const std::string& project_id, absl::Time from,
                             absl::Time to) {
  ProjectTotals t;
  auto r = tx.exec_params(kProjectTotals, project_id, us(from), us(to));
  t.earned = r[0][0].as<int64_t>();
  t.redeemed = r[0][1].as<int64_t>();
  t.expired = r[0][2].as<int64_t>();
  t.active_members = r[0][3].as<int64_t>();
  t.members = tx.exec_params(kProjectMembers, project_id)[0][0].as<int64_t>();
  for (const auto& row : tx.exec_params(kProjectEarnedByReason, project_id, us(from), us(to)))
    t.earned_by_reason.emplace_back(row[0].is_null() ? 0 : row[0].as<int>(), row[1].as<int64_t>());
  return t;
}

}  // namespace aftercare::loyalty::store
