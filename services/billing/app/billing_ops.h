// The use cases of billing, each one database transaction: the state change, its ledger
// posting and its outbox event commit together or not at all. Handlers call these after
// checking the caller's role and validating input; the event consumers and the sweeper call
// them too. Business refusals are thrown as kit::Refusal (common/refusal.h), and the transaction
// rolls back so nothing is written.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/billing.pb.h"
#include "aftercare/v1/events.pb.h"
#include "billing/access.h"
#include "billing/domain/period.h"
#include "billing/store/billing_store.h"
#include "common/call.h"
#include "common/outbox.h"
#include "common/pg.h"
#include "common/refusal.h"

namespace aftercare::billing {

using kit::already_exists;
using kit::failed_precondition;
using kit::invalid;
using kit::not_found;

// Who may see what: owners their own units' invoices (those they pay), staff with a billing
// role the projects of their token.
bool can_see_project(const kit::Caller& caller, const std::string& project_id);
bool can_see_invoice(const kit::Caller& caller, const store::InvoiceRow& invoice);

struct SweepResult {
  int reminders = 0;
  int overdue = 0;
};

class BillingOps {
 public:
  BillingOps(kit::PgPool& db, const kit::Outbox& outbox) : db_(db), outbox_(outbox) {}

  aftercare::v1::FeeRate set_fee_rate(const kit::Caller& caller,
                                      const aftercare::v1::SetFeeRateRequest& request);
  // The rate in force for the project's current month.
  aftercare::v1::FeeRate get_fee_rate(const std::string& project_id, absl::Time now);

  // Applies the registry's current units to the projection (a newer event is never overwritten).
  void refresh_units(const std::string& project_id,
                     const std::vector<std::pair<aftercare::v1::UnitUpserted, absl::Time>>& units);
  aftercare::v1::RunBillingResponse run_billing(const kit::Caller& caller,
                                                const std::string& project_id,
                                                const domain::Period& period);
  aftercare::v1::Invoice issue_invoice(const kit::Caller& caller,
                                       const aftercare::v1::IssueInvoiceRequest& request,
                                       const std::string& source_id, absl::Time now);
  aftercare::v1::Invoice get_invoice(const kit::Caller& caller, const std::string& invoice_id);
  std::vector<store::InvoiceRow> list_invoices(const store::InvoiceFilter& filter);
  aftercare::v1::Invoice void_invoice(const kit::Caller& caller, const std::string& invoice_id,
                                      const std::string& reason);

  aftercare::v1::PaymentResponse record_payment(const kit::Caller& caller,
                                                const std::string& invoice_id, int64_t amount_fen,
                                                const std::string& reference, absl::Time paid_at);
  aftercare::v1::PaymentResponse refund_payment(const kit::Caller& caller,
                                                const aftercare::v1::RefundPaymentRequest& request);

  // Arrears of a project (or one unit of it) on `as_of` (unset = the project's today at
  // `now`), paged by unit.
  aftercare::v1::ArrearsResponse arrears(const std::string& project_id, const std::string& unit_id,
                                         std::optional<absl::CivilDay> as_of, absl::Time now,
                                         int page_size, const std::string& after_unit_id);
  // Collection of a period's property fees by the end of `as_of` (unset = `now`).
  aftercare::v1::CollectionRateResponse collection_rate(const std::string& project_id,
                                                        const domain::Period& period,
                                                        std::optional<absl::CivilDay> as_of,
                                                        absl::Time now);
  // The project a unit belongs to, as billing knows it (projection or invoices).
  std::optional<std::string> project_of_unit(const std::string& unit_id);

  aftercare::v1::Settlement issue_settlement(const kit::Caller& caller,
                                             const std::string& project_id,
                                             const domain::Period& period, absl::Time now);
  aftercare::v1::Settlement get_settlement(const kit::Caller& caller,
                                           const std::string& settlement_id);
  aftercare::v1::ListSettlementsResponse list_settlements(const std::string& project_id,
                                                          const std::string& status);
  aftercare::v1::Settlement record_settlement_payment(const kit::Caller& caller,
                                                      const std::string& settlement_id,
                                                      int64_t amount_fen,
                                                      const std::string& reference,
                                                      absl::Time paid_at);

  aftercare::v1::RetentionAccount record_retention_deposit(
      const kit::Caller& caller, const aftercare::v1::RecordRetentionDepositRequest& request);
  aftercare::v1::RetentionAccount retention(const std::string& project_id,
                                            const std::string& builder_party_id);
  aftercare::v1::ListChargebacksResponse list_chargebacks(
      const std::string& project_id, const std::string& builder_party_id, const std::string& period,
      int64_t after_recorded_us, const std::string& after_id, int page_size);
  aftercare::v1::ListFinesResponse list_fines(const std::string& project_id,
                                              const std::string& party_id,
                                              const std::string& period);
  aftercare::v1::ProjectReportResponse project_report(const std::string& project_id,
                                                      const aftercare::v1::ReportPeriod& period);
  // Issue 20: project_report of many projects in one pass (the same figures, each project's
  // instants in its own time zone), by project id; none requested = every project billing knows
  // that the caller sees. The edge checked the caller against the requested ones.
  aftercare::v1::GroupProjectReportResponse group_project_report(
      const kit::Caller& caller, const std::vector<std::string>& project_ids,
      const aftercare::v1::ReportPeriod& period);
  aftercare::v1::TrialBalanceResponse trial_balance(const std::string& project_id);

  // The consumers' handler: applies intake's and dispatch's events inside the inbox
  // transaction. Unknown types are skipped; an event that cannot be applied throws (retry, then
  // the dead-letter queue). Every effect is keyed by its source id, so an event delivered again
  // under a new event_id changes nothing either.
  void apply_event(pqxx::work& tx, const aftercare::v1::Event& event);

  // One pass of the sweeper at `now`: reminders reminder_days_before_due days before the due
  // date and overdue notices after it, each at most once per invoice.
  SweepResult sweep_once(absl::Time now, int batch_size = 200);

  kit::PgPool& db() { return db_; }

 private:
  void apply_unit(pqxx::work& tx, const aftercare::v1::Event& e);
  void apply_quote_confirmed(pqxx::work& tx, const aftercare::v1::Event& e);
  void apply_warranty_cost(pqxx::work& tx, const aftercare::v1::Event& e);
  void apply_escalation(pqxx::work& tx, const aftercare::v1::Event& e);
  // Decoration permits (issue 19, app/decoration.cc): invoices at approval, the deposit settled
  // once at the end.
  void apply_decoration(pqxx::work& tx, const aftercare::v1::Event& e);
  void issue_decoration_invoices(pqxx::work& tx, const aftercare::v1::Event& e);
  void settle_decoration_deposit(pqxx::work& tx, const aftercare::v1::Event& e,
                                 const std::string& reason);
  void issue(pqxx::work& tx, const store::InvoiceRow& invoice, const std::string& causation_id);
  // Marks the invoice void and announces it; `reverse_posting` reverses its invoice posting
  // (a settled deposit's waived part is reversed by the settlement's own posting instead).
  void void_in(pqxx::work& tx, const store::InvoiceRow& invoice, const std::string& reason,
               bool reverse_posting);

  kit::PgPool& db_;
  const kit::Outbox& outbox_;
};

}  // namespace aftercare::billing
