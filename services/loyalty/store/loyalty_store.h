// SQL of the loyalty service: named statements with bound parameters over libpqxx. Instants
// cross the boundary as integer microseconds (loyalty_ts / loyalty_us, migration 001). Every
// function runs inside the caller's transaction; the caller locks the member row first.
#pragma once

#include <pqxx/pqxx>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "loyalty/domain/lots.h"
#include "loyalty/domain/policy.h"
#include "loyalty/domain/statement.h"

namespace aftercare::loyalty::store {

using Tx = pqxx::transaction_base;

struct MemberRow {
  std::string owner_id;
  std::string card_no;
  std::string home_project_id;
  int64_t balance = 0;
  int64_t held = 0;
  int64_t lifetime_earned = 0;
  int64_t window_earned = 0;
  int tier = 1;
  int64_t last_seq = 0;
  absl::Time enrolled_at;
  absl::Time updated_at;
};

struct EntryRow {
  std::string entry_id;
  std::string owner_id;
  int64_t seq = 0;
  absl::Time at;
  int kind = 0;
  int64_t points = 0;  // signed effect on the balance
  int64_t amount = 0;  // points moved, > 0
  std::string reason;
  int earn_reason = 0;  // 0 = not an earning
  std::string source_id;
  std::string redemption_id;
  std::string merchant_id;
  std::string project_id;
  int64_t balance_after = 0;
  int64_t held_after = 0;
  std::optional<absl::Time> expires_at;
  std::string note;  // staff's note on an earning
};

struct RedemptionRow {
  std::string redemption_id;
  std::string owner_id;
  std::string merchant_id;
  std::string item;
  int64_t points = 0;
  int status = 1;
  std::string idempotency_key;
  std::string project_id;
  absl::Time created_at;
  absl::Time expires_at;
  std::optional<absl::Time> settled_at;
  std::string settle_reason;
};

struct MerchantRow {
  std::string merchant_id;
  std::string name;
  std::string description;
  std::vector<std::string> project_ids;
  bool active = true;
  absl::Time updated_at;
};

// Members and their projects.
std::optional<MemberRow> find_member(Tx& tx, const std::string& owner_id, bool for_update);
int64_t next_card_serial(Tx& tx);
// INSERT ... ON CONFLICT DO NOTHING; true when this call created the member.
bool insert_member(Tx& tx, const MemberRow& m);
void update_member(Tx& tx, const MemberRow& m);
std::vector<std::string> member_projects(Tx& tx, const std::string& owner_id);
bool add_member_project(Tx& tx, const std::string& owner_id, const std::string& project_id,
                        absl::Time at);
void upsert_unit(Tx& tx, const std::string& unit_id, const std::string& project_id,
                 const std::string& owner_id);

// Projects and rules.
void upsert_project(Tx& tx, const std::string& project_id, const std::string& timezone);
// The effective policy of a project: defaults, overridden by its stored rules and time zone.
domain::LoyaltyPolicy load_policy(Tx& tx, const std::string& project_id);
// Stores every number of `policy` for the project. policy_version > 0 records the intake
// Policy.version applied (older versions are then ignored by policy_version_applied).
void save_policy(Tx& tx, const std::string& project_id, const domain::LoyaltyPolicy& policy,
                 int64_t policy_version);
int64_t policy_version_applied(Tx& tx, const std::string& project_id);
std::optional<absl::Time> rules_updated_at(Tx& tx, const std::string& project_id);

// Ledger and lots.
std::optional<EntryRow> find_earning(Tx& tx, const std::string& owner_id,
                                     const std::string& source_id);
void insert_entry(Tx& tx, const EntryRow& e);
void insert_lot(Tx& tx, const std::string& lot_id, const std::string& owner_id, int64_t seq,
                absl::Time earned_at, absl::Time expires_at, int64_t points);
std::vector<domain::Lot> live_lots(Tx& tx, const std::string& owner_id);
// sign -1 takes, +1 gives back.
void apply_takes(Tx& tx, const std::vector<domain::Take>& takes, int sign);
int64_t earned_since(Tx& tx, const std::string& owner_id, absl::Time since);
// Newest first, entries with seq < before_seq (0 = from the newest), optionally of one kind.
std::vector<EntryRow> ledger_page(Tx& tx, const std::string& owner_id, int64_t before_seq, int kind,
                                  int limit);
// Oldest first, entries before `before`.
std::vector<EntryRow> entries_before(Tx& tx, const std::string& owner_id, absl::Time before);
int64_t expiring_between(Tx& tx, const std::string& owner_id, absl::Time from, absl::Time to);

// Redemptions.
void insert_redemption(Tx& tx, const RedemptionRow& r);
std::optional<RedemptionRow> find_redemption(Tx& tx, const std::string& owner_id,
                                             const std::string& redemption_id);
std::optional<RedemptionRow> find_redemption_by_key(Tx& tx, const std::string& owner_id,
                                                    const std::string& key);
void settle_redemption(Tx& tx, const std::string& redemption_id, int status, absl::Time at,
                       const std::string& reason);
void insert_allocations(Tx& tx, const std::string& redemption_id,
                        const std::vector<domain::Take>& takes);
std::vector<domain::Take> allocations(Tx& tx, const std::string& redemption_id);

// Sweeper work lists.
struct HoldRef {
  std::string owner_id;
  std::string redemption_id;
};
std::vector<HoldRef> due_holds(Tx& tx, absl::Time as_of, int limit);
std::vector<std::string> owners_with_due_lots(Tx& tx, absl::Time as_of, int limit);
// Members above the standard tier with owner_id > after, in owner_id order.
std::vector<std::string> members_above_standard(Tx& tx, const std::string& after, int limit);

// Merchants.
void upsert_merchant(Tx& tx, const MerchantRow& m);
std::optional<MerchantRow> find_merchant(Tx& tx, const std::string& merchant_id);
std::vector<MerchantRow> list_merchants(Tx& tx, const std::string& project_id, bool active_only);

// Reports.
struct ProjectTotals {
  int64_t earned = 0;
  int64_t redeemed = 0;
  int64_t expired = 0;
  int64_t members = 0;
  int64_t active_members = 0;
  std::vector<std::pair<int, int64_t>> earned_by_reason;  // (EarnReason, points)
};
ProjectTotals project_totals(Tx& tx, const std::string& project_id, absl::Time from, absl::Time to);

}  // namespace aftercare::loyalty::store
