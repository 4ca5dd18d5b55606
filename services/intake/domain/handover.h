// Handover and decoration rules (issue 19; DOMAIN "Before and after the keys"): the deadline of
// a defect's rectification, who signs an inspection record and when it is complete, which
// defects become warranty tickets at handover, the key-collection list, and the life and
// deposit arithmetic of a decoration permit. Pure: time and the calendar are parameters.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "aftercare/v1/handover.pb.h"
#include "intake/domain/calendar.h"

namespace aftercare::intake::domain {

// The ticket category a building component belongs to (售后返修范围): structure, waterproofing,
// water/electric lines and heating are house quality; finishes, doors and windows decoration;
// elevators, fire safety and gas public facilities; the rest other.
aftercare::v1::TicketCategory category_of(aftercare::v1::Component component);

// A defect is rectified by the end (23:59:59 local) of the N-th working day after the local day
// it was found on (the day itself is day 0, as for tickets).
absl::Time rectify_due(absl::Time found_at, int working_days, const WorkingDayCalendar& calendar,
                       absl::TimeZone zone);

// inspected_at: not in the future beyond `skew`, at most `max_back` in the past. "" or an error
// naming inspected_at.
std::string check_inspected_at(absl::Time inspected_at, absl::Time now, absl::Duration skew,
                               absl::Duration max_back);

// Signing an inspection record. The inspector (staff) signs every record; a joint inspection
// also needs the owner (or staff on the owner's behalf). A record is signed once it has every
// signature it needs; a second signature of the same signer is refused.
struct SignatureState {
  aftercare::v1::InspectionStage stage;
  bool inspector_signed = false;
  bool owner_signed = false;
};
struct SignOutcome {
  std::string error;  // FAILED_PRECONDITION when set: nothing changes
  bool inspector_signed = false;
  bool owner_signed = false;
  aftercare::v1::InspectionStatus status = aftercare::v1::INSPECTION_STATUS_OPEN;
};
SignOutcome sign(const SignatureState& state, aftercare::v1::InspectionSigner signer);

// Open defects at the key handover become warranty tickets: one ticket per component (two open
// defects of one component are one issue of the unit, DOMAIN §1 duplicates), listing every
// defect. Returns component -> indexes into `defects` of the defects still open (not fixed).
std::map<aftercare::v1::Component, std::vector<size_t>> open_defects_by_component(
    const std::vector<aftercare::v1::Defect>& defects);

// The ticket description of a component's open defects: "验房遗留缺陷 (joint): 客厅 墙面空鼓; ...",
// cut to max_chars characters.
std::string defects_description(const std::vector<const aftercare::v1::Defect*>& defects,
                                size_t max_chars = 2000);

// Handover date: a real day not after today (project zone) and not before 2000-01-01.
std::string check_handover_day(absl::CivilDay day, absl::CivilDay today);

// Keys not collected: days since the notice (0 on the notice day), nullopt when the unit is not
// on the list (no notice, notice in the future, or collected).
std::optional<int> days_overdue(std::optional<absl::CivilDay> notice_on,
                                std::optional<absl::CivilDay> collected_on, absl::CivilDay today);

// ---- decoration permits ----
enum class PermitAction { kApprove, kRefuse, kInspect, kViolation, kFinish };

// Which actions a permit's status allows: approve/refuse an applied permit; inspect and record a
// violation on an approved or in-progress one; finish an approved or in-progress one whose last
// inspection passed and came after every violation (the violation was put right). "" or the reason
// for FAILED_PRECONDITION.
std::string check_permit_action(const aftercare::v1::DecorationPermit& permit, PermitAction action);

// A violation's deduction must fit in what is left of the deposit: 0 <= deduction and
// deductions so far + deduction <= deposit. "" or an error naming deduction_fen.
std::string check_deduction(int64_t deposit_fen, int64_t deductions_fen, int64_t deduction_fen);

// The refund at the end: the deposit minus the recorded deductions, never below zero.
int64_t deposit_refund(int64_t deposit_fen, int64_t deductions_fen);

// The status after an inspection or violation during the works.
aftercare::v1::DecorationPermitStatus status_after_works(aftercare::v1::DecorationPermitStatus s);

// Planned dates: ends_on not before starts_on and at most max_days later. "" or an error naming
// ends_on.
std::string check_works_dates(absl::CivilDay starts_on, absl::CivilDay ends_on, int max_days);

}  // namespace aftercare::intake::domain
