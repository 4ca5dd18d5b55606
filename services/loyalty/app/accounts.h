// Member accounts: the transactional operations of the loyalty service, each inside the
// caller's transaction and under the member's row lock (SELECT ... FOR UPDATE), so one member's
// changes are serialized and its balance can never go negative, whatever the concurrency. Each
// operation appends to the ledger, keeps lots, member totals and tier in step, and writes its
// events to the outbox in the same transaction.
#pragma once

#include <stdexcept>
#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/common.pb.h"
#include "common/call.h"
#include "common/outbox.h"
#include "common/refusal.h"
#include "loyalty/domain/policy.h"
#include "loyalty/domain/redemption.h"
#include "loyalty/store/loyalty_store.h"

namespace aftercare::loyalty::store {

// A refused operation (the transaction must be rolled back: nothing is written).
// A kit::Refusal, so handlers answer it as the status: "field: message" with INVALID_ARGUMENT,
// NOT_FOUND or FAILED_PRECONDITION.
class AccountError : public kit::Refusal {
 public:
  enum Code { kInvalid, kNotFound, kPrecondition };
  AccountError(Code code, std::string field, const std::string& message)
      : kit::Refusal(status_for(code, field, message)), reason(code), field(std::move(field)) {}
  Code reason;
  std::string field;

 private:
  static grpc::Status status_for(Code code, const std::string& field, const std::string& message) {
    switch (code) {
      case kInvalid:
        return kit::invalid_field(field, message);
      case kNotFound:
        return {grpc::StatusCode::NOT_FOUND, field + ": " + message};
      case kPrecondition:
        break;
    }
    return {grpc::StatusCode::FAILED_PRECONDITION, field + ": " + message};
  }
};

struct EarnCommand {
  std::string owner_id;
  aftercare::v1::EarnReason reason = aftercare::v1::EARN_REASON_UNSPECIFIED;
  int64_t points = 0;
  std::string source_id;  // one award per (owner_id, source_id)
  std::string note;
  std::string project_id;      // the project whose rule applies (and where a new member enrols)
  bool staff_entered = false;  // capped by the reason's max_points
  // The rule's project's policy when the caller read it already (issue 21: not read twice).
  const domain::LoyaltyPolicy* policy = nullptr;
};

struct EarnOutcome {
  MemberRow member;
  EntryRow entry;  // the award for source_id (the first one when repeated)
  bool awarded = false;
};

struct HoldCommand {
  std::string owner_id;
  std::string merchant_id;  // "" = the club's own catalog
  std::string item;
  int64_t points = 0;
  std::string idempotency_key;  // "" = none
  bool confirm = false;         // Redeem: hold and confirm in one step
};

struct RedemptionOutcome {
  MemberRow member;
  RedemptionRow redemption;
  bool changed = false;  // false: a repeat (idempotency key, or settling twice the same way)
};

class Accounts {
 public:
  explicit Accounts(const kit::Outbox& outbox) : outbox_(outbox) {}

  // Locks the member, creating it first when absent (card number, MemberEnrolled), and records
  // project_id among its projects.
  MemberRow enroll(Tx& tx, const std::string& owner_id, const std::string& project_id,
                   absl::Time now, const std::string& causation_id = "");

  // Awards points once per source: a repeated source returns the first award, awarded = false.
  EarnOutcome earn(Tx& tx, const EarnCommand& command, absl::Time now,
                   const std::string& causation_id = "");

  // Reserves points from the oldest lots (after expiring what is due); FAILED_PRECONDITION when
  // the spendable balance is short. With command.confirm the points are spent at once.
  RedemptionOutcome hold(Tx& tx, const HoldCommand& command, absl::Time now);

  // Confirms (spends) or releases (gives back) a held redemption.
  RedemptionOutcome settle(Tx& tx, const std::string& owner_id, const std::string& redemption_id,
                           domain::Settle action, const std::string& reason, absl::Time now);

  // Sweeper steps for one member. Each re-checks under the lock, so running them twice (or in
  // two replicas at once) changes nothing the second time.
  struct Released {
    int64_t points = 0;   // given back by the hold (0: not due or already settled)
    int64_t expired = 0;  // of those, returned to lots that had expired meanwhile (expired at once)
  };
  Released release_if_due(Tx& tx, const std::string& owner_id, const std::string& redemption_id,
                          absl::Time as_of, absl::Time now);
  int64_t expire_due(Tx& tx, const std::string& owner_id, absl::Time as_of,
                     absl::Time now);  // points expired
  bool review_tier(Tx& tx, const std::string& owner_id, absl::Time as_of,
                   absl::Time now);  // tier changed

 private:
  MemberRow lock(Tx& tx, const std::string& owner_id);
  // Appends `entry` with the member's next seq and after-balances (member already updated).
  EntryRow append(Tx& tx, MemberRow& member, EntryRow entry);
  void emit(Tx& tx, const MemberRow& member, const std::string& project_id,
            aftercare::v1::Event event, const std::string& causation_id);
  // Expires the member's due lots; `lots` (when given) are the live lots already loaded, kept
  // up to date.
  int64_t expire_locked(Tx& tx, MemberRow& member, absl::Time as_of, absl::Time now,
                        std::vector<domain::Lot>* lots = nullptr);
  bool refresh_tier(Tx& tx, MemberRow& member, const domain::LoyaltyPolicy& policy,
                    absl::Time as_of, const std::string& causation_id);
  void release_locked(Tx& tx, MemberRow& member, const RedemptionRow& r, const std::string& reason,
                      absl::Time now);

  const kit::Outbox& outbox_;
};

}  // namespace aftercare::loyalty::store
