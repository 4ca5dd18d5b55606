#include "billing/billing_service.h"

#include <absl/time/civil_time.h>
#include <absl/time/clock.h>
#include <spdlog/spdlog.h>

#include <functional>
#include <initializer_list>
#include <string_view>

#include "absl/strings/escaping.h"
#include "billing/access.h"
#include "billing/domain/names.h"
#include "billing/domain/policy.h"
#include "billing/domain/validation.h"
#include "common/call.h"
#include "common/refusal.h"

namespace aftercare::billing {

// How far ahead of the current month a billing run may be made.
constexpr int kMaxMonthsAhead = 12;

namespace v1 = aftercare::v1;

namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr size_t kMaxReasonChars = 500;
constexpr size_t kMaxDescriptionChars = 500;
constexpr int kMaxGroupProjects = 5000;  // projects per GroupProjectReport (issue 20)
// Clocks of a cashier's device and the server differ a little; a payment "now" must not be
// refused as coming from the future. Not a business number.
const absl::Duration kClockSkew = absl::Minutes(5);

using kit::guarded;

void require_role(const kit::Caller& caller, kit::Roles roles) {
  if (caller.is_any(roles)) return;
  throw kit::Refusal(grpc::StatusCode::PERMISSION_DENIED,
                     "role '" + caller.role_name() + "' may not make this call");
}

// A domain check's message starts with the field name; INVALID_ARGUMENT reads "field: why".
void check(const std::string& problem, const std::string& field) {
  if (problem.empty()) return;
  std::string why = problem.rfind(field + " ", 0) == 0 ? problem.substr(field.size() + 1) : problem;
  throw invalid(field, why);
}

// A project id the caller may work in; others do not exist for the caller.
void require_project(const kit::Caller& caller, const std::string& project_id) {
  check(domain::check_id(project_id, "project_id"), "project_id");
  if (!caller.sees_project(project_id)) throw not_found("project " + project_id);
}

domain::Period require_period(const v1::YearMonth& period, bool present,
                              const std::string& field = "period") {
  if (!present) throw invalid(field, "is required (YYYY-MM)");
  check(domain::check_period(period, field), field);
  return *domain::period_from_proto(period);
}

std::optional<absl::CivilDay> optional_day(const v1::Date& date, bool present,
                                           const std::string& field) {
  if (!present) return std::nullopt;
  check(domain::check_date(date, field), field);
  return domain::day_from_proto(date);
}

// When money was received: given, or now; a real instant, not in the future.
absl::Time paid_at_or_now(const google::protobuf::Timestamp& ts, bool present) {
  absl::Time now = absl::Now();
  if (!present) return now;
  if (ts.nanos() < 0 || ts.nanos() > 999'999'999 || ts.seconds() < 946'684'800) {
    throw invalid("paid_at", "must be a valid instant after 2000-01-01");
  }
  absl::Time at = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
  if (at > now + kClockSkew) throw invalid("paid_at", "must not be in the future");
  return at;
}

int page_size_of(int requested) {
  if (requested < 0) throw invalid("page_size", "must not be negative");
  if (requested == 0) return kDefaultPageSize;
  return requested > kMaxPageSize ? kMaxPageSize : requested;
}

std::string encode_token(const std::string& raw) {
  return absl::WebSafeBase64Escape(raw);
}

v1::PageCursor decode_cursor(const std::string& token, const std::string& filter_hash) {
  v1::PageCursor cursor;
  if (token.empty()) return cursor;
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) || !cursor.ParseFromString(raw) ||
      cursor.filter_hash() != filter_hash) {
    throw invalid("page_token", "is not a token of this listing");
  }
  return cursor;
}

std::string hash_of(const std::string& text) {
  return std::to_string(std::hash<std::string>{}(text));
}

int64_t us_of(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1'000'000 + ts.nanos() / 1000;
}

std::string metadata(const grpc::ServerContext& context, const char* key) {
  auto it = context.client_metadata().find(key);
  if (it == context.client_metadata().end()) return "";
  return std::string(it->second.data(), it->second.size());
}

template <typename Enum>
std::string optional_enum(Enum value, const std::string& field) {
  if (static_cast<int>(value) == 0) return "";
  auto name = domain::public_name(value);
  if (!domain::parse_public_name<Enum>(name)) throw invalid(field, "is not a known value");
  return name;
}

// Staff may see the projects of their token; "*" = all. Empty = none.
bool all_projects(const kit::Caller& caller) {
  return caller.sees_project("*");
}

}  // namespace

// ---- fee rates -------------------------------------------------------------------------------

grpc::Status BillingServiceImpl::SetFeeRate(Ctx* ctx, const v1::SetFeeRateRequest* req,
                                            v1::FeeRate* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("SetFeeRate", [&] {
    require_role(call.caller, kMoneyWriters);
    require_project(call.caller, req->project_id());
    check(domain::check_rate(req->fen_per_m2_month()), "fen_per_m2_month");
    check(domain::check_due_day(req->due_day()), "due_day");
    if (req->has_effective_from()) {
      check(domain::check_period(req->effective_from(), "effective_from"), "effective_from");
    }
    *resp = ops_.set_fee_rate(call.caller, *req);
  });
}

grpc::Status BillingServiceImpl::GetFeeRate(Ctx* ctx, const v1::GetFeeRateRequest* req,
                                            v1::FeeRate* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("GetFeeRate", [&] {
    require_role(call.caller, kFeeRateReaders);
    require_project(call.caller, req->project_id());
    *resp = ops_.get_fee_rate(req->project_id(), absl::Now());
  });
}

// ---- invoices --------------------------------------------------------------------------------

grpc::Status BillingServiceImpl::RunBilling(Ctx* ctx, const v1::RunBillingRequest* req,
                                            v1::RunBillingResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("RunBilling", [&] {
    require_role(call.caller, kMoneyWriters);
    require_project(call.caller, req->project_id());
    auto period = require_period(req->period(), req->has_period());
    // Billing far ahead is a typing error, not a plan: fees are billed per month as it comes.
    absl::CivilMonth this_month = absl::ToCivilMonth(absl::Now(), absl::UTCTimeZone());
    if ((period.year - this_month.year()) * 12 + (period.month - this_month.month()) >
        kMaxMonthsAhead)
      throw invalid("period",
                    "must be at most " + std::to_string(kMaxMonthsAhead) + " months ahead");
    if (registry_) {
      try {
        ops_.refresh_units(req->project_id(), registry_->project_units(req->project_id()));
      } catch (const std::exception& e) {
        // The projection from events is still there: bill from it rather than refuse the run.
        spdlog::warn("RunBilling: registry unavailable, billing from the projection: {}", e.what());
      }
    }
    *resp = ops_.run_billing(call.caller, req->project_id(), period);
  });
}

grpc::Status BillingServiceImpl::IssueInvoice(Ctx* ctx, const v1::IssueInvoiceRequest* req,
                                              v1::Invoice* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("IssueInvoice", [&] {
    require_role(call.caller, kMoneyWriters);
    require_project(call.caller, req->project_id());
    check(domain::check_id(req->unit_id(), "unit_id"), "unit_id");
    if (req->kind() != v1::INVOICE_KIND_PAID_SERVICE) {
      throw invalid("kind",
                    "must be paid_service (property fees come from billing runs, paid repairs "
                    "from confirmed quotes)");
    }
    check(domain::check_amount(req->amount_fen()), "amount_fen");
    if (!req->description().empty()) {
      check(kit::check_line(req->description(), "description", kMaxDescriptionChars),
            "description");
    }
    optional_day(req->due_date(), req->has_due_date(), "due_date");
    std::string source_id = req->source_id();
    if (source_id.empty()) source_id = metadata(*ctx, "idempotency-key");
    if (!source_id.empty()) check(domain::check_reference(source_id, "source_id"), "source_id");
    *resp = ops_.issue_invoice(call.caller, *req, source_id, absl::Now());
  });
}

grpc::Status BillingServiceImpl::ListInvoices(Ctx* ctx, const v1::ListInvoicesRequest* req,
                                              v1::ListInvoicesResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("ListInvoices", [&] {
    const kit::Caller& caller = call.caller;
    if (!caller.is(kit::Role::owner) && !is_billing_staff(caller)) {
      throw kit::Refusal(grpc::StatusCode::PERMISSION_DENIED,
                         "role '" + caller.role_name() + "' may not list invoices");
    }
    store::InvoiceFilter filter;
    if (!req->project_id().empty()) {
      check(domain::check_id(req->project_id(), "project_id"), "project_id");
    }
    if (!req->unit_id().empty()) check(domain::check_id(req->unit_id(), "unit_id"), "unit_id");
    filter.project_id = req->project_id();
    filter.unit_id = req->unit_id();
    if (req->has_period()) filter.period = require_period(req->period(), true).to_string();
    filter.status = optional_enum(req->status(), "status");
    filter.kind = optional_enum(req->kind(), "kind");
    filter.limit = page_size_of(req->page_size()) + 1;
    const std::string hash =
        hash_of(filter.project_id + "|" + filter.unit_id + "|" + filter.period + "|" +
                filter.status + "|" + filter.kind + "|" + caller.sub);
    v1::PageCursor cursor = decode_cursor(req->page_token(), hash);
    if (!req->page_token().empty()) {
      filter.after_issued_us = us_of(cursor.after_time());
      filter.after_id = cursor.after_id();
    }

    // A filter that names a unit or project outside the caller's scope answers 404, as a
    // ticket or invoice outside it does: an empty page would confirm nothing, but the answer
    // should not depend on which route the caller took to ask.
    if (caller.is(kit::Role::owner)) {
      filter.units = caller.units;
      filter.owner_payer_only = true;
      if (!filter.unit_id.empty() && !caller.owns_unit(filter.unit_id)) {
        throw not_found("unit " + filter.unit_id);
      }
      if (caller.units.empty()) return;
    } else {
      if (filter.project_id.empty() && filter.unit_id.empty()) {
        throw invalid("project_id", "project_id or unit_id is required");
      }
      if (!filter.project_id.empty() && !caller.sees_project(filter.project_id)) {
        throw not_found("project " + filter.project_id);
      }
      if (!filter.unit_id.empty()) {
        auto project = ops_.project_of_unit(filter.unit_id);
        if (project && !caller.sees_project(*project)) throw not_found("unit " + filter.unit_id);
      }
      if (!all_projects(caller)) {
        filter.projects = caller.projects;
        if (caller.projects.empty()) return;
      }
    }

    auto rows = ops_.list_invoices(filter);
    const int page_size = filter.limit - 1;
    for (int i = 0; i < static_cast<int>(rows.size()) && i < page_size; ++i) {
      *resp->add_invoices() = rows[i].to_proto();
    }
    if (static_cast<int>(rows.size()) > page_size) {
      const auto& last = rows[page_size - 1];
      v1::PageCursor next;
      *next.mutable_after_time() = store::timestamp_from_us(last.issued_at_us);
      next.set_after_id(last.invoice_id);
      next.set_filter_hash(hash);
      resp->set_next_page_token(encode_token(next.SerializeAsString()));
    }
  });
}

grpc::Status BillingServiceImpl::GetInvoice(Ctx* ctx, const v1::GetInvoiceRequest* req,
                                            v1::Invoice* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("GetInvoice", [&] {
    if (!call.caller.is(kit::Role::owner) && !is_billing_staff(call.caller)) {
      throw kit::Refusal(grpc::StatusCode::PERMISSION_DENIED,
                         "role '" + call.caller.role_name() + "' may not read invoices");
    }
    check(domain::check_id(req->invoice_id(), "invoice_id"), "invoice_id");
    *resp = ops_.get_invoice(call.caller, req->invoice_id());
  });
}

grpc::Status BillingServiceImpl::VoidInvoice(Ctx* ctx, const v1::VoidInvoiceRequest* req,
                                             v1::Invoice* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("VoidInvoice", [&] {
    require_role(call.caller, kMoneyWriters);
    check(domain::check_id(req->invoice_id(), "invoice_id"), "invoice_id");
    check(kit::check_line(req->reason(), "reason", kMaxReasonChars), "reason");
    *resp = ops_.void_invoice(call.caller, req->invoice_id(), req->reason());
  });
}

// ---- payments --------------------------------------------------------------------------------

grpc::Status BillingServiceImpl::RecordPayment(Ctx* ctx, const v1::RecordPaymentRequest* req,
                                               v1::PaymentResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("RecordPayment", [&] {
    require_role(call.caller, kPayers);
    check(domain::check_id(req->invoice_id(), "invoice_id"), "invoice_id");
    check(domain::check_amount(req->amount_fen()), "amount_fen");
    check(domain::check_reference(req->reference(), "reference"), "reference");
    absl::Time paid_at = paid_at_or_now(req->paid_at(), req->has_paid_at());
    *resp = ops_.record_payment(call.caller, req->invoice_id(), req->amount_fen(), req->reference(),
                                paid_at);
  });
}

grpc::Status BillingServiceImpl::RefundPayment(Ctx* ctx, const v1::RefundPaymentRequest* req,
                                               v1::PaymentResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("RefundPayment", [&] {
    require_role(call.caller, kMoneyWriters);
    if (req->payment_id().empty() && req->reference().empty()) {
      throw invalid("payment_id", "payment_id or reference is required");
    }
    if (!req->payment_id().empty()) {
      check(domain::check_id(req->payment_id(), "payment_id"), "payment_id");
    } else {
      check(domain::check_reference(req->reference(), "reference"), "reference");
    }
    check(domain::check_amount(req->amount_fen()), "amount_fen");
    check(kit::check_line(req->reason(), "reason", kMaxReasonChars), "reason");
    check(domain::check_reference(req->refund_reference(), "refund_reference"), "refund_reference");
    *resp = ops_.refund_payment(call.caller, *req);
  });
}

// ---- arrears and collection ------------------------------------------------------------------

grpc::Status BillingServiceImpl::Arrears(Ctx* ctx, const v1::ArrearsRequest* req,
                                         v1::ArrearsResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("Arrears", [&] {
    const kit::Caller& caller = call.caller;
    std::string project_id = req->project_id();
    if (!req->unit_id().empty()) check(domain::check_id(req->unit_id(), "unit_id"), "unit_id");
    if (caller.is(kit::Role::owner)) {
      // Owners see the arrears of their own units, one unit at a time.
      if (req->unit_id().empty()) throw invalid("unit_id", "is required");
      if (!caller.owns_unit(req->unit_id())) throw not_found("unit " + req->unit_id());
      auto project = ops_.project_of_unit(req->unit_id());
      if (!project) throw not_found("unit " + req->unit_id());
      if (!project_id.empty() && project_id != *project) throw not_found("unit " + req->unit_id());
      project_id = *project;
    } else {
      require_role(caller, kBillingStaff);
      require_project(caller, project_id);
    }
    auto as_of = optional_day(req->as_of(), req->has_as_of(), "as_of");
    int page_size = page_size_of(req->page_size());
    const std::string hash = hash_of("arrears|" + project_id + "|" + req->unit_id());
    std::string after;
    if (!req->page_token().empty()) after = decode_cursor(req->page_token(), hash).after_id();
    *resp = ops_.arrears(project_id, req->unit_id(), as_of, absl::Now(), page_size, after);
    if (!resp->next_page_token().empty()) {
      v1::PageCursor next;
      next.set_after_id(resp->next_page_token());
      next.set_filter_hash(hash);
      resp->set_next_page_token(encode_token(next.SerializeAsString()));
    }
  });
}

grpc::Status BillingServiceImpl::CollectionRate(Ctx* ctx, const v1::CollectionRateRequest* req,
                                                v1::CollectionRateResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("CollectionRate", [&] {
    require_role(call.caller, kBillingStaff);
    require_project(call.caller, req->project_id());
    auto period = require_period(req->period(), req->has_period());
    auto as_of = optional_day(req->as_of(), req->has_as_of(), "as_of");
    *resp = ops_.collection_rate(req->project_id(), period, as_of, absl::Now());
  });
}

// ---- settlements -----------------------------------------------------------------------------

grpc::Status BillingServiceImpl::IssueSettlement(Ctx* ctx, const v1::IssueSettlementRequest* req,
                                                 v1::Settlement* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("IssueSettlement", [&] {
    require_role(call.caller, kMoneyWriters);
    require_project(call.caller, req->project_id());
    auto period = require_period(req->period(), req->has_period());
    *resp = ops_.issue_settlement(call.caller, req->project_id(), period, absl::Now());
  });
}

grpc::Status BillingServiceImpl::ListSettlements(Ctx* ctx, const v1::ListSettlementsRequest* req,
                                                 v1::ListSettlementsResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("ListSettlements", [&] {
    require_role(call.caller, kBillingStaff);
    require_project(call.caller, req->project_id());
    *resp = ops_.list_settlements(req->project_id(), optional_enum(req->status(), "status"));
  });
}

grpc::Status BillingServiceImpl::GetSettlement(Ctx* ctx, const v1::GetSettlementRequest* req,
                                               v1::Settlement* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("GetSettlement", [&] {
    require_role(call.caller, kBillingStaff);
    check(domain::check_id(req->settlement_id(), "settlement_id"), "settlement_id");
    *resp = ops_.get_settlement(call.caller, req->settlement_id());
  });
}

grpc::Status BillingServiceImpl::RecordSettlementPayment(
    Ctx* ctx, const v1::RecordSettlementPaymentRequest* req, v1::Settlement* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("RecordSettlementPayment", [&] {
    require_role(call.caller, kMoneyWriters);
    check(domain::check_id(req->settlement_id(), "settlement_id"), "settlement_id");
    check(domain::check_amount(req->amount_fen()), "amount_fen");
    check(domain::check_reference(req->reference(), "reference"), "reference");
    absl::Time paid_at = paid_at_or_now(req->paid_at(), req->has_paid_at());
    *resp = ops_.record_settlement_payment(call.caller, req->settlement_id(), req->amount_fen(),
                                           req->reference(), paid_at);
  });
}

// ---- builders, fines, reports ----------------------------------------------------------------

grpc::Status BillingServiceImpl::ListChargebacks(Ctx* ctx, const v1::ListChargebacksRequest* req,
                                                 v1::ListChargebacksResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("ListChargebacks", [&] {
    std::string builder = req->builder_party_id();
    if (call.caller.is(kit::Role::builder)) {
      // A builder sees its own chargebacks only.
      if (!builder.empty() && builder != call.caller.party_id) return;
      builder = call.caller.party_id;
      if (builder.empty()) return;
    } else {
      require_role(call.caller, kBillingStaff);
    }
    require_project(call.caller, req->project_id());
    if (!builder.empty()) check(domain::check_id(builder, "builder_party_id"), "builder_party_id");
    std::string period;
    if (req->has_period()) period = require_period(req->period(), true).to_string();
    const std::string hash =
        hash_of("chargebacks|" + req->project_id() + "|" + builder + "|" + period);
    v1::PageCursor cursor = decode_cursor(req->page_token(), hash);
    int64_t after_us = req->page_token().empty() ? -1 : us_of(cursor.after_time());
    *resp = ops_.list_chargebacks(req->project_id(), builder, period, after_us, cursor.after_id(),
                                  page_size_of(req->page_size()));
    if (!resp->next_page_token().empty()) {
      v1::PageCursor next;
      next.ParseFromString(resp->next_page_token());
      next.set_filter_hash(hash);
      resp->set_next_page_token(encode_token(next.SerializeAsString()));
    }
  });
}

grpc::Status BillingServiceImpl::ListFines(Ctx* ctx, const v1::ListFinesRequest* req,
                                           v1::ListFinesResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("ListFines", [&] {
    require_role(call.caller, kBillingStaff);
    require_project(call.caller, req->project_id());
    if (!req->party_id().empty()) check(domain::check_id(req->party_id(), "party_id"), "party_id");
    std::string period;
    if (req->has_period()) period = require_period(req->period(), true).to_string();
    *resp = ops_.list_fines(req->project_id(), req->party_id(), period);
  });
}

grpc::Status BillingServiceImpl::ProjectReport(Ctx* ctx, const v1::ProjectReportRequest* req,
                                               v1::ProjectReportResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("ProjectReport", [&] {
    require_role(call.caller, kReportReaders);
    require_project(call.caller, req->project_id());
    if (!req->has_period() || !domain::report_days(req->period())) {
      throw invalid("period", "must be a month, quarter, ISO week or year that exists");
    }
    *resp = ops_.project_report(req->project_id(), req->period());
  });
}

// Issue 20: the same report for many projects (callback's group view), the same roles; every
// requested project one the caller sees (else NOT_FOUND, as ProjectReport).
grpc::Status BillingServiceImpl::GroupProjectReport(Ctx* ctx,
                                                    const v1::GroupProjectReportRequest* req,
                                                    v1::GroupProjectReportResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("GroupProjectReport", [&] {
    require_role(call.caller, kReportReaders);
    if (!req->has_period() || !domain::report_days(req->period())) {
      throw invalid("period", "must be a month, quarter, ISO week or year that exists");
    }
    if (req->project_ids_size() > kMaxGroupProjects) {
      throw invalid("project_ids", "at most " + std::to_string(kMaxGroupProjects) + " projects");
    }
    std::vector<std::string> ids;
    for (const std::string& id : req->project_ids()) {
      check(domain::check_id(id, "project_ids"), "project_ids");
      if (!call.caller.sees_project(id)) throw not_found("project " + id);
      ids.push_back(id);
    }
    *resp = ops_.group_project_report(call.caller, ids, req->period());
  });
}

grpc::Status BillingServiceImpl::RecordRetentionDeposit(
    Ctx* ctx, const v1::RecordRetentionDepositRequest* req, v1::RetentionAccount* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("RecordRetentionDeposit", [&] {
    require_role(call.caller, kMoneyWriters);
    require_project(call.caller, req->project_id());
    check(domain::check_id(req->builder_party_id(), "builder_party_id"), "builder_party_id");
    check(domain::check_amount(req->amount_fen()), "amount_fen");
    check(domain::check_reference(req->reference(), "reference"), "reference");
    *resp = ops_.record_retention_deposit(call.caller, *req);
  });
}

grpc::Status BillingServiceImpl::GetRetention(Ctx* ctx, const v1::GetRetentionRequest* req,
                                              v1::RetentionAccount* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("GetRetention", [&] {
    if (call.caller.is(kit::Role::builder)) {
      if (req->builder_party_id() != call.caller.party_id || call.caller.party_id.empty()) {
        throw not_found("retention account");
      }
    } else {
      require_role(call.caller, kBillingStaff);
    }
    require_project(call.caller, req->project_id());
    check(domain::check_id(req->builder_party_id(), "builder_party_id"), "builder_party_id");
    *resp = ops_.retention(req->project_id(), req->builder_party_id());
  });
}

grpc::Status BillingServiceImpl::TrialBalance(Ctx* ctx, const v1::TrialBalanceRequest* req,
                                              v1::TrialBalanceResponse* resp) {
  kit::ServerCall call = kit::begin_call(*ctx);
  return guarded("TrialBalance", [&] {
    require_role(call.caller, kLedgerReaders);
    if (req->project_id().empty()) {
      if (!all_projects(call.caller)) throw invalid("project_id", "is required");
    } else {
      require_project(call.caller, req->project_id());
    }
    *resp = ops_.trial_balance(req->project_id());
  });
}

}  // namespace aftercare::billing
