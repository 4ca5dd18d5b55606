#include "intake/domain/handover.h"

#include "common/input.h"
#include "common/time.h"
#include "intake/domain/dates.h"
#include "intake/domain/names.h"

namespace aftercare::intake::domain {

using namespace aftercare::v1;

TicketCategory category_of(Component component) {
  switch (component) {
    case COMPONENT_STRUCTURE:
    case COMPONENT_ROOF_WATERPROOFING:
    case COMPONENT_BATHROOM_WATERPROOFING:
    case COMPONENT_EXTERIOR_WALL:
    case COMPONENT_ELECTRICAL:
    case COMPONENT_PLUMBING:
    case COMPONENT_HEATING:
      return TICKET_CATEGORY_HOUSE_QUALITY;
    case COMPONENT_DECORATION:
    case COMPONENT_DOOR_WINDOW:
      return TICKET_CATEGORY_DECORATION;
    case COMPONENT_ELEVATOR:
    case COMPONENT_FIRE_SAFETY:
    case COMPONENT_GAS:
      return TICKET_CATEGORY_PUBLIC_FACILITY;
    default:
      return TICKET_CATEGORY_OTHER;
  }
}

absl::Time rectify_due(absl::Time found_at, int working_days, const WorkingDayCalendar& calendar,
                       absl::TimeZone zone) {
  return end_of_local_day(calendar.nth_working_day_after(local_day(found_at, zone), working_days),
                          zone);
}

std::string check_inspected_at(absl::Time inspected_at, absl::Time now, absl::Duration skew,
                               absl::Duration max_back) {
  if (inspected_at > now + skew) return "inspected_at must not be in the future";
  if (inspected_at < now - max_back)
    return "inspected_at must be at most " + std::to_string(max_back / absl::Hours(24)) +
           " days back";
  return "";
}

SignOutcome sign(const SignatureState& state, InspectionSigner signer) {
  SignOutcome out{"", state.inspector_signed, state.owner_signed, INSPECTION_STATUS_OPEN};
  bool joint = state.stage == INSPECTION_STAGE_JOINT;
  auto complete = [&] { return out.inspector_signed && (!joint || out.owner_signed); };
  if (complete()) {
    out.error = "the inspection record is signed already";
    out.status = INSPECTION_STATUS_SIGNED;
    return out;
  }
  if (signer == INSPECTION_SIGNER_INSPECTOR) {
    if (state.inspector_signed) out.error = "the inspector has signed already";
    out.inspector_signed = true;
  } else if (signer == INSPECTION_SIGNER_OWNER) {
    if (!joint)
      out.error = "a pre_handover inspection is signed by the inspector only";
    else if (state.owner_signed)
      out.error = "the owner has signed already";
    out.owner_signed = true;
  } else {
    out.error = "signer must be inspector or owner";
  }
  if (!out.error.empty()) {
    out.inspector_signed = state.inspector_signed;
    out.owner_signed = state.owner_signed;
    return out;
  }
  out.status = complete() ? INSPECTION_STATUS_SIGNED : INSPECTION_STATUS_OPEN;
  return out;
}

std::map<Component, std::vector<size_t>> open_defects_by_component(
    const std::vector<Defect>& defects) {
  std::map<Component, std::vector<size_t>> out;
  for (size_t i = 0; i < defects.size(); ++i) {
    const Defect& d = defects[i];
    if (d.status() == DEFECT_STATUS_FIXED || !d.ticket_id().empty()) continue;
    out[d.component()].push_back(i);
  }
  return out;
}

namespace {
// The first max_chars characters of UTF-8 text (never cuts a character in two).
std::string cut_chars(const std::string& text, size_t max_chars) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      if (chars == max_chars) return text.substr(0, i);
      ++chars;
    }
  }
  return text;
}
}  // namespace

std::string defects_description(const std::vector<const Defect*>& defects, size_t max_chars) {
  std::string text = "验房遗留缺陷:";
  for (size_t i = 0; i < defects.size(); ++i) {
    const Defect& d = *defects[i];
    text += (i ? "; " : " ") + d.location() + " " + d.description() + " (" +
            public_name(d.severity()) + ")";
  }
  return cut_chars(text, max_chars);
}

std::string check_handover_day(absl::CivilDay day, absl::CivilDay today) {
  if (day > today) return "handed_over_on must not be after today (" + format_day(today) + ")";
  if (day < absl::CivilDay(2000, 1, 1)) return "handed_over_on must not be before 2000-01-01";
  return "";
}

std::optional<int> days_overdue(std::optional<absl::CivilDay> notice_on,
                                std::optional<absl::CivilDay> collected_on, absl::CivilDay today) {
  if (!notice_on || collected_on || *notice_on > today) return std::nullopt;
  return static_cast<int>(today - *notice_on);
}

std::string check_permit_action(const DecorationPermit& p, PermitAction action) {
  DecorationPermitStatus s = p.status();
  bool works = s == DECORATION_PERMIT_STATUS_APPROVED || s == DECORATION_PERMIT_STATUS_IN_PROGRESS;
  switch (action) {
    case PermitAction::kApprove:
    case PermitAction::kRefuse:
      if (s != DECORATION_PERMIT_STATUS_APPLIED)
        return "the permit is " + public_name(s) + ", only an applied permit is decided";
      return "";
    case PermitAction::kInspect:
    case PermitAction::kViolation:
      if (!works) return "the permit is " + public_name(s) + ", not approved or in progress";
      return "";
    case PermitAction::kFinish:
      if (!works) return "the permit is " + public_name(s) + ", not approved or in progress";
      if (p.inspections().empty() || !p.inspections(p.inspections_size() - 1).passed())
        return "the final inspection has not passed yet";
      // A violation is put right before the refund: a passed inspection must come after it.
      for (const auto& v : p.violations())
        if (kit::from_timestamp(v.recorded_at()) >
            kit::from_timestamp(p.inspections(p.inspections_size() - 1).at()))
          return "violation " + v.violation_id() + " has not been re-inspected yet";
      return "";
  }
  return "unknown action";
}

std::string check_deduction(int64_t deposit_fen, int64_t deductions_fen, int64_t deduction_fen) {
  if (deduction_fen < 0) return "deduction_fen must not be negative";
  if (deduction_fen > deposit_fen - deductions_fen)
    return "deduction_fen " + std::to_string(deduction_fen) +
           " exceeds what is left of the deposit (" + std::to_string(deposit_fen - deductions_fen) +
           ")";
  return "";
}

int64_t deposit_refund(int64_t deposit_fen, int64_t deductions_fen) {
  return deposit_fen > deductions_fen ? deposit_fen - deductions_fen : 0;
}

DecorationPermitStatus status_after_works(DecorationPermitStatus s) {
  return s == DECORATION_PERMIT_STATUS_APPROVED ? DECORATION_PERMIT_STATUS_IN_PROGRESS : s;
}

std::string check_works_dates(absl::CivilDay starts_on, absl::CivilDay ends_on, int max_days) {
  if (ends_on < starts_on) return "ends_on must not be before starts_on";
  if (ends_on - starts_on > max_days)
    return "ends_on must be at most " + std::to_string(max_days) + " days after starts_on";
  return "";
}

}  // namespace aftercare::intake::domain
