#include "intake/handover_service.h"

#include "absl/time/clock.h"
#include "common/refusal.h"
#include "common/time.h"
#include "intake/access.h"
#include "intake/app/context.h"
#include "intake/app/handover.h"
#include "intake/domain/attachments.h"
#include "intake/domain/dates.h"
#include "intake/domain/handover.h"
#include "intake/domain/report_period.h"
#include "intake/domain/validation.h"

namespace aftercare::intake {
namespace {

using app::bad;
using app::denied;
using app::not_found;
using grpc::Status;
using kit::guarded;

// Who does what (issue 19's contract table).
constexpr kit::Roles kInspectors = {kit::Role::agent, kit::Role::verifier, kit::Role::admin};
constexpr kit::Roles kDefectRecorders = {kit::Role::agent, kit::Role::verifier};
constexpr kit::Roles kSigningStaff = {kit::Role::agent, kit::Role::verifier, kit::Role::supervisor,
                                      kit::Role::admin};
constexpr kit::Roles kHandover = {kit::Role::agent, kit::Role::admin};
constexpr kit::Roles kKeyReminders = {kit::Role::agent, kit::Role::supervisor, kit::Role::admin};
constexpr kit::Roles kPermitDeciders = {kit::Role::agent, kit::Role::supervisor, kit::Role::admin};
constexpr kit::Roles kPermitInspectors = {kit::Role::agent, kit::Role::verifier,
                                          kit::Role::supervisor, kit::Role::admin};
constexpr kit::Roles kPermitFinishers = {kit::Role::agent, kit::Role::supervisor,
                                         kit::Role::finance, kit::Role::admin};

// An inspection may be typed in after the visit, but not from the future nor months later.
constexpr absl::Duration kClockSkew = absl::Minutes(2);
constexpr absl::Duration kMaxInspectionBackdate = absl::Hours(24 * 90);
constexpr int kMaxWorksDays = 366;
constexpr int64_t kMaxAmountFen = 100'000'000'00;  // 100 million yuan: beyond any deposit

// A required date that is real and not before 2000 (a typo such as 0202 is refused).
std::string check_required_date(bool has, const v1::Date& date, const std::string& field) {
  if (!has) return field + " is required";
  if (auto e = domain::check_date(date, field); !e.empty()) return e;
  if (domain::to_civil_day(date) < absl::CivilDay(2000, 1, 1))
    return field + " must not be before 2000-01-01";
  return "";
}

std::string check_optional_text(const std::string& value, const std::string& field, size_t max) {
  return value.empty() ? "" : domain::check_text(value, field, max);
}

std::string check_amount(int64_t fen, const std::string& field) {
  if (fen < 0) return field + " must not be negative";
  if (fen > kMaxAmountFen) return field + " is too large";
  return "";
}

}  // namespace

HandoverServiceImpl::HandoverServiceImpl(kit::PgPool& db, const kit::Outbox& outbox, Clock clock)
    : db_(db), outbox_(outbox), clock_(std::move(clock)) {}

// ------------------------------------------------------------------------------ inspections

Status HandoverServiceImpl::CreateInspection(grpc::ServerContext* context,
                                             const v1::CreateInspectionRequest* r,
                                             v1::Inspection* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->stage(), "stage"); !e.empty()) return bad(e);
  absl::Time now = clock_();
  absl::Time at = r->has_inspected_at() ? kit::from_timestamp(r->inspected_at()) : now;
  if (auto e = domain::check_inspected_at(at, now, kClockSkew, kMaxInspectionBackdate); !e.empty())
    return bad(e);
  if (!has_role(call.caller, kInspectors))
    return denied("only agents, verifiers and admins record inspections");
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("CreateInspection",
                 [&] { return app::create_inspection(ctx, *r, kit::truncate_to_micros(at), out); });
}

Status HandoverServiceImpl::AddDefect(grpc::ServerContext* context, const v1::AddDefectRequest* r,
                                      v1::Defect* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->inspection_id(), "inspection_id").empty())
    return not_found("inspection " + r->inspection_id());
  if (auto e = domain::check_enum(r->component(), "component"); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->location(), "location", 200); !e.empty()) return bad(e);
  if (auto e = domain::check_description(r->description()); !e.empty()) return bad(e);
  if (auto e = domain::check_enum(r->severity(), "severity"); !e.empty()) return bad(e);
  if (r->attachment_ids_size() > 20)
    return kit::invalid_field("attachment_ids", "at most 20 photos per defect");
  if (!has_role(call.caller, kDefectRecorders))
    return denied("only agents and verifiers record defects");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("AddDefect", [&] { return app::add_defect(ctx, *r, out); });
}

Status HandoverServiceImpl::AddInspectionAttachment(grpc::ServerContext* context,
                                                    const v1::AddInspectionAttachmentRequest* r,
                                                    v1::Attachment* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->inspection_id(), "inspection_id").empty())
    return not_found("inspection " + r->inspection_id());
  const domain::AttachmentRules limits = domain::AttachmentRules::defaults();
  if (auto e = domain::check_attachment(r->kind(), r->filename(), r->content_type(), r->content(),
                                        r->note(), limits);
      !e.empty())
    return bad(e);
  if (!has_role(call.caller, kSigningStaff))
    return denied("only agents, verifiers, supervisors and admins add inspection photos");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("AddInspectionAttachment",
                 [&] { return app::add_inspection_attachment(ctx, *r, limits, out); });
}

Status HandoverServiceImpl::GetInspection(grpc::ServerContext* context,
                                          const v1::GetInspectionRequest* r, v1::Inspection* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->inspection_id(), "inspection_id").empty())
    return not_found("inspection " + r->inspection_id());
  if (!call.caller.is(kit::Role::owner) && !kStaff.contains(call.caller.role))
    return denied("role " + call.caller.role_name() + " does not read inspections");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetInspection", [&] { return app::get_inspection(ctx, *r, out); });
}

Status HandoverServiceImpl::ListInspections(grpc::ServerContext* context,
                                            const v1::ListInspectionsRequest* r,
                                            v1::ListInspectionsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  if (!call.caller.is(kit::Role::owner) && !kStaff.contains(call.caller.role))
    return denied("role " + call.caller.role_name() + " does not read inspections");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListInspections", [&] { return app::list_inspections(ctx, *r, out); });
}

Status HandoverServiceImpl::SignInspection(grpc::ServerContext* context,
                                           const v1::SignInspectionRequest* r,
                                           v1::Inspection* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->inspection_id(), "inspection_id").empty())
    return not_found("inspection " + r->inspection_id());
  if (auto e = domain::check_enum(r->signer(), "signer"); !e.empty()) return bad(e);
  if (r->has_on_behalf()) {
    const v1::InspectionOnBehalf& b = r->on_behalf();
    if (call.caller.is(kit::Role::owner))
      return kit::invalid_field("on_behalf", "is for staff signing for the owner");
    if (r->signer() != v1::INSPECTION_SIGNER_OWNER)
      return kit::invalid_field("on_behalf", "only with signer owner");
    if (auto e = domain::check_enum(b.method(), "on_behalf.method"); !e.empty()) return bad(e);
    if (auto e = check_optional_text(b.note(), "on_behalf.note", 500); !e.empty()) return bad(e);
  }
  if (!call.caller.is(kit::Role::owner) && !has_role(call.caller, kSigningStaff))
    return denied("only the owner and agents, verifiers, supervisors, admins sign inspections");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("SignInspection", [&] { return app::sign_inspection(ctx, *r, out); });
}

Status HandoverServiceImpl::ReinspectDefect(grpc::ServerContext* context,
                                            const v1::ReinspectDefectRequest* r, v1::Defect* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->inspection_id(), "inspection_id").empty())
    return not_found("inspection " + r->inspection_id());
  if (!domain::check_uuid(r->defect_id(), "defect_id").empty())
    return not_found("defect " + r->defect_id());
  if (auto e = check_optional_text(r->note(), "note", 1000); !e.empty()) return bad(e);
  if (!has_role(call.caller, kDefectRecorders))
    return denied("only agents and verifiers re-inspect defects");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ReinspectDefect", [&] { return app::reinspect_defect(ctx, *r, out); });
}

// ---------------------------------------------------------------------------- handover, keys

Status HandoverServiceImpl::HandOverUnit(grpc::ServerContext* context,
                                         const v1::HandOverUnitRequest* r,
                                         v1::HandedOverUnit* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  if (auto e = check_required_date(r->has_handed_over_on(), r->handed_over_on(), "handed_over_on");
      !e.empty())
    return bad(e);
  if (!has_role(call.caller, kHandover)) return denied("only agents and admins hand keys over");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("HandOverUnit", [&] { return app::hand_over_unit(ctx, *r, out); });
}

Status HandoverServiceImpl::SetHandoverNotice(grpc::ServerContext* context,
                                              const v1::SetHandoverNoticeRequest* r,
                                              v1::KeyCollection* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  if (auto e = check_required_date(r->has_notice_on(), r->notice_on(), "notice_on"); !e.empty())
    return bad(e);
  if (!has_role(call.caller, kHandover)) return denied("only agents and admins send notices");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("SetHandoverNotice", [&] { return app::set_handover_notice(ctx, *r, out); });
}

Status HandoverServiceImpl::ListUncollectedKeys(grpc::ServerContext* context,
                                                const v1::ListUncollectedKeysRequest* r,
                                                v1::ListUncollectedKeysResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  absl::Time now = clock_();
  absl::Time as_of = r->has_as_of() ? kit::from_timestamp(r->as_of()) : now;
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("ListUncollectedKeys",
                 [&] { return app::list_uncollected_keys(ctx, r->project_id(), as_of, out); });
}

Status HandoverServiceImpl::SendKeyReminders(grpc::ServerContext* context,
                                             const v1::SendKeyRemindersRequest* r,
                                             v1::ListUncollectedKeysResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (r->unit_ids_size() > 500) return kit::invalid_field("unit_ids", "at most 500 units");
  for (int k = 0; k < r->unit_ids_size(); ++k)
    if (auto e = domain::check_id(r->unit_ids(k), "unit_ids[" + std::to_string(k) + "]");
        !e.empty())
      return bad(e);
  if (!has_role(call.caller, kKeyReminders))
    return denied("only agents, supervisors and admins send key reminders");
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("SendKeyReminders", [&] { return app::send_key_reminders(ctx, *r, out); });
}

Status HandoverServiceImpl::HandoverStats(grpc::ServerContext* context,
                                          const v1::HandoverStatsRequest* r,
                                          v1::HandoverStatsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  std::string error;
  auto days = domain::period_days(r->period(), &error);
  if (!days) return bad(error);
  bool hq = call.caller.is(kit::Role::hq) && call.caller.sees_project(r->project_id());  // issue 20
  if (!hq && !staff_sees(call.caller, r->project_id()))
    return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("HandoverStats", [&] { return app::handover_stats(ctx, *r, *days, out); });
}

// ---------------------------------------------------------------------------- decoration

Status HandoverServiceImpl::ApplyDecorationPermit(grpc::ServerContext* context,
                                                  const v1::ApplyDecorationPermitRequest* r,
                                                  v1::DecorationPermit* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->unit_id(), "unit_id"); !e.empty()) return bad(e);
  if (auto e = domain::check_text(r->contractor_name(), "contractor_name", 200); !e.empty())
    return bad(e);
  if (auto e = domain::check_text(r->scope(), "scope", 2000); !e.empty()) return bad(e);
  if (auto e = check_required_date(r->has_starts_on(), r->starts_on(), "starts_on"); !e.empty())
    return bad(e);
  if (auto e = check_required_date(r->has_ends_on(), r->ends_on(), "ends_on"); !e.empty())
    return bad(e);
  if (auto e = domain::check_works_dates(domain::to_civil_day(r->starts_on()),
                                         domain::to_civil_day(r->ends_on()), kMaxWorksDays);
      !e.empty())
    return bad(e);
  if (r->workers() < 0 || r->workers() > 200)
    return kit::invalid_field("workers", "must be between 0 and 200");
  if (!call.caller.is(kit::Role::owner) && !call.caller.is(kit::Role::agent))
    return denied("the unit's owner or an agent applies for a decoration permit");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ApplyDecorationPermit",
                 [&] { return app::apply_decoration_permit(ctx, *r, out); });
}

Status HandoverServiceImpl::GetDecorationPermit(grpc::ServerContext* context,
                                                const v1::GetDecorationPermitRequest* r,
                                                v1::DecorationPermit* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->permit_id(), "permit_id").empty())
    return not_found("decoration permit " + r->permit_id());
  if (!call.caller.is(kit::Role::owner) && !kStaff.contains(call.caller.role))
    return denied("role " + call.caller.role_name() + " does not read decoration permits");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("GetDecorationPermit", [&] { return app::get_decoration_permit(ctx, *r, out); });
}

Status HandoverServiceImpl::ListDecorationPermits(grpc::ServerContext* context,
                                                  const v1::ListDecorationPermitsRequest* r,
                                                  v1::ListDecorationPermitsResponse* out) {
  auto call = kit::begin_call(*context);
  if (auto e = domain::check_id(r->project_id(), "project_id"); !e.empty()) return bad(e);
  if (r->status() != v1::DECORATION_PERMIT_STATUS_UNSPECIFIED)
    if (auto e = domain::check_enum(r->status(), "status"); !e.empty()) return bad(e);
  if (!staff_sees(call.caller, r->project_id())) return not_found("project " + r->project_id());
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ListDecorationPermits",
                 [&] { return app::list_decoration_permits(ctx, *r, out); });
}

Status HandoverServiceImpl::ApproveDecorationPermit(grpc::ServerContext* context,
                                                    const v1::ApproveDecorationPermitRequest* r,
                                                    v1::DecorationPermit* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->permit_id(), "permit_id").empty())
    return not_found("decoration permit " + r->permit_id());
  if (auto e = check_amount(r->deposit_fen(), "deposit_fen"); !e.empty()) return bad(e);
  if (auto e = check_amount(r->fee_fen(), "fee_fen"); !e.empty()) return bad(e);
  if (!has_role(call.caller, kPermitDeciders))
    return denied("only agents, supervisors and admins decide decoration permits");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("ApproveDecorationPermit",
                 [&] { return app::approve_decoration_permit(ctx, *r, out); });
}

Status HandoverServiceImpl::RefuseDecorationPermit(grpc::ServerContext* context,
                                                   const v1::RefuseDecorationPermitRequest* r,
                                                   v1::DecorationPermit* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->permit_id(), "permit_id").empty())
    return not_found("decoration permit " + r->permit_id());
  if (auto e = domain::check_text(r->reason(), "reason", 1000); !e.empty()) return bad(e);
  if (!has_role(call.caller, kPermitDeciders))
    return denied("only agents, supervisors and admins decide decoration permits");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("RefuseDecorationPermit",
                 [&] { return app::refuse_decoration_permit(ctx, *r, out); });
}

Status HandoverServiceImpl::InspectDecoration(grpc::ServerContext* context,
                                              const v1::InspectDecorationRequest* r,
                                              v1::DecorationPermit* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->permit_id(), "permit_id").empty())
    return not_found("decoration permit " + r->permit_id());
  if (auto e = check_optional_text(r->note(), "note", 1000); !e.empty()) return bad(e);
  if (!has_role(call.caller, kPermitInspectors))
    return denied("only agents, verifiers, supervisors and admins inspect decoration works");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("InspectDecoration", [&] { return app::inspect_decoration(ctx, *r, out); });
}

Status HandoverServiceImpl::RecordDecorationViolation(grpc::ServerContext* context,
                                                      const v1::RecordDecorationViolationRequest* r,
                                                      v1::DecorationPermit* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->permit_id(), "permit_id").empty())
    return not_found("decoration permit " + r->permit_id());
  if (auto e = domain::check_text(r->description(), "description", 1000); !e.empty()) return bad(e);
  if (auto e = check_required_date(r->has_deadline(), r->deadline(), "deadline"); !e.empty())
    return bad(e);
  absl::Time now = clock_();
  // The notice's deadline lies ahead (a day of slack for the project's zone).
  if (domain::to_civil_day(r->deadline()) < absl::ToCivilDay(now, absl::UTCTimeZone()) - 1)
    return kit::invalid_field("deadline", "must not be in the past");
  if (auto e = check_amount(r->deduction_fen(), "deduction_fen"); !e.empty()) return bad(e);
  if (!has_role(call.caller, kPermitDeciders))
    return denied("only agents, supervisors and admins record violations");
  const app::Context ctx{db_, outbox_, call.caller, now};
  return guarded("RecordDecorationViolation",
                 [&] { return app::record_decoration_violation(ctx, *r, out); });
}

Status HandoverServiceImpl::FinishDecorationPermit(grpc::ServerContext* context,
                                                   const v1::FinishDecorationPermitRequest* r,
                                                   v1::DecorationPermit* out) {
  auto call = kit::begin_call(*context);
  if (!domain::check_uuid(r->permit_id(), "permit_id").empty())
    return not_found("decoration permit " + r->permit_id());
  if (!has_role(call.caller, kPermitFinishers))
    return denied("only agents, supervisors, finance and admins finish decoration permits");
  const app::Context ctx{db_, outbox_, call.caller, clock_()};
  return guarded("FinishDecorationPermit",
                 [&] { return app::finish_decoration_permit(ctx, *r, out); });
}

}  // namespace aftercare::intake
